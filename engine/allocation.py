"""Capital allocation: each product's and county's share of the portfolio's TVaR capital (Euler, co-TVaR).

The portfolio holds capital C = TVaR_level(total annual loss) - EL. Component k (a product, or a
county) is allocated co-TVaR_k - EL_k, where co-TVaR_k = E[X_k | total in its worst (1 - level)
share of trials] (engine.pricing.co_tvar): the allocations add up to the portfolio's capital, and a
component that loses in the portfolio's bad years carries more of it. Its risk load is then
``cost_of_capital x allocated capital``, and its allocated premium
``(EL_k + risk load_k) / (1 - loading share)``. Written to ``capital_allocation.csv``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.pricing import co_tvar

COLUMNS = ("key", "level", "expected_loss", "co_tvar", "allocated_capital", "capital_share", "risk_load",
           "premium_allocated", "sum_insured", "rate_allocated")


def dense_annual(trials: dict, keys: np.ndarray, n_years: int, samples: int, first_year: int) -> np.ndarray:
    """float64[K, T] annual losses of ``keys`` over all trials (T = years x max(samples, 1))."""
    q = max(samples, 1)
    out = np.zeros((len(keys), n_years * q))
    pos = {int(k): i for i, k in enumerate(keys)}
    sel = np.isin(trials["key"], keys)
    rows = np.array([pos[int(k)] for k in trials["key"][sel]], dtype=np.int64)
    year = trials["year"][sel] - first_year
    trial = year * q + (np.maximum(trials["sample"][sel], 1) - 1)
    np.add.at(out, (rows, trial), trials["loss"][sel])
    return out


def allocate(trials: dict, names, levels, sum_insured, n_years: int, samples: int, first_year: int, basis,
             wanted=("product", "county")) -> pd.DataFrame:
    """Allocation rows for the keys of each level in ``wanted`` present in the run (see module docstring)."""
    rows = []
    level = np.asarray(levels)
    for lv in wanted:
        keys = np.flatnonzero(level == lv)
        if keys.size == 0:
            continue
        x = dense_annual(trials, keys, n_years, samples, first_year)
        el = x.mean(axis=1)
        ct = co_tvar(x, basis.tvar_level)
        capital = ct - el
        total = capital.sum()
        for i, k in enumerate(keys):
            load = basis.cost_of_capital * capital[i]
            premium = (el[i] + load) / (1.0 - basis.loading_share)
            si = float(sum_insured[k])
            rows.append({"key": names[k], "level": lv, "expected_loss": el[i], "co_tvar": ct[i],
                         "allocated_capital": capital[i], "capital_share": capital[i] / total if total > 0 else np.nan,
                         "risk_load": load, "premium_allocated": premium, "sum_insured": si,
                         "rate_allocated": premium / si if si > 0 else np.nan})
    return pd.DataFrame(rows, columns=list(COLUMNS))
