"""Dike breach: a fragility curve of the peak flow relative to the reach's design flow.

    P(breach | Q) = Phi( ln(Q / (median_ratio Q_design)) / beta )

a lognormal fragility (the usual form for levee fragility curves), monotone in Q. ``Q_design`` is
the reach's dike design flow (below Aishan 11,000 m3/s, shared/REFERENCE.md [S]; the others in the
config). ``median_ratio`` and ``beta`` are [E]. The inundation behind a breach is in
:mod:`perils.yellow_river.footprint`.
"""
from __future__ import annotations

import math

import numpy as np

from engine.jit import kernel


@kernel
def breach_probability(ratio, median_ratio, beta):
    """P(breach) for peak flow / design flow = ``ratio`` (float): Phi(ln(ratio / median_ratio) / beta)."""
    if ratio <= 0.0:
        return 0.0
    return 0.5 * (1.0 + math.erf(math.log(ratio / median_ratio) / (beta * math.sqrt(2.0))))


def fragility_curve(flow_m3s, design_m3s: float, median_ratio: float, beta: float) -> np.ndarray:
    """float64[...]: breach probability at peak flows ``flow_m3s`` (m3/s) for one reach."""
    flow = np.asarray(flow_m3s, np.float64)
    return np.vectorize(lambda q: breach_probability(q / design_m3s, median_ratio, beta), otypes=[float])(flow)
