"""Bucket water balance and PET on hand-computed cases."""
import math

import numpy as np
import pytest

from perils.drought import pet
from perils.drought.waterbalance import bucket, relative_deficit, window_ratio


def test_dry_month_by_hand():
    # W* = 150 mm, W = 100 mm, P = 20 mm, ETm = 80 mm: unmet demand 60 mm,
    # W' = 100 exp(-60/150) = 67.032 mm, ETa = 20 + (100 - 67.032) = 52.968 mm
    eta, soil = bucket(np.array([[[20.0]]]), np.array([[[80.0]]]), 150.0, 100.0)
    assert soil[0, 0, 0] == pytest.approx(100 * math.exp(-0.4), abs=1e-9)
    assert eta[0, 0, 0] == pytest.approx(20 + 100 - 100 * math.exp(-0.4), abs=1e-9)
    assert eta[0, 0, 0] == pytest.approx(52.968, abs=1e-3)


def test_wet_month_fills_and_spills():
    # P = 120 >= ETm = 50: ETa = ETm, W = min(150, 100 + 70) = 150 (20 mm runs off)
    eta, soil = bucket(np.array([[[120.0]]]), np.array([[[50.0]]]), 150.0, 100.0)
    assert eta[0, 0, 0] == 50.0 and soil[0, 0, 0] == 150.0


def test_two_months_and_window_ratio():
    p = np.array([[[120.0], [20.0]]])   # [Y=1, T=2, C=1]
    etm = np.array([[[50.0], [80.0]]])
    eta, soil = bucket(p, etm, 150.0, 100.0)
    # month 2 starts full: W' = 150 exp(-60/150), ETa = 20 + 150 (1 - exp(-0.4))
    eta2 = 20 + 150 * (1 - math.exp(-0.4))
    assert eta[0, 1, 0] == pytest.approx(eta2)
    ratio = window_ratio(eta, etm, np.array([0, 1]))
    assert ratio[0, 0] == pytest.approx((50 + eta2) / 130)


def test_eta_never_exceeds_demand_and_soil_in_bounds():
    rng = np.random.default_rng(0)
    p = rng.gamma(1.0, 40.0, (50, 24, 3))
    etm = rng.uniform(0, 200, (50, 24, 3))
    eta, soil = bucket(p, etm, 120.0, 60.0)
    assert np.all(eta <= etm + 1e-9) and np.all(eta >= 0)
    assert np.all((soil >= 0) & (soil <= 120.0))
    # mass balance: P - ETa - runoff = change of storage, runoff >= 0
    runoff = p.sum(axis=1) - eta.sum(axis=1) - (soil[:, -1] - 60.0)
    assert np.all(runoff >= -1e-9)


def test_relative_deficit():
    assert relative_deficit(np.array(0.7)) == pytest.approx(0.3)
    assert relative_deficit(np.array(0.5), np.array(0.8)) == pytest.approx(1 - 0.5 / 0.8)
    assert relative_deficit(np.array(0.9), np.array(0.8)) == 0.0   # wetter than normal: no deficit


def test_extraterrestrial_radiation_fao56_example_8():
    # FAO-56 example 8: 20 deg S, 3 September (J = 246): Ra = 32.2 MJ m-2 day-1
    assert pet.extraterrestrial_radiation(np.array([-20.0]), [246])[0, 0] / pet.MJ_TO_MM == pytest.approx(32.2, abs=0.05)


def test_day_length_equinox_and_summer():
    n = pet.day_length_hours(np.array([36.0]))
    assert 14.2 < n[5, 0] < 14.7          # mid-June at 36 N: about 14.5 h
    assert 9.5 < n[11, 0] < 10.0          # mid-December: about 9.7 h


def test_hargreaves_by_hand():
    lat = np.array([36.0])
    ra = pet.extraterrestrial_radiation(lat)[6, 0]   # July, mm/day
    temp = np.full((12, 1), 27.0)
    dtr = np.full((12, 1), 9.0)
    expected = 0.0023 * ra * (27.0 + 17.8) * 3.0 * 31
    assert pet.hargreaves(temp, dtr, lat)[6, 0] == pytest.approx(expected)


def test_thornthwaite_by_hand():
    # T = 20 deg C, I = 60: a = 6.75e-7 I^3 - 7.71e-5 I^2 + 1.792e-2 I + 0.49239 = 1.43583,
    # unadjusted PET = 16 (10 T / I)^a = 90.13 mm, times N/12 and days/30
    lat = np.array([36.0])
    temp = np.full((12, 1), 20.0)
    out = pet.thornthwaite(temp, lat, np.array([60.0]))
    a = 6.75e-7 * 60 ** 3 - 7.71e-5 * 60 ** 2 + 1.792e-2 * 60 + 0.49239
    assert a == pytest.approx(1.43583, abs=1e-5)
    unadjusted = 16 * (200 / 60) ** a
    assert unadjusted == pytest.approx(90.13, abs=0.02)
    n = pet.day_length_hours(lat)
    assert out[6, 0] == pytest.approx(unadjusted * n[6, 0] / 12 * 31 / 30)
    assert pet.thornthwaite(np.full((12, 1), -2.0), lat, np.array([60.0]))[0, 0] == 0.0
