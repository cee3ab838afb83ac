"""The hierarchical hurdle model: recovery of known parameters and partial pooling.

Sizes are reduced (2 chains x 300 draws, 1 process) so each fit takes a few seconds; the checks
use the model's own credible intervals, not loosened constants.
"""
import numpy as np
import pandas as pd
import pytest

from engine.experience.bayes import SamplerSettings, fit_bayes
from engine.experience.credibility import buhlmann_straub
from engine.experience.simulate import CountyTruth, ExperienceTruth, simulate_experience
from engine.experience.table import county_years, validate_experience
from engine.geo import load_counties

pytestmark = pytest.mark.slow
SMALL = SamplerSettings(draws=300, tune=300, chains=2, cores=1, seed=5)
ADCODES = [int(c) for c in load_counties()["adcode"][:20]]


def truth_with(n_counties, first_year, seed=3):
    rng = np.random.default_rng(seed)
    effects = rng.normal(0.0, [0.5, 0.3], size=(n_counties, 2))
    return ExperienceTruth(0.3, 0.25, 4.0, {c: CountyTruth(first_year, float(rng.uniform(1e4, 5e4)), float(a), float(b))
                                            for c, (a, b) in zip(ADCODES[:n_counties], effects)},
                           {"garlic": (1800.0, 0.0, 0.0, 1.0)}, last_year=2023)


@pytest.fixture(scope="module")
def recovery():
    truth = truth_with(16, 2014)          # 16 counties x 10 years
    table = validate_experience(simulate_experience(truth, seed=21))
    fit = fit_bayes(table, SMALL, extra_counties=[ADCODES[19]])
    return truth, table, fit


def test_recovers_county_loss_costs_within_credible_interval(recovery):
    truth, table, fit = recovery
    s = fit.summary(0.9)
    true = truth.county_loss_cost(table)
    inside = ((true >= s.loc[true.index, "lower"]) & (true <= s.loc[true.index, "upper"])).to_numpy()
    # 90 % intervals over 16 counties: P(fewer than 12 inside | coverage 0.9) = 0.017
    assert inside.sum() >= 12, s.assign(true=true)
    typical = truth.claim_prob * truth.severity
    lo, hi = np.quantile(fit.pooled, [0.05, 0.95])
    assert lo <= typical <= hi
    d = fit.diagnostics
    assert d["divergences"] <= 5 and d["r_hat_max"] < 1.05 and d["ess_bulk_min"] > 100


def test_county_without_data_is_priced_from_the_population(recovery):
    _, _, fit = recovery
    s = fit.summary(0.9)
    new = ADCODES[19]
    assert not fit.has_data[list(fit.counties).index(new)]
    width = s["upper"] - s["lower"]
    assert width[new] > width.drop(new).median()
    assert s.loc[new, "lower"] < np.median(fit.pooled) < s.loc[new, "upper"]


def shrinkage_fit(n_years):
    """15 counties with 30 years from the truth, and one county whose observed loss costs repeat
    [0.45, 0, 0] (observed mean 0.15, twice the typical 0.075) for ``n_years`` years."""
    truth = truth_with(15, 1994, seed=4)
    base = simulate_experience(truth, seed=31)
    years = np.arange(2024 - n_years, 2024)
    pattern = np.resize([0.45, 0.0, 0.0], n_years)
    target = pd.DataFrame({"county": ADCODES[16], "crop": "garlic", "year": years, "sum_insured": 1e8,
                           "indemnity": pattern * 1e8})
    table = validate_experience(pd.concat([base, target], ignore_index=True))
    fit = fit_bayes(table, SMALL)
    s = fit.summary(0.9).loc[ADCODES[16]]
    pooled = float(np.median(fit.pooled))
    cy = county_years(table)
    z = buhlmann_straub(cy["county"], cy["loss_cost"], cy["sum_insured"]).table.loc[ADCODES[16], "Z"]
    return {"shrink": (s["mean"] - pooled) / (0.15 - pooled), "width": s["upper"] - s["lower"], "z": z,
            "log_width": np.log(s["upper"] / s["lower"]),
            "mean": s["mean"], "pooled": pooled}


def test_few_years_shrink_toward_pooled_mean_and_interval_narrows_with_more_years():
    few, many = shrinkage_fit(3), shrinkage_fit(30)
    # the share of the distance from the pooled mean to the observed mean that the estimate keeps
    assert 0 <= few["shrink"] < many["shrink"] <= 1.2, (few, many)
    # the interval narrows: in CNY terms, and in relative (log) terms by at least a third
    assert many["width"] < few["width"], (few, many)
    assert many["log_width"] < (2 / 3) * few["log_width"], (few, many)
    assert few["z"] < many["z"]


def test_advi_runs_and_reports_no_nuts_diagnostics():
    truth = truth_with(6, 2018)
    table = validate_experience(simulate_experience(truth, seed=2))
    fit = fit_bayes(table, SamplerSettings(method="advi", draws=200, chains=1, advi_iterations=3000, seed=1))
    assert fit.draws.shape == (200, 6) and np.all(np.isfinite(fit.draws)) and np.all(fit.draws > 0)
    assert fit.diagnostics["r_hat_max"] is None and np.isfinite(fit.diagnostics["advi_final_loss"])


def test_cat_model_prior_pulls_the_pooled_loss_cost():
    truth = truth_with(6, 2021)           # 6 counties x 3 years: little data
    table = validate_experience(simulate_experience(truth, seed=8))
    vague = fit_bayes(table, SMALL)
    tight = fit_bayes(table, SMALL, prior_loss_cost=0.01, prior_sd=0.1)
    assert np.median(tight.pooled) < 0.5 * np.median(vague.pooled)
    lo, hi = np.quantile(tight.pooled, [0.05, 0.95])
    assert lo < 0.012 and hi > 0.008
    assert tight.prior == {"centre": 0.01, "sd_log": 0.1, "from_cat_model": True}
