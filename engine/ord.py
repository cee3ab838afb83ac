"""Export a finished run folder to the Oasis ORD (Open Results Data) layout.

``export_ord(run)`` writes ``<run>/ord/`` (built in a hidden ``.ord.partial-<pid>`` folder and
renamed when complete): one summary set per key level, numbered S1, S2, ... in the run's level
order, each with ``il_S{n}_summary-info.csv`` (summary_id -> key name and dimension values) and
the tables ``il_S{n}_{selt,melt,qelt,splt,mplt,qplt,palt,alct,ept,psept}.{csv,parquet}`` with the
ORD column names and order, plus ``README.txt``.

Qilu -> ORD: year -> Period ``year - first_year + 1`` (weight 1/P), each event occurs once
(EventRate 1/P), day of year -> Month/Day of a non-leap year at 00:00, sample -1 (analytical
mean) -> SampleId -1 / SampleType 1 / EPCalc 1, samples 1..Q -> SampleId 1..Q. Values follow the
rules of the Oasis tools eltpy, pltpy, aalpy and lecpy (oasislmf 2.5.8, docs/oasis.md §5-7),
including their quirks; ``tests/test_ord.py`` checks them by hand and against the tools.

Data layout inside: every table is built for all K keys at once as a dict of column arrays with
the run's key index ``key`` (into the summary.json key order); :func:`_split_level` keeps one
level's rows and turns ``key`` into that level's 1-based SummaryId.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.metrics import RETURN_PERIODS

PERSPECTIVE = "il"
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
    """A finished run's tables, keys as indices into ``names`` and years as 1-based periods.

    ``ylt``: period, sample, key, loss, max_event_loss; ``elt`` (or None): event_id, key,
    mean_loss, exposure_value[, max_loss]; ``plt`` (or None): period, event_id, doy, sample, key, loss;
    ``occurrence`` (or None): event_id (sorted, unique), period, doy of every event in the plt.
    """

    folder: Path
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

def load_run(run_dir) -> RunData:
    """Read a finished run folder; raises :class:`ExportError` with the reason if it is not one."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder")
    if not (folder / "summary.json").is_file():
        raise ExportError(f"{folder} is not a finished Qilu run folder: no summary.json (a run writes it last)")
    summary = json.loads((folder / "summary.json").read_text())
    info = summary.get("_run", {})
    if "n_years" not in info or "samples" not in info:
        raise ExportError(f"{folder / 'summary.json'}: '_run' lacks n_years or samples")
    names = tuple(k for k in summary if not k.startswith("_"))
    if not names:
        raise ExportError(f"{folder / 'summary.json'} lists no keys")
    n_periods, samples = int(info["n_years"]), int(info["samples"])
    first_year = _first_year(folder)
    if not (folder / "ylt.parquet").is_file():
        raise ExportError(f"{folder} has no ylt.parquet")
    ylt = _read(folder / "ylt.parquet", ["year", "sample", "key", "loss", "max_event_loss"], names)
    elt = plt = None
    if (folder / "elt.parquet").is_file():
        cols = pq.read_schema(folder / "elt.parquet").names
        elt = _read(folder / "elt.parquet", ["event_id", "key", "mean_loss", "exposure_value"]
                    + (["max_loss"] if "max_loss" in cols else []), names)
    if (folder / "plt.parquet").is_file():
        plt = _read(folder / "plt.parquet", ["year", "event_id", "doy", "sample", "key", "loss"], names)
    for name, table in (("ylt", ylt), ("plt", plt)):
        if table is None:
            continue
        table["period"] = table.pop("year") - first_year + 1
        if table["period"].size and (table["period"].min() < 1 or table["period"].max() > n_periods):
            raise ExportError(f"{name}.parquet: years outside {first_year}..{first_year + n_periods - 1}")
        bad = (table["sample"] != -1) & ((table["sample"] < 1) | (table["sample"] > samples))
        if bad.any():
            raise ExportError(f"{name}.parquet: sample {table['sample'][bad][0]} outside -1, 1..{samples}")
    sum_insured = np.array([float(summary[k].get("sum_insured", np.nan)) for k in names])
    occurrence = None
    if plt is not None:
        events, first = np.unique(plt["event_id"], return_index=True)
        occurrence = {"event_id": events, "period": plt["period"][first], "doy": plt["doy"][first]}
    return RunData(folder, n_periods, samples, first_year, names, sum_insured, ylt, elt, plt, occurrence)


