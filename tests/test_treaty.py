"""Treaty layers and programs against hand cases, an independent loop and closed forms."""
import math

import numpy as np
import pytest

from engine.pricing import PricingBasis
from engine.treaty import layers as L
from engine.treaty.price import layer_statistics
from engine.treaty.program import SubjectLosses, apply_program
from engine.treaty.spec import parse_layer, parse_treaty


def test_cat_xl_with_one_reinstatement_by_hand():
    # one year, events 150, 80, 200; layer 100 xs 50, one reinstatement at 100%:
    # per event 100, 30, 100; annual cap 2 x 100 -> recoveries 100, 30, 70; the first 100 is reinstated
    ceded, factor = L.occurrence_xl(np.zeros(3, np.int64), np.array([150.0, 80.0, 200.0]), 50.0, 100.0, (1.0,))
    np.testing.assert_allclose(ceded, [100.0, 30.0, 70.0])
    assert factor.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(factor, [1.0, 0.0, 0.0])


def test_cat_xl_aad_and_pro_rata_reinstatements_by_hand():
    # two trials; AAD 40; layer 100 xs 0, two reinstatements at 100% and 50%
    trial = np.array([0, 0, 1], np.int64)
    ceded, factor = L.occurrence_xl(trial, np.array([60.0, 90.0, 30.0]), 0.0, 100.0, (1.0, 0.5), aad=40.0)
    # trial 0: x 60, 90 -> cumulative 60, 150 -> after AAD 20, 110 -> ceded 20, 90
    # trial 1: x 30 -> after AAD 0
    np.testing.assert_allclose(ceded, [20.0, 90.0, 0.0])
    # trial 0 recoveries 110: reinstatement 1 covers 100 (x1.0), reinstatement 2 covers 10 (x0.5)
    np.testing.assert_allclose(L.per_trial(trial, factor, 2), [1.0 + 0.05, 0.0])


def reference_occurrence_xl(trial, loss, d, l, reinst, aad):
    """Independent loop: the same contract as layers.occurrence_xl, one event at a time."""
    ceded, factors = np.zeros(loss.size), {}
    cum, prev_trial, recovered = 0.0, None, 0.0
    for i, (t, x) in enumerate(zip(trial, loss)):
        if t != prev_trial:
            cum, recovered, prev_trial = 0.0, 0.0, t
        cum += min(max(x - d, 0.0), l)
        new = min(max(cum - aad, 0.0), (1 + len(reinst)) * l)
        ceded[i] = new - recovered
        recovered = new
        factors[t] = sum(c * min(max(recovered - k * l, 0.0), l) / l for k, c in enumerate(reinst))
    return ceded, factors


def test_occurrence_xl_matches_an_independent_loop():
    rng = np.random.default_rng(11)
    trial = np.sort(rng.integers(0, 300, 2000))
    loss = rng.lognormal(4.0, 1.2, trial.size)
    ceded, factor = L.occurrence_xl(trial, loss, 80.0, 150.0, (1.0, 0.5), aad=30.0)
    ref, ref_f = reference_occurrence_xl(trial, loss, 80.0, 150.0, (1.0, 0.5), 30.0)
    np.testing.assert_allclose(ceded, ref, rtol=1e-12, atol=1e-9)
    per = L.per_trial(trial, factor, 300)
    for t, f in ref_f.items():
        assert per[t] == pytest.approx(f, abs=1e-12)


def test_layer_expected_loss_against_the_closed_form():
    # one event a year with probability p, exponential severity mean mu:
    # E[min(max(X - d, 0), l)] = mu (exp(-d/mu) - exp(-(d + l)/mu)); 400,000 years, 4 SE tolerance
    rng = np.random.default_rng(5)
    n, p, mu, d, l = 400_000, 0.3, 100.0, 80.0, 150.0
    hit = rng.random(n) < p
    trial = np.flatnonzero(hit)
    loss = rng.exponential(mu, trial.size)
    ceded, _ = L.occurrence_xl(trial, loss, d, l)
    per = L.per_trial(trial, ceded, n)
    exact = p * mu * (math.exp(-d / mu) - math.exp(-(d + l) / mu))
    assert per.mean() == pytest.approx(exact, abs=4 * per.std() / math.sqrt(n))


