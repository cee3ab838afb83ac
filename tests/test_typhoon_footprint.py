"""Typhoon footprint kernels and the Lekima (2019) replay.

Hand values are derived in the comments from the formulas in ``perils/typhoon/wind.py`` and
``rain.py`` (REFERENCE.md, Typhoons). Tracks here are tiny and synthetic, except Lekima: its CMA
best track (id 1909, 62 fixes: ``YYYYMMDDHH grade lat*10 lon*10 pressure_hPa wind_ms``) is copied
below from CMA/STI best-track data, Ying et al. 2014 (doi:10.1175/JTECH-D-12-00119.1) and Lu et
al. 2021 (doi:10.1007/s00376-020-0211-7), so the test needs no data file.
"""
import math
from dataclasses import replace

import numpy as np
import pytest

from perils.typhoon.footprint import FootprintParams, site_hazard, storm_footprint, typhoon_sites
from perils.typhoon.rain import RainParams, rcliper_parameters, rcliper_rate, storm_total_rain
from perils.typhoon.wind import (EARTH_RADIUS_M, Track, WindParams, atkinson_holliday_vmax, decay_over_land,
                                 gradient_wind, holland2008_b, holland_b_from_vmax, max_surface_wind_1min,
                                 max_wind_at_sites, rmax_vickery_wadhera_2008, rmax_willoughby_2006, storm_points)

LEKIMA_1909 = """
    2019080318 1 158 1315 1002 13  2019080400 1 163 1308 1002 13  2019080406 1 169 1304 1000 15
    2019080412 2 175 1303 998 18  2019080418 2 177 1302 995 20  2019080500 2 179 1301 995 20
    2019080506 2 181 1299 990 23  2019080512 2 183 1298 990 23  2019080518 3 186 1295 985 25
    2019080600 3 188 1292 985 25  2019080606 3 192 1289 982 28  2019080612 3 195 1286 980 30
    2019080618 4 199 1284 975 33  2019080700 4 204 1281 960 38  2019080706 4 209 1277 950 40
    2019080712 5 216 1270 940 50  2019080718 6 221 1264 925 55  2019080800 6 227 1259 925 55
    2019080806 6 237 1254 925 55  2019080812 6 244 1250 915 62  2019080818 6 255 1245 920 58
    2019080821 6 261 1240 925 55  2019080900 6 265 1234 925 55  2019080903 6 268 1229 930 52
    2019080906 5 270 1225 940 48  2019080909 5 273 1222 940 48  2019080912 5 275 1220 940 48
    2019080915 5 279 1217 935 50  2019080918 6 283 1214 930 52  2019080921 4 286 1210 960 40
    2019081000 4 289 1208 970 33  2019081003 3 294 1206 975 28  2019081006 3 299 1203 975 28
    2019081009 3 303 1202 978 25  2019081012 2 307 1202 980 23  2019081015 2 312 1203 980 23
    2019081018 2 317 1205 980 23  2019081021 2 326 1206 980 23  2019081100 2 336 1202 980 23
    2019081103 2 343 1198 980 23  2019081106 2 348 1199 980 23  2019081109 2 352 1200 980 23
    2019081112 2 358 1202 982 23  2019081115 2 365 1199 984 23  2019081118 2 369 1197 984 23
    2019081121 2 372 1194 984 23  2019081200 2 373 1191 984 23  2019081203 2 372 1191 984 23
    2019081206 2 371 1191 984 23  2019081209 2 370 1191 988 20  2019081212 2 369 1192 990 20
    2019081215 2 368 1194 990 20  2019081218 2 368 1196 992 18  2019081221 2 369 1198 992 18
    2019081300 1 373 1200 994 15  2019081303 1 377 1203 996 15  2019081306 1 382 1206 998 15
    2019081312 1 383 1211 1000 13  2019081318 1 382 1215 1000 13  2019081400 1 380 1219 1000 13
    2019081406 1 377 1223 1000 13  2019081412 1 375 1229 1000 13
"""


