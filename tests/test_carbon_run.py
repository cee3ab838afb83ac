"""Carbon covers in a run: hand-computed terms, the booked losses against an independent recomputation
from the detail table, prices from the price model, chunk invariance, county results and errors."""
import json

import numpy as np
import pandas as pd
import pytest

from engine.carbon.book import carbon_book
from engine.carbon.growth import load_growth, plot_stock
from engine.carbon.losses import cover_losses
from engine.carbon.price import load_price, sample_prices
from engine.config import ConfigError
from engine.portfolio import PortfolioError
from engine.products import build_product
from runner import compose_config, run

PRODUCTS = "product=[carbon_sink_value,carbon_sink_index,carbon_delivery]"


def _products():
    return {name: build_product(name, {"kind": name, "classes": ["forest", "blue_carbon"]})
            for name in ("carbon_sink_value", "carbon_sink_index", "carbon_delivery")}


def _table(**extra):
    base = {"risk_id": ["V", "I", "D"], "product": ["carbon_sink_value", "carbon_sink_index", "carbon_delivery"],
            "carbon_kind": ["forest", "blue", "forest"], "carbon_group": ["quercus", "seaweed", "poplar"],
            "stand_age_years": [25.0, np.nan, 8.0], "area_mu": [1000.0, 2000.0, 500.0],
            "verified_tco2e": [100.0, 10.0, 10.0], "contracted_tco2e": [np.nan, np.nan, 9.0],
            "county": [370323, 370613, 371328], "deductible": [100.0, 0.0, 0.0], "limit": [300.0, 1000.0, 1e6],
            "coinsurance": [1.0, 1.0, 1.0], "policy_deductible": [0.0, 0.0, 0.0], "sum_insured": [300.0, 1e3, 1e6]}
    base.update(extra)
    return pd.DataFrame(base)


def test_cover_terms_on_hand_computed_cases():
    book = carbon_book(_table(), _products(), load_growth())
    # expected removal: verified sink for blue (10), the curve's increment for the forest plots
    book = book.__class__(**{**book.__dict__, "sequestration_tco2e": np.array([5.0, 10.0, 10.0])})
    out = cover_losses(book, np.array([0, 0, 1, 2]), np.array([0.1, 0.5, 0.35, 0.3]),
                       np.array([0.1, 0.5, 0.35, 0.3]), np.array([50.0, 50.0, 80.0, 40.0]))
    # value: 100 t x 0.1 x 50 = 500 - 100 deductible = 400, capped at the 300 limit; 100 x 0.5 x 50 = 2500 -> 300
    np.testing.assert_allclose(out["gul"][:2], [500.0, 2500.0])
    np.testing.assert_allclose(out["il"][:2], [300.0, 300.0])
    # index: 35% of the removal lost -> grade [0.30, 0.4] of the default table x 1000
    assert out["tco2e_lost"][2] == pytest.approx(3.5)
    assert out["il"][2] == pytest.approx(400.0)
    # delivery: delivered 10 x 0.7 = 7 against 9 contracted: shortfall 2, less 5% x 9 retained = 1.55 t x 40
    assert out["gul"][3] == pytest.approx(80.0)
    assert out["il"][3] == pytest.approx(1.55 * 40.0)


def test_book_defaults_to_the_growth_curve_and_names_bad_cells():
    params = load_growth()
    book = carbon_book(_table(verified_tco2e=[np.nan, 10.0, 10.0]), _products(), params)
    assert book.insured_tco2e[0] == pytest.approx(plot_stock(params, ["quercus"], [25.0], [1000.0])[0])
    with pytest.raises(PortfolioError, match=r"row 2, column 'carbon_group'.*'pine'"):
        carbon_book(_table(carbon_group=["pine", "seaweed", "poplar"]), _products(), params)
    with pytest.raises(PortfolioError, match=r"row 4, column 'contracted_tco2e'.*empty"):
        carbon_book(_table(contracted_tco2e=[np.nan] * 3), _products(), params)
    with pytest.raises(PortfolioError, match=r"row 2, column 'stand_age_years'"):
        carbon_book(_table(stand_age_years=[-1.0, np.nan, 8.0]), _products(), params)
    with pytest.raises(PortfolioError, match=r"column 'carbon_kind'.*'mangrove'"):
        carbon_book(_table(carbon_kind=["mangrove", "blue", "forest"]), _products(), params)
    with pytest.raises(PortfolioError, match="need the column 'area_mu'"):
        carbon_book(_table().drop(columns="area_mu"), _products(), params)


def test_product_terms_are_checked():
    with pytest.raises(ValueError, match="'grades' is a term of carbon_sink_index"):
        build_product("x", {"kind": "carbon_sink_value", "classes": ["forest"], "grades": [[0.2, 1.0]]})
    with pytest.raises(ValueError, match="retention_share must be in"):
        build_product("x", {"kind": "carbon_delivery", "classes": ["forest"], "retention_share": 1.5})
    p = build_product("x", {"kind": "carbon_sink_index", "classes": ["forest"], "grades": [[0.2, 0.5], [0.6, 1.0]]})
    np.testing.assert_allclose(p.carbon.index.share([0.1, 0.2, 0.7]), [0.0, 0.5, 1.0])


