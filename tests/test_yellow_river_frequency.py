"""Yellow River flood frequency: P-III moments, SL44 non-continuous series, curve fitting, PyMC.

Tolerances come from standard errors: the textbook large-sample SEs of the moment estimators, a
parametric bootstrap SE for the curve fit, and the posterior's own credible interval for PyMC.
"""
import numpy as np
import pytest

from perils.yellow_river import dataset, sl44
from perils.yellow_river.pearson3 import PearsonIII, moment_standard_errors, moments

Z = 4.0   # |estimate - truth| < 4 SE: a false failure about 1 time in 16,000 per check
TRUE = PearsonIII(10_000.0, 0.5, 1.5)   # Cs/Cv = 3, inside the 2-4 range of flood peaks


def test_pearson3_is_the_shifted_gamma_of_sl44():
    d = PearsonIII(9_000.0, 0.6, 1.8)
    assert d.shape == pytest.approx(4 / 1.8 ** 2)
    assert d.loc == pytest.approx(9_000 * (1 - 2 * 0.6 / 1.8))
    assert d.scale == pytest.approx(9_000 * 0.6 * 1.8 / 2)
    f = d.frozen()
    assert f.mean() == pytest.approx(9_000.0)
    assert f.std() / f.mean() == pytest.approx(0.6)
    assert float(f.stats(moments="s")) == pytest.approx(1.8)
    assert d.exceedance(d.return_level(100.0)) == pytest.approx(0.01)


def test_moments_recover_known_parameters():
    n = 4000
    sample = TRUE.sample(np.random.default_rng(20231), n)
    est = moments(sample)
    se = moment_standard_errors(TRUE, n)
    assert abs(est.mean - TRUE.mean) < Z * se["mean"]
    assert abs(est.cv - TRUE.cv) < Z * se["cv"]
    assert abs(est.cs - TRUE.cs) < Z * se["cs"]


def test_curve_fit_recovers_known_parameters():
    n, reps = 300, 40
    rng = np.random.default_rng(7)
    boot = np.array([[f.mean, f.cv, f.cs] for f in
                     (sl44.fit(sl44.continuous(TRUE.sample(rng, n))) for _ in range(reps))])
    se = boot.std(axis=0, ddof=1)
    est = sl44.fit(sl44.continuous(TRUE.sample(np.random.default_rng(11), n)))
    assert abs(est.mean - TRUE.mean) < Z * se[0]
    assert abs(est.cv - TRUE.cv) < Z * se[1]
    assert abs(est.cs - TRUE.cs) < Z * se[2]


def test_noncontinuous_moments_hand_computed():
    """N = 100 years, a = 2 extraordinary floods (1000, 900), 900 in the n = 5 year record (l = 1).

    mean = (1000 + 900 + 98/4 (500 + 400 + 300 + 200)) / 100 = (1900 + 34300) / 100 = 362
    squares: 638^2 + 538^2 = 407044 + 289444 = 696488;
             24.5 (138^2 + 38^2 + 62^2 + 162^2) = 24.5 x 50576 = 1239112
    Cv = sqrt((696488 + 1239112) / 99) / 362 = sqrt(19551.5151...) / 362 = 0.386262...
    Plotting positions: 1/101, 2/101; m = 2..5: 2/101 + (99/101) (m - 1) / 5.
    """
    series = sl44.FloodSeries(np.array([900.0, 500, 400, 300, 200]), np.array([1000.0, 900.0]), 1, 100)
    mean, cv = sl44.noncontinuous_moments(series)
    assert mean == pytest.approx(362.0)
    assert cv == pytest.approx(np.sqrt(1_935_600 / 99) / 362, rel=1e-12)
    assert cv == pytest.approx(0.386262, abs=1e-6)
    peaks, prob = series.plotting_positions()
    np.testing.assert_array_equal(peaks, [1000, 900, 500, 400, 300, 200])
    np.testing.assert_allclose(prob, [1 / 101, 2 / 101] + [2 / 101 + 99 / 101 * k / 5 for k in (1, 2, 3, 4)])


def test_noncontinuous_series_without_history_is_the_plain_series():
    peaks = TRUE.sample(np.random.default_rng(3), 50)
    mean, cv = sl44.noncontinuous_moments(sl44.continuous(peaks))
    est = moments(peaks)
    assert mean == pytest.approx(est.mean) and cv == pytest.approx(est.cv)


def test_series_rejects_inconsistent_history():
    with pytest.raises(ValueError, match="exceed"):
        sl44.FloodSeries(np.array([900.0, 500, 400, 300, 200]), np.array([450.0]), 0, 100)
    with pytest.raises(ValueError, match="at least"):
        sl44.FloodSeries(np.array([900.0, 500, 400, 300, 200]), np.array([1000.0]), 0, 3)


def test_shipped_dataset_and_fit_match_the_design_facts():
    """The dataset is derived from the design curve (module docstring), so the SL44 fit must come
    back near it: within 5% at 100 and 1,000 years (the [S]/[E] floods pull it slightly down)."""
    table = dataset.build_table()
    shipped = __import__("pandas").read_csv(dataset.PEAKS_CSV)
    np.testing.assert_allclose(shipped["peak_m3s"], table["peak_m3s"])   # the file is what the builder writes
    series = dataset.load_series()
    assert (series.n, series.a, series.n_extraordinary_in_record, series.investigation_years) == (36, 2, 1, 143)
    fit = sl44.fit(series)
    for period, design in dataset.DESIGN_PEAKS_M3S.items():
        assert abs(fit.return_level(period) / design - 1) < 0.05
    assert 2.0 <= fit.cs_cv <= 4.5
    curve = dataset.design_curve()
    assert curve.return_level(100) == pytest.approx(29_200, rel=1e-6)
    assert curve.return_level(1000) == pytest.approx(42_300, rel=1e-6)


def test_pymc_fit_with_censored_history_covers_the_truth():
    pytest.importorskip("pymc")
    from perils.yellow_river.bayes import HistoricalInfo, fit_pymc

    rng = np.random.default_rng(7)
    gauged, history, threshold = TRUE.sample(rng, 40), TRUE.sample(rng, 150), 20_000.0
    post = fit_pymc(gauged, HistoricalInfo(150, threshold, history[history > threshold]), draws=400, tune=400, seed=3)
    for name in ("mean", "cv", "cs"):
        lo, hi = post.interval(name, 0.99)
        assert lo < getattr(TRUE, name) < hi, name
    q100 = post.return_levels([100.0])[:, 0]
    assert np.quantile(q100, 0.005) < TRUE.return_level(100.0) < np.quantile(q100, 0.995)
