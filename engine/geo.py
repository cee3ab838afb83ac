"""Shandong geography: the 136 county-level divisions, their boundaries and the model domain.

Data (``engine/data/geo/``, provenance in its README):

* ``shandong_counties.csv`` — one row per county: adcode, names, prefecture, seat of government
  and centroid (GCJ-02 in the file; the seat also converted to WGS-84).
* ``shandong_counties_datav.json`` — county boundaries, GeoJSON MultiPolygons in GCJ-02.

Points are WGS-84 (lon, lat in degrees), the frame of the hazard data and of portfolios, except
:func:`load_county_boundaries`, which keeps the file's GCJ-02 coordinates, the ``*_gcj02`` columns
of :func:`load_counties` and the two datum conversions. GCJ-02 ("Mars coordinates", mandated for Chinese web maps) is offset from WGS-84 by
about 500 m in Shandong; :func:`county_of` converts its WGS-84 points to GCJ-02 before testing them
against the boundaries, so the offset does not move points across county lines.
"""
from __future__ import annotations

import functools
import json
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.path import Path as _MplPath

DATA_DIR = Path(__file__).parent / "data"
GEO_DIR = DATA_DIR / "geo"
COUNTIES_CSV = GEO_DIR / "shandong_counties.csv"
COUNTY_BOUNDARIES_JSON = GEO_DIR / "shandong_counties_datav.json"

#: Mean Earth radius (IUGG), km, for great-circle distances.
EARTH_RADIUS_KM = 6371.0
#: A point in no county polygon (at sea, in a gap of the simplified boundaries) takes the county of
#: the nearest seat of government if that seat is at most this far away, else adcode 0.
SEAT_SNAP_KM = 30.0
#: Margin around the bounding box of all county boundaries that makes the model domain, degrees.
DOMAIN_MARGIN_DEG = 0.25

# Krasovsky 1940 ellipsoid constants of the GCJ-02 offset (public reverse-engineered formula).
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


@dataclass(frozen=True)
class Domain:
    """A lon/lat box in WGS-84 degrees (bounds inclusive)."""

    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float

    def contains(self, lon, lat) -> np.ndarray:
        """bool array, broadcast over ``lon`` and ``lat``: inside the box."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        return (lon >= self.lon_min) & (lon <= self.lon_max) & (lat >= self.lat_min) & (lat <= self.lat_max)


#: Bounding box of all county boundaries converted to WGS-84 (114.814–122.711 E, 34.379–38.401 N)
#: widened by DOMAIN_MARGIN_DEG and rounded outward to 0.001 degree. Literals, so that importing
#: reads no file; tests/test_geo.py recomputes the box from the boundaries.
MODEL_DOMAIN = Domain(lon_min=114.563, lon_max=122.962, lat_min=34.128, lat_max=38.652)


def in_domain(lon, lat) -> np.ndarray:
    """bool array: the WGS-84 points (lon, lat in degrees) lie in :data:`MODEL_DOMAIN`."""
    return MODEL_DOMAIN.contains(lon, lat)


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees, broadcast like numpy.

    d = 2 R asin(sqrt(sin^2(dlat/2) + cos(lat1) cos(lat2) sin^2(dlon/2))), R = 6371.0 km.
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _gcj02_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS-84 (dlon, dlat) in degrees at a WGS-84 point (valid inside China)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    rad_lat = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = dlon * 180.0 / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 degrees to GCJ-02 degrees (points inside China; error < 1 m vs. the standard)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, iterations: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 degrees to WGS-84 degrees by fixed-point iteration (centimetre accuracy)."""
    gcj_lon = np.asarray(lon, dtype=np.float64)
    gcj_lat = np.asarray(lat, dtype=np.float64)
    wgs_lon, wgs_lat = gcj_lon, gcj_lat
    for _ in range(iterations):
        dlon, dlat = _gcj02_offset(wgs_lon, wgs_lat)
        wgs_lon, wgs_lat = gcj_lon - dlon, gcj_lat - dlat
    return wgs_lon, wgs_lat


@functools.cache
def _counties() -> pd.DataFrame:
    raw = pd.read_csv(COUNTIES_CSV)
    centroid_lon, centroid_lat = gcj02_to_wgs84(raw["centroid_lon"].to_numpy(), raw["centroid_lat"].to_numpy())
    frame = pd.DataFrame({
        "adcode": raw["adcode"].astype(np.int64),
        "name": raw["name"],
        "name_pinyin": raw["name_pinyin"],
        "type": raw["type"],
        "prefecture_adcode": raw["prefecture_adcode"].astype(np.int64),
        "prefecture_name": raw["prefecture_name"],
        "lon": raw["lon_wgs84"].astype(np.float64),
        "lat": raw["lat_wgs84"].astype(np.float64),
        "centroid_lon": centroid_lon,
        "centroid_lat": centroid_lat,
        "lon_gcj02": raw["lon"].astype(np.float64),
        "lat_gcj02": raw["lat"].astype(np.float64),
        "centroid_lon_gcj02": raw["centroid_lon"].astype(np.float64),
        "centroid_lat_gcj02": raw["centroid_lat"].astype(np.float64),
    })
    if len(frame) != 136 or not frame["adcode"].is_unique:
        raise ValueError(f"{COUNTIES_CSV}: expected 136 unique counties, got {len(frame)}")
    return frame.sort_values("adcode", ignore_index=True)


