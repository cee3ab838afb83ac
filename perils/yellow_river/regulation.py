"""The regulated regime (after Xiaolangdi, 2000): reservoirs cap ordinary floods at Huayuankou.

The natural Huayuankou peak ``Q`` (the unregulated P-III) is split into the part from above
Xiaolangdi, ``(1 - f) Q``, and the part from the uncontrolled area between Xiaolangdi and
Huayuankou, ``f Q``, with the interval share ``f ~ Beta`` (mean and concentration [E], config).
Reservoir operation keeps Huayuankou at or below ``cap`` (about 4,500 m3/s, shared/REFERENCE.md [S])
while it has flood-control storage: the release is what the cap leaves after the interval flood,
and the interval flood passes whatever the reservoirs do. Once an upstream flood is so large that
the storage is used up (upstream peak above ``storage_full_upstream_m3s`` [E]), the excess passes:

    release = min((1 - f) Q, max(cap - f Q, 0) + max((1 - f) Q - Q_full, 0))
    Q_regulated = f Q + release

Upstream and interval peaks are taken as coincident (conservative). Flood volume follows the
regulated peak through the same peak-volume relation (the reservoirs hold the rest).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RegulationParams:
    """Xiaolangdi operation (values and sources in configs/peril/yellow_river.yaml)."""

    cap_m3s: float
    interval_share_mean: float
    interval_share_concentration: float
    storage_full_upstream_m3s: float

    def __post_init__(self):
        if not 0.0 < self.interval_share_mean < 1.0:
            raise ValueError(f"regulation.interval_share_mean must lie in (0, 1), got {self.interval_share_mean}")
        if self.interval_share_concentration <= 0 or self.cap_m3s <= 0:
            raise ValueError("regulation.interval_share_concentration and regulation.cap_m3s must be > 0")

    def share_from_uniform(self, u) -> np.ndarray:
        """Interval shares f from uniforms in (0, 1) (Beta inverse CDF)."""
        from scipy import stats
        k, m = self.interval_share_concentration, self.interval_share_mean
        return stats.beta.ppf(np.asarray(u, np.float64), m * k, (1.0 - m) * k)


def regulated_peak(natural_m3s, interval_share, p: RegulationParams) -> np.ndarray:
    """Huayuankou peak (m3/s) after reservoir operation, from natural peaks and interval shares."""
    natural = np.asarray(natural_m3s, np.float64)
    share = np.asarray(interval_share, np.float64)
    interval, upstream = share * natural, (1.0 - share) * natural
    release = np.minimum(upstream, np.maximum(p.cap_m3s - interval, 0.0)
                         + np.maximum(upstream - p.storage_full_upstream_m3s, 0.0))
    return interval + release
