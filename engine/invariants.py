"""Invariants checked on every chunk and run; a violation stops the run with its context.

Per chunk (:func:`check_chunk`, on the in-memory tables):

* losses are finite and >= 0;
* an event's loss on a key never exceeds the key's sum insured (payouts <= limits);
* (event, key) rows are unique, and each year's largest event <= its annual total;
* every key level adds up to the same event total as the first level (to rounding), so no loss is
  lost or counted twice in aggregation.

Per run (:func:`check_run`, on the written run folder before it is committed; tables a run did not
write are skipped):

* EP curves (``[gul_]ep_curves.parquet``, ``treaty/<name>/ep_curves.parquet``): finite, >= 0 and
  non-decreasing in return period per key and basis; OEP <= AEP at each return period;
* ``[gul_]summary.json``: metrics finite and >= 0, OEP/AEP points monotone with OEP <= AEP,
  TVaR 99% >= VaR 99% (the 100-year AEP), premium expected loss = AAL <= gross premium, subsidy
  parts add up to the gross premium, and each key level's AAL and sum insured add up to the
  portfolio's; ``[gul_]premiums.csv`` has the same keys and AALs and no negative amount;
* ELT / PLT / YLT: unique (event, key) / (year, sample, event, key) / (year, sample, key) rows,
  losses finite and >= 0, insured event losses <= the key's sum insured (ground-up ELT: <= the
  exposure value), a year's largest event <= its total, and the YLT reproduces summary.json's AALs;
* treaties (``treaty/<name>/``): ceded + net = gross expected loss, the layers add up to the ceded
  loss, gross = the subject's AAL, each layer's expected loss <= its annual limit, and at every
  return period ceded and net <= gross and ceded <= the program's total annual limit. (Per-trial
  rows are not written; :func:`engine.treaty.program.apply_program` checks ceded <= gross per trial.)
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from engine.keys import DIMENSIONS
from engine.tables import PREFIX


class InvariantError(RuntimeError):
    """A result that must not happen; the message gives peril, chunk, event and key."""


def _where(events, rows, i, key_names, perils, chunk) -> str:
    e = rows["event"][i]
    return (f"chunk years {chunk[0]}..{chunk[1]}, event {events.event_id[e]} (year {events.year[e]}, "
            f"peril {perils[events.peril[e]]}), key {key_names[rows['key'][i]]}")


def check_chunk(result, keys, perils, rel_tol: float = 1e-9) -> None:
    """Raise :class:`InvariantError` if a chunk's tables break an invariant (see module docstring)."""
    for perspective in result.event_rows:
        _check_perspective(result, perspective, keys, perils, rel_tol)


def _check_perspective(result, perspective, keys, perils, rel_tol) -> None:
    key_names, sum_insured = keys.names, keys.sum_insured
    ev, rows, yr = result.events, result.event_rows[perspective], result.year_rows[perspective]
    chunk = (int(result.years[0]), int(result.years[-1])) if len(result.years) else (0, 0)
    where = lambda i: f"{perspective}: " + _where(ev, rows, i, key_names, perils, chunk)  # noqa: E731
    losses = np.column_stack([rows["mean"], rows["samples"]])
    bad = ~np.isfinite(losses).all(axis=1) | (losses < 0).any(axis=1)
    if bad.any():
        raise InvariantError(f"negative or non-finite loss at {where(np.flatnonzero(bad)[0])}")
    # insured losses never exceed the sum insured; ground-up losses never exceed the exposure value
    cap = (sum_insured[rows["key"]] if perspective == "il" else rows["exposure"]) * (1 + rel_tol) + 1e-6
    over = (losses > cap[:, None]).any(axis=1)
    if over.any():
        i = np.flatnonzero(over)[0]
        raise InvariantError(f"loss {losses[i].max():.2f} exceeds its cap {cap[i]:.2f} at {where(i)}")
    code = rows["event"].astype(np.int64) * len(key_names) + rows["key"]
    if np.unique(code).size != code.size:
        raise InvariantError(f"duplicate (event, key) rows in chunk years {chunk}")
    if np.any(yr["max_event"] > yr["loss"] * (1 + rel_tol) + 1e-6):
        raise InvariantError(f"a year's largest event exceeds its annual total in chunk years {chunk}")
    _check_additivity(rows, keys, losses, where, rel_tol)


