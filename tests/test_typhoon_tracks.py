"""Tests of the typhoon track half: CMA best-track reader, Shandong tests, stochastic track model."""
import pickle

import numpy as np
import pandas as pd
import pytest

from engine import dtypes
from engine.geo import haversine_km
from perils.typhoon import besttrack, stochastic
from perils.typhoon.stochastic import PARAMS_DTYPE, TrackModel


@pytest.fixture(scope="session")
def tracks():
    return besttrack.load_best_tracks()


@pytest.fixture(scope="session")
def model(tracks):
    return TrackModel.fit(tracks)


def _raw_lines(year):
    return (besttrack.CMA_DIR / f"CH{year}BST.txt").read_text(encoding="ascii").splitlines()


# --- reader -------------------------------------------------------------------------------------

def test_record_counts(tracks):
    headers = sum(line.startswith("66666") for year in range(1949, 2025) for line in _raw_lines(year))
    assert headers == 2517                       # the data README's count of header records
    assert tracks["storm_id"].nunique() == 2466  # 51 continuation records "(-)k" merged into their storm
    assert len(tracks) == 73217
    assert sorted(tracks["year"].unique()) == list(range(1949, 2025))
    assert (tracks["storm_id"] == tracks["year"] * 100 + tracks["seq"]).all()
    assert not tracks.duplicated(["storm_id", "time"]).any()
    assert tracks.groupby("storm_id")["time"].apply(lambda t: t.is_monotonic_increasing).all()
    assert tracks["time"].dtype == "datetime64[ns]"
    # degrees east, beyond 180 for storms from east of the date line
    assert tracks["lat"].between(0, 75).all() and tracks["lon"].between(90, 260).all()


def test_lekima_2019(tracks):
    lekima = tracks[tracks["cma_id"] == 1909]
    assert lekima["storm_id"].unique().tolist() == [201912]
    assert (lekima["name"] == "LEKIMA").all()
    fix = lekima[lekima["time"] == pd.Timestamp("2019-08-11 12:00")].iloc[0]
    # 2019081112 2 358 1202 982 23
    assert (fix["grade"], fix["lat"], fix["lon"], fix["pressure"], fix["wind"]) == (2, 35.8, 120.2, 982.0, 23.0)


def test_split_storms_are_one_storm(tracks):
    wendy = tracks[tracks["storm_id"] == 196308]
    winnie = tracks[tracks["storm_id"] == 199714]
    assert set(wendy["cma_id"]) == {6306} and set(winnie["cma_id"]) == {9711}
    assert sorted(wendy["segment"].unique()) == [0, 1, 2] and sorted(winnie["segment"].unique()) == [0, 1]
    assert set(wendy["name"]) == {"Wendy"} and set(winnie["name"]) == {"WINNIE"}
    for storm in (wendy, winnie):
        assert storm["time"].is_unique and storm["time"].is_monotonic_increasing
    # the continuations carry the storms north: Wendy to 38.7 N, Winnie through Shandong to 45.8 N
    assert wendy["lat"].max() == 38.7 and winnie["lat"].max() == 45.8
    # Winnie's main record ends 1997-08-20 00 UTC; its continuation adds only later fixes
    assert winnie.loc[winnie["segment"] == 1, "time"].min() == pd.Timestamp("1997-08-20 06:00")


def test_missing_winds_are_nan(tracks):
    raw = []
    for year in range(1950, 1960):
        for line in _raw_lines(year):
            fields = line.split()
            if fields[0] == "66666":
                storm_id = year * 100 + int(fields[3])
            else:
                raw.append((storm_id, pd.Timestamp(f"{fields[0][:8]} {fields[0][8:]}:00"), float(fields[5])))
    # earlier records win a repeated time, as in the reader
    raw = pd.DataFrame(raw, columns=["storm_id", "time", "raw_wind"]).drop_duplicates(["storm_id", "time"])
    assert raw["raw_wind"].isin([0.0, 9.0]).sum() > 1000
    merged = tracks[tracks["year"].between(1950, 1959)].merge(raw, on=["storm_id", "time"], validate="1:1")
    missing = merged["raw_wind"].isin([0.0, 9.0])
    assert merged.loc[missing, "wind"].isna().all()
    np.testing.assert_array_equal(merged.loc[~missing, "wind"], merged.loc[~missing, "raw_wind"])
    assert not tracks["wind"].isin([0.0, 9.0]).any()
    assert (tracks["extratropical"] == (tracks["grade"] == 9)).all()


def test_write_tracks_parquet(tmp_path, tracks):
    path = besttrack.write_tracks_parquet(tmp_path / "cma.parquet", tracks[tracks["year"] == 2019])
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, tracks[tracks["year"] == 2019].reset_index(drop=True))


