"""Rain -> flood depth and duration: hand-computed values, monotonicity, site attributes and geography."""
import numpy as np
import pytest

from engine.portfolio import Sites
from perils.flood import geography
from perils.flood.params import TransformParams
from perils.flood.peril import build_default
from perils.flood.transform import FloodSites, flood_sites, rain_to_flood

PARAMS = TransformParams(drain_return_period_urban_yr=3.0, drain_return_period_rural_yr=5.0,
                         river_return_period_yr=20.0, river_depth_m_per_mm=0.01, river_recession_m_per_day=0.2,
                         min_depth_m=0.05, max_depth_m=6.0, min_duration_days=1.0, max_duration_days=30.0)
#: Two hand-made sites: an urban lowland site by a river, a rural hill site far from rivers.
SITES = FloodSites(elevation_m=np.array([5.0, 200.0]), river_distance_km=np.array([1.0, 30.0]),
                   runoff_coefficient=np.array([0.7, 0.45]), urban=np.array([1.0, 0.0]),
                   terrain=np.array([0, 2], np.int8), ponding_factor=np.array([4.0, 1.0]),
                   river_factor=np.array([0.5, 0.0]), recession_m_per_day=np.array([0.1, 0.5]),
                   drain_threshold_mm=np.array([120.0, 150.0]), river_threshold_mm=np.array([200.0, 250.0]))


def test_depth_and_duration_by_hand():
    rain = np.array([[100.0, 100.0], [180.0, 200.0], [260.0, 400.0]])
    depth, duration = rain_to_flood(rain, SITES, PARAMS)
    # event 0: below both thresholds -> dry
    # event 1, site 0: surface 4 * 0.7 * (180 - 120) / 1000 = 0.168 m; river 0 -> duration 1 + 0.168 / 0.1 = 2.68
    #          site 1: surface 1 * 0.45 * 50 / 1000 = 0.0225 m < 0.05 -> dry
    # event 2, site 0: surface 4 * 0.7 * 140 / 1000 = 0.392; river 0.5 * 0.01 * 60 = 0.3 -> 0.692 m,
    #          duration 1 + 0.392 / 0.1 + 0.3 / 0.2 = 6.42 days
    #          site 1: surface 0.45 * 250 / 1000 = 0.1125 m (river factor 0), duration 1 + 0.1125 / 0.5 = 1.225
    np.testing.assert_allclose(depth, [[0, 0], [0.168, 0], [0.692, 0.1125]], atol=1e-12)
    np.testing.assert_allclose(duration, [[0, 0], [2.68, 0], [6.42, 1.225]], atol=1e-12)


def test_caps_apply():
    depth, duration = rain_to_flood(np.array([5000.0, 5000.0]), SITES, PARAMS)
    assert depth[0] == PARAMS.max_depth_m and duration[0] == PARAMS.max_duration_days


@pytest.fixture(scope="module")
def demo_like_sites():
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(115.6, 122.0, 300), rng.uniform(34.9, 37.9, 300)
    from engine import geo
    inside = geo.county_of(lon, lat) > 0
    lon, lat = lon[inside], lat[inside]
    return Sites(lon, lat, geo.county_of(lon, lat).astype(np.int64))


def test_depth_and_duration_are_monotone_in_rain(demo_like_sites):
    peril = build_default()
    site = peril.context(demo_like_sites).flood
    rain = np.linspace(0.0, 800.0, 401)[:, None] * np.ones(len(demo_like_sites))[None, :]
    depth, duration = rain_to_flood(rain, site, peril.transform)
    assert np.all(np.diff(depth, axis=0) >= 0) and np.all(np.diff(duration, axis=0) >= 0)
    assert np.all((depth >= 0) & (depth <= peril.transform.max_depth_m))
    assert np.all((duration == 0) == (depth == 0))
    # subsets: take() gives the same values as the full arrays
    idx = np.array([3, 1, 7])
    d_sub, _ = rain_to_flood(rain[:, idx], site.take(idx), peril.transform)
    np.testing.assert_array_equal(d_sub, depth[:, idx])


def test_portfolio_site_attributes_override_the_derived_ones(demo_like_sites):
    peril = build_default()
    n = len(demo_like_sites)
    given = np.full(n, np.nan)
    given[0] = 0.0
    elevation = given.copy()
    elevation[0] = 2.0
    sites = Sites(demo_like_sites.lon, demo_like_sites.lat, demo_like_sites.county,
                  {"river_distance_km": given, "elevation_m": elevation,
                   "runoff_coefficient": np.full(n, 0.9), "urban": np.ones(n)})
    base = peril.context(demo_like_sites).flood
    site = flood_sites(sites, peril.context(sites).margins, peril.geography, peril.transform)
    assert site.river_distance_km[0] == 0.0 and site.elevation_m[0] == 2.0
    np.testing.assert_array_equal(site.river_distance_km[1:], base.river_distance_km[1:])
    assert np.all(site.runoff_coefficient == 0.9) and np.all(site.urban == 1.0)
    # on the river (exp(0) = 1) at 2 m: ponding factor 4.0 + (3.5 - 4.0) * 2 / 10 = 3.9, lowland 3.9 / 4.0
    assert site.river_factor[0] == pytest.approx(3.9 / 4.0)


def test_geography_proxies():
    # a vertex of the Yellow River polyline is on the river; Jinan lies near the Yellow and Xiaoqing rivers
    d, river = geography.river_distance_km([117.00, 117.02], [36.73, 36.67])
    assert d[0] == pytest.approx(0.0, abs=1e-9) and river[0] == "Yellow"
    assert d[1] < 10.0
    elevation = geography.elevation_m([117.10, 116.36, 118.80], [36.25, 37.44, 37.60])   # Taishan, Dezhou, delta
    assert elevation[0] > 300 and 10 < elevation[1] < 40 and elevation[2] < 10
    np.testing.assert_array_equal(geography.terrain_class([5.0, 50.0, 150.0, 500.0], [10.0, 100.0, 400.0]), [0, 1, 2, 3])
    assert list(geography.is_urban([370102, 370124])) == [1.0, 0.0]   # Lixia district, Pingyin county
