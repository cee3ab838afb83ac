"""Portfolio loading: validation errors name file, row and column, and a bad file writes no output."""
import numpy as np
import pandas as pd
import pytest

from engine.config import ConfigError
from engine.geo import DATA_DIR
from engine.portfolio import PortfolioError, load_portfolio, validate
from runner import run

DEMO = DATA_DIR / "portfolios" / "shandong_demo.csv"
PRODUCTS = ["cat_property", "crop_full_cost", "special_crop", "forest", "typhoon_index", "typhoon_rain_index",
            "garlic_price_index", "sea_cucumber_heat_index", "carbon_sink_value", "carbon_sink_index", "carbon_delivery"]
CLASSES = ["residential", "commercial", "industrial", "wheat", "maize", "rice", "garlic",
           "greenhouse_vegetable", "apple", "forest", "sea_cucumber", "blue_carbon"]


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(DEMO, dtype={"risk_id": str, "policy_id": str})


def test_demo_loads(demo):
    p = load_portfolio(DEMO, PRODUCTS, CLASSES)
    assert p.n_risks == len(demo) > 3000
    assert len(p.sites) <= p.n_risks and p.site_index.max() == len(p.sites) - 1
    assert np.all(p.table["limit"] <= p.table["sum_insured"])
    assert len(p.checksum) == 64 and p.uid.dtype == np.uint64 and np.unique(p.uid).size == p.n_risks


def test_caller_frame_is_not_changed(demo):
    before = demo.copy()
    validate(demo, PRODUCTS, CLASSES)
    pd.testing.assert_frame_equal(demo, before)


def test_defaults_and_county_lookup():
    frame = pd.DataFrame({"risk_id": ["a", "b"], "lon": [117.03, 118.74], "lat": [36.66, 36.86],
                          "product": ["cat_property"] * 2, "asset_class": ["residential"] * 2,
                          "value": [100.0, 200.0], "sum_insured": [80.0, 200.0], "limit": [90.0, None]})
    p = validate(frame, PRODUCTS, CLASSES)
    t = p.table
    assert list(t["limit"]) == [80.0, 200.0]       # capped at, and defaulting to, the sum insured
    assert list(t["deductible"]) == [0.0, 0.0] and list(t["coinsurance"]) == [1.0, 1.0]
    assert list(t["county"]) == [370102, 370783]   # Lixia (Jinan), Shouguang
    assert list(p.policy_ids) == ["a", "b"] and np.all(np.isinf(p.policy_limit))