def _check_additivity(rows, keys, losses, where, rel_tol) -> None:
    """Every level partitions the risks, so each level's keys add up to the same event total."""
    levels = np.array(keys.levels)
    first = levels[0]
    groups = {lv: levels == lv for lv in dict.fromkeys(keys.levels) if lv != first}
    portfolio = levels == first
    event = rows["event"]
    n_events = int(event.max()) + 1 if event.size else 0
    total = np.zeros((n_events, losses.shape[1]))
    is_port = portfolio[rows["key"]]
    total[event[is_port]] = losses[is_port]
    for name, mask in groups.items():
        part = np.zeros_like(total)
        sel = mask[rows["key"]]
        np.add.at(part, event[sel], losses[sel])
        gap = np.abs(part - total) > rel_tol * np.maximum(np.abs(total), 1.0) + 1e-3
        if gap.any():
            e = np.flatnonzero(gap.any(axis=1))[0]
            i = np.flatnonzero((event == e) & is_port)
            i = i[0] if i.size else np.flatnonzero(event == e)[0]
            raise InvariantError(f"'{name}' keys do not add up to '{first}' keys ({part[e].max():.2f} vs "
                                 f"{total[e].max():.2f}) at {where(i)}")


# ----------------------------------------------------------------------------------------------
# run level: the written run folder
# ----------------------------------------------------------------------------------------------

ATOL = 1e-6       # CNY: slack for amounts that should be exactly equal or zero
SUM_REL = 1e-6    # sums over keys, or a table re-summed in another order: rounding only


def check_run(path: Path, perspectives=("il",), rel_tol: float = 1e-9) -> None:
    """Raise :class:`InvariantError` if the run folder ``path`` breaks a run invariant.

    Parameters
    ----------
    path : Path
        The run folder (during a run its temporary folder, before it is committed).
    perspectives : sequence of str
        Perspectives whose files to check (``il``: ``summary.json``, ``elt.parquet``, ...; ``gul``:
        the same with the prefix ``gul_``).
    rel_tol : float
        Relative tolerance of exact relations (monotone curves, OEP <= AEP, losses <= caps); sums over
        keys or layers allow SUM_REL.

    Raises
    ------
    InvariantError
        With the file, key and return period, event or row of the first violation found.
    """
    path = Path(path)
    summaries = {}
    for perspective in perspectives:
        prefix = PREFIX[perspective]
        summaries[perspective] = summary = _read_summary(path, f"{prefix}summary.json")
        _check_summary(f"{prefix}summary.json", summary, rel_tol)
        _check_premiums(path, f"{prefix}premiums.csv", summary, rel_tol)
        _check_ep_file(path, f"{prefix}ep_curves.parquet", rel_tol)
        caps = {k: summary[k]["sum_insured"] for k in _keys(summary)} if perspective == "il" else None
        _check_ylt(path, f"{prefix}ylt.parquet", summary, rel_tol)
        _check_elt(path, f"{prefix}elt.parquet", caps, rel_tol)
        _check_plt(path, f"{prefix}plt.parquet", caps, rel_tol)
    treaties = sorted(p for p in (path / "treaty").glob("*") if p.is_dir())
    if treaties:
        subject = summaries.get("il") or _read_summary(path, "summary.json")
        for folder in treaties:
            _check_treaty(path, folder, subject, rel_tol)


def _exceeds(a, b, rel_tol):
    """``a > b`` beyond rounding (``rel_tol`` of the larger magnitude, plus ATOL)."""
    return a > b + rel_tol * np.maximum(np.abs(a), np.abs(b)) + ATOL


def _differ(a, b, rel_tol):
    return _exceeds(a, b, rel_tol) | _exceeds(b, a, rel_tol)


def _bad(values, atol: float = 0.0):
    """Negative (below ``-atol``) or non-finite (nan, inf) amounts."""
    values = np.asarray(values, float)
    return ~np.isfinite(values) | (values < -atol)


def _first(mask):
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _keys(summary: dict) -> list:
    return [k for k in summary if not k.startswith("_")]


def _read_summary(path: Path, name: str) -> dict:
    if not (path / name).is_file():
        raise InvariantError(f"{name}: missing from the run folder {path}")
    return json.loads((path / name).read_text())


