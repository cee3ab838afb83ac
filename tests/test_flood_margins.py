"""Flood rain margins: GEV algebra, anchor smoothing, and simulated annual maxima against the GEV targets."""
import numpy as np
import pytest
from scipy import stats

from engine.portfolio import Sites
from perils.flood.margins import SiteMargins, annual_max_cdf, event_rain, gev_from_moments, return_level, site_margins
from perils.flood.peril import build_default

#: Named sites (lon, lat): north-west plain to the south-east coast.
NAMED = {"Dezhou": (116.36, 37.44), "Jinan": (117.00, 36.67), "Weifang": (119.16, 36.71),
         "Linyi": (118.35, 35.05), "Rizhao": (119.53, 35.42)}


@pytest.mark.parametrize("shape", [0.0, 0.1, 0.2, -0.1])
def test_gev_from_moments_gives_the_requested_mean_and_cv(shape):
    loc, scale = gev_from_moments(90.0, 0.45, shape)
    mean, var = stats.genextreme.stats(-shape, loc=loc, scale=scale, moments="mv")
    assert mean == pytest.approx(90.0, rel=1e-9)
    assert np.sqrt(var) / mean == pytest.approx(0.45, rel=1e-9)


def test_event_rain_is_the_poisson_consistent_gev_quantile():
    m = SiteMargins(np.array([60.0, 90.0]), np.array([25.0, 40.0]), np.array([0.1, 0.1]))
    q = np.array([[0.5, 0.01], [1e-4, 0.9]])
    lam = 8.0
    expected = stats.genextreme.ppf(np.exp(-lam * q), -0.1, loc=m.loc, scale=m.scale)
    np.testing.assert_allclose(event_rain(q, m, lam), expected, rtol=1e-10)
    # Gumbel limit
    g = SiteMargins(m.loc, m.scale, np.zeros(2))
    np.testing.assert_allclose(event_rain(q, g, lam), stats.gumbel_r.ppf(np.exp(-lam * q), m.loc, m.scale), rtol=1e-10)


def test_margins_are_wetter_in_the_south_east_than_the_north_west():
    peril = build_default()
    lon, lat = np.array([NAMED["Dezhou"][0], NAMED["Rizhao"][0]]), np.array([NAMED["Dezhou"][1], NAMED["Rizhao"][1]])
    m = site_margins(lon, lat, peril.rain)
    r100 = return_level(100.0, m) / peril.rain.storm_total_factor    # back to 1-day rain
    assert r100[1] > r100[0] + 60.0
    assert 150.0 < r100[0] < 250.0 and 250.0 < r100[1] < 380.0         # 100-yr 24-h: ~200 NW, ~300 SE [E]


@pytest.fixture(scope="module")
def simulated_maxima():
    """Annual maxima of 4,000 simulated years at the named sites (exact copula on 5 sites)."""
    peril = build_default({"dependence": {"method": "exact"}})
    lon, lat = (np.array(v) for v in zip(*NAMED.values()))
    sites = Sites(lon, lat, np.zeros(len(lon), np.int64))
    years = np.arange(1, 4001)
    maxima = np.zeros((len(years), len(lon)))
    for i, y in enumerate(years):
        _, rain = peril.year_rain(y, sites, seed=11)
        if len(rain):
            maxima[i] = rain.max(axis=0)
    return peril, peril.context(sites).margins, maxima


@pytest.mark.parametrize("p", [0.5, 0.8, 0.9, 0.95, 0.98])
def test_simulated_annual_maxima_recover_the_gev_targets(simulated_maxima, p):
    """Empirical quantiles within 4 asymptotic standard errors: SE = sqrt(p (1 - p) / n) / f(x_p),
    f the density of the target annual-maximum distribution F^(1 - typhoon share)."""
    peril, margins, maxima = simulated_maxima
    share = 1.0 - peril.rain.typhoon_share
    n = maxima.shape[0]
    target = return_level(1.0 / (1.0 - p), margins, share)
    h = 1e-3 * target
    density = (annual_max_cdf(target + h, margins, share) - annual_max_cdf(target - h, margins, share)) / (2 * h)
    se = np.sqrt(p * (1 - p) / n) / density
    empirical = np.quantile(maxima, p, axis=0)
    assert np.all(np.abs(empirical - target) < 4.0 * se), (empirical, target, se)


def test_exceedance_counts_match_minus_log_f(simulated_maxima):
    """Mean number of events a year above x is -(1 - s) ln F(x) (Poisson count: SE = sqrt(mean / n))."""
    peril, margins, _ = simulated_maxima
    # recount from the same years: events above the 5-year all-cause level at each site
    lon, lat = (np.array(v) for v in zip(*NAMED.values()))
    sites = Sites(lon, lat, np.zeros(len(lon), np.int64))
    level = return_level(5.0, margins)
    counts = np.zeros(len(lon))
    n_years = 2000
    for y in range(1, n_years + 1):
        _, rain = peril.year_rain(y, sites, seed=11)
        counts += (rain > level).sum(axis=0)
    expected = -(1.0 - peril.rain.typhoon_share) * np.log(annual_max_cdf(level, margins)) * n_years
    assert np.all(np.abs(counts - expected) < 4.0 * np.sqrt(expected))
