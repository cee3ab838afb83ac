"""Pearson type III flood-peak distribution in the Chinese parameterisation (SL44-2006).

Hydrologists in China describe an annual flood-peak series by its mean (m3/s), coefficient of
variation ``Cv`` and coefficient of skewness ``Cs``. For ``Cs > 0`` the P-III is a shifted gamma
(shared/REFERENCE.md, "Yellow River", [S]):

    a = 4 / Cs^2,   loc = mean (1 - 2 Cv / Cs),   scale = mean Cv Cs / 2,

so ``Q = loc + scale * Gamma(a)``; ``Cs/Cv = 2`` puts the lower bound at zero. The frequency factor
``Phi(P, Cs)`` (离均系数) gives the quantile exceeded with probability ``P`` as
``Q_P = mean (1 + Cv Phi)``. This module holds the distribution and the moment estimators of a
continuous series with their textbook standard errors; ``sl44.py`` adds historical floods.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PearsonIII:
    """P-III distribution of annual flood peaks: ``mean`` (m3/s), ``cv`` and ``cs`` (dimensionless)."""

    mean: float
    cv: float
    cs: float

    def __post_init__(self):
        if not (self.mean > 0 and self.cv > 0 and self.cs > 0):
            raise ValueError(f"P-III needs mean > 0, Cv > 0 and Cs > 0, got {self.mean}, {self.cv}, {self.cs}")

    @property
    def cs_cv(self) -> float:
        return self.cs / self.cv

    @property
    def shape(self) -> float:
        """Gamma shape a = 4 / Cs^2."""
        return 4.0 / self.cs ** 2

    @property
    def loc(self) -> float:
        """Lower bound, m3/s: mean (1 - 2 Cv / Cs)."""
        return self.mean * (1.0 - 2.0 * self.cv / self.cs)

    @property
    def scale(self) -> float:
        """Gamma scale, m3/s: mean Cv Cs / 2."""
        return self.mean * self.cv * self.cs / 2.0

    def frozen(self):
        """The equivalent ``scipy.stats.gamma`` frozen distribution."""
        return stats.gamma(self.shape, loc=self.loc, scale=self.scale)

    def quantile(self, exceedance) -> np.ndarray:
        """Peak discharge (m3/s) exceeded with annual probability ``exceedance`` (float or array)."""
        return self.frozen().isf(np.asarray(exceedance, dtype=np.float64))

    def return_level(self, return_period) -> np.ndarray:
        """Peak discharge (m3/s) of the T-year flood (annual exceedance probability 1/T)."""
        return self.quantile(1.0 / np.asarray(return_period, dtype=np.float64))

    def exceedance(self, discharge) -> np.ndarray:
        """Annual probability that the peak exceeds ``discharge`` (m3/s)."""
        return self.frozen().sf(np.asarray(discharge, dtype=np.float64))

    def from_uniform(self, u) -> np.ndarray:
        """Peaks (m3/s) at non-exceedance probabilities ``u`` in (0, 1) (inverse-CDF sampling)."""
        return self.frozen().ppf(np.asarray(u, dtype=np.float64))

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Independent annual peaks, m3/s."""
        return self.loc + self.scale * rng.gamma(self.shape, size=size)


def frequency_factor(exceedance, cs) -> np.ndarray:
    """Frequency factor Phi(P, Cs) of the standardised P-III: Q_P = mean (1 + Cv Phi)."""
    return stats.pearson3.isf(np.asarray(exceedance, dtype=np.float64), cs)


def moments(peaks) -> PearsonIII:
    """SL44-2006 moment estimates of a continuous series (n years, every year known).

    mean = sum Q / n;  Cv = sqrt(sum (K - 1)^2 / (n - 1));  Cs = sum (K - 1)^3 / ((n - 3) Cv^3),
    with modulus ratios K = Q / mean. Cs from moments is biased low for short series; SL44 fixes it
    by curve fitting (:func:`perils.yellow_river.sl44.curve_fit`).
    """
    q = np.asarray(peaks, dtype=np.float64)
    n = q.size
    if n < 5:
        raise ValueError(f"need at least 5 annual peaks for moment estimates, got {n}")
    mean = q.mean()
    k = q / mean
    cv = np.sqrt(np.sum((k - 1.0) ** 2) / (n - 1))
    cs = np.sum((k - 1.0) ** 3) / ((n - 3) * cv ** 3)
    return PearsonIII(float(mean), float(cv), float(cs))


def moment_standard_errors(dist: PearsonIII, n: int) -> dict:
    """Large-sample standard errors of the moment estimates from n years (P-III parent).

    The textbook formulas of Chinese hydrology (after Foster/Kite): sigma_mean = mean Cv / sqrt(n);
    sigma_Cv = Cv / sqrt(2n) sqrt(1 + 2 Cv^2 + 3/4 Cs^2 - 2 Cv Cs);
    sigma_Cs = sqrt(6/n (1 + 3/2 Cs^2 + 5/16 Cs^4)). Returns {"mean": m3/s, "cv": -, "cs": -}.
    """
    cv, cs = dist.cv, dist.cs
    return {"mean": dist.mean * cv / np.sqrt(n),
            "cv": cv / np.sqrt(2 * n) * np.sqrt(1 + 2 * cv ** 2 + 0.75 * cs ** 2 - 2 * cv * cs),
            "cs": np.sqrt(6.0 / n * (1 + 1.5 * cs ** 2 + 5.0 / 16.0 * cs ** 4))}
