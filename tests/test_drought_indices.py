"""SPI/SPEI and GB/T 20481 classes: hand cases, fits, and the N(0, 1) property on simulated series."""
import math

import numpy as np
import pytest
from scipy import special, stats

from perils.drought import indices
from perils.drought.normals import load_county_climate
from perils.drought.params import GeneratorParams, section
from perils.drought.weather import WeatherModel
from tests.test_drought_helpers import SHIPPED

Z_ONE = special.ndtri(1 - 0.001 / 2)


def test_gbt_20481_classes_on_hand_cases():
    values = np.array([0.3, -0.49, -0.5, -0.99, -1.0, -1.49, -1.5, -1.99, -2.0, -3.1, np.nan])
    expected = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1]
    assert indices.drought_class(values).tolist() == expected
    assert [indices.CLASS_NAMES[c] for c in expected[:9:2]] == ["none", "mild", "moderate", "severe", "extreme"]


def test_class_probabilities_of_a_standard_normal():
    p = indices.class_probabilities()
    assert sum(p.values()) == pytest.approx(1.0)
    assert p["mild"] == pytest.approx(stats.norm.cdf(-0.5) - stats.norm.cdf(-1.0))
    assert p["extreme"] == pytest.approx(stats.norm.cdf(-2.0))


def test_accumulate():
    x = np.arange(1.0, 7.0)
    out = indices.accumulate(x, 3)
    assert np.isnan(out[:2]).all()
    assert out[2:].tolist() == [6.0, 9.0, 12.0, 15.0]


def test_gamma_fit_by_hand_and_zero_mass():
    sample = np.array([0.0, 10.0, 20.0, 40.0, 80.0])
    fit = indices.fit_gamma(sample[:, None])
    pos = sample[1:]
    a = math.log(pos.mean()) - np.log(pos).mean()
    shape = (1 + math.sqrt(1 + 4 * a / 3)) / (4 * a)
    assert fit.shape[0] == pytest.approx(shape)
    assert fit.scale[0] == pytest.approx(pos.mean() / shape)
    assert fit.p_zero[0] == pytest.approx(0.2)
    # SPI of a zero sum: centre of the point mass, Phi^-1(q / 2)
    assert indices.spi_from_fit(np.array([0.0]), fit)[0] == pytest.approx(special.ndtri(0.1))
    h = 0.2 + 0.8 * stats.gamma.cdf(30.0, shape, scale=pos.mean() / shape)
    assert indices.spi_from_fit(np.array([30.0]), fit)[0] == pytest.approx(special.ndtri(h))


def test_loglogistic_pwm_fit_on_a_hand_example():
    # sample -30, -10, 5, 20, 60: F_i = (i - 0.35)/5, 1 - F = .87 .67 .47 .27 .07
    # w0 = 9, w1 = (-26.1 - 6.7 + 2.35 + 5.4 + 4.2)/5 = -4.17,
    # w2 = (.7569*-30 + .4489*-10 + .2209*5 + .0729*20 + .0049*60)/5 = -4.8679
    w0, w1, w2 = 9.0, -4.17, -4.8679
    beta = (2 * w1 - w0) / (6 * w1 - w0 - 6 * w2)          # 3.60305
    z = 1 / beta
    g = math.pi * z / math.sin(math.pi * z)                # G(1 + z) G(1 - z), reflection formula
    alpha = (w0 - 2 * w1) * beta / g
    gamma_ = w0 - alpha * g
    fit = indices.fit_loglogistic(np.array([-30.0, -10.0, 5.0, 20.0, 60.0])[:, None])
    assert beta == pytest.approx(3.60305, abs=1e-4)
    assert fit.c[0] == pytest.approx(beta, rel=1e-9)
    assert fit.scale[0] == pytest.approx(alpha, rel=1e-9)
    assert fit.loc[0] == pytest.approx(gamma_, rel=1e-9)
    x = np.array([-5.0, 0.0, 30.0])
    expected = stats.fisk.cdf(x, beta, loc=gamma_, scale=alpha)
    np.testing.assert_allclose(fit.cdf(x[:, None])[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(indices.spei_from_fit(x[:, None], fit)[:, 0], special.ndtri(expected), rtol=1e-9)


def test_loglogistic_fit_recovers_known_parameters():
    sample = stats.fisk.rvs(5.0, loc=-150.0, scale=200.0, size=20000, random_state=np.random.default_rng(1))
    fit = indices.fit_loglogistic(sample[:, None])
    # the fitted distribution matches the true one within the sampling error of its quantiles
    q = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    x = stats.fisk.ppf(q, 5.0, loc=-150.0, scale=200.0)
    se = np.sqrt(q * (1 - q) / len(sample))
    assert np.all(np.abs(fit.cdf(x[:, None])[:, 0] - q) < Z_ONE * se)


def test_spi_and_spei_on_a_user_series():
    rng = np.random.default_rng(5)
    precip = rng.gamma(2.0, 20.0, 12 * 60)        # 60 years of monthly totals, January first
    out = indices.spi(precip, scale=3)
    assert np.isnan(out[:2]).all() and np.isfinite(out[2:]).all()
    balance = precip - 60.0
    s = indices.spei(balance, scale=1, first_month=1)
    assert abs(np.nanmean(s)) < 0.15 and abs(np.nanstd(s) - 1) < 0.15
    with pytest.raises(ValueError):
        indices.spi(precip, scale=3, first_month=13)


@pytest.fixture(scope="module")
def spi_samples():
    """SPI of simulated Jinan-area precipitation: fitted on 1500 years, tested on 1500 others."""
    params = section(GeneratorParams, SHIPPED["generator"], "peril.drought.generator")
    model = WeatherModel.build(load_county_climate(), params)
    precip, _ = model.simulate(np.arange(1, 3001), seed=21)
    series = precip[:, :, :5].reshape(-1, 5)          # [T months, 5 counties], January first
    out = {}
    for scale, month in ((1, 4), (3, 7), (6, 8)):      # SPI-1 May, SPI-3 August, SPI-6 September
        acc = indices.accumulate(series, scale, axis=0)[month::12]
        fit = indices.fit_gamma(acc[:1500])
        out[(scale, month)] = indices.spi_from_fit(acc[1500:], fit)
    return out


@pytest.mark.parametrize("key", [(1, 4), (3, 7), (6, 8)])
def test_spi_of_simulated_series_is_standard_normal(spi_samples, key):
    spi = spi_samples[key]
    n = spi.shape[0]
    for county in range(spi.shape[1]):
        x = spi[:, county]
        assert abs(x.mean()) < Z_ONE * np.sqrt(2 / n)          # fit and test samples both vary
        assert abs(x.std(ddof=1) - 1) < Z_ONE * np.sqrt(1 / n)
        # Kolmogorov-Smirnov against N(0, 1) at the 1% level
        assert stats.kstest(x, "norm").pvalue > 0.01
