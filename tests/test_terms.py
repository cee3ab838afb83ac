"""Tests of engine.terms: each financial rule on a hand table (CNY)."""
import pytest

from engine.terms import policy_factor, risk_terms, risk_terms_slope

BIG = 1e12  # a limit that never binds

# (ground_up, deductible, limit, franchise, coinsurance, expected insured loss, why)
RISK_TERMS_TABLE = [
    (0.0, 0.0, BIG, 0.0, 1.0, 0.0, "no loss: 0 <= franchise 0 pays nothing"),
    (250.0, 0.0, BIG, 0.0, 1.0, 250.0, "no terms: the ground-up loss"),
    # franchise 100: nothing unless the loss exceeds 100, then the whole loss (not loss - 100)
    (100.0, 0.0, BIG, 100.0, 1.0, 0.0, "loss equal to the franchise: 100 <= 100 -> 0"),
    (99.0, 0.0, BIG, 100.0, 1.0, 0.0, "loss below the franchise"),
    (100.5, 0.0, BIG, 100.0, 1.0, 100.5, "just above the franchise: the whole 100.5"),
    # deductible
    (300.0, 500.0, BIG, 0.0, 1.0, 0.0, "deductible 500 larger than the loss 300"),
    (500.0, 500.0, BIG, 0.0, 1.0, 0.0, "loss equal to the deductible: 500 - 500 = 0"),
    (800.0, 500.0, BIG, 0.0, 1.0, 300.0, "800 - 500 = 300"),
    # limit (applied after the deductible)
    (5000.0, 1000.0, 2000.0, 0.0, 1.0, 2000.0, "5000 - 1000 = 4000 capped at 2000"),
    (3000.0, 1000.0, 2000.0, 0.0, 1.0, 2000.0, "3000 - 1000 = 2000, exactly the limit"),
    (2500.0, 1000.0, 2000.0, 0.0, 1.0, 1500.0, "2500 - 1000 = 1500 below the limit"),
    # coinsurance: the insurer's share
    (1000.0, 0.0, BIG, 0.0, 0.8, 800.0, "0.8 * 1000"),
    (5000.0, 0.0, 2000.0, 0.0, 0.8, 1600.0, "0.8 * min(5000, 2000)"),
    # all combined: franchise 1000, deductible 500, limit 3000, coinsurance 0.7
    (5000.0, 500.0, 3000.0, 1000.0, 0.7, 2100.0, "0.7 * min(5000 - 500, 3000) = 0.7 * 3000"),
    (2000.0, 500.0, 3000.0, 1000.0, 0.7, 1050.0, "0.7 * (2000 - 500) = 0.7 * 1500"),
    (1000.0, 500.0, 3000.0, 1000.0, 0.7, 0.0, "at the franchise: 0 though above the deductible"),
    (1000.01, 500.0, 3000.0, 1000.0, 0.7, 0.7 * 500.01, "just above the franchise: 0.7 * 500.01"),
]


@pytest.mark.parametrize("ground_up, deductible, limit, franchise, coinsurance, expected, why", RISK_TERMS_TABLE,
                         ids=[row[-1] for row in RISK_TERMS_TABLE])
def test_risk_terms_hand_table(ground_up, deductible, limit, franchise, coinsurance, expected, why):
    got = risk_terms(ground_up, deductible, limit, franchise, coinsurance)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


# (ground_up, deductible, limit, franchise, coinsurance, expected slope d insured / d ground-up)
SLOPE_TABLE = [
    (1500.0, 500.0, 3000.0, 0.0, 0.7, 0.7),   # inside the layer (500, 3500): the coinsurance share
    (400.0, 500.0, 3000.0, 0.0, 0.7, 0.0),    # below the deductible: flat at 0
    (500.0, 500.0, 3000.0, 0.0, 0.7, 0.0),    # at the deductible (ground_up <= deductible)
    (4000.0, 500.0, 3000.0, 0.0, 0.7, 0.0),   # above the layer: 4000 - 500 >= 3000, capped
    (3500.0, 500.0, 3000.0, 0.0, 0.7, 0.0),   # at the top of the layer
    (3499.0, 500.0, 3000.0, 0.0, 0.7, 0.7),   # just inside the top
    (900.0, 500.0, 3000.0, 1000.0, 0.7, 0.0),  # inside the layer but not above the franchise
    (1000.0, 500.0, 3000.0, 1000.0, 0.7, 0.0),  # at the franchise
    (1001.0, 500.0, 3000.0, 1000.0, 0.7, 0.7),  # above the franchise, inside the layer
    (10.0, 0.0, 1e12, 0.0, 1.0, 1.0),         # no terms: identity
]


@pytest.mark.parametrize("ground_up, deductible, limit, franchise, coinsurance, expected", SLOPE_TABLE)
def test_risk_terms_slope_hand_table(ground_up, deductible, limit, franchise, coinsurance, expected):
    assert risk_terms_slope(ground_up, deductible, limit, franchise, coinsurance) == expected


def test_risk_terms_slope_matches_finite_difference_inside_layer():
    # inside the layer the insured loss is 0.7 * (x - 500): a central difference gives 0.7 exactly
    # up to rounding of the 1e-3 step (errors ~1e-13 / 2e-3)
    x, h = 1500.0, 1e-3
    fd = (risk_terms(x + h, 500.0, 3000.0, 0.0, 0.7) - risk_terms(x - h, 500.0, 3000.0, 0.0, 0.7)) / (2 * h)
    assert fd == pytest.approx(risk_terms_slope(x, 500.0, 3000.0, 0.0, 0.7), abs=1e-9)


# (policy total, deductible, limit, expected factor)
POLICY_TABLE = [
    (1000.0, 200.0, 500.0, 0.5),          # 1000 - 200 = 800 capped at 500: 500 / 1000
    (600.0, 200.0, 500.0, 400.0 / 600.0),  # 600 - 200 = 400 inside the layer: 400 / 600
    (150.0, 200.0, 500.0, 0.0),            # below the deductible
    (200.0, 200.0, 500.0, 0.0),            # at the deductible
    (875.0, 175.0, 10_000.0, 0.8),         # 700 / 875 (the kernel test's event e1)
    (1900.0, 0.0, 1000.0, 10.0 / 19.0),    # limit only: 1000 / 1900
    (300.0, 0.0, 1e12, 1.0),               # no terms
    (0.0, 0.0, 500.0, 0.0),                # zero total: 0, not 0 / 0
    (0.0, 200.0, 500.0, 0.0),
    (-5.0, 0.0, 500.0, 0.0),               # defensive: a non-positive total pays nothing
]


@pytest.mark.parametrize("total, deductible, limit, expected", POLICY_TABLE)
def test_policy_factor_hand_table(total, deductible, limit, expected):
    assert policy_factor(total, deductible, limit) == pytest.approx(expected, rel=1e-12, abs=0.0)


def test_policy_factor_allocation_adds_up():
    # two risks 300 and 700 under a policy with deductible 200 and limit 500:
    # policy loss min(1000 - 200, 500) = 500; allocated 300 * 0.5 = 150 and 700 * 0.5 = 350
    f = policy_factor(1000.0, 200.0, 500.0)
    assert 300.0 * f == pytest.approx(150.0, rel=1e-12)
    assert 700.0 * f == pytest.approx(350.0, rel=1e-12)
    assert 300.0 * f + 700.0 * f == pytest.approx(500.0, rel=1e-12)
