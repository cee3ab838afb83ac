"""The drought peril: events, determinism across chunks, climate, summaries, config errors, curves."""
import numpy as np
import pandas as pd
import pytest

from engine.config import ConfigError
from engine.vulnerability import DATA_DIR, compile_curves
from perils import PERILS, build_peril
from perils.drought.params import MONTH_DAYS, MONTH_START_DOY
from perils.drought.peril import DroughtPeril
from tests.test_drought_helpers import climate, config, county_sites

SEED = 5
CURVES = DATA_DIR.parents[2] / "perils" / "drought" / "data" / "drought_curves.csv"


@pytest.fixture(scope="module")
def peril():
    return build_peril("drought", config(), climate())


@pytest.fixture(scope="module")
def sites():
    return county_sites(copies=2)


@pytest.fixture(scope="module")
def events(peril, sites):
    return peril.events(np.arange(1, 31), sites, 2, SEED)


def test_registered_and_interface(peril):
    assert PERILS.get("drought") is DroughtPeril
    assert peril.hazard == "drought" and peril.placeholder is False
    assert peril.measures == ("et_deficit", "spei3") and peril.units == ("1", "1")


def test_one_event_per_window_with_doy_inside(peril, events):
    windows = {w.doy: w for w in peril.windows.items}
    assert set(np.unique(events.doy)) <= set(windows)
    for doy, w in windows.items():
        inside = [MONTH_START_DOY[m - 1] <= doy < MONTH_START_DOY[m - 1] + MONTH_DAYS[m - 1] for m in w.months]
        assert any(inside)
    per_year = pd.Series(events.year).value_counts()
    assert per_year.max() <= len(windows)
    assert np.all(events.peril == 2)
    deficit = events.intensity[:, 0]
    assert np.all((deficit > 0) & (deficit <= 1))


def test_footprint_matches_year_summary(peril, sites, events):
    summary = peril.year_summary(np.arange(1, 31), SEED)
    table = summary.set_index(["year", "window", "adcode"])
    names = {w.doy: w.name for w in peril.windows.items}
    for e in (0, events.n_events // 2, events.n_events - 1):
        rows = slice(events.offsets[e], events.offsets[e + 1])
        site = events.site[rows]
        window = names[int(events.doy[e])]
        expected = table.loc[[(int(events.year[e]), window, int(c)) for c in sites.county[site]]]
        np.testing.assert_allclose(events.intensity[rows, 0], expected["et_deficit"].to_numpy(), rtol=1e-6)
        np.testing.assert_allclose(events.intensity[rows, 1], expected["spei3"].to_numpy(), rtol=1e-5, atol=1e-6)
    # every county-window with a deficit above the footprint threshold is in it, both sites of the county
    hit = summary[summary["et_deficit"] > peril.footprint.min_deficit]
    assert events.n_entries == 2 * len(hit)
    assert set(summary["spei3_class"]) <= {"none", "mild", "moderate", "severe", "extreme"}


def test_deterministic_and_identical_when_split_into_chunks(peril, sites, events):
    again = peril.events(np.arange(1, 31), sites, 2, SEED)
    parts = [peril.events(np.arange(a, b), sites, 2, SEED) for a, b in ((1, 4), (4, 5), (5, 31))]
    for name in ("event_id", "year", "doy", "site", "intensity"):
        np.testing.assert_array_equal(getattr(again, name), getattr(events, name))
        np.testing.assert_array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(events, name))
    other = peril.events(np.arange(1, 31), sites, 2, SEED + 1)
    assert not np.array_equal(other.intensity[:100], events.intensity[:100])


def test_unknown_county_fails(peril):
    from engine.portfolio import Sites
    bad = Sites(np.array([117.0]), np.array([36.6]), np.array([110101]))
    with pytest.raises(ValueError, match="110101"):
        peril.events(np.arange(1, 3), bad, 0, SEED)


def test_warming_dries_and_factors_apply(peril):
    years = np.arange(1, 201)
    base = peril.county_years(years, SEED)
    warm = build_peril("drought", config(), climate(warming_c=2.0)).county_years(years, SEED)
    assert warm.deficit.mean() > base.deficit.mean()
    assert np.nanmean(warm.spei3) < np.nanmean(base.spei3) - 0.1
    doubled = build_peril("drought", config(), climate(intensity={"drought": 2.0})).county_years(years, SEED)
    np.testing.assert_allclose(doubled.deficit, np.minimum(1.0, 2.0 * base.deficit))
    wetter = build_peril("drought", config(), climate(rainfall={"drought": 1.2})).county_years(years, SEED)
    assert wetter.precip.mean() == pytest.approx(1.2 * base.precip.mean(), rel=0.02)


