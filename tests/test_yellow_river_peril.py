"""The yellow_river peril: config, determinism across chunks, replays, site attributes, year summary."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from runner import compose_config

from engine.config import ConfigError, data_path, to_settings
from engine.portfolio import Sites
from perils import PERILS, build_peril
from perils.yellow_river.peril import SUMMARY_COLUMNS

NO_CLIMATE = SimpleNamespace(frequency={}, intensity={})
SEED = 20231


def peril_params(option="yellow_river", *overrides):
    cfg = compose_config(f"peril=[{option}]", *overrides)
    return OmegaConf.to_container(cfg.peril[option], resolve=True)


@pytest.fixture(scope="module")
def demo_sites():
    """The demo portfolio's sites (coordinates only: attributes derived)."""
    table = pd.read_csv(data_path("portfolios/shandong_demo.csv"))
    coords = np.unique(np.round(table[["lon", "lat"]].to_numpy(), 6), axis=0)
    return Sites(coords[:, 0].copy(), coords[:, 1].copy(), np.zeros(len(coords), np.int64))


@pytest.fixture(scope="module", params=["unregulated", "regulated"])
def peril(request):
    return build_peril("yellow_river", peril_params("yellow_river", f"peril.yellow_river.regime={request.param}"),
                       NO_CLIMATE)


def test_registered_with_the_engine_interface(peril):
    assert "yellow_river" in PERILS.names()
    assert peril.measures == ("flood_depth", "flood_duration") and peril.units == ("m", "days")
    assert peril.hazard == "flood" and peril.placeholder is False


def test_events_are_deterministic_and_independent_of_chunking(peril, demo_sites):
    years = np.arange(1, 301)
    whole = peril.events(years, demo_sites, 2, SEED)
    parts = [peril.events(chunk, demo_sites, 2, SEED) for chunk in np.array_split(years, 7)]
    again = peril.events(years, demo_sites, 2, SEED)
    for name in ("event_id", "year", "doy", "offsets", "site", "intensity"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(again, name))
    np.testing.assert_array_equal(whole.event_id, np.concatenate([p.event_id for p in parts]))
    np.testing.assert_array_equal(whole.site, np.concatenate([p.site for p in parts]))
    np.testing.assert_array_equal(whole.intensity, np.concatenate([p.intensity for p in parts]))
    assert whole.n_events > 0 and len(np.unique(whole.year)) == whole.n_events   # at most one event a year
    assert np.all(whole.intensity[:, 0] > 0) and np.all(whole.intensity[:, 1] > 0)
    other = peril.events(years, demo_sites, 2, SEED + 1)
    assert not np.array_equal(other.year, whole.year) or not np.array_equal(other.intensity, whole.intensity)


def test_year_summary_columns_and_consistency(peril):
    years = np.arange(1, 401)
    table = peril.year_summary(years, SEED)
    assert tuple(table.columns) == SUMMARY_COLUMNS and len(table) == len(years)
    assert (table["regime"] == peril.settings.regime).all()
    assert table["floodplain_flooded"].dtype == bool and pd.api.types.is_string_dtype(table["breach_reach"])
    assert ((table["breach_reach"] != "") == table["dike_breach"]).all()
    assert not (table["dongping_new_lake_used"] & ~table["dongping_old_lake_used"]).any()   # old lake first
    pd.testing.assert_frame_equal(table.iloc[100:200].reset_index(drop=True), peril.year_summary(years[100:200], SEED))
    used = table["dongping_old_lake_used"] & ~table["dongping_new_lake_used"]
    assert (table.loc[used, "q_aishan"] <= 10_000 * (1 + 1e-9)).all()    # the lake had room left
    if peril.settings.regime == "regulated":   # Xiaolangdi caps ordinary floods at 4,500 m3/s [S]
        assert table["q_huayuankou"].median() <= 4500.0 + 1e-6


