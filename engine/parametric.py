"""Parametric index covers inside a chunk: index payouts and the indemnity they stand in for.

A parametric risk pays ``share(index at its site) x limit`` per event (engine.products.IndexSchedule),
whatever the damage. The kernels do not see these risks in the insured-loss view (their class is
swapped for one without curves); this module computes their payouts from the footprint and, for
basis risk, runs the kernels once more on the same risks with their physical class and terms, each
risk its own key, to get the indemnity an indemnity cover with the same terms would have paid.

Arrays (Rp parametric risks, J grades at most, K_p parametric products):

* ``risk`` int32[Rp] portfolio row, ``site`` int32[Rp], ``limit`` float64[Rp] (CNY),
  ``product`` int32[Rp] index into the schedules, ``leaf`` int32[Rp] aggregation leaf;
* ``site_offsets`` int64[S+1] / ``site_risks`` int32[Rp]: parametric risks of each site (CSR);
* ``thresholds`` / ``shares`` float64[K_p, J] (padded with +inf / 0), ``measures`` tuple[K_p];
* ``basis`` (Exposure, Policies): the same risks with their physical class and risk terms.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import dtypes


@dataclass(frozen=True)
class ParametricInputs:
    risk: np.ndarray
    site: np.ndarray
    limit: np.ndarray
    product: np.ndarray
    leaf: np.ndarray
    site_offsets: np.ndarray
    site_risks: np.ndarray
    thresholds: np.ndarray
    shares: np.ndarray
    measures: tuple
    basis: tuple           # (Exposure, Policies) for the modelled indemnity, one key per risk
    peril_ok: np.ndarray = None   # bool[K_p, n_perils]: events of this run peril count for the product
    linear: np.ndarray = None     # bool[K_p]: continuous payout min(x * shares[0], 1) above thresholds[0]

    @property
    def n_risks(self) -> int:
        return int(self.risk.size)


def build_parametric(rows: np.ndarray, site_index, limit, leaf, product_of_row, schedules: dict, n_sites: int,
                     basis, peril_kinds=()) -> ParametricInputs:
    """Pack the parametric risks ``rows`` (portfolio row numbers) and their products' schedules."""
    names = sorted(schedules)
    prod = np.array([names.index(product_of_row[r]) for r in rows], np.int32)
    width = max(len(schedules[n].thresholds) for n in names)
    thresholds = np.full((len(names), width), np.inf)
    shares = np.zeros((len(names), width))
    for i, n in enumerate(names):
        j = len(schedules[n].thresholds)
        thresholds[i, :j] = schedules[n].thresholds
        shares[i, :j] = schedules[n].shares
    site = np.asarray(site_index, np.int32)[rows]
    order = np.argsort(site, kind="stable").astype(np.int32)
    offsets = np.zeros(n_sites + 1, np.int64)
    np.cumsum(np.bincount(site, minlength=n_sites), out=offsets[1:])
    peril_ok = np.array([[not schedules[n].perils or kind in schedules[n].perils for kind in peril_kinds]
                         for n in names], bool).reshape(len(names), len(peril_kinds))
    return ParametricInputs(np.asarray(rows, np.int32), site, np.asarray(limit, float)[rows], prod,
                            np.asarray(leaf, np.int32)[rows], offsets, order, thresholds, shares,
                            tuple(schedules[n].measure for n in names), basis, peril_ok,
                            np.array([schedules[n].linear for n in names], bool))


def index_payouts(events, par: ParametricInputs, measures: tuple):
    """Per (event, parametric risk) payouts of one chunk's events.

    Returns ``event`` int64[n] (chunk event index), ``prisk`` int32[n] (index into ``par``),
    ``payout`` float64[n] (CNY, > 0 only).
    """
    counts = par.site_offsets[events.site + 1] - par.site_offsets[events.site]
    entry = np.repeat(np.arange(events.site.size), counts)
    if entry.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0)
    first = np.repeat(par.site_offsets[events.site] - np.cumsum(counts) + counts, counts)
    prisk = par.site_risks[first + np.arange(entry.size)]
    prod = par.product[prisk]
    cols = np.array([measures.index(m) if m in measures else -1 for m in par.measures], np.int64)
    col = cols[prod]
    x = np.where(col >= 0, events.intensity[entry, np.maximum(col, 0)].astype(np.float64), 0.0)
    grade = (x[:, None] >= par.thresholds[prod]).sum(axis=1) - 1
    share = np.where(grade >= 0, par.shares[prod, np.maximum(grade, 0)], 0.0)
    if par.linear is not None and par.linear.any():
        lin = par.linear[prod]
        share = np.where(lin, np.where(x >= par.thresholds[prod, 0], np.minimum(x * par.shares[prod, 0], 1.0), 0.0),
                         share)
    payout = share * par.limit[prisk]
    event = np.searchsorted(events.offsets, entry, side="right") - 1
    if par.peril_ok is not None and par.peril_ok.shape[1]:
        payout = np.where(par.peril_ok[prod, events.peril[event]], payout, 0.0)
    keep = payout > 0
    return event[keep].astype(np.int64), prisk[keep].astype(np.int32), payout[keep]


def basis_table(events, par: ParametricInputs, measures: tuple, fp, curves, seed: int) -> dict:
    """Per (event, parametric risk) index payout and modelled indemnity (mean), rows where either > 0.

    Columns: ``event_id`` int64, ``year`` int64, ``risk`` int32 (portfolio row), ``payout`` and
    ``indemnity`` float64 (CNY), sorted by (event, risk).
    """
    from engine.kernels import occurrence_losses

    n = par.n_risks
    p_event, p_risk, payout = index_payouts(events, par, measures)
    ex, pol = par.basis
    out = occurrence_losses(fp, ex, pol, curves, n, seed, 0)
    i_event, i_risk, indemnity = out[0], out[1], out[2][:, 0]
    code = np.union1d(p_event * n + p_risk, i_event * n + i_risk)
    pay = np.zeros(code.size)
    ind = np.zeros(code.size)
    pay[np.searchsorted(code, p_event * n + p_risk)] = payout
    ind[np.searchsorted(code, i_event * n + i_risk)] = indemnity
    event, prisk = code // n if n else code, (code % n if n else code).astype(np.int32)
    keep = (pay > 0) | (ind > 0)
    event, prisk = event[keep], prisk[keep]
    return {"event_id": events.event_id[event].astype(dtypes.EVENT_ID), "year": events.year[event].astype(dtypes.YEAR),
            "risk": par.risk[prisk], "payout": pay[keep], "indemnity": ind[keep]}
