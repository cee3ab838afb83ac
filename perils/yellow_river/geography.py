"""Approximate geography of the lower Yellow River in Shandong: centreline, reaches, floodplain,
Dongping Lake and the land behind the dikes. All of it is [E], good to a few km:

* the **centreline** is a polyline through the gauging stations and bends, read by eye from where
  the Shandong county boundaries of ``engine.geo`` follow the river (e.g. Dongming's west edge,
  Juancheng/Yuncheng's north edge, Yanggu|Liangshan, Dong'e|Pingyin, Qihe|Changqing,
  Jiyang|Zhangqiu, Lijin|Kenli) and the station positions, to about 5 km;
* the **floodplain** (滩区) of a reach is the band within half the dike spacing of the centreline
  (dike spacing per reach in the config, within REFERENCE.md's 5-20 km above Gaocun and 0.5-4 km
  Taochengpu-Lijin);
* **Dongping Lake**: two ellipses south-east of the river between Sunkou and Aishan, scaled to the
  old lake's 209 km2 and the new lake's 423 km2 (REFERENCE.md [S] areas; shape and position [E]);
* **behind the dikes**: everything outside the floodplain, on the left (north-west) or right
  (south-east) bank, reach by reach.

Coordinates are WGS-84; distances use a local equirectangular projection (km) about 36 N, whose
scale error over the river's extent is about 1%.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.path import Path as MplPath

from engine.geo import EARTH_RADIUS_KM

KM_PER_DEG = np.pi * EARTH_RADIUS_KM / 180.0
REF_LON, REF_LAT = 117.0, 36.0

#: Stations, upstream to downstream (nodes 0..4 of the routing): approximate WGS-84 positions [E].
STATIONS = ("huayuankou", "gaocun", "sunkou", "aishan", "lijin")
#: Centreline vertices (lon, lat) [E], with the index of each station in it.
CENTRELINE = np.array([
    (113.66, 34.91),   # Huayuankou (Zhengzhou)
    (114.30, 34.93), (114.78, 34.93), (114.85, 35.10), (114.78, 35.30), (114.80, 35.42),
    (114.95, 35.52),   # Gaocun
    (115.19, 35.60), (115.40, 35.78), (115.70, 35.83),
    (115.92, 35.93),   # Sunkou
    (116.02, 36.02),
    (116.25, 36.22),   # Aishan
    (116.54, 36.40), (116.66, 36.60), (116.78, 36.68), (116.98, 36.76), (117.20, 36.92), (117.45, 37.10),
    (117.65, 37.20), (117.95, 37.33), (118.18, 37.42),
    (118.30, 37.52),   # Lijin
    (118.50, 37.65), (118.75, 37.75), (119.15, 37.77),   # to the mouth (part of the last reach)
])
STATION_VERTEX = (0, 6, 10, 12, 22)

#: Dongping Lake as ellipses: centre (lon, lat), axis ratio, orientation of the long axis (degrees
#: anticlockwise from east), area km2 (REFERENCE.md [S]); centre, ratio and angle [E].
DONGPING = {"old": ((116.23, 36.00), 1.6, 40.0, 209.0), "new": ((116.04, 35.79), 1.5, 40.0, 423.0)}


def project(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) km east and north of (117 E, 36 N), local equirectangular."""
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    return (lon - REF_LON) * KM_PER_DEG * np.cos(np.radians(REF_LAT)), (lat - REF_LAT) * KM_PER_DEG


