"""Carbon-sink growth curves (engine/carbon/growth.py) against hand-computed values."""
import math

import numpy as np
import pytest

from engine.carbon import growth

# round-number groups so the expected values can be worked out by hand:
# A = 100 m3/ha, k = ln2 / 10 (so 1 - exp(-k 10) = 1/2), p = 2; D 0.5, BEF 1.5, R 0.2, CF 0.5
HAND = {
    "forest": {
        "hand": {"volume_max_m3_per_ha": 100.0, "growth_rate_per_year": math.log(2) / 10, "shape": 2.0,
                 "wood_density_t_per_m3": 0.5, "biomass_expansion": 1.5, "root_shoot_ratio": 0.2,
                 "carbon_fraction": 0.5},
        "other": {"volume_max_m3_per_ha": 200.0, "growth_rate_per_year": 0.05, "shape": 3.0,
                  "wood_density_t_per_m3": 0.6, "biomass_expansion": 1.3, "root_shoot_ratio": 0.25,
                  "carbon_fraction": 0.48},
    },
    "blue": {"meadow": {"production_t_per_mu_year": 0.092, "carbon_fraction": 1.0}},
}


@pytest.fixture(scope="session")
def hand():
    return growth.growth_params(HAND)


@pytest.fixture(scope="session")
def shipped():
    return growth.load_growth()


def test_stock_and_sequestration_by_hand(hand):
    # V(10) = 100 (1/2)^2 = 25 m3/ha; C = 25 * 0.5 * 1.5 * 1.2 * 0.5 = 11.25 tC/ha
    # = 41.25 tCO2e/ha = 2.75 tCO2e/mu
    assert growth.stock_per_mu(hand, ["hand"], [10.0])[0] == pytest.approx(2.75, rel=1e-12)
    # dV/dt(10) = A p k e^{-kt} (1 - e^{-kt})^{p-1} = 100 * 2 * (ln2/10) * 1/2 * 1/2 = 5 ln2 m3/ha/yr;
    # per m3/ha: 0.5 * 1.5 * 1.2 * 0.5 * 44/12 / 15 = 0.11 tCO2e/mu
    assert growth.sequestration_per_mu(hand, ["hand"], [10.0])[0] == pytest.approx(5 * math.log(2) * 0.11, rel=1e-12)
    # V(20) = 100 (3/4)^2 = 56.25 m3/ha -> 6.1875 tCO2e/mu; a plot of 40 mu holds 247.5 tCO2e
    assert growth.plot_stock(hand, ["hand"], [20.0], [40.0])[0] == pytest.approx(247.5, rel=1e-12)
    assert growth.stock_per_mu(hand, ["hand"], [0.0])[0] == 0.0


def test_blue_carbon_by_hand(hand):
    # 0.092 tC/mu/yr (138 g C/m2/yr) * 44/12 = 0.337333 tCO2e/mu/yr
    assert growth.blue_sequestration_per_mu(hand, ["meadow"])[0] == pytest.approx(0.092 * 44 / 12, rel=1e-12)
    assert growth.blue_plot_sequestration(hand, ["meadow", "meadow"], [10.0, 0.0]).tolist() == \
        pytest.approx([0.92 * 44 / 12, 0.0])


@pytest.mark.parametrize("params_name", ["hand", "shipped"])
def test_sequestration_is_derivative_of_stock(params_name, request):
    params = request.getfixturevalue(params_name)
    names = params.forest_names()
    ages = np.array([0.5, 3.0, 10.0, 25.0, 60.0, 120.0])
    group = np.repeat(names, ages.size)
    age = np.tile(ages, len(names))
    h = 1e-4
    central = (growth.stock_per_mu(params, group, age + h) - growth.stock_per_mu(params, group, age - h)) / (2 * h)
    # central-difference truncation error ~ h^2 |S'''| / 6, far below this tolerance
    np.testing.assert_allclose(growth.sequestration_per_mu(params, group, age), central, rtol=1e-6, atol=1e-10)


def test_stock_increases_to_its_asymptote(shipped):
    ages = np.linspace(0, 300, 301)
    for g in shipped.forest:
        stock = growth.stock_per_mu(shipped, [g.name] * ages.size, ages)
        assert np.all(np.diff(stock) >= 0)           # flat only where it has saturated in float64
        assert np.all(np.diff(stock[:81]) > 0)        # growing over any plausible stand age
        assert stock[-1] <= g.volume_max_m3_per_ha * g.tco2e_per_mu_per_m3_ha
        assert stock[-1] == pytest.approx(g.volume_max_m3_per_ha * g.tco2e_per_mu_per_m3_ha, rel=1e-3)


def test_annual_increment_brackets_rate(hand):
    # before the inflection the curve is convex: the one-year increment exceeds the rate at its start
    inc = growth.annual_increment_per_mu(hand, ["hand"], [2.0])[0]
    assert inc == pytest.approx(growth.stock_per_mu(hand, ["hand"], [3.0])[0]
                                - growth.stock_per_mu(hand, ["hand"], [2.0])[0])
    assert inc > growth.sequestration_per_mu(hand, ["hand"], [2.0])[0]


def test_codes_and_names_agree(hand):
    codes = hand.forest_codes(["other", "hand", "other"])
    assert codes.tolist() == [1, 0, 1]
    ages = [5.0, 7.0, 9.0]
    np.testing.assert_array_equal(growth.stock_per_mu(hand, codes, ages),
                                  growth.stock_per_mu(hand, ["other", "hand", "other"], ages))


def test_bad_plots_fail_clearly(hand):
    with pytest.raises(ValueError, match="unknown forest group.*'birch'.*valid"):
        growth.stock_per_mu(hand, ["birch"], [10.0])
    with pytest.raises(ValueError, match="age"):
        growth.stock_per_mu(hand, ["hand"], [-1.0])
    with pytest.raises(ValueError, match="area"):
        growth.plot_stock(hand, ["hand"], [1.0], [-5.0])
    with pytest.raises(ValueError, match="code"):
        growth.stock_per_mu(hand, np.array([7]), [1.0])
