"""ORD event and period tables: SELT, MELT, QELT, SPLT, MPLT, QPLT (eltpy/pltpy rules)."""
from __future__ import annotations


import numpy as np

from engine.ord.run import _MONTH_START, QUANTILES, ExportError, RunData


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
    pos, found = _find(code, plt["event_id"][sampled] * n_keys + plt["key"][sampled])
    if not found.all():
        raise ExportError("plt.parquet has sample losses for an (event_id, key) missing from elt.parquet")
    losses = np.zeros((code.size, run.samples))
    losses[pos, plt["sample"][sampled].astype(np.int64) - 1] = plt["loss"][sampled]
    at, known = _find(run.occurrence["event_id"], rows["event_id"])
    rows["period"] = np.where(known, run.occurrence["period"][at], 0)
    rows["doy"] = np.where(known, run.occurrence["doy"][at], 1)
    return rows, losses, known


def _find(table, values):
    """Positions of ``values`` in the sorted unique ``table`` and whether each is there."""
    if table.size == 0:
        return np.zeros(values.size, np.int64), np.zeros(values.size, bool)
    at = np.minimum(np.searchsorted(table, values), table.size - 1)
    return at, table[at] == values


def _source_events(run: RunData, rows, losses, max_loss):
    """Event ids of the ORD tables, the ELT's rows and their EventRate.

    An imported Oasis event occurring in several periods is one Qilu event per occurrence, all with
    its ``source_event_id`` and the same losses: ORD EventId is that id, the ELT has one row per
    (source event, key) and EventRate = occurrences / P (as the model's event rates). If the
    occurrences' losses differ, Qilu's own event ids are kept (EventRate 1/P) and a note says so.
    """
    source, note = rows["source_event_id"], None
    if np.array_equal(source, rows["event_id"]):
        return rows["event_id"], np.arange(source.size), np.full(source.size, 1.0 / run.n_periods), None
    order = np.lexsort((rows["event_id"], rows["key"], source))
    first = np.ones(order.size, bool)
    first[1:] = (source[order][1:] != source[order][:-1]) | (rows["key"][order][1:] != rows["key"][order][:-1])
    lead = order[first][np.cumsum(first) - 1]             # each row's first occurrence
    columns = (rows["mean_loss"], rows["exposure_value"], max_loss)
    if all(np.array_equal(c[order], c[lead]) for c in columns) and np.array_equal(losses[order], losses[lead]):
        ids, counts = np.unique(run.occurrence["source_event_id"], return_counts=True)
        rate = counts[_find(ids, source)[0]] / run.n_periods
        return source, order[first], rate, None
    note = ("The occurrences of some source (Oasis) events have different losses: ORD EventIds are Qilu's "
            "event ids (one per occurrence), not the source event ids.")
    return rows["event_id"], np.arange(source.size), np.full(source.size, 1.0 / run.n_periods), note


def _dates(doy):
    """Month and day of a non-leap year for day of year 1..366 (366 -> 31 December)."""
    day0 = np.clip(np.asarray(doy, np.int64), 1, 365) - 1
    month = np.searchsorted(_MONTH_START, day0, side="right")
    return month, day0 - _MONTH_START[month - 1] + 1


def _with_samples(sel, mean, losses):
    """Loss records of the rows ``sel`` (in that order): the -1 row, then each positive sample.
    Returns row, SampleId and Loss arrays."""
    sub = losses[sel]
    r, s = np.nonzero(sub)
    pos = np.concatenate([np.arange(sel.size), r])
    sample = np.concatenate([np.full(sel.size, -1), s + 1])
    order = np.lexsort((sample, pos))
    return sel[pos[order]], sample[order], np.concatenate([mean[sel], sub[r, s]])[order]


