"""Reinsurance recoveries of one treaty layer from event or annual losses (plain numpy arrays).

Losses come as rows ordered by trial and, within a trial, by time: ``trial`` int64[n] (0..T-1, a
trial is one simulated year, or one (year, sample) pair) and ``loss`` float64[n] (CNY). Every
function returns the ceded loss per row and per trial; retained = gross - ceded.

Layer rules (l limit, d attachment, all in CNY):

* **quota share** ``share`` q, optional event limit: ceded = min(q L, event_limit);
* **surplus** (per risk): ceded share of risk r = min(max(SI_r - R, 0), lines x R) / SI_r, with
  retention line R; ceded = share x L;
* **per-risk XL**: per risk and event, min(max(L - d, 0), l);
* **cat XL per occurrence** with reinstatements: per event x = min(max(L - d, 0), l); over the
  year the layer pays at most (1 + n) l after an annual aggregate deductible AAD: cumulative
  recoveries ``C_t = min(max(sum_{s<=t} x_s - AAD, 0), (1 + n) l)``. Reinstatement k (k = 1..n,
  premium share c_k, pro rata as to amount) reinstates ``min(max(C - (k-1) l, 0), l)`` of cover,
  so the reinstatement premium is ``P x sum_k c_k min(max(C - (k-1) l, 0), l) / l`` with P the
  layer's upfront premium and C the annual recoveries;
* **aggregate XL / stop loss**: on the annual aggregate A: min(max(A - d, 0), l).
"""
from __future__ import annotations

import numpy as np


def _starts(trial: np.ndarray) -> np.ndarray:
    """Row index of the first row of each row's trial (rows grouped by trial)."""
    n = trial.size
    new = np.ones(n, bool)
    new[1:] = trial[1:] != trial[:-1]
    first = np.flatnonzero(new)
    return np.repeat(first, np.diff(np.append(first, n)))


def _check_sorted(trial: np.ndarray) -> None:
    if trial.size > 1 and np.any(np.diff(trial) < 0):
        raise ValueError("rows must be ordered by trial (then by time within a trial)")


def per_trial(trial: np.ndarray, values: np.ndarray, n_trials: int) -> np.ndarray:
    """float64[T]: sum of ``values`` per trial (zeros for trials without rows)."""
    return np.bincount(trial, weights=values, minlength=n_trials).astype(np.float64)


def quota_share(loss: np.ndarray, share: float, event_limit: float = np.inf) -> np.ndarray:
    """Ceded loss per row of a quota share (``share`` in [0, 1]), capped per event."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"quota share must be in [0, 1], got {share}")
    return np.minimum(share * np.asarray(loss, float), event_limit)


def surplus_share(sum_insured: np.ndarray, retention: float, lines: float) -> np.ndarray:
    """Ceded share of each risk under a surplus treaty (retention line R, ``lines`` lines)."""
    si = np.asarray(sum_insured, float)
    if retention <= 0 or lines < 0:
        raise ValueError("surplus needs retention > 0 and lines >= 0")
    ceded = np.minimum(np.maximum(si - retention, 0.0), lines * retention)
    return np.divide(ceded, si, out=np.zeros_like(si), where=si > 0)


def excess(loss: np.ndarray, attachment: float, limit: float) -> np.ndarray:
    """min(max(L - d, 0), l) per row: a per-risk or per-event excess of loss layer."""
    if attachment < 0 or not limit > 0:
        raise ValueError("a layer needs attachment >= 0 and limit > 0")
    return np.minimum(np.maximum(np.asarray(loss, float) - attachment, 0.0), limit)


def occurrence_xl(trial: np.ndarray, loss: np.ndarray, attachment: float, limit: float,
                  reinstatements=(), aad: float = 0.0):
    """Cat XL per occurrence with reinstatements and an annual aggregate deductible.

    Parameters
    ----------
    trial : int64[n]
        Trial of each event row, rows ordered by trial then time.
    loss : float64[n]
        Event loss to the layer's subject (CNY).
    attachment, limit : float
        Per-occurrence attachment and limit (CNY).
    reinstatements : sequence of float
        Premium share c_k of each reinstatement (1.0 = 100% of the upfront premium, pro rata as
        to amount); their number n sets the annual limit (1 + n) x limit.
    aad : float
        Annual aggregate deductible on the layer's recoveries (CNY).

    Returns
    -------
    ceded : float64[n]
        Recovery of each event (CNY) after the aggregate deductible and limit, in time order.
    factor : float64[n]
        Each row's increment of ``sum_k c_k min(max(C - (k-1) l, 0), l) / l``: summed per trial, the
        trial's reinstatement premium as a multiple of the upfront premium.
    """
    trial = np.asarray(trial, np.int64)
    _check_sorted(trial)
    x = excess(loss, attachment, limit)
    if x.size == 0:
        return x, x.copy()
    cum = np.cumsum(x)
    start = _starts(trial)
    before = cum[start] - x[start]   # cumulative sum before each trial's first row
    within = cum - before
    agg_limit = (1 + len(reinstatements)) * limit
    recovered = np.minimum(np.maximum(within - aad, 0.0), agg_limit)
    prev = np.where(np.arange(x.size) == start, 0.0, np.concatenate([[0.0], recovered[:-1]]))
    ceded = recovered - prev
    factor = np.zeros(x.size)
    for k, c in enumerate(reinstatements):
        used_now = np.minimum(np.maximum(recovered - k * limit, 0.0), limit)
        used_prev = np.minimum(np.maximum(prev - k * limit, 0.0), limit)
        factor += c * (used_now - used_prev) / limit
    return ceded, factor


def aggregate_xl(annual: np.ndarray, attachment: float, limit: float) -> np.ndarray:
    """Aggregate excess of loss / stop loss on annual aggregates: min(max(A - d, 0), l)."""
    return excess(annual, attachment, limit)
