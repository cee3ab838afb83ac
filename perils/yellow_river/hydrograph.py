"""Flood hydrographs at Huayuankou: a gamma-shaped wave whose volume follows a peak-volume relation.

    q(t) = Q_b + (Q_p - Q_b) (t / t_p)^m exp(m (1 - t / t_p)),   t >= 0 hours,

with base flow ``Q_b`` and peak ``Q_p`` (m3/s), time to peak ``t_p`` (h) and shape ``m``. Its
volume above base flow is V = (Q_p - Q_b) t_p g(m), g(m) = e^m Gamma(m + 1) / m^(m + 1) (hours x
m3/s). The peak-volume relation V = V_ref ((Q_p - Q_b) / (Q_ref - Q_b))^b is expressed through t_p:

    t_p = t_ref ((Q_p - Q_b) / (Q_ref - Q_b))^(b - 1),

and ``t_ref`` is calibrated on an observed duration: the 1958 flood (22,300 m3/s) stayed above
10,000 m3/s for 79 h (shared/REFERENCE.md [S]).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize


@dataclass(frozen=True)
class HydrographParams:
    """Shape of the Huayuankou flood wave (values and sources in configs/peril/yellow_river.yaml)."""

    base_flow_m3s: float
    shape: float
    volume_exponent: float
    calibration_peak_m3s: float
    calibration_threshold_m3s: float
    calibration_hours_above: float
    tail_time_to_peak: float = 8.0    # the wave is cut at this many t_p (q - Q_b < 1e-6 (Q_p - Q_b) for m >= 3)


def _above_fraction(shape: float, level: float) -> float:
    """Width in units of t_p of the part of the unit gamma wave above ``level`` in (0, 1)."""
    if not 0.0 < level < 1.0:
        return 0.0
    f = lambda s: shape * (math.log(s) + 1.0 - s) - math.log(level)
    rise = optimize.brentq(f, 1e-12, 1.0)
    fall = optimize.brentq(f, 1.0, 1e4)
    return fall - rise


def reference_time_to_peak(p: HydrographParams) -> float:
    """t_ref (h): the time to peak that keeps the calibration flood above its threshold for the
    observed number of hours."""
    level = (p.calibration_threshold_m3s - p.base_flow_m3s) / (p.calibration_peak_m3s - p.base_flow_m3s)
    width = _above_fraction(p.shape, level)
    if width <= 0.0:
        raise ValueError("hydrograph calibration: the threshold must lie between base flow and peak")
    return p.calibration_hours_above / width


def time_to_peak(p: HydrographParams, peak_m3s: float) -> float:
    """t_p (h) of a wave of peak ``peak_m3s`` by the peak-volume relation."""
    excess = max(peak_m3s - p.base_flow_m3s, 1.0)
    ref_excess = p.calibration_peak_m3s - p.base_flow_m3s
    return reference_time_to_peak(p) * (excess / ref_excess) ** (p.volume_exponent - 1.0)


def volume_factor(shape: float) -> float:
    """g(m) = e^m Gamma(m + 1) / m^(m + 1): wave volume / ((Q_p - Q_b) t_p)."""
    return math.exp(shape + math.lgamma(shape + 1.0) - (shape + 1.0) * math.log(shape))


def wave(p: HydrographParams, peak_m3s: float, dt_hours: float, n_steps: int,
         t_peak_hours: float | None = None, volume_m3: float | None = None) -> np.ndarray:
    """float64[n_steps]: discharge (m3/s) every ``dt_hours``, one step exactly at the peak.

    Parameters
    ----------
    peak_m3s : float
        Peak discharge Q_p, m3/s; a peak at or below base flow gives a constant base flow.
    t_peak_hours : float, optional
        Time to peak, h; default from the peak-volume relation.
    volume_m3 : float, optional
        Flood volume above base flow, m3 (replays): sets t_p = V / ((Q_p - Q_b) g(m) 3600).
    """
    excess = peak_m3s - p.base_flow_m3s
    t = np.arange(n_steps) * dt_hours
    if excess <= 0.0:
        return np.full(n_steps, max(peak_m3s, 0.0))
    if volume_m3 is not None:
        t_p = volume_m3 / (excess * volume_factor(p.shape) * 3600.0)
    else:
        t_p = t_peak_hours if t_peak_hours is not None else time_to_peak(p, peak_m3s)
    s = (t + t_p % dt_hours) / t_p   # grid shifted so that a step falls exactly on the peak
    with np.errstate(divide="ignore"):
        shape = np.where(s > 0, np.exp(p.shape * (np.log(np.maximum(s, 1e-300)) + 1.0 - s)), 0.0)
    return p.base_flow_m3s + excess * shape


def duration_hours(p: HydrographParams, peak_m3s: float, t_peak_hours: float | None = None) -> float:
    """Length of the wave kept (h): ``tail_time_to_peak`` t_p."""
    t_p = t_peak_hours if t_peak_hours is not None else time_to_peak(p, peak_m3s)
    return p.tail_time_to_peak * t_p
