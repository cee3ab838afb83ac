"""One chunk of simulated years: events -> kernels -> event-key and year-key loss tables.

:func:`run_chunk` is pure and picklable (inputs and years in, :class:`ChunkResult` out), so a local
loop and a distributed backend run the same code and get the same numbers.

Table layouts (columns as arrays, rows sorted by (year, event, key)):

* event-key rows: ``event`` int64 (chunk event index), ``key`` int32, ``mean`` float64 (analytical
  mean loss, CNY), ``var`` float64 (its delta-method variance), ``exposure`` float64 (CNY),
  ``samples`` float64[n, Q] (sampled losses; Q = 0 columns in mean mode);
* year-key rows (sorted by year, sample, key): ``year`` int64, ``sample`` int16 (-1 analytical, 1..Q), ``key`` int32, ``loss``
  (annual aggregate) and ``max_event`` (largest event loss), nonzero rows only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import dtypes
from engine.eventset import EventSet, combine
from engine.kernels import Footprint, neutral_crop_terms, occurrence_losses, season_losses_terms
from engine.plan import ChunkInputs


@dataclass(frozen=True)
class ChunkResult:
    """One chunk's events and, per perspective (``il``, ``gul``), its event-key and year-key rows."""

    years: np.ndarray
    events: EventSet
    event_rows: dict   # perspective -> event-key columns
    year_rows: dict    # perspective -> year-key columns
    basis: dict = None  # parametric covers: per (event, risk) payout and modelled indemnity
    carbon: dict = None  # carbon covers: per (year, plot) causes, tCO2e and losses; prices per year

    @property
    def nbytes(self) -> int:
        arrays = [a for rows in (*self.event_rows.values(), *self.year_rows.values()) for a in rows.values()]
        ev = self.events
        arrays += [ev.event_id, ev.year, ev.offsets, ev.site, ev.intensity]
        arrays += list((self.carbon or {}).values()) + list((self.basis or {}).values())
        return int(sum(a.nbytes for a in arrays))


def keep_sites(ev: EventSet, mask: np.ndarray) -> EventSet:
    """The event set with only the footprint entries at sites where ``mask`` is True (events kept,
    possibly with empty footprints, so event ids and counts do not change)."""
    keep = mask[ev.site]
    if keep.all():
        return ev
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    offsets = kept_before[ev.offsets].astype(dtypes.OFFSET)
    return EventSet(ev.event_id, ev.year, ev.doy, ev.peril, offsets, ev.site[keep], ev.intensity[keep], ev.perils,
                    ev.measures, ev.units, ev.attrs, None if ev.probability is None else ev.probability[keep],
                    ev.footprint_id)


def _lanes(perils) -> list:
    """Peril indices in two lanes for the two cores: the typhoon and the perils that draw on its
    storms (the flood peril) in one, after it; every other peril in the other."""
    linked = {i for i, p in enumerate(perils) if hasattr(p, "storm_footprints")}
    linked |= {i for i, p in enumerate(perils) if any(getattr(p, "typhoon", None) is perils[j] for j in linked)}
    lanes = [sorted(linked, key=lambda i: (not hasattr(perils[i], "storm_footprints"), i)),
             [i for i in range(len(perils)) if i not in linked]]
    return [lane for lane in lanes if lane]


def simulate_events(inputs: ChunkInputs, years: np.ndarray) -> EventSet:
    """All perils' events for ``years``, combined and sorted by (year, doy, event id).

    Perils run in two threads (their kernels release the GIL); each peril's events depend only on
    (seed, its stream, years), so the result is the same as one after the other."""
    names = tuple(p.name for p in inputs.perils)

    def one(index):
        ev = inputs.perils[index].events(years, inputs.sites, index, inputs.seed)
        if inputs.relevant is not None:
            ev = keep_sites(ev, inputs.relevant[index])
        return EventSet(ev.event_id, ev.year, ev.doy, np.full(ev.n_events, index, dtypes.PERIL), ev.offsets,
                        ev.site, ev.intensity, names, ev.measures, ev.units, ev.attrs, ev.probability, ev.footprint_id)

    parts = [None] * len(inputs.perils)
    lanes = _lanes(inputs.perils)
    if len(lanes) < 2:
        for i in range(len(parts)):
            parts[i] = one(i)
    else:
        from concurrent.futures import ThreadPoolExecutor

        def run_lane(lane):
            for i in lane:
                parts[i] = one(i)
        with ThreadPoolExecutor(max_workers=2) as pool:
            for f in [pool.submit(run_lane, lane) for lane in lanes]:
                f.result()
    return combine(parts)


