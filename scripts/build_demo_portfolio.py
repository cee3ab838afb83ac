"""Build the embedded Shandong demo portfolio: engine/data/portfolios/shandong_demo.csv and its README.

    python scripts/build_demo_portfolio.py

Deterministic: every random stream is a numpy Generator keyed by (SEED, stream name), so a rerun
gives the same file byte for byte and changing one product's stream leaves the others untouched.
Every figure used is a named constant below, marked [S] (sourced; source given, mostly
shared/REFERENCE.md) or [E] (an assumption of this demo). The README is written from the same
constants, so it cannot drift from the CSV.
"""
from __future__ import annotations

import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a plain checkout
from engine import geo  # noqa: E402

SEED = 370000  # [E] any fixed integer; 370000 is Shandong's province adcode
OUT_DIR = geo.DATA_DIR / "portfolios"
CSV_PATH = OUT_DIR / "shandong_demo.csv"
README_PATH = OUT_DIR / "README.md"

COLUMNS = ["risk_id", "policy_id", "product", "asset_class", "county", "lon", "lat", "quantity",
           "quantity_unit", "value", "sum_insured", "deductible", "limit", "franchise", "coinsurance",
           "policy_deductible", "policy_limit", "carbon_kind", "carbon_group", "stand_age_years", "area_mu",
           "contracted_tco2e"]

DISTRICT, COUNTY, CITY = "市辖区", "县", "县级市"
PREFECTURE_NAMES = {
    370100: "Jinan", 370200: "Qingdao", 370300: "Zibo", 370400: "Zaozhuang", 370500: "Dongying",
    370600: "Yantai", 370700: "Weifang", 370800: "Jining", 370900: "Tai'an", 371000: "Weihai",
    371100: "Rizhao", 371300: "Linyi", 371400: "Dezhou", 371500: "Liaocheng", 371600: "Binzhou",
    371700: "Heze",
}
TYPE_LABEL = {DISTRICT: "district", CITY: "county-level city", COUNTY: "county"}

# --- cat_property -------------------------------------------------------------------------
# Aggregate risks (all buildings of one class in one town or urban block), sites per county. [E]
SITES_PER_COUNTY = {  # (residential, commercial, industrial)
    DISTRICT: (10, 7, 4),
    CITY: (9, 4, 6),
    COUNTY: (7, 3, 5),
}
# Coastal prefectures get more sites: exposed to typhoon rain and storm surge, and the insurer's
# book is concentrated there. [E]
COASTAL_PREFECTURES = (370200, 370600, 371000, 371100, 370700, 370500)  # Qingdao Yantai Weihai Rizhao Weifang Dongying
COASTAL_SITE_FACTOR = 1.4  # [E]
# Median value of one aggregate risk, CNY, before the prefecture factor. [E]
MEDIAN_VALUE = {
    "residential": {DISTRICT: 3.0e8, CITY: 1.5e8, COUNTY: 1.0e8},
    "commercial": {DISTRICT: 2.5e8, CITY: 1.2e8, COUNTY: 0.6e8},
    "industrial": {DISTRICT: 2.0e8, CITY: 1.8e8, COUNTY: 1.0e8},
}
VALUE_LOG_SIGMA = 0.7  # [E] lognormal spread of values around the median
VALUE_RANGE = (1.0e7, 1.5e9)  # [E] clip, CNY: "order 1e7-1e9 per aggregate risk"
# Relative value density by prefecture, loosely following GDP per head (rough ranking, not data). [E]
PREFECTURE_VALUE_FACTOR = {
    370100: 1.4, 370200: 1.5, 370300: 1.1, 370400: 0.8, 370500: 1.3, 370600: 1.3, 370700: 1.0,
    370800: 0.85, 370900: 0.85, 371000: 1.2, 371100: 1.0, 371300: 0.8, 371400: 0.8, 371500: 0.75,
    371600: 0.9, 371700: 0.7,
}
# Average value of one building, CNY, to express quantity as a building count. [E]
BUILDING_VALUE = {
    "residential": {DISTRICT: 8.0e6, CITY: 4.0e6, COUNTY: 2.0e6},
    "commercial": {DISTRICT: 3.0e7, CITY: 3.0e7, COUNTY: 3.0e7},
    "industrial": {DISTRICT: 1.5e7, CITY: 1.5e7, COUNTY: 1.5e7},
}
# Distance of a site from the county seat: 0.5 km + exponential(scale), capped. [E]
SITE_SCALE_KM = {DISTRICT: 3.0, CITY: 6.0, COUNTY: 6.0}
SITE_MAX_KM = {DISTRICT: 12.0, CITY: 20.0, COUNTY: 20.0}
# Insurance-to-value: share of risks insured to full value, else sum insured = value x U(lo, hi). [E]
FULL_VALUE_SHARE = {"residential": 0.75, "commercial": 0.85, "industrial": 0.85}
UNDERINSURED_RATIO = {"residential": (0.60, 0.95), "commercial": (0.70, 0.95), "industrial": (0.70, 0.95)}
DEDUCTIBLE_RATE = (0.005, 0.010)  # [E] per-risk deductible, share of sum insured (brief: 0.5-1%)
RESIDENTIAL_FRANCHISE_SHARE = 0.05  # [E] residential risks with a franchise instead of a deductible
FIRST_LOSS_SHARE = 0.10  # [E] commercial/industrial risks with a first-loss limit ...
FIRST_LOSS_RATIO = 0.5  # [E] ... of this share of the sum insured
COINSURED_SHARE = 0.15  # [E] commercial/industrial risks shared with other insurers (co-insurance panel)
COINSURANCE_SHARES = (0.3, 0.5, 0.6, 0.7)  # [E] our share on such a panel
# Prefecture-wide commercial and industrial policies: per-occurrence policy deductible and limit as a
# share of the policy's sum insured times our share. [E]
POLICY_DEDUCTIBLE_RATE = 0.002
POLICY_LIMIT_RATE = 0.20

# --- crop_full_cost -----------------------------------------------------------------------
# [S] Full-cost insurance sums insured, CNY/mu: wheat Shandong 2024 (Weihai, Taishan notices);
# maize and rice Rizhao 2025 (low reliability). shared/REFERENCE.md "Agricultural insurance".
CROP_SUM_INSURED_PER_MU = {"wheat": 1000.0, "maize": 950.0, "rice": 1150.0}
# [E] Provincial planted area, mu: about 60 M mu each of wheat and maize (order of magnitude of
# Shandong's ~4 M ha of each); rice a small crop in the counties listed below.
PLANTED_AREA_MU = {"wheat": 60.0e6, "maize": 60.0e6, "rice": 1.2e6}
FULL_COST_TAKE_UP = 0.70  # [E] share of planted area insured under full-cost cover
# [E] Urban-core districts without a grain risk.
URBAN_CORE = (370102, 370103, 370104, 370105, 370202, 370203, 370212, 370213, 370303, 370602,
              370613, 370702, 370705, 370902, 371002)
