"""CMA tropical-cyclone best tracks (1949–2024) and the storms that affect Shandong.

Data: ``perils/data/cma_bst/CH<year>BST.txt``, the CMA/STI best-track files (citation in that
folder's README). Each storm is a header ``66666 <intl_id> <n_rows> <seq> <cma_id> <end_flag>
<dt_hours> <NAME> <version>`` followed by fixes ``YYYYMMDDHH grade lat*10 lon*10 pressure wind
[owd]``, times in UTC, wind the 2-minute mean maximum sustained wind (m/s).

The track table (:func:`load_best_tracks`) has one row per fix, sorted by (storm_id, time):

========== ================ ===============================================================
column     dtype            meaning
========== ================ ===============================================================
storm_id   int64            year * 100 + CMA sequence number of the year (unique)
year       int64            season (the file's year)
seq        int64            CMA sequence number within the year (counts unnamed storms too)
cma_id     int64            CMA (Chinese) storm number, e.g. 1909; 0 where CMA gave none; the first
                            where a merged storm lists two ("7127,7128")
intl_id    int64            international number; 0 where none
name       str              name of the first record ("(nameless)" where unnamed)
segment    int8             0 for the main record, k for the k-th continuation record
time       datetime64[ns]   UTC
lat, lon   float64          degrees north / east
pressure   float64          central pressure, hPa
wind       float64          2-min maximum sustained wind, m/s; NaN where missing (see below)
owd        float64          the optional 7th column (CMA "OWD", a 2-min mean wind), NaN if absent
grade      int8             0 < TD or unknown, 1 TD, 2 TS, 3 STS, 4 TY, 5 STY, 6 SuperTY, 9 ET
extratropical bool          grade == 9
========== ================ ===============================================================

Quirks handled (``/work/shared/data/README.md``): a storm split over several header records with
the same (year, sequence) is one storm. The extra records are named ``<NAME>(-)k``: 51 of them in
46 storms (1963 Wendy, CMA 6306, has three records; 1997 Winnie, 9711, two). They are secondary
or continuing centres: a record's fixes extend the storm only after the last time of the earlier
records, so a continuation that outlives the main centre is appended (Winnie's run through
Shandong to Liaoning, Wendy's to 38.7 N, with a jump of a few hundred km where CMA switched
centre) and a secondary centre that ran alongside the main one is dropped. A time repeated inside
one record (2020 Krovanh, 25 Dec 00 UTC) keeps its first fix. Wind 0 (CMA: unknown) and
wind 9 (CMA: a flag for "below 10 m/s", frequent in 1949–1990 on grade-0 fixes and read by the
data README as missing) become NaN. The sequence number, not the CMA number, keys storms: unnamed
depressions all carry CMA number 0000.

Shandong geometry: the county boundaries of ``engine.geo`` are GCJ-02; points (WGS-84) are
converted to GCJ-02 before the polygon test, and the boundary vertices to WGS-84 for distances.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.path import Path as _MplPath
from scipy.spatial import cKDTree

from engine.geo import EARTH_RADIUS_KM, gcj02_to_wgs84, load_county_boundaries, wgs84_to_gcj02

CMA_DIR = Path(__file__).resolve().parents[1] / "data" / "cma_bst"
FIRST_YEAR = 1949
LAST_YEAR = 2024
#: Lower bound of the CMA tropical-storm class (GB/T 19201), m/s.
TS_WIND_MS = 17.2
#: Default radius around Shandong for "affecting" storms, km.
AFFECT_RADIUS_KM = 300.0

TRACK_COLUMNS = ("storm_id", "year", "seq", "cma_id", "intl_id", "name", "segment", "time", "lat", "lon",
                 "pressure", "wind", "owd", "grade", "extratropical")


# --- reading ------------------------------------------------------------------------------------

def _read_file(path: Path) -> list[tuple]:
    """Rows (storm header fields + fix fields) of one CH<year>BST.txt file."""
    rows = []
    header = None
    record = -1
    expected = 0
    seen_in_record = 0
    with open(path, encoding="ascii") as handle:
        for line_no, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if fields[0] == "66666":
                if header is not None and seen_in_record != expected:
                    raise ValueError(f"{path}: record before line {line_no} has {seen_in_record} fixes, "
                                     f"header says {expected}")
                # 9 fields; 8 when the name is blank (1997 seq 29).
                if len(fields) not in (8, 9):
                    raise ValueError(f"{path}:{line_no}: header with {len(fields)} fields")
                name = fields[7] if len(fields) == 9 else ""
                record += 1
                # Merged storms list two CMA numbers ("7127,7128"): keep the first.
                header = (record, int(fields[3]), int(fields[4].split(",")[0]), int(fields[1]), name)
                expected = int(fields[2])
                seen_in_record = 0
                continue
            if header is None or len(fields) not in (6, 7):
                raise ValueError(f"{path}:{line_no}: unexpected line {line.rstrip()!r}")
            owd = float(fields[6]) if len(fields) == 7 else np.nan
            rows.append(header + (fields[0], int(fields[1]), int(fields[2]) / 10.0, int(fields[3]) / 10.0,
                                  float(fields[4]), float(fields[5]), owd))
            seen_in_record += 1
    if header is not None and seen_in_record != expected:
        raise ValueError(f"{path}: last record has {seen_in_record} fixes, header says {expected}")
    return rows


def _merge_segments(frame: pd.DataFrame) -> pd.DataFrame:
    """One storm per (year, seq): later records extend the track only after its last time so far."""
    first_record = frame.groupby(["year", "seq"])["record"].transform("min")
    frame = frame.assign(segment=(frame["record"] - first_record).astype(np.int8))
    base_name = frame.groupby(["year", "seq"])["name"].transform("first").str.replace(r"\(-\)\d+$", "", regex=True)
    frame = frame.assign(name=base_name)
    # Latest time covered by the earlier records of the same storm (NaT for the main record).
    record_end = frame.groupby(["year", "seq", "segment"])["time"].max()
    covered = record_end.groupby(level=["year", "seq"]).cummax().groupby(level=["year", "seq"]).shift()
    covered_until = pd.MultiIndex.from_frame(frame[["year", "seq", "segment"]]).map(covered)
    keep = np.asarray(pd.isna(covered_until) | (frame["time"].to_numpy() > covered_until.to_numpy()))
    # One record repeats a time (2020 Krovanh, last two fixes): keep the first.
    return frame[keep].drop_duplicates(["year", "seq", "time"], keep="first")


@functools.cache
def _best_tracks() -> pd.DataFrame:
    rows = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        path = CMA_DIR / f"CH{year}BST.txt"
        rows.extend((year,) + row for row in _read_file(path))
    frame = pd.DataFrame(rows, columns=["year", "record", "seq", "cma_id", "intl_id", "name", "stamp", "grade", "lat",
                                        "lon", "pressure", "wind", "owd"])
    frame["time"] = pd.to_datetime(frame.pop("stamp"), format="%Y%m%d%H").astype("datetime64[ns]")
    frame = _merge_segments(frame)
    frame["wind"] = frame["wind"].where(~frame["wind"].isin([0.0, 9.0]))
    frame["storm_id"] = frame["year"].astype(np.int64) * 100 + frame["seq"]
    frame["grade"] = frame["grade"].astype(np.int8)
    frame["extratropical"] = frame["grade"] == 9
    for column in ("year", "seq", "cma_id", "intl_id"):
        frame[column] = frame[column].astype(np.int64)
    frame = frame[list(TRACK_COLUMNS)].sort_values(["storm_id", "time"], ignore_index=True)
    if frame["seq"].max() >= 100:
        raise ValueError("a CMA sequence number >= 100 would break storm_id = year * 100 + seq")
    return frame


def load_best_tracks() -> pd.DataFrame:
    """All CMA best-track fixes 1949–2024 as one table (columns in the module docstring).

    Cached after the first call (about 1 s); each call returns a fresh copy.
    """
    return _best_tracks().copy()


def write_tracks_parquet(path, tracks: pd.DataFrame | None = None) -> Path:
    """Write the track table (default: :func:`load_best_tracks`) to a Parquet file; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    (load_best_tracks() if tracks is None else tracks).to_parquet(path, index=False)
    return path