# --- Shandong -----------------------------------------------------------------------------------

def test_shandong_polygon_test_and_distance():
    lon = np.array([117.00, 120.38, 121.45, 116.40, 121.47, 123.00, 120.98])
    lat = np.array([36.67, 36.07, 37.46, 39.90, 31.23, 35.50, 14.60])  # Jinan Qingdao Yantai Beijing Shanghai sea Manila
    inside = besttrack.shandong_polygon_test(lon, lat)
    np.testing.assert_array_equal(inside, [True, True, True, False, False, False, False])
    distance = besttrack.distance_to_shandong_km(lon, lat)
    assert (distance[:3] == 0).all()
    assert 150 < distance[3] < 300           # Beijing: about 220 km north of Dezhou/Binzhou
    assert 350 < distance[4] < 550           # Shanghai
    assert distance[6] > 2000                # Manila


def test_lekima_enters_and_a_far_storm_does_not(tracks):
    subset = tracks[tracks["storm_id"].isin([201912, 201901])]   # Lekima; Pabuk (Gulf of Thailand)
    stats = besttrack.affecting_storms(subset, all_storms=True).set_index("storm_id")
    lekima, pabuk = stats.loc[201912], stats.loc[201901]
    assert lekima["enters"] and lekima["ts_within"] and lekima["affects"]
    assert lekima["first_day_inside"] == pd.Timestamp("2019-08-11").date()
    assert lekima["max_wind_inside"] == 23.0
    assert not pabuk["affects"] and pabuk["min_distance_km"] > 2000
    assert besttrack.affecting_storms(subset)["storm_id"].tolist() == [201912]


def test_enters_is_tested_on_hourly_points():
    # Two fixes at sea, 6 h apart, on either side of the Jiaodong peninsula: only the hourly
    # interpolation puts the centre over land.
    track = pd.DataFrame({"storm_id": [1, 1], "year": [2000, 2000], "name": ["test", "test"],
                          "time": pd.to_datetime(["2000-08-01 00:00", "2000-08-01 06:00"]),
                          "lat": [36.6, 37.8], "lon": [121.1, 120.3], "pressure": [980.0, 985.0],
                          "wind": [25.0, 23.0], "grade": [3, 2]})
    assert not besttrack.shandong_polygon_test(track["lon"], track["lat"]).any()
    stats = besttrack.affecting_storms(track).iloc[0]
    assert stats["enters"] and stats["hours_inside"] >= 3


# --- stochastic model ---------------------------------------------------------------------------

def test_simulation_is_deterministic_per_seed_and_year(model):
    first = model.simulate_year(5, seed=11)
    again = model.simulate_year(5, seed=11)
    assert len(first) == len(again)
    for a, b in zip(first, again):
        assert (a.parent_storm_id, a.start_hour) == (b.parent_storm_id, b.start_hour)
        np.testing.assert_array_equal(a.lat, b.lat)
        np.testing.assert_array_equal(a.vmax_ms, b.vmax_ms)
    alone = model.simulate([5], seed=11)
    among = model.simulate([3, 4, 5, 6], seed=11)
    pd.testing.assert_frame_equal(alone, among[among["year"] == 5].reset_index(drop=True))
    chunked = pd.concat([model.simulate(np.arange(1, 8), 3), model.simulate(np.arange(8, 21), 3)], ignore_index=True)
    pd.testing.assert_frame_equal(chunked, model.simulate(np.arange(1, 21), 3))
    assert not model.simulate(np.arange(1, 21), 4).equals(model.simulate(np.arange(1, 21), 3))


def test_annual_count_matches_the_fitted_rate(model):
    years = np.arange(1, 5001)
    sim = model.simulate(years, seed=2024)
    per_year = sim.groupby("year")["event_id"].nunique().reindex(years, fill_value=0).to_numpy()
    variance = model.annual_rate + (0.0 if np.isinf(model.count_size) else model.annual_rate ** 2 / model.count_size)
    standard_error = np.sqrt(variance / years.size)
    assert abs(per_year.mean() - model.annual_rate) < 4.0 * standard_error


