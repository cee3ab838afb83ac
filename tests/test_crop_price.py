"""Crop market price (garlic target-price index): the log-AR(1) price and the index by hand."""
import numpy as np
import pytest

from perils.market.garlic_price import price_index, price_paths


def test_index_by_hand():
    # target 5, cost price 4: price 3 -> (5 - 3)/5 x (4 - 3)/4 = 0.4 x 0.25 = 0.1
    assert price_index(3.0, 5.0, 4.0) == pytest.approx(0.1)
    assert price_index(4.5, 5.0, 4.0) == 0.0        # above the cost price: k = 0
    assert price_index(6.0, 5.0, 8.0) == 0.0        # above the target
    assert price_index(0.0, 5.0, 4.0) == pytest.approx(1.0)


def test_log_price_is_stationary_ar1_with_the_closed_form_moments():
    level, sigma, phi = 4.0, 0.35, 0.5
    years = np.arange(1, 4001)
    p = price_paths(years, 11, "test.price", level, sigma, phi)
    x = np.log(p)
    var = sigma ** 2 / (1 - phi ** 2)               # stationary variance of the log price
    # effective sample size of an AR(1) mean: n (1 - phi) / (1 + phi)
    n_eff = years.size * (1 - phi) / (1 + phi)
    assert x.mean() == pytest.approx(np.log(level), abs=4 * np.sqrt(var / n_eff))
    assert x.var() == pytest.approx(var, rel=4 * np.sqrt(2 / n_eff))
    lag1 = np.corrcoef(x[:-1], x[1:])[0, 1]
    assert lag1 == pytest.approx(phi, abs=4 / np.sqrt(years.size))


def test_prices_do_not_depend_on_the_years_simulated_with_them():
    a = price_paths(np.arange(1, 50), 5, "test.price", 4.0, 0.35, 0.5)
    b = np.concatenate([price_paths(np.arange(1, 20), 5, "test.price", 4.0, 0.35, 0.5),
                        price_paths(np.arange(20, 50), 5, "test.price", 4.0, 0.35, 0.5)])
    np.testing.assert_array_equal(a, b)