def interpolate_hourly(tracks: pd.DataFrame) -> pd.DataFrame:
    """Tracks at every whole UTC hour between each storm's first and last fix.

    Linear in time for lat, lon, pressure and wind (a NaN wind at either end gives NaN); grade is
    the previous fix's. Returns storm_id, time, lat, lon, pressure, wind, grade.
    """
    out = []
    for storm_id, storm in tracks.groupby("storm_id", sort=True):
        fix_h = storm["time"].to_numpy().astype("datetime64[h]").astype(np.int64)
        hours = np.arange(fix_h[0], fix_h[-1] + 1, dtype=np.int64)
        columns = {"storm_id": np.full(hours.size, storm_id, dtype=np.int64),
                   "time": hours.astype("datetime64[h]").astype("datetime64[ns]")}
        for name in ("lat", "lon", "pressure"):
            columns[name] = np.interp(hours, fix_h, storm[name].to_numpy())
        wind = storm["wind"].to_numpy()
        columns["wind"] = _interp_nan(hours, fix_h, wind)
        columns["grade"] = storm["grade"].to_numpy()[np.searchsorted(fix_h, hours, side="right") - 1]
        out.append(pd.DataFrame(columns))
    return pd.concat(out, ignore_index=True)


def _interp_nan(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """np.interp that is NaN wherever either bracketing value is NaN."""
    values = np.interp(x, xp, np.nan_to_num(fp))
    missing = np.isnan(fp).astype(np.float64)
    return np.where(np.interp(x, xp, missing) > 0.0, np.nan, values)


def fit_pressure_wind(tracks: pd.DataFrame, p_env_hpa: float = 1010.0, since_year: int = 1980) -> tuple[float, float]:
    """(a, b) of vmax = a dp^b, least squares in logs over fixes with a known wind.

    vmax: CMA 2-min wind (m/s); dp = p_env - pressure (hPa), fixes with dp >= 1 hPa of seasons
    ``since_year`` on (earlier winds are often unknown or coarsely estimated).
    """
    fixes = tracks[(tracks["year"] >= since_year) & tracks["wind"].notna()
                   & (tracks["pressure"] <= p_env_hpa - 1.0)]
    slope, intercept = np.polyfit(np.log(p_env_hpa - fixes["pressure"].to_numpy()),
                                  np.log(fixes["wind"].to_numpy()), 1)
    return float(np.exp(intercept)), float(slope)


def fill_missing_wind(frame: pd.DataFrame, coef: float, exponent: float, p_env_hpa: float = 1010.0) -> pd.DataFrame:
    """A copy of a track table with unknown winds set to coef * max(p_env - pressure, 1)^exponent."""
    deficit = np.maximum(p_env_hpa - frame["pressure"].to_numpy(), 1.0)
    return frame.assign(wind=frame["wind"].fillna(pd.Series(coef * deficit ** exponent, index=frame.index)))


# --- Shandong geometry --------------------------------------------------------------------------

@functools.cache
def _shandong_rings() -> tuple[np.ndarray, list]:
    """Per county ring: GCJ-02 bbox float64[Q, 4] and matplotlib Paths."""
    boxes, paths = [], []
    for rings in load_county_boundaries().values():
        for ring in rings:
            boxes.append((ring[:, 0].min(), ring[:, 0].max(), ring[:, 1].min(), ring[:, 1].max()))
            paths.append(_MplPath(ring, closed=True))
    return np.asarray(boxes), paths


def shandong_polygon_test(lon, lat) -> np.ndarray:
    """bool array (broadcast shape): the WGS-84 points lie inside a Shandong county boundary.

    A strict polygon test (no snapping to county seats, unlike ``engine.geo.county_of``): the
    points are converted to GCJ-02, the frame of the boundaries, and tested against every county
    ring whose bounding box contains them.
    """
    lon_b, lat_b = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    shape = lon_b.shape
    boxes, paths = _shandong_rings()
    result = np.zeros(lon_b.size, dtype=bool)
    finite = np.isfinite(lon_b.ravel()) & np.isfinite(lat_b.ravel())
    candidates = np.flatnonzero(finite & (lon_b.ravel() >= boxes[:, 0].min() - 0.1)
                                & (lon_b.ravel() <= boxes[:, 1].max() + 0.1)
                                & (lat_b.ravel() >= boxes[:, 2].min() - 0.1)
                                & (lat_b.ravel() <= boxes[:, 3].max() + 0.1))
    if candidates.size == 0:
        return result.reshape(shape)
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon_b.ravel()[candidates], lat_b.ravel()[candidates])
    inside = np.zeros(candidates.size, dtype=bool)
    for (lon_min, lon_max, lat_min, lat_max), path in zip(boxes, paths):
        idx = np.flatnonzero(~inside & (gcj_lon >= lon_min) & (gcj_lon <= lon_max)
                             & (gcj_lat >= lat_min) & (gcj_lat <= lat_max))
        if idx.size:
            inside[idx[path.contains_points(np.column_stack((gcj_lon[idx], gcj_lat[idx])))]] = True
    result[candidates] = inside
    return result.reshape(shape)


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    return np.column_stack((np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)))


