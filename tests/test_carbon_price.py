"""Carbon price model (engine/carbon/price.py): closed-form moments, simulated moments within their
standard errors, chunk independence, the Gaussian copula."""
import math

import numpy as np
import pytest

from engine.carbon import price
from engine.rng import year_generator

N = 20_000
SEED = 7
YEARS = np.arange(1, N + 1)
Z_BOUND = 4.0   # |simulated - exact| < 4 standard errors (two-sided p ~ 6e-5 per check)

BASE = {"start_price_cny": 97.49, "volatility_per_year": 0.30, "drift_per_year": 0.05, "mean_reversion_per_year": 0.5,
            "long_run_median_cny": 95.96, "horizon_years": 1.0}


def params(model, draw="conditional", **over):
    return price.PriceParams(model=model, draw=draw, **{**BASE, **over})


def lognormal_raw_moment(m, v, k):
    """E[S^k] of S = exp(N(m, v))."""
    return math.exp(k * m + k * k * v / 2)


def test_gbm_closed_form_by_hand():
    # S0 = 100, mu = 0.1, sigma = 0.2, t = 2: E = 100 e^0.2, Var = 100^2 e^0.4 (e^0.08 - 1)
    mean, var = price.gbm_moments(100.0, 0.1, 0.2, 2.0)
    assert mean == pytest.approx(100 * math.exp(0.2), rel=1e-14)
    assert var == pytest.approx(1e4 * math.exp(0.4) * (math.exp(0.08) - 1), rel=1e-12)


def test_log_ou_closed_form_limits():
    # kappa -> 0: the log price is a driftless Brownian motion, i.e. a GBM with mu = sigma^2 / 2
    m_ou, v_ou = price.log_ou_moments(90.0, 60.0, 1e-9, 0.3, 2.5)
    m_gbm, v_gbm = price.gbm_moments(90.0, 0.3 ** 2 / 2, 0.3, 2.5)
    assert m_ou == pytest.approx(m_gbm, rel=1e-7) and v_ou == pytest.approx(v_gbm, rel=1e-7)
    # t -> inf: stationary N(theta, sigma^2 / (2 kappa)) whatever the start
    m, v = price.log_ou_log_moments(500.0, 80.0, 0.5, 0.3, np.inf)
    assert m == pytest.approx(math.log(80.0)) and v == pytest.approx(0.09 / 1.0)
    mean, var = price.log_ou_moments(500.0, 80.0, 0.5, 0.3, np.inf)
    assert mean == pytest.approx(80.0 * math.exp(0.045))
    assert var == pytest.approx(math.expm1(0.09) * 80.0 ** 2 * math.exp(0.09))
    # t = 0: the start price, no spread
    mean, var = price.log_ou_moments(97.49, 95.96, 0.5, 0.3, 0.0)
    assert mean == pytest.approx(97.49) and var == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("p", [params("gbm"), params("log_ou"), params("log_ou", "stationary"),
                               params("gbm", horizon_years=3.0), params("log_ou", horizon_years=0.25)],
                         ids=["gbm", "log_ou", "log_ou_stationary", "gbm_3y", "log_ou_quarter"])
def test_simulated_moments_match_closed_form(p):
    s = price.sample_prices(p, SEED, YEARS)
    mean, var = price.price_moments(p)
    # mean of S: SE = sqrt(Var / N)
    assert abs(s.mean() - mean) < Z_BOUND * math.sqrt(var / N)
    # variance of S: SE of the sample variance ~ sqrt((mu4 - var^2) / N), mu4 the 4th central moment
    m, sd = price.log_price_law(p)
    r = [lognormal_raw_moment(m, sd ** 2, k) for k in range(5)]
    mu4 = r[4] - 4 * r[3] * r[1] + 6 * r[2] * r[1] ** 2 - 3 * r[1] ** 4
    assert abs(s.var(ddof=1) - var) < Z_BOUND * math.sqrt((mu4 - var ** 2) / N)
    # the log price is exactly Gaussian: mean SE sd/sqrt(N), variance SE sd^2 sqrt(2/(N-1))
    x = np.log(s)
    assert abs(x.mean() - m) < Z_BOUND * sd / math.sqrt(N)
    assert abs(x.var(ddof=1) - sd ** 2) < Z_BOUND * sd ** 2 * math.sqrt(2 / (N - 1))


