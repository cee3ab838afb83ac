"""Stochastic typhoon tracks for Shandong: perturbed historical tracks (a smoothed bootstrap).

Method
------
Each synthetic storm is a historical CMA storm ("parent") plus smooth random perturbations; the
width of the position and intensity perturbations is fitted from the record as the leave-one-out
maximum-likelihood bandwidth (Gaussian kernel) of the storm attribute it smooths, so the synthetic
set is a kernel density estimate of the record that strays from it only as far as the data allow.

1. **Parent pool.** Storms of the fitting period whose hourly centre comes within
   ``pool_radius_km`` (500 km) of Shandong, at any intensity: wide enough that perturbed tracks can
   move into the 300 km "affecting" region as well as out of it. Each parent is cropped to the
   hours within ``crop_km`` (800 km) of Shandong.
2. **Annual count.** N ~ Poisson(rate) or negative binomial(rate, size), fitted by maximum
   likelihood to the annual pool counts; the negative binomial is used only if a likelihood-ratio
   test against the Poisson rejects it at 5% (half chi-square(1) at the boundary).
3. **Parent choice.** Uniform over the pool (each historical storm equally likely), so the
   seasonal, spatial and intensity distributions are those of the record.
4. **Timing.** The track is shifted by a whole number of days, round(N(0, sigma_doy)), reflected
   at the first and last day on which a storm affected Shandong in the record (or at the parent's
   own day if it lies outside them), so a storm of the season stays in the season. sigma_doy is
   stated (5 days, "a few days"); the LOO bandwidth of the affecting storms' days (9 days) is
   reported but not used: it would blur the steep ends of the season into May and October.
5. **Position.** East and north offsets (km) follow a critically damped second-order
   autoregression, x_t = 2 phi x_{t-1} - phi^2 x_{t-2} + c e_t (white noise passed twice
   through the AR(1) filter with phi = exp(-1 h / tau_pos)), started from its stationary law and
   scaled so sd(x_t) = sigma_pos: a smooth offset (continuous heading and speed) that decorrelates
   over about 2 tau_pos. sigma_pos = LOO bandwidth of the signed miss distance (distance of
   closest approach to the Shandong centroid, negative when the centroid lies left of the track).
6. **Intensity.** The central-pressure deficit dp = max(p_env - p, 0) is multiplied by
   exp(eta_t - s^2 / 2), eta the same kind of smooth process with sd s = sigma_lndp (the LOO
   bandwidth of ln dp at closest approach) and time scale tau_int, clipped at +-3 s. The perturbed
   deficit never exceeds the larger of the parent's and the deepest CMA deficit (1949–2024, all
   storms) within +-1 degree of the child's latitude: an empirical potential-intensity envelope
   (60–70 hPa around Shandong's latitudes, 140 hPa at 16 N).
7. **Decay over land.** The parent's own decay is kept. Where the perturbed centre has spent a
   different number of hours over land than the parent (GLOBE 1-km land mask, block-averaged to
   1/30 degree), the deficit is multiplied by exp(-alpha (H_child - H_parent)), H the hours over
   land so far (a Kaplan–DeMaria-type exponential decay, alpha fitted to the pool storms' deficits
   over land), and never exceeds the parent's deficit at its latest hour over sea: a child that
   stays at sea while its parent is ashore keeps the parent's landfall intensity.
8. **Wind.** Child wind = parent wind * ((dp_child + 1) / (dp_parent + 1))^b, b the exponent of
   the pressure–wind fit vmax = a dp^b on CMA fixes since 1980 (2-min winds, m/s, dp in hPa); the
   same fit fills parent winds CMA left unknown.

All randomness of simulated year y comes from ``engine.rng.year_generator(seed, STREAM, y)``:
the count, then the parents, the day shifts, and one standard-normal array [T, 3] (east, north,
intensity) for the storms' hours in order. A year's storms therefore do not depend on which other
years are simulated. Event ids are ``engine.dtypes.event_ids(year, peril_index, k)`` with k the
storm's rank by start time in its year.

Layout: the model holds the cropped hourly parents as one CSR table (``parent_offsets`` int64[P+1],
``parent_fix`` float64[T, 5]: lat, lon, pressure hPa, wind m/s, over-land flag) and the land grid
(``land`` uint8[NY, NX], south-west origin ``land_origin`` and step ``LAND_STEP_DEG``). One numba
kernel (:func:`_perturb_kernel`) perturbs every storm of a batch of years.
"""
from __future__ import annotations