#: Beyond this distance (km), distances come from every COARSE_STEP-th boundary vertex (error
#: < 15 km, immaterial that far away).
EXACT_WITHIN_KM = 400.0
COARSE_STEP = 25
#: Distance grid (lon_min, lon_max, lat_min, lat_max, step in degrees): inside it, distances are
#: interpolated bilinearly from exact node values and recomputed exactly within GRID_REFINE_KM.
DISTANCE_GRID = (106.0, 131.0, 26.0, 47.0, 0.05)
GRID_REFINE_KM = 10.0


@functools.cache
def _boundary_trees() -> tuple[cKDTree, cKDTree]:
    """KD-trees of the unit vectors of the county boundary vertices (WGS-84): all, and a thinned set."""
    vertices = np.concatenate([ring for rings in load_county_boundaries().values() for ring in rings])
    lon, lat = gcj02_to_wgs84(vertices[:, 0], vertices[:, 1])
    units = _unit_vectors(lon, lat)
    return cKDTree(units), cKDTree(units[::COARSE_STEP])


def _chord_to_km(chord: np.ndarray) -> np.ndarray:
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


def _exact_distance_km(lon: np.ndarray, lat: np.ndarray, exact_within_km: float = EXACT_WITHIN_KM) -> np.ndarray:
    """Distance to the nearest boundary vertex (all vertices within ``exact_within_km``), 0 inside."""
    units = _unit_vectors(lon, lat)
    full, coarse = _boundary_trees()
    distance = _chord_to_km(coarse.query(units)[0])
    near = np.flatnonzero(distance <= exact_within_km + 15.0)
    if near.size:
        distance[near] = _chord_to_km(full.query(units[near])[0])
    distance[shandong_polygon_test(lon, lat)] = 0.0
    return distance


