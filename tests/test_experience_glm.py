"""The Tweedie GLM recovers a known county relativity from simulated hurdle data."""
import numpy as np
import pytest

from engine.experience.glm import fit_glm
from engine.experience.simulate import CountyTruth, ExperienceTruth, simulate_experience
from engine.experience.table import validate_experience

# Three counties, equal area, 80 years each; severity effects only, so the true loss-cost
# relativity of county j to the base county 370102 is exp(b_j): 2.0 and 0.6.
TRUTH = ExperienceTruth(0.4, 0.2, 4.0, {
    370102: CountyTruth(1944 + 6, 10_000.0, 0.0, 0.0),
    370103: CountyTruth(1944 + 6, 10_000.0, 0.0, float(np.log(2.0))),
    370104: CountyTruth(1944 + 6, 10_000.0, 0.0, float(np.log(0.6))),
}, {"garlic": (1800.0, 0.0, 0.0, 1.0)}, last_year=2029, growth=0.0)


@pytest.fixture(scope="module")
def fit():
    return fit_glm(validate_experience(simulate_experience(TRUTH, seed=11)))


def test_glm_recovers_county_relativity(fit):
    for county, true in ((370103, 2.0), (370104, 0.6)):
        est, se = np.log(fit.relativity[county]), fit.se_log_relativity[county]
        assert 0 < se < 0.25
        assert abs(est - np.log(true)) < 3 * se, (county, np.exp(est), true, se)


def test_glm_county_loss_cost_near_truth(fit):
    table = validate_experience(simulate_experience(TRUTH, seed=11))
    truth = TRUTH.county_loss_cost(table)
    observed = table.groupby("county")["indemnity"].sum() / table.groupby("county")["sum_insured"].sum()
    # with county as the only factor and equal weights the GLM mean equals the observed mean
    np.testing.assert_allclose(fit.county_loss_cost.sort_index(), observed.sort_index(), rtol=1e-6)
    assert fit.relativity[370102] == 1.0 and truth[370103] / truth[370102] == pytest.approx(2.0)