def _read_table(path: Path, name: str, columns) -> dict | None:
    """Only ``columns`` of a Parquet table as arrays (text as pandas Categoricals: light and fast to
    group), or None when the run did not write it."""
    import pyarrow.parquet as pq

    if not (path / name).is_file():
        return None
    missing = set(columns) - set(pq.read_schema(path / name).names)
    if missing:
        raise InvariantError(f"{name}: missing columns {sorted(missing)}")
    text = [c for c in columns if c in ("key", "basis")]
    table = pq.read_table(path / name, columns=list(columns), read_dictionary=text)
    return {c: table.column(c).to_pandas().array if c in text else table.column(c).to_numpy() for c in columns}


def _key_codes(column):
    """(int64 code per row, key names) of a categorical or plain text column."""
    codes, names = pd.factorize(column)
    return codes.astype(np.int64), [str(k) for k in names]


def _first_repeat(columns):
    """Index of the first row (in file order) equal in every column to an earlier row, or None."""
    n = len(columns[0])
    code = np.zeros(n, np.int64)
    for column in columns:   # one int64 per row, equal exactly when the rows are equal
        c, uniques = pd.factorize(column)
        if code.size and (int(code.max()) + 1) * max(len(uniques), 1) >= 2**62:
            code = pd.factorize(code)[0].astype(np.int64)
        code = code * max(len(uniques), 1) + c
    order = np.argsort(code, kind="stable")   # equal codes keep file order
    sorted_code = code[order]
    repeats = order[1:][sorted_code[1:] == sorted_code[:-1]]
    return int(repeats.min()) if repeats.size else None


def _level(name: str):
    """The key level of a key name (``product/a/county/1`` -> ``product/county``); None if unclear."""
    if name == "portfolio":
        return name
    parts = name.split("/")
    dims = parts[0::2]
    return "/".join(dims) if len(parts) % 2 == 0 and set(dims) <= set(DIMENSIONS) else None


# --- summary.json and premiums.csv ------------------------------------------------------------

def _check_summary(name: str, summary: dict, rel_tol: float) -> None:
    names = _keys(summary)
    if not names:
        return
    rows = [summary[k] for k in names]
    where = lambda i: f"{name}: key '{names[i]}'"
    amounts = {m: np.array([r.get(m, np.nan) for r in rows], float) for m in ("aal", "tvar_99", "sum_insured")}
    amounts |= {f"premium {m}": np.array([r.get("premium", {}).get(m, np.nan) for r in rows], float)
                for m in ("expected_loss", "expenses", "gross")}
    for metric, values in amounts.items():
        if (i := _first(_bad(values, ATOL if metric.startswith("premium") else 0.0))) is not None:
            raise InvariantError(f"{where(i)} {metric} is {float(values[i])!r}; it must be finite and >= 0")
    load = np.array([r.get("premium", {}).get("risk_load", 0.0) for r in rows], float)
    if (i := _first(~np.isfinite(load))) is not None:   # its sign is the pricing principle's
        raise InvariantError(f"{where(i)} premium risk_load is {float(load[i])!r}; it must be finite")
    se = np.array([r.get("aal_se", np.nan) for r in rows], float)
    one_trial = np.array([r.get("n_years", 2) for r in rows]) <= 1     # a single trial has no SE
    if (i := _first(_bad(se) & ~(one_trial & np.isnan(se)))) is not None:
        raise InvariantError(f"{where(i)} aal_se is {float(se[i])!r}; it must be finite and >= 0")
    _check_points(where, rows, amounts["tvar_99"], rel_tol)
    _check_premium(where, rows, amounts, rel_tol)
    _check_levels(name, names, amounts)