@functools.cache
def _distance_grid() -> np.ndarray:
    """float64[NY, NX] exact distances (km) at the DISTANCE_GRID nodes, row = latitude index."""
    lon_min, lon_max, lat_min, lat_max, step = DISTANCE_GRID
    lon = np.arange(round((lon_max - lon_min) / step) + 1) * step + lon_min
    lat = np.arange(round((lat_max - lat_min) / step) + 1) * step + lat_min
    grid_lon, grid_lat = np.meshgrid(lon, lat)
    return _exact_distance_km(grid_lon.ravel(), grid_lat.ravel(), np.inf).reshape(grid_lon.shape)


def distance_to_shandong_km(lon, lat) -> np.ndarray:
    """Great-circle distance (km) from WGS-84 points to Shandong: 0 inside, else to the boundary.

    The boundary is represented by its vertices (spacing 100 m–1 km): exact to about 0.5 km
    within GRID_REFINE_KM of the province; elsewhere on the DISTANCE_GRID box (about 1,000 km
    around Shandong), bilinear between exact values on a 0.05-degree grid (the distance is smooth
    there: error below 0.5 km except within a few km of the medial axis of a bay, below 3 km);
    outside the box, within 15 km. Returns float64 with the broadcast shape of ``lon`` and ``lat``.
    """
    lon_b, lat_b = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    lon_f, lat_f = lon_b.ravel(), lat_b.ravel()
    lon_min, _, lat_min, _, step = DISTANCE_GRID
    grid = _distance_grid()
    fx = (lon_f - lon_min) / step
    fy = (lat_f - lat_min) / step
    on_grid = (fx >= 0) & (fy >= 0) & (fx < grid.shape[1] - 1) & (fy < grid.shape[0] - 1)
    distance = np.empty(lon_f.size)
    ix = np.floor(fx[on_grid]).astype(np.int64)
    iy = np.floor(fy[on_grid]).astype(np.int64)
    wx = fx[on_grid] - ix
    wy = fy[on_grid] - iy
    distance[on_grid] = ((1 - wy) * ((1 - wx) * grid[iy, ix] + wx * grid[iy, ix + 1])
                         + wy * ((1 - wx) * grid[iy + 1, ix] + wx * grid[iy + 1, ix + 1]))
    exact = np.flatnonzero(~on_grid | (distance <= GRID_REFINE_KM + 5.0))
    if exact.size:
        distance[exact] = _exact_distance_km(lon_f[exact], lat_f[exact])
    return distance.reshape(lon_b.shape)


