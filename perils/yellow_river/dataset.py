"""The Huayuankou flood-peak dataset the frequency model is fitted on, and how it was derived.

No gauged annual-maximum series for Huayuankou is shipped with Qilu, so
``data/huayuankou_flood_peaks.csv`` is *derived* from the facts of shared/REFERENCE.md
("Yellow River"), each marked [S] (sourced) or [E] (estimate / widely quoted, unverified):

1. The design curve: the P-III through the pre-Xiaolangdi design peaks at Huayuankou, 100-year
   29,200 and 1,000-year 42,300 m3/s [E], with Cs/Cv = 4 [E: the top of the 2-4 range REFERENCE.md
   gives for flood peaks; the design points alone cannot fix Cs/Cv, see docs/validation]. Two
   quantiles and Cs/Cv give the mean and Cv (:func:`design_curve`).
2. The investigation period 1843-1985 (N = 143 years): the 1843 flood, about 33,000 m3/s [E], is
   the largest; the 1958 flood, 22,300 m3/s [S], the second: the a = 2 extraordinary floods.
3. The systematic record 1950-1985 (n = 36 years, the period of the floodplain statistic in
   REFERENCE.md): 1958 (22,300 [S], extraordinary, l = 1), 1982 (15,300 [E]) and 34 *synthetic*
   years: the design-curve quantiles at the SL44 plotting positions of the ordinary ranks
   2..36, the one nearest 15,300 replaced by 1982; synthetic values are given to the remaining
   years by a fixed random permutation (the order of years does not enter the fit).

The synthetic years make the fit reproduce the design curve by construction: what is tested
against observations is the rest of the model (docs/validation/yellow_river.md).

    python -m perils.yellow_river.dataset          # rewrites data/huayuankou_flood_peaks.csv
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from perils.yellow_river.pearson3 import PearsonIII
from perils.yellow_river.sl44 import FloodSeries

DATA_DIR = Path(__file__).resolve().parent / "data"
PEAKS_CSV = DATA_DIR / "huayuankou_flood_peaks.csv"

DESIGN_PEAKS_M3S = {100: 29_200.0, 1000: 42_300.0}   # [E] REFERENCE.md: pre-Xiaolangdi design peaks
DESIGN_CS_CV = 4.0                                    # [E] REFERENCE.md: flood peaks Cs/Cv 2-4
HISTORICAL = {1843: 33_000.0}                         # [E] REFERENCE.md: 1843 flood about 33,000
RECORD = {1958: (22_300.0, "S", "REFERENCE.md: July 1958, Huayuankou peak"),
          1982: (15_300.0, "E", "REFERENCE.md: widely quoted, unverified")}
EXTRAORDINARY_IN_RECORD = (1958,)                     # l = 1
SYSTEMATIC_YEARS = (1950, 1985)                       # [E] the 1950-1985 window of REFERENCE.md's floodplain record
PERMUTATION_SEED = 1958                               # any fixed integer: which synthetic value goes to which year


def design_curve(design_peaks: dict = DESIGN_PEAKS_M3S, cs_cv: float = DESIGN_CS_CV) -> PearsonIII:
    """The P-III with ratio Cs/Cv = ``cs_cv`` through two design peaks {return period: m3/s}.

    Q_T2 / Q_T1 = (1 + Cv Phi_2) / (1 + Cv Phi_1) is solved for Cv (Phi depends on Cs = ratio Cv),
    then mean = Q_T1 / (1 + Cv Phi_1).
    """
    (t1, q1), (t2, q2) = sorted(design_peaks.items())

    def ratio_gap(cv):
        d = PearsonIII(1.0, cv, cs_cv * cv)
        return float(d.return_level(t2) / d.return_level(t1)) - q2 / q1

    cv = optimize.brentq(ratio_gap, 0.05, 2.0, xtol=1e-12)
    unit = PearsonIII(1.0, cv, cs_cv * cv)
    return PearsonIII(float(q1 / unit.return_level(t1)), float(cv), float(cs_cv * cv))


def build_table() -> pd.DataFrame:
    """The derived dataset (see the module docstring): one row per flood, historical first."""
    curve = design_curve()
    first, last = SYSTEMATIC_YEARS
    years = np.arange(first, last + 1)
    n, big_n = years.size, last - min(HISTORICAL) + 1
    a, l = len(HISTORICAL) + len(EXTRAORDINARY_IN_RECORD), len(EXTRAORDINARY_IN_RECORD)
    p_a = a / (big_n + 1.0)
    ranks = np.arange(l + 1, n + 1)
    synthetic = curve.quantile(p_a + (1.0 - p_a) * (ranks - l) / (n - l + 1.0))
    others = [y for y in RECORD if y not in EXTRAORDINARY_IN_RECORD]
    for year in others:   # a record flood replaces the synthetic value nearest to it
        synthetic = np.delete(synthetic, np.argmin(np.abs(synthetic - RECORD[year][0])))
    free_years = np.array([y for y in years if y not in RECORD])
    order = np.random.Generator(np.random.PCG64(PERMUTATION_SEED)).permutation(free_years.size)
    rows = [{"year": y, "peak_m3s": q, "record": "historical", "extraordinary": True, "basis": "E",
             "note": "REFERENCE.md: widely quoted, unverified"} for y, q in HISTORICAL.items()]
    for year, (q, basis, note) in RECORD.items():
        rows.append({"year": year, "peak_m3s": q, "record": "systematic",
                     "extraordinary": year in EXTRAORDINARY_IN_RECORD, "basis": basis, "note": note})
    for year, q in zip(free_years[order], synthetic):
        rows.append({"year": int(year), "peak_m3s": round(float(q), 0), "record": "systematic",
                     "extraordinary": False, "basis": "synthetic",
                     "note": "design-curve quantile at an SL44 plotting position"})
    return pd.DataFrame(rows).sort_values(["record", "year"]).reset_index(drop=True)


def load_series(path: str | Path = PEAKS_CSV) -> FloodSeries:
    """The dataset as an SL44 :class:`FloodSeries`; N runs from the first historical year to the
    last systematic year."""
    table = pd.read_csv(path)
    need = {"year", "peak_m3s", "record", "extraordinary"}
    if not need <= set(table.columns):
        raise ValueError(f"{path}: flood-peak table needs columns {sorted(need)}")
    systematic = table[table["record"] == "systematic"]
    extraordinary = table[table["extraordinary"].astype(bool)]
    in_record = int((systematic["extraordinary"].astype(bool)).sum())
    big_n = int(table["year"].max() - table["year"].min() + 1)
    return FloodSeries(systematic["peak_m3s"].to_numpy(float), extraordinary["peak_m3s"].to_numpy(float),
                       in_record, big_n)


if __name__ == "__main__":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    build_table().to_csv(PEAKS_CSV, index=False, lineterminator="\n")
    c = design_curve()
    print(f"wrote {PEAKS_CSV}; design curve mean {c.mean:,.0f} m3/s, Cv {c.cv:.3f}, Cs {c.cs:.3f}")
