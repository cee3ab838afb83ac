"""Writing the ORD folder (one summary set per key level) and the ``qilu-export`` command."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.metrics import RETURN_PERIODS
from engine.ord.curves import aal_tables, ep_tables
from engine.ord.events import event_tables
from engine.ord.run import _INT32, COLUMNS, QUANTILES, README_MARKER, ExportError, RunData, key_level, load_run, perspectives


# ----------------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------------

def summary_sets(names) -> list:
    """[(level, key indices)] in the order the levels first appear in the run's keys."""
    levels = [key_level(n) for n in names]
    return [(lv, np.array([i for i, x in enumerate(levels) if x == lv])) for lv in dict.fromkeys(levels)]


def summary_info(names, keys, sum_insured) -> pd.DataFrame:
    """summary_id (1-based, in key order), key name, one column per dimension, sum insured."""
    frame = pd.DataFrame({"summary_id": np.arange(1, len(keys) + 1, dtype=np.int32),
                          "key": [names[k] for k in keys]})
    for j, dim in enumerate(key_level(names[keys[0]]).split("/") if names[keys[0]] != "portfolio" else []):
        frame[dim] = [names[k].split("/")[2 * j + 1] for k in keys]
    frame["sum_insured"] = sum_insured[keys]
    return frame


def _split_level(table: dict, name: str, keys: np.ndarray, n_keys: int) -> pa.Table:
    """Rows of one level's keys with ``key`` replaced by the SummaryId, as an ORD-typed table."""
    summary_id = np.zeros(n_keys, np.int64)
    summary_id[keys] = np.arange(1, keys.size + 1)
    if table:
        sel = summary_id[table["key"]] > 0
        cols = {c: (summary_id[v[sel]] if c == "key" else v[sel]) for c, v in table.items()}
        cols["SummaryId"] = cols.pop("key")
    else:
        cols = {c: np.zeros(0) for c in COLUMNS[name]}
    arrays = []
    for c in COLUMNS[name]:
        dtype = np.int32 if c in _INT32 else np.int64 if c == "EventId" else np.float64
        arrays.append(pa.array(np.asarray(cols[c]).astype(dtype)))
    return pa.Table.from_arrays(arrays, names=COLUMNS[name])


def _write_table(table: pa.Table, stem: Path, formats) -> None:
    if "csv" in formats:
        with open(stem.with_suffix(".csv"), "wb") as out:
            out.write((",".join(table.column_names) + "\n").encode())
            pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    if "parquet" in formats:
        pq.write_table(table, stem.with_suffix(".parquet"), compression="zstd")


