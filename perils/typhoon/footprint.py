"""Typhoon event footprint: wind and rain of one track at the run's sites, as sparse engine rows.

:func:`site_hazard` gives the dense fields of one track (maximum 3-s gust, maximum 2-min sustained
wind, storm-total rain, each float64[S]); :func:`storm_footprint` keeps the sites above the
thresholds, in increasing site order, as the engine's event sets store them (``site`` int32[n],
``intensity`` float32 columns ``wind_gust`` m/s and ``rain_total`` mm). Both resample the track to
``time_step_h`` first (best tracks are 3- or 6-hourly; the maximum over a storm's life needs hourly
points). Sites carry a wind factor (gradient -> 10 m: sea or open land, or a roughness-derived value)
and a rain factor (terrain enhancement); :func:`typhoon_sites` builds them once per run.

Public API for replays and what-if tracks: ``site_hazard(track, typhoon_sites(lon, lat), params)``
for any single track table (time, lat, lon, pressure, wind, optional rmax and grade).
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field

import numpy as np

from engine import dtypes
from perils.typhoon.rain import RainParams, storm_total_rain
from perils.typhoon.wind import WindParams, as_track, hourly, land_mask, max_wind_at_sites, site_wind_factor

#: Sites as the typhoon footprint sees them, float64[S] each: lon, lat (deg WGS-84), wind_factor
#: (gradient -> 10 m 1-min factor), rain_factor (multiplies storm-total rain).
TyphoonSites = namedtuple("TyphoonSites", "lon lat wind_factor rain_factor")

MEASURES = ("wind_gust", "rain_total")
UNITS = ("m/s", "mm")


@dataclass(frozen=True)
class FootprintParams:
    """Wind and rain parameters and the footprint thresholds (a site is kept if either is met)."""

    wind: WindParams = field(default_factory=WindParams)
    rain: RainParams = field(default_factory=RainParams)
    min_gust_ms: float = 15.0     # 3-s gust kept in the footprint [E: about where building damage starts]
    min_rain_mm: float = 10.0     # storm-total rain kept [E]
    time_step_h: float = 1.0      # tracks are resampled to this step before the fields are computed

    def __post_init__(self):
        if not self.time_step_h > 0:
            raise ValueError("FootprintParams.time_step_h must be > 0")

    @classmethod
    def from_dict(cls, params: dict) -> FootprintParams:
        """From a config dict ``{wind: {...}, rain: {...}, min_gust_ms: .., ...}``; unknown keys fail."""
        params = dict(params)
        wind, rain = WindParams(**dict(params.pop("wind", {}) or {})), RainParams(**dict(params.pop("rain", {}) or {}))
        return cls(wind=wind, rain=rain, **params)


def typhoon_sites(lon, lat, is_land=None, wind_factor=None, rain_factor=None,
                  wind: WindParams = WindParams(), land_mask_fn=land_mask) -> TyphoonSites:
    """Sites for the footprint: the wind factor is given, or from the land flag (GLOBE mask if None)."""
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    if wind_factor is None:
        is_land = land_mask_fn(lat, lon) if is_land is None else is_land
        wind_factor = site_wind_factor(is_land, wind)
    wind_factor = np.ascontiguousarray(np.broadcast_to(np.asarray(wind_factor, dtype=np.float64), lon.shape))
    rain_factor = np.ascontiguousarray(np.broadcast_to(np.asarray(1.0 if rain_factor is None else rain_factor,
                                                                  dtype=np.float64), lon.shape))
    return TyphoonSites(lon, lat, wind_factor, rain_factor)


def _as_sites(sites, params: FootprintParams) -> TyphoonSites:
    if isinstance(sites, TyphoonSites):
        return sites
    return typhoon_sites(sites.lon, sites.lat, wind=params.wind)   # e.g. engine.portfolio.Sites


def site_hazard(track, sites, params: FootprintParams = FootprintParams()):
    """Dense fields of one track: (gust_ms, sustained_ms, rain_mm), float64[S] each.

    ``sites``: :data:`TyphoonSites` or anything with ``lon`` and ``lat`` (then land flags from the
    GLOBE mask: build :func:`typhoon_sites` once per run instead).
    """
    sites = _as_sites(sites, params)
    track = hourly(as_track(track, params.wind), params.time_step_h)
    gust, sustained = max_wind_at_sites(track, sites.lon, sites.lat, sites.wind_factor, params.wind)
    rain = storm_total_rain(track, sites.lon, sites.lat, sites.rain_factor, params.rain)
    return gust, sustained, rain


def storm_footprint(track, sites, params: FootprintParams = FootprintParams()):
    """Sparse footprint of one storm.

    Returns
    -------
    site_index : int32[n], strictly increasing indices of the sites with gust >= ``min_gust_ms`` or
        rain >= ``min_rain_mm``.
    gust_ms : float32[n], maximum 3-s gust at 10 m (m/s), the value at the site even if below its threshold.
    rain_mm : float32[n], storm-total rain (mm), likewise.
    """
    gust, _, rain = site_hazard(track, sites, params)
    keep = np.flatnonzero((gust >= params.min_gust_ms) | (rain >= params.min_rain_mm))
    return (keep.astype(dtypes.SITE), gust[keep].astype(dtypes.INTENSITY), rain[keep].astype(dtypes.INTENSITY))


__all__ = ["FootprintParams", "TyphoonSites", "typhoon_sites", "site_hazard", "storm_footprint", "MEASURES", "UNITS"]