BAD = {
    "missing column": (lambda d: d.drop(columns=["value"]), "missing required column(s) ['value']"),
    "NaN coordinate": (lambda d: d.assign(lat=d["lat"].where(d.index != 5)), "row 7, column 'lat'"),
    "negative sum insured": (lambda d: d.assign(sum_insured=d["sum_insured"].where(d.index != 9, -1.0)),
                             "row 11, column 'sum_insured'"),
    "duplicate id": (lambda d: d.assign(risk_id=d["risk_id"].where(d.index != 3, d["risk_id"][2])),
                     "row 5, column 'risk_id': duplicate risk_id"),
    "unknown class": (lambda d: d.assign(asset_class=d["asset_class"].where(d.index != 4, "castle")),
                      "row 6, column 'asset_class': unknown asset_class 'castle'"),
    "text in a number": (lambda d: d.assign(value=d["value"].astype(object).where(d.index != 2, "lots")),
                         "row 4, column 'value': 'lots' is not a number"),
    "outside domain": (lambda d: d.assign(lon=d["lon"].where(d.index != 8, 100.0)), "outside the model domain"),
    "bad coinsurance": (lambda d: d.assign(coinsurance=d["coinsurance"].where(d.index != 1, 1.5)),
                        "row 3, column 'coinsurance'"),
    "unknown product": (lambda d: d.assign(product=d["product"].where(d.index != 1, "moon")),
                        "unknown product 'moon'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_portfolio_gives_clear_error_and_no_output(tmp_path, demo, case):
    mutate, message = BAD[case]
    path = tmp_path / "bad.csv"
    mutate(demo.copy()).to_csv(path, index=False)
    with pytest.raises(PortfolioError) as err:
        run(tmp_path, f"portfolio.path={path}", "run.n_years=5", name="out")
    assert str(path) in str(err.value) and message in str(err.value)
    assert list(tmp_path.iterdir()) == [path]   # nothing written, not even a partial folder


def test_product_must_cover_the_asset_class(tmp_path, demo):
    path = tmp_path / "stray.csv"
    demo.assign(asset_class=demo["asset_class"].where(demo.index != 0, "wheat")).to_csv(path, index=False)
    with pytest.raises(PortfolioError, match="product 'cat_property' does not cover"):
        run(tmp_path, f"portfolio.path={path}", "run.n_years=5")


def test_parquet_and_missing_file(tmp_path, demo):
    path = tmp_path / "demo.parquet"
    demo.to_parquet(path)
    assert load_portfolio(path, PRODUCTS, CLASSES).n_risks == len(demo)
    with pytest.raises(PortfolioError, match="not found"):
        load_portfolio(tmp_path / "nope.csv", PRODUCTS, CLASSES)
    with pytest.raises(PortfolioError, match="unknown portfolio format"):
        (tmp_path / "x.xlsx").write_text("")
        load_portfolio(tmp_path / "x.xlsx", PRODUCTS, CLASSES)


def test_inconsistent_policy_terms(demo):
    d = demo.copy()
    first = d["policy_id"].iloc[0]
    rows = d.index[d["policy_id"] == first]
    if len(rows) < 2:
        d.loc[1, "policy_id"] = first
        rows = d.index[d["policy_id"] == first]
    d.loc[rows[1], "policy_deductible"] = 12345.0
    with pytest.raises(PortfolioError, match="policy_deductible"):
        validate(d, PRODUCTS, CLASSES)


def test_unknown_product_kind_lists_valid_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown product kind 'gold'; valid product kinds: \['carbon_delivery'"):
        run(tmp_path, "+product.extra={kind: gold, classes: [wheat]}", "run.n_years=5")
    assert list(tmp_path.iterdir()) == []


def test_oed_location_file_as_portfolio(tmp_path):
    from engine.oed import to_items
    oed = pd.DataFrame({"LocNumber": ["L1", "L2"], "AccNumber": ["A1", "A1"], "Latitude": [36.66, 36.86],
                        "Longitude": [117.03, 118.74], "OccupancyCode": [1050, 1100],
                        "BuildingTIV": [1e6, 2e6], "ContentsTIV": [2e5, 0.0], "LocDed6All": [1e4, 0.0]})
    path = tmp_path / "loc.csv"
    oed.to_csv(path, index=False)
    with pytest.raises(PortfolioError, match="portfolio.product"):
        load_portfolio(path, PRODUCTS, CLASSES)
    p = load_portfolio(path, PRODUCTS, CLASSES, default_product="cat_property")
    t = p.table
    assert list(t["risk_id"]) == ["L1", "L2"] and list(t["asset_class"]) == ["residential", "commercial"]
    assert list(t["value"]) == [1.2e6, 2e6] and list(t["deductible"]) == [1e4, 0.0]
    assert list(t["limit"]) == [1.2e6, 2e6] and list(t["county"]) == [370102, 370783]
    # as Oasis items with a keys table: one item per (location, coverage) with TIV and key
    keys = pd.DataFrame({"LocID": ["L1", "L1", "L2"], "CoverageTypeID": [1, 3, 1], "AreaPerilID": [7, 7, 9],
                         "VulnerabilityID": [1, 2, 1]})
    items, coverages, fm = to_items(oed.assign(LocDed1Building=[5e3, 0.0]), keys)
    assert list(items["areaperil_id"]) == [7, 7, 9] and list(items["group_id"]) == [1, 1, 2]
    assert list(coverages["tiv"]) == [1e6, 2e5, 2e6]
    assert list(fm["fm_profile"]["deductible1"]) == [5e3, 0.0, 0.0]


def test_oed_unknown_occupancy(tmp_path):
    oed = pd.DataFrame({"LocNumber": ["L1"], "Latitude": [36.66], "Longitude": [117.03], "OccupancyCode": [2700],
                        "BuildingTIV": [1e6]})
    path = tmp_path / "loc.csv"
    oed.to_csv(path, index=False)
    with pytest.raises(PortfolioError, match="OccupancyCode"):
        load_portfolio(path, PRODUCTS, CLASSES, default_product="cat_property")


def test_site_attributes_from_site_columns():
    frame = pd.DataFrame({"risk_id": ["a", "b", "c"], "lon": [117.03, 117.03, 118.74], "lat": [36.66, 36.66, 36.86],
                          "product": ["cat_property"] * 3, "asset_class": ["residential"] * 3,
                          "value": [100.0] * 3, "sum_insured": [80.0] * 3,
                          "site_elevation_m": [25.0, 25.0, None], "site_floodplain": [1, 1, 0]})
    sites = validate(frame, PRODUCTS, CLASSES).sites
    order = np.argsort(sites.lon)
    assert np.allclose(sites.attribute("floodplain")[order], [1.0, 0.0])
    assert sites.attribute("elevation_m")[order][0] == 25.0 and np.isnan(sites.attribute("elevation_m")[order][1])
    assert sites.attribute("slope") is None
    with pytest.raises(PortfolioError, match="row 2, column 'site_floodplain': risks at the same coordinates"):
        validate(frame.assign(site_floodplain=[1, 0, 0]), PRODUCTS, CLASSES)
    with pytest.raises(PortfolioError, match="row 2, column 'site_elevation_m': 'high' is not a number"):
        validate(frame.assign(site_elevation_m=["high", 25.0, 3.0]), PRODUCTS, CLASSES)