def unproject(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`project`: (lon, lat) degrees."""
    return (REF_LON + np.asarray(x) / (KM_PER_DEG * np.cos(np.radians(REF_LAT))),
            REF_LAT + np.asarray(y) / KM_PER_DEG)


@dataclass(frozen=True)
class LinePosition:
    """Where points lie relative to the centreline: ``distance_km`` float64[S] (unsigned),
    ``chainage_km`` float64[S] (along the line from Huayuankou to the nearest point), ``side`` int8[S]
    (+1 left bank = north-west looking downstream, -1 right bank)."""

    distance_km: np.ndarray
    chainage_km: np.ndarray
    side: np.ndarray


def centreline_xy() -> np.ndarray:
    """float64[V, 2]: the centreline in projected km."""
    x, y = project(CENTRELINE[:, 0], CENTRELINE[:, 1])
    return np.column_stack([x, y])


def station_chainage_km() -> np.ndarray:
    """float64[5]: chainage of each station along the polyline, km (not the river's length)."""
    xy = centreline_xy()
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    return cum[list(STATION_VERTEX)]


def locate(lon, lat) -> LinePosition:
    """Nearest point of the centreline to each (lon, lat)."""
    px, py = project(lon, lat)
    xy = centreline_xy()
    a, b = xy[:-1], xy[1:]
    seg = b - a
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    rel_x = px[:, None] - a[None, :, 0]
    rel_y = py[:, None] - a[None, :, 1]
    t = np.clip((rel_x * seg[:, 0] + rel_y * seg[:, 1]) / seg_len ** 2, 0.0, 1.0)
    dx, dy = rel_x - t * seg[:, 0], rel_y - t * seg[:, 1]
    dist = np.hypot(dx, dy)
    k = np.argmin(dist, axis=1)
    rows = np.arange(px.size)
    cross = seg[k, 0] * rel_y[rows, k] - seg[k, 1] * rel_x[rows, k]
    return LinePosition(dist[rows, k], cum[k] + t[rows, k] * seg_len[k], np.where(cross >= 0, 1, -1).astype(np.int8))


def point_at(chainage_km: float, offset_km: float) -> tuple[float, float]:
    """(x, y) km of the point ``offset_km`` to the left (+) or right (-) of the centreline at
    ``chainage_km`` along it."""
    xy = centreline_xy()
    seg = np.diff(xy, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    k = int(np.clip(np.searchsorted(cum, chainage_km, side="right") - 1, 0, len(seg) - 1))
    t = (chainage_km - cum[k]) / seg_len[k]
    normal = np.array([-seg[k, 1], seg[k, 0]]) / seg_len[k]   # towards the left bank
    p = xy[k] + t * seg[k] + offset_km * normal
    return float(p[0]), float(p[1])


def line_length_km() -> float:
    """Length of the centreline polyline, km."""
    return float(np.hypot(*np.diff(centreline_xy(), axis=0).T).sum())


def reach_of(chainage_km) -> np.ndarray:
    """int64[S]: reach index 0..3 (Huayuankou-Gaocun .. Aishan-Lijin and on to the mouth)."""
    stations = station_chainage_km()
    return np.clip(np.searchsorted(stations, np.asarray(chainage_km), side="right") - 1, 0, len(STATIONS) - 2)


def ellipse(centre, ratio: float, angle_deg: float, area_km2: float, n: int = 72) -> np.ndarray:
    """float64[n, 2]: (lon, lat) vertices of an ellipse of the given area (km2) and axis ratio."""
    semi_minor = np.sqrt(area_km2 / (np.pi * ratio))
    semi_major = ratio * semi_minor
    theta = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    u, v = semi_major * np.cos(theta), semi_minor * np.sin(theta)
    phi = np.radians(angle_deg)
    cx, cy = project(*centre)
    lon, lat = unproject(cx + u * np.cos(phi) - v * np.sin(phi), cy + u * np.sin(phi) + v * np.cos(phi))
    return np.column_stack([lon, lat])


def polygon_area_km2(vertices) -> float:
    """Area (km2) of a (lon, lat) polygon in the local projection (shoelace)."""
    x, y = project(vertices[:, 0], vertices[:, 1])
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def dongping_polygons() -> dict:
    """{"old": float64[n, 2], "new": float64[n, 2]}: Dongping Lake (lon, lat) polygons."""
    return {name: ellipse(*spec) for name, spec in DONGPING.items()}


def in_polygon(vertices, lon, lat) -> np.ndarray:
    """bool[S]: points inside a (lon, lat) polygon."""
    return MplPath(vertices).contains_points(np.column_stack([np.asarray(lon), np.asarray(lat)]))
