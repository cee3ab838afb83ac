"""Hazard intensity uncertainty (Oasis footprints): a site listed with several intensities and
probabilities. Uses the hand-made model of conftest.py (bins, curves, five risks)."""
import numpy as np

from engine.kernels import Footprint, Policies, occurrence_losses

NO_POLICY_TERMS = Policies(deductible=np.zeros(2), limit=np.full(2, np.inf))


def uncertain_footprint(entries, doy=220, event_id=7):
    """One event; ``entries`` = [(site, column-1 intensity, probability), ...], sites non-decreasing."""
    return Footprint(
        event_id=np.array([event_id], np.int64), year=np.array([1], np.int64), doy=np.array([doy], np.int16),
        peril=np.zeros(1, np.int32), offsets=np.array([0, len(entries)], np.int64),
        site=np.array([e[0] for e in entries], np.int32),
        intensity=np.array([[0.0, e[1]] for e in entries], np.float32),
        rng_id=np.array([event_id], np.int64), uncertain=np.ones(1, np.uint8),
        probability=np.array([e[2] for e in entries], np.float32))


def by_key(out):
    return {int(k): out[2][i] for i, k in enumerate(out[1])}


def test_mixture_mean_and_variance(tiny_model):
    m = tiny_model
    ex = m.make_exposure(policies=NO_POLICY_TERMS)
    # site 0 at 15 (bin 1, mean 1/40) with p 0.4 or 35 (bin 3, mean 0.475) with p 0.6;
    # site 1 at 25 (bin 2, mean 7/40) with p 0.5 and no hazard otherwise.
    fp = uncertain_footprint([(0, 15.0, 0.4), (0, 35.0, 0.6), (1, 25.0, 0.5)])
    out = by_key(occurrence_losses(fp, ex, NO_POLICY_TERMS, m.curves, m.n_keys, 1, 0))
    # r0 house 1000: damage 0.4/40 + 0.6*0.475 = 0.295 -> 295 (key 5 = product A / county X)
    p04, p06 = np.float64(np.float32(0.4)), np.float64(np.float32(0.6))   # probabilities are stored as float32
    assert out[5][0] == (p04 * (1 / 40) + p06 * 0.475) * 1000.0
    assert abs(out[5][0] - 295.0) < 1e-4
    # r1 crop 2000 (doy 220: susceptibility 1): 0.295*2000 = 590, -100 deductible = 490 < 500 limit, x0.8 = 392
    assert abs(out[6][0] - 392.0) < 1e-4
    # r2 house 4000 at site 1: 0.5 * 7/40 = 0.0875 -> 350 > franchise 300, paid in full
    assert abs(out[7][0] - 350.0) < 1e-4
    # portfolio = 295 + 392 + 350
    assert abs(out[0][0] - 1037.0) < 1e-3


def test_mixture_variance_is_the_mixture_of_bins(tiny_model):
    m = tiny_model
    ex = m.make_exposure(policies=NO_POLICY_TERMS)
    fp = uncertain_footprint([(0, 15.0, 0.4), (0, 35.0, 0.6)])
    out = occurrence_losses(fp, ex, NO_POLICY_TERMS, m.curves, m.n_keys, 1, 0)
    row = list(out[1]).index(5)
    p = np.float64(np.float32(0.4)), np.float64(np.float32(0.6))
    mean = p[0] * m.bin_mean[1] + p[1] * m.bin_mean[3]
    second = p[0] * (m.bin_var[1] + m.bin_mean[1] ** 2) + p[1] * (m.bin_var[3] + m.bin_mean[3] ** 2)
    # r0 has no terms: slope 1, variance = value^2 * (E[d^2] - E[d]^2)
    np.testing.assert_allclose(out[3][row], 1000.0 ** 2 * (second - mean ** 2), rtol=1e-12)


def test_sampled_hazard_draws_match_the_mixture(tiny_model):
    m = tiny_model
    ex = m.make_exposure(policies=NO_POLICY_TERMS)
    fp = uncertain_footprint([(0, 15.0, 0.4), (0, 35.0, 0.6)])
    q = 20_000
    out = occurrence_losses(fp, ex, NO_POLICY_TERMS, m.curves, m.n_keys, 3, q)
    loss = out[2][list(out[1]).index(5)] / 1000.0   # r0's damage ratio per sample
    mean = 0.4 * m.bin_mean[1] + 0.6 * m.bin_mean[3]
    second = 0.4 * (m.bin_var[1] + m.bin_mean[1] ** 2) + 0.6 * (m.bin_var[3] + m.bin_mean[3] ** 2)
    se = np.sqrt((second - mean ** 2) / q)
    assert abs(loss.mean() - mean) < 4 * se
    # bin 1 damages lie in [0, 0.1]; bin 3 damages are >= 0.1 with probability 0.8: P(d > 0.1) = 0.6 * 0.8
    p_high = 0.48
    assert abs((loss > 0.1).mean() - p_high) < 4 * np.sqrt(p_high * (1 - p_high) / q)


def test_remainder_probability_means_no_hazard(tiny_model):
    m = tiny_model
    ex = m.make_exposure(policies=NO_POLICY_TERMS)
    fp = uncertain_footprint([(1, 25.0, 0.5)])
    q = 20_000
    out = occurrence_losses(fp, ex, NO_POLICY_TERMS, m.curves, m.n_keys, 5, q)
    loss = out[2][list(out[1]).index(7)]   # r2 (4000, franchise 300)
    # loss 0: no hazard (p 0.5), or bin-2 damage <= 300/4000 = 0.075 (franchise): bin 2 puts 0.5 on
    # [0, 0.1] (uniform), so P(d <= 0.075) = 0.5 * 0.75 = 0.375; P(0) = 0.5 + 0.5 * 0.375 = 0.6875
    p_zero = 0.6875
    assert abs((loss == 0).mean() - p_zero) < 4 * np.sqrt(p_zero * (1 - p_zero) / q)
    assert (loss[loss > 0] > 300).all()
