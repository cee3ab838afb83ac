"""Tests of engine.kernels against hand-computed losses on the tiny model of ``conftest.py``.

Notation in the comments: d damage ratio, sus susceptibility, GU ground-up loss (CNY),
f policy factor (policy loss / sum of its risks' losses), var the bin's damage-ratio variance.
"""
import numpy as np
import pytest

from engine.kernels import Policies, draw_damage_in_bin, intensity_bin, occurrence_losses, season_losses


def draw_damage(cdf, low, high, u):
    """Qilu's bins: the bin mean is the midpoint, so the damage is uniform inside the bin."""
    return draw_damage_in_bin(cdf, low, high, (low + high) / 2, u)
from engine.rng import pair_key, uniform_at

SEED = 20240611


def season_rows(out):
    """{(chunk event index, key): (loss[Q], var)} from season_losses, duplicates summed."""
    row_event, row_key, row_loss, row_var, row_exposure = out
    assert np.all(row_exposure == 0.0)   # exposure is counted by occurrence_losses
    table = {}
    for i in range(row_event.size):
        code = (int(row_event[i]), int(row_key[i]))
        loss, var = table.get(code, (0.0, 0.0))
        table[code] = (loss + row_loss[i], var + row_var[i])
    return table


def rows_by_event_key(fp, out):
    """{(event id, key): (loss[Q], var, exposure)} from occurrence_losses' first five outputs."""
    row_event, row_key, row_loss, row_var, row_exposure = out[:5]
    table = {}
    for i in range(row_event.size):
        code = (int(fp.event_id[row_event[i]]), int(row_key[i]))
        assert code not in table, f"duplicate row {code}"
        table[code] = (row_loss[i], row_var[i], row_exposure[i])
    return table


# ----------------------------------------------------------------------------------------------
# scalar kernels
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, expected", [
    (0.0, 0), (9.99, 0),   # [0, 10)
    (10.0, 1),             # 10 / 40 * 4 = 1.0 -> bin 1
    (15.0, 1), (25.0, 2), (29.999, 2), (35.0, 3),
    (40.0, 3),             # 40 / 40 * 4 = 4 -> clamped to G - 1 = 3
    (50.0, 3), (1e6, 3),   # above x_max: last bin
])
def test_intensity_bin(x, expected):
    assert intensity_bin(x, 40.0, 4) == expected


def test_intensity_bin_float32_intensity():
    # footprints hold float32: 15 and 25 are exact in float32 -> bins 1 and 2
    assert intensity_bin(np.float32(15.0), 40.0, 4) == 1
    assert intensity_bin(np.float32(25.0), 40.0, 4) == 2


BIN_LOW = np.array([0.0, 0.0, 0.1, 0.5])
BIN_HIGH = np.array([0.0, 0.1, 0.5, 1.0])
CDF_G3 = np.array([0.0, 0.2, 0.5, 1.0])   # p = [0, 0.2, 0.3, 0.5]
CDF_G1 = np.array([0.5, 1.0, 1.0, 1.0])   # p = [0.5, 0.5, 0, 0]


@pytest.mark.parametrize("cdf, u, expected", [
    # first bin with cdf >= u, then low + (high - low) * (u - cdf_prev) / p_bin
    (CDF_G3, 0.2, 0.1),                       # at the boundary cdf[1] = 0.2: bin 1, its top 0.1
    (CDF_G3, 0.5, 0.5),                       # boundary cdf[2] = 0.5: bin 2, its top 0.5
    (CDF_G3, 0.1, 0.05),                      # bin 1: 0 + 0.1 * 0.1 / 0.2
    (CDF_G3, 0.35, 0.3),                      # bin 2: 0.1 + 0.4 * 0.15 / 0.3
    (CDF_G3, 0.75, 0.75),                     # bin 3: 0.5 + 0.5 * 0.25 / 0.5
    (CDF_G3, 1e-12, 0.1 * 1e-12 / 0.2),       # bin 0 has p = 0 (cdf 0 < u): never drawn
    (CDF_G1, 0.3, 0.0),                       # zero bin [0, 0]
    (CDF_G1, 0.5, 0.0),                       # boundary of the zero bin: still zero damage
    (CDF_G1, 0.75, 0.05),                     # bin 1: 0 + 0.1 * 0.25 / 0.5
    (CDF_G1, 1.0, 0.1),                       # first cdf >= 1 is bin 1 (bins 2, 3 have p = 0)
    (np.array([0.0, 0.2, 0.2, 1.0]), 0.2, 0.1),  # empty bin 2 after the boundary is skipped
    (np.array([0.0, 0.2, 0.2, 1.0]), 0.6, 0.75),  # bin 3: 0.5 + 0.5 * 0.4 / 0.8
])
def test_draw_damage_hand_cases(cdf, u, expected):
    assert draw_damage(cdf, BIN_LOW, BIN_HIGH, u) == pytest.approx(expected, rel=1e-12, abs=1e-15)


# ----------------------------------------------------------------------------------------------
# occurrence_losses, mean mode, on the tiny model (conftest.py lays out the model)
# ----------------------------------------------------------------------------------------------