def event_tables(run: RunData, quantiles=QUANTILES) -> dict:
    """SELT, MELT, QELT, SPLT, MPLT, QPLT rows for every key (column ``key`` for SummaryId).

    Per ELT row (event e, key k) with analytical mean m, exposure x, samples L[1..Q]:
    SELT/SPLT row -1 (Loss m, ImpactedExposure x if m != 0 else 0) and one row per L_s > 0;
    MELT (if x > 0) type 1 (m, SD 0, ChanceOfLoss 0, impacted x, x) and type 2 (mean of L,
    SD with divisor Q-1, ChanceOfLoss = #(L>0)/Q, impacted x*ChanceOfLoss, x if any L>0 else 0);
    MPLT type 1 if m > 0 and type 2 if any L > 0 (no exposure test, as pltpy); QELT (if x > 0)
    and QPLT (every row) the numpy-linear quantiles of L. MaxLoss: ``max_loss`` of elt.parquet
    if present, else max(m, max L). The PLT tables have one row per occurrence (Qilu event) and
    the ELT tables one per event (see :func:`_source_events`). Also returns ``notes`` (list of str).
    """
    rows, losses, known = _event_rows(run)
    n_rows, n_samples, n_periods = losses.shape[0], run.samples, run.n_periods
    mean, exposure = rows["mean_loss"], rows["exposure_value"]
    if "max_loss" in rows:
        max_loss = rows["max_loss"]
    else:
        max_loss = np.maximum(mean, losses.max(axis=1)) if n_samples else mean.copy()
    event, elt_rows, rate, note = _source_events(run, rows, losses, max_loss)
    index = np.arange(n_rows)
    plt_rows = index[known][np.lexsort((rows["key"][known], rows["event_id"][known], event[known],
                                        rows["period"][known]))]

    def period_columns(r):
        month, day = _dates(rows["doy"][r])
        return {"Period": rows["period"][r], "PeriodWeight": np.full(r.size, 1.0 / n_periods), "EventId": event[r],
                "Year": rows["period"][r], "Month": month, "Day": day, "Hour": np.zeros(r.size, np.int64),
                "Minute": np.zeros(r.size, np.int64)}

    out = {"notes": [note] if note else []}
    for table, sel in (("selt", elt_rows), ("splt", plt_rows)):
        r, sample, loss = _with_samples(sel, mean, losses)
        head = {"EventId": event[r]} if table == "selt" else period_columns(r)
        out[table] = {**head, "key": rows["key"][r], "SampleId": sample, "Loss": loss,
                      "ImpactedExposure": np.where(loss != 0, exposure[r], 0.0)}

    chance = np.count_nonzero(losses > 0, axis=1) / n_samples if n_samples else np.zeros(n_rows)
    sample_mean = losses.mean(axis=1) if n_samples else np.zeros(n_rows)
    sample_sd = losses.std(axis=1, ddof=1) if n_samples > 1 else np.zeros(n_rows)
    stats = {  # per sample type: ChanceOfLoss, MeanLoss, SDLoss, MeanImpactedExposure, MaxImpactedExposure
        1: (np.zeros(n_rows), mean, np.zeros(n_rows), exposure, exposure),
        2: (chance, sample_mean, sample_sd, exposure * chance, np.where(chance > 0, exposure, 0.0)),
    }
    types = (1, 2) if n_samples else (1,)
    for table, sel, masks in (("melt", elt_rows, {1: exposure > 0, 2: exposure > 0}),
                              ("mplt", plt_rows, {1: mean > 0, 2: chance > 0})):
        r = np.repeat(sel, len(types))
        kind = np.tile(np.array(types), sel.size)
        keep = np.where(kind == 1, masks[1][r], masks[2][r])
        r, kind = r[keep], kind[keep]
        pick = lambda i: np.where(kind == 1, stats[1][i][r], stats[2][i][r])  # noqa: E731
        head = ({"EventId": event[r], "SampleType": kind, "EventRate": rate[r]} if table == "melt"
                else {**period_columns(r), "SampleType": kind})
        out[table] = {**head, "key": rows["key"][r], "ChanceOfLoss": pick(0), "MeanLoss": pick(1),
                      "SDLoss": pick(2), "MaxLoss": max_loss[r], "FootprintExposure": exposure[r],
                      "MeanImpactedExposure": pick(3), "MaxImpactedExposure": pick(4)}

    q = np.asarray(quantiles, np.float64)
    for table, sel in (("qelt", elt_rows[exposure[elt_rows] > 0]), ("qplt", plt_rows)):
        r = sel if n_samples else sel[:0]
        values = _sample_quantiles(losses[r], q) if n_samples else np.zeros((0, q.size))
        head = {"EventId": event[r]} if table == "qelt" else period_columns(r)
        out[table] = {**{c: np.repeat(v, q.size) for c, v in head.items()}, "key": np.repeat(rows["key"][r], q.size),
                      "Quantile": np.tile(q, r.size), "Loss": values.ravel()}
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


