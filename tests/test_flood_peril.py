"""The flood peril: registration, determinism, chunk invariance, seasonality, climate factors, config errors."""
from types import SimpleNamespace

import numpy as np
import pytest

from engine.config import ConfigError
from engine.portfolio import Sites
from perils import PERILS, build_peril
from perils.flood.peril import build_default, default_params
from perils.flood.rainfall import month_of


@pytest.fixture(scope="module")
def sites():
    rng = np.random.default_rng(4)
    from engine import geo
    lon, lat = rng.uniform(115.6, 122.0, 400), rng.uniform(34.9, 37.9, 400)
    county = geo.county_of(lon, lat)
    keep = county > 0
    return Sites(lon[keep], lat[keep], county[keep].astype(np.int64))


def assert_same_events(a, b):
    for name in ("event_id", "year", "doy", "peril", "offsets", "site", "intensity"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_registered_with_the_engine_interface(sites):
    assert "flood" in PERILS.names()
    peril = build_peril("flood", default_params(), SimpleNamespace(frequency={}, intensity={}))
    assert peril.measures == ("flood_depth", "flood_duration", "rain_total")
    assert peril.units == ("m", "days", "mm")
    assert peril.hazard == "flood" and peril.placeholder is False
    ev = peril.events(np.arange(1, 41), sites, 3, 7)
    assert ev.n_events > 0 and ev.measures == peril.measures
    assert np.all(ev.peril == 3) and np.all((ev.event_id // 10_000) % 100 == 3)
    assert np.all(ev.intensity >= 0)
    assert np.all(np.diff(ev.event_id) > 0)     # sorted by year then day (ids numbered in day order)


def test_events_are_deterministic_and_chunk_invariant(sites):
    peril = build_default()
    years = np.arange(1, 61)
    whole = peril.events(years, sites, 0, 123)
    assert_same_events(whole, peril.events(years, sites, 0, 123))
    from engine.eventset import combine
    parts = [peril.events(years[i:i + 13], sites, 0, 123) for i in range(0, 60, 13)]
    assert_same_events(whole, combine(parts))
    other = peril.events(years, sites, 0, 124)
    assert other.n_entries != whole.n_entries or not np.array_equal(other.intensity, whole.intensity)


def test_season_peaks_in_june_to_september():
    """Share of events in Jun-Sep against its configured probability (binomial SE)."""
    peril = build_default({"dependence": {"method": "exact"}})
    one = Sites(np.array([117.0]), np.array([36.6]), np.zeros(1, np.int64))
    doys = np.concatenate([peril.year_rain(y, one, 5)[0] for y in range(1, 1501)])
    p = sum(peril.rain.month_probabilities[5:9])
    share = np.isin(month_of(doys), [6, 7, 8, 9]).mean()
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / len(doys))
    rate = len(doys) / 1500
    expected = peril.rain.rate_per_year * (1 - peril.rain.typhoon_share)
    assert abs(rate - expected) < 4 * np.sqrt(expected / 1500)


def test_climate_factors(sites):
    base = build_default()
    warm = build_default(intensity=1.07)
    doy0, rain0 = base.year_rain(5, sites, 1)
    doy1, rain1 = warm.year_rain(5, sites, 1)
    np.testing.assert_array_equal(doy0, doy1)
    np.testing.assert_allclose(rain1, 1.07 * rain0, rtol=1e-12)
    more = build_default(frequency=2.0)
    n0 = sum(len(base.year_rain(y, sites, 1)[0]) for y in range(1, 201))
    n1 = sum(len(more.year_rain(y, sites, 1)[0]) for y in range(1, 201))
    assert n1 > 1.6 * n0


@pytest.mark.parametrize("override, key", [
    ({"rain": {"rate_per_year": -1.0}}, "peril.flood.rain.rate_per_year"),
    ({"rain": {"typhoon_share": 1.0}}, "peril.flood.rain.typhoon_share"),
    ({"rain": {"month_weights": [1.0, 2.0]}}, "peril.flood.rain.month_weights"),
    ({"rain": {"gev_shape": 0.7}}, "peril.flood.rain.gev_shape"),
    ({"rain": {"anchors": [{"name": "X", "lon": 117.0, "lat": 36.0, "mean_mm": 80.0}]}}, "peril.flood.rain.anchors[0].cv"),
    ({"dependence": {"range_km": 0.0}}, "peril.flood.dependence.range_km"),
    ({"dependence": {"copula": "clayton"}}, "peril.flood.dependence.copula"),
    ({"dependence": {"grid_stp_deg": 0.2}}, "peril.flood.dependence"),
    ({"geography": {"ponding_factor": [1.0, 2.0]}}, "peril.flood.geography.ponding_factor"),
    ({"geography": {"runoff_urban": 1.5}}, "peril.flood.geography.runoff_urban"),
    ({"transform": {"river_return_period_yr": "twenty"}}, "peril.flood.transform.river_return_period_yr"),
    ({"transform": {"min_depth_m": 7.0}}, "peril.flood.transform.min_depth_m"),
    ({"footprint": {"min_rain_mm": -5.0}}, "peril.flood.footprint.min_rain_mm"),
])
def test_bad_config_values_name_the_key(override, key):
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        build_default(override)


def test_missing_section_and_climate_errors():
    params = default_params()
    del params["transform"]
    with pytest.raises(KeyError, match="transform"):
        build_peril("flood", params, SimpleNamespace(frequency={}, intensity={}))
    with pytest.raises(ConfigError, match="climate.intensity.flood"):
        build_default(intensity=-1.0)


def test_composes_with_the_typhoon_peril():
    from engine.config import to_settings
    from runner import compose_config

    settings = to_settings(compose_config("peril=[typhoon,flood]", "output.dir=/tmp/qilu-flood-unused"))
    names = [name for name, _ in settings.perils]
    assert names == ["typhoon", "flood"]
    assert settings.perils[1][1].hazard == "flood"


def test_warming_scales_rain_by_clausius_clapeyron(sites):
    base = build_default()
    warm = build_default(warming_c=1.4)
    assert warm.intensity_factor == pytest.approx(1.07 ** 1.4) and warm.frequency_factor == 1.0
    np.testing.assert_allclose(warm.year_rain(3, sites, 1)[1], 1.07 ** 1.4 * base.year_rain(3, sites, 1)[1], rtol=1e-12)
    explicit = build_default(intensity=1.2, warming_c=1.4)      # explicit factors override the derived ones
    assert explicit.intensity_factor == 1.2