def load_counties() -> pd.DataFrame:
    """The 136 county-level divisions of Shandong, one row each, sorted by adcode.

    Returns
    -------
    pandas.DataFrame
        ``adcode`` (int64, e.g. 370102), ``name`` (Chinese), ``name_pinyin``, ``type``
        (市辖区 district / 县 county / 县级市 county-level city), ``prefecture_adcode`` (int64),
        ``prefecture_name``; ``lon, lat``: seat of government, WGS-84 degrees (the file's
        ``lon_wgs84, lat_wgs84``); ``centroid_lon, centroid_lat``: polygon centroid converted from
        GCJ-02 to WGS-84 degrees; ``lon_gcj02, lat_gcj02, centroid_lon_gcj02, centroid_lat_gcj02``:
        the file's GCJ-02 values. A fresh copy of a cached table: callers may modify it.
    """
    return _counties().copy()


@functools.cache
def _boundaries() -> types.MappingProxyType:
    with open(COUNTY_BOUNDARIES_JSON, encoding="utf-8") as handle:
        collection = json.load(handle)
    boundaries = {}
    for feature in collection["features"]:
        adcode = int(feature["properties"]["adcode"])
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings = []
        for polygon in polygons:
            if len(polygon) != 1:
                # Each ring is used as a filled outline; a hole would be counted as inside.
                raise ValueError(f"{COUNTY_BOUNDARIES_JSON}: county {adcode} has a polygon with holes")
            ring = np.asarray(polygon[0], dtype=np.float64)
            ring.setflags(write=False)
            rings.append(ring)
        boundaries[adcode] = rings
    return types.MappingProxyType(dict(sorted(boundaries.items())))


def load_county_boundaries() -> types.MappingProxyType:
    """County outlines: read-only mapping adcode (int) -> list of rings, one per part of the county.

    Each ring is a read-only float64[V, 2] array of (lon, lat) vertices, closed (first == last),
    in **GCJ-02** degrees as in the DataV file — about 500 m off WGS-84 in Shandong. Convert with
    :func:`gcj02_to_wgs84` before overlaying WGS-84 data, or use :func:`county_of`, which handles it.
    The boundaries are simplified (vertex spacing of order 100 m–1 km) and have no holes.
    """
    return _boundaries()


@functools.cache
def _ring_index() -> tuple[np.ndarray, np.ndarray, list]:
    """Per ring, in adcode order: adcode int64[Q], bbox float64[Q, 4] (GCJ-02), matplotlib Paths."""
    adcodes, boxes, paths = [], [], []
    for adcode, rings in _boundaries().items():
        for ring in rings:
            adcodes.append(adcode)
            boxes.append((ring[:, 0].min(), ring[:, 0].max(), ring[:, 1].min(), ring[:, 1].max()))
            paths.append(_MplPath(ring, closed=True))
    return np.asarray(adcodes, dtype=np.int64), np.asarray(boxes, dtype=np.float64), paths


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """float64[n, 3] unit vectors of points given in degrees."""
    lon_r = np.radians(lon)
    lat_r = np.radians(lat)
    return np.column_stack((np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)))


def _nearest_seat(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """adcode int64[n] of the nearest WGS-84 seat and its great-circle distance float64[n] in km."""
    counties = _counties()
    seat_lon = counties["lon"].to_numpy()
    seat_lat = counties["lat"].to_numpy()
    # The nearest point on the sphere has the largest dot product of unit vectors: one matrix product.
    best = (_unit_vectors(lon, lat) @ _unit_vectors(seat_lon, seat_lat).T).argmax(axis=1)
    distance = haversine_km(lon, lat, seat_lon[best], seat_lat[best])
    return counties["adcode"].to_numpy()[best], distance


def county_of(lon, lat) -> np.ndarray:
    """County adcode of each WGS-84 point.

    Parameters
    ----------
    lon, lat : array_like of float
        Degrees east / north, WGS-84, broadcast together (any shape).

    Returns
    -------
    int64 array, the broadcast shape
        Adcode of the county whose boundary contains the point (tested in GCJ-02 after converting
        the point). A point in no boundary — at sea, in a sliver between simplified outlines —
        gets the county of the nearest seat of government if that seat is within
        :data:`SEAT_SNAP_KM` km, else 0. Where simplified outlines overlap, the lower adcode wins.
    """
    lon_b, lat_b = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    shape = lon_b.shape
    wgs_lon = lon_b.ravel()
    wgs_lat = lat_b.ravel()
    result = np.zeros(wgs_lon.size, dtype=np.int64)
    if wgs_lon.size == 0:
        return result.reshape(shape)
    gcj_lon, gcj_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    # Sort by longitude once: each ring's candidates are then one contiguous slice.
    order = np.argsort(gcj_lon, kind="stable")
    sorted_lon = gcj_lon[order]
    ring_adcode, ring_box, ring_path = _ring_index()
    unassigned = np.ones(wgs_lon.size, dtype=bool)
    for adcode, (lon_min, lon_max, lat_min, lat_max), path in zip(ring_adcode, ring_box, ring_path):
        lo = np.searchsorted(sorted_lon, lon_min, side="left")
        hi = np.searchsorted(sorted_lon, lon_max, side="right")
        if lo >= hi:
            continue
        idx = order[lo:hi]
        idx = idx[unassigned[idx] & (gcj_lat[idx] >= lat_min) & (gcj_lat[idx] <= lat_max)]
        if idx.size == 0:
            continue
        inside = idx[path.contains_points(np.column_stack((gcj_lon[idx], gcj_lat[idx])))]
        result[inside] = adcode
        unassigned[inside] = False
    rest = np.flatnonzero(unassigned & np.isfinite(wgs_lon) & np.isfinite(wgs_lat))
    if rest.size:
        nearest, distance = _nearest_seat(wgs_lon[rest], wgs_lat[rest])
        result[rest] = np.where(distance <= SEAT_SNAP_KM, nearest, 0)
    return result.reshape(shape)
