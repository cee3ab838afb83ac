"""SL44-2006 frequency analysis of a non-continuous flood series and P-III curve fitting (适线).

A *non-continuous* series combines an ``n``-year systematic (gauged) record with historical
information over an ``N``-year investigation period (N >= n): ``a`` extraordinary floods are the
``a`` largest of the N years, ``l`` of them inside the systematic record. The other ``n - l``
systematic years stand for the ``N - a`` ordinary years. SL44-2006 gives

    mean = 1/N [ sum_j Q_j + (N - a)/(n - l) sum_i Q_i ]
    Cv   = 1/mean sqrt( 1/(N - 1) [ sum_j (Q_j - mean)^2 + (N - a)/(n - l) sum_i (Q_i - mean)^2 ] )

(j over the a extraordinary floods, i over the n - l ordinary systematic years) and the
empirical exceedance probabilities (mathematical-expectation formula, unified sampling):

    extraordinary, rank M = 1..a:   P_M = M / (N + 1)
    ordinary, rank m = l+1..n:      P_m = P_a + (1 - P_a) (m - l) / (n - l + 1),  P_a = a / (N + 1)

(m is the rank inside the systematic record). Cs is then fixed, with Cv and usually the mean,
by fitting the P-III curve to these points (least squares on discharge, SL44's 离差平方和 rule).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from perils.yellow_river.pearson3 import PearsonIII, frequency_factor


@dataclass(frozen=True)
class FloodSeries:
    """Annual flood peaks as SL44 sees them.

    Attributes
    ----------
    systematic : float64[n]
        Gauged annual peaks, m3/s (any order).
    extraordinary : float64[a]
        Peaks of the a extraordinary floods of the investigation period, m3/s (historical ones and
        those of the systematic record that are treated as extraordinary).
    n_extraordinary_in_record : int
        l: how many of ``extraordinary`` are also in ``systematic`` (they must be its l largest).
    investigation_years : int
        N: length of the investigation period, years (N >= n).
    """

    systematic: np.ndarray
    extraordinary: np.ndarray
    n_extraordinary_in_record: int
    investigation_years: int

    def __post_init__(self):
        n, a, l, big_n = self.n, self.a, self.n_extraordinary_in_record, self.investigation_years
        if not 0 <= l <= min(a, n - 2):
            raise ValueError(f"l = {l} must lie in 0..min(a={a}, n-2={n - 2})")
        if big_n < n or big_n < a:
            raise ValueError(f"investigation period N = {big_n} must be at least n = {n} and a = {a} years")
        record = np.sort(np.asarray(self.systematic, np.float64))[::-1]
        if l and not np.all(np.isin(record[:l], np.asarray(self.extraordinary, np.float64))):
            raise ValueError("the l extraordinary floods of the record must be its l largest peaks")
        if a and l < n and np.min(self.extraordinary) < record[l]:
            raise ValueError("every extraordinary flood must exceed the ordinary floods of the record")

    @property
    def n(self) -> int:
        return int(np.asarray(self.systematic).size)

    @property
    def a(self) -> int:
        return int(np.asarray(self.extraordinary).size)

    def ordinary(self) -> np.ndarray:
        """float64[n - l]: the ordinary systematic peaks, largest first, m3/s."""
        return np.sort(np.asarray(self.systematic, np.float64))[::-1][self.n_extraordinary_in_record:]

    def plotting_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(peaks m3/s, exceedance probabilities): extraordinary floods by rank, then ordinary ones."""
        big_n, a, n, l = self.investigation_years, self.a, self.n, self.n_extraordinary_in_record
        extra = np.sort(np.asarray(self.extraordinary, np.float64))[::-1]
        p_extra = np.arange(1, a + 1) / (big_n + 1.0)
        p_a = a / (big_n + 1.0)
        m = np.arange(l + 1, n + 1)
        p_ord = p_a + (1.0 - p_a) * (m - l) / (n - l + 1.0)
        return np.concatenate([extra, self.ordinary()]), np.concatenate([p_extra, p_ord])


def continuous(peaks) -> FloodSeries:
    """A plain gauged series (no historical floods): N = n, a = l = 0."""
    peaks = np.asarray(peaks, np.float64)
    return FloodSeries(peaks, np.empty(0), 0, peaks.size)


def noncontinuous_moments(series: FloodSeries) -> tuple[float, float]:
    """(mean m3/s, Cv) of a non-continuous series by the SL44-2006 formulas (module docstring)."""
    big_n, a, n, l = series.investigation_years, series.a, series.n, series.n_extraordinary_in_record
    extra = np.asarray(series.extraordinary, np.float64)
    ordinary = series.ordinary()
    weight = (big_n - a) / (n - l)
    mean = (extra.sum() + weight * ordinary.sum()) / big_n
    ss = np.sum((extra - mean) ** 2) + weight * np.sum((ordinary - mean) ** 2)
    cv = np.sqrt(ss / (big_n - 1)) / mean
    return float(mean), float(cv)


def curve_fit(series: FloodSeries, cs_cv_bounds=(1.0, 8.0), fix_mean: bool = False,
              start: PearsonIII | None = None) -> PearsonIII:
    """Fit the P-III curve to the plotting positions of ``series`` (适线), least squares on discharge.

    Parameters
    ----------
    series : FloodSeries
    cs_cv_bounds : (float, float)
        Allowed range of Cs/Cv during the search.
    fix_mean : bool
        Keep the SL44 moment estimate of the mean and fit Cv and Cs only (the common practice when
        the mean is well determined); else all three move.
    start : PearsonIII, optional
        Starting point; default the moment estimates with Cs/Cv = 3.

    Returns
    -------
    PearsonIII minimising sum_i (Q_i - mean (1 + Cv Phi(P_i, Cs)))^2 over the series' points.
    """
    peaks, prob = series.plotting_positions()
    mean0, cv0 = noncontinuous_moments(series)
    if start is None:
        start = PearsonIII(mean0, cv0, 3.0 * cv0)
    lo_r, hi_r = cs_cv_bounds

    def curve(mean, cv, ratio):
        return mean * (1.0 + cv * frequency_factor(prob, ratio * cv))

    if fix_mean:
        def residual(x):
            return (curve(mean0, x[0], x[1]) - peaks) / mean0
        x0 = [start.cv, float(np.clip(start.cs_cv, lo_r, hi_r))]
        fit = optimize.least_squares(residual, x0, bounds=([1e-3, lo_r], [3.0, hi_r]), x_scale="jac")
        return PearsonIII(mean0, float(fit.x[0]), float(fit.x[0] * fit.x[1]))

    def residual(x):
        return (curve(x[0] * mean0, x[1], x[2]) - peaks) / mean0
    x0 = [start.mean / mean0, start.cv, float(np.clip(start.cs_cv, lo_r, hi_r))]
    fit = optimize.least_squares(residual, x0, bounds=([0.2, 1e-3, lo_r], [5.0, 3.0, hi_r]), x_scale="jac")
    return PearsonIII(float(fit.x[0] * mean0), float(fit.x[1]), float(fit.x[1] * fit.x[2]))


def fit(series: FloodSeries, fix_mean: bool = False) -> PearsonIII:
    """The SL44 procedure: non-continuous moments as the start, then the curve fit."""
    mean, cv = noncontinuous_moments(series)
    return curve_fit(series, fix_mean=fix_mean, start=PearsonIII(mean, cv, 3.0 * cv))