DISTRICT_CROP_FACTOR = 0.7  # [E] remaining districts have less farmland per km2 than counties
# [E] Relative grain-planting intensity per km2 by prefecture: high on the western plain (Heze,
# Dezhou, Liaocheng, Jining), low in the hills and on the Jiaodong peninsula (Yantai, Weihai).
PREFECTURE_GRAIN_FACTOR = {
    370100: 0.9, 370200: 0.8, 370300: 0.7, 370400: 1.0, 370500: 0.6, 370600: 0.4, 370700: 0.9,
    370800: 1.1, 370900: 0.9, 371000: 0.35, 371100: 0.5, 371300: 0.7, 371400: 1.3, 371500: 1.3,
    371600: 1.0, 371700: 1.3,
}
# [E] Rice counties and their shares of the provincial rice area (brief: around Jining/Nansi Lake,
# the Linyi plain, the Yellow River delta in Dongying, Zhangqiu in Jinan).
RICE_SHARE = {
    370827: 0.20, 370826: 0.10, 370829: 0.06, 370811: 0.06,                 # Yutai, Weishan, Jiaxiang, Rencheng
    371329: 0.10, 371322: 0.10, 371327: 0.08, 371312: 0.07, 371311: 0.05,   # Linshu, Tancheng, Junan, Hedong, Luozhuang
    370505: 0.06, 370522: 0.04, 370503: 0.04,                               # Kenli, Lijin, Hekou
    370114: 0.04,                                                           # Zhangqiu
}

# --- special_crop and forest: (county, asset_class) -> (insured mu, CNY/mu, plots, source) -----
_APPLE = "[S] CNY/mu within the 2,000-4,000 range; [E] area and the point in the range"
SPECIAL_CROPS = {
    (370828, "garlic"): (600_000, 1800.0, 6, "[S] area and CNY/mu: Jinxiang garlic target-price index (2020)"),
    (370783, "greenhouse_vegetable"): (120_000, 6000.0, 8,
                                       "[S] CNY/mu: Shouguang winter greenhouses (2013); [E] area"),
    (370686, "apple"): (200_000, 4000.0, 4, _APPLE),  # Qixia
    (370614, "apple"): (80_000, 3500.0, 4, _APPLE),   # Penglai
    (370685, "apple"): (60_000, 3000.0, 4, _APPLE),   # Zhaoyuan
    (370682, "apple"): (60_000, 2500.0, 4, _APPLE),   # Laiyang
    (370612, "apple"): (50_000, 2500.0, 4, _APPLE),   # Muping
}
FORESTS = {  # carbon-sink pilots, here as plain forest-damage cover
    370323: (416_000, 60.0, 5, "[S] area and CNY/mu: Yiyuan 2023 public-welfare forest pilot"),
    371328: (50_000, 500.0, 4, "[S] CNY/mu: Mengyin 2022 pilot (about 500); [E] area"),
    370883: (10_000, 50.0, 3, "[S] CNY/mu: Zoucheng 2023 new-afforestation pilot (about 50); [E] area"),
}
PLOT_SCALE_KM = 6.0  # [E] plots scattered around the county centroid: exponential distance ...
PLOT_MAX_KM = 20.0   # ... capped
PLOT_AREA_CONCENTRATION = 4.0  # [E] Dirichlet parameter splitting a county's area into plots

KM_PER_DEG_LAT = np.pi * geo.EARTH_RADIUS_KM / 180.0

# --- Yellow River floodplain (滩区) and Dongping Lake exposures ------------------------------
# Appended after every other risk, with their own policies, so the rows above are unchanged.
# Placed with the approximate river geography of perils/yellow_river/geography.py [E]: floodplain
# risks inside the dike band of their reach on their county's bank, Dongping risks inside the lake
# polygons; the yellow_river peril derives the same attributes from the coordinates.
# zone: ("floodplain", reaches) or ("old_lake",) / ("new_lake",); counties allowed for lake points.
YR_FARMLAND_SHARE = 0.7   # [E] share of the floodplain area that is farmland
YR_TAKE_UP = 0.7          # [E] full-cost take-up, as above
DONGMING_FLOODPLAIN_MU = 477_200       # [S] Dongming county floodplain (REFERENCE.md)
DONGPING_NEW_LAKE_MU = 423.0 * 1500    # [S] new lake 423 km2 of farmland (1 km2 = 1,500 mu)
YR_RESIDENTIAL_MEDIAN = 8.0e7          # [E] value of one aggregate village risk, CNY (lognormal median) ...
YR_RESIDENTIAL_SIGMA = 0.5             # [E] ... and spread
YR_GROUPS = [  # (county, zone, asset_class, risks, insured mu (crops) or None, source)
    (371728, ("floodplain", (0, 1)), "residential", 8, None,
     "[S] Dongming floodplain: 118 villages, 125,800 people; [E] values"),
    (371728, ("floodplain", (0, 1)), "wheat", 6, DONGMING_FLOODPLAIN_MU * YR_FARMLAND_SHARE * YR_TAKE_UP,
     "[S] Dongming floodplain 477,200 mu; [E] farmland share and take-up"),
    (371728, ("floodplain", (0, 1)), "maize", 6, DONGMING_FLOODPLAIN_MU * YR_FARMLAND_SHARE * YR_TAKE_UP,
     "[S] Dongming floodplain 477,200 mu; [E] farmland share and take-up"),
    (370923, ("new_lake", (370923, 370832)), "residential", 6, None, "[E] villages in the new lake detention area"),
    (370923, ("new_lake", (370923, 370832)), "wheat", 6, DONGPING_NEW_LAKE_MU * YR_TAKE_UP,
     "[S] new lake 423 km2 of farmland; [E] take-up"),
    (370923, ("new_lake", (370923, 370832)), "maize", 6, DONGPING_NEW_LAKE_MU * YR_TAKE_UP,
     "[S] new lake 423 km2 of farmland; [E] take-up"),
    (370923, ("old_lake", (370923, 370124)), "residential", 2, None, "[E] lake-shore fishing villages"),
    (370522, ("floodplain", (3,)), "residential", 4, None, "[E] Lijin floodplain villages"),
    (370522, ("floodplain", (3,)), "wheat", 3, 30_000.0, "[E] Lijin floodplain farmland"),
    (370522, ("floodplain", (3,)), "maize", 3, 30_000.0, "[E] Lijin floodplain farmland"),
    (370505, ("floodplain", (3,)), "residential", 4, None, "[E] Kenli floodplain villages"),
    (370505, ("floodplain", (3,)), "wheat", 3, 30_000.0, "[E] Kenli floodplain farmland"),
    (370505, ("floodplain", (3,)), "maize", 3, 30_000.0, "[E] Kenli floodplain farmland"),
]