# Expected rows (event id, key) -> (loss, variance, exposure), derived here.
#
# e0 (1001, day 150):
#   site 0, x = 15 -> bin 1: mean 1/40, var 1/960
#     r0 house sus 1:   d = 0.025, GU = 25, no risk terms -> 25; slope 1
#                       var_r0 = (1 * sqrt(1/960) * 1 * 1000)^2 = 1e6 / 960
#     r1 crop  sus 0.5 (day 150 in 100..199): d = 0.0125, GU = 25 <= deductible 100 -> 0; slope 0
#   site 1, x = 25 -> bin 2: mean 7/40, var 109/4800
#     r2 house: d = 0.175, GU = 700 > franchise 300 -> 700 (< limit 4000); slope 1
#                       var_r2 = 109/4800 * 4000^2
#     r3 shed: curve 1 reads a measure missing from the footprint -> skipped, no exposure
#   policy 0: 25 + 0 = 25 <= deductible 175 -> f0 = 0
#   policy 1: 700, limit 1000 -> f1 = 1
#   exposure: r0 1000, r1 2000, r2 4000 (r3 skipped)
E0_VAR_R2 = 109 / 4800 * 4000.0 ** 2
# e1 (1002, day 220):
#   site 0, x = 35 -> bin 3: mean 0.475, var 469/4800
#     r0: GU = 475 -> 475; slope 1; var_r0 = 469/4800 * 1000^2
#     r1 crop sus 1.0 (day 220 in 200..250): GU = 950; 950 - 100 = 850 capped at 500; * 0.8 = 400;
#         slope 0 (850 >= limit 500)
#   site 1, x = 5 -> bin 0: mean 0; r2 GU = 0 -> 0, exposure still 4000; r3 skipped
#   site 2, x = 30: r4 kiosk has no curve (-1) -> skipped, no exposure
#   policy 0: 475 + 400 = 875 -> (875 - 175) / 875 = 0.8: r0 380, r1 320; var_r0 * 0.8^2
#   policy 1: total 0 -> f1 = 0
E1_VAR_R0 = 469 / 4800 * 1000.0 ** 2 * 0.8 ** 2
# e2 (2001, day 10):
#   site 1, x = 50 > x_max -> bin 3: r2 GU = 0.475 * 4000 = 1900 -> 1900; slope 1
#   site 0: measure column 1 is 0 (column 0 = 80 is read by no curve) -> nothing, no exposure
#   policy 1: 1900 capped at 1000 -> f1 = 10/19: r2 1000; var = 469/4800 * 4000^2 * (10/19)^2
E2_VAR_R2 = 469 / 4800 * 4000.0 ** 2 * (10 / 19) ** 2
# keys: r0 [0, 1, 3, 5], r1 [0, 2, 3, 6], r2 [0, 1, 4, 7]; r3 (key 8) never appears
EXPECTED_MEAN_ROWS = {
    # e0: r0 0 (f0 = 0), r1 0, r2 700
    (1001, 0): (700.0, E0_VAR_R2, 7000.0),
    (1001, 1): (700.0, E0_VAR_R2, 5000.0),   # r0 + r2
    (1001, 2): (0.0, 0.0, 2000.0),           # r1
    (1001, 3): (0.0, 0.0, 3000.0),           # r0 + r1
    (1001, 4): (700.0, E0_VAR_R2, 4000.0),   # r2
    (1001, 5): (0.0, 0.0, 1000.0),           # r0
    (1001, 6): (0.0, 0.0, 2000.0),           # r1
    (1001, 7): (700.0, E0_VAR_R2, 4000.0),   # r2
    # e1: r0 380, r1 320, r2 0
    (1002, 0): (700.0, E1_VAR_R0, 7000.0),
    (1002, 1): (380.0, E1_VAR_R0, 5000.0),
    (1002, 2): (320.0, 0.0, 2000.0),
    (1002, 3): (700.0, E1_VAR_R0, 3000.0),
    (1002, 4): (0.0, 0.0, 4000.0),
    (1002, 5): (380.0, E1_VAR_R0, 1000.0),
    (1002, 6): (320.0, 0.0, 2000.0),
    (1002, 7): (0.0, 0.0, 4000.0),
    # e2: r2 1000
    (2001, 0): (1000.0, E2_VAR_R2, 4000.0),
    (2001, 1): (1000.0, E2_VAR_R2, 4000.0),
    (2001, 4): (1000.0, E2_VAR_R2, 4000.0),
    (2001, 7): (1000.0, E2_VAR_R2, 4000.0),
}


@pytest.fixture(scope="module")
def mean_run(tiny_model):
    m = tiny_model
    return occurrence_losses(m.footprint, m.exposure, m.policies, m.curves, m.n_keys, SEED, 0)


def test_occurrence_mean_mode_hand_table(tiny_model, mean_run):
    got = rows_by_event_key(tiny_model.footprint, mean_run)
    assert set(got) == set(EXPECTED_MEAN_ROWS)
    for code, (loss, var, exposure) in EXPECTED_MEAN_ROWS.items():
        g_loss, g_var, g_exposure = got[code]
        assert g_loss.shape == (1,)
        assert g_loss[0] == pytest.approx(loss, rel=1e-12, abs=1e-9), code
        assert g_var == pytest.approx(var, rel=1e-12, abs=1e-9), code
        assert g_exposure == pytest.approx(exposure, rel=1e-12), code


def test_occurrence_mean_mode_row_layout(tiny_model, mean_run):
    row_event, row_key, row_loss, row_var, row_exposure = mean_run[:5]
    assert row_event.dtype == np.int64 and row_key.dtype == np.int32
    assert row_loss.dtype == np.float64 and row_loss.ndim == 2 and row_loss.shape[1] == 1
    # rows come event by event (chunk event index)
    assert np.all(np.diff(row_event) >= 0)
    # no seasonal risk in this portfolio: no damage records
    assert all(a.shape[0] == 0 for a in mean_run[5:])


