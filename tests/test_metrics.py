"""Tests of engine.metrics: hand tables, sparse-vs-dense agreement, and statistics against scipy."""
import json

import numpy as np
import pytest
from scipy import integrate, stats

from engine import metrics

# ----------------------------------------------------------------------------------------------
# hand table: 10 trials, 4 nonzero losses
#   descending x = 40, 20, 10, 5, then six zero years
# ----------------------------------------------------------------------------------------------

SMALL_VALUES = np.array([5.0, 40.0, 10.0, 20.0])  # deliberately unsorted
SMALL_TRIALS = 10


@pytest.mark.parametrize("period, expected", [
    (1000, 40.0),      # k = 0.01 < 1: extrapolation limit, the largest loss
    (20, 40.0),        # k = 0.5 < 1: same
    (10, 40.0),        # k = 1: x_(1)
    (5, 20.0),         # k = 2: x_(2)
    (4, 15.0),         # k = 2.5: 20 + 0.5 * (10 - 20)
    (3, 25.0 / 3.0),   # k = 3.333: 10 + (1/3) * (5 - 10) = 8.333
    (2.5, 5.0),        # k = 4: x_(4)
    (20.0 / 9.0, 2.5),  # k = 4.5: 5 + 0.5 * (0 - 5), rank 5 is a zero year
    (2, 0.0),          # k = 5: a zero year
    (1, 0.0),          # k = 10: the smallest trial, a zero year
])
def test_return_period_hand_table(period, expected):
    got = metrics.return_period_losses(SMALL_VALUES, SMALL_TRIALS, [period])
    assert got.shape == (1,)
    assert got[0] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_return_period_default_periods_hand_table():
    # 1500 trials, 8 nonzero losses 800, 700, ..., 100; k = 1500 / T:
    #   T=10 k=150, T=20 k=75, T=50 k=30, T=100 k=15           -> zero years
    #   T=200  k=7.5 -> 200 + 0.5 * (100 - 200) = 150
    #   T=250  k=6   -> x_(6) = 300
    #   T=500  k=3   -> x_(3) = 600
    #   T=1000 k=1.5 -> 800 + 0.5 * (700 - 800) = 750
    values = np.arange(100.0, 900.0, 100.0)
    got = metrics.return_period_losses(values, 1500)
    expected = [0.0, 0.0, 0.0, 0.0, 150.0, 300.0, 600.0, 750.0]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert metrics.RETURN_PERIODS == (10, 20, 50, 100, 200, 250, 500, 1000)


