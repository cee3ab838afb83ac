"""Flood rain copula: simulated correlation against exp(-d / range) (exact and grid methods)."""
import numpy as np
import pytest

from engine import geo
from engine.rng import year_generator
from perils.flood.dependence import LatentField, exponential_correlation
from perils.flood.params import DependenceParams

RANGE_KM = 150.0
N_EVENTS = 20_000


def pairs_along_latitude(distances_km, lon0=116.5, lat0=36.0):
    """Sites at lon0 and east of it at the given great-circle distances (km), same latitude."""
    km_per_deg = np.pi * geo.EARTH_RADIUS_KM / 180.0 * np.cos(np.radians(lat0))
    lon = np.concatenate([[lon0], lon0 + np.asarray(distances_km) / km_per_deg])
    return lon, np.full(len(lon), lat0)


def params(method, copula="gaussian"):
    return DependenceParams(copula=copula, range_km=RANGE_KM, t_dof=5.0, method=method, grid_step_deg=0.25)


DISTANCES = np.array([25.0, 75.0, 150.0, 300.0])


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_scores_have_unit_variance_and_the_target_correlation(method):
    lon, lat = pairs_along_latitude(DISTANCES)
    d = geo.haversine_km(lon[0], lat[0], lon[1:], lat[1:])
    field = LatentField.build(lon, lat, params(method))
    z = field.scores(year_generator(5, "test.flood.copula", 0), N_EVENTS)
    assert np.all(np.abs(z.var(axis=0) - 1.0) < 4.0 * np.sqrt(2.0 / N_EVENTS))
    r = np.array([np.corrcoef(z[:, 0], z[:, k])[0, 1] for k in range(1, len(lon))])
    implied = field.correlation(np.zeros(len(d), int), np.arange(1, len(lon)))
    se = (1.0 - implied ** 2) / np.sqrt(N_EVENTS)       # SE of a Pearson correlation
    assert np.all(np.abs(r - implied) < 4.0 * se + 1e-12), (r, implied)
    target = exponential_correlation(d, RANGE_KM)
    if method == "exact":
        np.testing.assert_allclose(implied, target, atol=1e-8)
    else:   # lattice interpolation + nugget: within 0.04 at one lattice step (~25 km), 0.02 beyond 50 km
        assert np.all(np.abs(implied - target) < np.where(d >= 50.0, 0.02, 0.04)), (implied, target)


def test_grid_implied_correlation_over_many_pairs():
    rng = np.random.default_rng(3)
    lon = rng.uniform(115.5, 121.5, 400)
    lat = rng.uniform(34.8, 37.8, 400)
    field = LatentField.build(lon, lat, params("grid"))
    i, j = rng.integers(0, 400, 2000), rng.integers(0, 400, 2000)
    d = geo.haversine_km(lon[i], lat[i], lon[j], lat[j])
    implied = field.correlation(i, j)
    err = np.abs(implied - exponential_correlation(d, RANGE_KM))
    assert np.max(err[(d >= 25.0) & (i != j)]) < 0.04
    assert np.max(err[d >= 50.0]) < 0.02


def test_t_copula_margins_are_uniform_and_tails_co_occur_more():
    lon, lat = pairs_along_latitude([100.0])
    gen = lambda: year_generator(7, "test.flood.copula", 1)   # noqa: E731
    q_t = LatentField.build(lon, lat, params("exact", "t")).upper_tail(gen(), N_EVENTS)
    q_g = LatentField.build(lon, lat, params("exact")).upper_tail(gen(), N_EVENTS)
    for q in (q_t, q_g):
        assert np.all(np.abs(q.mean(axis=0) - 0.5) < 4.0 * np.sqrt(1 / 12 / N_EVENTS))
    joint = lambda q: np.mean((q[:, 0] < 0.01) & (q[:, 1] < 0.01))   # noqa: E731
    assert joint(q_t) > joint(q_g)
