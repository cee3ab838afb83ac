"""Typhoon scenarios: replays (Lekima 2019, Rumbia 2018), user track files and what-if shifts."""
import json

import numpy as np
import pandas as pd
import pytest

from engine import geo
from perils.typhoon.footprint import FootprintParams, site_hazard, typhoon_sites
from perils.typhoon.peril import replay_tracks
from perils.typhoon.trackfile import read_track_file, shift_track
from engine.config import SCENARIO_DIR
from runner import compose_config, run

WEST = SCENARIO_DIR / "tracks" / "lekima_2019_west50km.csv"


@pytest.fixture(scope="module")
def county_seats():
    c = geo.load_counties()
    return c, typhoon_sites(c["lon"].to_numpy(), c["lat"].to_numpy())


def test_scenarios_compose_to_their_groups():
    lekima = compose_config("scenario=replay_lekima_2019")
    assert list(lekima.peril) == ["typhoon_lekima2019", "flood_typhoon_rain"] and lekima.run.n_years == 1
    assert compose_config("scenario=replay_lekima_2019", "run.n_years=5").run.n_years == 5   # command line wins
    future = compose_config("scenario=ssp245_2050")
    assert future.climate.name == "ssp245_2050" and future.climate.warming_c == 1.0
    assert compose_config().scenario.name == "baseline"


def test_rumbia_replay_rain_matches_the_observed_province_mean(county_seats):
    """REFERENCE.md: Rumbia 2018 gave a province mean of 132 mm; the replay's rain scale is set on it
    (configs/peril/typhoon_rumbia2018.yaml); mean over the 136 county seats within 15%."""
    from engine.config import to_settings
    counties, sites = county_seats
    peril = dict(to_settings(compose_config("scenario=replay_rumbia_2018"), ".").perils)["typhoon_rumbia2018"]
    (_, track), = peril.storms(2018, 1)
    _, _, rain = site_hazard(track, sites, peril.footprint)
    assert rain.mean() == pytest.approx(132.0, rel=0.15)


def test_shift_track_moves_every_point_by_the_distance():
    track = pd.DataFrame({"lat": [30.0, 36.0], "lon": [120.0, 120.0]})
    west = shift_track(track, east_km=-50.0)
    # 50 km at latitude phi is 50 / (6371 cos phi) radians of longitude
    np.testing.assert_allclose(west["lon"], 120.0 - np.degrees(50.0 / (6371.0 * np.cos(np.radians([30.0, 36.0])))))
    np.testing.assert_array_equal(west["lat"], track["lat"])
    north = shift_track(track, north_km=111.19)
    np.testing.assert_allclose(north["lat"], track["lat"] + 1.0, atol=1e-4)
    assert list(track["lon"]) == [120.0, 120.0]   # the caller's table is unchanged


def test_whatif_track_file_is_lekima_moved_west(county_seats):
    counties, sites = county_seats
    (_, lekima), = replay_tracks(["2019/1909"])
    (doy, west), = read_track_file(WEST)
    assert doy == pd.Timestamp("2019-08-03").day_of_year
    np.testing.assert_allclose(west["time_h"], lekima["time_h"])
    np.testing.assert_allclose(west["pressure_hpa"], lekima["pressure_hpa"])
    assert np.all(west["lon"].to_numpy() < lekima["lon"].to_numpy())
    # the footprints differ: the rain field moves west with the track
    lon = counties["lon"].to_numpy()
    _, _, rain_0 = site_hazard(lekima, sites, FootprintParams())
    _, _, rain_w = site_hazard(west, sites, FootprintParams())
    west_half = lon < np.median(lon)
    assert rain_w[west_half].mean() > rain_0[west_half].mean()


def test_whatif_scenario_runs_through_the_loss_chain(tmp_path):
    a = run(tmp_path, "scenario=replay_lekima_2019", "output.event_set=none", name="lekima")
    b = run(tmp_path, "scenario=whatif_lekima_west50km", "output.event_set=none", name="west")
    sa = json.loads((a.folder / "summary.json").read_text())
    sb = json.loads((b.folder / "summary.json").read_text())
    assert sb["_run"]["scenario"] == "whatif_lekima_west50km" and sb["_run"]["n_years"] == 1
    assert sa["portfolio"]["aal"] > 0 and sb["portfolio"]["aal"] > 0
    assert sa["portfolio"]["aal"] != sb["portfolio"]["aal"]


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.drop(columns=["pressure_hpa"]), "missing column pressure_hpa"),
    (lambda f: f.assign(lat=f["lat"].where(f.index != 3, 95.0)), "row 5, column 'lat'"),
    (lambda f: f.assign(time=f["time"].where(f.index != 2, "yesterday")), "row 4, column 'time': 'yesterday'"),
    (lambda f: f.assign(time=f["time"].iloc[0]), "strictly increasing times"),
    (lambda f: f.assign(vmax_ms=f["vmax_ms"].astype(object).where(f.index != 1, "fast")), "row 3, column 'vmax_ms'"),
])
def test_bad_track_file_names_file_row_and_column(tmp_path, edit, message):
    good = pd.read_csv(WEST)
    path = tmp_path / "bad.csv"
    edit(good).to_csv(path, index=False)
    with pytest.raises(ValueError, match=message) as err:
        read_track_file(path)
    assert str(path) in str(err.value)


def test_bad_track_file_fails_before_any_work(tmp_path):
    from engine.config import ConfigError, to_settings
    cfg = compose_config("peril=[typhoon_track_file]", f"peril.typhoon_track_file.track_file={tmp_path / 'none.csv'}",
                         f"output.dir={tmp_path / 'out'}")
    with pytest.raises(ConfigError, match="track file not found"):
        to_settings(cfg, tmp_path)
    assert not (tmp_path / "out").exists()


def test_track_file_in_hours_and_several_storms(tmp_path):
    path = tmp_path / "two.csv"
    pd.DataFrame({"storm": ["a", "a", "b", "b", "b"], "time_h": [0, 6, 0, 3, 6], "lat": [35, 36, 34, 35, 36],
                  "lon": [120, 120, 119, 119, 119], "pressure_hpa": [980, 985, 970, 975, 990],
                  "start_doy": [200, 200, 230, 230, 230]}).to_csv(path, index=False)
    storms = read_track_file(path)
    assert [d for d, _ in storms] == [200, 230]
    assert list(storms[1][1]["time_h"]) == [0.0, 3.0, 6.0]
    assert storms[0][1]["vmax_ms"].isna().all()        # from the pressure, in the wind model
