"""``qilu-compare``: line finished runs up side by side, with differences against the first.

    qilu-run -m scenario=baseline,ssp245_2050,ssp585_2050
    qilu-compare out/shandong_demo-baseline-* out/shandong_demo-ssp245_2050-* out/shandong_demo-ssp585_2050-*

For each key (default: the portfolio and each product) and each run: AAL with its standard error,
OEP and AEP at the chosen return periods, TVaR 99% and the gross premium; then the change against
the first run (the baseline) in CNY and percent, and whether the AAL change exceeds twice its
standard error (the runs share no random numbers unless they share the seed; the SE of the
difference is taken as sqrt(SE_a^2 + SE_b^2)). Writes ``compare.csv`` (long table) and prints a
wide table. Runs must have the same number of years' basis to compare fairly; the table says how
many each has.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import math
import sys
from pathlib import Path

import pandas as pd

METRICS = ("aal", "aal_se", "oep_100", "oep_250", "aep_100", "aep_250", "tvar_99", "premium")


def load_run(folder: Path) -> tuple[str, dict]:
    """(label, summary) of a finished run folder; label = scenario name (or folder name)."""
    folder = Path(folder)
    path = folder / "summary.json"
    if not path.is_file():
        raise ValueError(f"{folder}: not a finished Qilu run (no summary.json)")
    summary = json.loads(path.read_text())
    run = summary.get("_run", {})
    label = run.get("scenario") or folder.name
    return label, summary


def _row(stats: dict, periods) -> dict:
    out = {"aal": stats["aal"], "aal_se": stats["aal_se"], "tvar_99": stats.get("tvar_99", math.nan),
           "premium": stats.get("premium", {}).get("gross", math.nan), "sum_insured": stats.get("sum_insured")}
    for kind in ("oep", "aep"):
        for rp in periods:
            out[f"{kind}_{rp}"] = stats.get(kind, {}).get(str(rp), math.nan)
    return out


def compare(folders, keys=("portfolio", "product/*"), periods=(100, 250)) -> pd.DataFrame:
    """Long table: run, label, n_years, key, metric columns, and differences against the first run."""
    runs = [(Path(f), *load_run(f)) for f in folders]
    if len(runs) < 2:
        raise ValueError("give at least two run folders to compare")
    labels = [label for _, label, _ in runs]
    if len(set(labels)) != len(labels):   # same scenario twice: fall back to folder names
        labels = [folder.name for folder, _, _ in runs]
    rows = []
    for (folder, _, summary), label in zip(runs, labels):
        wanted = [k for k in summary if not k.startswith("_") and any(
            len(k.split("/")) == len(p.split("/")) and all(fnmatch.fnmatchcase(a, b) for a, b in zip(k.split("/"), p.split("/")))
            for p in keys)]
        for key in wanted:
            rows.append({"run": str(folder), "label": label, "n_years": summary["_run"].get("n_years"), "key": key,
                         **_row(summary[key], periods)})
    table = pd.DataFrame(rows)
    base = table[table["label"] == labels[0]].set_index("key")
    metric_cols = [c for c in table.columns if c not in ("run", "label", "n_years", "key", "sum_insured", "aal_se")]
    for col in metric_cols:
        ref = table["key"].map(base[col])
        table[f"{col}_diff"] = table[col] - ref
        table[f"{col}_pct"] = 100.0 * table[f"{col}_diff"] / ref.where(ref != 0)
    se = (table["aal_se"] ** 2 + table["key"].map(base["aal_se"]) ** 2) ** 0.5
    table["aal_change_significant"] = (table["aal_diff"].abs() > 2 * se) & (table["label"] != labels[0])
    return table


def format_wide(table: pd.DataFrame, periods=(100, 250)) -> str:
    labels = list(dict.fromkeys(table["label"]))
    lines = []
    for key, rows in table.groupby("key", sort=False):
        lines.append(f"\n{key}")
        head = f"  {'metric (M CNY)':<16}" + "".join(f"{lab[:22]:>24}" for lab in labels)
        lines += [head, "  " + "-" * (len(head) - 2)]
        rows = rows.set_index("label")
        for metric in ("aal", *[f"oep_{p}" for p in periods], *[f"aep_{p}" for p in periods], "tvar_99", "premium"):
            cells = []
            for lab in labels:
                v = rows.loc[lab, metric] / 1e6
                if lab == labels[0]:
                    cells.append(f"{v:>24,.1f}")
                else:
                    pct = rows.loc[lab, f"{metric}_pct"]
                    flag = "*" if metric == "aal" and rows.loc[lab, "aal_change_significant"] else " "
                    cells.append(f"{v:>14,.1f} ({pct:+6.1f}%){flag}")
            lines.append(f"  {metric:<16}" + "".join(cells))
    lines.append("\n(* AAL change larger than twice its standard error; % against the first run)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="qilu-compare", description="Compare finished Qilu runs side by side.")
    parser.add_argument("runs", nargs="+", type=Path, help="run folders; the first is the baseline")
    parser.add_argument("--keys", nargs="+", default=["portfolio", "product/*"], help="key patterns to compare")
    parser.add_argument("--periods", nargs="+", type=int, default=[100, 250], help="return periods (years)")
    parser.add_argument("--out", type=Path, default=Path("compare.csv"), help="where to write the long table")
    args = parser.parse_args(argv)
    try:
        table = compare(args.runs, tuple(args.keys), tuple(args.periods))
    except (ValueError, KeyError) as err:
        print(f"qilu-compare: error: {err}", file=sys.stderr)
        return 2
    tmp = args.out.with_name(args.out.name + ".tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(args.out)
    print(format_wide(table, tuple(args.periods)))
    print(f"\n{len(table)} rows -> {args.out}")
    return 0


def console() -> None:
    raise SystemExit(main())
