"""Session-scoped fixtures: a tiny hand-made model for the loss-kernel tests.

Every number below is chosen so the expected losses in ``test_kernels.py`` can be worked out by
hand. The layout (one peril row, M = 2 footprint columns, C = 2 curves, G = 4 intensity bins,
D = 4 damage bins, 4 asset classes, S = 3 sites, R = 5 risks, P = 2 policies, K = 9 keys):

Damage bins (D = 4): bin 0 is the point mass at zero, then [0, 0.1], [0.1, 0.5], [0.5, 1].

Intensity bins (G = 4) on [0, x_max = 40]: [0, 10), [10, 20), [20, 30), [30, 40] (and above).
Damage-bin probabilities per intensity bin, their mean and variance (damage uniform inside a bin,
E[d] = sum p (lo + hi) / 2, E[d^2] = sum p (lo^2 + lo hi + hi^2) / 3):

  g  p                      mean                                  E[d^2]                        var
  0  [1, 0, 0, 0]           0                                     0                             0
  1  [0.5, 0.5, 0, 0]       0.5 * 0.05 = 0.025 = 1/40             0.5 * 0.01/3 = 1/600          1/600 - 1/1600 = 1/960
  2  [0, 0.5, 0.5, 0]       0.5*0.05 + 0.5*0.3 = 0.175 = 7/40     0.5*0.01/3 + 0.5*0.31/3       4/75 - 49/1600 = 109/4800
                                                                  = 0.16/3 = 4/75
  3  [0, 0.2, 0.3, 0.5]     0.2*0.05 + 0.3*0.3 + 0.5*0.75         0.2*0.01/3 + 0.3*0.31/3       97/300 - 361/1600 = 469/4800
                            = 0.01 + 0.09 + 0.375 = 0.475         + 0.5*1.75/3 = 0.97/3 = 97/300

Curves: curve 0 reads footprint column 1 (column 0 holds another measure, deliberately large, that
no curve reads); curve 1 reads a measure absent from the footprint (``measure_col`` -1).

Classes: 0 house (curve 0, susceptibility 1), 1 crop (curve 0, susceptibility 0.5 on days 100..199,
1.0 on days 200..250, 0 otherwise), 2 shed (curve 1: measure missing), 3 kiosk (no curve: -1).

Risks (site, class, value, deductible, limit, franchise, coinsurance, policy, keys):
  r0  site 0  house  1000  0    1000  0    1.0  policy 0  [0, 1, 3, 5]  (product A, county X)
  r1  site 0  crop   2000  100  500   0    0.8  policy 0  [0, 2, 3, 6]  (product B, county X)
  r2  site 1  house  4000  0    4000  300  1.0  policy 1  [0, 1, 4, 7]  (product A, county Y)
  r3  site 1  shed    500  0     500  0    1.0  policy 1  [0, 2, 4, 8]  (product B, county Y)
  r4  site 2  kiosk   800  0     800  0    1.0  policy 1  [0, 1, 4, 7]  (product A, county Y)
Keys: 0 portfolio, 1 product A, 2 product B, 3 county X, 4 county Y, 5 A/X, 6 B/X, 7 A/Y, 8 B/Y.
Policies: 0 deductible 175, limit 10 000; 1 deductible 0, limit 1000.

Events (event id, year, day of year; footprint entries as site: [column 0, column 1]):
  e0  1001  2000  150   site 0: [99, 15]   site 1: [99, 25]
  e1  1002  2000  220   site 0: [99, 35]   site 1: [99, 5]    site 2: [99, 30]
  e2  2001  2001   10   site 0: [80, 0]    site 1: [99, 50]
(sites within an event in increasing order, as event sets store them)
"""
from types import SimpleNamespace

import numpy as np
import pytest

from engine.kernels import Curves, Exposure, Footprint, Policies

N_KEYS = 9
BIN_LOW = np.array([0.0, 0.0, 0.1, 0.5])
BIN_HIGH = np.array([0.0, 0.1, 0.5, 1.0])
BIN_PROBS = np.array([[1.0, 0.0, 0.0, 0.0],
                      [0.5, 0.5, 0.0, 0.0],
                      [0.0, 0.5, 0.5, 0.0],
                      [0.0, 0.2, 0.3, 0.5]])
#: Hand-derived in the module docstring.
BIN_MEAN = np.array([0.0, 1 / 40, 7 / 40, 0.475])
BIN_VAR = np.array([0.0, 1 / 960, 109 / 4800, 469 / 4800])


def make_curves():
    """The hand-made Curves record (see the module docstring)."""
    susceptibility = np.ones((4, 367))
    susceptibility[1] = 0.0
    susceptibility[1, 100:200] = 0.5
    susceptibility[1, 200:251] = 1.0
    cdf_row = np.array([[1.0, 1.0, 1.0, 1.0],
                        [0.5, 1.0, 1.0, 1.0],
                        [0.0, 0.5, 1.0, 1.0],
                        [0.0, 0.2, 0.5, 1.0]])
    return Curves(
        curve_index=np.array([[0, 0, 1, -1]], np.int32),
        measure_col=np.array([1, -1], np.int32),
        x_max=np.array([40.0, 40.0]),
        mean=np.ascontiguousarray(np.stack([BIN_MEAN, BIN_MEAN])),
        var=np.ascontiguousarray(np.stack([BIN_VAR, BIN_VAR])),
        cdf=np.ascontiguousarray(np.stack([cdf_row, cdf_row])),
        bin_low=BIN_LOW.copy(), bin_high=BIN_HIGH.copy(), bin_mean=(BIN_LOW + BIN_HIGH) / 2,
        susceptibility=susceptibility, curve_next=np.array([-1, -1], np.int32))