def _check_points(where, rows, tvar, rel_tol) -> None:
    """The summary's OEP / AEP points: finite, >= 0, monotone, OEP <= AEP, and TVaR 99% >= VaR 99%."""
    periods = sorted(rows[0].get("aep", {}), key=float)
    curves = {b: np.array([[r.get(b.lower(), {}).get(t, np.nan) for t in periods] for r in rows], float)
              .reshape(len(rows), -1) for b in ("OEP", "AEP")}
    for basis, c in curves.items():
        if (i := _first(_bad(c).any(axis=1))) is not None:
            j = _first(_bad(c[i]))
            raise InvariantError(f"{where(i)} {basis} loss at {periods[j]} yr is {float(c[i, j])!r}; "
                                 "it must be finite and >= 0")
        falls = _exceeds(c[:, :-1], c[:, 1:], rel_tol)
        if (i := _first(falls.any(axis=1))) is not None:
            j = _first(falls[i])
            raise InvariantError(f"{where(i)} {basis} loss falls from {c[i, j]:.6g} at {periods[j]} yr to "
                                 f"{c[i, j + 1]:.6g} at {periods[j + 1]} yr")
    over = _exceeds(curves["OEP"], curves["AEP"], rel_tol)
    if (i := _first(over.any(axis=1))) is not None:
        j = _first(over[i])
        raise InvariantError(f"{where(i)} OEP {curves['OEP'][i, j]:.6g} exceeds AEP {curves['AEP'][i, j]:.6g} "
                             f"at {periods[j]} yr")
    if "100" in periods:   # VaR 99% is the 100-year AEP loss (engine.metrics.var_quantile)
        var = curves["AEP"][:, periods.index("100")]
        if (i := _first(_exceeds(var, tvar, rel_tol))) is not None:
            raise InvariantError(f"{where(i)} TVaR 99% {tvar[i]:.6g} is below VaR 99% "
                                 f"(AEP 100 yr) {var[i]:.6g}")


def _check_premium(where, rows, amounts, rel_tol) -> None:
    aal, expected, gross = amounts["aal"], amounts["premium expected_loss"], amounts["premium gross"]
    if (i := _first(_differ(expected, aal, rel_tol))) is not None:
        raise InvariantError(f"{where(i)} premium expected loss {expected[i]:.6g} differs from its AAL {aal[i]:.6g}")
    if (i := _first(_exceeds(expected, gross, rel_tol))) is not None:
        raise InvariantError(f"{where(i)} gross premium {gross[i]:.6g} is below its expected loss {expected[i]:.6g}")
    for i, r in enumerate(rows):
        parts = r["premium"].get("subsidy")
        if not parts:
            continue
        shares = np.array(list(parts.values()), float)
        if _bad(shares).any() or _differ(shares.sum(), gross[i], SUM_REL):   # shares add to 1 within 1e-9
            raise InvariantError(f"{where(i)} subsidy parts {parts} do not add up to the gross premium {gross[i]:.6g}")


def _check_levels(name, names, amounts) -> None:
    """Each key level partitions the portfolio, so its keys' AALs and sums insured add up to the portfolio's."""
    levels = [_level(k) for k in names]
    if "portfolio" not in levels or None in levels:
        return
    levels = np.array(levels)
    top = levels == "portfolio"
    for level in dict.fromkeys(levels[~top]):
        sel = levels == level
        for metric in ("aal", "sum_insured"):
            total, portfolio = amounts[metric][sel].sum(), amounts[metric][top].sum()
            if _differ(total, portfolio, SUM_REL):
                raise InvariantError(f"{name}: the '{level}' keys' {metric} add up to {total:.9g}, "
                                     f"not the portfolio's {portfolio:.9g}")


PREMIUM_REQUIRED = ("sum_insured", "aal", "expected_loss", "gross")


def _check_premiums(path: Path, name: str, summary: dict, rel_tol: float) -> None:
    if not (path / name).is_file():
        return
    frame = pd.read_csv(path / name)
    keys = frame["key"].astype(str).tolist()
    if len(set(keys)) != len(keys) or set(keys) != set(_keys(summary)):
        odd = sorted(set(keys) ^ set(_keys(summary))) or [k for k in keys if keys.count(k) > 1]
        raise InvariantError(f"{name}: its keys are not the summary's (once each), e.g. {odd[:3]}")
    for column in frame.columns:
        if column == "county" or not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column].to_numpy(float)
        bad = np.isinf(values) | (values < -ATOL)   # nan: an amount the key does not have (subsidy, mu, rate)
        if column == "risk_load":                   # its sign is the pricing principle's
            bad = np.isinf(values)
        if column in PREMIUM_REQUIRED:
            bad |= np.isnan(values)
        if (i := _first(bad)) is not None:
            raise InvariantError(f"{name}: row {i + 2}, key '{keys[i]}': {column} is {float(values[i])!r}; "
                                 "it must be finite and >= 0")
    aal = frame["aal"].to_numpy(float)
    expected = np.array([summary[k]["aal"] for k in keys], float)
    if (i := _first(_differ(aal, expected, rel_tol))) is not None:
        raise InvariantError(f"{name}: row {i + 2}, key '{keys[i]}': aal {aal[i]:.9g} differs from the "
                             f"summary's {expected[i]:.9g}")