def _first_year(folder: Path) -> int:
    config = folder / "config.yaml"
    if not config.is_file():
        return 1
    import yaml
    run = (yaml.safe_load(config.read_text()) or {}).get("run") or {}
    return int(run.get("first_year", 1))


def _read(path: Path, columns, names) -> dict:
    try:
        frame = pd.read_parquet(path, columns=columns)
    except Exception as err:  # noqa: BLE001  (pyarrow raises several types for a missing column)
        raise ExportError(f"{path}: cannot read columns {columns}: {err}") from err
    codes = pd.Categorical(frame["key"].astype(object) if frame["key"].dtype != "category" else frame["key"],
                           categories=list(names)).codes
    if (codes < 0).any():
        raise ExportError(f"{path}: key {frame['key'].iloc[int(np.argmax(codes < 0))]!r} is not in summary.json")
    out = {c: frame[c].to_numpy() for c in columns if c != "key"}
    out["key"] = codes.astype(np.int64)
    for c in ("loss", "max_event_loss", "mean_loss", "exposure_value", "max_loss"):
        if c in out:
            out[c] = out[c].astype(np.float64)
    return out


# ----------------------------------------------------------------------------------------------
# event tables: SELT, MELT, QELT (eltpy) and SPLT, MPLT, QPLT (pltpy)
# ----------------------------------------------------------------------------------------------

def _event_rows(run: RunData):
    """ELT rows in (event, key) order, their samples float64[R, Q] (absent = 0) and occurrence."""
    elt, plt, n_keys = run.elt, run.plt, len(run.names)
    order = np.lexsort((elt["key"], elt["event_id"]))
    rows = {c: v[order] for c, v in elt.items()}
    code = rows["event_id"] * n_keys + rows["key"]
    if np.any(code[1:] == code[:-1]):
        raise ExportError("elt.parquet has repeated (event_id, key) rows")
    sampled = plt["sample"] > 0
    plt_code = plt["event_id"][sampled] * n_keys + plt["key"][sampled]
    pos = np.minimum(np.searchsorted(code, plt_code), code.size - 1) if code.size else np.zeros(0, np.int64)
    if plt_code.size and np.any(code[pos] != plt_code):
        raise ExportError("plt.parquet has sample losses for an (event_id, key) missing from elt.parquet")
    losses = np.zeros((code.size, run.samples))
    losses[pos, plt["sample"][sampled].astype(np.int64) - 1] = plt["loss"][sampled]
    occ = run.occurrence
    at = np.minimum(np.searchsorted(occ["event_id"], rows["event_id"]), max(occ["event_id"].size - 1, 0))
    known = occ["event_id"][at] == rows["event_id"] if occ["event_id"].size else np.zeros(code.size, bool)
    rows["period"] = np.where(known, occ["period"][at] if known.size and occ["event_id"].size else 0, 0)
    rows["doy"] = np.where(known, occ["doy"][at] if known.size and occ["event_id"].size else 1, 1)
    return rows, losses, known


def _dates(doy):
    """Month and day of a non-leap year for day of year 1..366 (366 -> 31 December)."""
    day0 = np.clip(np.asarray(doy, np.int64), 1, 365) - 1
    month = np.searchsorted(_MONTH_START, day0, side="right")
    return month, day0 - _MONTH_START[month - 1] + 1


