"""Property-based tests of bad input (hypothesis, fixed example budget): every malformed portfolio
row or config value gets a clear error naming the field; nothing crashes with another exception."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.config import ConfigError, to_settings
from engine.portfolio import PortfolioError, validate
from runner import compose_config

PRODUCTS = ["cat_property", "crop_full_cost"]
CLASSES = ["residential", "wheat"]
BASE = pd.DataFrame({"risk_id": ["a", "b", "c"], "lon": [117.03, 118.74, 120.2], "lat": [36.66, 36.86, 35.96],
                     "product": ["cat_property", "crop_full_cost", "cat_property"],
                     "asset_class": ["residential", "wheat", "residential"],
                     "value": [100.0, 200.0, 300.0], "sum_insured": [80.0, 200.0, 300.0]})
NUMERIC = ["lon", "lat", "value", "sum_insured", "deductible", "limit", "franchise", "coinsurance"]
BAD_VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.none(),
                       st.integers(-10**12, 10**12))
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(column=st.sampled_from(NUMERIC + ["risk_id", "product", "asset_class", "county", "policy_id"]),
       row=st.integers(0, 2), value=BAD_VALUES)
def test_any_bad_cell_is_a_portfolio_error_or_accepted(column, row, value):
    frame = BASE.copy()
    if column not in frame:
        frame[column] = pd.Series([None] * 3, dtype=object)
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    try:
        portfolio = validate(frame, PRODUCTS, CLASSES)
    except PortfolioError as err:
        assert "column" in str(err) or "row" in str(err) or "missing" in str(err)
        return
    # accepted: then the cleaned table is finite where it must be
    t = portfolio.table
    assert np.isfinite(t[["lon", "lat", "value", "sum_insured", "deductible", "limit"]].to_numpy(float)).all()
    assert (t["limit"] <= t["sum_insured"]).all()


@FUZZ
@given(drop=st.sets(st.sampled_from(list(BASE.columns)), max_size=3))
def test_missing_columns_are_named(drop):
    frame = BASE.drop(columns=sorted(drop))
    try:
        validate(frame, PRODUCTS, CLASSES)
    except PortfolioError as err:
        assert "missing required column" in str(err)
    else:
        assert not drop


CONFIG_KEYS = ["run.n_years", "run.samples", "run.chunk_years", "run.memory_budget_mb", "run.seed",
               "pricing.expense_ratio", "pricing.std_multiplier", "pricing.tvar_level", "climate.warming_c",
               "compute.workers"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(key=st.sampled_from(CONFIG_KEYS), value=st.one_of(st.integers(-10**6, 10**6),
                                                          st.floats(-1e6, 1e6, allow_nan=False)))
def test_config_values_fail_naming_their_key_or_pass(tmp_path_factory, key, value):
    _config_fails_naming_key_or_passes(tmp_path_factory, key, value)


def _config_fails_naming_key_or_passes(tmp_path_factory, key, value):
    try:
        cfg = compose_config(f"{key}={value}", "output.dir=unused")
    except Exception as err:   # Hydra rejects a wrong type at composition, naming the key
        assert key.split(".")[-1] in str(err)
        return
    try:
        to_settings(cfg, tmp_path_factory.getbasetemp())
    except ConfigError as err:
        assert key.split(".")[0] in str(err) or key.split(".")[1] in str(err)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(offsets=st.lists(st.integers(-2, 8), min_size=1, max_size=5), sites=st.lists(st.integers(-3, 5), max_size=8),
       n_events=st.integers(0, 4), probability=st.one_of(st.none(), st.floats(-1, 2), st.just(float("nan"))))
def test_malformed_event_sets_raise_value_errors(offsets, sites, n_events, probability):
    from engine import dtypes
    from engine.eventset import EventSet
    n = len(sites)
    try:
        EventSet(np.arange(n_events, dtype=dtypes.EVENT_ID), np.ones(n_events, dtypes.YEAR),
                 np.ones(n_events, dtypes.DOY), np.zeros(n_events, dtypes.PERIL), np.array(offsets, dtypes.OFFSET),
                 np.array(sites, dtypes.SITE), np.ones((n, 1), dtypes.INTENSITY), (), ("x",), ("m",),
                 None if probability is None else np.full(n, probability, dtypes.INTENSITY))
    except ValueError as err:
        assert str(err).startswith("EventSet")


# --- carbon plots -------------------------------------------------------------------------------
CARBON = pd.DataFrame({"risk_id": ["f", "b", "d"], "product": ["carbon_sink_value", "carbon_sink_index", "carbon_delivery"],
                       "carbon_kind": ["forest", "blue", "forest"], "carbon_group": ["quercus", "seaweed", "poplar"],
                       "stand_age_years": [25.0, None, 8.0], "area_mu": [100.0, 200.0, 50.0],
                       "verified_tco2e": [None, None, None], "contracted_tco2e": [None, None, 9.0],
                       "county": [370323, 370613, 371328], "deductible": [0.0] * 3, "limit": [1e4] * 3,
                       "sum_insured": [1e4] * 3, "coinsurance": [1.0] * 3, "policy_deductible": [0.0] * 3})
CARBON_COLUMNS = ["carbon_kind", "carbon_group", "stand_age_years", "area_mu", "verified_tco2e", "contracted_tco2e"]


@FUZZ
@given(column=st.sampled_from(CARBON_COLUMNS), row=st.integers(0, 2), value=BAD_VALUES)
def test_any_bad_carbon_cell_is_a_portfolio_error_or_accepted(column, row, value):
    from engine.carbon.book import carbon_book
    from engine.carbon.growth import load_growth
    from engine.products import build_product

    products = {n: build_product(n, {"kind": n, "classes": ["forest", "blue_carbon"]}) for n in CARBON["product"]}
    frame = CARBON.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    try:
        book = carbon_book(frame, products, load_growth(), source="book.csv")
    except PortfolioError as err:
        assert f"row {row + 2}, column '{column}'" in str(err)
        return
    for name in ("area_mu", "insured_tco2e", "sequestration_tco2e", "contracted_tco2e"):
        values = getattr(book, name)
        assert np.isfinite(values).all() and (values >= 0).all(), name


# --- user track files (what-if typhoons) --------------------------------------------------------
TRACK = pd.DataFrame({"time_h": [0.0, 6.0, 12.0], "lat": [30.0, 32.0, 34.0], "lon": [123.0, 122.5, 122.0],
                      "pressure_hpa": [960.0, 965.0, 975.0]})


@FUZZ
@given(column=st.sampled_from(list(TRACK.columns)), row=st.integers(0, 2), value=BAD_VALUES)
def test_any_bad_track_cell_names_file_row_and_column(tmp_path_factory, column, row, value):
    from perils.typhoon.trackfile import read_track_file

    frame = TRACK.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    path = tmp_path_factory.mktemp("track") / "track.csv"
    frame.to_csv(path, index=False)
    try:
        storms = read_track_file(path)
    except ValueError as err:
        assert str(path) in str(err) and ("column" in str(err) or "row" in str(err)), str(err)
        return
    for _, track in storms:
        assert np.isfinite(track[["lat", "lon"]].to_numpy(float)).all()


# --- carbon peril and product config ------------------------------------------------------------
CARBON_KEYS = ["peril.carbon_sink.price_rho", "peril.carbon_sink.event_doy", "peril.carbon_sink.dryness",
               "peril.carbon_sink.price_driver_county", "product.carbon_delivery.retention_share",
               "product.carbon_sink_index.grades", "run.resume", "compute.inputs"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(key=st.sampled_from(CARBON_KEYS),
       value=st.one_of(st.integers(-10**6, 10**6), st.floats(-1e3, 1e3, allow_nan=False),
                       st.sampled_from(["x", "none", "[[2,0.5]]", "[[0.2,0.5],[0.1,1.0]]", "[]", "true"])))
def test_carbon_and_run_config_values_fail_naming_their_key_or_pass(tmp_path_factory, key, value):
    _config_fails_naming_key_or_passes(tmp_path_factory, key, value)
