"""Marine heat degree-days for the sea-cucumber index."""
import numpy as np
import pytest

from engine.portfolio import Sites
from perils.marine_heat.peril import MarineHeatParams, MarineHeatPeril, heat_degree_days

P = MarineHeatParams(counties=[1, 2], mean_c=14.0, amplitude_c=11.0, peak_doy=228, sigma_year_c=1.0,
                     threshold_c=26.0, window=[152, 273])


def test_heat_degree_days_by_hand():
    # peak SST 25 deg C: no day above 26 with no anomaly; +3 deg C: SST(d) - 26 = 2 + 11 (cos - 1) > 0 near the peak
    assert heat_degree_days(0.0, [0.0], P)[0] == 0.0
    days = np.arange(152, 274)
    excess = 14 + 11 * np.cos(2 * np.pi * (days - 228) / 365) + 3.0 - 26.0
    assert heat_degree_days(3.0, [0.0], P)[0] == pytest.approx(np.maximum(excess, 0).sum())
    assert heat_degree_days(2.0, [1.0], P)[0] == pytest.approx(np.maximum(excess, 0).sum())   # offsets add


def test_events_deterministic_across_chunks_and_only_at_the_counties():
    from types import SimpleNamespace
    peril = MarineHeatPeril.from_config("marine_heat", {"kind": "marine_heat", "counties": [1, 2], "mean_c": 14.0,
                                                       "amplitude_c": 11.0, "peak_doy": 228, "sigma_year_c": 1.0,
                                                       "threshold_c": 26.0}, SimpleNamespace(warming_c=0.0))
    sites = Sites(np.zeros(4), np.zeros(4), np.array([1, 3, 2, 3]))
    whole = peril.events(np.arange(1, 301), sites, 1, 9)
    parts = [peril.events(np.arange(a, b), sites, 1, 9) for a, b in ((1, 50), (50, 301))]
    for name in ("event_id", "site", "intensity"):
        np.testing.assert_array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(whole, name))
    assert set(whole.site) <= {0, 2} and whole.n_events > 10
    # P(any heat) = P(anomaly + site offset > 1 deg C) roughly: a heat year every few years
    assert 0.05 < whole.n_events / 300 < 0.6