def test_price_of_a_year_does_not_depend_on_chunking():
    p = params("log_ou")
    whole = price.sample_prices(p, SEED, np.arange(1, 101))
    chunks = np.concatenate([price.sample_prices(p, SEED, np.arange(a, b)) for a, b in ((1, 38), (38, 39), (39, 101))])
    np.testing.assert_array_equal(whole, chunks)
    # any subset, in any order, gives the same price for the same year
    some = np.array([77, 3, 50])
    np.testing.assert_array_equal(price.sample_prices(p, SEED, some), whole[some - 1])
    # another seed gives other prices
    assert not np.allclose(price.sample_prices(p, SEED + 1, some), whole[some - 1])


def test_paths_are_chunk_independent_and_have_the_right_marginals():
    times = np.array([0.5, 1.0, 3.0])
    for p in (params("gbm"), params("log_ou"), params("log_ou", "stationary")):
        whole = price.price_paths(p, SEED, np.arange(1, 61), times)
        parts = np.vstack([price.price_paths(p, SEED, np.arange(1, 25), times),
                           price.price_paths(p, SEED, np.arange(25, 61), times)])
        np.testing.assert_array_equal(whole, parts)
        paths = price.price_paths(p, SEED, YEARS, times)
        for j, t in enumerate(times):
            m, sd = price.log_price_law(p, t)
            x = np.log(paths[:, j])
            assert abs(x.mean() - m) < Z_BOUND * sd / math.sqrt(N)
            assert abs(x.var(ddof=1) - sd ** 2) < Z_BOUND * sd ** 2 * math.sqrt(2 / (N - 1))


def test_gbm_path_increments_are_independent():
    p = params("gbm")
    paths = np.log(price.price_paths(p, SEED, YEARS, [1.0, 2.0]))
    first = paths[:, 0] - math.log(p.start_price_cny)
    second = paths[:, 1] - paths[:, 0]
    r = np.corrcoef(first, second)[0, 1]
    assert abs(r) < Z_BOUND / math.sqrt(N)


@pytest.mark.parametrize("rho", [0.6, -0.3])
def test_copula_correlation_with_a_loss_driver(rho):
    driver = np.array([year_generator(SEED, "test.driver", int(y)).standard_normal() for y in YEARS])
    s = price.sample_prices(params("log_ou"), SEED, YEARS, driver=driver, rho=rho)
    r = np.corrcoef(np.log(s), driver)[0, 1]
    # SE of a sample correlation ~ (1 - rho^2) / sqrt(N)
    assert abs(r - rho) < Z_BOUND * (1 - rho ** 2) / math.sqrt(N)
    # the marginal law is unchanged
    m, sd = price.log_price_law(params("log_ou"))
    assert abs(np.log(s).mean() - m) < Z_BOUND * sd / math.sqrt(N)


def test_copula_input_checks():
    p = params("gbm")
    with pytest.raises(ValueError, match="needs a loss driver"):
        price.sample_prices(p, SEED, np.arange(1, 4), rho=0.5)
    with pytest.raises(ValueError, match="rho"):
        price.sample_prices(p, SEED, np.arange(1, 4), driver=np.zeros(3), rho=1.5)
    with pytest.raises(ValueError, match="one value per year"):
        price.sample_prices(p, SEED, np.arange(1, 4), driver=np.zeros(2), rho=0.5)
    with pytest.raises(ValueError, match="integer"):
        price.sample_prices(p, SEED, np.array([1.5, 2.0]))


def test_scaled_level_scales_prices_exactly():
    p = params("log_ou")
    base = price.sample_prices(p, SEED, np.arange(1, 50))
    np.testing.assert_allclose(price.sample_prices(p.scaled(level=1.5), SEED, np.arange(1, 50)), 1.5 * base, rtol=1e-12)


def test_shipped_config_loads():
    p = price.load_price()
    assert p.start_price_cny == pytest.approx(97.49)   # CEA close 2024 (REFERENCE.md)
    assert 0.25 <= p.volatility_per_year <= 0.40       # REFERENCE.md range