# --- EP curves --------------------------------------------------------------------------------

def _check_ep_file(path: Path, name: str, rel_tol: float) -> None:
    t = _read_table(path, name, ["key", "basis", "return_period", "loss"])
    if t is not None:
        _check_curves(name, "key ", t["key"], t["basis"], t["return_period"], t["loss"], rel_tol)


def _check_curves(name, what, labels, basis, period, loss, rel_tol, oep_le_aep=None) -> None:
    """Loss >= 0 and non-decreasing in return period per (label, basis); OEP <= AEP per (label,
    period) for the labels in ``oep_le_aep`` (all when None)."""
    lc, label_names = _key_codes(labels)
    bc, basis_names = _key_codes(basis)
    period, loss = np.asarray(period, float), np.asarray(loss, float)
    order = np.lexsort((period, bc, lc))     # each curve's points in increasing return period
    lc, bc, period, loss = lc[order], bc[order], period[order], loss[order]
    where = lambda i: f"{name}: {what}'{label_names[lc[i]]}' {basis_names[bc[i]]}"
    if (i := _first(_bad(loss) | ~(period > 0))) is not None:
        raise InvariantError(f"{where(i)} loss at {period[i]:g} yr is {float(loss[i])!r}; it must be finite and >= 0")
    same = (lc[1:] == lc[:-1]) & (bc[1:] == bc[:-1])
    if (i := _first(same & _exceeds(loss[:-1], loss[1:], rel_tol))) is not None:
        raise InvariantError(f"{where(i)} loss falls from {loss[i]:.6g} at {period[i]:g} yr to "
                             f"{loss[i + 1]:.6g} at {period[i + 1]:g} yr")
    if "OEP" not in basis_names or "AEP" not in basis_names:
        return
    keep = np.ones(len(label_names), bool) if oep_le_aep is None else np.isin(label_names, list(oep_le_aep))
    o = np.flatnonzero((bc == basis_names.index("OEP")) & keep[lc])
    a = np.flatnonzero((bc == basis_names.index("AEP")) & keep[lc])
    if o.size != a.size or np.any(lc[o] != lc[a]) or np.any(period[o] != period[a]):   # unaligned: join
        pairs = pd.DataFrame({"label": lc[o], "period": period[o], "o": o}).merge(
            pd.DataFrame({"label": lc[a], "period": period[a], "a": a}), on=["label", "period"])
        o, a = pairs["o"].to_numpy(), pairs["a"].to_numpy()
    if (j := _first(_exceeds(loss[o], loss[a], rel_tol))) is not None:
        i = o[j]
        raise InvariantError(f"{name}: {what}'{label_names[lc[i]]}' OEP {loss[i]:.6g} exceeds AEP "
                             f"{loss[a[j]]:.6g} at {period[i]:g} yr")


# --- loss tables ------------------------------------------------------------------------------

def _caps(name, key_names, caps):
    """float64[K]: the sum insured of each key of a table (caps: key -> sum insured)."""
    unknown = [k for k in key_names if k not in caps]
    if unknown:
        raise InvariantError(f"{name}: key '{unknown[0]}' is not a key of the summary")
    return np.array([caps[k] for k in key_names], float)


def _check_losses(where, t, columns) -> None:
    for column in columns:
        values = np.asarray(t[column], float)
        if (i := _first(_bad(values))) is not None:
            raise InvariantError(f"{where(i)}: {column} is {float(values[i])!r}; it must be finite and >= 0")


def _check_unique(where, t, columns) -> None:
    if (i := _first_repeat([t[c] for c in columns])) is not None:
        raise InvariantError(f"{where(i)}: duplicate ({', '.join(columns)}) row")


def _check_cap(where, loss, cap, column, what, rel_tol) -> None:
    if (i := _first(_exceeds(loss, cap, rel_tol))) is not None:
        raise InvariantError(f"{where(i)}: {column} {loss[i]:.6g} exceeds {what} {cap[i]:.6g}")


