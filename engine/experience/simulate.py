"""Synthetic claims-experience tables drawn from stated true parameters (demo data and tests).

The generating model is the hurdle model that :mod:`engine.experience.bayes` fits, so a fit can be
checked against the truth. For county c, crop k and year t with sum insured ``SI_ckt`` (CNY)::

    claim year:  z ~ Bernoulli(p_ck),          logit p_ck = logit(claim_prob) + a_c + a_k
    loss cost:   y | z=1 ~ Gamma(shape = shape * w, mean = m_ck),  log m_ck = log(severity) + b_c + b_k
                 w = SI_ckt / mean(SI over the table's rows)       (exposure weight)
    indemnity = SI_ckt * min(y, 1) if z else 0

so the expected loss cost of (c, k) is ``p_ck * m_ck`` (the cap at 1 removes a negligible tail for
the shapes used here). Insured area grows by ``growth`` a year from the county's first year;
``SI = area_mu * sum_insured_per_mu`` of the crop.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, logit


@dataclass(frozen=True)
class CountyTruth:
    """A county's true parameters: first year of cover, insured area in that year (mu) per crop,
    claim-year effect ``a`` (logit scale) and severity effect ``b`` (log scale)."""

    first_year: int
    area_mu: float
    a: float
    b: float


@dataclass(frozen=True)
class ExperienceTruth:
    """True parameters of a synthetic product history.

    Attributes
    ----------
    claim_prob : float
        Claim-year probability of the base county and crop (a = 0).
    severity : float
        Mean loss cost in a claim year of the base county and crop (b = 0), dimensionless.
    shape : float
        Gamma shape of the loss cost given a claim at the mean exposure weight.
    counties : dict
        ``{adcode: CountyTruth}``.
    crops : dict
        ``{crop: (sum_insured_per_mu CNY, a_k, b_k, area share)}``; shares sum to 1.
    last_year : int
        Last year of the table (every county runs from its first year to here).
    growth : float
        Yearly growth of insured area (0.05 = 5 %).
    """

    claim_prob: float
    severity: float
    shape: float
    counties: dict
    crops: dict
    last_year: int = 2023
    growth: float = 0.05
    farm_mu: float = 5.0          # mean insured area per policy, mu (for the ``policies`` column)
    notes: dict = field(default_factory=dict)

    def loss_cost(self, county: int, crop: str) -> float:
        """True expected loss cost per year of (county, crop): ``p_ck * m_ck``."""
        c, (_, a_k, b_k, _) = self.counties[county], self.crops[crop]
        return float(expit(logit(self.claim_prob) + c.a + a_k) * self.severity * np.exp(c.b + b_k))

    def county_loss_cost(self, table: pd.DataFrame) -> pd.Series:
        """True expected loss cost by county at each county's crop mix (sum-insured shares) in ``table``."""
        share = table.groupby(["county", "crop"])["sum_insured"].sum()
        share = share / share.groupby(level="county").transform("sum")
        out = {c: sum(s * self.loss_cost(c, k) for k, s in share.loc[c].items())
               for c in share.index.get_level_values("county").unique()}
        return pd.Series(out).rename_axis("county")


def simulate_experience(truth: ExperienceTruth, seed: int) -> pd.DataFrame:
    """Draw a claims-experience table (columns of :mod:`engine.experience.table`) from ``truth``.

    Parameters
    ----------
    truth : ExperienceTruth
    seed : int
        Master seed; each (county, crop) row block draws from its own stream
        ``default_rng([seed, county, crop index])``, so adding a county leaves the others unchanged.
    """
    rows = []
    crop_names = list(truth.crops)
    for county, c in truth.counties.items():
        for ki, crop in enumerate(crop_names):
            si_mu, _, _, area_share = truth.crops[crop]
            for year in range(c.first_year, truth.last_year + 1):
                area = c.area_mu * area_share * (1 + truth.growth) ** (year - c.first_year)
                rows.append((county, crop, ki, year, area, area * si_mu))
    frame = pd.DataFrame(rows, columns=["county", "crop", "ki", "year", "area_mu", "sum_insured"])
    weight = frame["sum_insured"] / frame["sum_insured"].mean()
    indemnity = np.zeros(len(frame))
    for (county, ki), idx in frame.groupby(["county", "ki"]).groups.items():
        rng = np.random.default_rng([seed, int(county), int(ki)])
        crop = crop_names[ki]
        _, a_k, b_k, _ = truth.crops[crop]
        c = truth.counties[county]
        p = expit(logit(truth.claim_prob) + c.a + a_k)
        mean = truth.severity * np.exp(c.b + b_k)
        n = len(idx)
        claim = rng.random(n) < p
        shape = truth.shape * weight.loc[idx].to_numpy()
        y = rng.gamma(shape, mean / shape)
        indemnity[np.asarray(idx)] = np.where(claim, np.minimum(y, 1.0), 0.0) * frame.loc[idx, "sum_insured"].to_numpy()
    frame["indemnity"] = np.round(indemnity, 2)
    frame["sum_insured"] = np.round(frame["sum_insured"], 2)
    frame["area_mu"] = np.round(frame["area_mu"], 1)
    frame["policies"] = np.maximum(1, np.round(frame["area_mu"] / truth.farm_mu)).astype(np.int64)
    return frame[["county", "crop", "year", "sum_insured", "indemnity", "policies", "area_mu"]]
