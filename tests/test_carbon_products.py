"""Carbon product terms (engine/carbon/products.py) on hand-computed cases; premium per mu; sensitivity."""
import numpy as np
import pytest

from engine.carbon import price, products
from engine.pricing import PricingBasis

PLAIN = PricingBasis(risk_load="none", expense_ratio=0.0, profit_ratio=0.0, tax_ratio=0.0)


def test_sink_value_deductible_and_limit():
    lost = np.array([10.0, 2.0, 0.0, 0.4])       # tCO2e lost
    # loss = lost x 100 CNY/t = [1000, 200, 0, 40]; less deductible 50 = [950, 150, -, -]; SI 800 caps the first
    out = products.sink_value_indemnity(lost, 100.0, sum_insured=800.0, deductible=50.0)
    np.testing.assert_allclose(out, [800.0, 150.0, 0.0, 0.0])


def test_sink_value_per_year_price_broadcast():
    lost = np.array([[1.0, 2.0], [1.0, 2.0]])    # [Y=2, R=2]
    prices = np.array([50.0, 100.0])[:, None]    # one price per year
    out = products.sink_value_indemnity(lost, prices, sum_insured=np.array([1e9, 150.0]))
    np.testing.assert_allclose(out, [[50.0, 100.0], [100.0, 150.0]])


def test_sequestration_loss_index():
    idx = products.sequestration_loss_index([3.0, 0.0, 12.0, 1.0], [10.0, 5.0, 10.0, 0.0])
    np.testing.assert_allclose(idx, [0.3, 0.0, 1.0, 0.0])


def test_graded_index_payout():
    terms = products.load_terms()   # grades [[0.15, 0.2], [0.30, 0.4], [0.50, 0.7], [0.80, 1.0]]
    index = np.array([0.0, 0.1499, 0.15, 0.29, 0.30, 0.6, 0.8, 1.0])
    out = products.sink_index_payout(index, 1000.0, terms.index)
    np.testing.assert_allclose(out, [0, 0, 200, 200, 400, 700, 1000, 1000])


def test_delivery_shortfall():
    delivered = np.array([100.0, 90.0, 50.0, 0.0, 120.0])
    # shortfall over a 5 t retention: [0, 5, 45, 95, 0] t x 80 CNY/t = [0, 400, 3600, 7600, 0]; limit 5000
    out = products.delivery_indemnity(100.0, delivered, 80.0, limit=5000.0, retention_tco2e=5.0)
    np.testing.assert_allclose(out, [0.0, 400.0, 3600.0, 5000.0, 0.0])


def test_sum_insured_from_sink():
    # Yiyuan-like: 0.6 tCO2e/mu verified at 100 CNY/t = 60 CNY/mu
    assert products.sum_insured_from_sink(0.6, 100.0) == pytest.approx(60.0)


def test_terms_reject_negative_inputs():
    with pytest.raises(ValueError, match="tco2e_lost"):
        products.sink_value_indemnity([-1.0], 100.0, 10.0)
    with pytest.raises(ValueError, match="carbon_price"):
        products.delivery_indemnity(1.0, 0.0, np.nan, 10.0)


def test_premium_per_mu_by_hand():
    annual = np.array([0.0, 0.0, 100.0, 300.0])    # EL = 400 / 4 = 100 CNY/yr
    out = products.premium_per_mu(annual, sum_insured=10_000.0, area_mu=100.0, basis=PLAIN)
    assert out["expected_loss"] == pytest.approx(100.0)
    assert out["gross"] == pytest.approx(100.0)
    assert out["premium_per_mu"] == pytest.approx(1.0)
    assert out["rate"] == pytest.approx(0.01)
    assert out["sum_insured_per_mu"] == pytest.approx(100.0)
    loaded = PricingBasis(risk_load="none", expense_ratio=0.2, profit_ratio=0.0, tax_ratio=0.0)
    assert products.premium_per_mu(annual, 10_000.0, 100.0, loaded)["premium_per_mu"] == pytest.approx(1.25)


def test_price_sensitivity_table():
    p = price.PriceParams("log_ou", 97.49, 0.30, 0.05, 0.5, 95.96, 1.0)
    years = np.arange(1, 2001)
    lost = 2.0   # tCO2e lost in every year: indemnity linear in the price (no cap)
    table = products.price_sensitivity(lambda s, _: lost * s, p, seed=3, years=years, basis=PLAIN, area_mu=10.0,
                                       sum_insured=1e6, level_factors=(0.5, 1.0, 1.5), volatility_factors=(0.5, 1.0, 2.0))
    assert len(table) == 9
    assert {"level_factor", "volatility_factor", "premium_per_mu", "rate", "mean_price_cny"} <= set(table.columns)
    at = table.set_index(["level_factor", "volatility_factor"])
    # common random numbers: a level factor scales every price, hence the premium, exactly
    assert at.loc[(1.5, 1.0), "premium_per_mu"] == pytest.approx(1.5 * at.loc[(1.0, 1.0), "premium_per_mu"], rel=1e-12)
    assert at.loc[(0.5, 2.0), "premium_per_mu"] == pytest.approx(0.5 * at.loc[(1.0, 2.0), "premium_per_mu"], rel=1e-12)
    # a price call (pays the price above 120 CNY/t) gets dearer with volatility
    call = products.price_sensitivity(lambda s, _: np.maximum(s - 120.0, 0.0), p, 3, years, PLAIN, 10.0, 1e6,
                                      level_factors=(1.0,), volatility_factors=(0.5, 1.0, 1.5))
    assert np.all(np.diff(call["expected_loss"].to_numpy()) > 0)
    # the sum insured may follow the scaled price (verified tCO2e x start price)
    si = products.price_sensitivity(lambda s, _: lost * s, p, 3, years, PLAIN, 10.0,
                                    sum_insured=lambda q: 5.0 * q.start_price_cny, level_factors=(1.0, 2.0),
                                    volatility_factors=(1.0,))
    assert si["rate"].iloc[0] == pytest.approx(si["rate"].iloc[1], rel=1e-12)
