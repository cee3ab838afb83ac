"""Perils on the carbon sink (engine/carbon/hazards.py): drought-conditioned fire and pest probabilities,
sampled frequencies within their standard errors, chunk independence, marine heat."""
import math

import numpy as np
import pytest
from scipy.special import expit, logit

from engine.carbon import hazards

SEED = 11
Z_BOUND = 4.0


@pytest.fixture(scope="session")
def params():
    from engine.carbon.growth import load_growth
    return hazards.load_hazards(forest_groups=load_growth().forest_names())


def test_fire_probability_by_hand_and_monotone_in_drought(params):
    fire = params.fire
    dryness = np.linspace(-3, 3, 25)[:, None]              # [Y, 1]: -SPEI from wet to very dry
    county = np.array([370323, 370102])                    # Yiyuan (x2 multiplier), Lixia (x1)
    p = fire.base_probability
    prob = hazards.fire_probability(fire, county, dryness)
    assert prob.shape == (25, 2)
    assert np.all(np.diff(prob, axis=0) > 0)               # strictly more likely the drier the year
    mid = 12                                               # dryness 0: a normal year
    assert prob[mid, 1] == pytest.approx(p)
    assert prob[mid, 0] == pytest.approx(2 * p)
    # logit p = logit(p0) + beta x at SPEI = -2
    assert prob[20, 1] == pytest.approx(expit(logit(p) + fire.drought_coefficient * 2.0))


def test_pest_probability_monotone_and_host_specific(params):
    dryness = np.linspace(-2, 3, 11)[:, None]
    groups = np.array(["pinus_thunbergii", "poplar"])
    for pest in params.pests:
        prob = hazards.pest_probability(pest, groups, dryness)
        for r, g in enumerate(groups):
            if g in pest.hosts:
                assert np.all(np.diff(prob[:, r]) > 0)
            else:
                assert np.all(prob[:, r] == 0)


def test_dryness_scores():
    np.testing.assert_allclose(hazards.dryness_from_spei([-1.5, 0.0, 2.0]), [1.5, 0.0, -2.0])
    np.testing.assert_allclose(hazards.dryness_from_deficit([0.3, 0.1], normal=0.1, scale=0.1), [2.0, 0.0])
    with pytest.raises(ValueError, match="scale"):
        hazards.dryness_from_deficit([0.3], 0.1, 0.0)


def test_fire_sampling_frequency_and_severity(params):
    fire = params.fire
    n = 20_000
    years = np.arange(1, n + 1)
    dryness = np.full((n, 1), 1.5)                          # a dry year everywhere: p ~ 0.0171 in Yiyuan
    county = np.array([370323])
    share = hazards.sample_fire_loss(fire, SEED, years, county, dryness)[:, 0]
    p = hazards.fire_probability(fire, county, 1.5)[0]
    hits = share > 0
    assert abs(hits.mean() - p) < Z_BOUND * math.sqrt(p * (1 - p) / n)
    # severity given a fire: burned share (beta, mean 0.25, CV 0.8) x 0.5 stock lost on burned ground
    sev = share[hits]
    mean = fire.burned_share_mean * fire.stock_loss_given_burn
    sd = fire.burned_share_cv * mean
    assert abs(sev.mean() - mean) < Z_BOUND * sd / math.sqrt(sev.size)
    assert np.all((share >= 0) & (share <= fire.stock_loss_given_burn))


