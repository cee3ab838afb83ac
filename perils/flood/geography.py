"""Approximate flood geography of Shandong: rivers, an elevation proxy, terrain classes, land use.

Used only where the portfolio gives no site attribute (``site_elevation_m``,
``site_river_distance_km``, ``site_runoff_coefficient``, ``site_urban``). Data files (``data/``):

* ``rivers.csv``: polylines (river, lon, lat) of the main rivers, digitised approximately [E];
  :func:`river_distance_km` is the distance to the nearest segment in a local equirectangular
  projection (good to well under 1% at these latitudes, far below the polylines' own error);
* ``terrain.csv``: a plain ramp from the south-west (about 50 m) to the Yellow River delta (about
  3 m) plus Gaussian hills (central Shandong massif, Jiaodong, Laoshan) [E];
  :func:`elevation_m` evaluates it. It is a proxy for the terrain class, not a DEM.

Land use: a county-level district (市辖区, ``type`` in ``engine/data/geo/shandong_counties.csv``) is
urban, other counties rural (:func:`is_urban`).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from engine import geo

DATA_DIR = Path(__file__).parent / "data"
RIVERS_CSV = DATA_DIR / "rivers.csv"
TERRAIN_CSV = DATA_DIR / "terrain.csv"
URBAN_COUNTY_TYPE = "市辖区"
KM_PER_DEG_LAT = np.pi * geo.EARTH_RADIUS_KM / 180.0
BLOCK_SITES = 20_000


@lru_cache(maxsize=1)
def load_rivers() -> pd.DataFrame:
    """River vertices: columns river, lon, lat (degrees), in order along each river."""
    return pd.read_csv(RIVERS_CSV, comment="#")


@lru_cache(maxsize=1)
def load_terrain() -> pd.DataFrame:
    """Terrain proxy rows: kind (plain_high, plain_low, hill), name, lon, lat, amplitude_m, sigmas."""
    return pd.read_csv(TERRAIN_CSV, comment="#")


def _segments(rivers: pd.DataFrame):
    """Segment end points (lon0, lat0, lon1, lat1: float64[K]) and the river of each segment."""
    parts = []
    for name, rows in rivers.groupby("river", sort=False):
        xy = rows[["lon", "lat"]].to_numpy(float)
        parts.append((xy[:-1], xy[1:], np.full(len(xy) - 1, name, dtype=object)))
    a = np.concatenate([p[0] for p in parts])
    b = np.concatenate([p[1] for p in parts])
    return a, b, np.concatenate([p[2] for p in parts])


def river_distance_km(lon, lat, rivers: pd.DataFrame | None = None):
    """Distance (km) from each site to the nearest river polyline, and that river's name.

    Parameters
    ----------
    lon, lat : float64[S]
        Degrees WGS-84.

    Returns
    -------
    distance_km : float64[S]
    river : object[S]
    """
    lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
    a, b, names = _segments(load_rivers() if rivers is None else rivers)
    kx = KM_PER_DEG_LAT * np.cos(np.radians(np.mean(lat) if len(lat) else 36.0))
    scale = np.array([kx, KM_PER_DEG_LAT])
    p = np.column_stack([lon, lat]) * scale                  # [S, 2] km
    a, b = a * scale, b * scale                              # [K, 2] km
    ab = b - a
    ab2 = np.einsum("kd,kd->k", ab, ab)
    distance, river = np.empty(len(lon)), np.empty(len(lon), dtype=object)
    for start in range(0, len(lon), BLOCK_SITES):   # bounded memory: [block, K, 2]
        q = p[start:start + BLOCK_SITES, None, :] - a[None, :, :]
        t = np.clip(np.einsum("skd,kd->sk", q, ab) / ab2, 0.0, 1.0)
        d = np.sqrt(((q - t[:, :, None] * ab[None, :, :]) ** 2).sum(axis=2))
        k = d.argmin(axis=1)
        distance[start:start + BLOCK_SITES] = d[np.arange(len(k)), k]
        river[start:start + BLOCK_SITES] = names[k]
    return distance, river


def elevation_m(lon, lat, terrain: pd.DataFrame | None = None):
    """Elevation proxy (m): plain ramp plus Gaussian hills (``terrain.csv``), float64[S].

    The ramp is linear along the line from the ``plain_high`` to the ``plain_low`` point, constant
    beyond its ends: ``z = z_high + (z_low - z_high) clip(u, 0, 1)``, ``u`` the projection of the site on
    that line (in degrees, fraction of its length).
    """
    lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
    t = load_terrain() if terrain is None else terrain
    high = t[t["kind"] == "plain_high"].iloc[0]
    low = t[t["kind"] == "plain_low"].iloc[0]
    dx, dy = low["lon"] - high["lon"], low["lat"] - high["lat"]
    u = np.clip(((lon - high["lon"]) * dx + (lat - high["lat"]) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    z = high["amplitude_m"] + (low["amplitude_m"] - high["amplitude_m"]) * u
    for hill in t[t["kind"] == "hill"].itertuples():
        z = z + hill.amplitude_m * np.exp(-0.5 * (((lon - hill.lon) / hill.sigma_lon_deg) ** 2
                                                  + ((lat - hill.lat) / hill.sigma_lat_deg) ** 2))
    return z


def terrain_class(elevation, edges_m) -> np.ndarray:
    """int8[S] class index of each elevation: 0 below ``edges_m[0]``, ..., len(edges) above the last."""
    return np.searchsorted(np.asarray(edges_m, float), np.asarray(elevation, float), side="right").astype(np.int8)


@lru_cache(maxsize=1)
def _urban_counties() -> frozenset:
    counties = geo.load_counties()
    return frozenset(counties.loc[counties["type"] == URBAN_COUNTY_TYPE, "adcode"].astype(int))


def is_urban(county) -> np.ndarray:
    """float64[S]: 1 where the county adcode is a city district (市辖区), else 0."""
    urban = _urban_counties()
    return np.array([1.0 if int(c) in urban else 0.0 for c in np.atleast_1d(county)])


__all__ = ["load_rivers", "load_terrain", "river_distance_km", "elevation_m", "terrain_class", "is_urban"]
