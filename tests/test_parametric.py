"""Parametric index covers: graded payouts from the footprint, and basis risk against the indemnity."""
import json

import numpy as np
import pandas as pd
import pytest

from engine.eventset import read_netcdf
from engine.products import IndexSchedule, build_product
from runner import run


def test_schedule_pays_the_grade_reached():
    s = IndexSchedule("wind_gust", np.array([24.4, 34.8, 46.4]), np.array([0.1, 0.3, 1.0]))
    np.testing.assert_array_equal(s.share([0.0, 24.39, 24.4, 30.0, 34.8, 50.0]), [0, 0, 0.1, 0.1, 0.3, 1.0])


@pytest.mark.parametrize("index, message", [
    ({"measure": "wind_gust", "grades": [[30, 0.5], [20, 1.0]]}, "strictly increasing"),
    ({"measure": "wind_gust", "grades": [[20, 0.5], [30, 0.4]]}, "non-decreasing"),
    ({"measure": "wind_gust", "grades": [[20, 1.5]]}, r"in \(0, 1\]"),
    ({"measure": "wind_gust", "grades": [[20]]}, r"\[level, share\] pairs"),
    ({"grades": [[20, 1.0]]}, "index needs 'measure' and 'grades'"),
])
def test_bad_schedules_name_the_problem(index, message):
    with pytest.raises(ValueError, match=message):
        build_product("x", {"kind": "parametric_index", "classes": ["residential"], "index": index})


@pytest.fixture(scope="module")
def lekima_index(tmp_path_factory):
    """Lekima 2019 on a small portfolio: index risks with a cat_property twin each (same site, value
    and terms), so the twin's loss is the indemnity the basis-risk table must show."""
    tmp = tmp_path_factory.mktemp("index")
    sites = [(120.20, 35.96), (119.16, 36.71), (118.74, 36.86), (117.00, 36.65), (121.39, 37.52)]  # Huangdao, Weifang, Shouguang, Jinan, Yantai
    rows = []
    for i, (lon, lat) in enumerate(sites):
        for product in ("typhoon_index", "cat_property"):
            rows.append({"risk_id": f"{product}-{i}", "lon": lon, "lat": lat, "product": product,
                         "asset_class": "residential", "value": 1e8, "sum_insured": 1e8, "deductible": 1e6,
                         "limit": 5e7})
    path = tmp / "portfolio.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return run(tmp, "scenario=replay_lekima_2019", "peril=[typhoon_lekima2019]", f"portfolio.path={path}",
               "product=[typhoon_index,cat_property]",
               "output.perspectives=[il,gul]", "output.keys=[portfolio,product,policy]", name="run")


def test_index_payout_is_the_grade_of_the_gust_times_the_limit(lekima_index):
    ev = read_netcdf(lekima_index.folder / "eventset.nc")
    elt = pd.read_parquet(lekima_index.folder / "elt.parquet")
    events = pd.read_parquet(lekima_index.folder / "basis_risk_events.parquet")
    schedule = build_product("typhoon_index", {"kind": "parametric_index", "classes": ["residential"],
                                               "index": {"measure": "wind_gust",
                                                         "grades": [[24.4, 0.1], [34.8, 0.3], [46.4, 0.6], [58.9, 1.0]]}}).index
    from engine.config import to_settings
    from engine.plan import build_plan
    from runner import compose_config
    plan = build_plan(to_settings(compose_config("scenario=replay_lekima_2019", "peril=[typhoon_lekima2019]", f"portfolio.path={lekima_index.folder.parent / 'portfolio.csv'}",
                                                 "product=[typhoon_index,cat_property]", "output.dir=unused"), "."))
    t = plan.portfolio.table
    gust = dict(zip(ev.site.tolist(), ev.intensity[:, ev.measures.index("wind_gust")].astype(float).tolist()))
    paid = 0
    for r in np.flatnonzero((t["product"] == "typhoon_index").to_numpy()):
        g = gust.get(int(plan.portfolio.site_index[r]), 0.0)
        expected = float(schedule.share([g])[0]) * 5e7
        row = events[events["risk_id"] == t["risk_id"].iloc[r]]
        got = float(row["payout"].sum())
        assert got == pytest.approx(expected, rel=1e-12), (t["risk_id"].iloc[r], g)
        paid += expected
    assert paid > 0
    summary = json.loads((lekima_index.folder / "summary.json").read_text())
    assert summary["product/typhoon_index"]["aal"] == pytest.approx(paid, rel=1e-9)