def straight_track(lat0=30.0, lon0=120.0, dlat_per_h=0.0, dlon_per_h=0.0, hours=48, pressure=960.0,
                   vmax=np.nan, rmax_km=None):
    """An hourly track moving at a constant rate (degrees per hour), constant intensity."""
    t = np.arange(hours + 1, dtype=np.float64)
    n = t.size
    rmax = None if rmax_km is None else np.full(n, rmax_km)
    return Track(t, lat0 + dlat_per_h * t, lon0 + dlon_per_h * t, np.full(n, pressure), np.full(n, vmax), rmax)


def east_of(lon, lat, km):
    """Longitude ``km`` east of (lon, lat) on the same parallel, as the kernels measure distance."""
    return lon + math.degrees(km * 1000.0 / (EARTH_RADIUS_M * math.cos(math.radians(lat))))


# --------------------------------------------------------------------------------------------
# Holland profile, B, Rmax

def test_holland_gradient_wind_hand_values():
    # dp = 40 hPa = 4000 Pa, B = 1.5, Rmax = 40 km, lat 30N, rho = 1.15 kg/m3.
    # f = 2 Omega sin 30 = 7.292115e-5 1/s; A = (B / rho) dp = 1.5 / 1.15 * 4000 = 5217.391 m2/s2.
    # V = sqrt(A x exp(-x) + (r f / 2)^2) - r f / 2, x = (Rmax / r)^B:
    #   r =  20 km: x = 2^1.5 = 2.828427, exp(-x) = 0.059106, A x e^-x = 872.224, rf/2 = 0.729211 -> 28.8132
    #   r =  40 km: x = 1,                exp(-x) = 0.367879,              1919.371,         1.458423 -> 42.3765
    #   r =  60 km: x = (2/3)^1.5 = 0.544331, exp(-x) = 0.580230,          1647.846,         2.187634 -> 38.4649
    #   r = 100 km: x = 0.4^1.5 = 0.252982,   exp(-x) = 0.776482,          1024.884,         3.646057 -> 28.5747
    #   r = 200 km: x = 0.2^1.5 = 0.089443,   exp(-x) = 0.914441,           426.731,         7.292115 -> 14.6146
    v = gradient_wind([20.0, 40.0, 60.0, 100.0, 200.0], dp_hpa=40.0, rmax_km=40.0, holland_b=1.5, lat_deg=30.0)
    np.testing.assert_allclose(v, [28.8132, 42.3765, 38.4649, 28.5747, 14.6146], atol=2e-4)
    assert gradient_wind([0.0], 40.0, 40.0, 1.5, 30.0)[0] == 0.0          # calm at the centre


def test_holland_wind_is_maximal_near_rmax():
    r = np.linspace(1.0, 300.0, 2991)
    v = gradient_wind(r, dp_hpa=40.0, rmax_km=40.0, holland_b=1.5, lat_deg=30.0)
    assert 38.0 <= r[np.argmax(v)] <= 41.0          # Coriolis moves the peak a little inside Rmax
    assert np.all(np.diff(v[r > 41.0]) < 0)        # and the profile falls monotonically beyond it


def test_holland2008_b_hand_value_and_clip():
    # dp = 40 hPa, dpc/dt = 0, lat 30, vt = 5 m/s: x = 0.6 (1 - 40/215) = 0.488372, 5^x = 2.194610,
    # b = -4.4e-5 * 1600 + 0.01 * 40 - 0.014 * 30 + 0.15 * 2.194610 + 1 = -0.0704 + 0.4 - 0.42 + 0.329192 + 1
    #   = 1.238792; filling at 1 hPa/h adds 0.03.
    assert holland2008_b(40.0, 0.0, 30.0, 5.0) == pytest.approx(1.238792, abs=1e-6)
    assert holland2008_b(40.0, 1.0, 30.0, 5.0) == pytest.approx(1.268792, abs=1e-6)
    # dp = 5, dpc/dt = -5, lat 60, vt = 0: -0.0011 + 0.05 - 0.15 - 0.84 + 0 + 1 = 0.0589 -> clipped to 0.8
    assert holland2008_b(5.0, -5.0, 60.0, 0.0) == 0.8


