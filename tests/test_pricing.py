"""Tests of engine.pricing: each risk load against a hand computation, the gross-up algebra, the
Wang price against independent formulas, and validation of the pricing basis."""
import dataclasses
import math
import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from engine import metrics, pricing
from engine.pricing import PricingBasis

# 10 years, 4 loss years: descending 40, 20, 10, 5, then six zero years.
# EL = 75 / 10 = 7.5; sample variance (ddof=1) = 1562.5 / 9 (see tests/test_metrics.py).
VALUES = np.array([10.0, 5.0, 40.0, 20.0])
N_YEARS = 10
EL = 7.5
SD = math.sqrt(1562.5 / 9.0)   # 13.1762


def wang_g(survival, lam):
    return stats.norm.cdf(stats.norm.ppf(survival) + lam)


def test_std_load_hand():
    # 0.1 * 13.1762 = 1.31762
    assert pricing.std_load(VALUES, N_YEARS, 0.1) == pytest.approx(0.1 * SD, rel=1e-12)
    assert pricing.std_load(VALUES, N_YEARS, 0.0) == 0.0


def test_tvar_coc_load_hand():
    # level 0.75: w = 2.5 tail years, TVaR = (40 + 20 + 0.5 * 10) / 2.5 = 26;
    # load = 0.10 * (26 - 7.5) = 1.85.
    assert pricing.tvar_coc_load(VALUES, N_YEARS, 0.75, 0.10) == pytest.approx(1.85, rel=1e-12)
    # level 0.99: w = 0.1, TVaR = 40; load = 0.1 * 32.5 = 3.25.
    assert pricing.tvar_coc_load(VALUES, N_YEARS, 0.99, 0.10) == pytest.approx(3.25, rel=1e-12)


def test_wang_price_hand():
    # S(x) = 0.4 on [0, 5), 0.3 on [5, 10), 0.2 on [10, 20), 0.1 on [20, 40), 0 above, so
    # price = 5 g(0.4) + 5 g(0.3) + 10 g(0.2) + 20 g(0.1).
    lam = 0.25
    expected = 5 * wang_g(0.4, lam) + 5 * wang_g(0.3, lam) + 10 * wang_g(0.2, lam) + 20 * wang_g(0.1, lam)
    assert pricing.wang_price(VALUES, N_YEARS, lam) == pytest.approx(expected, rel=1e-12)
    # g(0.1) = Phi(-1.2816 + 0.25) = Phi(-1.0316) = 0.1511 etc.; the load is positive.
    assert expected > EL


def test_wang_price_by_quadrature():
    # Integrate the distorted step survival function numerically, independently of the layer sum.
    lam = 0.4
    def distorted_survival(loss):
        return wang_g(np.sum(VALUES > loss) / N_YEARS, lam)
    expected, _ = integrate.quad(distorted_survival, 0.0, 40.0, points=[5.0, 10.0, 20.0], limit=200)
    assert pricing.wang_price(VALUES, N_YEARS, lam) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("seed, n_years, n_loss", [(1, 50, 50), (2, 997, 120), (3, 20_000, 900)])
def test_wang_price_matches_distorted_weights_on_dense_years(seed, n_years, n_loss):
    # Dense reference: ascending loss j gets probability weight g((N - j + 1) / N) - g((N - j) / N).
    rng = np.random.default_rng(seed)
    values = np.round(rng.lognormal(1.0, 1.2, n_loss), 1)   # rounding makes ties
    dense = np.sort(np.concatenate([values, np.zeros(n_years - n_loss)]))
    lam = 0.3
    upper = np.arange(n_years, 0, -1) / n_years
    weights = wang_g(upper, lam) - wang_g(upper - 1.0 / n_years, lam)
    assert pricing.wang_price(values, n_years, lam) == pytest.approx(np.dot(weights, dense), rel=1e-10)


def test_wang_lambda_zero_is_expected_loss():
    assert pricing.wang_price(VALUES, N_YEARS, 0.0) == pytest.approx(EL, rel=1e-12)
    rng = np.random.default_rng(5)
    values = rng.pareto(2.0, 3000) * 1e5
    assert pricing.wang_price(values, 10_000, 0.0) == pytest.approx(values.sum() / 10_000, rel=1e-12)
    # Every year with a loss: g(1) = 1 must be handled at the bottom layer.
    assert pricing.wang_price(values, 3000, 0.0) == pytest.approx(values.mean(), rel=1e-12)


def test_wang_price_increases_with_lambda_and_is_bounded():
    prices = [pricing.wang_price(VALUES, N_YEARS, lam) for lam in (0.0, 0.1, 0.5, 2.0)]
    assert np.all(np.diff(prices) > 0)
    assert prices[-1] < VALUES.max()