def test_occurrence_policy_allocation_adds_up(tiny_model, mean_run):
    # the portfolio key (0) holds every risk once: its loss is the sum of the policy losses
    # e1: policy 0 pays min(875 - 175, 10000) = 700, policy 1 pays 0 -> 700
    got = rows_by_event_key(tiny_model.footprint, mean_run)
    assert got[(1002, 0)][0][0] == pytest.approx(700.0, rel=1e-12)
    # product A (key 1) + product B (key 2) = portfolio (key 0), and county X + Y likewise
    for eid in (1001, 1002):
        total = got[(eid, 0)][0][0]
        assert got[(eid, 1)][0][0] + got[(eid, 2)][0][0] == pytest.approx(total, rel=1e-12)
        assert got[(eid, 3)][0][0] + got[(eid, 4)][0][0] == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize("limit", [np.inf, 1e12])
def test_occurrence_policies_without_terms(tiny_model, limit):
    # policy deductible 0 and no limit (inf, or one that never binds): f = 1, risk losses pass through
    #   e0: r0 25 + r1 0 + r2 700 = 725; var 1e6/960 (r0) + 109/4800 * 4000^2 (r2)
    #   e1: r0 475 + r1 400 + r2 0 = 875; var 469/4800 * 1e6 (r0; r1 slope 0)
    #   e2: r2 1900; var 469/4800 * 4000^2
    m = tiny_model
    pol = Policies(np.array([0.0, 0.0]), np.array([limit, limit]))
    ex = m.make_exposure(policies=pol)
    got = rows_by_event_key(m.footprint, occurrence_losses(m.footprint, ex, pol, m.curves, m.n_keys, SEED, 0))
    assert set(got) == set(EXPECTED_MEAN_ROWS)
    for eid, loss, var in [(1001, 725.0, 1e6 / 960 + E0_VAR_R2), (1002, 875.0, 469 / 4800 * 1e6),
                           (2001, 1900.0, 469 / 4800 * 4000.0 ** 2)]:
        assert got[(eid, 0)][0][0] == pytest.approx(loss, rel=1e-12)
        assert got[(eid, 0)][1] == pytest.approx(var, rel=1e-12)
    assert got[(1002, 2)][0][0] == pytest.approx(400.0, rel=1e-12)   # r1 alone under product B
    assert got[(1001, 5)][0][0] == pytest.approx(25.0, rel=1e-12)    # r0 alone under A/X


def test_occurrence_site_listed_twice_raises(tiny_model):
    m = tiny_model
    fp = m.footprint_from([(1001, 2000, 150, [(0, 0.0, 15.0), (0, 0.0, 20.0), (1, 0.0, 25.0)])])
    with pytest.raises(ValueError, match="twice"):
        occurrence_losses(fp, m.exposure, m.policies, m.curves, m.n_keys, SEED, 0)


def test_occurrence_site_in_two_events_is_fine(tiny_model):
    # the same site in consecutive events: slots are reset between events
    m = tiny_model
    fp = m.footprint_from([(1, 2000, 150, [(1, 0.0, 25.0)]), (2, 2000, 151, [(1, 0.0, 25.0)])])
    got = rows_by_event_key(fp, occurrence_losses(fp, m.exposure, m.policies, m.curves, m.n_keys, SEED, 0))
    # r2 only (r3 has no measure): 700 each time, as in e0
    assert got[(1, 7)][0][0] == pytest.approx(700.0) and got[(2, 7)][0][0] == pytest.approx(700.0)


def test_occurrence_susceptibility_by_day_of_year(tiny_model):
    # r1 (crop, deductible 100, limit 500, coinsurance 0.8) alone via its own policy terms:
    # site 0 at x = 35 (bin 3, mean 0.475); r0 is also at site 0, keys 2 and 6 see only r1.
    #   day 150: sus 0.5 -> GU 0.2375 * 2000 = 475 -> 375 -> 0.8 * 375 = 300
    #   day 210: sus 1.0 -> GU 950 -> 850 capped 500 -> 400
    #   day 300: sus 0 (outside the stages) -> 0, exposure still counted
    # policy 0 without terms for this test (deductible 0, big limit): f = 1
    m = tiny_model
    pol = Policies(np.array([0.0, 0.0]), np.array([1e12, 1e12]))
    fp = m.footprint_from([(1, 2000, 150, [(0, 0.0, 35.0)]), (2, 2000, 210, [(0, 0.0, 35.0)]),
                           (3, 2000, 300, [(0, 0.0, 35.0)])])
    ex = m.make_exposure(policies=pol)
    got = rows_by_event_key(fp, occurrence_losses(fp, ex, pol, m.curves, m.n_keys, SEED, 0))
    assert got[(1, 6)][0][0] == pytest.approx(300.0, rel=1e-12)
    assert got[(2, 6)][0][0] == pytest.approx(400.0, rel=1e-12)
    assert got[(3, 6)][0][0] == 0.0 and got[(3, 6)][2] == 2000.0
    # variance at day 150: slope 0.8 (475 inside (100, 600)), var 469/4800, sus 0.5, value 2000
    #   (0.8 * sqrt(469/4800) * 0.5 * 2000)^2 = 0.64 * 469/4800 * 1e6
    assert got[(1, 6)][1] == pytest.approx(0.64 * 469 / 4800 * 1e6, rel=1e-12)


