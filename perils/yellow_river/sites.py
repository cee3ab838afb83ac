"""Yellow River attributes of the run's sites: given by the portfolio or derived from coordinates.

A portfolio may give, per site, the columns ``site_yr_floodplain`` (0/1), ``site_yr_dongping_old``
(0/1), ``site_yr_dongping_new`` (0/1), ``site_yr_distance_km`` (to the river centreline, km),
``site_yr_reach`` (0 Huayuankou-Gaocun, 1 Gaocun-Sunkou, 2 Sunkou-Aishan, 3 Aishan-Lijin) and
``site_yr_bank`` (+1 left / north-west, -1 right / south-east). Where a column is missing or a
value is NaN, the value comes from the approximate geography of
:mod:`perils.yellow_river.geography`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perils.yellow_river import geography

ATTRIBUTES = ("yr_floodplain", "yr_dongping_old", "yr_dongping_new", "yr_distance_km", "yr_reach", "yr_bank")


@dataclass(frozen=True)
class RiverSites:
    """Per-site arrays (S sites): ``reach`` int64, ``bank`` int8, ``distance_km`` and ``chainage_km``
    float64, ``floodplain``, ``old_lake``, ``new_lake`` bool, ``x_km``, ``y_km`` (projected position)."""

    reach: np.ndarray
    bank: np.ndarray
    distance_km: np.ndarray
    chainage_km: np.ndarray
    floodplain: np.ndarray
    old_lake: np.ndarray
    new_lake: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray


def _given(sites, name: str, derived: np.ndarray) -> np.ndarray:
    given = sites.attribute(name) if hasattr(sites, "attribute") else None
    if given is None:
        return derived
    given = np.asarray(given, np.float64)
    return np.where(np.isnan(given), derived, given)


def river_sites(sites, dike_spacing_km) -> RiverSites:
    """The attributes of ``sites`` (lon, lat float64[S]; ``attribute(name)``) for reaches whose dike
    spacing (km) is ``dike_spacing_km`` float64[R]."""
    lon, lat = np.asarray(sites.lon, np.float64), np.asarray(sites.lat, np.float64)
    pos = geography.locate(lon, lat)
    polygons = geography.dongping_polygons()
    old = geography.in_polygon(polygons["old"], lon, lat)
    new = geography.in_polygon(polygons["new"], lon, lat) & ~old
    reach = _given(sites, "yr_reach", geography.reach_of(pos.chainage_km).astype(np.float64))
    n_reach = len(dike_spacing_km)
    if np.any((reach < 0) | (reach >= n_reach) | (reach != np.round(reach))):
        raise ValueError(f"site_yr_reach must be an integer 0..{n_reach - 1}")
    reach = reach.astype(np.int64)
    distance = _given(sites, "yr_distance_km", pos.distance_km)
    half_width = np.asarray(dike_spacing_km, np.float64)[reach] / 2.0
    old = _given(sites, "yr_dongping_old", old.astype(np.float64)) > 0.5
    new = (_given(sites, "yr_dongping_new", new.astype(np.float64)) > 0.5) & ~old
    floodplain = _given(sites, "yr_floodplain", ((distance <= half_width) & ~old & ~new).astype(np.float64)) > 0.5
    bank = np.where(_given(sites, "yr_bank", pos.side.astype(np.float64)) >= 0, 1, -1).astype(np.int8)
    x, y = geography.project(lon, lat)
    return RiverSites(reach, bank, distance, pos.chainage_km, floodplain, old, new, x, y)
