"""Write the synthetic claims-experience demo tables (engine/data/experience/) from stated truths.

    python scripts/build_experience_data.py

For each special crop below: the counties (adcode, first year of cover, insured area in mu in that
year), the claim-year probability and mean loss cost given a claim of a typical county, the gamma
shape, and the standard deviations of the county effects. County effects are drawn once from
N(0, sd) with the product's seed; everything drawn is written to ``truth.json`` next to the tables
so tests and users can compare fits with the truth. The generating model is documented in
:mod:`engine.experience.simulate`. The numbers are illustrative [E]; only the sums insured per mu
come from REFERENCE.md (garlic 1,800; Shouguang greenhouse 6,000; apple 2,000-4,000 -> 3,000;
sea cucumber 12,000 CNY/mu).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.experience.simulate import CountyTruth, ExperienceTruth, simulate_experience  # noqa: E402
from engine.experience.table import validate_experience  # noqa: E402

OUT = ROOT / "engine" / "data" / "experience"
LAST_YEAR = 2023

# name: (seed, crops {crop: (CNY/mu, a_k, b_k, area share)}, claim_prob, severity, shape, sd_a, sd_b,
#        counties [(adcode, first year, area mu in the first year)])
PRODUCTS = {
    "garlic": (101, {"garlic": (1800.0, 0.0, 0.0, 1.0)}, 0.30, 0.25, 4.0, 0.5, 0.3, [
        (370828, 2014, 400_000),   # 金乡 Jinxiang: the garlic target-price index pilot (600,000 mu by 2020s)
        (370829, 2016, 40_000),    # 嘉祥
        (370827, 2017, 30_000),    # 鱼台
        (370811, 2019, 15_000),    # 任城
        (370812, 2019, 12_000),    # 兖州
        (370830, 2020, 10_000),    # 汶上
        (370826, 2021, 8_000),     # 微山
        (370832, 2021, 8_000),     # 梁山
        (370883, 2022, 6_000),     # 邹城: two years of history
    ]),
    "greenhouse_vegetable": (102, {"cucumber": (6000.0, 0.0, 0.0, 0.45), "tomato": (6000.0, -0.2, 0.1, 0.35),
                                   "pepper": (6000.0, 0.2, -0.15, 0.20)}, 0.35, 0.06, 4.0, 0.5, 0.3, [
        (370783, 2014, 60_000),    # 寿光 Shouguang: winter greenhouses, 6,000 CNY/mu (2013)
        (370781, 2016, 15_000),    # 青州
        (370725, 2017, 10_000),    # 昌乐
        (370784, 2018, 10_000),    # 安丘
        (370703, 2019, 6_000),     # 寒亭
        (370786, 2020, 5_000),     # 昌邑
        (370724, 2021, 4_000),     # 临朐
        (370785, 2022, 3_000),     # 高密
    ]),
    "apple": (103, {"apple": (3000.0, 0.0, 0.0, 1.0)}, 0.40, 0.10, 4.0, 0.5, 0.3, [
        (370686, 2014, 150_000),   # 栖霞 Qixia: Yantai's main apple county
        (370614, 2015, 60_000),    # 蓬莱
        (370685, 2016, 50_000),    # 招远
        (370682, 2017, 40_000),    # 莱阳
        (370612, 2018, 30_000),    # 牟平
        (370687, 2019, 25_000),    # 海阳
        (370611, 2020, 15_000),    # 福山
        (370681, 2021, 15_000),    # 龙口
        (370683, 2022, 10_000),    # 莱州
    ]),
    "sea_cucumber": (104, {"sea_cucumber": (12000.0, 0.0, 0.0, 1.0)}, 0.20, 0.30, 4.0, 0.5, 0.3, [
        (370211, 2015, 20_000),    # 黄岛 (Qingdao)
        (370215, 2016, 15_000),    # 即墨 (Qingdao)
        (370212, 2018, 5_000),     # 崂山 (Qingdao)
        (370281, 2019, 5_000),     # 胶州 (Qingdao, Jiaozhou Bay)
        (370683, 2017, 30_000),    # 莱州 (Yantai)
        (370614, 2019, 20_000),    # 蓬莱 (Yantai)
        (370687, 2021, 8_000),     # 海阳 (Yantai)
        (371082, 2016, 40_000),    # 荣成 (Weihai)
        (371083, 2018, 15_000),    # 乳山 (Weihai)
        (371003, 2020, 10_000),    # 文登 (Weihai)
    ]),
}


def truth_of(name: str) -> ExperienceTruth:
    """The true parameters of a demo product (county effects drawn with the product's seed)."""
    seed, crops, claim_prob, severity, shape, sd_a, sd_b, counties = PRODUCTS[name]
    rng = np.random.default_rng(seed)
    effects = rng.normal(0.0, [sd_a, sd_b], size=(len(counties), 2))
    return ExperienceTruth(claim_prob, severity, shape,
                           {c: CountyTruth(first, float(area), float(a), float(b))
                            for (c, first, area), (a, b) in zip(counties, effects)},
                           crops, last_year=LAST_YEAR, notes={"seed": seed, "sd_a": sd_a, "sd_b": sd_b})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    truths = {}
    for name in PRODUCTS:
        truth = truth_of(name)
        table = simulate_experience(truth, truth.notes["seed"])
        clean = validate_experience(table, source=name)
        table.to_csv(OUT / f"{name}.csv", index=False)
        true_lc = truth.county_loss_cost(clean)
        truths[name] = {
            "seed": truth.notes["seed"], "claim_prob": truth.claim_prob, "severity": truth.severity,
            "shape": truth.shape, "sd_claim_county": truth.notes["sd_a"], "sd_severity_county": truth.notes["sd_b"],
            "typical_loss_cost": truth.claim_prob * truth.severity,
            "crops": {k: {"sum_insured_per_mu": v[0], "claim_effect": v[1], "severity_effect": v[2], "area_share": v[3]}
                      for k, v in truth.crops.items()},
            "counties": {str(c): {"first_year": t.first_year, "area_mu": t.area_mu, "claim_effect": round(t.a, 4),
                                  "severity_effect": round(t.b, 4), "loss_cost": round(float(true_lc[c]), 5),
                                  "observed_loss_cost": round(float(clean.loc[clean.county == c, "indemnity"].sum()
                                                                    / clean.loc[clean.county == c, "sum_insured"].sum()), 5)}
                         for c, t in truth.counties.items()},
        }
        capped = int((clean["loss_cost"] >= 1.0).sum())
        print(f"{name}: {len(table)} rows, {table['county'].nunique()} counties, claim years "
              f"{(clean['loss_cost'] > 0).mean():.0%}, loss cost {clean['indemnity'].sum() / clean['sum_insured'].sum():.3%}"
              f", {capped} rows capped at 1")
    (OUT / "truth.json").write_text(json.dumps(truths, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
