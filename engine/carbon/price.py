"""Stochastic national carbon market (CEA) price, drawn per simulated year, chunk-independent.

Two models of the log price ``X = ln S`` (CNY/tCO2e), both Gaussian at any horizon ``t``:

* ``gbm`` (geometric Brownian motion): ``dX = (mu - sigma^2/2) dt + sigma dW``, so
  ``X_t ~ N(ln S0 + (mu - sigma^2/2) t, sigma^2 t)``, ``E[S_t] = S0 e^{mu t}``,
  ``Var[S_t] = S0^2 e^{2 mu t} (e^{sigma^2 t} - 1)``;
* ``log_ou`` (exponential Ornstein-Uhlenbeck): ``dX = kappa (theta - X) dt + sigma dW``, so
  ``X_t ~ N(theta + (ln S0 - theta) e^{-kappa t}, sigma^2 (1 - e^{-2 kappa t}) / (2 kappa))``
  and, as ``t -> inf``, the stationary ``N(theta, sigma^2 / (2 kappa))``; with ``X_t ~ N(m, v)``,
  ``E[S_t] = e^{m + v/2}`` and ``Var[S_t] = (e^v - 1) e^{2m + v}``.

How a simulated year gets its price (the chunk-independence choice)
-------------------------------------------------------------------
The simulated years of a catastrophe run are independent versions of the same policy year, not a
time series. So each simulated year ``y`` draws its own price at the policy horizon from the fixed
start ``S0`` (``draw: conditional``), or from the long-run law (``draw: stationary``, log-OU only),
with one standard normal from ``year_generator(seed, "carbon.price", y)``. The price of year ``y``
is then a pure function of ``(seed, y)``: it does not depend on which years are simulated together.

Where a cover needs the price at several dates of a multi-year contract (credit delivery), use
:func:`price_paths`: each simulated year regenerates its own path from ``S0`` at ``t = 0`` with
exact Gaussian transitions drawn from ``year_generator(seed, "carbon.price_path", y)``.

Dependence on losses: a Gaussian copula. Given a standard-normal loss driver ``z_loss[Y]`` (for
example the normal score of the year's drought index) and a correlation ``rho``, the price's normal
score is ``rho z_loss + sqrt(1 - rho^2) eps``: ``corr(ln S, z_loss) = rho`` exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from engine.carbon.params import check, choice, load_config, mapping, number
from engine.rng import year_generator

PRICE_MODELS = ("gbm", "log_ou")
DRAWS = ("conditional", "stationary")
#: Random streams of this module (keys of :func:`engine.rng.year_generator`).
PRICE_STREAM = "carbon.price"
PATH_STREAM = "carbon.price_path"


@dataclass(frozen=True)
class PriceParams:
    """Carbon price model (values and sources: ``configs/carbon/price.yaml``).

    Attributes
    ----------
    model : str
        ``gbm`` or ``log_ou``.
    start_price_cny : float
        Price at the valuation date ``S0`` (CNY/tCO2e).
    volatility_per_year : float
        ``sigma``, volatility of the log price (1/sqrt(yr)).
    drift_per_year : float
        GBM ``mu`` (1/yr): ``E[S_t] = S0 exp(mu t)``.
    mean_reversion_per_year : float
        log-OU ``kappa`` (1/yr).
    long_run_median_cny : float
        log-OU ``exp(theta)`` (CNY/tCO2e), the median of the stationary law.
    horizon_years : float
        Horizon ``t`` (years after the valuation date) of the price that values a claim.
    draw : str
        ``conditional`` (from ``S0`` at the horizon) or ``stationary`` (log-OU long-run law).
    """

    model: str
    start_price_cny: float
    volatility_per_year: float
    drift_per_year: float
    mean_reversion_per_year: float
    long_run_median_cny: float
    horizon_years: float
    draw: str = "conditional"

    def scaled(self, level: float = 1.0, volatility: float = 1.0) -> PriceParams:
        """A copy with the price level (start and long-run median) and the volatility scaled."""
        return replace(self, start_price_cny=self.start_price_cny * level,
                       long_run_median_cny=self.long_run_median_cny * level,
                       volatility_per_year=self.volatility_per_year * volatility)


def price_params(cfg: dict, key: str = "carbon.price") -> PriceParams:
    """Validate the price config into :class:`PriceParams`; errors name the full key."""
    names = ("model", "start_price_cny", "volatility_per_year", "drift_per_year", "mean_reversion_per_year",
             "long_run_median_cny", "horizon_years", "draw")
    cfg = mapping(cfg, key, required=names)
    params = PriceParams(
        model=choice(cfg, key, "model", PRICE_MODELS),
        start_price_cny=number(cfg, key, "start_price_cny", 0.0, 1e5, "(]"),
        volatility_per_year=number(cfg, key, "volatility_per_year", 0.0, 3.0),
        drift_per_year=number(cfg, key, "drift_per_year", -1.0, 1.0),
        mean_reversion_per_year=number(cfg, key, "mean_reversion_per_year", 0.0, 50.0, "(]"),
        long_run_median_cny=number(cfg, key, "long_run_median_cny", 0.0, 1e5, "(]"),
        horizon_years=number(cfg, key, "horizon_years", 0.0, 100.0),
        draw=choice(cfg, key, "draw", DRAWS),
    )
    check(not (params.model == "gbm" and params.draw == "stationary"), f"{key}.draw",
          "'stationary' needs model 'log_ou' (a GBM has no stationary law)")
    return params


def load_price(path=None) -> PriceParams:
    """:class:`PriceParams` from ``configs/carbon/price.yaml`` (or ``path``)."""
    return price_params(load_config("price", path))


# ---------------------------------------------------------------- closed forms

def gbm_moments(start_price, drift, volatility, t):
    """Mean and variance of a GBM price at horizon ``t`` (years).

    ``E[S_t] = S0 e^{mu t}``, ``Var[S_t] = S0^2 e^{2 mu t} (e^{sigma^2 t} - 1)`` (CNY, CNY^2).
    """
    t = np.asarray(t, dtype=np.float64)
    mean = start_price * np.exp(drift * t)
    return mean, mean ** 2 * np.expm1(volatility ** 2 * t)


def log_ou_log_moments(start_price, long_run_median, mean_reversion, volatility, t):
    """Mean ``m`` and variance ``v`` of the log-OU log price at horizon ``t`` (``t = inf``: stationary).

    ``m = theta + (ln S0 - theta) e^{-kappa t}``, ``v = sigma^2 (1 - e^{-2 kappa t}) / (2 kappa)``.
    """
    t = np.asarray(t, dtype=np.float64)
    theta = math.log(long_run_median)
    decay = np.exp(-mean_reversion * t)
    m = theta + (math.log(start_price) - theta) * decay
    v = volatility ** 2 * -np.expm1(-2.0 * mean_reversion * t) / (2.0 * mean_reversion)
    return m, v


def log_ou_moments(start_price, long_run_median, mean_reversion, volatility, t):
    """Mean and variance of a log-OU price at horizon ``t`` (``np.inf``: the stationary law).

    ``E[S_t] = e^{m + v/2}``, ``Var[S_t] = (e^v - 1) e^{2m + v}`` with ``m, v`` from
    :func:`log_ou_log_moments` (CNY, CNY^2).
    """
    m, v = log_ou_log_moments(start_price, long_run_median, mean_reversion, volatility, t)
    return np.exp(m + v / 2.0), np.expm1(v) * np.exp(2.0 * m + v)


def log_price_law(params: PriceParams, t=None):
    """Mean and standard deviation of ``ln S_t`` under ``params`` (``t`` defaults to the horizon)."""
    t = params.horizon_years if t is None else t
    if params.model == "gbm":
        sigma = params.volatility_per_year
        t = np.asarray(t, dtype=np.float64)
        return math.log(params.start_price_cny) + (params.drift_per_year - sigma ** 2 / 2.0) * t, sigma * np.sqrt(t)
    if params.draw == "stationary":
        t = np.inf
    m, v = log_ou_log_moments(params.start_price_cny, params.long_run_median_cny,
                              params.mean_reversion_per_year, params.volatility_per_year, t)
    return m, np.sqrt(v)


def price_moments(params: PriceParams, t=None):
    """Closed-form mean and variance of the price drawn by :func:`sample_prices` (CNY, CNY^2)."""
    t = params.horizon_years if t is None else t
    if params.model == "gbm":
        return gbm_moments(params.start_price_cny, params.drift_per_year, params.volatility_per_year, t)
    return log_ou_moments(params.start_price_cny, params.long_run_median_cny, params.mean_reversion_per_year,
                          params.volatility_per_year, np.inf if params.draw == "stationary" else t)


# ---------------------------------------------------------------- sampling

def _years(years) -> np.ndarray:
    years = np.asarray(years)
    if years.ndim != 1 or years.dtype.kind not in "iu":
        raise ValueError(f"years must be a 1-d integer array, got dtype {years.dtype} shape {years.shape}")
    return years.astype(np.int64)


def price_normals(seed: int, years, stream: str = PRICE_STREAM) -> np.ndarray:
    """float64[Y]: one standard normal per simulated year from ``year_generator(seed, stream, year)``."""
    return np.array([year_generator(seed, stream, int(y)).standard_normal() for y in _years(years)])


def copula_normals(eps, driver=None, rho: float = 0.0) -> np.ndarray:
    """Gaussian copula: ``rho driver + sqrt(1 - rho^2) eps`` (float64[Y]); ``eps`` alone without a driver."""
    eps = np.asarray(eps, dtype=np.float64)
    if driver is None:
        if rho != 0.0:
            raise ValueError("rho != 0 needs a loss driver (standard normal per year)")
        return eps
    driver = np.asarray(driver, dtype=np.float64)
    if driver.shape != eps.shape:
        raise ValueError(f"driver must have one value per year, shape {eps.shape}, got {driver.shape}")
    if not np.all(np.isfinite(driver)):
        raise ValueError("driver must be finite standard normals")
    if not -1.0 <= rho <= 1.0:
        raise ValueError(f"rho must lie in [-1, 1], got {rho}")
    return rho * driver + math.sqrt(1.0 - rho * rho) * eps


def prices_from_normals(params: PriceParams, z, t=None) -> np.ndarray:
    """Price at horizon ``t`` for standard-normal scores ``z`` (CNY/tCO2e): ``exp(m + s z)``."""
    m, s = log_price_law(params, t)
    return np.exp(m + s * np.asarray(z, dtype=np.float64))


def sample_prices(params: PriceParams, seed: int, years, driver=None, rho: float = 0.0, t=None) -> np.ndarray:
    """Carbon price of each simulated year at the horizon (CNY/tCO2e), float64[Y].

    Parameters
    ----------
    params : PriceParams
        Model and level.
    seed : int
        Master seed of the run.
    years : int64[Y]
        Simulated year numbers; the price of a year depends only on ``(seed, year)`` (and the driver).
    driver : float64[Y], optional
        Standard-normal loss driver per year (Gaussian copula); ``None`` for independence.
    rho : float
        Correlation of the price's normal score (= of ``ln S``) with ``driver``, in [-1, 1].
    t : float, optional
        Horizon in years (default ``params.horizon_years``).
    """
    z = copula_normals(price_normals(seed, years), driver, rho)
    return prices_from_normals(params, z, t)


def price_paths(params: PriceParams, seed: int, years, times) -> np.ndarray:
    """Price path of each simulated year at ``times`` (CNY/tCO2e), float64[Y, T].

    Exact transitions of the log price between the strictly increasing ``times`` (years after the
    valuation date, > 0), starting at ``ln S0`` at ``t = 0`` (log-OU ``stationary``: from a stationary
    draw). Each year's path comes from its own ``year_generator(seed, "carbon.price_path", year)``,
    so a year's path never depends on the other years simulated with it. The marginal law at each
    time is that of :func:`price_moments` at that time.
    """
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or times.size == 0 or times[0] <= 0 or np.any(np.diff(times) <= 0):
        raise ValueError(f"times must be strictly increasing and > 0 years, got {times.tolist()}")
    years = _years(years)
    eps = np.stack([year_generator(seed, PATH_STREAM, int(y)).standard_normal(times.size + 1) for y in years]) \
        if years.size else np.empty((0, times.size + 1))
    sigma = params.volatility_per_year
    steps = np.diff(times, prepend=0.0)
    x = np.full(years.size, math.log(params.start_price_cny))
    if params.model == "log_ou" and params.draw == "stationary":
        m, s = log_price_law(params)
        x = m + s * eps[:, 0]
    out = np.empty((years.size, times.size))
    for j, dt in enumerate(steps):
        if params.model == "gbm":
            x = x + (params.drift_per_year - sigma ** 2 / 2.0) * dt + sigma * math.sqrt(dt) * eps[:, j + 1]
        else:
            kappa, theta = params.mean_reversion_per_year, math.log(params.long_run_median_cny)
            decay = math.exp(-kappa * dt)
            sd = sigma * math.sqrt(-math.expm1(-2.0 * kappa * dt) / (2.0 * kappa))
            x = theta + (x - theta) * decay + sd * eps[:, j + 1]
        out[:, j] = np.exp(x)
    return out