def _reduce_rows(event, key, n_keys, columns):
    """Sum rows with equal (event, key); ``columns`` float arrays [n] or [n, Q]. Stable order."""
    code = event.astype(np.int64) * n_keys + key
    order = np.argsort(code, kind="stable")
    code = code[order]
    if code.size == 0:
        return code, [c[order] for c in columns]
    starts = np.flatnonzero(np.concatenate([[True], code[1:] != code[:-1]]))
    return code[starts], [np.add.reduceat(c[order], starts, axis=0) for c in columns]


def _kernel_rows(fp, inputs, ex, pol, n_samples, crop_rules=True):
    cv, n_keys = inputs.curves, inputs.n_keys
    occ = occurrence_losses(fp, ex, pol, cv, n_keys, inputs.seed, n_samples)
    crop = inputs.crop if inputs.crop is not None and crop_rules else neutral_crop_terms(ex.value.shape[0])
    sea = season_losses_terms(fp.year, fp.doy.astype(np.int64), occ[5], occ[6], occ[7], occ[8], ex, pol, crop, n_keys)
    event = np.concatenate([occ[0], sea[0]])
    key = np.concatenate([occ[1], sea[1]])
    return _reduce_rows(event, key, n_keys, [np.concatenate([occ[2], sea[2]]), np.concatenate([occ[3], sea[3]]),
                                             np.concatenate([occ[4], sea[4]])])


def footprint_record(events: EventSet, measures: tuple) -> Footprint:
    """The kernels' Footprint of an event set, intensity columns in the run's ``measures`` order."""
    cols = [events.measures.index(m) if m in events.measures else -1 for m in measures]
    intensity = np.zeros((events.n_entries, len(measures)), dtypes.INTENSITY)
    for j, c in enumerate(cols):
        if c >= 0:
            intensity[:, j] = events.intensity[:, c]
    return Footprint(events.event_id, events.year, events.doy, events.peril.astype(np.int32), events.offsets,
                     events.site, intensity, events.rng_ids, events.uncertain_events(), events.entry_probability)


def event_key_losses(fp: Footprint, inputs: ChunkInputs, ex, pol, crop_rules: bool = True) -> dict:
    """Run the kernels for one perspective: analytical mean always, samples when ``inputs.samples > 0``."""
    n_keys = inputs.n_keys
    code, (mean, var, exposure) = _kernel_rows(fp, inputs, ex, pol, 0, crop_rules)
    samples = np.zeros((code.size, 0))
    if inputs.samples > 0:
        s_code, (s_loss, _, _) = _kernel_rows(fp, inputs, ex, pol, inputs.samples, crop_rules)
        # both passes emit every (event, key) the footprint touches (exposure comes from the mean
        # pass); seasonal rows can differ, so align on the union of codes
        union = np.union1d(code, s_code)
        full = lambda c, x: _scatter(union, c, x)  # noqa: E731
        mean, var, exposure = full(code, mean[:, 0]), full(code, var), full(code, exposure)
        samples = full(s_code, s_loss)
        code = union
    else:
        mean = mean[:, 0]
    keep = (mean > 0) | (samples > 0).any(axis=1)
    event = code // n_keys
    return {"event": event[keep], "key": (code % n_keys).astype(dtypes.KEY)[keep], "mean": mean[keep],
            "var": var[keep], "exposure": exposure[keep], "samples": samples[keep]}


def _scatter(union, code, values):
    out = np.zeros((union.size,) + values.shape[1:])
    out[np.searchsorted(union, code)] = values
    return out


def year_key_losses(events: EventSet, rows: dict, n_samples: int) -> dict:
    """Annual aggregate and largest event loss per (year, sample, key) from event-key rows."""
    year = events.year[rows["event"]]
    blocks = [(-1, rows["mean"])] + [(q + 1, rows["samples"][:, q]) for q in range(n_samples)]
    out = {"year": [], "sample": [], "key": [], "loss": [], "max_event": []}
    for sample, loss in blocks:
        nz = loss > 0
        y, k, l = year[nz], rows["key"][nz], loss[nz]
        order = np.lexsort((k, y))
        y, k, l = y[order], k[order], l[order]
        if y.size == 0:
            continue
        starts = np.flatnonzero(np.concatenate([[True], (y[1:] != y[:-1]) | (k[1:] != k[:-1])]))
        out["year"].append(y[starts])
        out["key"].append(k[starts])
        out["sample"].append(np.full(starts.size, sample, np.int16))
        out["loss"].append(np.add.reduceat(l, starts))
        out["max_event"].append(np.maximum.reduceat(l, starts))
    dtypes_ = {"year": dtypes.YEAR, "sample": np.int16, "key": dtypes.KEY, "loss": np.float64, "max_event": np.float64}
    out = {c: (np.concatenate(v) if v else np.empty(0, dtypes_[c])) for c, v in out.items()}
    order = np.lexsort((out["key"], out["sample"], out["year"]))  # (year, sample, key): chunk-independent
    return {c: v[order] for c, v in out.items()}