def _readme(runs, sets, full_curve, return_periods, quantiles, confidence, notes) -> str:
    run = runs[0]
    described = {"il": "il (insured loss, after policy terms)", "gul": "gul (ground-up loss)"}
    mean_mode = run.samples == 0
    max_loss = "max_loss column of elt.parquet" if "max_loss" in (run.elt or {}) else (
        "largest of the analytical mean and the sampled losses of the event (Oasis: the maximum possible loss)")
    lines = [
        f"{README_MARKER} of {run.folder.resolve()}",
        "",
        "Oasis ORD (Open Results Data) tables made by engine/ord.py with the rules of the Oasis tools eltpy,",
        "pltpy, aalpy and lecpy (oasislmf 2.5.8). Perspectives (file prefix): "
        + ", ".join(described[r.perspective] for r in runs) + ".",
        "",
        "Summary sets (one per key level; summary ids 1..n in key order, see <prefix>_S<n>_summary-info.csv):",
        *[f"  S{i}: {level} ({keys.size} key{'s' * (keys.size > 1)})" for i, (level, keys) in enumerate(sets, 1)],
        "",
        f"Periods: {run.n_periods} (Qilu years {run.first_year}..{run.first_year + run.n_periods - 1}, "
        f"Period = year - {run.first_year} + 1), uniform PeriodWeight 1/{run.n_periods}.",
        "Year = Period; Month/Day = the event's day of year in a non-leap year (day 366 -> 31 December);",
        "Hour = Minute = 0. EventId = the event's source_event_id (the Oasis event id of an imported model,",
        "else Qilu's event id, int64: ids of years >= 2148 exceed Oasis' int32); EventRate = its occurrences / P.",
        f"Samples: {run.samples}" + (" (mean mode: analytical mean only)." if mean_mode else
                                     "; SampleId -1 / SampleType 1 / EPCalc 1 = analytical mean."),
        "EPT/PSEPT: " + ("full curves (every rank i, ReturnPeriod = N/i), as lecpy without a return-period file."
                         if full_curve else f"return periods {sorted(set(return_periods), reverse=True)} "
                         "(lecpy -r: loss linear in return period between ranks, periods above N skipped, 0 past "
                         "the last loss)."),
        f"QELT/QPLT quantiles: {list(quantiles)}. ALCT confidence level {confidence}.",
        "",
        "Fill values for fields Qilu does not compute:",
        "  SELT: the SampleId -4 rows (number of affected risks) are omitted.",
        f"  MELT/MPLT MaxLoss: the {max_loss}.",
        "  FootprintExposure = exposure_value of elt.parquet (value of the key's risks in the footprint);",
        "  ImpactedExposure / MeanImpactedExposure / MaxImpactedExposure derived from it as Oasis does.",
        "Summaries without any loss record have no PALT/ALCT/EPT/PSEPT rows, as in Oasis (aalpy also writes",
        "  ALCT rows of zeros for unused summary ids below the largest used one; Qilu does not).",
        "Floats are float64 (Oasis writes float32); CSV and Parquet hold the same values.",
    ]
    if mean_mode:
        lines += ["", "Mean mode (run.samples = 0): only SampleId -1, SampleType 1 and EPCalc 1 rows exist;",
                  "the QELT, QPLT, PSEPT and ALCT files are empty (header only)."]
    if notes:
        lines += [""] + list(dict.fromkeys(notes))
    return "\n".join(lines) + "\n"


def level_tables(run: RunData, return_periods=RETURN_PERIODS, quantiles=QUANTILES, confidence=0.95,
                 full_curve=False) -> dict:
    """Every ORD table of the run's keys as column dicts (``key`` in place of SummaryId), and
    ``notes`` (list of str) for the README."""
    present = np.zeros(len(run.names), bool)   # keys with loss records (Oasis: in the summary stream)
    present[run.ylt["key"]] = True
    tables = {"notes": []}
    if run.elt is not None and run.plt is not None:
        present[run.elt["key"]] = True
        tables.update(event_tables(run, quantiles))
    else:
        tables["notes"].append(f"{run.perspective}: elt or plt parquet missing (output.elt / output.plt off): "
                               "the SELT, MELT, QELT, SPLT, MPLT and QPLT files are empty.")
    tables.update(aal_tables(run, present, confidence))
    tables.update(ep_tables(run, present, return_periods, full_curve))
    return tables


