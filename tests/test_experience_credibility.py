"""Bühlmann–Straub against a hand-computed example.

Three counties (w = sum insured, x = loss cost):

  A: (1, 0.1), (1, 0.3)   w_A = 2   X_A = 0.2
  B: (2, 0.0), (2, 0.2)   w_B = 4   X_B = 0.1
  C: (1, 0.5), (3, 0.3)   w_C = 4   X_C = (0.5 + 0.9) / 4 = 0.35

  w = 10, X_w = (0.4 + 0.4 + 1.4) / 10 = 0.22
  s2 = [1(0.01) + 1(0.01) + 2(0.01) + 2(0.01) + 1(0.0225) + 3(0.0025)] / 3 = 0.09 / 3 = 0.03
  between = 2(0.02^2) + 4(0.12^2) + 4(0.13^2) = 0.0008 + 0.0576 + 0.0676 = 0.126
  a = (0.126 - 2 x 0.03) / (10 - (4 + 16 + 16) / 10) = 0.066 / 6.4 = 0.0103125
  k = 0.03 / 0.0103125 = 32/11;  Z_A = 2 / (2 + 32/11) = 11/27;  Z_B = Z_C = 4 / (4 + 32/11) = 11/19
  X_z = (11/27 0.2 + 11/19 0.1 + 11/19 0.35) / (11/27 + 22/19) = 175.45 / 803
  P_i = Z_i X_i + (1 - Z_i) X_z
"""
import numpy as np
import pytest

from engine.experience.credibility import buhlmann_straub

COUNTY = ["A", "A", "B", "B", "C", "C"]
X = [0.1, 0.3, 0.0, 0.2, 0.5, 0.3]
W = [1.0, 1.0, 2.0, 2.0, 1.0, 3.0]


def test_hand_computed_example():
    r = buhlmann_straub(COUNTY, X, W)
    assert r.s2 == pytest.approx(0.03)
    assert r.a == pytest.approx(0.0103125)
    assert r.k == pytest.approx(32 / 11)
    assert r.grand_mean == pytest.approx(0.22)
    z = {"A": 11 / 27, "B": 11 / 19, "C": 11 / 19}
    means = {"A": 0.2, "B": 0.1, "C": 0.35}
    xz = 175.45 / 803
    assert r.collective == pytest.approx(xz)
    for c in "ABC":
        assert r.table.loc[c, "Z"] == pytest.approx(z[c])
        assert r.table.loc[c, "mean"] == pytest.approx(means[c])
        assert r.table.loc[c, "estimate"] == pytest.approx(z[c] * means[c] + (1 - z[c]) * xz)
    assert r.table["n_years"].tolist() == [2, 2, 2]


def test_weights_in_cny_give_the_same_credibility():
    a = buhlmann_straub(COUNTY, X, W)
    b = buhlmann_straub(COUNTY, X, np.array(W) * 1.8e6)
    np.testing.assert_allclose(a.table[["Z", "estimate"]], b.table[["Z", "estimate"]], rtol=1e-12)


def test_no_between_variance_gives_z_zero():
    r = buhlmann_straub(["A", "A", "B", "B"], [0.0, 0.2, 0.2, 0.0], [1, 1, 1, 1])
    assert r.a == 0 and np.isinf(r.k)
    np.testing.assert_allclose(r.table["Z"], 0.0)
    np.testing.assert_allclose(r.table["estimate"], 0.1)


def test_needs_two_counties_and_repeat_years():
    with pytest.raises(ValueError, match="2 counties"):
        buhlmann_straub(["A", "A"], [0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="2 or more years"):
        buhlmann_straub(["A", "B"], [0.1, 0.2], [1, 1])