import functools
import importlib.util
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from engine import dtypes
from engine.geo import haversine_km
from engine.jit import kernel
from engine.rng import year_generator
from perils.typhoon import besttrack

#: Random stream of the track simulation.
STREAM = "typhoon.tracks"
#: Shandong area centroid (WGS-84 degrees, from the county boundaries), the point of miss distances.
SHANDONG_CENTRE = (118.18, 36.36)
KM_PER_DEG = 111.195
#: Land grid: region (lon_min, lon_max, lat_min, lat_max) and resolution (degrees).
LAND_REGION = (95.0, 150.0, 5.0, 55.0)
LAND_STEP_DEG = 1.0 / 30.0
#: Offset (hPa) keeping the wind ratio finite for a vanishing deficit.
WIND_RATIO_OFFSET_HPA = 1.0

# Parameter record of the perturbation kernel (declared once).
PARAMS_DTYPE = np.dtype([
    ("phi_pos", np.float64), ("sigma_pos_km", np.float64),
    ("phi_int", np.float64), ("sigma_lndp", np.float64),
    ("land_decay_per_h", np.float64), ("p_env_hpa", np.float64), ("wind_exponent", np.float64),
    ("land_lon0", np.float64), ("land_lat0", np.float64), ("land_step", np.float64),
])
#: Latitude bins (degrees) of the deficit envelope: bin b covers [b, b + 1).
CAP_LAT_BINS = 90


@dataclass(frozen=True, eq=False)
class SimTrack:
    """One synthetic storm: hourly arrays float64[T] from its (cropped) start.

    ``start_hour``: hours from 1 January 00 UTC of ``year`` to the first point (``start_doy`` =
    floor(start_hour / 24) + 1); ``time_h``: hours since the first point (0, 1, 2, ...);
    ``vmax_ms``: 2-min maximum wind (CMA basis); ``rank``: k of the event id.
    """

    year: int
    rank: int
    parent_storm_id: int
    start_doy: int
    start_hour: float
    time_h: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    pressure_hpa: np.ndarray
    vmax_ms: np.ndarray


# --- the kernel ---------------------------------------------------------------------------------

@kernel
def _smooth_ar2(noise, phi, sigma, out):
    """Critically damped AR(2) path, stationary sd ``sigma``, from standard normals.

    noise, out: float64[T]. x_0 = sigma z_0; x_1 = r x_0 + sigma sqrt(1 - r^2) z_1 with
    r = 2 phi / (1 + phi^2) (the lag-1 autocorrelation); x_t = 2 phi x_{t-1} - phi^2 x_{t-2}
    + c z_t with c = sigma sqrt((1 - phi^2)^3 / (1 + phi^2)).
    """
    n = noise.shape[0]
    if n == 0:
        return
    r = 2.0 * phi / (1.0 + phi * phi)
    c = sigma * np.sqrt((1.0 - phi * phi) ** 3 / (1.0 + phi * phi))
    out[0] = sigma * noise[0]
    if n > 1:
        out[1] = r * out[0] + sigma * np.sqrt(1.0 - r * r) * noise[1]
    for t in range(2, n):
        out[t] = 2.0 * phi * out[t - 1] - phi * phi * out[t - 2] + c * noise[t]