def export_ord(run_dir, out_dir=None, formats=("csv", "parquet"), return_periods=RETURN_PERIODS,
               quantiles=QUANTILES, confidence=0.95, full_curve=False) -> Path:
    """Write the ORD tables of a finished run folder; returns the output folder.

    Parameters
    ----------
    run_dir : path
        A finished Qilu run folder (summary.json, ylt.parquet; elt.parquet and plt.parquet for
        the event and period tables). Ground-up results (gul_*.parquet, gul_summary.json) are
        exported too, as ``gul_S<n>_*``.
    out_dir : path, optional
        Output folder, default ``run_dir/ord``. Built under a temporary name and renamed when
        complete; an older export there (with this module's README.txt) is replaced, any other
        existing folder is refused.
    formats : iterable of {"csv", "parquet"}
    return_periods : sequence of int
        Return periods (years) of the EPT/PSEPT rows (ignored with ``full_curve``).
    quantiles : sequence of float in [0, 1]
        QELT/QPLT quantiles.
    confidence : float in (0, 1)
        ALCT confidence level.
    full_curve : bool
        Every rank of the EP curves instead of the return periods.
    """
    formats = tuple(dict.fromkeys(formats))
    if not formats or set(formats) - {"csv", "parquet"}:
        raise ExportError(f"formats must be 'csv' and/or 'parquet', got {formats}")
    rps = [int(r) for r in return_periods]
    if not full_curve and (not rps or any(r < 1 or r != float(x) for r, x in zip(rps, return_periods))):
        raise ExportError(f"return periods must be whole years >= 1, got {list(return_periods)}")
    if any(not 0.0 <= float(q) <= 1.0 for q in quantiles):
        raise ExportError(f"quantiles must lie in [0, 1], got {list(quantiles)}")
    if not 0.0 < confidence < 1.0:
        raise ExportError(f"confidence must lie in (0, 1), got {confidence}")
    runs = [load_run(run_dir, "il")]
    runs += [load_run(run_dir, p) for p in perspectives(run_dir) if p != "il"]
    final = Path(out_dir) if out_dir is not None else runs[0].folder / "ord"
    readme = final / "README.txt"
    if final.exists() and not (readme.is_file() and readme.read_text().startswith(README_MARKER)):
        raise ExportError(f"{final} exists and is not a Qilu ORD export; choose another --out")
    sets, notes = summary_sets(runs[0].names), []
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for run in runs:
            for n, (level, keys) in enumerate(summary_sets(run.names), 1):
                stem = f"{run.perspective}_S{n}"
                info = summary_info(run.names, keys, run.sum_insured)
                if "csv" in formats:
                    info.to_csv(tmp / f"{stem}_summary-info.csv", index=False)
                if "parquet" in formats:
                    info.to_parquet(tmp / f"{stem}_summary-info.parquet", index=False)
                tables = level_tables(run.subset(keys), return_periods=rps, quantiles=quantiles,
                                      confidence=confidence, full_curve=full_curve)
                notes += tables.pop("notes")
                for name in COLUMNS:
                    _write_table(_split_level(tables.get(name, {}), name, keys, len(run.names)),
                                 tmp / f"{stem}_{name}", formats)
                del tables
        (tmp / "README.txt").write_text(_readme(runs, sets, full_curve, rps, quantiles, confidence, notes))
        if final.exists():
            trash = final.parent / f".{final.name}.old-{os.getpid()}"
            final.rename(trash)
            tmp.rename(final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def main(argv=None) -> None:
    """``qilu-export <run_dir> [--out DIR] [--format csv|parquet|both] [--full-curve] [--return-periods ...]``."""
    parser = argparse.ArgumentParser(prog="qilu-export", description="Export a finished Qilu run folder to the "
                                     "Oasis ORD layout: il_S<n>_<table>.csv/.parquet, one summary set per key level.")
    parser.add_argument("run_dir", help="a finished run folder (with summary.json)")
    parser.add_argument("--out", help="output folder (default: <run_dir>/ord)")
    parser.add_argument("--format", choices=("csv", "parquet", "both"), default="both")
    parser.add_argument("--full-curve", action="store_true", help="every rank of the EP curves, not return periods")
    parser.add_argument("--return-periods", default=",".join(str(r) for r in RETURN_PERIODS),
                        help="comma-separated whole years (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        rps = [int(r) for r in args.return_periods.split(",") if r.strip()]
    except ValueError:
        parser.error(f"--return-periods must be comma-separated whole years, got {args.return_periods!r}")
    formats = ("csv", "parquet") if args.format == "both" else (args.format,)
    try:
        out = export_ord(args.run_dir, args.out, formats, rps, full_curve=args.full_curve)
    except ExportError as err:
        print(f"qilu-export: error: {err}", file=sys.stderr)
        sys.exit(2)
    print(f"ORD tables -> {out}")