def test_holland_b_from_vmax_hand_value():
    # Vmax 1-min 36 m/s over sea (factor 0.9) -> Vg_max = 40 m/s; standing storm (vt = 0), dp = 40 hPa:
    # B = rho e Vg^2 / dp = 1.15 * 2.718282 * 1600 / 4000 = 1.250410
    assert holland_b_from_vmax(36.0, 40.0, 0.0, WindParams()) == pytest.approx(1.250410, abs=1e-6)
    # moving at 10 m/s: Vg_max = 40 - 0.55 * 10 = 34.5, B = 1.15 * 2.718282 * 1190.25 / 4000 = 0.930188
    assert holland_b_from_vmax(36.0, 40.0, 10.0, WindParams()) == pytest.approx(0.930188, abs=1e-6)


def test_rmax_relations_hand_values():
    # Vickery & Wadhera 2008: ln Rmax = 3.015 - 6.291e-5 * 40^2 + 0.0337 * 30 = 3.925344 -> 50.6705 km
    assert rmax_vickery_wadhera_2008(40.0, 30.0) == pytest.approx(50.6705, abs=1e-3)
    # Willoughby et al. 2006: 46.4 exp(-0.0155 * 40 + 0.0169 * 30) = 46.4 exp(-0.113) = 41.4422 km
    assert rmax_willoughby_2006(40.0, 30.0, 40.0) == pytest.approx(41.4422, abs=1e-3)


def test_atkinson_holliday():
    # 6.7 (1010 - 960)^0.644 kt = 6.7 * 12.4335 = 83.30 kt = 42.86 m/s (1-min) -> / (1.15/1.11) = 41.37 m/s CMA 2-min
    assert atkinson_holliday_vmax(960.0) == pytest.approx(6.7 * 50.0 ** 0.644 * 0.514444 * 1.11 / 1.15, rel=1e-12)
    assert atkinson_holliday_vmax(1012.0) == 0.0


# --------------------------------------------------------------------------------------------
# Wind field at sites

def test_stationary_storm_site_wind_equals_profile():
    # One point, no motion (no asymmetry): the 1-min wind at a site r km east is factor * Vg(r) with
    # the point's own B (Holland 2008 with vt = 0, dpc/dt = 0) and the given Rmax.
    track = Track(np.array([0.0]), np.array([30.0]), np.array([125.0]), np.array([970.0]), np.array([35.0]),
                  np.array([40.0]))
    b = storm_points(track).holland_b[0]
    radii = np.array([5.0, 20.0, 40.0, 60.0, 150.0, 390.0])
    lon = np.array([east_of(125.0, 30.0, r) for r in radii])
    v1 = max_surface_wind_1min(track, lon, np.full(radii.size, 30.0), 0.9)
    np.testing.assert_allclose(v1, 0.9 * gradient_wind(radii, 40.0, 40.0, b, 30.0), rtol=2e-4, atol=2e-3)
    # beyond the cut-off (10 Rmax = 400 km) the site is skipped
    assert max_surface_wind_1min(track, [east_of(125.0, 30.0, 410.0)], [30.0], 0.9)[0] == 0.0


def test_right_of_track_is_windier():
    # Moving north at 0.2 deg/h (about 6.2 m/s); sites 60 km east (right) and west (left) of the track's
    # midpoint: the translation vector adds on the right and subtracts on the left.
    track = straight_track(lat0=30.0, dlat_per_h=0.2, hours=40, pressure=965.0)
    lat = 34.0
    lon = np.array([east_of(120.0, lat, 60.0), east_of(120.0, lat, -60.0)])
    gust, _ = max_wind_at_sites(track, lon, np.full(2, lat), 0.75)
    assert gust[0] > gust[1] + 3.0
    # a standing storm is symmetric
    still = Track(np.array([0.0]), np.array([lat]), np.array([120.0]), np.array([965.0]), np.array([np.nan]))
    g_still, _ = max_wind_at_sites(still, lon, np.full(2, lat), 0.75)
    assert g_still[0] == pytest.approx(g_still[1], rel=1e-9)


