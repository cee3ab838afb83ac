"""Subject losses for a treaty: from a Qilu run folder's PLT, or from an analyst's loss table.

A **run folder** (``out/<run>``): ``plt.parquet`` rows of the subject key (``portfolio``,
``product/<name>``, ...), trials = years (analytical mean, sample -1) or (year, sample) pairs when
the run sampled; ``summary.json`` gives the number of years. Per-risk layers read the rows of the
``policy/<id>`` keys and their sums insured from ``summary.json``.

An **analyst's table** (CSV or Parquet, e.g. another vendor's PLT or YLT):

=============  ========  =========================================================================
column         required  meaning
=============  ========  =========================================================================
year           yes       simulation year (period); years without rows have no loss
loss           yes       loss (CNY), >= 0
event_id       no        event; without it the table is a YLT and only aggregate layers apply
doy            no        day of year, orders events within a year (else file order)
sample         no        sample id: trials are (year, sample) pairs
risk_id        no        per-risk losses (surplus, per-risk XL), with ``sum_insured``
=============  ========  =========================================================================

``n_years`` (the number of simulated years, loss-free ones included) must be given for a table.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from engine.treaty.program import SubjectLosses


def _fail(path, message, row=None, column=None):
    where = str(path) + (f", row {row}" if row is not None else "") + (f", column '{column}'" if column else "")
    raise ValueError(f"{where}: {message}")


def _trials(frame: pd.DataFrame, first_year: int, n_years: int) -> tuple[np.ndarray, int]:
    """Trial id per row: year index, or (year index) x Q + sample index when samples are present."""
    year = frame["year"].to_numpy(np.int64) - first_year
    if "sample" in frame and (frame["sample"] > 0).any():
        samples = np.sort(frame.loc[frame["sample"] > 0, "sample"].unique())
        q = int(samples.max())
        return year * q + (frame["sample"].to_numpy(np.int64) - 1), n_years * q
    return year, n_years


def from_run_folder(folder, subject: str = "portfolio", per_risk: bool = False) -> tuple[SubjectLosses, dict]:
    """Subject losses of a finished Qilu run; returns (SubjectLosses, facts about the run)."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    summary_path, plt_path = folder / "summary.json", folder / "plt.parquet"
    if not summary_path.is_file() or not plt_path.is_file():
        raise ValueError(f"{folder}: not a finished Qilu run with a PLT (needs summary.json and plt.parquet; "
                         "run with output.plt=true)")
    summary = json.loads(summary_path.read_text())
    run = summary["_run"]
    if subject not in summary:
        keys = sorted(k for k in summary if not k.startswith("_"))
        raise ValueError(f"treaty subject '{subject}' is not a key of {folder}; keys: {keys[:12]}"
                         f"{' ...' if len(keys) > 12 else ''}")
    table = pq.read_table(plt_path).to_pandas()
    table["key"] = table["key"].astype(str)
    sampled = run.get("samples", 0) > 0
    table = table[(table["sample"] > 0) if sampled else (table["sample"] == -1)]
    first_year = int(table["year"].min()) if len(table) else 0
    config_years = run["n_years"]
    try:
        import yaml
        cfg = yaml.safe_load((folder / "config.yaml").read_text())
        first_year = int(cfg["run"]["first_year"])
    except Exception:   # noqa: BLE001 - an older folder: the smallest year is the best guess
        pass
    rows = table[table["key"] == subject].sort_values(["year", "sample", "doy", "event_id"], kind="stable")
    trial, n_trials = _trials(rows, first_year, config_years)
    order = np.argsort(trial, kind="stable")
    extra = {}
    if per_risk:
        risk_rows = table[table["key"].str.startswith("policy/")]
        if risk_rows.empty:
            raise ValueError(f"{folder}: per-risk layers need policy keys; run with output.keys containing policy")
        extra = _risk_arrays(rows.iloc[order], risk_rows, {k: v["sum_insured"] for k, v in summary.items()
                                                            if k.startswith("policy/")})
    subject_losses = SubjectLosses(trial[order], rows["loss"].to_numpy(float)[order], n_trials, **extra)
    return subject_losses, {"source": str(folder), "subject": subject, "n_years": config_years, "n_trials": n_trials,
                            "samples": run.get("samples", 0)}


def _risk_arrays(events: pd.DataFrame, risk_rows: pd.DataFrame, sum_insured: dict) -> dict:
    """Per-risk rows aligned to the subject's event rows: risk_event, risk_loss, risk_sum_insured."""
    index = {(y, s, e): i for i, (y, s, e) in enumerate(zip(events["year"], events["sample"], events["event_id"]))}
    codes = [index.get((y, s, e), -1) for y, s, e in zip(risk_rows["year"], risk_rows["sample"], risk_rows["event_id"])]
    codes = np.array(codes, np.int64)
    keep = codes >= 0
    return {"risk_event": codes[keep], "risk_loss": risk_rows["loss"].to_numpy(float)[keep],
            "risk_sum_insured": np.array([sum_insured.get(k, np.nan) for k in risk_rows["key"][keep]], float)}


def from_table(path, n_years: int, first_year: int | None = None) -> tuple[SubjectLosses, dict]:
    """Subject losses from an analyst's PLT or YLT file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: loss table not found")
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path)
    elif path.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"{path}: unknown format '{path.suffix}'; use .csv or .parquet")
    for column in ("year", "loss"):
        if column not in frame:
            _fail(path, f"missing column '{column}'; a loss table needs year and loss (and event_id for a PLT)")
    for column in ("year", "loss", "sample", "doy", "sum_insured"):
        if column in frame:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.isna() | ((values < 0) if column in ("loss", "sum_insured") else False)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                _fail(path, f"{frame[column].iloc[i]!r} is not a {'non-negative ' if column in ('loss', 'sum_insured') else ''}number",
                      i + 2, column)
            frame[column] = values
    if not n_years or n_years < 1:
        raise ValueError("n_years: give the number of simulated years of the table (loss-free years included)")
    first = int(frame["year"].min()) if first_year is None else int(first_year)
    span = int(frame["year"].max()) - first + 1
    if span > n_years or (frame["year"] < first).any():
        raise ValueError(f"n_years: the table spans years {first}..{int(frame['year'].max())} ({span} years), "
                         f"more than n_years={n_years}")
    sort = [c for c in ("year", "sample", "doy") if c in frame]
    frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
    extra = {}
    if "risk_id" in frame:
        if "sum_insured" not in frame or "event_id" not in frame:
            _fail(path, "a per-risk table needs event_id and sum_insured with risk_id")
        if "sample" not in frame:
            frame["sample"] = -1
        group = frame.groupby(["year", "sample", "event_id"], sort=False)
        extra = {"risk_event": group.ngroup().to_numpy(np.int64), "risk_loss": frame["loss"].to_numpy(float),
                 "risk_sum_insured": frame["sum_insured"].to_numpy(float)}
        frame = group["loss"].sum().reset_index()   # one row per event, in first-appearance (time) order
    trial, n_trials = _trials(frame, first, n_years)
    is_plt = "event_id" in frame
    return SubjectLosses(trial, frame["loss"].to_numpy(float), n_trials, **extra), {
        "source": str(path), "n_years": n_years, "n_trials": n_trials, "event_level": is_plt}