def test_occurrence_seasonal_risks_only_record_damage(tiny_model):
    # r1 seasonal: e0 records d = 0.5 * 0.025 = 0.0125 with var 1/960 * 0.5^2;
    # e1 records d = 0.475 with var 469/4800 (sus 1). Its exposure still counts, its loss does not:
    #   e1 policy 0 holds r0 alone: (475 - 175) / 475 -> r0 pays 300
    m = tiny_model
    seasonal = np.array([False, True, False, False, False])
    ex = m.make_exposure(seasonal=seasonal)
    out = occurrence_losses(m.footprint, ex, m.policies, m.curves, m.n_keys, SEED, 0)
    s_event, s_risk, s_damage, s_var = out[5:]
    np.testing.assert_array_equal(s_event, [0, 1])
    np.testing.assert_array_equal(s_risk, [1, 1])
    np.testing.assert_allclose(s_damage[:, 0], [0.0125, 0.475], rtol=1e-12)
    np.testing.assert_allclose(s_var, [0.25 / 960, 469 / 4800], rtol=1e-12)
    got = rows_by_event_key(m.footprint, out)
    assert got[(1002, 2)][0][0] == 0.0 and got[(1002, 2)][2] == 2000.0   # key B: r1 only
    assert got[(1002, 5)][0][0] == pytest.approx(300.0, rel=1e-12)       # A/X: r0
    assert got[(1002, 0)][0][0] == pytest.approx(300.0, rel=1e-12)       # portfolio: r0 only (r2 0)
    assert got[(1002, 0)][2] == 7000.0

    # chained with season_losses: year 2000, r1: D = 1 - (1 - 0.0125)(1 - 0.475) = 1 - 0.5184375
    #   = 0.4815625; GU = 963.125; - 100 = 863.125 capped 500; * 0.8 = 400
    #   policy 0 (seasonal part): 400 - 175 = 225 -> f = 225/400; r1 pays 225
    #   allocated by d: e0 225 * 0.0125 / 0.4875 = 225/39, e1 225 * 0.475 / 0.4875 = 225 * 38/39
    sea = season_losses(m.footprint.year, s_event, s_risk, s_damage, s_var, ex, m.policies, m.n_keys)
    got = season_rows(sea)
    r1_keys = (0, 2, 3, 6)
    assert set(got) == {(e, k) for e in (0, 1) for k in r1_keys}
    for k in r1_keys:
        assert got[(0, k)][0][0] == pytest.approx(225 / 39, rel=1e-12)
        assert got[(1, k)][0][0] == pytest.approx(225 * 38 / 39, rel=1e-12)


# ----------------------------------------------------------------------------------------------
# sampled mode
# ----------------------------------------------------------------------------------------------

def reference_draw(cdf_row, low, high, u):
    """Independent inverse-cdf draw: numpy searchsorted, uniform damage inside the bin."""
    b = int(np.searchsorted(cdf_row, u, side="left"))
    prev = cdf_row[b - 1] if b > 0 else 0.0
    return low[b] + (high[b] - low[b]) * (u - prev) / (cdf_row[b] - prev)


def test_sampled_draws_follow_documented_keys(tiny_model):
    # e2 hits r2 alone (site 1, bin 3): key 7 (A/Y) loss per sample q is
    #   GU_q = 4000 * d_q, d_q from u = uniform_at(pair_key(seed, 2001, uid_r2), q) (q = 1..Q);
    #   risk terms: 0 if GU_q <= franchise 300 else GU_q; policy 1: min(., 1000)
    m = tiny_model
    n_samples = 64
    out = occurrence_losses(m.footprint, m.exposure, m.policies, m.curves, m.n_keys, SEED, n_samples)
    got = rows_by_event_key(m.footprint, out)
    # through the numba dispatcher pair_key returns a Python int: keep it uint64 as inside the kernel
    key = np.uint64(pair_key(SEED, 2001, m.exposure.uid[2]))
    expected = np.empty(n_samples)
    for q in range(n_samples):
        u = uniform_at(key, q + 1)
        gu = 4000.0 * reference_draw(np.array([0.0, 0.2, 0.5, 1.0]), BIN_LOW, BIN_HIGH, u)
        expected[q] = min(gu if gu > 300.0 else 0.0, 1000.0)
    loss, var, exposure = got[(2001, 7)]
    np.testing.assert_allclose(loss, expected, rtol=1e-12, atol=1e-9)
    assert var == 0.0              # no delta-method variance when sampling
    assert exposure == 4000.0
    assert np.all(out[2] >= 0.0)
    assert len(set(loss.tolist())) > 1  # samples differ


def _sampled_rows(m, events, n_samples=16):
    fp = m.make_footprint(events)
    out = occurrence_losses(fp, m.exposure, m.policies, m.curves, m.n_keys, SEED, n_samples)
    return rows_by_event_key(fp, out)


def test_sampled_rows_independent_of_chunking_and_order(tiny_model):
    whole = _sampled_rows(tiny_model, (0, 1, 2))
    parts = {**_sampled_rows(tiny_model, (0,)), **_sampled_rows(tiny_model, (1, 2))}
    reverse = _sampled_rows(tiny_model, (2, 1, 0))
    assert set(whole) == set(parts) == set(reverse) == set(EXPECTED_MEAN_ROWS)
    for code, (loss, var, exposure) in whole.items():
        for other in (parts, reverse):
            o_loss, o_var, o_exposure = other[code]
            assert np.array_equal(loss, o_loss), code     # bit-identical
            assert var == o_var and exposure == o_exposure
    # and the draws are not all equal to the mean-mode loss (the samples really vary)
    assert np.ptp(whole[(1002, 5)][0]) > 0.0


