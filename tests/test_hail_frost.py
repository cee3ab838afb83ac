"""Hail and spring frost: event counts, the frost index and chunk independence."""
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from engine.portfolio import Sites
from perils.hail_frost.peril import HailFrostPeril

PARAMS = {"kind": "hail_frost", "hail_rate": 0.3, "hail_months": {5: 0.5, 6: 0.5}, "frost_mean_c": 2.0,
          "frost_sd_c": 2.0, "frost_rho": 0.6, "frost_threshold_c": -2.0}


@pytest.fixture(scope="module")
def run_1000():
    peril = HailFrostPeril.from_config("hail_frost", PARAMS, SimpleNamespace(frequency={}))
    sites = Sites(np.zeros(20), np.zeros(20), np.repeat(np.arange(10), 2))
    return peril, sites, peril.events(np.arange(1, 1001), sites, 2, 5)


def test_hail_days_and_frost_frequency(run_1000):
    peril, sites, ev = run_1000
    hail = ev.doy != 105
    # hail days: Poisson 0.3 per county-year, 10 counties x 1000 years
    n = hail.sum()
    assert n == pytest.approx(0.3 * 10 * 1000, abs=4 * np.sqrt(0.3 * 10 * 1000))
    assert set(np.unique(ev.doy[hail])) <= set(range(121, 182))        # May and June only
    # frost: a county is hit when T < -2, T ~ N(2, 2): P = Phi(-2); both sites of a hit county
    frost_entries = sum(int(ev.offsets[e + 1] - ev.offsets[e]) for e in np.flatnonzero(~hail))
    p = stats.norm.cdf(-2.0)
    expected = p * 10 * 1000 * 2
    assert frost_entries == pytest.approx(expected, abs=4 * 2 * np.sqrt(p * (1 - p) * 10 * 1000 / (1 - 0.6)))


def test_frost_index_is_degrees_below_the_threshold(run_1000):
    peril, sites, ev = run_1000
    frost = ev.intensity[:, 1]
    assert np.all(frost >= 0) and frost.max() > 0
    hail = ev.intensity[:, 0]
    assert np.all((hail > 0) != (frost > 0))       # an entry is either a hail day or the frost


def test_chunks_give_the_same_events(run_1000):
    peril, sites, ev = run_1000
    parts = [peril.events(np.arange(a, b), sites, 2, 5) for a, b in ((1, 300), (300, 1001))]
    for name in ("event_id", "doy", "site", "intensity"):
        np.testing.assert_array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(ev, name))
