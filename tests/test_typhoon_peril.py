"""The typhoon peril inside the engine: config, determinism, the Lekima 2019 replay, tracks.parquet."""
import numpy as np
import pandas as pd
import pytest

from engine.eventset import read_netcdf
from runner import run

WEIFANG = 370700   # prefecture adcode; its counties are 3707xx


@pytest.fixture(scope="module")
def lekima(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lekima")
    out = run(tmp, "scenario=replay_lekima_2019", "output.tracks=true", name="lekima")
    return out


def test_lekima_replay_hazard_matches_observations(lekima):
    """REFERENCE.md: second landfall Huangdao (Qingdao) 23 m/s (2-min); Weifang mean rain 217.5 mm."""
    from engine.config import to_settings
    from engine.plan import build_plan
    from runner import compose_config

    ev = read_netcdf(lekima.folder / "eventset.nc")
    assert ev.n_events == 2                       # the storm, and its rain as a flood event
    e = int(np.flatnonzero(ev.peril == ev.perils.index("typhoon_lekima2019"))[0])
    entries = slice(ev.offsets[e], ev.offsets[e + 1])
    plan = build_plan(to_settings(compose_config("peril=[typhoon_lekima2019]", "run.n_years=1",
                                                 f"output.dir={lekima.folder}-x"), lekima.folder.parent))
    county = plan.portfolio.sites.county[ev.site[entries]]
    gust, rain = ev.intensity[entries, 0], ev.intensity[entries, 1]
    huangdao = county == 370211
    assert huangdao.any()
    # gust = 1.42 x the 2-min sustained wind (perils/typhoon/wind.py factor chain): 23 m/s -> about 33 m/s
    assert 25.0 < gust[huangdao].max() < 42.0
    weifang = (county // 100) * 100 == WEIFANG
    assert weifang.sum() > 20
    assert 150.0 < rain[weifang].mean() < 300.0          # observed 217.5 mm (rain model calibrated on it)


def test_replay_writes_the_historical_track(lekima):
    tracks = pd.read_parquet(lekima.folder / "tracks.parquet")
    assert list(tracks.columns) == ["event_id", "year", "time", "lat", "lon", "pressure_hpa", "vmax_ms"]
    assert tracks["lat"].max() > 36.0 and tracks["pressure_hpa"].min() < 930   # Lekima peaked near 915 hPa


def test_stochastic_typhoon_years_are_deterministic(tmp_path):
    a = run(tmp_path, "run.n_years=60", "run.chunk_years=60", "output.tracks=true", name="a")
    b = run(tmp_path, "run.n_years=60", "run.chunk_years=13", "output.tracks=true", name="b")
    pd.testing.assert_frame_equal(pd.read_parquet(a.folder / "tracks.parquet"), pd.read_parquet(b.folder / "tracks.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(a.folder / "ylt.parquet"), pd.read_parquet(b.folder / "ylt.parquet"))
    tracks = pd.read_parquet(a.folder / "tracks.parquet")
    assert tracks["event_id"].nunique() > 60            # about 2.4 storms a year near Shandong
    assert np.all(np.isfinite(tracks[["lat", "lon", "pressure_hpa", "vmax_ms"]].to_numpy()))


def test_climate_factors_from_warming_and_explicit_overrides(tmp_path):
    # ssp585_2050: warming 1.4 deg C over today; sensitivities (configs/peril/typhoon.yaml)
    # frequency -5%/C, vmax +2.5%/C (pressure deficit: its square), rain +7%/C compounded
    from engine.config import to_settings
    from runner import compose_config

    def typhoon(*overrides):
        cfg = compose_config(f"output.dir={tmp_path}", *overrides)
        return dict(to_settings(cfg, tmp_path).perils)["typhoon"]

    today = typhoon()
    assert (today.frequency_factor, today.intensity_factor, today.rainfall_factor) == (1.0, 1.0, 1.0)
    future = typhoon("climate=ssp585_2050")
    assert future.frequency_factor == pytest.approx(1 - 0.05 * 1.4)
    assert future.intensity_factor == pytest.approx((1 + 0.025 * 1.4) ** 2)
    assert future.rainfall_factor == pytest.approx(1.07 ** 1.4)
    assert future.footprint.rain.scale == pytest.approx(today.footprint.rain.scale * 1.07 ** 1.4)
    assert future.model().annual_rate == pytest.approx(today.model().annual_rate * 0.93)
    # an explicit factor for the kind overrides the warming-derived one (stress tests)
    stress = typhoon("climate=ssp585_2050", "+climate.frequency.typhoon=1.5")
    assert stress.frequency_factor == 1.5 and stress.intensity_factor == future.intensity_factor


def test_site_attributes_override_wind_and_rain_factors():
    from engine.portfolio import Sites
    from perils.typhoon.footprint import FootprintParams
    from perils.typhoon.peril import _sites_for

    lon, lat = np.array([120.2, 119.2]), np.array([35.96, 36.7])
    plain = _sites_for(Sites(lon, lat, np.zeros(2, np.int64)), FootprintParams())
    given = Sites(lon, lat, np.zeros(2, np.int64), {"typhoon_rain_factor": np.array([1.3, np.nan]),
                                                    "typhoon_wind_factor": np.array([np.nan, 0.5])})
    tuned = _sites_for(given, FootprintParams())
    np.testing.assert_allclose(tuned.rain_factor, [1.3, 1.0])
    np.testing.assert_allclose(tuned.wind_factor, [plain.wind_factor[0], 0.5])
    with pytest.raises(ValueError, match="site_typhoon_rain_factor"):
        _sites_for(Sites(lon, lat, np.zeros(2, np.int64), {"typhoon_rain_factor": np.array([5.0, 1.0])}),
                   FootprintParams())
