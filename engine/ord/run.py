"""Reading a finished run folder for the ORD export: tables, keys, samples, periods."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml

from engine.tables import PREFIX


QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
README_MARKER = "Qilu ORD export"
_PERIOD = ["Period", "PeriodWeight", "EventId", "Year", "Month", "Day", "Hour", "Minute"]
_IMPACT = ["ChanceOfLoss", "MeanLoss", "SDLoss", "MaxLoss", "FootprintExposure", "MeanImpactedExposure",
           "MaxImpactedExposure"]
#: ORD column names in file order (oasislmf pytools elt/plt/aal/lec ``data.py``).
COLUMNS = {
    "selt": ["EventId", "SummaryId", "SampleId", "Loss", "ImpactedExposure"],
    "melt": ["EventId", "SummaryId", "SampleType", "EventRate"] + _IMPACT,
    "qelt": ["EventId", "SummaryId", "Quantile", "Loss"],
    "splt": _PERIOD + ["SummaryId", "SampleId", "Loss", "ImpactedExposure"],
    "mplt": _PERIOD + ["SummaryId", "SampleType"] + _IMPACT,
    "qplt": _PERIOD + ["SummaryId", "Quantile", "Loss"],
    "palt": ["SummaryId", "SampleType", "MeanLoss", "SDLoss"],
    "alct": ["SummaryId", "MeanLoss", "SDLoss", "SampleSize", "LowerCI", "UpperCI", "StandardError",
             "RelativeError", "VarElementHaz", "StandardErrorHaz", "RelativeErrorHaz", "VarElementVuln",
             "StandardErrorVuln", "RelativeErrorVuln"],
    "ept": ["SummaryId", "EPCalc", "EPType", "ReturnPeriod", "Loss"],
    "psept": ["SummaryId", "SampleId", "EPType", "ReturnPeriod", "Loss"],
}
_INT32 = {"SummaryId", "SampleId", "SampleType", "EPCalc", "EPType", "SampleSize", "Period", "Year", "Month",
          "Day", "Hour", "Minute"}
_MONTH_START = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])  # non-leap year


class ExportError(ValueError):
    """The folder is not a finished, consistent Qilu run, or an export option is invalid."""


@dataclass(frozen=True)
class RunData:
    """One perspective of a finished run: keys as indices into ``names``, years as 1-based periods.

    ``ylt``: period, sample, key, loss, max_event_loss; ``elt`` (or None): event_id,
    source_event_id, key, mean_loss, exposure_value[, max_loss]; ``plt`` (or None): period,
    event_id, source_event_id, doy, sample, key, loss; ``occurrence`` (or None): event_id (sorted),
    source_event_id, period, doy of every event in the plt. ``source_event_id`` is the footprint
    (Oasis event) an event uses; it equals ``event_id`` unless the run imported an Oasis model.
    """

    folder: Path
    perspective: str
    n_periods: int
    samples: int
    first_year: int
    names: tuple
    sum_insured: np.ndarray
    ylt: dict
    elt: dict | None
    plt: dict | None
    occurrence: dict | None = None

    def subset(self, keys) -> "RunData":
        """The same run restricted to the rows of ``keys`` (int[n]); the occurrence table is kept."""
        wanted = np.zeros(len(self.names), bool)
        wanted[keys] = True
        pick = lambda t: None if t is None else {c: v[wanted[t["key"]]] for c, v in t.items()}  # noqa: E731
        return replace(self, ylt=pick(self.ylt), elt=pick(self.elt), plt=pick(self.plt))


def key_level(name: str) -> str:
    """The level of a key name: ``product/x/county/370783`` -> ``product/county``."""
    return "portfolio" if name == "portfolio" else "/".join(name.split("/")[0::2])


# ----------------------------------------------------------------------------------------------
# reading the run folder
# ----------------------------------------------------------------------------------------------

def perspectives(run_dir) -> list:
    """The perspectives a finished run folder holds: ``il`` (summary.json), ``gul`` (gul_summary.json)."""
    return [p for p in PREFIX if (Path(run_dir) / f"{PREFIX[p]}summary.json").is_file()]


def load_run(run_dir, perspective: str = "il") -> RunData:
    """Read one perspective of a finished run folder; :class:`ExportError` says why it is not one."""
    folder, prefix = Path(run_dir), PREFIX[perspective]
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder")
    if not (folder / "summary.json").is_file():
        raise ExportError(f"{folder} is not a finished Qilu run folder: no summary.json (a run writes it last)")
    path = folder / f"{prefix}summary.json"
    if not path.is_file():
        raise ExportError(f"{folder} has no {perspective} results ({path.name})")
    summary = json.loads(path.read_text())
    info = summary.get("_run", {})
    if "n_years" not in info or "samples" not in info:
        raise ExportError(f"{path}: '_run' lacks n_years or samples")
    names = tuple(k for k in summary if not k.startswith("_"))
    if not names:
        raise ExportError(f"{path} lists no keys")
    n_periods, samples = int(info["n_years"]), int(info["samples"])
    first_year = _first_year(folder)
    files = {t: folder / f"{prefix}{t}.parquet" for t in ("ylt", "elt", "plt")}
    if not files["ylt"].is_file():
        raise ExportError(f"{folder} has no {files['ylt'].name}")
    ylt = _read(files["ylt"], ["year", "sample", "key", "loss", "max_event_loss"], names)
    elt = plt = None
    if files["elt"].is_file():
        elt = _read(files["elt"], ["event_id", "key", "mean_loss", "exposure_value"], names,
                    optional=["source_event_id", "max_loss"])
    if files["plt"].is_file():
        plt = _read(files["plt"], ["year", "event_id", "doy", "sample", "key", "loss"], names,
                    optional=["source_event_id"])
    for table in (ylt, plt):
        if table is None:
            continue
        table["period"] = table.pop("year") - first_year + 1
        if table["period"].size and (table["period"].min() < 1 or table["period"].max() > n_periods):
            raise ExportError(f"{folder}: years outside {first_year}..{first_year + n_periods - 1}")
        bad = (table["sample"] != -1) & ((table["sample"] < 1) | (table["sample"] > samples))
        if bad.any():
            raise ExportError(f"{folder}: sample {table['sample'][bad][0]} outside -1, 1..{samples}")
    sum_insured = np.array([float(summary[k].get("sum_insured", np.nan)) for k in names])
    occurrence = None
    if plt is not None:
        events, first = np.unique(plt["event_id"], return_index=True)
        occurrence = {"event_id": events, **{c: plt[c][first] for c in ("source_event_id", "period", "doy")}}
    return RunData(folder, perspective, n_periods, samples, first_year, names, sum_insured, ylt, elt, plt,
                   occurrence)


def _first_year(folder: Path) -> int:
    config = folder / "config.yaml"
    if not config.is_file():
        return 1
    run = (yaml.safe_load(config.read_text()) or {}).get("run") or {}
    return int(run.get("first_year", 1))


def _read(path: Path, columns, names, optional=()) -> dict:
    """The ``columns`` (and those of ``optional`` present) of a run table; keys as indices into ``names``."""
    try:
        columns = list(columns) + [c for c in optional if c in pq.read_schema(path).names]
        frame = pd.read_parquet(path, columns=columns)
    except Exception as err:  # noqa: BLE001  (pyarrow raises several types for a missing column)
        raise ExportError(f"{path}: cannot read columns {columns}: {err}") from err
    column, index = frame["key"], pd.Index(names)
    if isinstance(column.dtype, pd.CategoricalDtype):  # dictionary-encoded, as the engine writes it
        codes = column.cat.codes.to_numpy()
        codes = np.where(codes >= 0, np.append(index.get_indexer(column.cat.categories), -1)[codes], -1)
    else:
        codes = index.get_indexer(column)
    if (codes < 0).any():
        raise ExportError(f"{path}: key {frame['key'].iloc[int(np.argmax(codes < 0))]!r} is not in summary.json")
    out = {c: frame[c].to_numpy() for c in columns if c != "key"}
    out["key"] = codes.astype(np.int64)
    for c in ("loss", "max_event_loss", "mean_loss", "exposure_value", "max_loss"):
        if c in out:
            out[c] = out[c].astype(np.float64)
    if "event_id" in out and "source_event_id" not in out:
        out["source_event_id"] = out["event_id"]
    return out