def _add_rows(rows: dict, event, keys, loss, exposure, n_keys: int) -> dict:
    """Event-key rows with extra (event, key, loss, exposure) rows added; the extra losses are the same
    in every sample (no sampled uncertainty: index payouts, carbon covers)."""
    n_q = rows["samples"].shape[1]
    code, (mean, var, exp, samples) = _reduce_rows(
        np.concatenate([rows["event"], event]), np.concatenate([rows["key"], keys]), n_keys,
        [np.concatenate([rows["mean"], loss]), np.concatenate([rows["var"], np.zeros(loss.size)]),
         np.concatenate([rows["exposure"], exposure]),
         np.concatenate([rows["samples"], np.repeat(loss[:, None], n_q, axis=1)])])
    return {"event": code // n_keys, "key": (code % n_keys).astype(dtypes.KEY), "mean": mean,
            "var": var, "exposure": exp, "samples": samples}


def add_index_payouts(rows: dict, events: EventSet, inputs: ChunkInputs, ex, measures: tuple) -> dict:
    """Event-key rows with the parametric covers' payouts added (same in every sample: no uncertainty
    once the index is known)."""
    from engine.parametric import index_payouts

    par = inputs.parametric
    event, prisk, payout = index_payouts(events, par, measures)
    if event.size == 0:
        return rows
    n_up = ex.leaf_keys.shape[1]
    keys = ex.leaf_keys[par.leaf[prisk]].ravel()
    return _add_rows(rows, np.repeat(event, n_up), keys, np.repeat(payout, n_up),
                     np.repeat(par.limit[prisk], n_up), inputs.n_keys)


def add_carbon_losses(rows: dict, events: EventSet, carbon, losses: dict, ex, perspective: str,
                      n_keys: int) -> dict:
    """Event-key rows with the carbon covers' annual losses booked on the carbon peril's event of
    each year (``losses`` from :func:`engine.carbon.losses.year_losses`)."""
    years = np.asarray(losses["years"])
    mine = np.flatnonzero(events.peril == carbon.peril_index)
    event_of_year = mine[np.searchsorted(events.year[mine], years)]
    loss = losses[perspective]
    y, plot = np.nonzero(loss > 0)
    if y.size == 0:
        return rows
    n_up = ex.leaf_keys.shape[1]
    keys = ex.leaf_keys[carbon.leaf[plot]].ravel()
    return _add_rows(rows, np.repeat(event_of_year[y], n_up), keys, np.repeat(loss[y, plot], n_up),
                     np.repeat(losses["at_risk"][y, plot], n_up), n_keys)


def carbon_table(losses: dict) -> dict:
    """The chunk's carbon detail rows (year-plot pairs with tCO2e lost or a payout) and its prices."""
    y, plot = np.nonzero((losses["tco2e_lost"] > 0) | (losses["il"] > 0))
    table = {"year": np.asarray(losses["years"])[y].astype(dtypes.YEAR), "plot": plot.astype(np.int32)}
    for name in ("physical", "fire", "pest", "marine_heat", "stock_share", "sequestration_share", "tco2e_lost",
                 "gul", "il"):
        table[name] = losses[name][y, plot]
    table["price"] = losses["price"][y]
    table["price_years"] = np.asarray(losses["years"]).astype(dtypes.YEAR)
    table["price_all"] = losses["price"]
    table["driver_all"] = losses["driver"]
    return table


def run_chunk(inputs: ChunkInputs, years: np.ndarray, measures: tuple) -> ChunkResult:
    """Simulate and price one chunk of years (pure: same inputs and years, same result)."""
    years = np.asarray(years, dtype=dtypes.YEAR)
    events = simulate_events(inputs, years)
    fp = footprint_record(events, measures)
    carbon = None
    if inputs.carbon is not None:
        from engine.carbon.losses import year_losses
        carbon = {"years": years, **year_losses(fp, inputs.carbon, inputs.curves, inputs.seed, years)}
    event_rows, year_rows = {}, {}
    for name, ex, pol in inputs.perspectives:
        rows = event_key_losses(fp, inputs, ex, pol, crop_rules=(name == "il"))   # ground-up: physical loss
        if name == "il" and inputs.parametric is not None:
            rows = add_index_payouts(rows, events, inputs, ex, measures)
        if carbon is not None:
            rows = add_carbon_losses(rows, events, inputs.carbon, carbon, ex, name, inputs.n_keys)
        order = np.lexsort((rows["key"], rows["event"]))  # events are already in (year, doy, id) order
        event_rows[name] = {c: v[order] for c, v in rows.items()}
        year_rows[name] = year_key_losses(events, event_rows[name], inputs.samples)
    basis = None
    if inputs.parametric is not None:
        from engine.parametric import basis_table
        basis = basis_table(events, inputs.parametric, measures, fp, inputs.curves, inputs.seed)
    return ChunkResult(years, events, event_rows, year_rows, basis, None if carbon is None else carbon_table(carbon))
