"""Trend yields (statsmodels) and the non-catastrophe crop residual peril."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from engine.portfolio import Sites
from perils.crop_residual.trend import fit_trends, read_history


def synthetic(n_counties=30, years=np.arange(2000, 2024), slope=2.5, level=400.0, cv=0.05, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_counties):
        trend = level + slope * (years - 2000)
        y = trend * (1 + rng.normal(0, cv, years.size))
        rows += [{"county": 370100 + c, "crop": "wheat", "year": int(t), "yield_kg_per_mu": v} for t, v in zip(years, y)]
    return pd.DataFrame(rows)


def test_trend_fit_recovers_slope_and_cv():
    trends = fit_trends(synthetic())
    # slope: mean over 30 counties; SE of one county's slope = sigma / sqrt(sum (t - tbar)^2), sigma ~ 0.05 x 430
    t = np.arange(24.0)
    se_one = 0.05 * 430 / np.sqrt(np.sum((t - t.mean()) ** 2))
    assert trends["slope"].mean() == pytest.approx(2.5, abs=4 * se_one / np.sqrt(30))
    # pooled relative residual SD estimates the CV 0.05 (relative SE about 1 / sqrt(2 x 30 x 22))
    assert trends["cv"].mean() == pytest.approx(0.05, rel=4 / np.sqrt(2 * 30 * 22) + 0.02)


def test_cv_shrinkage_by_hand():
    hist = synthetic(n_counties=2)
    raw = fit_trends(hist, shrink_years=0.0)
    shrunk = fit_trends(hist, shrink_years=10.0)
    dof = 24 - 2
    pooled2 = (raw["cv"] ** 2 * dof).sum() / (2 * dof)
    expected = np.sqrt((dof * raw["cv"] ** 2 + 10 * pooled2) / (dof + 10))
    np.testing.assert_allclose(shrunk["cv"], expected, rtol=1e-12)


def test_bad_history_names_file_row_and_column(tmp_path):
    path = tmp_path / "h.csv"
    synthetic(n_counties=1).assign(yield_kg_per_mu=lambda d: d["yield_kg_per_mu"].where(d.index != 4, -1)).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"h.csv, row 6, column 'yield_kg_per_mu'"):
        read_history(path)
    synthetic(n_counties=1).drop(columns="crop").to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['crop'\]"):
        read_history(path)


@pytest.fixture(scope="module")
def peril():
    from types import SimpleNamespace
    from perils.crop_residual.peril import CropResidualPeril
    from engine.config import data_path
    climate = SimpleNamespace(frequency={}, intensity={}, rainfall={}, warming_c=0.0)
    return CropResidualPeril.from_config("crop_residual", {
        "kind": "crop_residual", "history": data_path("crops/yield_history.csv"), "noncat_share": 0.5,
        "assess_doy": {"wheat": 150, "maize": 240, "rice": 235}, "min_shortfall": 0.0}, climate)


def test_shortfalls_follow_the_residual_distribution_and_chunks(peril):
    counties = np.array(sorted(peril.trends()["county"].unique()))[:40]
    sites = Sites(np.zeros(40), np.zeros(40), counties)
    years = np.arange(1, 301)
    ev = peril.events(years, sites, 3, 7)
    parts = [peril.events(years[a:b], sites, 3, 7) for a, b in ((0, 13), (13, 300))]
    for name in ("event_id", "site", "intensity"):
        np.testing.assert_array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(ev, name))
    # wheat: P(shortfall > x) = Phi(-x / cv_nc) per county-year; pooled over 40 counties x 300 years
    col = peril.crops.index("wheat")
    wheat = ev.intensity[:, col][ev.intensity[:, col] > 0]
    cv = peril.trends().set_index(["county", "crop"])["cv"]
    cv_nc = np.array([cv[(c, "wheat")] for c in counties]) * np.sqrt(0.5)
    x = 0.03
    expected = np.mean(stats.norm.sf(x / cv_nc))
    got = (wheat > x).sum() / (40 * 300)
    assert got == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / (40 * 300)))