# ----------------------------------------------------------------------------------------------
# technical premium
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, expected_load", [
    ("std", 0.1 * SD),           # 1.31762
    ("tvar_coc", 0.1 * 32.5),    # TVaR_99 = 40 (w = 0.1), 0.1 * (40 - 7.5) = 3.25
    ("wang", 5 * wang_g(0.4, 0.25) + 5 * wang_g(0.3, 0.25) + 10 * wang_g(0.2, 0.25)
     + 20 * wang_g(0.1, 0.25) - EL),
    ("none", 0.0),
])
def test_technical_premium_each_method(method, expected_load):
    basis = PricingBasis(risk_load=method)
    result = pricing.technical_premium(VALUES, N_YEARS, 1000.0, basis)
    share = 0.10 + 0.05 + 0.0672   # 0.2172
    gross = (EL + expected_load) / (1 - share)
    assert set(result) == {"expected_loss", "risk_load", "expenses", "gross", "rate"}
    assert all(type(value) is float for value in result.values())
    assert result["expected_loss"] == pytest.approx(EL, rel=1e-12)
    assert result["risk_load"] == pytest.approx(expected_load, rel=1e-12, abs=1e-12)
    assert result["gross"] == pytest.approx(gross, rel=1e-12)
    assert result["expenses"] == pytest.approx(gross * share, rel=1e-12)
    assert result["rate"] == pytest.approx(gross / 1000.0, rel=1e-12)


def test_gross_up_algebra():
    # EL 7.5, no risk load, 20% + 10% + 0% of gross: gross = 7.5 / 0.7, expenses = 0.3 * gross.
    basis = PricingBasis(risk_load="none", expense_ratio=0.2, profit_ratio=0.1, tax_ratio=0.0)
    result = pricing.technical_premium(VALUES, N_YEARS, 750.0, basis)
    assert result["gross"] == pytest.approx(7.5 / 0.7, rel=1e-12)
    assert result["expenses"] == pytest.approx(0.3 * 7.5 / 0.7, rel=1e-12)
    assert result["expected_loss"] + result["risk_load"] + result["expenses"] == pytest.approx(result["gross"])
    assert result["rate"] == pytest.approx(7.5 / 0.7 / 750.0, rel=1e-12)


def test_technical_premium_matches_metrics_on_large_sample():
    rng = np.random.default_rng(9)
    n_years = 50_000
    values = rng.lognormal(12.0, 1.0, rng.binomial(n_years, 0.2))
    basis = PricingBasis(risk_load="tvar_coc", tvar_level=0.995, cost_of_capital=0.08)
    result = pricing.technical_premium(values, n_years, 1e9, basis)
    aal, _ = metrics.aal_and_se(values, n_years)
    load = 0.08 * (metrics.tvar(values, n_years, 0.995) - aal)
    assert result["expected_loss"] == pytest.approx(aal, rel=1e-12)
    assert result["risk_load"] == pytest.approx(load, rel=1e-12)


def test_zero_sum_insured_gives_nan_rate_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = pricing.technical_premium(VALUES, N_YEARS, 0.0, PricingBasis())
    assert math.isnan(result["rate"])
    assert result["gross"] > 0


def test_no_losses_prices_at_zero():
    result = pricing.technical_premium([], 1000, 1e6, PricingBasis(risk_load="wang"))
    assert result == {"expected_loss": 0.0, "risk_load": 0.0, "expenses": 0.0, "gross": 0.0, "rate": 0.0}


def test_technical_premium_rejects_bad_inputs():
    with pytest.raises(ValueError, match="sum_insured"):
        pricing.technical_premium(VALUES, N_YEARS, -1.0, PricingBasis())
    with pytest.raises(ValueError, match="sum_insured"):
        pricing.technical_premium(VALUES, N_YEARS, float("inf"), PricingBasis())
    with pytest.raises(ValueError, match="negative"):
        pricing.technical_premium([-1.0], N_YEARS, 1.0, PricingBasis())
    with pytest.raises(TypeError, match="PricingBasis"):
        pricing.technical_premium(VALUES, N_YEARS, 1.0, {"risk_load": "std"})


# ----------------------------------------------------------------------------------------------
# pricing basis
# ----------------------------------------------------------------------------------------------

def test_basis_defaults():
    basis = PricingBasis()
    assert (basis.risk_load, basis.std_multiplier, basis.tvar_level, basis.cost_of_capital,
            basis.wang_lambda) == ("std", 0.1, 0.99, 0.10, 0.25)
    assert (basis.expense_ratio, basis.profit_ratio, basis.tax_ratio) == (0.10, 0.05, 0.0672)
    with pytest.raises(dataclasses.FrozenInstanceError):
        basis.risk_load = "wang"


