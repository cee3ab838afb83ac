"""Typhoon rain footprint: R-CLIPER rain rates accumulated along a track into storm-total rain.

Rain rate (Tuleya et al. 2007, after Lonfat et al. 2004; axisymmetric, mm/h after converting from
in/day), with the storm's maximum wind ``Vmax`` (1-min, kt) normalised as ``U = 1 + (Vmax - 35)/33``:

* ``T0 = a1 + b1 U`` (rate at the centre), ``Tm = a2 + b2 U`` (rate at rm), ``rm = a3 + b3 U`` (km),
  ``re = a4 + b4 U`` (km);
* ``R(r) = T0 + (Tm - T0) r / rm`` for r < rm, ``R(r) = Tm exp(-(r - rm) / re)`` beyond, 0 beyond the
  cut-off; negative rates (very weak storms) are 0.

Storm total at a site (mm): ``scale * terrain_factor[s] * sum_t w_t et_t R(r_st, Vmax_t)``, with
``w_t`` the hours each point stands for (half the span to its neighbours: 1 h for interior hourly
points) and ``et_t`` the extratropical-transition enhancement (``et_factor`` at points with grade 9 or
latitude >= ``et_lat_deg``, else 1).

Calibration (``scale``). R-CLIPER is a climatology of the rain of US landfalling storms and knows
nothing of the stalling, the mid-latitude trough and the moisture that made Lekima (2019) Shandong's
wettest typhoon on record in Weifang. ``scale`` is set once, on that storm: the CMA best track (id
1909), resampled hourly, with every other parameter at its default and ``scale = 1``, gives an
areal mean of 164.3 mm over Weifang prefecture (the 4,037 points of a 0.02-degree grid that
``engine.geo.county_of`` places in Weifang's 12 counties); the observed Weifang mean is 217.5 mm
(REFERENCE.md), so ``scale = 217.5 / 164.3 = 1.324``, rounded to 1.32. With it the replay gives
about 247 mm at Weifang city and 226 mm at Shouguang (observed 287 mm: the symmetric profile cannot
put the heaviest rain north-west of the track, where it fell). ``tests/test_typhoon_footprint.py``
replays Lekima. One storm fixes one number: revisit it against more storms (Rumbia 2018, Yagi 2018,
Muifa 2022) and gauge data, and split it between ``scale`` and ``et_factor`` when that evidence
exists (``et_factor`` stays 1 until then, so the extratropical switch is neutral by default).
"""
from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from engine.jit import kernel
from perils.typhoon.wind import CMA_2MIN_TO_1MIN_SEA, EARTH_RADIUS_M, as_track, near_sites

MS_TO_KT = 1.0 / 0.514444
IN_PER_DAY_TO_MM_PER_H = 25.4 / 24.0


@dataclass(frozen=True)
class RainParams:
    """R-CLIPER coefficients (Tuleya et al. 2007, Table 1: in/day and km) and Qilu's adjustments."""

    a1: float = -1.10      # T0 intercept, in/day [Tuleya et al. 2007]
    b1: float = 3.96       # T0 slope, in/day
    a2: float = -1.60      # Tm intercept, in/day
    b2: float = 4.80       # Tm slope, in/day
    a3: float = 64.5       # rm intercept, km
    b3: float = -13.0      # rm slope, km
    a4: float = 150.0      # re intercept, km
    b4: float = -16.0      # re slope, km
    u_ref_kt: float = 35.0     # U = 1 + (Vmax - u_ref) / u_scale, Vmax 1-min in kt [Tuleya et al. 2007]
    u_scale_kt: float = 33.0
    cma_to_1min: float = CMA_2MIN_TO_1MIN_SEA   # track vmax (CMA 2-min) -> 1-min [Harper et al. 2010]
    cutoff_km: float = 500.0   # no rain beyond (Lonfat et al. 2004 profiles reach 500 km) [E]
    table_step_km: float = 1.0  # radial table resolution of the kernel (numerical)
    scale: float = 1.32        # global calibration: Lekima 2019, Weifang mean 217.5 mm (module docstring)
    et_factor: float = 1.0     # enhancement at extratropical points; neutral until calibrated [E]
    et_lat_deg: float = 35.0   # points at or north of this latitude count as extratropical [E]
    et_grade: int = 9          # ... as do points of this CMA grade (9 = extratropical)

    def __post_init__(self):
        for key in ("u_scale_kt", "cma_to_1min", "cutoff_km", "table_step_km"):
            if not getattr(self, key) > 0:
                raise ValueError(f"RainParams.{key} must be > 0")
        for key in ("scale", "et_factor"):
            if not getattr(self, key) >= 0:
                raise ValueError(f"RainParams.{key} must be >= 0")


#: Per track point (T), float64[T] each: lon, lat (deg), t0_mmh and tm_mmh (mm/h), rm_m and re_m (m),
#: weight_h (hours the point stands for x ET factor x scale).
RainPoints = namedtuple("RainPoints", "lon lat t0_mmh tm_mmh rm_m re_m weight_h")
#: Scalars: cutoff_m (m, no rain beyond), step_m (m, radial table resolution).
RainConsts = namedtuple("RainConsts", "cutoff_m step_m")


def rcliper_parameters(vmax_1min_ms, params: RainParams = RainParams()):
    """R-CLIPER profile parameters from the 1-min maximum wind (m/s): T0, Tm (mm/h), rm, re (km)."""
    u = 1.0 + (np.asarray(vmax_1min_ms, dtype=np.float64) * MS_TO_KT - params.u_ref_kt) / params.u_scale_kt
    t0 = (params.a1 + params.b1 * u) * IN_PER_DAY_TO_MM_PER_H
    tm = (params.a2 + params.b2 * u) * IN_PER_DAY_TO_MM_PER_H
    rm = np.clip(params.a3 + params.b3 * u, 1.0, None)
    re = np.clip(params.a4 + params.b4 * u, 1.0, None)
    return t0, tm, rm, re


