"""User track files for what-if scenarios, and the shift that makes one from a historical track.

A track file (CSV or Parquet) has one row per track point:

==============  ========  ==========================================================
column          required  meaning
==============  ========  ==========================================================
time            yes       ISO date-time (UTC), or ``time_h``: hours since the storm's start
lat, lon        yes       centre, degrees WGS-84
pressure_hpa    yes       central pressure, hPa (alias ``pressure``)
vmax_ms         no        maximum 2-min wind, m/s, CMA basis (alias ``wind``); empty: from the pressure
rmax_km         no        radius of maximum wind, km (empty: the wind model's Rmax relation)
grade           no        CMA grade (9 = extratropical: rain enhancement)
storm           no        storm label: several storms in one file are separate events
start_doy       no        day of year of the first point when ``time`` is in hours (default 220)
==============  ========  ==========================================================

:func:`read_track_file` returns ``[(start day of year, track table)]`` as the typhoon peril's replay
mode does, so a user's storm runs through the same footprint and loss chain. :func:`shift_track`
moves a track by a distance (e.g. Lekima 50 km west) for what-if scenarios.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0
DEFAULT_START_DOY = 220   # 8 August, the peak of Shandong's typhoon season, when times are relative


def _fail(path, message, row=None, column=None):
    where = str(path) + (f", row {row}" if row is not None else "") + (f", column '{column}'" if column else "")
    raise ValueError(f"{where}: {message}")


def _first(frame, names):
    return next((n for n in names if n in frame.columns), None)


def read_track_file(path) -> list:
    """Storms of a track file as ``[(start_doy, DataFrame[time_h, lat, lon, pressure_hpa, vmax_ms, ...])]``.

    Raises ValueError naming the file, row and column of the first bad value.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: track file not found; give peril.<name>.track_file as a CSV or Parquet path")
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path)
    elif path.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"{path}: unknown track file format '{path.suffix}'; use .csv or .parquet")
    if frame.empty:
        _fail(path, "has no track points")
    time_col = _first(frame, ("time", "time_h"))
    pres_col = _first(frame, ("pressure_hpa", "pressure"))
    wind_col = _first(frame, ("vmax_ms", "wind"))
    for col, what in ((time_col, "time (ISO date-time) or time_h"), (pres_col, "pressure_hpa"),
                      ("lat" if "lat" in frame else None, "lat"), ("lon" if "lon" in frame else None, "lon")):
        if col is None:
            _fail(path, f"missing column {what}; columns are time, lat, lon, pressure_hpa[, vmax_ms, rmax_km, grade, storm]")
    row_no = lambda i: int(i) + 2  # noqa: E731  (file line after the header)
    checks = [("lat", 0.0, 60.0, "degrees north"), ("lon", 90.0, 180.0, "degrees east"),
              (pres_col, 850.0, 1030.0, "hPa")]
    if wind_col:
        checks.append((wind_col, 0.0, 100.0, "m/s (empty: derived from the pressure)"))
    if "rmax_km" in frame:
        checks.append(("rmax_km", 5.0, 500.0, "km (empty: from the Rmax relation)"))
    numeric = {}
    for col, lo, hi, unit in checks:
        values = pd.to_numeric(frame[col], errors="coerce")
        optional = col in (wind_col, "rmax_km")
        bad = (values.isna() & (frame[col].notna() | (not optional))) | ~(values.isna() | values.between(lo, hi))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(path, f"{frame[col].iloc[i]!r} must be a number in [{lo:g}, {hi:g}] {unit}", row_no(i), col)
        numeric[col] = values.to_numpy(float)
    if time_col == "time":
        times = pd.to_datetime(frame["time"], errors="coerce", utc=True)
        bad = times.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            _fail(path, f"{frame['time'].iloc[i]!r} is not a date-time (e.g. 2019-08-10 12:00)", row_no(i), "time")
    else:
        hours = pd.to_numeric(frame["time_h"], errors="coerce")
        if hours.isna().any():
            i = int(np.flatnonzero(hours.isna().to_numpy())[0])
            _fail(path, f"{frame['time_h'].iloc[i]!r} is not a number of hours", row_no(i), "time_h")
    storms = frame["storm"].astype(str).to_numpy() if "storm" in frame else np.full(len(frame), "")
    out = []
    for label in pd.unique(storms):
        rows = np.flatnonzero(storms == label)
        if time_col == "time":
            t = times.iloc[rows]
            time_h = ((t - t.iloc[0]).dt.total_seconds() / 3600.0).to_numpy()
            start_doy = int(t.iloc[0].day_of_year)
        else:
            time_h = hours.to_numpy(float)[rows]
            time_h = time_h - time_h[0]
            start_doy = int(frame["start_doy"].iloc[rows[0]]) if "start_doy" in frame else DEFAULT_START_DOY
        if rows.size < 2 or np.any(np.diff(time_h) <= 0):
            _fail(path, f"storm '{label}' needs at least two points with strictly increasing times", row_no(rows[0]),
                  time_col)
        track = pd.DataFrame({"time_h": time_h, "lat": numeric["lat"][rows], "lon": numeric["lon"][rows],
                              "pressure_hpa": numeric[pres_col][rows],
                              "vmax_ms": numeric[wind_col][rows] if wind_col else np.full(rows.size, np.nan)})
        if "rmax_km" in frame:
            track["rmax_km"] = numeric["rmax_km"][rows]
        if "grade" in frame:
            track["grade"] = pd.to_numeric(frame["grade"], errors="coerce").fillna(0).to_numpy(np.int64)[rows]
        out.append((min(max(start_doy, 1), 366), track))
    return out


def shift_track(track: pd.DataFrame, east_km: float = 0.0, north_km: float = 0.0) -> pd.DataFrame:
    """A copy of ``track`` moved ``east_km`` east and ``north_km`` north (negative: west, south).

    Each point moves by the same distance on the sphere (longitude step scaled by cos(lat)), so the
    track keeps its shape, speed and intensity; only where it passes changes.
    """
    out = track.copy()
    lat = out["lat"].to_numpy(float)
    out["lat"] = lat + np.degrees(north_km / EARTH_RADIUS_KM)
    out["lon"] = out["lon"].to_numpy(float) + np.degrees(east_km / (EARTH_RADIUS_KM * np.cos(np.radians(lat))))
    return out