def test_gust_and_sustained_follow_the_factor_chain():
    p = WindParams()
    # 2-min -> 1-min x G(3,120)/G(3,60) = 1.42/1.36 = 1.0441; 1-min -> 10-min x G(3,60)/G(3,600) = 1.36/1.52
    # = 0.8947; 10-min -> 3-s gust x G(3,600) = 1.52: gust / 2-min = 1.0441 * 0.8947 * 1.52 = 1.42 = G(3,120).
    chain = (1.42 / 1.36) * (1.36 / 1.52) * 1.52
    track = straight_track(dlat_per_h=0.2, hours=30, pressure=970.0)
    lon, lat = np.linspace(118.0, 122.0, 41), np.full(41, 32.0)
    gust, sustained = max_wind_at_sites(track, lon, lat, 0.75, p)
    v1 = max_surface_wind_1min(track, lon, lat, 0.75, p)
    hit = sustained > 0
    assert hit.sum() > 20
    np.testing.assert_allclose(gust[hit] / sustained[hit], chain, rtol=1e-12)
    np.testing.assert_allclose(gust, v1 * 1.36, rtol=1e-12)
    np.testing.assert_allclose(sustained, v1 * 1.36 / 1.42, rtol=1e-12)
    # the land factor scales the whole field
    g_sea, _ = max_wind_at_sites(track, lon, lat, 0.9, p)
    np.testing.assert_allclose(g_sea, gust * 0.9 / 0.75, rtol=1e-12)


def test_track_crossing_the_coast_decays():
    # West-moving storm, land west of 120E: 40 m/s, 950 hPa until landfall at t = 10 h (lon 120 - 0.0).
    track = straight_track(lat0=30.0, lon0=121.0, dlon_per_h=-0.1, hours=40, pressure=950.0, vmax=40.0)
    def land(lat, lon):
        return np.asarray(lon) <= 120.0 + 1e-9

    decayed = decay_over_land(track, land)
    sea = track.lon > 120.0 + 1e-9
    np.testing.assert_array_equal(decayed.vmax_ms[sea], 40.0)
    np.testing.assert_array_equal(decayed.pressure_hpa[sea], 950.0)
    assert np.all(np.diff(decayed.vmax_ms[~sea]) < 0) and np.all(np.diff(decayed.pressure_hpa[~sea]) > 0)
    # Kaplan-DeMaria: t - t0 = 10 h after landfall, V = 13.7 + (0.9 * 40 - 13.7) exp(-0.095 * 10)
    #   = 13.7 + 22.3 * 0.386741 = 22.3243 m/s; dp = 60 (22.3243 / 36)^(1/0.644) = 28.5699 hPa
    i = int(np.flatnonzero(~sea)[0]) + 10
    assert decayed.vmax_ms[i] == pytest.approx(22.3243, abs=1e-4)
    assert decayed.pressure_hpa[i] == pytest.approx(1010.0 - 28.5699, abs=1e-3)
    # the wind at an inland site 150 km from the coast is lower with the decay
    site_lon, site_lat = [east_of(120.0, 30.0, -150.0)], [30.0]
    assert max_wind_at_sites(decayed, site_lon, site_lat, 0.75)[0][0] < 0.7 * max_wind_at_sites(
        track, site_lon, site_lat, 0.75)[0][0]
    assert track.vmax_ms[0] == 40.0 and np.all(track.pressure_hpa == 950.0)   # input untouched


def test_decay_along_a_ragged_coast_applies_the_landfall_drop_once():
    # The centre flips between land and sea every hour for 40 h: at most 20 h count as land time, and
    # the R = 0.9 drop is applied once, so the end wind is at least the Kaplan-DeMaria value after
    # 40 h on land, 13.7 + (36 - 13.7) exp(-0.095 * 40) = 14.199 m/s (0.9^20 * 40 = 4.9 m/s if R compounded).
    track = straight_track(lat0=30.0, lon0=121.0, dlon_per_h=-0.1, hours=40, pressure=950.0, vmax=40.0)
    flips = np.arange(track.time_h.size) % 2 == 1

    decayed = decay_over_land(track, lambda lat, lon: flips)
    assert decayed.vmax_ms[0] == 40.0 and decayed.vmax_ms[1] == 36.0
    assert decayed.vmax_ms[-1] >= 13.7 + 22.3 * math.exp(-0.095 * 40) - 1e-9
    assert np.all(np.diff(decayed.vmax_ms) <= 0) and np.all(np.diff(decayed.pressure_hpa) >= 0)


