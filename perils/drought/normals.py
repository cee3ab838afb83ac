"""County climate normals: monthly precipitation and temperature statistics of Shandong's 136 counties.

Layout of ``perils/drought/data/county_climate.csv`` (long format, one row per county and month,
sorted by ``adcode`` then ``month``): ``adcode``, ``name_pinyin``, ``lon``, ``lat`` (county seat,
WGS-84 deg), ``month`` (1..12), ``precip_mean_mm`` (mean monthly total, mm), ``precip_cv``
(coefficient of variation of the monthly total, 1), ``precip_p0`` (probability of a dry month,
total below 0.1 mm), ``temp_mean_c`` and ``temp_sd_c`` (mean and interannual standard deviation of
the monthly mean temperature, deg C), ``dtr_c`` (mean diurnal temperature range, deg C, for
Hargreaves PET).

The table is built by :func:`build_county_table` from the station normals of ``stations.csv`` and
the monthly profiles of ``monthly_profiles.csv`` (what is published and what is estimated:
``perils/drought/data/README.md``); rebuild it with ``python -m perils.drought.normals``.
Interpolation is a linear trend surface in (lon, lat) plus inverse-distance weighting of the
station residuals, which reproduces every station exactly and follows the NW-SE gradient outside
the station hull.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).parent / "data"
COUNTY_TABLE = DATA_DIR / "county_climate.csv"
STATIONS = DATA_DIR / "stations.csv"
PROFILES = DATA_DIR / "monthly_profiles.csv"
MONTHS = np.arange(1, 13)
EARTH_RADIUS_KM = 6371.0
COLUMNS = ("adcode", "name_pinyin", "lon", "lat", "month", "precip_mean_mm", "precip_cv", "precip_p0",
           "temp_mean_c", "temp_sd_c", "dtr_c")


@dataclass(frozen=True)
class CountyClimate:
    """Monthly normals of C counties as arrays (month axis: January..December).

    Attributes
    ----------
    adcode : int64[C]
        County adcodes, ascending.
    lon, lat : float64[C]
        County seats, WGS-84 degrees.
    precip_mean, precip_cv, precip_p0 : float64[C, 12]
        Mean monthly precipitation (mm), its coefficient of variation (1) and the probability of a
        dry month (1).
    temp_mean, temp_sd : float64[C, 12]
        Mean and standard deviation of the monthly mean temperature (deg C).
    dtr : float64[C, 12]
        Mean diurnal temperature range (deg C).
    """

    adcode: np.ndarray
    names: tuple
    lon: np.ndarray
    lat: np.ndarray
    precip_mean: np.ndarray
    precip_cv: np.ndarray
    precip_p0: np.ndarray
    temp_mean: np.ndarray
    temp_sd: np.ndarray
    dtr: np.ndarray

    @property
    def n_counties(self) -> int:
        return len(self.adcode)

    def county_index(self, adcodes) -> np.ndarray:
        """int64[S]: row of each adcode; unknown codes raise with a few examples."""
        adcodes = np.asarray(adcodes, dtype=np.int64)
        pos = np.searchsorted(self.adcode, adcodes)
        pos = np.minimum(pos, self.n_counties - 1)
        bad = self.adcode[pos] != adcodes
        if np.any(bad):
            raise ValueError(f"drought: county adcode(s) {sorted(set(adcodes[bad].tolist()))[:5]} are not in the "
                             f"county climate table ({self.n_counties} Shandong counties)")
        return pos.astype(np.int64)

    def with_changes(self, temp_shift_c: float = 0.0, precip_mean_factor: float = 1.0,
                     precip_cv_factor: float = 1.0) -> "CountyClimate":
        """A changed climate: temperature + ``temp_shift_c`` (deg C), precipitation mean and CV scaled."""
        if precip_mean_factor <= 0 or precip_cv_factor <= 0:
            raise ValueError("precipitation factors must be > 0")
        return CountyClimate(self.adcode, self.names, self.lon, self.lat, self.precip_mean * precip_mean_factor,
                             self.precip_cv * precip_cv_factor, self.precip_p0, self.temp_mean + temp_shift_c,
                             self.temp_sd, self.dtr)

    def key(self) -> tuple:
        """Hashable fingerprint (for caches)."""
        return tuple(hash(np.ascontiguousarray(a).tobytes()) for a in
                     (self.adcode, self.precip_mean, self.precip_cv, self.precip_p0, self.temp_mean, self.temp_sd,
                      self.dtr))


def distance_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance (km) between points, broadcasting (haversine, spherical Earth)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def trend_idw(station_lon, station_lat, values, lon, lat, power: float = 2.0) -> np.ndarray:
    """Interpolate station values to points: linear trend in (lon, lat) plus IDW of residuals.

    Parameters
    ----------
    station_lon, station_lat : float64[n]
        Station coordinates (deg).
    values : float64[n, k]
        Station values (k variables, each interpolated independently).
    lon, lat : float64[C]
        Target points (deg).
    power : float
        Inverse-distance power.

    Returns
    -------
    float64[C, k]
        Trend + IDW residual; exact at a station (distance below 1 km).
    """
    values = np.asarray(values, float).reshape(len(station_lon), -1)
    design = np.column_stack([np.ones(len(station_lon)), station_lon, station_lat])
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    resid = values - design @ coef
    d = distance_km(np.asarray(lon)[:, None], np.asarray(lat)[:, None], station_lon[None, :], station_lat[None, :])
    w = 1.0 / np.maximum(d, 1.0) ** power
    w /= w.sum(axis=1, keepdims=True)
    return np.column_stack([np.ones(len(lon)), lon, lat]) @ coef + w @ resid


def dry_month_probability(precip_mean_mm: np.ndarray) -> np.ndarray:
    """Probability of a month with under 0.1 mm: ``0.3 exp(-mean / 4 mm)`` [E] (0.11 at 4 mm, <0.01 at 15 mm)."""
    return 0.3 * np.exp(-np.asarray(precip_mean_mm) / 4.0)


def build_county_table(stations: pd.DataFrame | None = None, profiles: pd.DataFrame | None = None) -> pd.DataFrame:
    """The county climate table (module docstring layout) from station normals and monthly profiles.

    Stations with ``use == 0`` (Taishan summit, 1534 m) are left out. Precipitation is interpolated
    in log space (keeps it positive, follows relative gradients); temperature and the coastal
    indicator linearly. The CV and temperature SD are the province-wide monthly profiles; the
    diurnal range blends the inland and coastal profiles by the interpolated coastal indicator.
    """
    from engine.geo import load_counties

    stations = pd.read_csv(STATIONS) if stations is None else stations
    profiles = pd.read_csv(PROFILES) if profiles is None else profiles
    st = stations[stations["use"] == 1]
    slon, slat = st["lon"].to_numpy(float), st["lat"].to_numpy(float)
    counties = load_counties().sort_values("adcode").reset_index(drop=True)
    lon, lat = counties["lon"].to_numpy(float), counties["lat"].to_numpy(float)
    precip = np.exp(trend_idw(slon, slat, np.log(st[[f"p{m:02d}" for m in MONTHS]].to_numpy(float)), lon, lat))
    temp = trend_idw(slon, slat, st[[f"t{m:02d}" for m in MONTHS]].to_numpy(float), lon, lat)
    coastal = np.clip(trend_idw(slon, slat, st["coastal"].to_numpy(float), lon, lat)[:, 0], 0.0, 1.0)
    prof = profiles.set_index("month").loc[MONTHS]
    dtr = (prof["dtr_inland_c"].to_numpy()[None, :] * (1 - coastal[:, None])
           + prof["dtr_coastal_c"].to_numpy()[None, :] * coastal[:, None])
    n = len(counties)
    table = pd.DataFrame({
        "adcode": np.repeat(counties["adcode"].to_numpy(np.int64), 12),
        "name_pinyin": np.repeat(counties["name_pinyin"].to_numpy(), 12),
        "lon": np.repeat(lon, 12).round(4), "lat": np.repeat(lat, 12).round(4),
        "month": np.tile(MONTHS, n),
        "precip_mean_mm": precip.ravel().round(2),
        "precip_cv": np.tile(prof["precip_cv"].to_numpy(), n),
        "precip_p0": dry_month_probability(precip.ravel()).round(4),
        "temp_mean_c": temp.ravel().round(2),
        "temp_sd_c": np.tile(prof["temp_sd_c"].to_numpy(), n),
        "dtr_c": dtr.ravel().round(2),
    })
    return table[list(COLUMNS)]


def climate_from_table(table: pd.DataFrame, source: str = "county climate table") -> CountyClimate:
    """Arrays from a table in the module docstring layout, checked (every county has months 1..12)."""
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}; expected {list(COLUMNS)}")
    table = table.sort_values(["adcode", "month"]).reset_index(drop=True)
    n = len(table) // 12
    if len(table) != 12 * n or not np.array_equal(table["month"].to_numpy(), np.tile(MONTHS, n)):
        raise ValueError(f"{source}: every county needs exactly one row for each month 1..12")

    def grid(column):
        values = table[column].to_numpy(float).reshape(n, 12)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{source}: column {column} has missing values")
        return values

    out = CountyClimate(table["adcode"].to_numpy(np.int64)[::12], tuple(table["name_pinyin"].astype(str)[::12]),
                        grid("lon")[:, 0], grid("lat")[:, 0], grid("precip_mean_mm"), grid("precip_cv"),
                        grid("precip_p0"), grid("temp_mean_c"), grid("temp_sd_c"), grid("dtr_c"))
    checks = (("precip_mean_mm", out.precip_mean > 0), ("precip_cv", out.precip_cv > 0),
              ("precip_p0", (out.precip_p0 >= 0) & (out.precip_p0 < 0.5)), ("temp_sd_c", out.temp_sd > 0),
              ("dtr_c", out.dtr > 0))
    for column, ok in checks:
        if not np.all(ok):
            raise ValueError(f"{source}: column {column} has values out of range")
    return out


@lru_cache(maxsize=4)
def _load(path: str) -> CountyClimate:
    return climate_from_table(pd.read_csv(path), source=path)


def load_county_climate(path: str | Path | None = None) -> CountyClimate:
    """The county climate normals (default: the shipped ``county_climate.csv``), cached per process."""
    path = Path(path or COUNTY_TABLE)
    if not path.is_file():
        raise FileNotFoundError(f"drought: county climate table not found: {path}")
    return _load(str(path.resolve()))


if __name__ == "__main__":   # rebuild the shipped table
    build_county_table().to_csv(COUNTY_TABLE, index=False)
    print(f"wrote {COUNTY_TABLE}")