# --- storms that affect Shandong ----------------------------------------------------------------

def track_stats(storm_id, hour_of_year, lon, lat, wind, radius_km: float = AFFECT_RADIUS_KM) -> pd.DataFrame:
    """Per-storm Shandong statistics from hourly points (observed or simulated tracks alike).

    Parameters
    ----------
    storm_id : int64[T]
        Storm key of each hourly point, points of a storm contiguous and in time order.
    hour_of_year : float64[T]
        Hours since 1 January 00 UTC of the storm's year (day of year = floor(h / 24) + 1).
    lon, lat : float64[T]
        Centre, WGS-84 degrees.
    wind : float64[T]
        2-min maximum wind, m/s (NaN: unknown, never counts as tropical-storm strength).
    radius_km : float
        Radius around Shandong for ``ts_within``.

    Returns
    -------
    pandas.DataFrame, one row per storm (sorted by storm_id)
        ``enters`` (centre inside Shandong at some hour), ``ts_within`` (wind >= 17.2 m/s at some
        hour within ``radius_km`` of Shandong), ``affects`` (either), ``hours_inside``,
        ``first_hour_inside`` (hour of year, NaN if never), ``max_wind_inside`` (m/s, NaN if never
        inside or unknown), ``min_distance_km``, ``max_wind_within`` (within ``radius_km``),
        ``event_hour`` (the first hour at which the storm enters or is a TS within the radius,
        NaN if neither) and ``event_doy`` (its day of year).
    """
    storm_id = np.asarray(storm_id, dtype=np.int64)
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    wind = np.asarray(wind, dtype=np.float64)
    hour = np.asarray(hour_of_year, dtype=np.float64)
    distance = distance_to_shandong_km(lon, lat)
    inside = distance == 0.0
    within = distance <= radius_km
    ts_within = within & (wind >= TS_WIND_MS)
    points = pd.DataFrame({
        "storm_id": storm_id, "inside": inside, "ts_within": ts_within, "distance": distance,
        "hour_inside": np.where(inside, hour, np.nan),
        "wind_inside": np.where(inside, wind, np.nan),
        "wind_within": np.where(within, wind, np.nan),
        "event_hour": np.where(inside | ts_within, hour, np.nan),
    })
    grouped = points.groupby("storm_id", sort=True)
    stats = pd.DataFrame({
        "enters": grouped["inside"].any(),
        "ts_within": grouped["ts_within"].any(),
        "hours_inside": grouped["inside"].sum().astype(np.int64),
        "first_hour_inside": grouped["hour_inside"].min(),
        "max_wind_inside": grouped["wind_inside"].max(),
        "min_distance_km": grouped["distance"].min(),
        "max_wind_within": grouped["wind_within"].max(),
        "event_hour": grouped["event_hour"].min(),
    })
    stats.insert(2, "affects", stats["enters"] | stats["ts_within"])
    stats["event_doy"] = np.floor(stats["event_hour"] / 24.0) + 1.0
    return stats.reset_index()