def test_climate_intensity_scales_the_peak():
    params = peril_params()
    base = build_peril("yellow_river", params, NO_CLIMATE).year_summary(np.arange(1, 51), SEED)
    wetter = build_peril("yellow_river", params, SimpleNamespace(frequency={}, intensity={"yellow_river": 1.2})
                         ).year_summary(np.arange(1, 51), SEED)
    np.testing.assert_allclose(wetter["q_huayuankou"], 1.2 * base["q_huayuankou"])


def test_replay_1958_every_year():
    peril = build_peril("yellow_river_1958", peril_params("yellow_river_1958"), NO_CLIMATE)
    table = peril.year_summary(np.arange(1, 4), SEED)
    assert np.allclose(table["q_huayuankou"], 22_300.0)          # [S]
    assert (table["dongping_old_lake_used"] & table["floodplain_flooded"]).all()
    assert (table["q_aishan"] <= 10_000 * (1 + 1e-9)).all() or table["dongping_new_lake_used"].all()


def test_replay_1996_high_stage_and_slow_wave():
    p1996 = build_peril("yellow_river_1996", peril_params("yellow_river_1996"), NO_CLIMATE)
    flood = p1996.simulate_year(1, SEED)
    assert flood.peak_m3s == pytest.approx(7_860.0)
    assert np.all(flood.event.floodplain_m3 > 0)                 # a small flood over the whole floodplain
    travel = np.argmax(flood.event.flow[-1]) - np.argmax(flood.event.flow[0])
    assert 300 < travel * p1996.settings.routing.dt_hours < 450   # 369 h [S]
    plain = dict(peril_params("yellow_river_1996"))
    plain["routing"] = dict(plain["routing"], stage_offset_m=0.0)
    low = build_peril("yellow_river_1996", plain, NO_CLIMATE).simulate_year(1, SEED)
    assert low.event.floodplain_m3.sum() < flood.event.floodplain_m3.sum()


def test_site_attributes_from_the_portfolio_override_geography():
    peril = build_peril("yellow_river_1958", peril_params("yellow_river_1958"), NO_CLIMATE)
    far = Sites(np.array([120.0, 120.1]), np.array([36.5, 36.6]), np.zeros(2, np.int64))
    assert peril.events([1], far, 0, SEED).n_events == 0               # Qingdao: never flooded
    flagged = Sites(far.lon, far.lat, far.county,
                    {"yr_floodplain": np.array([1.0, np.nan]), "yr_reach": np.array([1.0, np.nan]),
                     "yr_distance_km": np.array([2.9, np.nan])})
    ev = peril.events([1], flagged, 0, SEED)
    assert ev.n_events == 1 and list(ev.site) == [0] and ev.intensity[0, 0] > 0


def test_unknown_regime_names_the_key():
    with pytest.raises(ConfigError, match=r"peril\.yellow_river.*regime 'natural' is not one of \['unregulated', 'regulated'\] \(key peril\.yellow_river\.regime\)"):
        to_settings(compose_config("peril=[yellow_river]", "peril.yellow_river.regime=natural", "output.dir=/tmp/x"))


def test_bad_blocks_name_their_keys():
    params = peril_params()
    with pytest.raises(KeyError, match=r"bogus.*yellow_river\.routing"):
        build_peril("yellow_river", {**params, "routing": {**params["routing"], "bogus": 1}}, NO_CLIMATE)
    with pytest.raises(ValueError, match="replay"):
        build_peril("yellow_river", {**params, "mode": "replay"}, NO_CLIMATE)
    with pytest.raises(ValueError, match=r"frequency\.method"):
        build_peril("yellow_river", {**params, "frequency": {**params["frequency"], "method": "lmoments"}}, NO_CLIMATE)


def test_1958_replay_runs_through_the_engine(tmp_path):
    from runner import run
    out = run(tmp_path, "peril=[yellow_river_1958]", "run.n_years=2", name="yr1958")
    from engine.eventset import read_netcdf
    ev = read_netcdf(out.folder / "eventset.nc")
    assert ev.n_events == 2 and ev.measures == ("flood_depth", "flood_duration")
    assert ev.n_entries / 2 >= 60   # the demo's floodplain and Dongping sites at least