def generator(stream: str) -> np.random.Generator:
    """The Generator of one named stream: keyed by (SEED, crc32 of the name)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([SEED, zlib.crc32(stream.encode())])))


def county_area_km2() -> pd.Series:
    """Land area per county, km2, from the boundary rings (local equirectangular shoelace)."""
    areas = {}
    for adcode, rings in geo.load_county_boundaries().items():
        total = 0.0
        for ring in rings:
            x = np.radians(ring[:, 0]) * geo.EARTH_RADIUS_KM * np.cos(np.radians(ring[:, 1].mean()))
            y = np.radians(ring[:, 1]) * geo.EARTH_RADIUS_KM
            total += 0.5 * abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))
        areas[adcode] = total
    return pd.Series(areas, name="area_km2")


def anchor_points(counties: pd.DataFrame) -> pd.DataFrame:
    """WGS-84 centroid of each county, or its seat where the centroid lies outside the county."""
    inside = geo.county_of(counties["centroid_lon"], counties["centroid_lat"]) == counties["adcode"].to_numpy()
    return pd.DataFrame({
        "lon": np.where(inside, counties["centroid_lon"], counties["lon"]),
        "lat": np.where(inside, counties["centroid_lat"], counties["lat"]),
        "anchor": np.where(inside, "centroid", "seat"),
    }, index=counties["adcode"].to_numpy())


def scatter(rng, adcode, lon0, lat0, n, scale_km, max_km):
    """n points around (lon0, lat0), 0.5 km + exponential(scale_km) away, capped, inside county adcode.

    Points that land outside their county are redrawn; after 50 rounds the scale halves each round
    (small urban districts); the anchor itself is the last resort.
    """
    lon = np.full(n, lon0)
    lat = np.full(n, lat0)
    todo = np.arange(n)
    for attempt in range(80):
        if todo.size == 0:
            break
        shrink = 0.5 ** max(0, attempt - 49)
        distance = np.minimum(0.5 + rng.exponential(scale_km, todo.size), max_km) * shrink
        bearing = rng.uniform(0.0, 2.0 * np.pi, todo.size)
        lat[todo] = lat0 + distance * np.cos(bearing) / KM_PER_DEG_LAT
        lon[todo] = lon0 + distance * np.sin(bearing) / (KM_PER_DEG_LAT * np.cos(np.radians(lat0)))
        todo = todo[geo.county_of(lon[todo], lat[todo]) != adcode]
    lon[todo], lat[todo] = lon0, lat0
    return np.round(lon, 5), np.round(lat, 5)


def split_area(rng, total, plots):
    """Split total (mu) into plots with Dirichlet shares, rounded to 10 mu, summing exactly to total."""
    shares = rng.dirichlet(np.full(plots, PLOT_AREA_CONCENTRATION))
    parts = np.round(shares * total / 10.0) * 10.0
    parts[-1] = total - parts[:-1].sum()
    return parts


def property_risks(counties: pd.DataFrame) -> pd.DataFrame:
    rng = generator("cat_property")
    rows = []
    for county in counties.itertuples(index=False):
        counts = SITES_PER_COUNTY[county.type]
        coastal = county.prefecture_adcode in COASTAL_PREFECTURES
        serial = 0
        for asset_class, base_count in zip(("residential", "commercial", "industrial"), counts):
            n = int(round(base_count * (COASTAL_SITE_FACTOR if coastal else 1.0)))
            lon, lat = scatter(rng, county.adcode, county.lon, county.lat, n,
                               SITE_SCALE_KM[county.type], SITE_MAX_KM[county.type])
            median = MEDIAN_VALUE[asset_class][county.type] * PREFECTURE_VALUE_FACTOR[county.prefecture_adcode]
            value = np.round(np.clip(median * rng.lognormal(0.0, VALUE_LOG_SIGMA, n), *VALUE_RANGE), -3)
            ratio = np.where(rng.uniform(size=n) < FULL_VALUE_SHARE[asset_class], 1.0,
                             rng.uniform(*UNDERINSURED_RATIO[asset_class], n))
            sum_insured = np.floor(value * ratio / 1000.0) * 1000.0
            deductible = np.round(sum_insured * rng.uniform(*DEDUCTIBLE_RATE, n), -3)
            franchise = np.zeros(n)
            limit = sum_insured.copy()
            coinsurance = np.ones(n)
            if asset_class == "residential":
                with_franchise = rng.uniform(size=n) < RESIDENTIAL_FRANCHISE_SHARE
                franchise[with_franchise] = deductible[with_franchise]
                deductible[with_franchise] = 0.0
                policy_id = f"PROP-RES-{county.adcode}"
            else:
                first_loss = rng.uniform(size=n) < FIRST_LOSS_SHARE
                limit[first_loss] = np.round(sum_insured[first_loss] * FIRST_LOSS_RATIO, -3)
                coinsured = rng.uniform(size=n) < COINSURED_SHARE
                coinsurance[coinsured] = rng.choice(COINSURANCE_SHARES, coinsured.sum())
                policy_id = f"PROP-{asset_class[:3].upper()}-{county.prefecture_adcode}"
            quantity = np.maximum(1.0, np.round(value / BUILDING_VALUE[asset_class][county.type]))
            for i in range(n):
                serial += 1
                rows.append({
                    "risk_id": f"PROP-{county.adcode}-{serial:04d}", "policy_id": policy_id,
                    "product": "cat_property", "asset_class": asset_class, "county": county.adcode,
                    "lon": lon[i], "lat": lat[i], "quantity": quantity[i], "quantity_unit": "building",
                    "value": value[i], "sum_insured": sum_insured[i], "deductible": deductible[i],
                    "limit": limit[i], "franchise": franchise[i], "coinsurance": coinsurance[i],
                })
    return pd.DataFrame(rows)


def crop_risks(counties: pd.DataFrame, anchors: pd.DataFrame) -> pd.DataFrame:
    area = county_area_km2()
    grain = counties.set_index("adcode")
    weight = (area.reindex(grain.index)
              * grain["prefecture_adcode"].map(PREFECTURE_GRAIN_FACTOR)
              * np.where(grain["type"] == DISTRICT, DISTRICT_CROP_FACTOR, 1.0))
    weight[weight.index.isin(URBAN_CORE)] = 0.0
    shares = {"wheat": weight / weight.sum(), "maize": weight / weight.sum(), "rice": pd.Series(RICE_SHARE)}
    rows = []
    for adcode in grain.index:
        serial = 0
        for crop in ("wheat", "maize", "rice"):
            share = shares[crop].get(adcode, 0.0)
            if share <= 0.0:
                continue
            serial += 1
            mu = float(np.round(PLANTED_AREA_MU[crop] * FULL_COST_TAKE_UP * share, -2))
            sum_insured = mu * CROP_SUM_INSURED_PER_MU[crop]
            rows.append({
                "risk_id": f"CROP-{adcode}-{serial:04d}", "policy_id": f"CROP-{crop.upper()}-{adcode}",
                "product": "crop_full_cost", "asset_class": crop, "county": adcode,
                "lon": round(anchors.at[adcode, "lon"], 5), "lat": round(anchors.at[adcode, "lat"], 5),
                "quantity": mu, "quantity_unit": "mu", "value": sum_insured, "sum_insured": sum_insured,
                "deductible": 0.0, "limit": sum_insured, "franchise": 0.0, "coinsurance": 1.0,
            })
    return pd.DataFrame(rows)


def plot_risks(anchors: pd.DataFrame, product: str, prefix: str, plots: dict) -> pd.DataFrame:
    """Several plot risks per (county, asset class) for special crops and forests."""
    rows = []
    serial = {}
    for (adcode, asset_class), (total_mu, per_mu, n, _source) in plots.items():
        rng = generator(f"{product}.{adcode}.{asset_class}")
        areas = split_area(rng, total_mu, n)
        lon, lat = scatter(rng, adcode, anchors.at[adcode, "lon"], anchors.at[adcode, "lat"], n,
                           PLOT_SCALE_KM, PLOT_MAX_KM)
        policy_id = f"{prefix}-{asset_class.upper()}-{adcode}"
        for i in range(n):
            serial[adcode] = serial.get(adcode, 0) + 1
            sum_insured = areas[i] * per_mu
            rows.append({
                "risk_id": f"{prefix}-{adcode}-{serial[adcode]:04d}", "policy_id": policy_id,
                "product": product, "asset_class": asset_class, "county": adcode,
                "lon": lon[i], "lat": lat[i], "quantity": areas[i], "quantity_unit": "mu",
                "value": sum_insured, "sum_insured": sum_insured, "deductible": 0.0,
                "limit": sum_insured, "franchise": 0.0, "coinsurance": 1.0,
            })
    return pd.DataFrame(rows)


def yellow_river_points(rng, county, zone, n):
    """n (lon, lat) points of a Yellow River zone in ``county`` (see YR_GROUPS)."""
    from perils.yellow_river import geography as river

    kind, which = zone
    lon, lat, county_of = np.empty(n), np.empty(n), np.empty(n, np.int64)
    if kind == "floodplain":
        spacing = {0: 10.0, 1: 6.0, 2: 4.0, 3: 2.0}   # dike spacing, km: configs/peril/yellow_river.yaml
        candidates = []
        for chainage in np.arange(0.0, river.line_length_km(), 0.5):
            reach = int(river.reach_of(chainage))
            if reach in which:
                for bank in (1, -1):
                    x, y = river.point_at(chainage, bank * spacing[reach] / 4.0)
                    if geo.county_of(*river.unproject(np.atleast_1d(x), np.atleast_1d(y)))[0] == county:
                        candidates.append((chainage, bank, spacing[reach] / 2.0))
        for i in range(n):
            while True:
                chainage, bank, half = candidates[rng.integers(len(candidates))]
                x, y = river.point_at(chainage, bank * half * rng.uniform(0.15, 0.9))
                plon, plat = river.unproject(np.atleast_1d(x), np.atleast_1d(y))
                if geo.county_of(plon, plat)[0] == county:
                    lon[i], lat[i], county_of[i] = plon[0], plat[0], county
                    break
    else:
        polygon = river.dongping_polygons()["old" if kind == "old_lake" else "new"]
        lo, hi = polygon.min(axis=0), polygon.max(axis=0)
        for i in range(n):
            while True:
                p = rng.uniform(lo, hi)
                c = geo.county_of(p[:1], p[1:])[0]
                if river.in_polygon(polygon, p[:1], p[1:])[0] and c in which:
                    lon[i], lat[i], county_of[i] = p[0], p[1], c
                    break
    return np.round(lon, 5), np.round(lat, 5), county_of


def yellow_river_risks() -> pd.DataFrame:
    """Floodplain and Dongping Lake risks (YR_GROUPS), ids ``YR-<county>-<serial>``."""
    rows, serial = [], {}
    for county, zone, asset_class, n, mu, _source in YR_GROUPS:
        rng = generator(f"yellow_river.{county}.{zone[0]}.{asset_class}")
        lon, lat, counties = yellow_river_points(rng, county, zone, n)
        if asset_class == "residential":
            value = np.round(YR_RESIDENTIAL_MEDIAN * rng.lognormal(0.0, YR_RESIDENTIAL_SIGMA, n), -3)
            quantity = np.maximum(1.0, np.round(value / BUILDING_VALUE["residential"][COUNTY]))
            deductible = np.round(value * rng.uniform(*DEDUCTIBLE_RATE, n), -3)
            product, unit, policy = "cat_property", "building", "YR-PROP-RES"
        else:
            quantity = split_area(rng, float(np.round(mu, -2)), n)
            value = quantity * CROP_SUM_INSURED_PER_MU[asset_class]
            deductible = np.zeros(n)
            product, unit, policy = "crop_full_cost", "mu", f"YR-CROP-{asset_class.upper()}"
        for i in range(n):
            serial[counties[i]] = serial.get(counties[i], 0) + 1
            rows.append({
                "risk_id": f"YR-{counties[i]}-{serial[counties[i]]:04d}", "policy_id": f"{policy}-{counties[i]}",
                "product": product, "asset_class": asset_class, "county": int(counties[i]),
                "lon": lon[i], "lat": lat[i], "quantity": quantity[i], "quantity_unit": unit,
                "value": value[i], "sum_insured": value[i], "deductible": deductible[i],
                "limit": value[i], "franchise": 0.0, "coinsurance": 1.0,
            })
    return pd.DataFrame(rows)


# Parametric typhoon covers (products typhoon_index, typhoon_rain_index), appended last [E]:
# a county-government wind index cover of 50 M CNY per coastal county (Guangdong-style, REFERENCE.md),
# whose physical basis is the county's residential stock (value = the demo's residential value there);
# a storm-rain index cover of 30 M CNY for greenhouse cooperatives in three Weifang counties
# (20,000 mu x 6,000 CNY/mu of greenhouses each).
INDEX_WIND_LIMIT = 50e6
INDEX_RAIN = {370783: 20_000, 370781: 20_000, 370725: 20_000}   # Shouguang, Qingzhou, Changle: mu
INDEX_RAIN_LIMIT = 30e6
GARLIC_PRICE = (370828, 600_000, 1800.0)   # Jinxiang: insured mu and CNY/mu [S, REFERENCE.md 2020]
SEA_CUCUMBER = {370211: 3000, 370212: 2000, 370283: 3000}   # Qingdao ponds, insured mu [E]; 12,000 CNY/mu [S]


def index_risks(counties: pd.DataFrame, property_rows: pd.DataFrame) -> pd.DataFrame:
    """One wind-index risk per county of the coastal prefectures, one rain-index risk per listed county,
    at the county seat; ids ``IDX-WIND-<county>`` and ``IDX-RAIN-<county>``."""
    rows = []
    residential = property_rows[property_rows["asset_class"] == "residential"].groupby("county")["value"].sum()
    seats = counties.set_index("adcode")
    for county in counties.itertuples(index=False):
        if county.prefecture_adcode not in COASTAL_PREFECTURES or county.adcode not in residential.index:
            continue
        value = float(residential[county.adcode])
        rows.append({"risk_id": f"IDX-WIND-{county.adcode}", "policy_id": f"IDX-WIND-{county.adcode}",
                     "product": "typhoon_index", "asset_class": "residential", "county": county.adcode,
                     "lon": county.lon, "lat": county.lat, "quantity": 1.0, "quantity_unit": "county",
                     "value": value, "sum_insured": min(INDEX_WIND_LIMIT, value), "deductible": 0.0,
                     "limit": min(INDEX_WIND_LIMIT, value), "franchise": 0.0, "coinsurance": 1.0})
    for adcode, mu in INDEX_RAIN.items():
        seat = seats.loc[adcode]
        value = mu * 6000.0
        rows.append({"risk_id": f"IDX-RAIN-{adcode}", "policy_id": f"IDX-RAIN-{adcode}",
                     "product": "typhoon_rain_index", "asset_class": "greenhouse_vegetable", "county": adcode,
                     "lon": seat["lon"], "lat": seat["lat"], "quantity": float(mu), "quantity_unit": "mu",
                     "value": value, "sum_insured": INDEX_RAIN_LIMIT, "deductible": 0.0,
                     "limit": INDEX_RAIN_LIMIT, "franchise": 0.0, "coinsurance": 1.0})
    county, mu, per_mu = GARLIC_PRICE
    seat = seats.loc[county]
    rows.append({"risk_id": f"IDX-GARLIC-{county}", "policy_id": f"IDX-GARLIC-{county}",
                 "product": "garlic_price_index", "asset_class": "garlic", "county": county,
                 "lon": seat["lon"], "lat": seat["lat"], "quantity": float(mu), "quantity_unit": "mu",
                 "value": mu * per_mu, "sum_insured": mu * per_mu, "deductible": 0.0, "limit": mu * per_mu,
                 "franchise": 0.0, "coinsurance": 1.0})
    for county, mu in SEA_CUCUMBER.items():
        seat = seats.loc[county]
        rows.append({"risk_id": f"IDX-SEACUC-{county}", "policy_id": f"IDX-SEACUC-{county}",
                     "product": "sea_cucumber_heat_index", "asset_class": "sea_cucumber", "county": county,
                     "lon": seat["lon"], "lat": seat["lat"], "quantity": float(mu), "quantity_unit": "mu",
                     "value": mu * 12000.0, "sum_insured": mu * 12000.0, "deductible": 0.0, "limit": mu * 12000.0,
                     "franchise": 0.0, "coinsurance": 1.0})
    return pd.DataFrame(rows)


# --- carbon-sink covers (engine/carbon, docs/carbon.md): appended last ---------------------------
# (county, product, kind, group, stand age (forest), insured mu, plots, CNY/mu limit or None, source).
# Sum insured: the pilots' CNY/mu where published (a first-loss limit below the sink's value at the
# start price); otherwise the verified sink x the start price (value cover) or the expected annual
# removal x the start price (index cover). The sink itself comes from the growth curves at run time.
CARBON_START_PRICE = 97.49   # CNY/tCO2e, CEA end-2024 [S, REFERENCE.md]; configs/carbon/price.yaml
CARBON_DEDUCTIBLE_SHARE = 0.05   # [E] value covers; configs/carbon/products.yaml
CARBON_PLOTS = [
    (370323, "carbon_sink_value", "forest", "mixed_broadleaf", 20, 160_000, 3, 60.0,
     "[S] 60 CNY/mu: Yiyuan 2023 public-welfare forest carbon-sink pilot; [E] area and stands"),
    (370323, "carbon_sink_value", "forest", "pinus_tabuliformis", 30, 120_000, 2, 60.0, "as above"),
    (371328, "carbon_sink_value", "forest", "pinus_tabuliformis", 30, 30_000, 2, 500.0,
     "[S] about 500 CNY/mu: Mengyin 2022 collective-forest pilot; [E] area and stands"),
    (371328, "carbon_sink_value", "forest", "quercus", 25, 20_000, 2, 500.0, "as above"),
    (370883, "carbon_sink_index", "forest", "poplar", 4, 6_000, 2, 50.0,
     "[S] about 50 CNY/mu: Zoucheng 2023 new-afforestation remote-sensing index pilot; [E] area"),
    (370883, "carbon_sink_index", "forest", "robinia", 4, 4_000, 1, 50.0, "as above"),
    (370613, "carbon_sink_index", "blue", "shellfish", None, 1_000_000, 2, None,
     "[S] Yantai 2023 mariculture blue-carbon index, 3 M mu in all; [E] split by county"),
    (370614, "carbon_sink_index", "blue", "seaweed", None, 1_000_000, 2, None, "as above"),
    (370687, "carbon_sink_index", "blue", "shellfish", None, 1_000_000, 2, None, "as above"),
    (371082, "carbon_sink_value", "blue", "seagrass", None, 20_000, 1, None,
     "[S] Rongcheng seagrass blue-carbon pilot (typhoon, sea temperature); [E] area"),
    (371328, "carbon_delivery", "forest", "poplar", 8, 20_000, 1, None,
     "[E] an afforestation project's forward credit sale, 90% of its expected removal contracted"),
]
CARBON_CONTRACTED_SHARE = 0.9   # [E] delivery cover: contracted share of the expected annual removal
CARBON_DELIVERY_LIMIT = 1.0     # [E] limit = contracted tCO2e x start price x this (products.yaml)


def carbon_risks(anchors: pd.DataFrame) -> pd.DataFrame:
    """Carbon-sink plots ``CARB-<county>-<serial>``, one policy per (county, product); sums insured from
    the pilots' CNY/mu or from the growth curves at the start price (engine.carbon.growth)."""
    from engine.carbon import growth as gr

    params = gr.load_growth()
    rows, serial = [], {}
    for adcode, product, kind, group, age, total_mu, n, per_mu, _source in CARBON_PLOTS:
        rng = generator(f"carbon.{adcode}.{group}")
        areas = split_area(rng, total_mu, n)
        lon, lat = scatter(rng, adcode, anchors.at[adcode, "lon"], anchors.at[adcode, "lat"], n,
                           PLOT_SCALE_KM, PLOT_MAX_KM)
        for i in range(n):
            serial[adcode] = serial.get(adcode, 0) + 1
            area = float(areas[i])
            if kind == "forest":
                stock = float(gr.plot_stock(params, [group], [age], [area])[0])
                removal = float(gr.annual_increment_per_mu(params, [group], [age])[0]) * area
            else:
                stock = removal = float(gr.blue_plot_sequestration(params, [group], [area])[0])
            insured = {"carbon_sink_value": stock, "carbon_sink_index": removal}.get(product, removal)
            value = round(insured * CARBON_START_PRICE, -2)
            contracted = round(CARBON_CONTRACTED_SHARE * removal, 1) if product == "carbon_delivery" else np.nan
            if product == "carbon_delivery":
                value = round(contracted * CARBON_START_PRICE * CARBON_DELIVERY_LIMIT, -2)
            limit = min(value, area * per_mu) if per_mu else value
            rows.append({
                "risk_id": f"CARB-{adcode}-{serial[adcode]:04d}", "policy_id": f"CARB-{product.upper()}-{adcode}",
                "product": product, "asset_class": "forest" if kind == "forest" else "blue_carbon",
                "county": adcode, "lon": lon[i], "lat": lat[i], "quantity": area, "quantity_unit": "mu",
                "value": value, "sum_insured": limit,
                "deductible": round(CARBON_DEDUCTIBLE_SHARE * limit, -2) if product == "carbon_sink_value" else 0.0,
                "limit": limit, "franchise": 0.0, "coinsurance": 1.0, "carbon_kind": kind,
                "carbon_group": group, "stand_age_years": age if age else np.nan, "area_mu": area,
                "contracted_tco2e": contracted,
            })
    return pd.DataFrame(rows)