@kernel
def _perturb_kernel(parent_fix, parent_offsets, child_parent, child_offsets, noise, land, dp_cap, params, out):
    """Perturb parents into children (method in the module docstring, steps 5–8).

    parent_fix: float64[T_p, 5] (lat deg, lon deg, pressure hPa, wind m/s, over land 0/1), CSR by
    parent with parent_offsets int64[P+1]; child_parent: int64[C]; child_offsets: int64[C+1]
    (child i has the length of its parent); noise: float64[T_c, 3] standard normals; land:
    uint8[NY, NX]; dp_cap: float64[CAP_LAT_BINS] deficit envelope (hPa) by whole degree of
    |latitude|; params: PARAMS_DTYPE record; out: float64[T_c, 4] (lat, lon, pressure, wind).
    """
    p = params
    for i in range(child_parent.shape[0]):
        j0 = parent_offsets[child_parent[i]]
        c0 = child_offsets[i]
        n = child_offsets[i + 1] - c0
        east = np.empty(n)
        north = np.empty(n)
        eta = np.empty(n)
        _smooth_ar2(noise[c0:c0 + n, 0], p.phi_pos, p.sigma_pos_km, east)
        _smooth_ar2(noise[c0:c0 + n, 1], p.phi_pos, p.sigma_pos_km, north)
        _smooth_ar2(noise[c0:c0 + n, 2], p.phi_int, p.sigma_lndp, eta)
        land_h_child = 0.0
        land_h_parent = 0.0
        last_sea_dp = max(p.p_env_hpa - parent_fix[j0, 2], 0.0)
        for t in range(n):
            lat_p = parent_fix[j0 + t, 0]
            lon_p = parent_fix[j0 + t, 1]
            pres_p = parent_fix[j0 + t, 2]
            wind_p = parent_fix[j0 + t, 3]
            land_p = parent_fix[j0 + t, 4]
            lat_c = min(max(lat_p + north[t] / 111.195, -89.0), 89.0)
            lon_c = lon_p + east[t] / (111.195 * np.cos(np.radians(lat_c)))
            iy = int(np.floor((lat_c - p.land_lat0) / p.land_step))
            ix = int(np.floor((lon_c - p.land_lon0) / p.land_step))
            land_c = 0.0
            if 0 <= iy < land.shape[0] and 0 <= ix < land.shape[1]:
                land_c = float(land[iy, ix])
            dp_p = max(p.p_env_hpa - pres_p, 0.0)
            if land_p == 0.0:
                last_sea_dp = dp_p
            dp_land = dp_p * np.exp(-p.land_decay_per_h * (land_h_child - land_h_parent))
            dp_land = min(dp_land, max(dp_p, last_sea_dp))
            e = min(max(eta[t], -3.0 * p.sigma_lndp), 3.0 * p.sigma_lndp)
            dp_c = dp_land * np.exp(e - 0.5 * p.sigma_lndp * p.sigma_lndp)
            cap_bin = min(int(abs(lat_c)), dp_cap.shape[0] - 1)
            dp_c = min(dp_c, max(dp_cap[cap_bin], dp_p))
            out[c0 + t, 0] = lat_c
            out[c0 + t, 1] = lon_c
            out[c0 + t, 2] = pres_p - (dp_c - dp_p)
            out[c0 + t, 3] = wind_p * ((dp_c + 1.0) / (dp_p + 1.0)) ** p.wind_exponent
            land_h_child += land_c
            land_h_parent += land_p


# --- land mask ----------------------------------------------------------------------------------