def _period_columns(rows, sel, n_periods):
    month, day = _dates(rows["doy"][sel])
    n = int(np.count_nonzero(sel)) if sel.dtype == bool else len(sel)
    return {"Period": rows["period"][sel], "PeriodWeight": np.full(n, 1.0 / n_periods),
            "EventId": rows["event_id"][sel], "Year": rows["period"][sel], "Month": month, "Day": day,
            "Hour": np.zeros(n, np.int64), "Minute": np.zeros(n, np.int64)}


def event_tables(run: RunData, quantiles=QUANTILES) -> dict:
    """SELT, MELT, QELT, SPLT, MPLT, QPLT rows for every key (column ``key`` for SummaryId).

    Per ELT row (event e, key k) with analytical mean m, exposure x, samples L[1..Q]:
    SELT/SPLT row -1 (Loss m, ImpactedExposure x if m != 0 else 0) and one row per L_s > 0;
    MELT (if x > 0) type 1 (m, SD 0, ChanceOfLoss 0, impacted x, x) and type 2 (mean of L,
    SD with divisor Q-1, ChanceOfLoss = #(L>0)/Q, impacted x*ChanceOfLoss, x if any L>0 else 0);
    MPLT type 1 if m > 0 and type 2 if any L > 0 (no exposure test, as pltpy); QELT (if x > 0)
    and QPLT (every row) the numpy-linear quantiles of L. MaxLoss: ``max_loss`` of elt.parquet
    if present, else max(m, max L).
    """
    rows, losses, known = _event_rows(run)
    n_rows, n_samples, n_periods = losses.shape[0], run.samples, run.n_periods
    mean, exposure = rows["mean_loss"], rows["exposure_value"]
    if "max_loss" in rows:
        max_loss = rows["max_loss"]
    else:
        max_loss = np.maximum(mean, losses.max(axis=1)) if n_samples else mean.copy()
    index = np.arange(n_rows)
    r_s, s_s = np.nonzero(losses)                       # positive samples, row-major: (row, sample)
    r_all = np.concatenate([index, r_s])
    sample_all = np.concatenate([np.full(n_rows, -1), s_s + 1])
    loss_all = np.concatenate([mean, losses[r_s, s_s]])
    order = np.lexsort((sample_all, r_all))
    r_all, sample_all, loss_all = r_all[order], sample_all[order], loss_all[order]
    impacted = np.where(loss_all != 0, exposure[r_all], 0.0)
    out = {"selt": {"EventId": rows["event_id"][r_all], "key": rows["key"][r_all], "SampleId": sample_all,
                    "Loss": loss_all, "ImpactedExposure": impacted}}
    keep = known[r_all]
    by_period = np.lexsort((sample_all[keep], r_all[keep], rows["period"][r_all[keep]]))
    sel = r_all[keep][by_period]
    out["splt"] = {**_period_columns(rows, sel, n_periods), "key": rows["key"][sel],
                   "SampleId": sample_all[keep][by_period], "Loss": loss_all[keep][by_period],
                   "ImpactedExposure": impacted[keep][by_period]}

    chance = np.count_nonzero(losses > 0, axis=1) / n_samples if n_samples else np.zeros(n_rows)
    sample_mean = losses.mean(axis=1) if n_samples else np.zeros(n_rows)
    sample_sd = losses.std(axis=1, ddof=1) if n_samples > 1 else np.zeros(n_rows)
    stats = {  # per sample type: (row mask, ChanceOfLoss, MeanLoss, SDLoss, MeanImpacted, MaxImpacted)
        1: (np.zeros(n_rows), mean, np.zeros(n_rows), exposure, exposure),
        2: (chance, sample_mean, sample_sd, exposure * chance, np.where(chance > 0, exposure, 0.0)),
    }
    types = (1, 2) if n_samples else (1,)
    for table, masks in (("melt", {1: exposure > 0, 2: exposure > 0}),
                         ("mplt", {1: (mean > 0) & known, 2: (chance > 0) & known})):
        r = np.concatenate([index[masks[t]] for t in types])
        kind = np.concatenate([np.full(np.count_nonzero(masks[t]), t) for t in types])
        o = np.lexsort((kind, r) if table == "melt" else (kind, r, rows["period"][r]))
        r, kind = r[o], kind[o]
        pick = lambda i: np.where(kind == 1, stats[1][i][r], stats[2][i][r])  # noqa: E731
        head = ({"EventId": rows["event_id"][r], "key": rows["key"][r], "SampleType": kind,
                 "EventRate": np.full(r.size, 1.0 / n_periods)} if table == "melt"
                else {**_period_columns(rows, r, n_periods), "key": rows["key"][r], "SampleType": kind})
        out[table] = {**head, "ChanceOfLoss": pick(0), "MeanLoss": pick(1), "SDLoss": pick(2),
                      "MaxLoss": max_loss[r], "FootprintExposure": exposure[r], "MeanImpactedExposure": pick(3),
                      "MaxImpactedExposure": pick(4)}

    q = np.asarray(quantiles, np.float64)
    for table, mask in (("qelt", exposure > 0), ("qplt", known)):
        r = index[mask] if n_samples else index[:0]
        if table == "qplt":
            r = r[np.lexsort((r, rows["period"][r]))]
        values = _sample_quantiles(losses[r], q) if n_samples else np.zeros((0, q.size))
        head = ({"EventId": np.repeat(rows["event_id"][r], q.size)} if table == "qelt"
                else {c: np.repeat(v, q.size) for c, v in _period_columns(rows, r, n_periods).items()})
        out[table] = {**head, "key": np.repeat(rows["key"][r], q.size), "Quantile": np.tile(q, r.size),
                      "Loss": values.ravel()}
    return out