def test_ep_curve_hand_table():
    loss, prob, period = metrics.ep_curve(SMALL_VALUES, SMALL_TRIALS)
    np.testing.assert_array_equal(loss, [40.0, 20.0, 10.0, 5.0])
    np.testing.assert_allclose(prob, [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(period, [10.0, 5.0, 10.0 / 3.0, 2.5])


def test_aal_and_se_hand_table():
    # AAL = 75 / 10 = 7.5.
    # Deviations from 7.5: 32.5, 12.5, 2.5, -2.5 and six times -7.5;
    # squares 1056.25 + 156.25 + 6.25 + 6.25 + 6 * 56.25 = 1562.5;
    # s^2 = 1562.5 / 9, SE = sqrt(1562.5 / 90) = sqrt(625 / 36) = 25 / 6.
    aal, se = metrics.aal_and_se(SMALL_VALUES, SMALL_TRIALS)
    assert aal == pytest.approx(7.5, rel=1e-15)
    assert se == pytest.approx(25.0 / 6.0, rel=1e-12)
    assert metrics.annual_std(SMALL_VALUES, SMALL_TRIALS) == pytest.approx(np.sqrt(1562.5 / 9), rel=1e-12)
    assert metrics.annual_std(SMALL_VALUES, SMALL_TRIALS, ddof=0) == pytest.approx(np.sqrt(156.25))


@pytest.mark.parametrize("level, expected", [
    (0.99, 40.0),             # w = 0.1 < 1: inside the largest trial
    (0.85, 100.0 / 3.0),      # w = 1.5: (40 + 0.5 * 20) / 1.5
    (0.75, 26.0),             # w = 2.5: (40 + 20 + 0.5 * 10) / 2.5 = 65 / 2.5
    (0.5, 15.0),              # w = 5: (40 + 20 + 10 + 5 + 0) / 5
    (0.45, 75.0 / 5.5),       # w = 5.5: boundary trial is a zero year
    (0.3, 75.0 / 7.0),        # w = 7
    (0.0, 7.5),               # w = 10: the mean
])
def test_tvar_hand_table(level, expected):
    assert metrics.tvar(SMALL_VALUES, SMALL_TRIALS, level) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("level, expected", [
    (0.95, 40.0),   # k = 0.5 < 1: the largest loss
    (0.85, 30.0),   # k = 1.5: 40 + 0.5 * (20 - 40)
    (0.75, 15.0),   # k = 2.5: 20 + 0.5 * (10 - 20), = the 4-year loss
    (0.65, 7.5),    # k = 3.5: 10 + 0.5 * (5 - 10)
    (0.5, 0.0),     # k = 5: a zero year
])
def test_var_quantile_hand_table(level, expected):
    got = metrics.var_quantile(SMALL_VALUES, SMALL_TRIALS, level)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert metrics.tvar(SMALL_VALUES, SMALL_TRIALS, level) >= got


def test_var_matches_return_period_rule():
    for level, period in [(0.75, 4), (0.9, 10), (0.8, 5)]:
        rp = metrics.return_period_losses(SMALL_VALUES, SMALL_TRIALS, [period])[0]
        assert metrics.var_quantile(SMALL_VALUES, SMALL_TRIALS, level) == pytest.approx(rp, rel=1e-12)


def test_no_losses_gives_zeros():
    empty = np.array([], dtype=np.float64)
    np.testing.assert_array_equal(metrics.return_period_losses(empty, 100), np.zeros(8))
    assert metrics.aal_and_se(empty, 100) == (0.0, 0.0)
    assert metrics.tvar(empty, 100) == 0.0
    assert all(len(part) == 0 for part in metrics.ep_curve(empty, 100))


def test_single_trial_se_is_nan():
    aal, se = metrics.aal_and_se([3.0], 1)
    assert aal == 3.0 and np.isnan(se)


def test_inputs_not_modified():
    values = SMALL_VALUES.copy()
    metrics.return_period_losses(values, SMALL_TRIALS)
    metrics.ep_curve(values, SMALL_TRIALS)
    metrics.tvar(values, SMALL_TRIALS, 0.75)
    np.testing.assert_array_equal(values, SMALL_VALUES)


@pytest.mark.parametrize("values, n_trials, message", [
    ([1.0, -2.0], 10, "negative"),
    ([1.0, np.nan], 10, "non-finite"),
    ([1.0, np.inf], 10, "non-finite"),
    ([1.0, 2.0, 3.0], 2, "n_trials"),
    ([1.0], 0, "n_trials must be >= 1"),
    (np.ones((2, 2)), 10, "one-dimensional"),
])
def test_invalid_losses(values, n_trials, message):
    with pytest.raises(ValueError, match=message):
        metrics.aal_and_se(values, n_trials)
    with pytest.raises(ValueError, match=message):
        metrics.return_period_losses(values, n_trials)


def test_invalid_arguments():
    with pytest.raises(TypeError, match="integer"):
        metrics.aal_and_se([1.0], 10.5)
    with pytest.raises(ValueError, match="return periods"):
        metrics.return_period_losses([1.0], 10, [0.5])
    with pytest.raises(ValueError, match="level"):
        metrics.tvar([1.0], 10, 1.0)
    with pytest.raises(ValueError, match="level"):
        metrics.var_quantile([1.0], 10, -0.1)


# ----------------------------------------------------------------------------------------------
# summarise
# ----------------------------------------------------------------------------------------------

def test_summarise_hand_table():
    # Same 10 trials; the year of total 40 had two events of 25 and 15, the others one event.
    occurrence = np.array([5.0, 25.0, 10.0, 20.0])
    summary = metrics.summarise(occurrence, SMALL_VALUES, SMALL_TRIALS, return_periods=(2, 4, 10))
    assert set(summary) == {"aal", "aal_se", "oep", "aep", "tvar_99", "n_years"}
    assert summary["aal"] == pytest.approx(7.5)
    assert summary["aal_se"] == pytest.approx(25.0 / 6.0)
    # OEP descending 25, 20, 10, 5: T=4 -> k=2.5 -> 20 + 0.5 * (10 - 20) = 15; T=10 -> 25.
    assert summary["oep"] == pytest.approx({2: 0.0, 4: 15.0, 10: 25.0})
    assert summary["aep"] == pytest.approx({2: 0.0, 4: 15.0, 10: 40.0})
    assert summary["tvar_99"] == pytest.approx(40.0)
    assert summary["n_years"] == 10
    assert all(type(key) is int for key in summary["oep"])
    assert all(type(value) is float for value in summary["aep"].values())
    json.dumps(summary)  # JSON-ready: no numpy scalars


def test_summarise_rejects_inconsistent_inputs():
    with pytest.raises(ValueError, match="same trials"):
        metrics.summarise([1.0], [1.0, 2.0], 10)
    with pytest.raises(ValueError, match="exceeds annual_total"):
        metrics.summarise([1.0, 3.0], [1.0, 2.0], 10)
    with pytest.raises(ValueError, match="whole years"):
        metrics.summarise([1.0], [1.0], 10, return_periods=(2.5,))


def test_summarise_pooled_samples_uses_year_means():
    # Y = 4 years x Q = 3 samples pooled as 12 trials (zero trials not stored).
    # Year means: (6+3+0)/3 = 3, (12+12+6)/3 = 10, (0+0+3)/3 = 1, year 4 all zero -> 0.
    pooled = np.array([6.0, 3.0, 12.0, 12.0, 6.0, 3.0])
    year_means = np.array([3.0, 10.0, 1.0])
    # AAL = 42 / 12 = 3.5 = (3 + 10 + 1 + 0) / 4.
    # Year-mean deviations -0.5, 6.5, -2.5, -3.5: squares 0.25 + 42.25 + 6.25 + 12.25 = 61;
    # SE = sqrt(61 / 3 / 4).
    summary = metrics.summarise(pooled, pooled, 12, (2,), samples_per_year=3, year_means=year_means)
    assert summary["aal"] == pytest.approx(3.5)
    assert summary["aal_se"] == pytest.approx(np.sqrt(61.0 / 12.0))
    assert metrics.aal_se_from_year_means(year_means, 4) == pytest.approx(np.sqrt(61.0 / 12.0))
    # The pooled-trial SE understates it because samples of one year move together.
    assert metrics.aal_and_se(pooled, 12)[1] < summary["aal_se"]
    with pytest.raises(ValueError, match="needs year_means"):
        metrics.summarise(pooled, pooled, 12, samples_per_year=3)
    with pytest.raises(ValueError, match="same run"):
        metrics.summarise(pooled, pooled, 12, samples_per_year=3, year_means=year_means * 2)
    with pytest.raises(ValueError, match="multiple"):
        metrics.summarise(pooled, pooled, 12, samples_per_year=5, year_means=year_means)


# ----------------------------------------------------------------------------------------------
# sparse vs dense: independent dense implementations on explicit zeros
# ----------------------------------------------------------------------------------------------

def densify(values, n_trials, rng):
    """All n_trials losses with the zero years written out, in random order."""
    dense = np.zeros(n_trials)
    dense[: len(values)] = values
    return rng.permutation(dense)


def dense_return_period(dense, period):
    # Descending rank k is ascending 0-based position N - k; numpy's 'linear' quantile sits at
    # position (N - 1) q, so q = (N - k) / (N - 1) reproduces the rank rule independently.
    n_trials = dense.size
    rank = max(n_trials / period, 1.0)
    return np.quantile(dense, (n_trials - rank) / (n_trials - 1), method="linear")


def dense_tvar(dense, level):
    # Integrate the step quantile function: ascending loss j occupies ((j-1)/N, j/N].
    n_trials = dense.size
    ascending = np.sort(dense)
    upper = np.arange(1, n_trials + 1) / n_trials
    width = np.clip(upper - np.maximum(upper - 1 / n_trials, level), 0.0, None)
    return np.dot(ascending, width) / (1 - level)


def sparse_case(name):
    """Small sparse loss sets, built inside the test rather than at import."""
    if name == "ties":
        return np.array([3.0, 3.0, 3.0, 1.0]), 9
    if name == "no_zero_years":
        return np.array([7.0, 1.5, 2.5]), 3
    if name == "prime_trials":   # fractional ranks at every return period
        return np.random.default_rng(11).lognormal(2.0, 1.5, 37), 101
    return np.random.default_rng(12).pareto(1.5, 400) * 1e6, 2500


@pytest.mark.parametrize("case", ["ties", "no_zero_years", "prime_trials", "heavy_tail"])
def test_sparse_matches_dense(case):
    values, n_trials = sparse_case(case)
    rng = np.random.default_rng(0)
    dense = densify(values, n_trials, rng)
    periods = (1, 1.7, 2, 3, 7, 10, 33.3, 100, 250, 1000, 5000)
    sparse_rp = metrics.return_period_losses(values, n_trials, periods)
    reference = [dense_return_period(dense, period) for period in periods]
    np.testing.assert_allclose(sparse_rp, reference, rtol=1e-12, atol=1e-9)
    # Passing the zeros explicitly through the sparse API changes nothing either.
    np.testing.assert_allclose(metrics.return_period_losses(dense, n_trials, periods), sparse_rp,
                               rtol=1e-12)

    aal, se = metrics.aal_and_se(values, n_trials)
    assert aal == pytest.approx(dense.mean(), rel=1e-12)
    if n_trials > 1:
        assert se == pytest.approx(dense.std(ddof=1) / np.sqrt(n_trials), rel=1e-10)

    for level in (0.0, 0.3, 0.5, 0.9, 0.95, 0.99, 0.999):
        expected = dense_tvar(dense, level)
        assert metrics.tvar(values, n_trials, level) == pytest.approx(expected, rel=1e-10)
        assert metrics.tvar(dense, n_trials, level) == pytest.approx(expected, rel=1e-10)
        assert metrics.var_quantile(values, n_trials, level) == pytest.approx(
            metrics.var_quantile(dense, n_trials, level), rel=1e-12)

    loss, prob, _ = metrics.ep_curve(values, n_trials)
    assert np.all(np.diff(loss) <= 0) and np.all(np.diff(prob) > 0)
    dense_exceed = [(dense >= x).sum() / n_trials for x in np.unique(loss)]
    # For a distinct loss, its largest rank is the share of trials at or above it.
    assert np.allclose(dense_exceed, [prob[loss == x].max() for x in np.unique(loss)])


# ----------------------------------------------------------------------------------------------
# statistics against an independent calculation: zero with probability 0.7, else lognormal
# ----------------------------------------------------------------------------------------------

N_YEARS = 200_000
P_LOSS = 0.3
SEVERITY = stats.lognorm(s=1.0, scale=2.0e6)   # CNY


@pytest.fixture(scope="session")
def mixture_losses():
    """Sparse annual losses of N_YEARS years: only the loss years are drawn and stored."""
    rng = np.random.default_rng(20240601)
    n_loss_years = rng.binomial(N_YEARS, P_LOSS)
    return SEVERITY.rvs(size=n_loss_years, random_state=rng)


def mixture_quantile(exceedance):
    # P(L > q) = P_LOSS * S_sev(q)
    return SEVERITY.isf(exceedance / P_LOSS)


def mixture_moment(order):
    # E[L^k] = P_LOSS * E[X^k]; lognormal raw moments in closed form.
    return P_LOSS * SEVERITY.moment(order)


@pytest.mark.parametrize("period", [100, 250])
def test_return_period_against_exact_quantile(mixture_losses, period):
    exceedance = 1.0 / period
    exact = mixture_quantile(exceedance)
    density = P_LOSS * SEVERITY.pdf(exact)
    # Asymptotic SE of the sample quantile: sqrt(p (1 - p) / n) / f(q).
    order_stat_se = np.sqrt(exceedance * (1 - exceedance) / N_YEARS) / density
    got = metrics.return_period_losses(mixture_losses, N_YEARS, [period])[0]
    assert abs(got - exact) < 4 * order_stat_se


def test_aal_and_se_against_closed_form(mixture_losses):
    mean = mixture_moment(1)
    variance = mixture_moment(2) - mean**2
    true_se = np.sqrt(variance / N_YEARS)
    aal, se = metrics.aal_and_se(mixture_losses, N_YEARS)
    assert abs(aal - mean) < 4 * true_se
    # SE of the sample variance: sqrt((mu4 - sigma^4) / n); delta method to the SE of the SE.
    m1, m2, m3, m4 = (mixture_moment(k) for k in (1, 2, 3, 4))
    mu4 = m4 - 4 * m3 * m1 + 6 * m2 * m1**2 - 3 * m1**4
    var_se = np.sqrt((mu4 - variance**2) / N_YEARS)
    se_of_se = var_se / (2 * np.sqrt(variance)) / np.sqrt(N_YEARS)
    assert abs(se - true_se) < 4 * se_of_se


def test_tvar_against_numerical_integration(mixture_losses):
    level = 0.99
    tail = 1 - level
    var = mixture_quantile(tail)
    # E[L; L > q] and E[L^2; L > q] by quadrature of the mixture density above the quantile,
    # in y = ln(x) where the lognormal integrand is well scaled: dx = x dy. The mass above the
    # 1e-30 severity quantile is negligible even for the second moment and keeps exp() finite.
    top = np.log(SEVERITY.isf(1e-30))
    def partial_moment(order):
        def integrand(log_loss):
            loss = np.exp(log_loss)
            return loss**order * P_LOSS * SEVERITY.pdf(loss) * loss
        value, _ = integrate.quad(integrand, np.log(var), top, epsabs=0.0, epsrel=1e-10)
        return value
    first, second = partial_moment(1), partial_moment(2)
    exact = first / tail
    tail_variance = second / tail - exact**2
    # Asymptotic variance of the empirical TVaR (Manistre & Hancock 2005):
    # [Var(L | L > q) + level (TVaR - q)^2] / (n (1 - level)).
    tvar_se = np.sqrt((tail_variance + level * (exact - var) ** 2) / (N_YEARS * tail))
    got = metrics.tvar(mixture_losses, N_YEARS, level)
    assert abs(got - exact) < 4 * tvar_se
    assert got >= metrics.var_quantile(mixture_losses, N_YEARS, level)