def test_stop_loss_against_numerical_integration():
    # annual aggregate gamma(2, 50): E[min(max(A - d, 0), l)] = integral_d^{d+l} S(x) dx
    from scipy import integrate, stats
    rng = np.random.default_rng(9)
    annual = rng.gamma(2.0, 50.0, 300_000)
    d, l = 150.0, 200.0
    exact = integrate.quad(lambda x: stats.gamma(2.0, scale=50.0).sf(x), d, d + l)[0]
    got = L.aggregate_xl(annual, d, l)
    assert got.mean() == pytest.approx(exact, abs=4 * got.std() / math.sqrt(annual.size))


def test_quota_share_and_surplus_by_hand():
    np.testing.assert_allclose(L.quota_share(np.array([100.0, 1000.0]), 0.4, event_limit=300.0), [40.0, 300.0])
    # retention 100, 3 lines: SI 50 -> 0; SI 250 -> 150/250; SI 1000 -> 300/1000
    np.testing.assert_allclose(L.surplus_share(np.array([50.0, 250.0, 1000.0]), 100.0, 3), [0.0, 0.6, 0.3])


def test_program_quota_share_inures_to_the_cat_xl():
    treaty = parse_treaty("t", {"subject": "portfolio", "layers": [
        {"name": "QS", "type": "quota_share", "share": 0.5, "inures": True},
        {"name": "XL", "type": "cat_xl", "attachment": 50.0, "limit": 100.0, "reinstatements": [1.0]},
        {"name": "SL", "type": "stop_loss", "attachment": 200.0, "limit": 100.0}]})
    subject = SubjectLosses(np.array([0, 0, 1], np.int64), np.array([300.0, 100.0, 40.0]), 3)
    res = apply_program(treaty, subject)
    np.testing.assert_allclose(res.layers["QS"].ceded_event, [150.0, 50.0, 20.0])
    # XL sees 150, 50, 20 -> 100, 0, 0
    np.testing.assert_allclose(res.layers["XL"].ceded_event, [100.0, 0.0, 0.0])
    # the QS inures to every later layer: SL sees the annual loss net of QS, 200, 20, 0 -> 0
    # (the XL does not inure, so the SL does not see its recoveries)
    np.testing.assert_allclose(res.layers["SL"].ceded_trial, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(res.gross_trial, [400.0, 40.0, 0.0])
    np.testing.assert_allclose(res.net_trial, [100.0, 20.0, 0.0])   # 400 - 200 (QS) - 100 (XL)
    assert np.all(res.net_trial + res.ceded_trial == pytest.approx(res.gross_trial))


def test_layer_statistics_reinstatement_adjusted_premium():
    layer = parse_layer("l", {"name": "XL", "type": "cat_xl", "attachment": 0.0, "limit": 100.0,
                              "reinstatements": [1.0]})
    ceded = np.array([0.0, 100.0, 200.0, 50.0])      # 4 trials
    factor = np.array([0.0, 1.0, 1.0, 0.5])
    basis = PricingBasis(risk_load="none", expense_ratio=0.1, profit_ratio=0.0, tax_ratio=0.0)
    row = layer_statistics(layer, ceded, factor, basis)
    assert row["expected_loss"] == pytest.approx(87.5)
    assert row["p_attach"] == 0.75 and row["p_exhaust"] == 0.25           # annual limit 200
    assert row["expected_reinstatement_factor"] == pytest.approx(0.625)
    assert row["pure_premium"] == pytest.approx(87.5 / 1.625)
    # premium + expected reinstatement premium = expected loss
    assert row["pure_premium"] + row["expected_reinstatement_premium"] == pytest.approx(87.5)
    assert row["gross_premium"] == pytest.approx(87.5 / 1.625 / 0.9)
    assert row["rate_on_line"] == pytest.approx(row["gross_premium"] / 100.0)


@pytest.mark.parametrize("spec, message", [
    ({"type": "cat_xxl"}, "unknown layer type 'cat_xxl'"),
    ({"type": "cat_xl", "limit": 10.0}, r"treaty.t.layers\[0\].attachment: required"),
    ({"type": "cat_xl", "attachment": -1, "limit": 10.0}, r"attachment: must be >= 0"),
    ({"type": "quota_share", "share": 1.5}, r"share: must be in \[0, 1\]"),
    ({"type": "cat_xl", "attachment": 0, "limit": 10.0, "colour": "red"}, r"unknown key\(s\) \['colour'\]"),
    ({"type": "cat_xl", "attachment": 0, "limit": "lots"}, "'lots' is not a number"),
])
def test_bad_layers_name_the_key(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_treaty("t", {"layers": [spec]})
