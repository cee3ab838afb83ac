"""Tests of engine.geo (Shandong geography) and of the shipped demo portfolio."""
import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.path import Path as MplPath

from engine import geo

REPO = Path(__file__).resolve().parents[1]
DEMO_CSV = geo.DATA_DIR / "portfolios" / "shandong_demo.csv"
DEMO_COLUMNS = ["risk_id", "policy_id", "product", "asset_class", "county", "lon", "lat", "quantity",
                "quantity_unit", "value", "sum_insured", "deductible", "limit", "franchise", "coinsurance",
                "policy_deductible", "policy_limit", "carbon_kind", "carbon_group", "stand_age_years", "area_mu",
                "contracted_tco2e"]


@pytest.fixture(scope="session")
def counties():
    return geo.load_counties()


@pytest.fixture(scope="session")
def boundaries():
    return geo.load_county_boundaries()


@pytest.fixture(scope="session")
def demo():
    return pd.read_csv(DEMO_CSV)


# --- counties and boundaries --------------------------------------------------------------------

def test_136_counties(counties):
    assert len(counties) == 136
    assert counties["adcode"].is_unique
    assert counties["adcode"].dtype == np.int64
    assert counties["type"].value_counts().to_dict() == {"市辖区": 58, "县": 52, "县级市": 26}
    assert counties["prefecture_adcode"].nunique() == 16
    assert (counties["adcode"] // 100 * 100 == counties["prefecture_adcode"]).all()


def test_counties_lon_lat_are_the_wgs84_seat(counties):
    raw = pd.read_csv(geo.COUNTIES_CSV).set_index("adcode").loc[counties["adcode"]]
    np.testing.assert_array_equal(counties["lon"], raw["lon_wgs84"])
    np.testing.assert_array_equal(counties["lat"], raw["lat_wgs84"])
    np.testing.assert_array_equal(counties["centroid_lon_gcj02"], raw["centroid_lon"])


def test_load_counties_returns_a_copy():
    first = geo.load_counties()
    first["lon"] = 0.0
    assert (geo.load_counties()["lon"] > 114.0).all()


def test_gcj02_conversion_reproduces_the_file(counties):
    # The file's WGS-84 seats were converted with the standard formula: agree to well under a metre.
    lon, lat = geo.wgs84_to_gcj02(counties["lon"], counties["lat"])
    assert geo.haversine_km(lon, lat, counties["lon_gcj02"], counties["lat_gcj02"]).max() < 1e-3
    back_lon, back_lat = geo.gcj02_to_wgs84(counties["lon_gcj02"], counties["lat_gcj02"])
    assert geo.haversine_km(back_lon, back_lat, counties["lon"], counties["lat"]).max() < 1e-3
    # and the offset is the ~500 m the docs warn about
    offset = geo.haversine_km(counties["lon"], counties["lat"], counties["lon_gcj02"], counties["lat_gcj02"])
    assert 0.2 < offset.min() and offset.max() < 1.0


def test_boundaries(boundaries, counties):
    assert sorted(boundaries) == sorted(counties["adcode"])
    for rings in boundaries.values():
        assert rings
        for ring in rings:
            assert ring.ndim == 2 and ring.shape[1] == 2 and ring.shape[0] >= 4
            np.testing.assert_array_equal(ring[0], ring[-1])
            assert not ring.flags.writeable
    with pytest.raises(TypeError):
        boundaries[370102] = []


def test_model_domain_is_the_boundary_box_plus_margin(boundaries):
    vertices = np.concatenate([ring for rings in boundaries.values() for ring in rings])
    lon, lat = geo.gcj02_to_wgs84(vertices[:, 0], vertices[:, 1])
    m = geo.DOMAIN_MARGIN_DEG
    expected = (lon.min() - m, lon.max() + m, lat.min() - m, lat.max() + m)
    got = (geo.MODEL_DOMAIN.lon_min, geo.MODEL_DOMAIN.lon_max, geo.MODEL_DOMAIN.lat_min, geo.MODEL_DOMAIN.lat_max)
    np.testing.assert_allclose(got, expected, atol=0.002)
    assert got[0] <= expected[0] and got[1] >= expected[1] and got[2] <= expected[2] and got[3] >= expected[3]


def test_in_domain(counties):
    assert geo.in_domain(counties["lon"], counties["lat"]).all()
    assert geo.in_domain(counties["centroid_lon"], counties["centroid_lat"]).all()
    lon = np.array([[117.0, 125.0], [113.0, 120.0]])
    lat = np.array([[36.0, 36.0], [36.0, 33.0]])
    np.testing.assert_array_equal(geo.in_domain(lon, lat), [[True, False], [False, False]])
    assert geo.in_domain(116.4, 39.9) == np.False_  # Beijing


# --- county_of ---------------------------------------------------------------------------------

@pytest.mark.parametrize("adcode", [370102, 370783, 370828, 370211])  # Lixia, Shouguang, Jinxiang, Huangdao
def test_known_seats_map_to_their_county(counties, adcode):
    seat = counties.set_index("adcode").loc[adcode]
    assert geo.county_of(seat["lon"], seat["lat"]) == adcode


def test_every_seat_maps_to_its_county(counties):
    np.testing.assert_array_equal(geo.county_of(counties["lon"], counties["lat"]), counties["adcode"])


def _in_any_boundary(boundaries, lon, lat):
    gcj = np.column_stack(geo.wgs84_to_gcj02(lon, lat))
    return any(MplPath(ring).contains_points(gcj).any() for rings in boundaries.values() for ring in rings)


def test_far_offshore_and_far_away_points_get_zero(boundaries):
    lon = np.array([122.5, 116.4])  # Yellow Sea ~220 km off Qingdao/Rizhao; Beijing
    lat = np.array([35.0, 39.9])
    assert not _in_any_boundary(boundaries, lon, lat)
    np.testing.assert_array_equal(geo.county_of(lon, lat), [0, 0])


def test_near_shore_point_snaps_to_nearest_seat(boundaries):
    lon, lat = 120.40, 36.03  # sea off Qingdao, ~4.6 km from the Shinan (370202) seat
    assert not _in_any_boundary(boundaries, np.array([lon]), np.array([lat]))
    assert geo.county_of(lon, lat) == 370202


def test_county_of_shapes():
    assert geo.county_of(117.03, 36.66).shape == ()
    assert geo.county_of(np.array([], dtype=float), np.array([], dtype=float)).shape == (0,)
    lon = np.full((2, 3), 117.03)
    assert geo.county_of(lon, 36.66).shape == (2, 3)
    assert geo.county_of(np.nan, 36.66) == 0


def test_county_of_handles_1e5_points_quickly():
    rng = np.random.default_rng(20250601)
    lon = rng.uniform(geo.MODEL_DOMAIN.lon_min, geo.MODEL_DOMAIN.lon_max, 100_000)
    lat = rng.uniform(geo.MODEL_DOMAIN.lat_min, geo.MODEL_DOMAIN.lat_max, 100_000)
    geo.county_of(lon[:10], lat[:10])  # load and index the boundaries outside the timing
    start = time.perf_counter()
    adcode = geo.county_of(lon, lat)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"county_of took {elapsed:.2f} s for 1e5 points"
    # Shandong covers roughly half of its box; every non-zero answer is a real county
    assert 0.35 < (adcode > 0).mean() < 0.65
    assert set(np.unique(adcode[adcode > 0])) <= set(geo.load_counties()["adcode"])


# --- haversine ---------------------------------------------------------------------------------

def test_haversine_hand_values():
    one_degree = 6371.0 * np.pi / 180.0  # 111.19493 km
    assert geo.haversine_km(117.0, 36.0, 117.0, 37.0) == pytest.approx(one_degree, rel=1e-12)
    assert geo.haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(one_degree, rel=1e-12)
    assert geo.haversine_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(6371.0 * np.pi / 2.0, rel=1e-12)
    # one degree of longitude along the 60 N parallel is 55.5975 km; the great circle between the
    # two points is a touch shorter: 2 R asin(cos 60 sin 0.5 deg) = 12742 asin(0.00436327) = 55.5969 km
    assert geo.haversine_km(10.0, 60.0, 11.0, 60.0) == pytest.approx(55.5969, abs=1e-4)
    d = geo.haversine_km(np.array([117.0, 120.4]), 36.6, 117.0, np.array([36.6, 36.1]))
    assert d[0] == 0.0 and d[1] == pytest.approx(geo.haversine_km(117.0, 36.6, 120.4, 36.1))


# --- the shipped demo portfolio ----------------------------------------------------------------

def test_demo_portfolio_columns_and_ids(demo):
    assert list(demo.columns) == DEMO_COLUMNS
    assert demo["risk_id"].is_unique
    assert 3000 <= len(demo) <= 5000
    assert set(demo["product"]) == {"cat_property", "crop_full_cost", "special_crop", "forest", "typhoon_index",
                                    "typhoon_rain_index", "garlic_price_index", "sea_cucumber_heat_index",
                                    "carbon_sink_value", "carbon_sink_index", "carbon_delivery"}
    assert set(demo["quantity_unit"]) == {"building", "mu", "county"}


def test_demo_portfolio_locations(demo, counties):
    assert demo["county"].isin(counties["adcode"]).all()
    assert geo.in_domain(demo["lon"], demo["lat"]).all()
    np.testing.assert_array_equal(geo.county_of(demo["lon"], demo["lat"]), demo["county"])
    assert set(demo.loc[demo["product"] == "cat_property", "county"]) == set(counties["adcode"])


def test_demo_portfolio_amounts(demo):
    assert (demo["value"] > 0).all() and (demo["sum_insured"] > 0).all() and (demo["quantity"] > 0).all()
    assert (demo["sum_insured"] <= demo["value"]).all()
    assert (demo["limit"] <= demo["sum_insured"]).all()
    assert (demo["deductible"] >= 0).all() and (demo["franchise"] >= 0).all()
    assert ((demo["coinsurance"] > 0) & (demo["coinsurance"] <= 1)).all()
    terms = demo.groupby("policy_id")[["policy_deductible", "policy_limit"]].nunique()
    assert (terms == 1).all(axis=None)
    crops = demo[demo["quantity_unit"] == "mu"]
    per_mu = (crops["sum_insured"] / crops["quantity"]).groupby(crops["asset_class"]).agg(["min", "max"])
    assert per_mu.loc["wheat"].tolist() == [1000.0, 1000.0]
    assert per_mu.loc["maize"].tolist() == [950.0, 950.0]
    assert per_mu.loc["rice"].tolist() == [1150.0, 1150.0]
    assert per_mu.loc["garlic"].tolist() == [1800.0, 1800.0]
    garlic = crops[(crops["asset_class"] == "garlic") & (crops["product"] == "special_crop")]
    assert set(garlic["county"]) == {370828} and garlic["quantity"].sum() == 600_000


@pytest.mark.slow
def test_demo_portfolio_is_reproducible():
    spec = importlib.util.spec_from_file_location("build_demo_portfolio", REPO / "scripts" / "build_demo_portfolio.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build().to_csv(index=False, lineterminator="\n")
    assert rebuilt == DEMO_CSV.read_text(encoding="utf-8")