def add_policy_terms(portfolio: pd.DataFrame) -> pd.DataFrame:
    """policy_deductible and policy_limit: prefecture-wide commercial/industrial policies get terms,
    every other policy gets none (deductible 0, limit = the policy's sum insured)."""
    out = portfolio.copy()
    policy_si = out.groupby("policy_id")["sum_insured"].transform("sum")
    our_si = (out["sum_insured"] * out["coinsurance"]).groupby(out["policy_id"]).transform("sum")
    with_terms = out["policy_id"].str.startswith(("PROP-COM-", "PROP-IND-"))
    out["policy_deductible"] = np.where(with_terms, np.round(our_si * POLICY_DEDUCTIBLE_RATE, -5), 0.0)
    out["policy_limit"] = np.where(with_terms, np.round(our_si * POLICY_LIMIT_RATE, -6), policy_si)
    return out


def build() -> pd.DataFrame:
    counties = geo.load_counties()
    anchors = anchor_points(counties)
    forests = {(adcode, "forest"): value for adcode, value in FORESTS.items()}
    prop = property_risks(counties)
    portfolio = pd.concat([
        prop,
        crop_risks(counties, anchors),
        plot_risks(anchors, "special_crop", "SPEC", SPECIAL_CROPS),
        plot_risks(anchors, "forest", "FRST", forests),
        yellow_river_risks(),
        index_risks(counties, prop),
        carbon_risks(anchors),
    ], ignore_index=True)
    portfolio = add_policy_terms(portfolio)[COLUMNS]
    check(portfolio, counties)
    return portfolio