def test_sampled_reproducible_and_seed_dependent(tiny_model):
    m = tiny_model
    a = occurrence_losses(m.footprint, m.exposure, m.policies, m.curves, m.n_keys, SEED, 8)
    b = occurrence_losses(m.footprint, m.exposure, m.policies, m.curves, m.n_keys, SEED, 8)
    c = occurrence_losses(m.footprint, m.exposure, m.policies, m.curves, m.n_keys, SEED + 1, 8)
    assert np.array_equal(a[2], b[2])
    assert not np.array_equal(a[2], c[2])


def _single_risk(m):
    """One house risk (value 1000, no terms) at site 0 under a policy without terms."""
    pol = Policies(np.array([0.0]), np.array([1e12]))
    ex = m.exposure_record(policies=pol, site_offsets=np.array([0, 1], np.int64), site_risks=np.array([0], np.int32),
                           value=np.array([1000.0]), deductible=np.array([0.0]), limit=np.array([1e12]),
                           franchise=np.array([0.0]), coinsurance=np.array([1.0]),
                           klass=np.array([0], np.int16), policy=np.array([0], np.int32),
                           seasonal=np.zeros(1, np.bool_), uid=np.array([0xDEADBEEF], np.uint64),
                           keys=np.array([[0, 1, 2, 3]], np.int32))
    return ex, pol


@pytest.mark.parametrize("x, g", [(15.0, 1), (25.0, 2), (35.0, 3)])
def test_sampled_mean_matches_analytical_mean(tiny_model, x, g):
    # Q = 20000 draws of the loss 1000 * d, d from bin g's distribution. Exact moments
    # (conftest.py): mean 1000 * mean_g, variance 1000^2 * var_g, so the sample mean's standard
    # error is 1000 * sqrt(var_g / Q). Fixed seed; tolerance 4 standard errors.
    m = tiny_model
    ex, pol = _single_risk(m)
    fp = m.footprint_from([(7, 2000, 150, [(0, 0.0, x)])])
    n_samples = 20_000
    out = occurrence_losses(fp, ex, pol, m.curves, 4, SEED, n_samples)
    mean_out = occurrence_losses(fp, ex, pol, m.curves, 4, SEED, 0)
    loss = out[2][0]
    assert loss.shape == (n_samples,)
    analytical = 1000.0 * m.bin_mean[g]
    assert mean_out[2][0, 0] == pytest.approx(analytical, rel=1e-12)
    assert mean_out[3][0] == pytest.approx(1000.0 ** 2 * m.bin_var[g], rel=1e-12)  # slope 1, f = 1
    se = 1000.0 * np.sqrt(m.bin_var[g] / n_samples)
    assert abs(loss.mean() - analytical) < 4.0 * se
    # every draw stays inside the support of the bins with positive probability
    assert loss.min() >= 0.0 and loss.max() <= 1000.0


def test_sampled_bin_frequencies(tiny_model):
    # bin 3: p = [0, 0.2, 0.3, 0.5] over damage [0], (0, 0.1], (0.1, 0.5], (0.5, 1]
    # counts in each bin are binomial: |count / Q - p| < 4 sqrt(p (1 - p) / Q)
    m = tiny_model
    ex, pol = _single_risk(m)
    fp = m.footprint_from([(8, 2000, 150, [(0, 0.0, 35.0)])])
    n_samples = 20_000
    d = occurrence_losses(fp, ex, pol, m.curves, 4, SEED, n_samples)[2][0] / 1000.0
    freq = np.array([np.mean(d <= 0.1), np.mean((d > 0.1) & (d <= 0.5)), np.mean(d > 0.5)])
    p = np.array([0.2, 0.3, 0.5])
    assert np.all(np.abs(freq - p) < 4.0 * np.sqrt(p * (1 - p) / n_samples))


# ----------------------------------------------------------------------------------------------
# season_losses
# ----------------------------------------------------------------------------------------------

def _season_exposure(m, policy_deductible):
    # r0: value 10000, deductible 1000, limit 10000, policy 0, keys [0, 1, 3, 5]
    # r1: value 5000, no risk terms, policy 0, keys [0, 2, 3, 6]
    pol = Policies(np.array([policy_deductible, 0.0]), np.array([1e12, 1e12]))
    ex = m.make_exposure(policies=pol, value=np.array([10_000.0, 5000.0, 4000.0, 500.0, 800.0]),
                         deductible=np.array([1000.0, 0.0, 0.0, 0.0, 0.0]),
                         limit=np.array([10_000.0, 5000.0, 4000.0, 500.0, 800.0]),
                         franchise=np.zeros(5), coinsurance=np.ones(5),
                         seasonal=np.array([True, True, False, False, False]))
    return ex, pol