def hour_of_year(times: pd.Series) -> np.ndarray:
    """Hours since 1 January 00 UTC of each timestamp's own year."""
    values = times.to_numpy().astype("datetime64[h]")
    year_start = values.astype("datetime64[Y]").astype("datetime64[h]")
    return (values - year_start).astype(np.float64)


def affecting_storms(tracks: pd.DataFrame, radius_km: float = AFFECT_RADIUS_KM, hourly: pd.DataFrame | None = None,
                     all_storms: bool = False) -> pd.DataFrame:
    """Storms whose centre enters Shandong or that are of tropical-storm strength within ``radius_km``.

    Tracks are interpolated to hourly before the tests (a 6-hourly fix list can jump across the
    province's 100–200 km width). Wind is the CMA 2-min wind; unknown winds never count as TS.

    Parameters
    ----------
    tracks : pandas.DataFrame
        A track table as from :func:`load_best_tracks`.
    radius_km : float
        Radius around the Shandong boundary, km.
    hourly : pandas.DataFrame, optional
        :func:`interpolate_hourly` of ``tracks`` if already computed.
    all_storms : bool
        Return every storm's statistics, not only the affecting ones.

    Returns
    -------
    pandas.DataFrame, one row per storm
        storm_id, year, name and the columns of :func:`track_stats`, plus ``first_time_inside``
        (UTC timestamp, NaT if never inside), ``first_day_inside`` (its date) and ``event_time``.
    """
    hourly = interpolate_hourly(tracks) if hourly is None else hourly
    hour = hour_of_year(hourly["time"])
    stats = track_stats(hourly["storm_id"], hour, hourly["lon"], hourly["lat"], hourly["wind"], radius_km)
    names = tracks.groupby("storm_id", sort=True)[["year", "name"]].first()
    stats = stats.join(names, on="storm_id")
    year_start = pd.to_datetime(hourly.groupby("storm_id", sort=True)["time"].first().dt.year.astype(str) + "-01-01")
    # hour_of_year counts from the year of the point itself; storms of interest never span New Year.
    start = year_start.reindex(stats["storm_id"]).to_numpy()
    stats["first_time_inside"] = start + pd.to_timedelta(stats["first_hour_inside"], unit="h").to_numpy()
    stats["first_day_inside"] = pd.Series(stats["first_time_inside"]).dt.date
    stats["event_time"] = start + pd.to_timedelta(stats["event_hour"], unit="h").to_numpy()
    front = ["storm_id", "year", "name"]
    stats = stats[front + [c for c in stats.columns if c not in front]]
    if not all_storms:
        stats = stats[stats["affects"]].reset_index(drop=True)
    return stats