def check(portfolio: pd.DataFrame, counties: pd.DataFrame) -> None:
    """Invariants of the shipped file; raise on the first violation."""
    problems = []
    if not portfolio["risk_id"].is_unique:
        problems.append("duplicate risk_id")
    if not portfolio["county"].isin(counties["adcode"]).all():
        problems.append("county code not in the county table")
    if not geo.in_domain(portfolio["lon"], portfolio["lat"]).all():
        problems.append("point outside MODEL_DOMAIN")
    if (geo.county_of(portfolio["lon"], portfolio["lat"]) != portfolio["county"].to_numpy()).any():
        problems.append("point outside its own county")
    if not ((portfolio["value"] > 0) & (portfolio["sum_insured"] > 0)).all():
        problems.append("non-positive value or sum insured")
    if (portfolio["sum_insured"] > portfolio["value"]).any() or (portfolio["limit"] > portfolio["sum_insured"]).any():
        problems.append("sum_insured > value or limit > sum_insured")
    if not ((portfolio["coinsurance"] > 0) & (portfolio["coinsurance"] <= 1)).all():
        problems.append("coinsurance outside (0, 1]")
    per_policy = portfolio.groupby("policy_id")[["policy_deductible", "policy_limit"]].nunique()
    if (per_policy > 1).any(axis=None):
        problems.append("policy terms differ within a policy")
    if problems:
        raise ValueError("demo portfolio: " + "; ".join(problems))