def test_season_losses_two_events_one_year(tiny_model):
    # events e0, e1 in 2000 and e2 in 2001; r0 alone, two samples (columns):
    #   column 0: d = 0.2 (e0), 0.5 (e1), 0.3 (e2)
    #     2000: D = 1 - 0.8 * 0.5 = 0.6; GU 6000 - 1000 = 5000; allocated 5000 * 0.2/0.7 = 10000/7
    #           and 5000 * 0.5/0.7 = 25000/7
    #     2001: D = 0.3 (not 1 - 0.4 * 0.7 = 0.72: years are independent); 3000 - 1000 = 2000
    #   column 1: d = 0.1, 0.1, 0
    #     2000: D = 1 - 0.9^2 = 0.19; 1900 - 1000 = 900; 450 to each event
    #     2001: D = 0 -> 0 (the share 0/0 is guarded)
    #   variance (column 0 only): dD/dd_i = prod_{j != i}(1 - d_j); s_var = 0.01, 0.02, 0.03
    #     2000: var_D = 0.01 * 0.5^2 + 0.02 * 0.8^2 = 0.0153; slope 1 (5000 inside the layer);
    #           * 10000^2 = 1.53e6; row e0: 1.53e6 * (2/7)^2, row e1: 1.53e6 * (5/7)^2
    #     2001: 0.03 * 1 * 10000^2 = 3e6
    m = tiny_model
    ex, pol = _season_exposure(m, 0.0)
    year = np.array([2000, 2000, 2001], np.int64)
    s_event = np.array([0, 1, 2], np.int64)
    s_risk = np.array([0, 0, 0], np.int32)
    s_damage = np.array([[0.2, 0.1], [0.5, 0.1], [0.3, 0.0]])
    s_var = np.array([0.01, 0.02, 0.03])
    got = season_rows(season_losses(year, s_event, s_risk, s_damage, s_var, ex, pol, m.n_keys))
    r0_keys = (0, 1, 3, 5)
    assert set(got) == {(e, k) for e in (0, 1, 2) for k in r0_keys}
    expected_loss = {0: [10_000 / 7, 450.0], 1: [25_000 / 7, 450.0], 2: [2000.0, 0.0]}
    expected_var = {0: 1.53e6 * 4 / 49, 1: 1.53e6 * 25 / 49, 2: 3e6}
    for (e, k), (loss, var) in got.items():
        np.testing.assert_allclose(loss, expected_loss[e], rtol=1e-12, atol=1e-9)
        assert var == pytest.approx(expected_var[e], rel=1e-12)
    # the season's insured loss is fully allocated: 10000/7 + 25000/7 = 5000
    assert got[(0, 0)][0][0] + got[(1, 0)][0][0] == pytest.approx(5000.0, rel=1e-12)


def test_season_losses_policy_terms_and_allocation(tiny_model):
    # as above (column 0) plus r1 hit by e1 with d = 0.4 (GU 2000); policy 0 deductible 1000:
    #   2000: policy total 5000 + 2000 = 7000 -> f = 6000/7000 = 6/7
    #         r0: e0 5000 * 6/7 * 2/7 = 60000/49, e1 5000 * 6/7 * 5/7 = 150000/49; r1: e1 2000 * 6/7
    #   2001: r0 alone: 2000 -> f = (2000 - 1000) / 2000 = 1/2 -> e2 1000
    m = tiny_model
    ex, pol = _season_exposure(m, 1000.0)
    year = np.array([2000, 2000, 2001], np.int64)
    s_event = np.array([0, 1, 1, 2], np.int64)
    s_risk = np.array([0, 0, 1, 0], np.int32)
    s_damage = np.array([[0.2], [0.5], [0.4], [0.3]])
    s_var = np.zeros(4)
    got = season_rows(season_losses(year, s_event, s_risk, s_damage, s_var, ex, pol, m.n_keys))
    # r0 feeds keys 0, 1, 3, 5; r1 feeds 0, 2, 3, 6 (rows with equal (event, key) summed)
    r0_e0, r0_e1, r1_e1, r0_e2 = 60_000 / 49, 150_000 / 49, 12_000 / 7, 1000.0
    expected = {(0, 0): r0_e0, (0, 1): r0_e0, (0, 3): r0_e0, (0, 5): r0_e0,
                (1, 0): r0_e1 + r1_e1, (1, 1): r0_e1, (1, 2): r1_e1, (1, 3): r0_e1 + r1_e1,
                (1, 5): r0_e1, (1, 6): r1_e1,
                (2, 0): r0_e2, (2, 1): r0_e2, (2, 3): r0_e2, (2, 5): r0_e2}
    assert set(got) == set(expected)
    for code, loss in expected.items():
        assert got[code][0][0] == pytest.approx(loss, rel=1e-12), code
        assert got[code][1] == 0.0
    # policy loss in 2000 = 7000 - 1000 = 6000, allocated exactly (portfolio key)
    assert got[(0, 0)][0][0] + got[(1, 0)][0][0] == pytest.approx(6000.0, rel=1e-12)


def test_season_losses_years_in_separate_calls_agree(tiny_model):
    # chunking by years: 2001 alone gives the same rows as 2001 after 2000 in one call
    m = tiny_model
    ex, pol = _season_exposure(m, 1000.0)
    year = np.array([2000, 2000, 2001], np.int64)
    both = season_losses(year, np.array([0, 1, 1, 2], np.int64), np.array([0, 0, 1, 0], np.int32),
                         np.array([[0.2], [0.5], [0.4], [0.3]]), np.zeros(4), ex, pol, m.n_keys)
    alone = season_losses(np.array([2001], np.int64), np.array([0], np.int64), np.array([0], np.int32),
                          np.array([[0.3]]), np.zeros(1), ex, pol, m.n_keys)
    assert np.array_equal(both[0][-4:], [2] * 4) and np.array_equal(alone[0], [0] * 4)
    assert np.array_equal(both[1][-4:], alone[1])
    assert np.array_equal(both[2][-4:], alone[2])
    assert np.array_equal(both[3][-4:], alone[3])


