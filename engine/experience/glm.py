"""Tweedie GLM of loss cost with county (and crop) as factors, weighted by sum insured.

Model, one row per (county, crop, year)::

    E[loss_cost] = mu = exp(beta_0 + beta_county + beta_crop)
    Var[loss_cost] = phi * mu^p / w           (Tweedie, 1 < p < 2: a point mass at 0 + a gamma-like tail)

``w`` is the row's sum insured relative to the mean row (``var_weights``), so a row with twice the
sum insured counts as two. The first county and crop (sorted) are the base levels; ``exp(beta)``
is a county's relativity. A county's GLM loss cost is ``mu`` averaged over its crops with
sum-insured shares.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Tweedie power: 1.5 sits between Poisson (1) and gamma (2), the usual choice for loss cost.
TWEEDIE_POWER = 1.5


@dataclass(frozen=True)
class GlmFit:
    """A fitted loss-cost GLM.

    Attributes
    ----------
    county_loss_cost : pandas.Series
        Expected loss cost per year by county (index = county adcode), at the county's crop mix.
    relativity : pandas.Series
        ``exp(beta_county)`` by county, relative to the base (first) county (base = 1).
    se_log_relativity : pandas.Series
        Standard error of ``beta_county`` (0 for the base county).
    result : statsmodels GLMResults
        The full statsmodels result (coefficients, deviance, ...).
    """

    county_loss_cost: pd.Series
    relativity: pd.Series
    se_log_relativity: pd.Series
    result: object


def design(table: pd.DataFrame, counties, crops) -> np.ndarray:
    """Design matrix float64[N, 1 + (C - 1) + (K - 1)]: intercept, county and crop dummies (base = first)."""
    columns = [np.ones(len(table))]
    columns += [(table["county"].to_numpy() == c).astype(float) for c in counties[1:]]
    columns += [(table["crop"].to_numpy() == k).astype(float) for k in crops[1:]]
    return np.column_stack(columns)


def fit_glm(table: pd.DataFrame, power: float = TWEEDIE_POWER) -> GlmFit:
    """Fit the Tweedie GLM to a validated experience table (:func:`engine.experience.table.read_experience`).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``county, crop, sum_insured`` (CNY) and ``loss_cost``.
    power : float
        Tweedie variance power p in (1, 2).

    Returns
    -------
    GlmFit
        A county whose rows are all zero gets a loss cost near 0 (its coefficient runs to -inf;
        statsmodels' convergence warning is silenced, the fit of the other counties is unaffected).
    """
    import statsmodels.api as sm

    counties = sorted(table["county"].unique())
    crops = sorted(table["crop"].unique())
    x = design(table, counties, crops)
    w = table["sum_insured"].to_numpy() / table["sum_insured"].mean()
    family = sm.families.Tweedie(var_power=power, link=sm.families.links.Log())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.GLM(table["loss_cost"].to_numpy(), x, family=family, var_weights=w).fit(maxiter=200)
    beta = np.asarray(result.params)
    se = np.asarray(result.bse)
    n_c = len(counties)
    county_beta = np.concatenate([[0.0], beta[1:n_c]])
    crop_beta = dict(zip(crops, np.concatenate([[0.0], beta[n_c:]])))
    share = table.groupby(["county", "crop"])["sum_insured"].sum()
    share = share / share.groupby(level="county").transform("sum")
    loss_cost = {}
    for ci, c in enumerate(counties):
        mix = share.loc[c]
        loss_cost[c] = float(sum(s * np.exp(beta[0] + county_beta[ci] + crop_beta[k]) for k, s in mix.items()))
    idx = pd.Index(counties, name="county")
    return GlmFit(pd.Series(loss_cost).rename_axis("county"),
                  pd.Series(np.exp(county_beta), index=idx),
                  pd.Series(np.concatenate([[0.0], se[1:n_c]]), index=idx), result)
