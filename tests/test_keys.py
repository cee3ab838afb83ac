"""Aggregation keys: levels, names, leaves and sums insured."""
import numpy as np
import pandas as pd
import pytest

from engine.keys import build_keys, check_levels


@pytest.fixture
def table():
    return pd.DataFrame({"product": ["a", "a", "b", "b"], "county": [370102, 370783, 370102, 370102],
                         "policy_id": ["p1", "p1", "p2", "p3"], "asset_class": ["x", "y", "x", "x"],
                         "sum_insured": [1.0, 2.0, 4.0, 8.0]})


def test_default_levels(table):
    keys = build_keys(table)
    assert keys.names == ("portfolio", "product/a", "product/b", "county/370102", "county/370783",
                          "product/a/county/370102", "product/a/county/370783", "product/b/county/370102")
    assert keys.levels[:3] == ("portfolio", "product", "product")
    np.testing.assert_array_equal(keys.sum_insured, [15, 3, 12, 13, 2, 1, 2, 12])
    # risks 2 and 3 share every key, so they share a leaf; each leaf feeds one key per level
    assert keys.leaf[2] == keys.leaf[3] and len(np.unique(keys.leaf)) == 3
    for r in range(4):
        np.testing.assert_array_equal(keys.leaf_keys[keys.leaf[r]], keys.risk_keys[r])


def test_policy_and_prefecture_levels(table):
    keys = build_keys(table, ("portfolio", "policy", "prefecture", "product/policy"))
    assert "policy/p1" in keys.names and "prefecture/370100" in keys.names and "prefecture/370700" in keys.names
    assert "product/b/policy/p3" in keys.names
    assert keys.sum_insured[keys.index("policy/p1")] == 3.0
    # r0 and r1 share policy p1 but lie in different prefectures (Jinan, Weifang): every risk its own leaf
    assert len(np.unique(keys.leaf)) == 4


@pytest.mark.parametrize("levels, message", [((), "at least one"), (("planet",), "dimensions must be"),
                                             (("product", "product"), "repeat"), (("county/county",), "distinct")])
def test_bad_levels(levels, message):
    with pytest.raises(ValueError, match=message):
        check_levels(levels)