def test_basis_indemnity_equals_the_indemnity_twin(lekima_index):
    events = pd.read_parquet(lekima_index.folder / "basis_risk_events.parquet")
    summary = json.loads((lekima_index.folder / "summary.json").read_text())
    # each twin cat_property policy has the same site, value and terms: its loss is the indemnity
    for i in range(5):
        twin = summary.get(f"policy/cat_property-{i}", {}).get("aal", 0.0)
        got = events.loc[events["risk_id"] == f"typhoon_index-{i}", "indemnity"].sum()
        assert got == pytest.approx(twin, rel=1e-9, abs=1e-6)
    # ground-up view of the index product is the physical damage, not the payout
    gul = json.loads((lekima_index.folder / "gul_summary.json").read_text())
    assert gul["product/typhoon_index"]["aal"] == pytest.approx(gul["product/cat_property"]["aal"], rel=1e-9)


def test_basis_risk_statistics_from_the_event_table(lekima_index):
    events = pd.read_parquet(lekima_index.folder / "basis_risk_events.parquet")
    stats = pd.read_csv(lekima_index.folder / "basis_risk.csv")
    row = stats[(stats["product"] == "typhoon_index") & (stats["county"] == "all")].iloc[0]
    assert row["risks"] == 5
    assert row["aal_payout"] == pytest.approx(events["payout"].sum())          # one simulated year
    assert row["aal_indemnity"] == pytest.approx(events["indemnity"].sum())
    loss = events["indemnity"] >= 0.01 * 5e7
    pay = events["payout"] > 0
    assert row["loss_events"] == loss.sum() and row["payout_events"] == pay.sum()
    if loss.any():
        assert row["p_pay_given_loss"] == pytest.approx((loss & pay).sum() / loss.sum())
    assert row["shortfall_aal"] == pytest.approx((events["indemnity"] - events["payout"]).clip(lower=0).sum())
    summary = json.loads((lekima_index.folder / "summary.json").read_text())
    assert summary["_run"]["basis_risk"][0]["product"] == "typhoon_index"


def test_stochastic_index_run_is_chunk_invariant_and_sampled(lekima_index, tmp_path):
    path = lekima_index.folder.parent / "portfolio.csv"
    common = (f"portfolio.path={path}", "product=[typhoon_index,cat_property]", "run.n_years=40", "run.samples=3",
              "output.event_set=none")
    a = run(tmp_path, *common, "run.chunk_years=40", name="a")
    b = run(tmp_path, *common, "run.chunk_years=7", name="b")
    for name in ("basis_risk_events.parquet", "ylt.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(a.folder / name), pd.read_parquet(b.folder / name))
    ylt = pd.read_parquet(a.folder / "ylt.parquet")
    assert set(ylt["sample"]) >= {-1, 1, 2, 3}


def test_index_counts_only_its_perils(tmp_path):
    # a typhoon rain index must not pay on flood events, although flood events carry rain_total too
    out = run(tmp_path, "peril=[typhoon,flood]", "run.n_years=40", "output.event_set=none", "output.report=false")
    events = pd.read_parquet(out.folder / "basis_risk_events.parquet")
    elt = pd.read_parquet(out.folder / "elt.parquet")
    paid = elt[(elt["key"].astype(str) == "product/typhoon_rain_index") & (elt["mean_loss"] > 0)]
    assert len(paid) > 0 and set(paid["peril"]) == {"typhoon"}
    assert (events.loc[events["payout"] > 0, "event_id"].isin(paid["event_id"])).any()


def test_full_cost_product_config_errors_and_subsidy(tmp_path):
    base = {"kind": "full_cost", "classes": ["wheat"], "trigger": 0.1, "total_loss": 0.8,
            "subsidy": {"central": 0.35, "provincial": 0.25, "county": 0.2, "farmer": 0.2}}
    rules = build_product("fc", {**base, "stage_caps": {"wheat": [[1, 100, 0.5], [101, 130, 0.6]]}}).crop_rules
    caps = rules.cap_by_day("wheat")
    assert caps[50] == 0.5 and caps[120] == 0.6 and caps[200] == 1.0
    for bad, message in (({"trigger": 0.9}, "trigger < total_loss"),
                         ({"subsidy": {"central": 0.5, "farmer": 0.2}}, "adding up to 1"),
                         ({"stage_caps": {"maize": [[1, 10, 0.5]]}}, "not one of the product's classes"),
                         ({"stage_caps": {"wheat": [[10, 1, 0.5]]}}, r"\[start_doy, end_doy, cap\]")):
        with pytest.raises(ValueError, match=message):
            build_product("fc", {**base, **bad})
    out = run(tmp_path, "run.n_years=60", "output.event_set=none", "output.report=false")
    prem = pd.read_csv(out.folder / "premiums.csv").set_index("key").loc["product/crop_full_cost"]
    parts = prem[["subsidy_central", "subsidy_provincial", "subsidy_county", "subsidy_farmer"]]
    assert parts.sum() == pytest.approx(prem["gross"])
    assert parts["subsidy_central"] == pytest.approx(0.35 * prem["gross"])
    assert prem["gross_per_mu"] == pytest.approx(prem["gross"] / prem["insured_mu"])
