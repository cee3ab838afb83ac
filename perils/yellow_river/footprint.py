"""Flood depth (m) and duration (days) at sites from one routed event.

Three sources, the deepest wins at a site (its duration goes with it):

* **floodplain** of reach r (sites with ``floodplain``): the stored volume V_r spreads over the
  reach's floodplain area A_r whose ground falls linearly from the channel to the dike by the
  relief z (二级悬河: the floodplain is lowest by the dike). With v = V/A the water level above the
  lowest ground is eta = sqrt(2 v z) while v <= z/2 (part of the floodplain dry), else v + z/2; a site
  at relative distance u = distance / half dike spacing has ground z (1 - u) and depth
  max(eta - z (1 - u), 0). Duration: hours above bankfull / 24 + depth / drainage rate;
* **Dongping Lake** (old, new): depth = stored volume / lake area (flat bottom), duration =
  depth / drawdown rate;
* **dike breach** in reach b on one bank, at a point on the dike: the breach volume V_b covers
  A = min(V_b / h_mean, A_max) behind the dike as a half-disc of radius r = sqrt(2 A / pi) with a
  cone of depth 3 h_mean (1 - d / r) at distance d from the breach (mean depth h_mean). Sites on
  that bank, outside the floodplain. Duration: breach_days + depth / drainage rate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perils.yellow_river import geography

MEASURES = ("flood_depth", "flood_duration")
UNITS = ("m", "days")


@dataclass(frozen=True)
class FootprintParams:
    """Per-reach float64[R] ``floodplain_area_m2``, ``half_width_km``; scalars (m, m/day, km2, days)."""

    floodplain_area_m2: np.ndarray
    half_width_km: np.ndarray
    relief_m: float
    floodplain_drain_m_per_day: float
    lake_area_m2: np.ndarray        # float64[2]: old, new
    lake_drain_m_per_day: float
    breach_mean_depth_m: float
    breach_max_area_km2: float
    breach_days: float
    breach_drain_m_per_day: float


def floodplain_level(volume_m3, area_m2, relief_m):
    """Water level (m above the lowest floodplain ground) of ``volume_m3`` on a cross-sloping floodplain."""
    v = np.asarray(volume_m3, np.float64) / np.asarray(area_m2, np.float64)
    return np.where(v <= relief_m / 2.0, np.sqrt(2.0 * v * relief_m), v + relief_m / 2.0)


def breach_point(reach: int, along: float, bank: int, half_width_km: float) -> tuple[float, float]:
    """(x, y) km of a breach at fraction ``along`` of reach ``reach`` on ``bank`` (+1 left, -1 right)."""
    stations = geography.station_chainage_km()
    end = stations[reach + 1] if reach + 1 < len(stations) else geography.line_length_km()
    return geography.point_at(stations[reach] + along * (end - stations[reach]), bank * half_width_km)


def event_footprint(event, river_sites, fp: FootprintParams, breach_along: float, breach_bank: int):
    """(site int64[N], depth float32[N] m, duration float32[N] days) of the flooded sites.

    Parameters
    ----------
    event : perils.yellow_river.routing.RoutedEvent
    river_sites : perils.yellow_river.sites.RiverSites
    breach_along : float
        Position of a breach along its reach, 0..1 (uniform draw).
    breach_bank : int
        +1 left or -1 right bank.
    """
    n = river_sites.reach.size
    depth = np.zeros(n)
    duration = np.zeros(n)

    def take(mask, d, days):
        better = mask & (d > depth)
        depth[better] = d[better]
        duration[better] = days[better] if np.ndim(days) else days

    if np.any(event.floodplain_m3 > 0):
        level = floodplain_level(event.floodplain_m3, fp.floodplain_area_m2, fp.relief_m)[river_sites.reach]
        u = np.clip(river_sites.distance_km / fp.half_width_km[river_sites.reach], 0.0, 1.0)
        d = np.maximum(level - fp.relief_m * (1.0 - u), 0.0)
        days = event.over_bankfull_h[river_sites.reach] / 24.0 + d / fp.floodplain_drain_m_per_day
        take(river_sites.floodplain & (event.floodplain_m3[river_sites.reach] > 0), d, days)
    for lake, mask in enumerate((river_sites.old_lake, river_sites.new_lake)):
        if event.lake_m3[lake] > 0:
            d = np.full(n, event.lake_m3[lake] / fp.lake_area_m2[lake])
            take(mask, d, d / fp.lake_drain_m_per_day)
    if event.breach_reach >= 0 and event.breach_m3 > 0:
        b = event.breach_reach
        bx, by = breach_point(b, breach_along, breach_bank, fp.half_width_km[b])
        area_km2 = min(event.breach_m3 / fp.breach_mean_depth_m / 1e6, fp.breach_max_area_km2)
        radius = np.sqrt(2.0 * area_km2 / np.pi)
        dist = np.hypot(river_sites.x_km - bx, river_sites.y_km - by)
        d = np.maximum(3.0 * fp.breach_mean_depth_m * (1.0 - dist / radius), 0.0)
        behind = (river_sites.bank == breach_bank) & ~river_sites.floodplain
        take(behind, d, fp.breach_days + d / fp.breach_drain_m_per_day)
    site = np.flatnonzero(depth > 0.0)
    return site, depth[site].astype(np.float32), duration[site].astype(np.float32)