@functools.cache
def _land_grid() -> tuple[np.ndarray, tuple[float, float]]:
    """uint8[NY, NX] land flags of LAND_REGION at LAND_STEP_DEG, and its (lon0, lat0) origin.

    From the GLOBE 1/120-degree mask of the ``global-land-mask`` package (True = ocean, rows from
    90 N southwards): only the rows of the region are decompressed, then each 4x4 block becomes
    land if at least half of it is land.
    """
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None:
        raise ImportError("the typhoon track model needs the land mask: pip install global-land-mask")
    path = Path(spec.origin).parent / "globe_combined_mask_compressed.npz"
    lon_min, lon_max, lat_min, lat_max = LAND_REGION
    per_deg = 120
    block = int(round(LAND_STEP_DEG * per_deg))
    row0, row1 = int(round((90.0 - lat_max) * per_deg)), int(round((90.0 - lat_min) * per_deg))
    col0, col1 = int(round((lon_min + 180.0) * per_deg)), int(round((lon_max + 180.0) * per_deg))
    parts = []
    with zipfile.ZipFile(path) as archive, archive.open("mask.npy") as stream:
        version = np.lib.format.read_magic(stream)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(stream)
        if shape != (180 * per_deg, 360 * per_deg) or fortran or dtype != np.bool_:
            raise ValueError(f"{path}: unexpected GLOBE mask layout {shape}, {dtype}")
        step = 240
        for row in range(0, row1, step):
            rows = np.frombuffer(stream.read(step * shape[1]), dtype=np.bool_).reshape(-1, shape[1])
            lo = max(row0 - row, 0)
            hi = min(row1 - row, rows.shape[0])
            if hi > lo:
                parts.append(~rows[lo:hi, col0:col1])   # ocean -> land
    fine = np.concatenate(parts)
    coarse = fine.reshape(fine.shape[0] // block, block, fine.shape[1] // block, block).mean(axis=(1, 3)) >= 0.5
    # Rows north -> south in the file; store south -> north so row index grows with latitude.
    return np.ascontiguousarray(coarse[::-1]).astype(np.uint8), (lon_min, lat_min)


def is_land(lon, lat) -> np.ndarray:
    """bool array: the WGS-84 points are over land on the 1/30-degree grid (sea outside LAND_REGION)."""
    grid, (lon0, lat0) = _land_grid()
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    iy = np.floor((lat - lat0) / LAND_STEP_DEG).astype(np.int64)
    ix = np.floor((lon - lon0) / LAND_STEP_DEG).astype(np.int64)
    ok = (iy >= 0) & (iy < grid.shape[0]) & (ix >= 0) & (ix < grid.shape[1])
    result = np.zeros(np.broadcast(lon, lat).shape, dtype=bool)
    result[ok] = grid[iy[ok], ix[ok]] == 1
    return result


# --- fitting helpers ----------------------------------------------------------------------------

def loo_bandwidth(samples: np.ndarray) -> float:
    """Leave-one-out maximum-likelihood bandwidth of a 1-D Gaussian kernel density estimate.

    Maximises sum_i log( sum_{j != i} phi((x_i - x_j) / h) / ((n - 1) h) ) over h.
    """
    x = np.asarray(samples, dtype=np.float64)
    diff2 = (x[:, None] - x[None, :]) ** 2
    np.fill_diagonal(diff2, np.inf)
    spread = np.std(x)

    def negative_loglik(log_h):
        h = np.exp(log_h)
        density = np.exp(-diff2 / (2.0 * h * h)).sum(axis=1) / ((x.size - 1) * h * np.sqrt(2.0 * np.pi))
        return -np.log(np.maximum(density, 1e-300)).sum()

    result = optimize.minimize_scalar(negative_loglik, bounds=(np.log(spread * 1e-3), np.log(spread * 2.0)),
                                      method="bounded")
    return float(np.exp(result.x))


def fit_annual_counts(counts: np.ndarray) -> tuple[float, float, float]:
    """(rate, size, p-value): Poisson (size = inf) unless a negative binomial fits better at 5%.

    The negative binomial has mean ``rate`` and variance rate + rate^2 / size; the p-value is the
    likelihood-ratio test of size = inf (half chi-square(1), the null on the boundary).
    """
    counts = np.asarray(counts, dtype=np.int64)
    rate = counts.mean()
    loglik_poisson = stats.poisson.logpmf(counts, rate).sum()

    def negative_loglik(log_size):
        size = np.exp(log_size)
        return -stats.nbinom.logpmf(counts, size, size / (size + rate)).sum()

    result = optimize.minimize_scalar(negative_loglik, bounds=(np.log(0.05), np.log(1e4)), method="bounded")
    statistic = max(2.0 * (-result.fun - loglik_poisson), 0.0)
    p_value = 0.5 * stats.chi2.sf(statistic, 1) if statistic > 0 else 1.0
    size = float(np.exp(result.x)) if p_value < 0.05 else np.inf
    return float(rate), size, float(p_value)


def fit_land_decay(storm_id: np.ndarray, pressure: np.ndarray, land: np.ndarray, p_env: float,
                   max_hours: int = 48, min_deficit: float = 5.0) -> float:
    """Exponential decay rate (1/h) of the pressure deficit over land after landfall.

    For every landfall (a sea hour followed by land) with deficit >= ``min_deficit`` hPa, the
    hours t = 1..``max_hours`` while the centre stays over land give ln(dp_t / dp_0) = -alpha t;
    alpha is the least-squares slope through the origin over all landfalls.
    """
    dp = np.maximum(p_env - pressure, 0.1)
    sum_ty, sum_tt = 0.0, 0.0
    n = len(storm_id)
    for i in range(1, n):
        if storm_id[i] != storm_id[i - 1] or land[i - 1] or not land[i] or dp[i - 1] < min_deficit:
            continue
        for t in range(1, max_hours + 1):
            k = i - 1 + t
            if k >= n or storm_id[k] != storm_id[i] or not land[k]:
                break
            sum_ty += t * np.log(dp[k] / dp[i - 1])
            sum_tt += t * t
    return float(-sum_ty / sum_tt)


def deficit_envelope(tracks: pd.DataFrame, p_env_hpa: float) -> np.ndarray:
    """float64[CAP_LAT_BINS]: deepest deficit p_env - p (hPa) of any fix within +-1 degree of each bin.

    Bin b holds |latitude| in [b, b + 1); the envelope uses bins b-1..b+1 of all fixes given.
    """
    bins = np.minimum(np.floor(np.abs(tracks["lat"].to_numpy())).astype(np.int64), CAP_LAT_BINS - 1)
    deepest = np.zeros(CAP_LAT_BINS)
    np.maximum.at(deepest, bins, np.maximum(p_env_hpa - tracks["pressure"].to_numpy(), 0.0))
    padded = np.concatenate(([0.0], deepest, [0.0]))
    return np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])