def make_exposure(policies=None, **overrides):
    """The five-risk Exposure record; keyword arguments replace whole columns. ``policies`` (default
    :func:`make_policies`) is the Policies record the exposure will be run with."""
    site_of_risk = np.array([0, 0, 1, 1, 2])
    cols = dict(
        site_offsets=np.array([0, 2, 4, 5], np.int64),
        site_risks=np.array([0, 1, 2, 3, 4], np.int32),
        value=np.array([1000.0, 2000.0, 4000.0, 500.0, 800.0]),
        deductible=np.array([0.0, 100.0, 0.0, 0.0, 0.0]),
        limit=np.array([1000.0, 500.0, 4000.0, 500.0, 800.0]),
        franchise=np.array([0.0, 0.0, 300.0, 0.0, 0.0]),
        coinsurance=np.array([1.0, 0.8, 1.0, 1.0, 1.0]),
        klass=np.array([0, 1, 0, 2, 3], np.int16),
        policy=np.array([0, 0, 1, 1, 1], np.int32),
        seasonal=np.zeros(5, np.bool_),
        uid=np.array([11, 22, 33, 44, 55], np.uint64) * np.uint64(0x9E3779B97F4A7C15),
        keys=np.array([[0, 1, 3, 5], [0, 2, 3, 6], [0, 1, 4, 7], [0, 2, 4, 8], [0, 1, 4, 7]], np.int32))
    assert np.array_equal(np.repeat(np.arange(3), np.diff(cols["site_offsets"])), site_of_risk)
    cols.update(overrides)
    return exposure_record(policies=make_policies() if policies is None else policies, **cols)


def exposure_record(keys, seasonal, policies, **cols):
    """An Exposure from per-risk columns, ``keys`` int32[R, 4] (portfolio, product, county,
    product x county), bool[R] ``seasonal`` and the ``policies`` it will run with, in whichever
    layout the engine's Exposure declares (as ``engine.plan`` packs it):

    * keys: ``keys`` itself, or ``leaf`` int32[R] (the risk's product x county leaf) with
      ``leaf_keys`` int32[L, 4] (the keys a leaf feeds), built as in ``engine.keys.build_keys``;
    * ``seasonal`` itself, or uint8[R] ``flags`` from ``engine.kernels.risk_flags``.
    """
    keys = np.asarray(keys, np.int32)
    fields = Exposure._fields
    if "keys" in fields:
        cols["keys"] = keys
    if "leaf" in fields:
        leaf_keys, leaf = np.unique(keys[:, [3, 1, 2, 0]], axis=0, return_inverse=True)
        cols["leaf"] = leaf.astype(np.int32).ravel()
        cols["leaf_keys"] = np.ascontiguousarray(leaf_keys, dtype=np.int32)
    if "seasonal" in fields:
        cols["seasonal"] = np.asarray(seasonal, np.bool_)
    if "flags" in fields:
        from engine.kernels import risk_flags
        cols["flags"] = risk_flags(np.asarray(seasonal, np.bool_), cols["franchise"], cols["coinsurance"],
                                   cols["policy"], policies.deductible, policies.limit)
    missing = sorted(set(fields) - set(cols))
    assert not missing, f"conftest does not know how to fill Exposure fields {missing}"
    return Exposure(**{f: cols[f] for f in fields})


def make_policies():
    return Policies(deductible=np.array([175.0, 0.0]), limit=np.array([10_000.0, 1000.0]))


def make_footprint(events=(0, 1, 2)):
    """Footprint of the hand-made events ``events`` (indices into e0, e1, e2), in that order."""
    table = {  # event index -> (event id, year, doy, [(site, col 0, col 1), ...])
        0: (1001, 2000, 150, [(0, 99.0, 15.0), (1, 99.0, 25.0)]),
        1: (1002, 2000, 220, [(0, 99.0, 35.0), (1, 99.0, 5.0), (2, 99.0, 30.0)]),
        2: (2001, 2001, 10, [(0, 80.0, 0.0), (1, 99.0, 50.0)]),
    }
    return footprint_from([table[e] for e in events])


def footprint_from(rows):
    """Build a Footprint from [(event id, year, doy, [(site, col 0, col 1), ...]), ...], peril row 0."""
    offsets = np.zeros(len(rows) + 1, np.int64)
    offsets[1:] = np.cumsum([len(r[3]) for r in rows])
    entries = [entry for r in rows for entry in r[3]]
    return Footprint(
        event_id=np.array([r[0] for r in rows], np.int64),
        year=np.array([r[1] for r in rows], np.int64),
        doy=np.array([r[2] for r in rows], np.int16),
        peril=np.zeros(len(rows), np.int32),
        offsets=offsets,
        site=np.array([e[0] for e in entries], np.int32).reshape(-1),
        intensity=np.array([[e[1], e[2]] for e in entries], np.float32).reshape(-1, 2),
        rng_id=np.array([r[0] for r in rows], np.int64),
        uncertain=np.zeros(len(rows), np.uint8),
        probability=np.ones(len(entries), np.float32))


@pytest.fixture(scope="session")
def tiny_model():
    """The hand-made model of this module: its records, hand-derived bin moments and builders."""
    return SimpleNamespace(curves=make_curves(), exposure=make_exposure(), policies=make_policies(),
                           footprint=make_footprint(), n_keys=N_KEYS, make_exposure=make_exposure,
                           exposure_record=exposure_record,
                           make_footprint=make_footprint, footprint_from=footprint_from,
                           bin_mean=BIN_MEAN, bin_var=BIN_VAR, bin_low=BIN_LOW, bin_high=BIN_HIGH,
                           bin_probs=BIN_PROBS)
