"""Monthly soil-water balance (a single bucket) and the relative evapotranspiration deficit.

Thornthwaite-Mather (1957) bucket with plant-available capacity W* (mm), per month with
precipitation P and maximum (crop) evapotranspiration ETm = Kc x PET (mm):

* P >= ETm: ETa = ETm, W <- min(W*, W + P - ETm) (the excess runs off or drains);
* P <  ETm: the soil gives up water exponentially in the unmet demand D = ETm - P:
  W <- W exp(-D / W*), ETa = P + (W_before - W_after).

So ETa <= ETm always, with equality only when rain covers the demand. The relative deficit of a
stage window is 1 - sum(ETa) / sum(ETm) over its months (FAO-33: 1 - Ya/Ym = Ky (1 - ETa/ETm)).
Arrays are ``float64[Y, T, C]`` (season, month, county); the time axis is 1.
"""
from __future__ import annotations

import numpy as np


def bucket(precip, etm, capacity_mm: float, initial_mm):
    """Run the bucket over the months of axis 1.

    Parameters
    ----------
    precip, etm : float64[Y, T, C]
        Monthly precipitation and maximum evapotranspiration, mm.
    capacity_mm : float
        Plant-available water capacity W*, mm (> 0).
    initial_mm : float or float64[Y, C]
        Soil water at the start of the first month, mm (clipped to [0, W*]).

    Returns
    -------
    eta : float64[Y, T, C]
        Actual evapotranspiration, mm/month.
    soil : float64[Y, T, C]
        Soil water at the end of each month, mm.
    """
    precip = np.asarray(precip, float)
    etm = np.asarray(etm, float)
    if capacity_mm <= 0:
        raise ValueError("bucket capacity must be > 0 mm")
    w = np.clip(np.broadcast_to(np.asarray(initial_mm, float), precip[:, 0].shape), 0.0, capacity_mm).copy()
    eta = np.empty_like(precip)
    soil = np.empty_like(precip)
    for t in range(precip.shape[1]):
        p, demand = precip[:, t], etm[:, t]
        wet = p >= demand
        after = np.where(wet, np.minimum(capacity_mm, w + p - demand),
                         w * np.exp(-np.maximum(demand - p, 0.0) / capacity_mm))
        eta[:, t] = np.where(wet, demand, p + w - after)
        soil[:, t] = after
        w = after
    return eta, soil


def window_ratio(eta, etm, positions) -> np.ndarray:
    """ETa/ETm over the months ``positions`` (indices into axis 1): float64[Y, C] (1 where ETm = 0)."""
    a = np.asarray(eta)[:, positions].sum(axis=1)
    m = np.asarray(etm)[:, positions].sum(axis=1)
    return np.where(m > 0, a / np.where(m > 0, m, 1.0), 1.0)


def relative_deficit(ratio, reference_ratio=None) -> np.ndarray:
    """Relative ET deficit from ETa/ETm ratios.

    Parameters
    ----------
    ratio : float64[...]
        ETa/ETm of a window (0..1).
    reference_ratio : float64[...] or None
        The normal (mean) ratio of the same county and window. None: the plain FAO-33 deficit
        1 - ETa/ETm. Given: the deficit relative to normal conditions, max(0, 1 - ratio / reference),
        which is 1 - Ya/Y_normal for Ky = 1 (the yield reference of a cover is a normal yield).

    Returns
    -------
    float64[...]
        Deficit, fraction in [0, 1].
    """
    ratio = np.asarray(ratio, float)
    if reference_ratio is None:
        return np.clip(1.0 - ratio, 0.0, 1.0)
    ref = np.asarray(reference_ratio, float)
    return np.clip(1.0 - ratio / np.where(ref > 0, ref, 1.0), 0.0, 1.0)