@kernel
def rcliper_rate(r_m, t0_mmh, tm_mmh, rm_m, re_m):
    """R-CLIPER rain rate (mm/h) at radius ``r_m`` (m); never negative."""
    if r_m < rm_m:
        rate = t0_mmh + (tm_mmh - t0_mmh) * r_m / rm_m
    else:
        rate = tm_mmh * math.exp(-(r_m - rm_m) / re_m)
    return rate if rate > 0.0 else 0.0


@kernel
def _accumulate_rain(storm, site_lon, site_lat, site_coslat, consts, out_mm):
    """Storm-total rain: ``out_mm[s] = sum_t weight_h[t] R(r_st)``.

    storm: :data:`RainPoints` (T points); site_lon, site_lat, site_coslat: float64[S] (degrees,
    cos of latitude); consts: :data:`RainConsts`; out_mm: float64[S], mm, overwritten. Distances
    are equirectangular (cos of the two latitudes averaged), as in the wind kernel. R is tabulated
    per point every ``consts.step_m`` to the cut-off and interpolated linearly (relative error
    about ``step^2 / (8 re^2)``, 1e-5 at 1 km); the radius pass vectorises, the gather pass does not.
    """
    deg = math.pi / 180.0
    r_deg = EARTH_RADIUS_M * deg
    half_r_deg = 0.5 * r_deg
    n_sites = site_lon.shape[0]
    for s in range(n_sites):
        out_mm[s] = 0.0
    n_table = int(math.ceil(consts.cutoff_m / consts.step_m)) + 2
    table = np.zeros(n_table)
    position = np.empty(n_sites)
    inv_step = 1.0 / consts.step_m
    cut2 = consts.cutoff_m * consts.cutoff_m
    beyond = float(n_table)
    for t in range(storm.lon.shape[0]):
        w = storm.weight_h[t]
        if w <= 0.0 or (storm.t0_mmh[t] <= 0.0 and storm.tm_mmh[t] <= 0.0):
            continue
        for k in range(n_table):
            table[k] = w * rcliper_rate(k * consts.step_m, storm.t0_mmh[t], storm.tm_mmh[t], storm.rm_m[t],
                                        storm.re_m[t])
        lon_c, lat_c, cos_c = storm.lon[t], storm.lat[t], math.cos(storm.lat[t] * deg)
        for s in range(n_sites):
            dx = (site_lon[s] - lon_c) * (half_r_deg * (site_coslat[s] + cos_c))
            dy = (site_lat[s] - lat_c) * r_deg
            r2 = dx * dx + dy * dy
            position[s] = math.sqrt(r2) * inv_step if r2 <= cut2 else beyond
        for s in range(n_sites):
            q = position[s]
            k = int(q)
            if k < n_table - 1:
                out_mm[s] += table[k] + (table[k + 1] - table[k]) * (q - k)


def point_hours(time_h) -> np.ndarray:
    """float64[T]: hours each point stands for, half the span to its neighbours (trapezoid weights)."""
    time_h = np.asarray(time_h, dtype=np.float64)
    if time_h.size < 2:
        return np.ones(time_h.size)
    dt = np.diff(time_h)
    w = np.zeros(time_h.size)
    w[:-1] += 0.5 * dt
    w[1:] += 0.5 * dt
    return w


def rain_points(track, params: RainParams = RainParams()) -> RainPoints:
    """The kernel record of a track: per-point R-CLIPER parameters and weights (hours x ET x scale)."""
    track = as_track(track)
    t0, tm, rm, re = rcliper_parameters(track.vmax_ms * params.cma_to_1min, params)
    extratropical = track.lat >= params.et_lat_deg
    if track.grade is not None:
        extratropical |= track.grade == params.et_grade
    weight = point_hours(track.time_h) * np.where(extratropical, params.et_factor, 1.0) * params.scale
    return RainPoints(track.lon, track.lat, t0, tm, rm * 1000.0, re * 1000.0, weight)


def storm_total_rain(track, site_lon, site_lat, site_factor=1.0, params: RainParams = RainParams()) -> np.ndarray:
    """Storm-total rain (mm) at each site.

    Parameters
    ----------
    track : Track or table with time_h, lat, lon, pressure_hpa, vmax_ms (CMA 2-min, m/s), optional grade.
    site_lon, site_lat : float64[S], degrees WGS-84.
    site_factor : float64[S] or scalar, terrain enhancement (1 = none).
    params : RainParams.

    Returns
    -------
    rain_mm : float64[S], >= 0, zero beyond ``params.cutoff_km`` of every track point.
    """
    lon = np.ascontiguousarray(site_lon, dtype=np.float64)
    lat = np.ascontiguousarray(site_lat, dtype=np.float64)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("site_lon and site_lat must be 1-D arrays of equal length")
    storm = rain_points(track, params)
    keep = near_sites(storm.lon, storm.lat, params.cutoff_km * 1000.0, lon, lat)
    storm = RainPoints(*(np.ascontiguousarray(a[keep]) for a in storm))
    out = np.zeros(lon.size)
    consts = RainConsts(params.cutoff_km * 1000.0, params.table_step_km * 1000.0)
    _accumulate_rain(storm, lon, lat, np.cos(np.radians(lat)), consts, out)
    return out * np.broadcast_to(np.asarray(site_factor, dtype=np.float64), lon.shape)


__all__ = ["RainParams", "RainPoints", "RainConsts", "rcliper_parameters", "rcliper_rate", "point_hours", "rain_points",
           "storm_total_rain"]