def _sample_quantiles(losses, q):
    """eltpy's quantiles over samples float64[n, Q] -> [n, len(q)]: pos = (Q-1) q + 1, i = int(pos),
    Loss = L_(i) + (pos - i)(L_(i+1) - L_(i)) on the sorted samples (L_(Q) when i = Q)."""
    ordered = np.sort(losses, axis=1)
    n_samples = ordered.shape[1]
    pos = (n_samples - 1) * q + 1
    low = pos.astype(np.int64)
    frac = pos - low
    lower = ordered[:, low - 1]
    upper = ordered[:, np.minimum(low, n_samples - 1)]
    return np.where(low == n_samples, lower, lower + frac * (upper - lower))


# ----------------------------------------------------------------------------------------------
# AAL tables: PALT, ALCT (aalpy)
# ----------------------------------------------------------------------------------------------

def normal_quantile(level: float) -> float:
    """aalpy's z for a two-sided ``level``: Abramowitz-Stegun 26.2.23 at p = (1 + level) / 2."""
    t = np.sqrt(-2.0 * np.log(1.0 - (1.0 + level) / 2.0))
    return float(t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
                 / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3))


def _mean_sd(total, squares, n):
    """aalpy's calculate_mean_stddev (negative rounding residues of the variance taken as 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / n, np.sqrt(np.maximum((squares - total * total / n) / (n - 1), 0.0))


def alct_subsets(samples: int) -> list:
    """ALCT subset sizes: 1, 2, 4, ... while 2m + m - 1 <= Q... (aalpy get_num_subsets), then Q."""
    sizes = []
    while samples > 1 and 2 * (1 << len(sizes)) - 1 <= samples:
        sizes.append(1 << len(sizes))
    return sizes + [samples]


def aal_tables(run: RunData, present, confidence=0.95) -> dict:
    """PALT and ALCT rows of the keys in ``present`` (bool[K]), from the year loss table.

    With X_p the period loss of sample -1 and X_ps of sample s (zero years included):
    PALT type 1 mean = sum X_p / P, SD = sqrt((sum X_p^2 - (sum X_p)^2 / P) / (P - 1)); type 2 the
    same over the P*Q pairs. ALCT per subset (samples [m, 2m) for m = 1, 2, 4, ..., then all Q):
    N = m P, B_p = sum over the subset of X_ps, VarElementVuln = (sum X^2 - sum_p B_p^2 / m) / (N - m) / N,
    VarElementHaz = (sum_p B_p^2 / m^2 - P mean^2) / (P - 1) / P, StandardError = sqrt(VarElementVuln),
    CI = mean -+ z StandardError (0, 0 when that is not > 0).
    """
    ylt, n_keys, n_periods, n_samples = run.ylt, len(run.names), run.n_periods, run.samples
    keys = np.flatnonzero(present)
    palt = []
    for kind, sel, n in ((1, ylt["sample"] == -1, n_periods), (2, ylt["sample"] > 0, n_periods * n_samples)):
        if kind == 2 and not n_samples:
            continue
        x, k = ylt["loss"][sel], ylt["key"][sel]
        mean, sd = _mean_sd(np.bincount(k, x, n_keys), np.bincount(k, x * x, n_keys), n)
        palt.append({"key": keys, "SampleType": np.full(keys.size, kind), "MeanLoss": mean[keys], "SDLoss": sd[keys]})
    out = {"palt": _concat(palt, ("key", "SampleType")), "alct": {}}
    if not n_samples:
        return out
    sizes = np.asarray(alct_subsets(n_samples), np.float64)
    n_sets = sizes.size
    sel = ylt["sample"] > 0
    x, k, p = ylt["loss"][sel], ylt["key"][sel], ylt["period"][sel].astype(np.int64)
    block = np.floor(np.log2(ylt["sample"][sel])).astype(np.int64)   # samples [2^b, 2^(b+1)) -> b
    part = block < n_sets - 1
    # every sample row feeds its power-of-two block (if any) and the last set, all samples
    set_key = np.concatenate([k[part] * n_sets + block[part], k * n_sets + n_sets - 1])
    gx = np.concatenate([x[part], x])
    groups, inverse = np.unique(set_key * (n_periods + 1) + np.concatenate([p[part], p]), return_inverse=True)
    b_sum, b_sq = np.bincount(inverse, gx, groups.size), np.bincount(inverse, gx * gx, groups.size)
    total, squares, period_sq = (np.bincount(groups // (n_periods + 1), w, n_keys * n_sets)
                                 for w in (b_sum, b_sq, b_sum * b_sum))
    rows = (keys[:, None] * n_sets + np.arange(n_sets)).ravel()
    total, squares, period_sq = total[rows], squares[rows], period_sq[rows]
    m = np.tile(sizes, keys.size)
    n = m * n_periods
    mean, sd = _mean_sd(total, squares, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_vuln = (squares - period_sq / m) / (n - m) / n
        var_haz = (period_sq / (m * m) - n_periods * mean * mean) / (n_periods - 1) / n_periods
        se, se_haz = np.sqrt(np.maximum(var_vuln, 0.0)), np.sqrt(np.maximum(var_haz, 0.0))
        ci = se * normal_quantile(confidence)
        out["alct"] = {"key": np.repeat(keys, n_sets), "MeanLoss": mean, "SDLoss": sd, "SampleSize": m,
                       "LowerCI": np.where(ci > 0, mean - ci, 0.0), "UpperCI": np.where(ci > 0, mean + ci, 0.0),
                       "StandardError": se, "RelativeError": se / mean, "VarElementHaz": var_haz,
                       "StandardErrorHaz": se_haz, "RelativeErrorHaz": se_haz / mean, "VarElementVuln": var_vuln,
                       "StandardErrorVuln": se, "RelativeErrorVuln": se / mean}
    return out


# ----------------------------------------------------------------------------------------------
# EP tables: EPT, PSEPT (lecpy)
# ----------------------------------------------------------------------------------------------

def ep_points(curve, value, n_trials, return_periods=None, curves=None):
    """Loss and TVaR points of empirical EP curves by lecpy's rules (write_ept / write_psept).

    Parameters
    ----------
    curve : int64[n]    curve of each trial value
    value : float64[n]  trial values (period or period-sample losses); zeros may be omitted
    n_trials : int      N, trials per curve (P, or P*Q for full uncertainty)
    return_periods : sequence of int or None
        None: every rank i of the positive values, ReturnPeriod N/i, Loss the i-th largest value,
        TVaR the mean of the top i. Else the ``-r`` rule: targets T > N skipped; i* = the first rank
        with N/i* <= T; Loss = 0 if the i*-th value is 0 or absent, that value if N/i* = T, else linear
        in return period between ranks i*-1 and i*; TVaR = (sum of the top i*-1 values + the losses
        of the targets met at rank i* so far) / (i* + their number - 1) (lecpy's running update).
    curves : int64[c], optional
        Curves reported in return-period mode even without a positive value (their losses are 0).

    Returns
    -------
    curve int64[m], return_period float64[m], loss float64[m], tvar float64[m]
    """
    order = np.lexsort((-value, curve))
    curve, value = curve[order], value[order]
    ids, start, count = np.unique(curve, return_index=True, return_counts=True)
    csum = np.empty_like(value)
    for s0, c0 in zip(start, count):  # per curve: no cancellation against other curves' totals
        np.cumsum(value[s0:s0 + c0], out=csum[s0:s0 + c0])
    if return_periods is None:
        rank = np.arange(value.size) - np.repeat(start, count) + 1
        return curve, n_trials / rank, value, csum / rank
    if curves is not None:
        extra = np.setdiff1d(curves, ids)
        ids = np.concatenate([ids, extra])
        start = np.concatenate([start, np.zeros(extra.size, start.dtype)])
        count = np.concatenate([count, np.zeros(extra.size, count.dtype)])
    targets = np.array([t for t in sorted(set(return_periods), reverse=True) if t <= n_trials], np.float64)
    if targets.size == 0 or ids.size == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0)
    rank = np.maximum(np.ceil(n_trials / targets), 1).astype(np.int64)
    rank += n_trials / rank > targets                                      # float guard: N/i* <= T
    rank -= (rank > 1) & (n_trials / np.maximum(rank - 1, 1) <= targets)  # and N/(i*-1) > T
    padded = np.concatenate([value, [0.0]])
    at = lambda i: np.where(i <= count[:, None], start[:, None] + i - 1, value.size)  # noqa: E731
    current = padded[at(rank[None, :])]
    previous = padded[np.where(rank[None, :] >= 2, at(rank[None, :] - 1), value.size)]
    above = np.concatenate([csum, [0.0]])[np.where(rank[None, :] >= 2, at(np.minimum(rank[None, :] - 1, count[:, None])), value.size)]
    above = np.where((rank[None, :] >= 2) & (count[:, None] > 0), above, 0.0)
    rp, rp_prev = n_trials / rank, n_trials / np.maximum(rank - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (targets - rp) * (previous - current) / (rp_prev - rp) + current
    loss = np.where(current == 0, 0.0, np.where(rp == targets, current, between))
    tvar = np.empty_like(loss)
    met, group_rank = np.zeros(ids.size), -1
    for j in range(targets.size):
        if rank[j] != group_rank:
            met, n_met, group_rank = np.zeros(ids.size), 0, rank[j]
        met = met + loss[:, j]
        tvar[:, j] = (above[:, j] + met) / (rank[j] + n_met)
        n_met += 1
    return (np.repeat(ids, targets.size), np.tile(targets, ids.size), loss.ravel(), tvar.ravel())


def ep_tables(run: RunData, present, return_periods=RETURN_PERIODS, full_curve=False) -> dict:
    """EPT (EPCalc 1 mean, 2 full uncertainty, 3 wheatsheaf mean, 4 sample mean; EPType 1 OEP,
    2 OEP TVaR, 3 AEP, 4 AEP TVaR) and PSEPT rows from the year loss table (OEP: a year's largest
    event loss, AEP: its total). ``present`` (bool[K]): keys with loss records, which get EPCalc 1
    rows of zeros in return-period mode even without a positive mean loss (as lecpy ``-r``)."""
    ylt, n_periods, n_samples = run.ylt, run.n_periods, run.samples
    rps = None if full_curve else return_periods
    mean, sampled = ylt["sample"] == -1, ylt["sample"] > 0
    k, p, s = ylt["key"][sampled], ylt["period"][sampled].astype(np.int64), ylt["sample"][sampled].astype(np.int64)
    ept, psept = [], []
    for ep_type, column in ((1, "max_event_loss"), (3, "loss")):
        x = ylt[column][sampled]
        calcs = [(1, ylt["key"][mean], ylt[column][mean], n_periods, np.flatnonzero(present))]
        if n_samples:
            calcs.append((2, k, x, n_periods * n_samples, None))
            # 3: wheatsheaf mean, the i-th largest per-sample values averaged over samples (absent = 0)
            o = np.lexsort((-x, s, k))
            first = np.concatenate([[True], (k[o][1:] != k[o][:-1]) | (s[o][1:] != s[o][:-1])])
            rank = np.arange(o.size) - np.maximum.accumulate(np.where(first, np.arange(o.size), 0))
            code, inverse = np.unique(k[o] * (n_periods + 1) + rank, return_inverse=True)
            calcs.append((3, code // (n_periods + 1), np.bincount(inverse, x[o], code.size) / n_samples, n_periods, None))
            # 4: sample mean, per period the mean over samples
            code, inverse = np.unique(k * (n_periods + 1) + p, return_inverse=True)
            calcs.append((4, code // (n_periods + 1), np.bincount(inverse, x, code.size) / n_samples, n_periods, None))
            c, rp, loss, tvar = ep_points(k * (n_samples + 1) + s, x, n_periods, rps)
            psept.append(_ep_frame(c // (n_samples + 1), rp, loss, tvar, ep_type, "SampleId", c % (n_samples + 1)))
        for calc, curve, values, n_trials, curves in calcs:
            c, rp, loss, tvar = ep_points(curve, values, n_trials, rps, curves)
            ept.append(_ep_frame(c, rp, loss, tvar, ep_type, "EPCalc", np.full(c.size, calc)))
    return {"ept": _concat(ept, ("key", "EPCalc", "EPType", "-ReturnPeriod")),
            "psept": _concat(psept, ("key", "SampleId", "EPType", "-ReturnPeriod"))}


def _ep_frame(key, rp, loss, tvar, ep_type, label, label_values):
    both = lambda a, b: np.concatenate([a, b])  # noqa: E731
    return {"key": both(key, key), label: both(label_values, label_values),
            "EPType": both(np.full(key.size, ep_type), np.full(key.size, ep_type + 1)),
            "ReturnPeriod": both(rp, rp), "Loss": both(loss, tvar)}


def _concat(parts, sort_by) -> dict:
    """Concatenate column dicts and sort rows by ``sort_by`` (a leading '-' sorts descending)."""
    if not parts:
        return {}
    out = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    keys = [-out[c[1:]] if c.startswith("-") else out[c] for c in reversed(sort_by)]
    order = np.lexsort(keys)
    return {c: v[order] for c, v in out.items()}


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


def _readme(run: RunData, sets, full_curve, return_periods, quantiles, confidence, notes) -> str:
    mean_mode = run.samples == 0
    lines = [
        f"{README_MARKER} of {run.folder.resolve()}",
        "",
        "Oasis ORD (Open Results Data) tables, perspective il (insured loss after policy terms), made by",
        "engine/ord.py with the rules of the Oasis tools eltpy, pltpy, aalpy and lecpy (oasislmf 2.5.8).",
        "",
        "Summary sets (one per key level; summary ids 1..n in key order, see il_S<n>_summary-info.csv):",
        *[f"  S{i}: {level} ({keys.size} keys)" for i, (level, keys) in enumerate(sets, 1)],
        "",
        f"Periods: {run.n_periods} (Qilu years {run.first_year}..{run.first_year + run.n_periods - 1}, "
        f"Period = year - {run.first_year - 1}), uniform PeriodWeight 1/{run.n_periods}.",
        "Each event occurs once: EventRate = 1/P; Year = Period, Month/Day = the event's day of year in a",
        "non-leap year (day 366 -> 31 December), Hour = Minute = 0. EventId = Qilu's event id (int64: ids",
        "of years >= 2148 exceed Oasis' int32).",
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
        "  MELT/MPLT MaxLoss: " + ("the max_loss column of elt.parquet." if run.elt is not None and "max_loss" in run.elt
                                 else "the largest of the analytical mean and the sampled losses of the event "
                                 "(Oasis: the maximum possible loss, sidx -5)."),
        "  FootprintExposure = exposure_value of elt.parquet (value of the key's risks in the footprint);",
        "  ImpactedExposure / MeanImpactedExposure / MaxImpactedExposure derived from it as Oasis does.",
        "  ALCT rows only for summaries with losses (aalpy also writes empty rows for unused summary ids).",
        "Floats are float64 (Oasis writes float32); CSV and Parquet hold the same values.",
    ]
    if mean_mode:
        lines += ["", "Mean mode (run.samples = 0): only SampleId -1, SampleType 1 and EPCalc 1 rows exist;",
                  "the QELT, QPLT, PSEPT and ALCT files are empty (header only)."]
    if notes:
        lines += [""] + notes
    return "\n".join(lines) + "\n"


def level_tables(run: RunData, return_periods=RETURN_PERIODS, quantiles=QUANTILES, confidence=0.95,
                 full_curve=False) -> dict:
    """Every ORD table of the run's keys as column dicts (``key`` in place of SummaryId)."""
    present = np.zeros(len(run.names), bool)   # keys with loss records (Oasis: in the summary stream)
    present[run.ylt["key"]] = True
    tables = {}
    if run.elt is not None and run.plt is not None:
        present[run.elt["key"]] = True
        tables.update(event_tables(run, quantiles))
    tables.update(aal_tables(run, present, confidence))
    tables.update(ep_tables(run, present, return_periods, full_curve))
    return tables


def export_ord(run_dir, out_dir=None, formats=("csv", "parquet"), return_periods=RETURN_PERIODS,
               quantiles=QUANTILES, confidence=0.95, full_curve=False) -> Path:
    """Write the ORD tables of a finished run folder; returns the output folder.

    Parameters
    ----------
    run_dir : path
        A finished Qilu run folder (has summary.json and ylt.parquet; elt.parquet and plt.parquet
        for the event and period tables).
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
    run = load_run(run_dir)
    final = Path(out_dir) if out_dir is not None else run.folder / "ord"
    readme = final / "README.txt"
    if final.exists() and not (readme.is_file() and readme.read_text().startswith(README_MARKER)):
        raise ExportError(f"{final} exists and is not a Qilu ORD export; choose another --out")
    n_keys, sets = len(run.names), summary_sets(run.names)
    notes = [] if run.elt is not None and run.plt is not None else [
        "elt.parquet or plt.parquet is missing (output.elt / output.plt off): the SELT, MELT, QELT, SPLT, "
        "MPLT and QPLT files are empty."]
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for n, (level, keys) in enumerate(sets, 1):
            stem = f"{PERSPECTIVE}_S{n}"
            info = summary_info(run.names, keys, run.sum_insured)
            if "csv" in formats:
                info.to_csv(tmp / f"{stem}_summary-info.csv", index=False)
            if "parquet" in formats:
                info.to_parquet(tmp / f"{stem}_summary-info.parquet", index=False)
            tables = level_tables(run.subset(keys), return_periods=rps, quantiles=quantiles,
                                  confidence=confidence, full_curve=full_curve)
            for name in COLUMNS:
                _write_table(_split_level(tables.get(name, {}), name, keys, n_keys), tmp / f"{stem}_{name}", formats)
            del tables
        (tmp / "README.txt").write_text(_readme(run, sets, full_curve, rps, quantiles, confidence, notes))
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
    parser = argparse.ArgumentParser(prog="qilu-export", description="Export a finished Qilu run folder to "
                                     "the Oasis ORD layout (il_S<n>_<table>.csv/.parquet, one summary set per key level).")
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
