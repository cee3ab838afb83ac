"""Monthly weather generator: precipitation and temperature of every county, per calendar year.

Arrays are ``float64[Y, 12, C]`` (calendar year, month January..December, county). Each variable is
a Gaussian anomaly X (the copula, or normal-score, space) mapped to its margin:

* precipitation: 0 with probability p0 (a dry month), else gamma with the mean and CV that make the
  mixture match the normals (mean, CV); temperature: normal mean + SD x X;
* X = sqrt(1 - w) Z + sqrt(w) A: a monthly AR(1) component Z (lag-1 ``phi``) and a year-long
  component A (constant within a calendar year, AR(1) over years with lag-1 ``annual_lag1``), so the
  lag-1 autocorrelation within a year is (1 - w) phi + w (= ``lag1_*``) and years persist;
* innovations are spatially correlated, exp(-d / range) with a nugget (Cholesky over the C county
  seats), and P-T correlated month by month (:meth:`GeneratorParams.innovation_correlation`).

Chunk independence. Every draw comes from ``engine.rng.year_generator(seed, "drought.weather", u)``
for calendar year u: first the year-long innovations (2 x C), then the monthly ones (12 x 2 x C).
Calendar year Y's monthly component is the AR(1) run over the 24 months of years Y-1 and Y, started
in January of Y-1 from its own (unit-variance) innovation; its year-long component is the truncated
moving average sum_{k=0..K} a^k eta[Y-k] (K = ``annual_memory_years``) rescaled to unit variance.
(Years below 0, the history of the first simulated years, use the stream ``"drought.weather.before"``
keyed by -u.) So year Y's weather is a pure function of (seed, Y): any chunking gives the same numbers. The price is
a truncation: the monthly lag-1 across New Year is phi minus a term of order phi^12 (< 1e-6 for
phi <= 0.3), and the year-long component forgets after K years (a^K < 1e-10 for a = 0.3, K = 20).
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np
from scipy import special

from engine.rng import year_generator
from perils.drought.normals import CountyClimate, distance_km
from perils.drought.params import GeneratorParams

STREAM = "drought.weather"
#: Years before 0 (history of the first simulated years) draw from this stream, keyed by -year.
STREAM_BEFORE = "drought.weather.before"
#: Normal-score grid of the precipitation quantile table (latent values are clipped to it).
Z_GRID = np.linspace(-6.0, 6.0, 1201)


def spatial_correlation(distance: np.ndarray, range_km: float, nugget: float) -> np.ndarray:
    """Correlation at distance d (km): 1 at d = 0, else (1 - nugget) exp(-d / range_km)."""
    d = np.asarray(distance, float)
    return np.where(d <= 1e-9, 1.0, (1.0 - nugget) * np.exp(-d / range_km))


def wet_gamma(mean, cv, p0):
    """Shape and scale (mm) of the wet-month gamma so that the dry/wet mixture has ``mean`` and ``cv``.

    With a point mass p0 at 0: m_w = mean / (1 - p0), v_w = (sd^2 + mean^2) / (1 - p0) - m_w^2.
    """
    mean, cv, p0 = (np.asarray(a, float) for a in (mean, cv, p0))
    m_w = mean / (1.0 - p0)
    v_w = ((cv * mean) ** 2 + mean ** 2) / (1.0 - p0) - m_w ** 2
    if np.any(v_w <= 0):
        raise ValueError("drought: a dry-month probability too large for the month's CV (wet variance <= 0)")
    return m_w ** 2 / v_w, v_w / m_w


def precip_quantile_table(climate: CountyClimate) -> np.ndarray:
    """float64[12 * C, len(Z_GRID)]: monthly precipitation (mm) at each normal score, row m * C + c."""
    shape, scale = wet_gamma(climate.precip_mean.T, climate.precip_cv.T, climate.precip_p0.T)   # [12, C]
    p0 = climate.precip_p0.T
    u = special.ndtr(Z_GRID)[None, None, :]
    q = (u - p0[..., None]) / (1.0 - p0[..., None])
    wet = special.gammaincinv(shape[..., None], np.clip(q, 1e-300, 1.0)) * scale[..., None]
    return np.where(q > 0.0, wet, 0.0).reshape(12 * climate.n_counties, len(Z_GRID))


def lookup(table: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table`` (:func:`precip_quantile_table`) at normal scores z float64[Y, 12, C]."""
    n_grid = table.shape[1]
    step = Z_GRID[1] - Z_GRID[0]
    pos = (np.clip(z, Z_GRID[0], Z_GRID[-1]) - Z_GRID[0]) / step
    i = np.minimum(pos.astype(np.int64), n_grid - 2)
    frac = pos - i
    c = z.shape[-1]
    row = (np.arange(12)[:, None] * c + np.arange(c)[None, :]) * n_grid
    flat = table.ravel()
    at = row[None] + i
    return flat[at] * (1.0 - frac) + flat[at + 1] * frac