def test_draw_damage_in_bin_with_oasis_bin_mean():
    # bin 2 is [0.1, 0.5] with probability 0.5 after a cdf of 0.5; Oasis "interpolation" 0.25 puts the
    # bin mean off-centre: x = (0.25 - 0.1) / 0.4 = 0.375, a linear density on the bin.
    cdf = np.array([0.0, 0.5, 1.0, 1.0])
    mean = np.array([0.0, 0.05, 0.25, 0.75])
    draw = lambda u: draw_damage_in_bin(cdf, BIN_LOW, BIN_HIGH, mean, u)  # noqa: E731
    assert draw(1.0) == pytest.approx(0.5)            # top of the bin
    assert draw(0.5 + 1e-12) == pytest.approx(0.1, abs=1e-9)   # bottom of the bin
    # u uniform over the bin's probability mass gives damages whose mean is the bin mean (midpoint rule
    # over 200,000 u values: error far below 1e-6)
    u = 0.5 + 0.5 * (np.arange(200_000) + 0.5) / 200_000
    damages = np.array([draw(x) for x in u])
    assert damages.mean() == pytest.approx(0.25, abs=1e-6)
    assert np.all(np.diff(damages) >= 0)              # the inverse cdf is monotone
    # the cdf at t: a t^2 + b t with a = 3h(2x-1)/w^2, b = 2h(2-3x)/w (h = 0.5, w = 0.4, x = 0.375)
    a, b = 3 * 0.5 * (2 * 0.375 - 1) / 0.16, 2 * 0.5 * (2 - 3 * 0.375) / 0.4
    t = 0.2
    assert draw(0.5 + a * t * t + b * t) == pytest.approx(0.1 + t, abs=1e-12)


# ---- several curves per (peril, class): independent components, D = 1 - prod(1 - d_j) -------------

def _chained(m, second_col=0):
    """The tiny curves with curve 1 chained after curve 0 (house and crop get both) and reading
    footprint column ``second_col`` (-1: absent)."""
    return m.curves._replace(measure_col=np.array([1, second_col], np.int32),
                             curve_next=np.array([1, -1], np.int32))


@pytest.mark.parametrize("x0, g0, x1, g1", [(15.0, 1, 99.0, 3), (25.0, 2, 12.0, 1), (0.0, 0, 35.0, 3)])
def test_two_curves_mean_and_variance_by_hand(tiny_model, x0, g0, x1, g1):
    # house, value 1000, no terms: curve 0 reads column 1 (x1 -> bin g1), curve 1 reads column 0
    # (x0 -> bin g0). E[D] = 1 - (1 - m1)(1 - m0); Var[D] = (v1 + (1 - m1)^2)(v0 + (1 - m0)^2) - (1 - m1)^2 (1 - m0)^2
    m = tiny_model
    ex, pol = _single_risk(m)
    cv = _chained(m)
    fp = m.footprint_from([(7, 2000, 150, [(0, x0, x1)])])
    out = occurrence_losses(fp, ex, pol, cv, 4, SEED, 0)
    m0, v0, m1, v1 = m.bin_mean[g0], m.bin_var[g0], m.bin_mean[g1], m.bin_var[g1]
    mean = 1.0 - (1.0 - m1) * (1.0 - m0)
    var = (v1 + (1 - m1) ** 2) * (v0 + (1 - m0) ** 2) - ((1 - m1) * (1 - m0)) ** 2
    assert out[2][0, 0] == pytest.approx(1000.0 * mean, rel=1e-12)
    assert out[3][0] == pytest.approx(1000.0 ** 2 * var, rel=1e-12)
    # sampled: the sample mean agrees within 4 standard errors, draws in [0, 1000]
    n_samples = 20_000
    loss = occurrence_losses(fp, ex, pol, cv, 4, SEED, n_samples)[2][0]
    assert abs(loss.mean() - 1000.0 * mean) < 4.0 * 1000.0 * np.sqrt(var / n_samples)
    assert loss.min() >= 0.0 and loss.max() <= 1000.0


def test_two_curves_component_draws_follow_documented_keys(tiny_model):
    # component 0 keeps the single-curve key, component 1 uses uid ^ COMPONENT_SALT
    from engine.kernels import COMPONENT_SALT
    m = tiny_model
    ex, pol = _single_risk(m)
    fp = m.footprint_from([(7, 2000, 150, [(0, 99.0, 35.0)])])   # both curves in bin 3
    loss = occurrence_losses(fp, ex, pol, _chained(m), 4, SEED, 32)[2][0]
    k0 = np.uint64(pair_key(SEED, 7, ex.uid[0]))
    k1 = np.uint64(pair_key(SEED, 7, ex.uid[0] ^ COMPONENT_SALT))
    cdf = np.array([0.0, 0.2, 0.5, 1.0])
    expected = [1000.0 * (1.0 - (1.0 - reference_draw(cdf, BIN_LOW, BIN_HIGH, uniform_at(k0, q)))
                          * (1.0 - reference_draw(cdf, BIN_LOW, BIN_HIGH, uniform_at(k1, q)))) for q in range(1, 33)]
    np.testing.assert_allclose(loss, expected, rtol=1e-12)