def test_simulated_tracks_are_plausible(model):
    sim = model.simulate(np.arange(1, 501), seed=9, peril_index=3)
    assert sim["lat"].between(10.0, 55.0).all() and sim["lon"].between(100.0, 145.0).all()
    assert sim["pressure_hpa"].between(870.0, 1025.0).all()
    assert sim["vmax_ms"].between(0.0, 90.0).all()
    assert list(sim.columns[:7]) == ["event_id", "year", "time", "lat", "lon", "pressure_hpa", "vmax_ms"]
    assert sim["time"].dtype == "timedelta64[ns]" and sim["event_id"].dtype == np.int64
    # event ids encode (year, peril, rank by start time); hours are consecutive within a storm
    starts = sim.groupby("event_id").agg(year=("year", "first"), start=("time", "min"))
    rank = starts.groupby("year").cumcount().to_numpy()
    np.testing.assert_array_equal(starts.index, dtypes.event_ids(starts["year"].to_numpy(), 3, rank))
    assert (starts.groupby("year")["start"].diff().dropna() >= pd.Timedelta(0)).all()
    steps = sim.groupby("event_id")["time"].diff().dropna()
    assert (steps == pd.Timedelta(hours=1)).all()
    assert starts["start"].dt.days.between(0, 365).all()
    # perturbed positions stay within a few sigma of the parent's
    track = model.simulate_year(7, seed=1)[0]
    parent = int(np.flatnonzero(model.parent_storm_id == track.parent_storm_id)[0])
    fix = model.parent_fix[model.parent_offsets[parent]:model.parent_offsets[parent + 1]]
    offset = haversine_km(track.lon, track.lat, fix[:, 1], fix[:, 0])
    assert offset.max() < 6 * model.sigma_pos_km


def test_model_pickles(model):
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(clone.simulate([1, 2], 5), model.simulate([1, 2], 5))


def test_smooth_ar2_is_stationary_with_the_stated_sd():
    rng = np.random.default_rng(0)
    sigma, phi, paths, length = 80.0, np.exp(-1.0 / 24.0), 4000, 60
    values = np.empty((paths, length))
    for k in range(paths):
        stochastic._smooth_ar2(rng.standard_normal(length), phi, sigma, values[k])
    standard_error = sigma ** 2 * np.sqrt(2.0 / paths)
    for t in (0, 1, 30, length - 1):
        assert abs(values[:, t].var() - sigma ** 2) < 4.0 * standard_error
    # smooth: hourly steps are a small fraction of the offset
    assert np.abs(np.diff(values, axis=1)).mean() < 0.1 * sigma


def test_kernel_decays_a_child_that_is_over_land_longer_than_its_parent():
    # Parent over sea at constant 960 hPa and 35 m/s; the land grid says land everywhere, no noise:
    # the child's deficit must decay as exp(-alpha * hours over land so far) (module docstring, step 7).
    hours = 30
    parent = np.zeros((hours, 5))
    parent[:, 0], parent[:, 1], parent[:, 2], parent[:, 3] = 36.0, 121.0, 960.0, 35.0
    params = np.rec.array(np.zeros(1, dtype=PARAMS_DTYPE))[0]
    params["phi_pos"], params["phi_int"] = 0.9, 0.9
    params["land_decay_per_h"], params["p_env_hpa"], params["wind_exponent"] = 0.03, 1010.0, 0.5
    params["land_lon0"], params["land_lat0"], params["land_step"] = 100.0, 20.0, 1.0
    land = np.ones((40, 40), dtype=np.uint8)
    cap = np.full(stochastic.CAP_LAT_BINS, 200.0)
    out = np.empty((hours, 4))
    stochastic._perturb_kernel(parent, np.array([0, hours]), np.array([0]), np.array([0, hours]),
                               np.zeros((hours, 3)), land, cap, params, out)
    t = np.arange(hours)
    expected_deficit = 50.0 * np.exp(-0.03 * t)
    np.testing.assert_allclose(1010.0 - out[:, 2], expected_deficit, rtol=1e-12)
    np.testing.assert_allclose(out[:, 3], 35.0 * ((expected_deficit + 1.0) / 51.0) ** 0.5, rtol=1e-12)
    np.testing.assert_allclose(out[:, :2], parent[:, :2])
    # the same parent over a sea grid keeps its intensity
    stochastic._perturb_kernel(parent, np.array([0, hours]), np.array([0]), np.array([0, hours]),
                               np.zeros((hours, 3)), np.zeros_like(land), cap, params, out)
    np.testing.assert_allclose(out[:, 2], 960.0)


def test_fitted_parameters_are_plausible(model):
    assert model.parent_storm_id.size > 100 and 201912 in model.parent_storm_id
    assert 1.5 < model.annual_rate < 4.0
    assert 30.0 < model.sigma_pos_km < 200.0
    assert 0.05 < model.sigma_lndp < 0.6
    assert 0.005 < model.land_decay_per_h < 0.1
    assert 0.4 < model.wind_exponent < 0.8
    assert model.season_doy[0] >= 150 and model.season_doy[1] <= 280