def _signed_miss_km(lon, lat, lon_next, lat_next) -> np.ndarray:
    """Signed distance (km) of closest approach to SHANDONG_CENTRE: negative if it lies left of the motion."""
    lon0, lat0 = SHANDONG_CENTRE
    scale = np.cos(np.radians(lat0))
    px, py = (lon - lon0) * scale, lat - lat0
    mx, my = (lon_next - lon) * scale, lat_next - lat
    cross = mx * (-py) - my * (-px)          # z of motion x (centre - storm): > 0 centre on the left
    distance = np.hypot(px, py) * KM_PER_DEG
    return np.where(cross > 0.0, -distance, distance)


# --- the model ----------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class TrackModel:
    """Fitted parameters and parent tracks of the stochastic track model (picklable, immutable)."""

    first_year: int
    last_year: int
    pool_radius_km: float
    crop_km: float
    annual_rate: float              # pool storms per year
    count_size: float               # negative binomial size; inf = Poisson
    count_lr_pvalue: float          # LR test of Poisson vs negative binomial
    sigma_doy: float                # days (stated)
    sigma_doy_loo: float            # days: LOO bandwidth of the affecting storms' days (reported only)
    season_doy: tuple               # (first, last) day of year of the affecting storms
    sigma_pos_km: float
    tau_pos_h: float
    sigma_lndp: float
    tau_int_h: float
    land_decay_per_h: float
    p_env_hpa: float
    wind_coef: float                # vmax = wind_coef * dp ** wind_exponent (m/s, hPa)
    wind_exponent: float
    parent_storm_id: np.ndarray     # int64[P]
    parent_offsets: np.ndarray      # int64[P+1]
    parent_start_hour: np.ndarray   # float64[P], hours since 1 Jan 00 UTC of the parent's year
    parent_ref_doy: np.ndarray      # float64[P], day of year of closest approach
    parent_fix: np.ndarray          # float64[T, 5]: lat, lon, pressure, wind, over land
    dp_cap: np.ndarray              # float64[CAP_LAT_BINS]: deficit envelope (hPa) by degree of latitude
    land: np.ndarray = field(repr=False, default=None)       # uint8[NY, NX]
    land_origin: tuple = (LAND_REGION[0], LAND_REGION[2])

    def __post_init__(self):
        for name in ("parent_storm_id", "parent_offsets", "parent_start_hour", "parent_ref_doy", "parent_fix",
                     "dp_cap", "land"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    # ---- fit ----
    @classmethod
    def fit(cls, tracks: pd.DataFrame, *, first_year: int = besttrack.FIRST_YEAR,
            last_year: int = besttrack.LAST_YEAR, pool_radius_km: float = 500.0, crop_km: float = 800.0,
            sigma_doy: float = 5.0, tau_pos_h: float = 24.0, tau_int_h: float = 24.0,
            p_env_hpa: float = 1010.0) -> TrackModel:
        """Fit the model to a CMA track table (:func:`besttrack.load_best_tracks`).

        Parameters
        ----------
        tracks : pandas.DataFrame
            Best-track fixes; storms of seasons ``first_year``..``last_year`` are used.
        pool_radius_km, crop_km : float
            Parent pool radius and cropping radius around Shandong, km.
        sigma_doy : float
            Standard deviation of the day shift, days (stated, see the module docstring).
        tau_pos_h, tau_int_h : float
            Time scales (h) of the position and intensity perturbations (stated).
        p_env_hpa : float
            Environmental pressure of the deficit dp = p_env - p, hPa.
        """
        dp_cap = deficit_envelope(tracks, p_env_hpa)
        tracks = tracks[(tracks["year"] >= first_year) & (tracks["year"] <= last_year)]
        wind_coef, wind_exponent = besttrack.fit_pressure_wind(tracks, p_env_hpa)
        hourly = besttrack.fill_missing_wind(besttrack.interpolate_hourly(tracks), wind_coef, wind_exponent,
                                             p_env_hpa)
        storms = besttrack.affecting_storms(tracks, hourly=hourly, all_storms=True)
        pool = storms[storms["min_distance_km"] <= pool_radius_km]
        counts = pool.groupby("year").size().reindex(range(first_year, last_year + 1), fill_value=0).to_numpy()
        rate, size, p_value = fit_annual_counts(counts)
        affecting_doy = storms.loc[storms["affects"], "event_doy"]

        hp = hourly[hourly["storm_id"].isin(pool["storm_id"]).to_numpy()].reset_index(drop=True)
        lon, lat = hp["lon"].to_numpy(), hp["lat"].to_numpy()
        over_land = is_land(lon, lat)
        alpha = fit_land_decay(hp["storm_id"].to_numpy(), hp["pressure"].to_numpy(), over_land, p_env_hpa)
        dp = np.maximum(p_env_hpa - hp["pressure"].to_numpy(), 0.0)
        distance = besttrack.distance_to_shandong_km(lon, lat)
        centre_km = haversine_km(lon, lat, *SHANDONG_CENTRE)
        hour = besttrack.hour_of_year(hp["time"])
        columns = np.column_stack((lat, lon, hp["pressure"].to_numpy(), hp["wind"].to_numpy(), over_land))
        ids, starts, ref_doy, miss, ln_dp, rows = [], [], [], [], [], []
        for storm_id, idx in hp.groupby("storm_id", sort=True).indices.items():
            near = idx[distance[idx] <= crop_km]
            closest = idx[np.argmin(centre_km[idx])]
            after = min(closest + 1, idx[-1])
            before = max(after - 1, idx[0])
            miss.append(_signed_miss_km(lon[before], lat[before], lon[after], lat[after]))
            ln_dp.append(np.log(max(dp[closest], 1.0)))
            ref_doy.append(np.floor(hour[closest] / 24.0) + 1.0)
            ids.append(storm_id)
            starts.append(hour[near[0]])
            rows.append(columns[near[0]:near[-1] + 1])
        lengths = np.array([len(r) for r in rows])
        return cls(
            first_year=first_year, last_year=last_year, pool_radius_km=pool_radius_km, crop_km=crop_km,
            annual_rate=rate, count_size=size, count_lr_pvalue=p_value,
            sigma_doy=sigma_doy, sigma_doy_loo=loo_bandwidth(affecting_doy.to_numpy()),
            season_doy=(float(affecting_doy.min()), float(affecting_doy.max())),
            sigma_pos_km=loo_bandwidth(np.asarray(miss)), tau_pos_h=tau_pos_h,
            sigma_lndp=loo_bandwidth(np.asarray(ln_dp)), tau_int_h=tau_int_h,
            land_decay_per_h=alpha, p_env_hpa=p_env_hpa, wind_coef=wind_coef, wind_exponent=wind_exponent,
            parent_storm_id=np.asarray(ids, dtype=np.int64),
            parent_offsets=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
            parent_start_hour=np.asarray(starts, dtype=np.float64), parent_ref_doy=np.asarray(ref_doy),
            parent_fix=np.ascontiguousarray(np.concatenate(rows), dtype=np.float64), dp_cap=dp_cap,
            land=_land_grid()[0], land_origin=_land_grid()[1],
        )

    # ---- simulation ----
    def _params(self) -> np.ndarray:
        record = np.rec.array(np.zeros(1, dtype=PARAMS_DTYPE))[0]   # np.record: attribute access without numba too
        record["phi_pos"] = np.exp(-1.0 / self.tau_pos_h)
        record["sigma_pos_km"] = self.sigma_pos_km
        record["phi_int"] = np.exp(-1.0 / self.tau_int_h)
        record["sigma_lndp"] = self.sigma_lndp
        record["land_decay_per_h"] = self.land_decay_per_h
        record["p_env_hpa"] = self.p_env_hpa
        record["wind_exponent"] = self.wind_exponent
        record["land_lon0"], record["land_lat0"] = self.land_origin
        record["land_step"] = LAND_STEP_DEG
        return record

    def _draw_year(self, year: int, seed: int):
        """(parents int64[n], start hours float64[n], noise float64[T, 3]) of one year, ranked by start."""
        rng = year_generator(seed, STREAM, year)
        if np.isinf(self.count_size):
            n = int(rng.poisson(self.annual_rate))
        else:
            n = int(rng.negative_binomial(self.count_size, self.count_size / (self.count_size + self.annual_rate)))
        parents = rng.integers(0, len(self.parent_storm_id), size=n)
        shift = np.rint(rng.normal(0.0, self.sigma_doy, size=n))
        # Reflect into [min(parent, first), max(parent, last)]: a storm of the season stays in it,
        # one outside it never moves further out.
        parent_doy = self.parent_ref_doy[parents]
        first = np.minimum(parent_doy, self.season_doy[0])
        last = np.maximum(parent_doy, self.season_doy[1])
        ref = parent_doy + shift
        ref = np.where(ref < first, 2.0 * first - ref, ref)
        ref = np.where(ref > last, 2.0 * last - ref, ref)
        ref = np.clip(ref, first, last)
        start = self.parent_start_hour[parents] + 24.0 * (ref - parent_doy)
        lengths = np.diff(self.parent_offsets)[parents]
        noise = rng.standard_normal((int(lengths.sum()), 3))
        # Rank by start time; noise rows stay with their storm.
        order = np.argsort(start, kind="stable")
        if n > 1 and np.any(order != np.arange(n)):
            bounds = np.concatenate(([0], np.cumsum(lengths)))
            noise = np.concatenate([noise[bounds[i]:bounds[i + 1]] for i in order])
        return parents[order], start[order], noise

    def _simulate_arrays(self, years, seed):
        """Per storm: year, rank, parent index, start hour; CSR offsets and out float64[T, 4]."""
        years = np.asarray(years, dtype=np.int64)
        storm_year, storm_rank, parents, starts, noises = [], [], [], [], []
        for year in years:
            parent, start, noise = self._draw_year(int(year), seed)
            storm_year.append(np.full(parent.size, year, dtype=np.int64))
            storm_rank.append(np.arange(parent.size, dtype=np.int64))
            parents.append(parent)
            starts.append(start)
            noises.append(noise)
        parents = np.concatenate(parents) if parents else np.zeros(0, dtype=np.int64)
        lengths = np.diff(self.parent_offsets)[parents]
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        noise = np.concatenate(noises) if noises else np.zeros((0, 3))
        out = np.empty((offsets[-1], 4), dtype=np.float64)
        _perturb_kernel(self.parent_fix, self.parent_offsets, parents.astype(np.int64), offsets,
                        np.ascontiguousarray(noise), self.land, self.dp_cap, self._params(), out)
        return (np.concatenate(storm_year) if storm_year else np.zeros(0, dtype=np.int64),
                np.concatenate(storm_rank) if storm_rank else np.zeros(0, dtype=np.int64),
                parents, np.concatenate(starts) if starts else np.zeros(0), offsets, out)

    def simulate_year(self, year: int, seed: int) -> list[SimTrack]:
        """The synthetic storms of one simulated year, ranked by start time."""
        storm_year, rank, parents, starts, offsets, out = self._simulate_arrays([year], seed)
        result = []
        for i in range(parents.size):
            rows = out[offsets[i]:offsets[i + 1]]
            result.append(SimTrack(
                year=int(storm_year[i]), rank=int(rank[i]), parent_storm_id=int(self.parent_storm_id[parents[i]]),
                start_doy=int(np.floor(starts[i] / 24.0)) + 1, start_hour=float(starts[i]),
                time_h=np.arange(rows.shape[0], dtype=np.float64), lat=rows[:, 0].copy(), lon=rows[:, 1].copy(),
                pressure_hpa=rows[:, 2].copy(), vmax_ms=rows[:, 3].copy()))
        return result

    def simulate(self, years, seed: int, peril_index: int = 0) -> pd.DataFrame:
        """Synthetic tracks of ``years`` as one table (the ``tracks.parquet`` layout of issue 4).

        Returns
        -------
        pandas.DataFrame, one row per storm and hour, sorted by (event_id, time)
            ``event_id`` int64 (``event_ids(year, peril_index, k)``), ``year`` int64, ``time``
            timedelta64[ns] since 1 January 00 UTC of the simulated year, ``lat``, ``lon``
            (degrees), ``pressure_hpa`` (central pressure), ``vmax_ms`` (2-min maximum wind, m/s,
            CMA basis), ``parent_storm_id`` int64 (the CMA storm it perturbs).
        """
        storm_year, rank, parents, starts, offsets, out = self._simulate_arrays(years, seed)
        lengths = np.diff(offsets)
        event = dtypes.event_ids(storm_year, peril_index, rank)
        hours = np.repeat(starts, lengths) + (np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths))
        return pd.DataFrame({
            "event_id": np.repeat(event, lengths),
            "year": np.repeat(storm_year, lengths),
            "time": (np.rint(hours * 3600.0).astype(np.int64) * 1_000_000_000).astype("timedelta64[ns]"),
            "lat": out[:, 0], "lon": out[:, 1], "pressure_hpa": out[:, 2], "vmax_ms": out[:, 3],
            "parent_storm_id": np.repeat(self.parent_storm_id[parents], lengths),
        })

    def summary(self) -> dict:
        """The fitted parameters as plain numbers (for reports)."""
        return {
            "fit period": f"{self.first_year}-{self.last_year}",
            "parents (pool storms)": int(self.parent_storm_id.size),
            "pool radius km": self.pool_radius_km, "crop radius km": self.crop_km,
            "annual rate (pool)": self.annual_rate,
            "count model": "Poisson" if np.isinf(self.count_size) else f"negative binomial, size {self.count_size:.3g}",
            "LR p-value NB vs Poisson": self.count_lr_pvalue,
            "sigma_doy days": self.sigma_doy, "LOO bandwidth of affecting days": self.sigma_doy_loo,
            "season doy": self.season_doy,
            "sigma_pos km": self.sigma_pos_km, "tau_pos h": self.tau_pos_h,
            "sigma_lndp": self.sigma_lndp, "tau_int h": self.tau_int_h,
            "land decay alpha 1/h": self.land_decay_per_h, "p_env hPa": self.p_env_hpa,
            "wind = a dp^b: a": self.wind_coef, "b": self.wind_exponent,
        }

