"""Bühlmann–Straub credibility of county loss costs with sum-insured weights.

Data: county i = 1..r, years j = 1..n_i, loss cost ``X_ij`` (indemnity / sum insured) with weight
``w_ij`` (sum insured, CNY). The estimators (Bühlmann and Gisler 2005, section 4.2) are::

    w_i   = sum_j w_ij                    X_i = sum_j w_ij X_ij / w_i      (county mean)
    w     = sum_i w_i                     X_w = sum_i w_i X_i / w           (weighted grand mean)
    s2    = sum_i sum_j w_ij (X_ij - X_i)^2 / sum_i (n_i - 1)              (within: EPV, per unit weight)
    a     = max(0, [sum_i w_i (X_i - X_w)^2 - (r - 1) s2] / (w - sum_i w_i^2 / w))   (between: VHM)
    k     = s2 / a                        Z_i = w_i / (w_i + k)
    X_z   = sum_i Z_i X_i / sum_i Z_i     (credibility-weighted collective mean; X_w when a = 0)
    P_i   = Z_i X_i + (1 - Z_i) X_z       (credibility loss cost)

The weights enter only through ratios, so CNY or any multiple gives the same ``Z`` and ``P``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CredibilityResult:
    """Bühlmann–Straub estimates.

    Attributes
    ----------
    table : pandas.DataFrame
        Per county (index = county): ``n_years``, ``weight`` (CNY), ``mean`` (X_i), ``Z``,
        ``estimate`` (P_i, loss cost per year).
    s2 : float
        Expected process variance per unit weight (loss cost^2 x CNY).
    a : float
        Variance of the hypothetical means (loss cost^2), truncated at 0.
    k : float
        ``s2 / a`` (CNY); ``inf`` when ``a == 0``.
    collective : float
        ``X_z``, the collective mean the estimates shrink toward (loss cost per year).
    grand_mean : float
        ``X_w``, the weighted grand mean (loss cost per year).
    """

    table: pd.DataFrame
    s2: float
    a: float
    k: float
    collective: float
    grand_mean: float


def buhlmann_straub(county, loss_cost, weight) -> CredibilityResult:
    """Bühlmann–Straub credibility estimates per county.

    Parameters
    ----------
    county : array-like[N]
        County label of each observation (one observation per county and year).
    loss_cost : float64[N]
        ``X_ij``: indemnity / sum insured of the county-year (dimensionless).
    weight : float64[N]
        ``w_ij``: sum insured of the county-year (CNY), > 0.

    Returns
    -------
    CredibilityResult

    Raises
    ------
    ValueError
        With fewer than 2 counties, no county with 2 or more years, or non-positive weights.
    """
    x = np.asarray(loss_cost, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    if not (x.shape == w.shape == (len(county),)):
        raise ValueError("county, loss_cost and weight must have the same length")
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights (sum insured) must be finite and > 0")
    frame = pd.DataFrame({"county": np.asarray(county), "x": x, "w": w, "wx": w * x})
    g = frame.groupby("county", sort=True)
    w_i = g["w"].sum()
    n_i = g.size()
    x_i = g["wx"].sum() / w_i
    r = len(w_i)
    if r < 2:
        raise ValueError("Bühlmann–Straub needs at least 2 counties")
    dof = int((n_i - 1).sum())
    if dof < 1:
        raise ValueError("Bühlmann–Straub needs at least one county with 2 or more years")
    w_tot = float(w_i.sum())
    x_w = float((w_i * x_i).sum() / w_tot)
    resid = frame["x"].to_numpy() - x_i.loc[frame["county"]].to_numpy()
    s2 = float(np.sum(frame["w"].to_numpy() * resid ** 2) / dof)
    denom = w_tot - float((w_i ** 2).sum()) / w_tot
    a = max(0.0, (float((w_i * (x_i - x_w) ** 2).sum()) - (r - 1) * s2) / denom)
    if a > 0:
        k = s2 / a
        z = w_i / (w_i + k)
        collective = float((z * x_i).sum() / z.sum())
    else:
        k = float("inf")
        z = w_i * 0.0
        collective = x_w
    estimate = z * x_i + (1 - z) * collective
    table = pd.DataFrame({"n_years": n_i, "weight": w_i, "mean": x_i, "Z": z, "estimate": estimate})
    table.index.name = "county"
    return CredibilityResult(table, s2, a, k, collective, x_w)