def test_normal_reference_centres_the_deficit(peril):
    years = np.arange(1, 401)
    res = peril.county_years(years, 77)
    # relative to the mean ratio of today's climate: the mean of ratio / reference is 1 up to sampling
    rel = res.ratio / peril.calibration().ratio_ref[None]
    assert abs(rel.mean() - 1) < 0.02
    plain = build_peril("drought", config(footprint={"deficit_reference": "potential", "min_deficit": 0.0}),
                        climate()).county_years(years, 77)
    np.testing.assert_allclose(plain.deficit, np.clip(1 - plain.ratio, 0, 1))


def test_spin_up_start_does_not_matter_by_october():
    years = np.arange(1, 101)
    dry = build_peril("drought", config(water_balance__initial_fraction=0.0), climate()).county_years(years, SEED)
    wet = build_peril("drought", config(water_balance__initial_fraction=1.0), climate()).county_years(years, SEED)
    # an empty vs a full bucket three years before the season: at most 0.02 of ETa/ETm (measured 0.016)
    assert np.abs(dry.ratio - wet.ratio).max() < 0.02
    assert np.abs(dry.ratio - wet.ratio).mean() < 1e-3


@pytest.mark.parametrize("changes, key", [
    ({"generator__lag1_precip": 1.5}, "peril.drought.generator.lag1_precip"),
    ({"generator__pt_correlation": [0.1] * 11}, "peril.drought.generator.pt_correlation"),
    ({"water_balance__capacity_mm": -5.0}, "peril.drought.water_balance.capacity_mm"),
    ({"water_balance__crop_coefficient": "high"}, "peril.drought.water_balance.crop_coefficient"),
    ({"pet__method": "penman"}, "peril.drought.pet.method"),
    ({"footprint__deficit_reference": "bogus"}, "peril.drought.footprint.deficit_reference"),
    ({"indices__reference_years": 10}, "peril.drought.indices.reference_years"),
    ({"season_start_month": 3}, "peril.drought.season_start_month"),
    ({"climate_sensitivity__temp_amplification": "x"}, "peril.drought.climate_sensitivity.temp_amplification"),
    ({"climate_table": "/nonexistent/table.csv"}, "peril.drought.climate_table"),
])
def test_bad_config_names_the_key(changes, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        build_peril("drought", config(**changes), climate())


def test_bad_windows_and_crops_name_the_key():
    cfg = config()
    cfg["windows"]["may"] = {"months": [4, 5], "doy": 135}
    with pytest.raises(ConfigError, match=r"peril\.drought\.windows\.may\.months"):
        build_peril("drought", cfg, climate())
    cfg = config()
    cfg["windows"]["aug"] = {"months": [8], "doy": 100}
    with pytest.raises(ConfigError, match=r"peril\.drought\.windows\.aug\.doy"):
        build_peril("drought", cfg, climate())
    cfg = config()
    cfg["crops"]["maize"]["flowering"] = "july"
    with pytest.raises(ConfigError, match=r"peril\.drought\.crops\.maize\.flowering"):
        build_peril("drought", cfg, climate())
    cfg = config()
    del cfg["water_balance"]["capacity_mm"]
    with pytest.raises(ConfigError, match=r"peril\.drought\.water_balance\.capacity_mm.*required"):
        build_peril("drought", cfg, climate())
    cfg = config()
    cfg["generator"]["range_km"] = 10.0
    with pytest.raises(ConfigError, match=r"unknown key.*range_km"):
        build_peril("drought", cfg, climate())
    with pytest.raises(KeyError, match="footprint"):
        cfg = config()
        del cfg["footprint"]
        build_peril("drought", cfg, climate())


def test_drought_curves_compile_and_follow_fao33():
    curves = pd.read_csv(CURVES, dtype={"unit": str})
    assert list(curves.columns) == ["peril", "asset_class", "measure", "unit", "intensity", "mean_damage_ratio",
                                    "cov", "source"]
    stages = pd.read_csv(DATA_DIR / "growth_stages.csv")
    vul = compile_curves(curves, stages, "drought_curves.csv")
    assert set(vul.classes) >= {"wheat", "maize", "rice", "garlic", "apple", "greenhouse_vegetable"}
    for cls, rows in curves.groupby("asset_class"):
        assert rows["measure"].eq("et_deficit").all() and rows["unit"].eq("1").all()
        ky = rows["mean_damage_ratio"].iloc[-1] / rows["intensity"].iloc[-1]
        np.testing.assert_allclose(rows["mean_damage_ratio"], np.minimum(1.0, ky * rows["intensity"]), atol=1e-5)
        assert rows["source"].iloc[0].strip()
    ky = curves.groupby("asset_class").apply(lambda r: r["mean_damage_ratio"].iloc[-1], include_groups=False)
    assert ky["greenhouse_vegetable"] < ky["rice"] < ky["wheat"] < ky["apple"] < ky["maize"]