def test_land_mask_reads_the_same_cells_as_the_package():
    globe = pytest.importorskip("global_land_mask.globe")
    from perils.typhoon.wind import land_mask
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(33.5, 38.5, 5000), rng.uniform(114.5, 123.0, 5000)   # Shandong and its coast
    np.testing.assert_array_equal(land_mask(lat, lon), globe.is_land(lat, lon))
    lat, lon = np.array([90.0, -90.0, 0.0, 36.71]), np.array([180.0, -180.0, 0.0, 119.16])   # edges of the grid
    np.testing.assert_array_equal(land_mask(lat, lon), globe.is_land(lat, lon))


def test_land_mask_finds_shandong():
    pytest.importorskip("global_land_mask")
    from perils.typhoon.wind import land_mask
    # Weifang city on land; the Yellow Sea east of Qingdao not
    np.testing.assert_array_equal(land_mask([36.71, 35.5], [119.16, 122.0]), [True, False])


# --------------------------------------------------------------------------------------------
# Rain

def test_rcliper_hand_values():
    # Vmax = 35 kt (1-min): U = 1, T0 = -1.10 + 3.96 = 2.86 in/day = 3.02683 mm/h, Tm = -1.60 + 4.80 = 3.20 in/day
    # = 3.38667 mm/h, rm = 64.5 - 13 = 51.5 km, re = 150 - 16 = 134 km.
    t0, tm, rm, re = rcliper_parameters(35.0 * 0.514444)
    assert (t0, tm, rm, re) == pytest.approx((3.026833, 3.386667, 51.5, 134.0), abs=1e-5)
    assert rcliper_rate(0.0, t0, tm, rm * 1e3, re * 1e3) == pytest.approx(3.026833, abs=1e-6)
    assert rcliper_rate(51.5e3, t0, tm, rm * 1e3, re * 1e3) == pytest.approx(3.386667, abs=1e-6)
    # one e-folding beyond rm: Tm / e = 1.245885 mm/h
    assert rcliper_rate(185.5e3, t0, tm, rm * 1e3, re * 1e3) == pytest.approx(1.245885, abs=1e-6)


def test_rain_field_limits():
    track = straight_track(lat0=28.0, dlat_per_h=0.15, hours=48, pressure=975.0)
    km = np.array([0.0, 25.0, 50.0, 100.0, 200.0, 300.0, 450.0, 600.0, 2000.0])
    lon, lat = np.array([east_of(120.0, 31.5, d) for d in km]), np.full(km.size, 31.5)
    rain = storm_total_rain(track, lon, lat, 1.0)
    assert np.all(np.isfinite(rain)) and np.all(rain >= 0.0)
    assert np.all(np.diff(rain[2:-1]) < 0)        # falls with distance beyond rm, to zero
    assert rain[-1] == 0.0 and rain[-2] == 0.0    # nothing beyond the 500 km cut-off
    assert 20.0 < rain[0] < 1000.0
    # a storm too weak for R-CLIPER (U small: negative rates) gives zero, not negative, rain
    weak = straight_track(lat0=30.0, dlat_per_h=0.1, hours=10, pressure=1008.0, vmax=5.0)
    assert np.all(storm_total_rain(weak, lon, lat, 1.0) == 0.0)
    # terrain factor and ET factor multiply
    np.testing.assert_allclose(storm_total_rain(track, lon, lat, 1.5), 1.5 * rain, rtol=1e-12)
    et = replace(RainParams(), et_factor=2.0, et_lat_deg=0.0)
    np.testing.assert_allclose(storm_total_rain(track, lon, lat, 1.0, et), 2.0 * rain, rtol=1e-12)


def test_rain_total_does_not_depend_on_the_time_step():
    track = straight_track(lat0=28.0, dlat_per_h=0.15, hours=48, pressure=975.0)
    lon, lat = np.array([120.0, 121.0]), np.array([31.0, 31.5])
    hourly = storm_total_rain(track, lon, lat)
    half = Track(*(None if a is None else np.interp(np.arange(0, 48.01, 0.5), track.time_h, a) for a in track[:6]))
    np.testing.assert_allclose(storm_total_rain(half, lon, lat), hourly, rtol=2e-3)


# --------------------------------------------------------------------------------------------
# Footprint

