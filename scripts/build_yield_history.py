"""Write the demo's synthetic county yield history (engine/data/crops/yield_history.csv).

    python scripts/build_yield_history.py

Synthetic, documented, to be replaced by a user's own table with the same columns (county adcode,
crop, year, yield_kg_per_mu). Province trends follow REFERENCE.md: wheat 366 kg/mu (2005), 412
(2015), about 430 in the 2020s; maize about 440; rice [E] 520. Each county gets a level factor
(lognormal, sigma 0.08 [E]) and independent year noise with CV 6% [E], plus province-wide shocks in
the drought years REFERENCE.md names (2011 wheat -8%, 2014 maize -10%) [E sizes]. Fixed seed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine import geo

OUT = Path(__file__).resolve().parents[1] / "engine" / "data" / "crops" / "yield_history.csv"
YEARS = np.arange(2000, 2024)
TREND = {"wheat": lambda y: np.interp(y, [2000, 2005, 2015, 2023], [340.0, 366.0, 412.0, 432.0]),
         "maize": lambda y: np.interp(y, [2000, 2023], [400.0, 445.0]),
         "rice": lambda y: np.interp(y, [2000, 2023], [480.0, 525.0])}
SHOCKS = {("wheat", 2011): -0.08, ("maize", 2014): -0.10}
CV, LEVEL_SIGMA = 0.06, 0.08


def main() -> None:
    rng = np.random.default_rng(20240611)
    counties = geo.load_counties()["adcode"].to_numpy()
    rows = []
    for crop, trend in TREND.items():
        level = rng.lognormal(0.0, LEVEL_SIGMA, counties.size)
        for year in YEARS:
            shock = SHOCKS.get((crop, int(year)), 0.0)
            noise = rng.normal(0.0, CV, counties.size)
            yields = trend(year) * level * (1.0 + shock + noise)
            rows += [{"county": int(c), "crop": crop, "year": int(year), "yield_kg_per_mu": round(float(v), 1)}
                     for c, v in zip(counties, yields)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(rows):,} rows)")


if __name__ == "__main__":
    main()
