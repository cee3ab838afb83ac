"""Aggregation keys: which totals a run reports (ORD calls them summary ids).

A key *level* is ``portfolio`` or a ``/``-joined list of dimensions, e.g. ``product``, ``county``,
``product/county``, ``policy``; a key name spells each dimension and its value:
``product/crop_full_cost/county/370783``. The run's levels come from ``output.keys``.

For speed the kernels add each risk to one *leaf* (the risk's combination of all dimensions
used) and roll leaves up to the keys they feed once per event (``leaf_keys``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import dtypes, geo

DIMENSIONS = ("product", "county", "prefecture", "policy", "asset_class", "risk")
DEFAULT_LEVELS = ("portfolio", "product", "county", "product/county")


@dataclass(frozen=True)
class Keys:
    """Aggregation keys of a run.

    Attributes
    ----------
    names : tuple of str, length K
    levels : tuple of str, the level of each key
    risk_keys : int32[R, A]   each risk's key on each of the A levels
    leaf : int32[R]           each risk's leaf
    leaf_keys : int32[L, A]   the keys a leaf feeds, one per level
    sum_insured : float64[K]  CNY
    """

    names: tuple
    levels: tuple
    risk_keys: np.ndarray
    leaf: np.ndarray
    leaf_keys: np.ndarray
    sum_insured: np.ndarray

    def index(self, name: str) -> int:
        return self.names.index(name)


def check_levels(levels) -> None:
    """Raise ValueError for an unknown dimension or a repeated level (config validation)."""
    if not levels:
        raise ValueError("list at least one key level, e.g. [portfolio, product, county]")
    for level in levels:
        if level == "portfolio":
            continue
        dims = level.split("/")
        unknown = [d for d in dims if d not in DIMENSIONS]
        if unknown or len(set(dims)) != len(dims):
            raise ValueError(f"key level '{level}': dimensions must be distinct names from {list(DIMENSIONS)}")
    if len(set(levels)) != len(levels):
        raise ValueError(f"key levels repeat: {list(levels)}")


def _dimension_values(table: pd.DataFrame, dim: str) -> np.ndarray:
    if dim == "prefecture":
        counties = geo.load_counties().set_index("adcode")["prefecture_adcode"]
        return table["county"].map(counties).astype(np.int64).astype(str).to_numpy()
    column = {"policy": "policy_id", "risk": "risk_id"}.get(dim, dim)
    return table[column].astype(str).to_numpy()


def build_keys(table: pd.DataFrame, levels=DEFAULT_LEVELS) -> Keys:
    """Keys of each level for the risks of a validated portfolio table (see module docstring)."""
    check_levels(levels)
    values = {d: _dimension_values(table, d) for d in DIMENSIONS if any(d in lv.split("/") for lv in levels)}
    n = len(table)
    names, codes = [], []
    for level in levels:
        if level == "portfolio":
            labels = np.full(n, "portfolio", dtype=object)
        else:
            labels = np.full(n, "", dtype=object)
            for i, dim in enumerate(level.split("/")):
                labels = labels + ("/" if i else "") + dim + "/" + values[dim].astype(object)
        uniques, inverse = np.unique(labels.astype(str), return_inverse=True)
        codes.append(inverse.ravel() + len(names))
        names.extend(uniques.tolist())
    risk_keys = np.column_stack(codes).astype(dtypes.KEY)
    sum_insured = np.zeros(len(names))
    for a in range(risk_keys.shape[1]):
        np.add.at(sum_insured, risk_keys[:, a], table["sum_insured"].to_numpy(float))
    leaf_keys, leaf = np.unique(risk_keys, axis=0, return_inverse=True)
    return Keys(tuple(names), tuple(lv for lv, c in zip(levels, codes) for _ in np.unique(c)),
                risk_keys, leaf.astype(np.int32).ravel(), leaf_keys.astype(dtypes.KEY), sum_insured)