def test_footprint_order_thresholds_and_types():
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(110.0, 130.0, 500), rng.uniform(25.0, 45.0, 500)
    sites = typhoon_sites(lon, lat, is_land=rng.random(500) < 0.7)
    track = straight_track(lat0=28.0, lon0=121.0, dlat_per_h=0.2, dlon_per_h=-0.03, hours=48, pressure=970.0)
    params = FootprintParams()
    site, gust, rain = storm_footprint(track, sites, params)
    assert site.dtype == np.int32 and gust.dtype == np.float32 and rain.dtype == np.float32
    assert np.all(np.diff(site) > 0)
    gust_all, _, rain_all = site_hazard(track, sites, params)
    kept = (gust_all >= params.min_gust_ms) | (rain_all >= params.min_rain_mm)
    np.testing.assert_array_equal(site, np.flatnonzero(kept))
    assert 100 < site.size < 400
    assert np.any(gust < params.min_gust_ms) and np.any(rain < params.min_rain_mm)   # kept for the other
    np.testing.assert_allclose(gust, gust_all[site], rtol=1e-6)
    np.testing.assert_allclose(rain, rain_all[site], rtol=1e-6)
    # a 6-hourly copy of the track gives the same footprint (resampled hourly first)
    six = Track(*(None if a is None else a[::6] for a in track[:6]))
    np.testing.assert_array_equal(storm_footprint(six, sites, params)[0], site)


def test_footprint_params_from_dict():
    p = FootprintParams.from_dict({"wind": {"rmax_relation": "willoughby_2006"}, "rain": {"scale": 1.0},
                                   "min_gust_ms": 20.0})
    assert p.wind.rmax_relation == "willoughby_2006" and p.rain.scale == 1.0 and p.min_gust_ms == 20.0
    with pytest.raises(TypeError):
        FootprintParams.from_dict({"wind": {"no_such_key": 1}})
    with pytest.raises(ValueError):
        WindParams(rmax_relation="nope")


# --------------------------------------------------------------------------------------------
# Lekima (2019) replay against REFERENCE.md

@pytest.fixture(scope="session")
def lekima():
    fixes = [f.split() for f in LEKIMA_1909.split("\n") for f in f.split("  ") if f.strip()]
    stamps = np.array([np.datetime64(f"{s[:4]}-{s[4:6]}-{s[6:8]}T{s[8:10]}") for s, *_ in fixes])
    return Track(((stamps - stamps[0]) / np.timedelta64(1, "h")).astype(np.float64),
                 np.array([int(f[2]) / 10 for f in fixes]), np.array([int(f[3]) / 10 for f in fixes]),
                 np.array([float(f[4]) for f in fixes]), np.array([float(f[5]) for f in fixes]), None,
                 np.array([int(f[1]) for f in fixes]))


def test_lekima_replay(lekima):
    from engine.geo import county_of, load_counties

    assert lekima.time_h.size == 62 and lekima.pressure_hpa.min() == 915.0
    # Qingdao Huangdao (landfall 11 Aug, CMA 23 m/s 2-min), Weifang city, Shouguang; all on land
    sites = typhoon_sites([120.2, 119.16, 118.79], [35.95, 36.71, 36.86], is_land=True)
    gust, sustained, rain = site_hazard(lekima, sites)
    assert 18.0 <= sustained[0] <= 28.0
    assert gust[0] == pytest.approx(sustained[0] * 1.42)
    assert 150.0 <= rain[2] <= 350.0                     # Shouguang, observed 287 mm
    # Weifang prefecture areal mean (observed 217.5 mm; RainParams.scale was fitted to it on a 0.02-degree
    # grid, here a 0.05-degree one)
    counties = load_counties()
    weifang = counties.adcode[counties.prefecture_name.str.contains("潍坊")].to_numpy()
    grid_lon, grid_lat = np.meshgrid(np.arange(118.1, 120.05, 0.05) + 0.025, np.arange(35.6, 37.4, 0.05) + 0.025)
    inside = np.isin(county_of(grid_lon.ravel(), grid_lat.ravel()), weifang)
    assert inside.sum() > 500
    _, _, grid_rain = site_hazard(lekima, typhoon_sites(grid_lon.ravel()[inside], grid_lat.ravel()[inside],
                                                        is_land=True))
    assert grid_rain.mean() == pytest.approx(217.5, rel=0.03)