def _portfolio(tmp_path):
    rows = _table(verified_tco2e=[np.nan, np.nan, np.nan], deductible=[2000.0, 0.0, 0.0],
                  limit=[2e5, 5e4, 5e4], sum_insured=[2e5, 5e4, 5e4])
    rows["lon"] = [118.16, 121.44, 117.94]
    rows["lat"] = [36.19, 37.47, 35.71]
    rows["asset_class"] = ["forest", "blue_carbon", "forest"]
    rows["value"] = [3e5, 6e4, 6e4]
    path = tmp_path / "carbon.csv"
    rows.drop(columns=["verified_tco2e"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def carbon_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("carbon")
    path = _portfolio(tmp)
    common = (f"portfolio.path={path}", PRODUCTS, "peril=[typhoon,drought,carbon_sink]", "run.n_years=120",
              "output.event_set=none", "output.report=false", "output.perspectives=[il,gul]")
    return run(tmp, *common, "run.chunk_years=120", name="a"), run(tmp, *common, "run.chunk_years=17", name="b")


def test_booked_losses_match_the_detail_table_and_price_model(carbon_run):
    out, _ = carbon_run
    detail = pd.read_parquet(out.folder / "carbon_years.parquet")
    prices = pd.read_parquet(out.folder / "carbon_prices.parquet")
    years = prices["year"].to_numpy()
    np.testing.assert_allclose(prices["price"], sample_prices(load_price(), _seed(out), years), rtol=1e-15)
    assert len(detail) > 0 and np.all((detail["tco2e_lost"] > 0) | (detail["il"] > 0))
    merged = detail.merge(prices, on="year", suffixes=("", "_year"))
    np.testing.assert_allclose(merged["price"], merged["price_year"])
    # value cover by hand: min(max(tCO2e lost x price - deductible, 0), limit)
    v = detail[detail["product"] == "carbon_sink_value"]
    np.testing.assert_allclose(v["gul"], v["tco2e_lost"] * v["price"])
    np.testing.assert_allclose(v["il"], np.clip(v["gul"] - 2000.0, 0.0, 2e5))
    # causes combine as independent shares: blue plots lose to physical damage and marine heat only
    b = detail[detail["carbon_kind"] == "blue"]
    assert len(b) > 0
    np.testing.assert_allclose(1 - b["stock_share"], (1 - b["physical"]) * (1 - b["marine_heat"]), rtol=1e-12)
    f = detail[detail["carbon_kind"] == "forest"]
    assert np.all(f["stock_share"] >= np.maximum(f["physical"], f["fire"]) - 1e-15)
    assert np.all(f["sequestration_share"] >= f["stock_share"] - 1e-15)
    summary = json.loads((out.folder / "summary.json").read_text())
    n_years = summary["_run"]["n_years"]
    for product, rows in detail.groupby("product"):
        assert summary[f"product/{product}"]["aal"] == pytest.approx(rows["il"].sum() / n_years, rel=1e-9)
    gul = json.loads((out.folder / "gul_summary.json").read_text())
    assert gul["product/carbon_sink_value"]["aal"] == pytest.approx(v["gul"].sum() / n_years, rel=1e-9)
    elt = pd.read_parquet(out.folder / "elt.parquet")
    carbon = elt[elt["key"].astype(str).str.startswith("product/carbon")]
    assert set(carbon["peril"]) == {"carbon_sink"}


def _seed(out):
    import yaml
    return yaml.safe_load((out.folder / "config.yaml").read_text())["run"]["seed"]


def test_carbon_results_do_not_depend_on_chunking(carbon_run):
    a, b = carbon_run
    for name in ("carbon_years.parquet", "carbon_prices.parquet", "ylt.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(a.folder / name), pd.read_parquet(b.folder / name))
    pd.testing.assert_frame_equal(pd.read_csv(a.folder / "carbon_counties.csv"),
                                  pd.read_csv(b.folder / "carbon_counties.csv"))


def test_county_table_and_price_sensitivity(carbon_run):
    out, _ = carbon_run
    counties = pd.read_csv(out.folder / "carbon_counties.csv")
    summary = json.loads((out.folder / "summary.json").read_text())
    assert set(counties["county"]) == {370323, 370613, 371328}
    for r in counties.itertuples():
        key = summary[f"product/{r.product}/county/{r.county}"]
        assert r.gross_premium == pytest.approx(key["premium"]["gross"])
        assert r.premium_per_mu == pytest.approx(key["premium"]["gross"] / r.insured_mu)
    sens = pd.read_csv(out.folder / "carbon_price_sensitivity.csv")
    base = sens[(sens["level_factor"] == 1.0) & (sens["volatility_factor"] == 1.0)].set_index("product")
    for product in base.index:
        assert base.loc[product, "expected_loss"] == pytest.approx(summary[f"product/{product}"]["aal"], rel=1e-9)
    value = sens[(sens["product"] == "carbon_sink_value") & (sens["volatility_factor"] == 1.0)]
    assert np.all(np.diff(value.sort_values("level_factor")["expected_loss"]) >= 0)   # dearer carbon, larger claims
    index = sens[sens["product"] == "carbon_sink_index"]
    assert index["expected_loss"].nunique() == 1   # a fixed sum insured: the index pays no matter the price


def test_carbon_covers_without_the_carbon_peril_lose_nothing_and_say_so(tmp_path):
    path = _portfolio(tmp_path)
    out = run(tmp_path, f"portfolio.path={path}", PRODUCTS, "peril=[drought]", "run.n_years=20",
              "output.event_set=none", "output.report=false", name="none")
    summary = json.loads((out.folder / "summary.json").read_text())
    assert summary["portfolio"]["aal"] == 0.0
    assert "carbon_sink peril" in summary["_run"]["warnings"][0]


def test_bad_carbon_peril_config_fails_before_work(tmp_path):
    from engine.config import to_settings
    path = _portfolio(tmp_path)
    with pytest.raises(ConfigError, match="price_rho"):
        to_settings(compose_config(f"portfolio.path={path}", PRODUCTS, "peril=[carbon_sink]",
                                   "peril.carbon_sink.price_rho=0.5", "output.dir=unused"), ".")