def _check_elt(path, name, caps, rel_tol) -> None:
    t = _read_table(path, name, ["event_id", "key", "mean_loss", "sd_loss", "exposure_value"])
    if t is None:
        return
    codes, key_names = _key_codes(t["key"])
    event = t["event_id"]
    where = lambda i: f"{name}: row {i}, event {event[i]}, key '{key_names[codes[i]]}'"
    _check_losses(where, t, ["mean_loss", "sd_loss", "exposure_value"])
    loss = np.asarray(t["mean_loss"], float)
    if caps is not None:
        _check_cap(where, loss, _caps(name, key_names, caps)[codes], "mean_loss", "the key's sum insured", rel_tol)
    else:
        _check_cap(where, loss, np.asarray(t["exposure_value"], float), "mean_loss", "the exposure value", rel_tol)
    _check_unique(where, t, ["event_id", "key"])


def _check_plt(path, name, caps, rel_tol) -> None:
    t = _read_table(path, name, ["year", "sample", "event_id", "key", "loss"])
    if t is None:
        return
    codes, key_names = _key_codes(t["key"])
    year, sample, event = t["year"], t["sample"], t["event_id"]
    where = lambda i: (f"{name}: row {i}, year {year[i]}, sample {sample[i]}, event {event[i]}, "
                       f"key '{key_names[codes[i]]}'")
    _check_losses(where, t, ["loss"])
    if caps is not None:
        _check_cap(where, np.asarray(t["loss"], float), _caps(name, key_names, caps)[codes], "loss",
                   "the key's sum insured", rel_tol)
    _check_unique(where, t, ["year", "sample", "event_id", "key"])


def _check_ylt(path, name, summary, rel_tol) -> None:
    t = _read_table(path, name, ["year", "sample", "key", "loss", "max_event_loss"])
    if t is None:
        return
    codes, key_names = _key_codes(t["key"])
    year, sample = t["year"], t["sample"]
    where = lambda i: f"{name}: row {i}, year {year[i]}, sample {sample[i]}, key '{key_names[codes[i]]}'"
    _check_losses(where, t, ["loss", "max_event_loss"])
    loss, largest = np.asarray(t["loss"], float), np.asarray(t["max_event_loss"], float)
    _check_cap(where, largest, loss, "max_event_loss", "the annual total", rel_tol)
    _check_unique(where, t, ["year", "sample", "key"])
    run = summary.get("_run", {})
    if "n_years" not in run:
        return
    samples = int(run.get("samples", 0))
    trials = (sample > 0) if samples else (sample == -1)   # as engine.summary.trial_rows
    n_trials = run["n_years"] * max(samples, 1)
    aal = np.bincount(codes[trials], weights=loss[trials], minlength=len(key_names)) / n_trials
    expected = np.array([summary.get(k, {}).get("aal", np.nan) for k in key_names], float)
    if (k := _first(_differ(aal, expected, SUM_REL) & ~np.isnan(expected))) is not None:
        raise InvariantError(f"{name}: key '{key_names[k]}' AAL {aal[k]:.9g} from the table differs from the "
                             f"summary's {expected[k]:.9g}")


# --- treaties ---------------------------------------------------------------------------------

LAYER_AMOUNTS = ("expected_loss", "pure_premium", "technical_premium", "gross_premium",
                 "expected_reinstatement_premium", "p_attach", "p_exhaust")


def _check_treaty(path: Path, folder: Path, summary: dict, rel_tol: float) -> None:
    base = folder.relative_to(path).as_posix()
    layers = pd.read_csv(folder / "layers.csv") if (folder / "layers.csv").is_file() else None
    if layers is not None:
        _check_layers(f"{base}/layers.csv", layers, rel_tol)
    if (folder / "treaty.json").is_file():
        _check_totals(f"{base}/treaty.json", json.loads((folder / "treaty.json").read_text()), layers, summary)
    limit = _annual_limits(layers).sum() if layers is not None else np.inf
    _check_treaty_ep(path, f"{base}/ep_curves.parquet", limit, rel_tol)


def _annual_limits(layers) -> np.ndarray:
    """Most each layer can pay in a year; a per-risk XL without reinstatements pays ``limit`` per
    risk and event without an annual cap, and layers.csv does not say which it is."""
    limit = layers["annual_limit"].to_numpy(float)
    return np.where(layers["type"].astype(str).to_numpy() == "per_risk_xl", np.inf, limit)


