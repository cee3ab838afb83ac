"""Weather generator statistics against its calibration targets (fixed seeds, SE-based tolerances)."""
import numpy as np
import pytest
from scipy import special, stats

from perils.drought.normals import distance_km, load_county_climate
from perils.drought.params import GeneratorParams, section
from perils.drought.weather import WeatherModel, lookup, spatial_correlation
from tests.test_drought_helpers import SHIPPED

N_YEARS = 3000
SEED = 11
# two-sided Bonferroni bound for all 12 x 136 cells at family-wise level 0.001
Z_CELLS = special.ndtri(1 - 0.001 / (2 * 12 * 136))
Z_ONE = special.ndtri(1 - 0.001 / 2)


@pytest.fixture(scope="module")
def model():
    params = section(GeneratorParams, SHIPPED["generator"], "peril.drought.generator")
    return WeatherModel.build(load_county_climate(), params)


@pytest.fixture(scope="module")
def sim(model):
    years = np.arange(1, N_YEARS + 1)
    xp, xt = model.latent(years, SEED)
    return {"xp": xp, "xt": xt, "precip": lookup(model.table, xp),
            "temp": model.climate.temp_mean.T[None] + model.climate.temp_sd.T[None] * xt}


def variance_inflation(model, w):
    """Inflation of the variance of a mean over years from the year-long component's persistence."""
    a = model.params.annual_lag1
    return 1.0 + 2.0 * w * a / (1.0 - a)


def test_precip_monthly_means_and_variances(model, sim):
    p = sim["precip"]
    c = model.climate
    target_mean, target_sd = c.precip_mean.T, c.precip_cv.T * c.precip_mean.T
    n_eff = N_YEARS / variance_inflation(model, model.params.annual_share_precip)
    z = (p.mean(axis=0) - target_mean) / (target_sd / np.sqrt(n_eff))
    assert np.abs(z).max() < Z_CELLS
    s2 = p.var(axis=0, ddof=1)
    m4 = ((p - p.mean(axis=0)) ** 4).mean(axis=0)
    se_var = np.sqrt((m4 - s2 ** 2) / n_eff)
    assert np.abs((s2 - target_sd ** 2) / se_var).max() < Z_CELLS


def test_dry_month_probability(model, sim):
    p0 = model.climate.precip_p0.T
    freq = (sim["precip"] == 0).mean(axis=0)
    se = np.sqrt(p0 * (1 - p0) / N_YEARS) + 1e-12
    assert np.abs((freq - p0) / se).max() < Z_CELLS


def test_temperature_means_and_sd(model, sim):
    t = sim["temp"]
    c = model.climate
    n_eff = N_YEARS / variance_inflation(model, model.params.annual_share_temp)
    z = (t.mean(axis=0) - c.temp_mean.T) / (c.temp_sd.T / np.sqrt(n_eff))
    assert np.abs(z).max() < Z_CELLS
    ratio = t.var(axis=0, ddof=1) / c.temp_sd.T ** 2
    assert np.abs(ratio - 1).max() < Z_CELLS * np.sqrt(2 / n_eff)


def _corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


@pytest.mark.parametrize("var, target", [("xp", "lag1_precip"), ("xt", "lag1_temp")])
def test_lag1_within_year(model, sim, var, target):
    x = sim[var]
    goal = getattr(model.params, target)
    for county in (0, 60, 120):
        r = np.mean([_corr(x[:, m, county], x[:, m + 1, county]) for m in range(11)])
        # the mean of 11 month-pair estimates is no less precise than one: conservative SE
        assert abs(r - goal) < Z_ONE * (1 - goal ** 2) / np.sqrt(N_YEARS)


def test_lag1_across_new_year(model, sim):
    """December -> January: (1 - w) phi + w a (the year-long component changes at New Year)."""
    p = model.params
    phi_p, _ = p.ar_coefficients()
    goal = (1 - p.annual_share_precip) * phi_p + p.annual_share_precip * p.annual_lag1
    x = sim["xp"]
    r = _corr(x[:-1, 11, 30], x[1:, 0, 30])
    assert abs(r - goal) < Z_ONE * (1 - goal ** 2) / np.sqrt(N_YEARS - 1)


def test_precip_rank_lag1_matches_copula(model, sim):
    """Spearman's rho of July -> August precipitation is (6/pi) asin(r/2) of the latent lag-1 r."""
    goal = 6 / np.pi * np.arcsin(model.params.lag1_precip / 2)
    rho = stats.spearmanr(sim["precip"][:, 6, 50], sim["precip"][:, 7, 50]).statistic
    assert abs(rho - goal) < Z_ONE * 1.06 / np.sqrt(N_YEARS - 3)