def summary_table(portfolio: pd.DataFrame) -> str:
    table = portfolio.groupby(["product", "asset_class"], sort=False).agg(
        risks=("risk_id", "size"), policies=("policy_id", "nunique"), quantity=("quantity", "sum"),
        unit=("quantity_unit", "first"), sum_insured=("sum_insured", "sum"))
    lines = ["| product | asset_class | risks | policies | quantity | sum insured (CNY bn) |",
             "|---|---|---:|---:|---:|---:|"]
    for (product, asset_class), row in table.iterrows():
        lines.append(f"| {product} | {asset_class} | {row.risks:,} | {row.policies:,} | "
                     f"{row.quantity:,.0f} {row.unit} | {row.sum_insured / 1e9:,.2f} |")
    for product, group in portfolio.groupby("product", sort=False):
        lines.append(f"| **{product}** | all | {len(group):,} | {group.policy_id.nunique():,} | | "
                     f"{group.sum_insured.sum() / 1e9:,.2f} |")
    lines.append(f"| **total** | | {len(portfolio):,} | {portfolio.policy_id.nunique():,} | | "
                 f"{portfolio.sum_insured.sum() / 1e9:,.2f} |")
    return "\n".join(lines)


def readme(portfolio: pd.DataFrame, counties: pd.DataFrame) -> str:
    names = counties.set_index("adcode")["name_pinyin"].str.replace(" ", "").str.capitalize().to_dict()
    pct = lambda x: f"{x:.0%}"  # noqa: E731
    sites = "; ".join(f"{TYPE_LABEL[t]} {r}/{c}/{i}" for t, (r, c, i) in SITES_PER_COUNTY.items())
    medians = "; ".join(f"{cls} " + ", ".join(f"{TYPE_LABEL[t]} {v / 1e6:,.0f} M" for t, v in m.items())
                        for cls, m in MEDIAN_VALUE.items())
    value_factors = ", ".join(f"{PREFECTURE_NAMES[a]} {f}" for a, f in PREFECTURE_VALUE_FACTOR.items())
    grain_factors = ", ".join(f"{PREFECTURE_NAMES[a]} {f}" for a, f in PREFECTURE_GRAIN_FACTOR.items())
    urban = ", ".join(f"{names[a]} {a}" for a in URBAN_CORE)
    rice = ", ".join(f"{names[a]} {a} {pct(s)}" for a, s in RICE_SHARE.items())
    plots = [*SPECIAL_CROPS.items(), *(((a, "forest"), v) for a, v in FORESTS.items())]
    plot_table = "\n".join(f"| {cls} | {names[a]} {a} | {mu:,} | {per_mu:,.0f} | {n} | {source} |"
                           for (a, cls), (mu, per_mu, n, source) in plots)
    carbon_table = "\n".join(
        f"| {product} | {names[a]} {a} | {kind} | {group} | {age or ''} | {mu:,} | {n} | "
        f"{f'{per_mu:,.0f}' if per_mu else 'sink x price'} | {source} |"
        for a, product, kind, group, age, mu, n, per_mu, source in CARBON_PLOTS)
    building_values = "; ".join(f"{cls} " + ", ".join(f"{TYPE_LABEL[t]} {v / 1e6:g} M" for t, v in m.items())
                                for cls, m in BUILDING_VALUE.items())
    underinsured = ", ".join(f"{cls} U({lo:.2f}, {hi:.2f})" for cls, (lo, hi) in UNDERINSURED_RATIO.items())
    anchors = anchor_points(counties)
    yr_table = "\n".join(
        f"| {names[c]} {c} | {zone[0].replace('_', ' ')} | {cls} | {n} | {'' if mu is None else f'{round(mu, -2):,.0f}'} | {src} |"
        for c, zone, cls, n, mu, src in YR_GROUPS)
    seat_anchored = ", ".join(f"{names[a]} {a}" for a in anchors.index[anchors["anchor"] == "seat"])
    return f"""# Demo portfolio: `shandong_demo.csv`

A synthetic but plausible Shandong book for demonstrations and tests. **Not real policies.**
Rebuilt, byte for byte, by `python scripts/build_demo_portfolio.py` (numpy PCG64 streams keyed by
seed {SEED} and a stream name); this README is written by the same script. [S] = figure from
`shared/REFERENCE.md` with the source named there; [E] = assumption of this demo.

## Columns (one row per risk)

| column | meaning |
|---|---|
| `risk_id` | unique: `PROP-`, `CROP-`, `SPEC-` or `FRST-`, county adcode, serial per product and county |
| `policy_id` | policy the risk belongs to (see Policies) |
| `product` | `cat_property`, `crop_full_cost`, `special_crop`, `forest` |
| `asset_class` | `residential`, `commercial`, `industrial`; `wheat`, `maize`, `rice`; `garlic`, `greenhouse_vegetable`, `apple`; `forest` (the names of `engine/data/vulnerability/curves.csv`) |
| `county` | county adcode (int), a key of `engine/data/geo/shandong_counties.csv` |
| `lon`, `lat` | WGS-84 degrees, 5 decimals; every point lies in its own county (`engine.geo.county_of`) |
| `quantity`, `quantity_unit` | buildings (property) or insured area in mu (1 mu = 666.7 m2) |
| `value` | exposure value, CNY; equal to the sum insured for crops and forests |
| `sum_insured` | CNY, <= value |
| `deductible` | CNY per risk per occurrence |
| `limit` | CNY per risk; the sum insured except first-loss risks |
| `franchise` | CNY; a loss below it pays nothing, a loss above it pays in full (no deductible then) |
| `coinsurance` | our share of the risk, (0, 1] |
| `policy_deductible`, `policy_limit` | CNY, the same on every row of a policy; 0 and the policy's total sum insured when the policy has no terms of its own |

Intended order of terms (the engine's financial module is authoritative): per risk, deductible or
franchise, then limit, then our coinsurance share; per policy and occurrence, the policy deductible
and limit on the sum of the risks' shares.

## Contents

{summary_table(portfolio)}

## cat_property (residential, commercial, industrial)

Aggregate risks: all buildings of one class in one town or urban block, in all 136 counties.
All figures in this section are [E].

- Sites per county (residential/commercial/industrial): {sites};
  ×{COASTAL_SITE_FACTOR} (rounded) in the coastal prefectures
  {", ".join(PREFECTURE_NAMES[a] for a in COASTAL_PREFECTURES)}.
- Location: around the county seat (WGS-84), at 0.5 km + an exponential distance of scale
  {SITE_SCALE_KM[DISTRICT]:g} km (districts) or {SITE_SCALE_KM[COUNTY]:g} km (counties, county-level cities),
  capped at {SITE_MAX_KM[DISTRICT]:g} / {SITE_MAX_KM[COUNTY]:g} km, uniform bearing; redrawn until the point
  lies in its own county.
- Value: lognormal with sigma {VALUE_LOG_SIGMA} around a median (CNY) of
  {medians};
  times a prefecture factor loosely following GDP per head:
  {value_factors};
  clipped to {VALUE_RANGE[0] / 1e6:,.0f}–{VALUE_RANGE[1] / 1e6:,.0f} M CNY, rounded to 1,000 CNY.
- Quantity: value / average building value in CNY, rounded, at least 1:
  {building_values}.
- Sum insured: full value for {pct(FULL_VALUE_SHARE['residential'])} of residential and
  {pct(FULL_VALUE_SHARE['commercial'])} of commercial/industrial risks; otherwise value × a uniform ratio
  ({underinsured}), rounded down to 1,000 CNY.
- Deductible: U({DEDUCTIBLE_RATE[0]:.1%}, {DEDUCTIBLE_RATE[1]:.1%}) of the sum insured, rounded to 1,000 CNY;
  {pct(RESIDENTIAL_FRANCHISE_SHARE)} of residential risks carry a franchise of that amount instead.
- Limit: the sum insured; {pct(FIRST_LOSS_SHARE)} of commercial/industrial risks are first-loss covers
  with a limit of {pct(FIRST_LOSS_RATIO)} of the sum insured.
- Coinsurance: 1, except {pct(COINSURED_SHARE)} of commercial/industrial risks placed on a panel where
  our share is one of {", ".join(f"{s:g}" for s in COINSURANCE_SHARES)}.

## crop_full_cost (wheat, maize, rice)

One risk per grain-producing county and crop, at the county centroid (the DataV polygon centroid
converted from GCJ-02 to WGS-84 by `engine.geo.gcj02_to_wgs84`). Where that centroid falls outside
its county the seat is used instead: {seat_anchored}.

- Sum insured per mu [S]: wheat {CROP_SUM_INSURED_PER_MU['wheat']:,.0f} CNY (Shandong 2024; Weihai and
  Taishan notices); maize {CROP_SUM_INSURED_PER_MU['maize']:,.0f} and rice {CROP_SUM_INSURED_PER_MU['rice']:,.0f} CNY
  (Rizhao 2025, low reliability). value = sum_insured = limit = area × sum insured per mu.
  Deductible 0 (the product applies the 10% loss-rate trigger and the stage caps); coinsurance 1.
- Provincial planted area [E]: wheat {PLANTED_AREA_MU['wheat'] / 1e6:.0f} M mu, maize
  {PLANTED_AREA_MU['maize'] / 1e6:.0f} M mu, rice {PLANTED_AREA_MU['rice'] / 1e6:.1f} M mu. Full-cost take-up [E]:
  {pct(FULL_COST_TAKE_UP)} of the planted area. Areas rounded to 100 mu.
- Wheat and maize [E] are spread over the counties in proportion to land area (from the boundaries)
  × {DISTRICT_CROP_FACTOR} for districts × a prefecture grain factor:
  {grain_factors}.
  Wheat and maize share these weights (winter wheat–summer maize rotation). Urban-core districts
  have no grain risk: {urban}.
- Rice [E] only where Shandong grows it, as shares of the provincial rice area:
  {rice}.
  Rice counties keep their wheat and maize risks.

## special_crop and forest

Several plots per county: the area is split by Dirichlet({PLOT_AREA_CONCENTRATION:g}) shares rounded to
10 mu; plots lie at 0.5 km + an exponential({PLOT_SCALE_KM:g} km) distance, capped at {PLOT_MAX_KM:g} km,
from the county's crop anchor above, inside the county. value = sum_insured = limit; deductible and
franchise 0; coinsurance 1 (the index triggers belong to the product). The forests are the
carbon-sink pilots, covered here as plain forest damage at the pilots' sums insured.

| asset_class | county | insured mu | CNY/mu | plots | source |
|---|---|---:|---:|---:|---|
{plot_table}

## Yellow River floodplain and Dongping Lake

Appended after all other rows (`YR-<county>-<serial>`), for the `yellow_river` peril. Points are
placed with the approximate river geography of `perils/yellow_river/geography.py` ([E], a few km):
floodplain risks inside the dike band of their reach (between 15% and 90% of the half dike spacing
from the centreline, on their county's bank), Dongping risks inside the old or new lake polygon.
The peril derives the same attributes from the coordinates (no `site_` columns). Residential:
lognormal values, median {YR_RESIDENTIAL_MEDIAN / 1e6:,.0f} M CNY, sigma {YR_RESIDENTIAL_SIGMA} [E], deductible as
above. Crops: sums insured per mu as above; insured area = area × farmland share
{pct(YR_FARMLAND_SHARE)} [E] (floodplain) × take-up {pct(YR_TAKE_UP)} [E], split into plots as above.

| county | zone | asset_class | risks | insured mu | source |
|---|---|---|---:|---:|---|
{yr_table}

## Carbon-sink covers

Appended after every other row (`CARB-<county>-<serial>`, one policy per county and product), for
the carbon products (`docs/carbon.md`). Extra columns, empty on other rows: `carbon_kind` (`forest` or
`blue`), `carbon_group` (a group of `configs/carbon/growth.yaml`), `stand_age_years`, `area_mu` and, for
the delivery cover, `contracted_tco2e` ({pct(CARBON_CONTRACTED_SHARE)} of the expected annual removal [E]).
asset_class is `forest` or `blue_carbon`. value = the carbon at stake x {CARBON_START_PRICE} CNY/tCO2e (CEA
end-2024 [S]): the standing stock (value covers of forests), the expected annual removal (index covers and
blue plots). sum_insured = limit = the pilot's CNY/mu where published (a first-loss limit), else the value.
Value covers have a deductible of {pct(CARBON_DEDUCTIBLE_SHARE)} of the limit [E]. Stand ages and groups are [E].

| product | county | kind | group | age | insured mu | plots | limit CNY/mu | source |
|---|---|---|---|---:|---:|---:|---:|---|
{carbon_table}

## Policies

- `PROP-RES-<county>`: all residential risks of a county (a county-government household cat cover). No policy terms.
- `PROP-COM-<prefecture>`, `PROP-IND-<prefecture>`: all commercial or industrial risks of a prefecture.
  Policy deductible {POLICY_DEDUCTIBLE_RATE:.1%} (rounded to 0.1 M CNY) and policy limit
  {pct(POLICY_LIMIT_RATE)} (rounded to 1 M CNY) of the policy's sum insured × our share, per occurrence. [E]
- `CROP-<CROP>-<county>`, `SPEC-<CLASS>-<county>`, `FRST-FOREST-<county>`: one policy per county and
  class. No policy terms.
- `YR-PROP-RES-<county>`, `YR-CROP-WHEAT-<county>`, `YR-CROP-MAIZE-<county>`: the Yellow River risks of a
  county and class. No policy terms.

## Parametric typhoon covers

Appended after the Yellow River risks. `IDX-WIND-<county>` (product `typhoon_index`): a county-government wind index cover
of {INDEX_WIND_LIMIT / 1e6:,.0f} M CNY in every county of the coastal prefectures (Qingdao, Yantai, Weihai, Rizhao
and the others in `COASTAL_PREFECTURES`), at the county seat; its physical basis (for basis risk) is
the county's residential stock, value = the sum of the demo's residential values there. `IDX-RAIN-<county>`
(product `typhoon_rain_index`): a storm-rain index cover of {INDEX_RAIN_LIMIT / 1e6:,.0f} M CNY for greenhouse
cooperatives in Shouguang, Qingzhou and Changle (20,000 mu x 6,000 CNY/mu each). `IDX-GARLIC-370828`
(product `garlic_price_index`): the Jinxiang garlic target-price cover, 600,000 mu x 1,800 CNY/mu [S,
REFERENCE.md]. `IDX-SEACUC-<county>` (product `sea_cucumber_heat_index`): Qingdao pond sea cucumber,
2,000-3,000 mu [E] x 12,000 CNY/mu [S]. One policy per risk. [E]

Figures not sourced above are demo assumptions to be replaced by a real bordereau.
"""


def main() -> None:
    portfolio = build()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    portfolio.to_csv(CSV_PATH, index=False, lineterminator="\n")
    README_PATH.write_text(readme(portfolio, geo.load_counties()), encoding="utf-8")
    print(f"wrote {CSV_PATH} ({len(portfolio):,} risks) and {README_PATH}")
    print(summary_table(portfolio))


if __name__ == "__main__":
    main()