def _check_layers(name, layers, rel_tol) -> None:
    where = lambda i: f"{name}: layer '{layers['layer'].iloc[i]}'"
    for column in LAYER_AMOUNTS:
        if column in layers and (i := _first(_bad(layers[column], ATOL))) is not None:
            raise InvariantError(f"{where(i)} {column} is {float(layers[column].iloc[i])!r}; "
                                 "it must be finite and >= 0")
    p_attach, p_exhaust = layers["p_attach"].to_numpy(float), layers["p_exhaust"].to_numpy(float)
    if (i := _first((p_attach > 1) | (p_exhaust > p_attach))) is not None:
        raise InvariantError(f"{where(i)} p_attach {float(p_attach[i])!r} and p_exhaust {float(p_exhaust[i])!r} "
                             "must satisfy p_exhaust <= p_attach <= 1")
    expected, limit = layers["expected_loss"].to_numpy(float), _annual_limits(layers)
    if (i := _first(_exceeds(expected, limit, rel_tol))) is not None:
        raise InvariantError(f"{where(i)} expected loss {expected[i]:.6g} exceeds its annual limit {limit[i]:.6g}")


def _check_totals(name, doc, layers, summary) -> None:
    """ceded + net = gross expected loss; the layers add up to ceded; gross = the subject's AAL."""
    totals = doc.get("totals", {})
    el = {part: totals.get(part, {}).get("expected_loss") for part in ("gross", "ceded", "net")}
    tvar = {part: totals.get(part, {}).get("tvar_99") for part in ("gross", "ceded", "net")}
    for metric, values in (("expected loss", el), ("TVaR 99%", tvar)):
        for part, value in values.items():
            if value is None or _bad(value):
                raise InvariantError(f"{name}: {part} {metric} is {value!r}; it must be finite and >= 0")
    gross, ceded, net = el["gross"], el["ceded"], el["net"]
    if _differ(ceded + net, gross, SUM_REL):
        raise InvariantError(f"{name}: ceded {ceded:.9g} + net {net:.9g} = {ceded + net:.9g} expected loss, "
                             f"not the gross {gross:.9g}")
    if layers is not None and _differ(layers["expected_loss"].sum(), ceded, SUM_REL):
        raise InvariantError(f"{name}: the layers' expected losses add up to {layers['expected_loss'].sum():.9g}, "
                             f"not the ceded {ceded:.9g}")
    for part in ("ceded", "net"):
        if _exceeds(tvar[part], tvar["gross"], SUM_REL):
            raise InvariantError(f"{name}: {part} TVaR 99% {tvar[part]:.9g} exceeds the gross {tvar['gross']:.9g}")
    subject = (summary or {}).get(doc.get("subject"))
    if subject is not None and _differ(gross, subject["aal"], SUM_REL):
        raise InvariantError(f"{name}: gross expected loss {gross:.9g} differs from the AAL {subject['aal']:.9g} "
                             f"of its subject '{doc['subject']}' in summary.json")


def _check_treaty_ep(path, name, limit, rel_tol) -> None:
    if not (path / name).is_file():
        return
    t = pd.read_parquet(path / name)
    parts = [c for c in ("gross", "ceded", "net") if c in t]
    long = t.melt(id_vars=["return_period", "curve"], value_vars=parts, var_name="part", value_name="loss")
    # net OEP counts event layers only, so it may exceed a net AEP cut by an aggregate cover
    _check_curves(name, "", long["part"], long["curve"], long["return_period"], long["loss"], rel_tol,
                  oep_le_aep=("gross", "ceded"))
    period, curve = t["return_period"].to_numpy(float), t["curve"].astype(str).to_numpy()
    gross = t["gross"].to_numpy(float)
    for part in ("ceded", "net"):
        values = t[part].to_numpy(float)
        if (i := _first(_exceeds(values, gross, rel_tol))) is not None:
            raise InvariantError(f"{name}: {part} {curve[i]} {values[i]:.6g} exceeds the gross {gross[i]:.6g} "
                                 f"at {period[i]:g} yr")
    ceded = t["ceded"].to_numpy(float)
    if (i := _first(_exceeds(ceded, np.full(ceded.size, limit), rel_tol))) is not None:
        raise InvariantError(f"{name}: ceded {curve[i]} {ceded[i]:.6g} at {period[i]:g} yr exceeds the layers' "
                             f"total annual limit {limit:.6g}")