def test_draws_do_not_depend_on_chunking(params):
    county = np.array([370323, 370102, 371082])
    groups = np.array(["pinus_thunbergii", "poplar", "robinia"])
    dry = np.linspace(-1, 2, 300).reshape(100, 3)
    years = np.arange(1, 101)
    whole_fire = hazards.sample_fire_loss(params.fire, SEED, years, county, dry)
    whole_pest = hazards.sample_pest_loss(params.pests, SEED, years, groups, dry)
    split = [(0, 41), (41, 100)]
    fire = np.vstack([hazards.sample_fire_loss(params.fire, SEED, years[a:b], county, dry[a:b]) for a, b in split])
    pest = [np.vstack(x) for x in zip(*[hazards.sample_pest_loss(params.pests, SEED, years[a:b], groups, dry[a:b])
                                        for a, b in split])]
    np.testing.assert_array_equal(whole_fire, fire)
    np.testing.assert_array_equal(whole_pest[0], pest[0])
    np.testing.assert_array_equal(whole_pest[1], pest[1])
    heat = hazards.sample_sst_anomaly(params.marine_heat, SEED, years)
    np.testing.assert_array_equal(heat, np.concatenate([hazards.sample_sst_anomaly(params.marine_heat, SEED, years[a:b])
                                                        for a, b in split]))


def test_pest_shares_and_frequency(params):
    n = 20_000
    years = np.arange(1, n + 1)
    stock, seq = hazards.sample_pest_loss(params.pests, SEED, years, np.array(["poplar", "pinus_thunbergii"]),
                                          np.zeros((n, 1)))
    assert np.all((stock >= 0) & (stock <= 1) & (seq >= 0) & (seq <= 1))
    # poplar only has the white moth: outbreak frequency = its base probability
    moth = next(p for p in params.pests if p.name == "white_moth")
    q = moth.base_probability
    assert abs((stock[:, 0] > 0).mean() - q) < Z_BOUND * math.sqrt(q * (1 - q) / n)
    # black pine has two pests: P(any) = 1 - (1 - p_wilt)(1 - p_caterpillar)
    both = 1 - np.prod([1 - p.base_probability for p in params.pests if "pinus_thunbergii" in p.hosts])
    assert abs((stock[:, 1] > 0).mean() - both) < Z_BOUND * math.sqrt(both * (1 - both) / n)


def test_combine_shares():
    np.testing.assert_allclose(hazards.combine_shares(np.array([0.5, 0.0]), np.array([0.5, 0.2])), [0.75, 0.2])
    with pytest.raises(ValueError, match="shares"):
        hazards.combine_shares(np.array([1.5]))


def test_heat_degree_days_by_hand(params):
    sst = np.full((2, 365), 27.0)
    sst[1] = 24.0
    # 10 days x (27 - 25) = 20 deg C day; never above 25 in the second year
    np.testing.assert_allclose(hazards.heat_degree_days(sst, 25.0, (1, 10)), [20.0, 0.0])
    shellfish = params.marine_heat.group("shellfish")
    # at HDD = scale the loss is max_loss (1 - 1/e)
    assert hazards.marine_heat_loss(shellfish, shellfish.hdd_scale) == pytest.approx(shellfish.max_loss * (1 - math.exp(-1)))


def test_marine_heat_shares_monotone_in_anomaly(params):
    heat = params.marine_heat
    anomaly = np.linspace(-1, 4, 21)
    shares = hazards.marine_heat_shares(heat, anomaly, np.array(["shellfish", "seagrass", "seaweed"]))
    assert shares.shape == (21, 3)
    assert np.all(np.diff(shares, axis=0) >= 0)
    assert np.all(shares[0] == 0)                          # a cool summer costs nothing
    assert shares[-1, 0] > 0 and shares[-1, 1] > 0
    for j, name in enumerate(["shellfish", "seagrass", "seaweed"]):
        assert np.all(shares[:, j] <= heat.group(name).max_loss)
    # climatology by hand: peak day at mean + amplitude
    assert hazards.sst_climatology(heat, [heat.peak_doy])[0] == pytest.approx(heat.mean_c + heat.amplitude_c)


def test_sst_anomaly_moments(params):
    n = 20_000
    a = hazards.sample_sst_anomaly(params.marine_heat, SEED, np.arange(1, n + 1))
    sd = params.marine_heat.anomaly_sd_c
    assert abs(a.mean()) < Z_BOUND * sd / math.sqrt(n)
    assert abs(a.var(ddof=1) - sd ** 2) < Z_BOUND * sd ** 2 * math.sqrt(2 / (n - 1))