@pytest.mark.parametrize("overrides, message", [
    ({"risk_load": "var"}, "unknown risk_load 'var'; valid methods: std, tvar_coc, wang, expected_value, variance, ph, none"),
    ({"std_multiplier": -0.1}, "std_multiplier must be finite and >= 0"),
    ({"cost_of_capital": float("nan")}, "cost_of_capital must be finite"),
    ({"wang_lambda": -1.0}, "wang_lambda must be finite and >= 0"),
    ({"tvar_level": 1.0}, r"tvar_level must be in \(0, 1\)"),
    ({"expense_ratio": -0.01}, r"expense_ratio must be a share of gross premium in \[0, 1\)"),
    ({"tax_ratio": 1.0}, "tax_ratio must be a share"),
    ({"profit_ratio": float("nan")}, "profit_ratio must be a share"),
    ({"expense_ratio": 0.5, "profit_ratio": 0.3, "tax_ratio": 0.2}, "must be < 1"),
])
def test_invalid_basis(overrides, message):
    with pytest.raises(ValueError, match=message):
        PricingBasis(**overrides)


def test_basis_as_hydra_structured_config():
    omegaconf = pytest.importorskip("omegaconf")
    schema = omegaconf.OmegaConf.structured(PricingBasis)
    config = omegaconf.OmegaConf.merge(schema, {"risk_load": "wang", "wang_lambda": 0.3})
    basis = omegaconf.OmegaConf.to_object(config)
    assert basis == PricingBasis(risk_load="wang", wang_lambda=0.3)
    with pytest.raises(ValueError, match="valid methods"):
        omegaconf.OmegaConf.to_object(omegaconf.OmegaConf.merge(schema, {"risk_load": "capm"}))


def test_expected_value_variance_and_ph_principles_by_hand():
    from engine.pricing import PricingBasis, ph_price, risk_load
    # two trials: 0 and 10 -> EL 5, sample variance (ddof=1) 50; S = 1/2 on [0, 10)
    values, n = np.array([10.0]), 2
    assert risk_load(values, n, PricingBasis(risk_load="expected_value", ev_loading=0.3)) == pytest.approx(1.5)
    assert risk_load(values, n, PricingBasis(risk_load="variance", variance_alpha=0.01)) == pytest.approx(0.5)
    assert ph_price(values, n, 2.0) == pytest.approx(10.0 * 0.5 ** 0.5)
    assert risk_load(values, n, PricingBasis(risk_load="ph", ph_rho=2.0)) == pytest.approx(10.0 * 0.5 ** 0.5 - 5.0)
    assert ph_price(values, n, 1.0) == pytest.approx(5.0)       # rho = 1 is the expected loss


def test_ph_price_of_an_exponential_is_rho_times_the_mean():
    # closed form: S(x) = exp(-x/mu) -> integral S^(1/rho) = rho mu; 200,000 draws, SE about mu rho / sqrt(n)
    from engine.pricing import ph_price
    rng = np.random.default_rng(7)
    x = rng.exponential(100.0, 200_000)
    assert ph_price(x, x.size, 1.5) == pytest.approx(150.0, rel=4 * 1.5 / np.sqrt(x.size) * 3)


def test_co_tvar_allocations_add_up_to_the_total_tvar():
    from engine import metrics
    from engine.pricing import co_tvar
    rng = np.random.default_rng(3)
    parts = rng.gamma(0.5, 10.0, size=(3, 1000))
    alloc = co_tvar(parts, 0.99)
    total = parts.sum(axis=0)
    assert alloc.sum() == pytest.approx(metrics.tvar(total, total.size, 0.99), rel=1e-12)
    # hand case: trials (A, B) = (1, 0), (0, 5), (4, 4): worst 1/3 at level 2/3 is trial 3
    np.testing.assert_allclose(co_tvar(np.array([[1.0, 0.0, 4.0], [0.0, 5.0, 4.0]]), 2 / 3), [4.0, 4.0])


def test_capital_allocation_adds_up_and_matches_co_tvar(tmp_path):
    import pandas as pd
    from engine import metrics
    from runner import run
    out = run(tmp_path, "run.n_years=300", "output.event_set=none", "output.report=false", "run.samples=2")
    alloc = pd.read_csv(out.folder / "capital_allocation.csv")
    ylt = pd.read_parquet(out.folder / "ylt.parquet")
    ylt = ylt[ylt["sample"] > 0]
    total = ylt[ylt["key"].astype(str) == "portfolio"].groupby(["year", "sample"])["loss"].sum()
    n_trials = 300 * 2
    el = total.sum() / n_trials
    capital = metrics.tvar(total.to_numpy(), n_trials, 0.99) - el
    for level in ("product", "county"):
        rows = alloc[alloc["level"] == level]
        assert rows["allocated_capital"].sum() == pytest.approx(capital, rel=1e-9)
        assert rows["expected_loss"].sum() == pytest.approx(el, rel=1e-9)
        assert rows["capital_share"].sum() == pytest.approx(1.0)
