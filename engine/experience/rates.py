"""The county rate table: observed experience and the three estimates side by side.

One row per priced county. Loss costs and rates are per unit of sum insured per year
(dimensionless; 0.05 = 5 % of the sum insured); ``rate = loss cost x (1 + risk_load) /
(1 - expense_ratio)`` (:meth:`ExperienceSettings.rate`).

====================  ================================================================
column                meaning
====================  ================================================================
county, name          adcode and Chinese name
years                 years of data (0: no history, priced from the county distribution)
sum_insured           total sum insured over those years, CNY
sum_insured_last      sum insured of the last year, CNY
observed_loss_cost    total indemnity / total sum insured
bayes_loss_cost       posterior mean of the expected loss cost, with
bayes_lower/upper     its equal-tailed credible interval (``credible_level``)
bayes_rate (+ lower/upper)  the premium rate and its interval
glm_loss_cost, glm_rate      Tweedie GLM
buhlmann_loss_cost, buhlmann_rate, credibility_z   Bühlmann–Straub estimate and factor Z
cat_loss_cost         catastrophe-model loss cost of the county (when a prior run is given)
====================  ================================================================
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.experience.table import county_years

COLUMNS = ["county", "name", "years", "sum_insured", "sum_insured_last", "observed_loss_cost", "bayes_loss_cost",
           "bayes_lower", "bayes_upper", "bayes_rate", "bayes_rate_lower", "bayes_rate_upper", "glm_loss_cost",
           "glm_rate", "buhlmann_loss_cost", "buhlmann_rate", "credibility_z", "cat_loss_cost"]


def rate_table(table, bayes, glm, credibility, settings, cat_prior=None) -> pd.DataFrame:
    """Assemble the county rate table.

    Parameters
    ----------
    table : pandas.DataFrame
        The validated experience table used in the fits.
    bayes : engine.experience.bayes.BayesFit
    glm : engine.experience.glm.GlmFit
    credibility : engine.experience.credibility.CredibilityResult or None
    settings : engine.experience.settings.ExperienceSettings
    cat_prior : engine.experience.prior.CatPrior, optional
    """
    from engine.geo import load_counties

    names = load_counties().set_index("adcode")["name"]
    cy = county_years(table)
    per = cy.groupby("county").agg(years=("year", "nunique"), sum_insured=("sum_insured", "sum"),
                                   indemnity=("indemnity", "sum"))
    last = cy.sort_values("year").groupby("county")["sum_insured"].last()
    post = bayes.summary(settings.credible_level)
    out = pd.DataFrame(index=pd.Index(bayes.counties, name="county"))
    out["name"] = [names.get(int(c), "") for c in out.index]
    out["years"] = per["years"].reindex(out.index).fillna(0).astype(np.int64)
    out["sum_insured"] = per["sum_insured"].reindex(out.index).fillna(0.0)
    out["sum_insured_last"] = last.reindex(out.index).fillna(0.0)
    out["observed_loss_cost"] = (per["indemnity"] / per["sum_insured"]).reindex(out.index)
    out["bayes_loss_cost"] = post["mean"]
    out["bayes_lower"] = post["lower"]
    out["bayes_upper"] = post["upper"]
    for src, dst in (("bayes_loss_cost", "bayes_rate"), ("bayes_lower", "bayes_rate_lower"),
                     ("bayes_upper", "bayes_rate_upper")):
        out[dst] = settings.rate(out[src])
    out["glm_loss_cost"] = glm.county_loss_cost.reindex(out.index)
    out["glm_rate"] = settings.rate(out["glm_loss_cost"])
    if credibility is not None:
        cred = credibility.table
        # a county without history gets the collective mean with Z = 0
        out["buhlmann_loss_cost"] = cred["estimate"].reindex(out.index).fillna(credibility.collective)
        out["credibility_z"] = cred["Z"].reindex(out.index).fillna(0.0)
    else:
        out["buhlmann_loss_cost"] = np.nan
        out["credibility_z"] = np.nan
    out["buhlmann_rate"] = settings.rate(out["buhlmann_loss_cost"])
    out["cat_loss_cost"] = ([cat_prior.by_county.get(int(c), np.nan) for c in out.index] if cat_prior
                            else np.nan)
    return out.reset_index()[COLUMNS]


def format_rate_table(rates: pd.DataFrame, level: float) -> str:
    """Plain aligned text of the rate table (rates in percent of sum insured)."""
    pct = lambda x: "-" if not np.isfinite(x) else f"{100 * x:.2f}"   # noqa: E731
    header = ["county", "name", "yrs", "SI (M CNY)", "obs LC %", f"Bayes rate % [{level:.0%} CI]", "GLM %",
              "Bühlmann %", "Z"]
    rows = [[str(r.county), r.name, str(r.years), f"{r.sum_insured / 1e6:,.1f}", pct(r.observed_loss_cost),
             f"{pct(r.bayes_rate)} [{pct(r.bayes_rate_lower)}, {pct(r.bayes_rate_upper)}]", pct(r.glm_rate),
             pct(r.buhlmann_rate), "-" if not np.isfinite(r.credibility_z) else f"{r.credibility_z:.2f}"]
            for r in rates.itertuples()]

    def width(s):   # CJK characters take two columns in a terminal
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    widths = [max(width(x) for x in col) for col in zip(header, *rows)]
    left = {0, 1}

    def line(cells):
        return "  ".join(c + " " * (w - width(c)) if i in left else " " * (w - width(c)) + c
                         for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])