def test_year_to_year_persistence(model, sim):
    """Correlation of consecutive annual-mean anomalies equals the model's implied value."""
    p = model.params
    phi, _ = p.ar_coefficients()
    w, a = p.annual_share_precip, p.annual_lag1
    i, j = np.meshgrid(np.arange(12), np.arange(12), indexing="ij")
    var_z = (phi ** np.abs(i - j)).sum() / 144
    cov_z = (phi ** (12 - i + j)).sum() / 144
    goal = ((1 - w) * cov_z + w * a) / ((1 - w) * var_z + w)
    annual = sim["xp"].mean(axis=1)
    r = np.mean([_corr(annual[:-1, c], annual[1:, c]) for c in range(0, 136, 15)])
    assert abs(r - goal) < Z_ONE / np.sqrt(N_YEARS)
    assert goal > 0.1   # persistence is there, not just allowed


def _pairs(climate, near_km):
    d = distance_km(climate.lon[:, None], climate.lat[:, None], climate.lon[None, :], climate.lat[None, :])
    i, j = np.unravel_index(np.argmin(np.abs(d - near_km) + np.eye(len(d)) * 1e9), d.shape)
    return i, j, d[i, j]


@pytest.mark.parametrize("near_km", [30, 150, 300, 500])
def test_spatial_correlation_precip(model, sim, near_km):
    i, j, d = _pairs(model.climate, near_km)
    goal = float(spatial_correlation(d, model.params.precip_range_km, model.params.precip_nugget))
    x = sim["xp"]
    r = np.mean([_corr(x[:, m, i], x[:, m, j]) for m in range(12)])
    assert abs(r - goal) < Z_ONE * (1 - goal ** 2) / np.sqrt(N_YEARS)


@pytest.mark.parametrize("near_km", [150, 500])
def test_spatial_correlation_temperature_january(model, sim, near_km):
    """January: no P-T correlation, so temperature has exactly its own spatial correlation."""
    assert model.params.pt_correlation[0] == 0 and model.params.pt_correlation[11] == 0
    i, j, d = _pairs(model.climate, near_km)
    goal = float(spatial_correlation(d, model.params.temp_range_km, model.params.temp_nugget))
    r = _corr(sim["xt"][:, 0, i], sim["xt"][:, 0, j])
    assert abs(r - goal) < Z_ONE * (1 - goal ** 2) / np.sqrt(N_YEARS)


@pytest.mark.parametrize("month", [0, 4, 6, 9])
def test_precip_temperature_correlation(model, sim, month):
    goal = model.params.pt_correlation[month]
    for county in (10, 100):
        r = _corr(sim["xp"][:, month, county], sim["xt"][:, month, county])
        assert abs(r - goal) < Z_ONE * (1 - goal ** 2) / np.sqrt(N_YEARS)


def test_dry_summers_are_warm(sim):
    """Driest tenth of Julys is warmer than the wettest tenth (P-T correlation < 0 in summer)."""
    p, t = sim["precip"][:, 6, 0], sim["temp"][:, 6, 0]
    assert t[p < np.quantile(p, 0.1)].mean() > t[p > np.quantile(p, 0.9)].mean()


def test_same_year_same_weather_whatever_the_chunk(model):
    whole = model.simulate(np.arange(1, 9), seed=3)
    parts = [model.simulate(np.array(chunk), seed=3) for chunk in ([1, 2, 3], [4], [5, 6, 7, 8])]
    for v in range(2):
        np.testing.assert_array_equal(whole[v], np.concatenate([p[v] for p in parts]))
    alone = model.simulate(np.array([6]), seed=3)
    np.testing.assert_array_equal(alone[0][0], whole[0][5])
    other = model.simulate(np.array([6]), seed=4)
    assert not np.array_equal(other[0], alone[0])


def test_history_before_year_zero_is_deterministic(model):
    a = model.simulate(np.array([0, 1]), seed=9)
    b = model.simulate(np.array([1]), seed=9)
    np.testing.assert_array_equal(a[0][1], b[0][0])


def test_quantile_table_matches_the_exact_gamma_mixture(model):
    """The interpolated margin is within 0.05 mm of the exact dry/wet gamma quantile."""
    from perils.drought.weather import wet_gamma
    c = model.climate
    # 1.5 x standard normal, kept inside the table grid (|z| <= 6, beyond which the margin is clipped)
    z = np.clip(np.random.default_rng(0).standard_normal((100, 12, c.n_counties)) * 1.5, -6, 6)
    shape, scale = wet_gamma(c.precip_mean.T, c.precip_cv.T, c.precip_p0.T)
    q = (special.ndtr(z) - c.precip_p0.T) / (1 - c.precip_p0.T)
    exact = np.where(q > 0, special.gammaincinv(shape, np.clip(q, 1e-300, 1)) * scale, 0.0)
    assert np.abs(lookup(model.table, z) - exact).max() < 0.05
