"""Trend yields per county and crop (statsmodels OLS on the year) and the spread around them.

A yield history has columns ``county`` (adcode), ``crop``, ``year``, ``yield_kg_per_mu``. Per
(county, crop): ``yield = a + b (year - 2000)`` by ordinary least squares; the relative residual
``(yield - fitted) / fitted`` has a standard deviation ``cv``, shrunk toward the crop's pooled value
(a county has only a couple of decades of data): ``cv^2 = (d s^2 + k s_pool^2) / (d + k)`` with d the
residual degrees of freedom and k the shrinkage weight in years.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

COLUMNS = ("county", "crop", "year", "yield_kg_per_mu")


def read_history(path) -> pd.DataFrame:
    """The yield history table, checked; errors name the file, row and column."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: yield history not found (columns {list(COLUMNS)})")
    frame = pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    missing = [c for c in COLUMNS if c not in frame]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; a yield history has {list(COLUMNS)}")
    for column in ("county", "year", "yield_kg_per_mu"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | ((values <= 0) if column == "yield_kg_per_mu" else False)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{path}, row {i + 2}, column '{column}': {frame[column].iloc[i]!r} is not a "
                             f"{'positive ' if column == 'yield_kg_per_mu' else ''}number")
        frame[column] = values
    return frame


def fit_trends(history: pd.DataFrame, shrink_years: float = 10.0) -> pd.DataFrame:
    """One row per (county, crop): intercept, slope (kg/mu per year, origin 2000), n, cv (shrunk),
    cv_raw, trend_last (the trend at the last year) and avg3 (mean yield of the last three years)."""
    rows = []
    for (county, crop), g in history.groupby(["county", "crop"], sort=True):
        g = g.sort_values("year")
        x = sm.add_constant(g["year"].to_numpy(float) - 2000.0, has_constant="add")
        y = g["yield_kg_per_mu"].to_numpy(float)
        if len(g) < 4:
            raise ValueError(f"yield history: county {county}, {crop} has {len(g)} years; at least 4 are needed")
        fit = sm.OLS(y, x).fit()
        rel = fit.resid / fit.fittedvalues
        rows.append({"county": int(county), "crop": crop, "intercept": fit.params[0], "slope": fit.params[1],
                     "n": len(g), "ss": float(np.sum(rel ** 2)), "dof": len(g) - 2,
                     "trend_last": float(fit.fittedvalues[-1]), "avg3": float(y[-3:].mean())})
    out = pd.DataFrame(rows)
    pooled = out.groupby("crop").apply(lambda t: np.sqrt(t["ss"].sum() / t["dof"].sum()), include_groups=False)
    s2 = out["ss"] / out["dof"]
    p2 = out["crop"].map(pooled) ** 2
    out["cv_raw"] = np.sqrt(s2)
    out["cv"] = np.sqrt((out["dof"] * s2 + shrink_years * p2) / (out["dof"] + shrink_years))
    return out.drop(columns=["ss", "dof"])