@dataclass(frozen=True)
class WeatherModel:
    """The generator for one climate (see module docstring); build with :meth:`build`."""

    climate: CountyClimate
    params: GeneratorParams
    chol_precip: np.ndarray      # float64[C, C]
    chol_temp: np.ndarray        # float64[C, C]
    phi_precip: float
    phi_temp: float
    rho_innovation: np.ndarray   # float64[12]
    table: np.ndarray            # precipitation quantile table

    @classmethod
    def build(cls, climate: CountyClimate, params: GeneratorParams) -> "WeatherModel":
        key = (climate.key(), params)
        if key not in _MODELS:
            _MODELS[key] = _build(climate, params)
            while len(_MODELS) > 8:
                _MODELS.pop(next(iter(_MODELS)))
        return _MODELS[key]

    # ---- latent fields -------------------------------------------------------------------------
    def _innovations(self, years: np.ndarray, seed: int):
        """(annual float64[U, 2, C], monthly float64[U, 12, 2, C]) spatially correlated, for sorted unique years U.

        The Cholesky products are taken year by year on fixed-shape blocks, so a year's numbers are
        bit-identical whatever else is in the chunk (BLAS may sum in another order for other shapes).
        """
        c = self.climate.n_counties
        annual = np.empty((len(years), 2, c))
        monthly = np.empty((len(years), 12, 2, c))
        for i, year in enumerate(years):
            rng = (year_generator(seed, STREAM, int(year)) if year >= 0
                   else year_generator(seed, STREAM_BEFORE, -int(year)))
            block = np.empty((13, 2, c))          # row 0: year-long, rows 1..12: months
            block[0] = rng.standard_normal((2, c))
            block[1:] = rng.standard_normal((12, 2, c))
            block[:, 0] = block[:, 0] @ self.chol_precip.T
            block[:, 1] = block[:, 1] @ self.chol_temp.T
            annual[i], monthly[i] = block[0], block[1:]
        rho = self.rho_innovation[None, :, None]
        monthly[:, :, 1] = rho * monthly[:, :, 0] + np.sqrt(1.0 - rho ** 2) * monthly[:, :, 1]
        return annual, monthly

    def latent(self, years, seed: int):
        """Normal scores (X_P, X_T), each float64[Y, 12, C], of calendar ``years`` (module docstring)."""
        years = np.asarray(years, dtype=np.int64)
        p = self.params
        k = p.annual_memory_years
        needed = np.unique((years[:, None] - np.arange(k + 1)[None, :]).ravel())
        annual, monthly = self._innovations(needed, seed)
        pos = np.searchsorted(needed, years)
        prev = np.searchsorted(needed, years - 1)
        # year-long component: truncated AR(1) over years, unit variance
        a = p.annual_lag1
        weights = a ** np.arange(k + 1) * np.sqrt((1 - a ** 2) / (1 - a ** (2 * (k + 1))))
        lagged = np.searchsorted(needed, years[:, None] - np.arange(k + 1)[None, :])
        year_comp = np.zeros((len(years), 2, self.climate.n_counties))           # [Y, 2, C]
        for k, weight in enumerate(weights):                                     # fixed order: exact
            year_comp += weight * annual[lagged[:, k]]
        # monthly component: AR(1) over months of years Y-1 and Y, stationary start in January of Y-1
        two = np.concatenate([monthly[prev], monthly[pos]], axis=1)               # [Y, 24, 2, C]
        phi = np.array([self.phi_precip, self.phi_temp])[None, :, None]
        state = two[:, 0].copy()
        out = np.empty((len(years), 12, 2, self.climate.n_counties))
        for t in range(1, 24):
            state = phi * state + np.sqrt(1.0 - phi ** 2) * two[:, t]
            if t >= 12:
                out[:, t - 12] = state
        w = np.array([p.annual_share_precip, p.annual_share_temp])[None, None, :, None]
        x = np.sqrt(1.0 - w) * out + np.sqrt(w) * year_comp[:, None]
        return x[:, :, 0], x[:, :, 1]

    def simulate(self, years, seed: int):
        """Monthly precipitation (mm) and mean temperature (deg C), each float64[Y, 12, C], of calendar ``years``."""
        xp, xt = self.latent(years, seed)
        precip = lookup(self.table, xp)
        temp = self.climate.temp_mean.T[None] + self.climate.temp_sd.T[None] * xt
        return precip, temp


_MODELS: dict = {}


def _build(climate: CountyClimate, params: GeneratorParams) -> WeatherModel:
    d = distance_km(climate.lon[:, None], climate.lat[:, None], climate.lon[None, :], climate.lat[None, :])
    chol_p = np.linalg.cholesky(spatial_correlation(d, params.precip_range_km, params.precip_nugget))
    chol_t = np.linalg.cholesky(spatial_correlation(d, params.temp_range_km, params.temp_nugget))
    phi_p, phi_t = params.ar_coefficients()
    rho = params.innovation_correlation()
    if np.any(np.abs(rho) >= 1.0):
        raise ValueError("drought generator: pt_correlation cannot be reached with these lag-1 values "
                         f"(innovation correlation {np.round(rho, 3).tolist()})")
    return WeatherModel(climate, params, chol_p, chol_t, phi_p, phi_t, rho, precip_quantile_table(climate))