def test_chained_curve_on_an_absent_measure_changes_nothing(tiny_model):
    # the second curve reads a measure the footprint does not carry: results equal the single curve's
    m = tiny_model
    for n_samples in (0, 8):
        plain = occurrence_losses(m.footprint, m.exposure, m.policies, m.curves, m.n_keys, SEED, n_samples)
        chained = occurrence_losses(m.footprint, m.exposure, m.policies, _chained(m, -1), m.n_keys, SEED, n_samples)
        for a, b in zip(plain, chained):
            assert np.array_equal(a, b)


def test_two_curves_hit_when_only_the_second_measure_is_positive(tiny_model):
    # column 1 (curve 0) is 0 but column 0 (curve 1) is 35: the house is damaged by curve 1 alone
    m = tiny_model
    ex, pol = _single_risk(m)
    fp = m.footprint_from([(7, 2000, 150, [(0, 35.0, 0.0)])])
    out = occurrence_losses(fp, ex, pol, _chained(m), 4, SEED, 0)
    assert out[2][0, 0] == pytest.approx(1000.0 * m.bin_mean[3], rel=1e-12)


def test_two_curves_with_hazard_probabilities(tiny_model):
    # one site, two entries: (x0=99 -> bin 3, x1=15 -> bin 1) with p 0.3 and (0, 35 -> bin 3) with p 0.5;
    # the remaining 0.2 is no hazard. E[D] = 0.3 D_a + 0.5 D_b, E[D^2] = 0.3 S_a + 0.5 S_b (hand moments)
    m = tiny_model
    ex, pol = _single_risk(m)
    fp = m.footprint_from([(7, 2000, 150, [(0, 99.0, 15.0), (0, 0.0, 35.0)])])
    fp = fp._replace(uncertain=np.ones(1, np.uint8), probability=np.array([0.3, 0.5], np.float32))
    cv = _chained(m)
    out = occurrence_losses(fp, ex, pol, cv, 4, SEED, 0)
    mb, vb = m.bin_mean, m.bin_var

    def moments(g_curve0, g_curve1):   # curve 0 reads column 1, curve 1 reads column 0
        surv = (1 - mb[g_curve0]) * (1 - mb[g_curve1])
        surv2 = (vb[g_curve0] + (1 - mb[g_curve0]) ** 2) * (vb[g_curve1] + (1 - mb[g_curve1]) ** 2)
        return 1 - surv, 1 - 2 * surv + surv2
    da, sa = moments(1, 3)
    db, sb = moments(3, 0)
    p_a, p_b = np.float32(0.3), np.float32(0.5)
    mean = p_a * da + p_b * db
    var = p_a * sa + p_b * sb - mean ** 2
    assert out[2][0, 0] == pytest.approx(1000.0 * mean, rel=1e-6)
    assert out[3][0] == pytest.approx(1000.0 ** 2 * var, rel=1e-6)
    loss = occurrence_losses(fp, ex, pol, cv, 4, SEED, 20_000)[2][0]
    assert abs(loss.mean() - 1000.0 * mean) < 4.0 * 1000.0 * np.sqrt(var / 20_000)
    assert np.mean(loss == 0.0) == pytest.approx(0.2, abs=4 * np.sqrt(0.16 / 20_000))   # no hazard 20%


def test_full_cost_rules_trigger_total_loss_and_stage_cap(tiny_model):
    # r0 (value 10000, deductible 1000) under full-cost rules: trigger 0.1, total loss 0.8; stage cap
    # 0.6 up to day 120, 1.0 after. Three years, one column:
    #   2000: d = 0.05 (day 100) -> D 0.05 < trigger -> 0
    #   2001: d = 0.2 (day 100), 0.25 (day 150) -> D = 1 - 0.8 * 0.75 = 0.4; cap of the last loss
    #         (day 150) = 1.0 -> 10000 * 0.4 - 1000 = 3000, allocated 0.2/0.45 and 0.25/0.45
    #   2002: d = 0.9 (day 110) -> total loss: rate 1, cap 0.6 -> 6000 - 1000 = 5000
    from engine.kernels import CropTerms
    m = tiny_model
    ex, pol = _season_exposure(m, 0.0)
    cap = np.ones((2, 367))
    cap[1, :121] = 0.6
    crop = CropTerms(np.full(5, 0.1), np.full(5, 0.8), np.array([1, 0, 0, 0, 0], np.int32), cap)
    year = np.array([2000, 2001, 2001, 2002], np.int64)
    doy = np.array([100, 100, 150, 110], np.int64)
    s_event, s_risk = np.arange(4, dtype=np.int64), np.zeros(4, np.int32)
    s_damage = np.array([[0.05], [0.2], [0.25], [0.9]])
    got = season_rows(season_losses(year, s_event, s_risk, s_damage, np.full(4, 0.01), ex, pol, m.n_keys,
                                    event_doy=doy, crop=crop))
    loss = {e: got[(e, 0)][0][0] for e in range(4) if (e, 0) in got}
    assert loss.get(0, 0.0) == 0.0
    assert loss[1] == pytest.approx(3000 * 0.2 / 0.45) and loss[2] == pytest.approx(3000 * 0.25 / 0.45)
    assert loss[3] == pytest.approx(5000.0)
    assert got[(3, 0)][1] == 0.0          # above the total-loss level the loss no longer moves with D
