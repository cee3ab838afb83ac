"""Bayesian P-III fit with PyMC: gauged years observed, historical years as censored information.

Model (annual peaks Q, m3/s):

    Q = loc + Gamma(a, scale),  a = 4 / Cs^2,  loc = mean (1 - 2 Cv / Cs),  scale = mean Cv Cs / 2
    mean ~ LogNormal(log(prior_mean), 1),  Cv ~ LogNormal(log 0.5, 0.5),  Cs/Cv ~ Uniform(1.5, 6)

Likelihood: the ``n`` gauged peaks contribute their densities; of the ``h`` historical years
before gauging, the ``k`` floods known to exceed the perception threshold ``X_T`` contribute their
densities and the other ``h - k`` years contribute log F(X_T) each (censored: only known to be below
the threshold). That is the Bayesian form of SL44's non-continuous series.

PyMC is optional (``pip install pymc``); it is imported only when a fit runs. Sampling is NUTS.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perils.yellow_river.pearson3 import PearsonIII, moments

CS_CV_PRIOR = (1.5, 6.0)   # [E] flood peaks: Cs/Cv typically 2-4 (REFERENCE.md), widened


@dataclass(frozen=True)
class HistoricalInfo:
    """Censored historical information: in ``years`` ungauged years, the peaks ``peaks_m3s`` (float64[k])
    exceeded ``threshold_m3s`` and every other year stayed below it."""

    years: int
    threshold_m3s: float
    peaks_m3s: np.ndarray

    def __post_init__(self):
        if np.any(np.asarray(self.peaks_m3s) <= self.threshold_m3s) or len(self.peaks_m3s) > self.years:
            raise ValueError("historical peaks must exceed the threshold and be at most `years` many")


@dataclass(frozen=True)
class Posterior:
    """Posterior draws (float64[Q] each) of ``mean`` (m3/s), ``cv`` and ``cs``."""

    mean: np.ndarray
    cv: np.ndarray
    cs: np.ndarray

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        draws = getattr(self, name)
        return tuple(np.quantile(draws, [(1 - level) / 2, (1 + level) / 2]))

    def return_levels(self, return_periods) -> np.ndarray:
        """float64[Q, T]: the T-year peaks (m3/s) of every draw."""
        from scipy import stats
        p = 1.0 / np.asarray(return_periods, np.float64)
        a = 4.0 / self.cs ** 2
        loc = self.mean * (1 - 2 * self.cv / self.cs)
        scale = self.mean * self.cv * self.cs / 2
        return stats.gamma.isf(p[None, :], a[:, None], loc=loc[:, None], scale=scale[:, None])

    def median(self) -> PearsonIII:
        return PearsonIII(float(np.median(self.mean)), float(np.median(self.cv)), float(np.median(self.cs)))


def fit_pymc(gauged_m3s, historical: HistoricalInfo | None = None, draws: int = 500, tune: int = 500,
             chains: int = 1, seed: int = 0) -> Posterior:
    """Sample the posterior of (mean, Cv, Cs) given gauged peaks (float64[n], m3/s) and censored history.

    Small ``draws``/``tune`` and one chain keep it to a few seconds; raise them for reporting.
    """
    import pymc as pm
    import pytensor.tensor as pt

    gauged = np.asarray(gauged_m3s, np.float64)
    start = moments(gauged)
    ratio0 = float(np.clip(start.cs_cv, CS_CV_PRIOR[0] + 0.1, CS_CV_PRIOR[1] - 0.1))
    lowest = gauged.min() if historical is None else min(gauged.min(), historical.threshold_m3s)
    # start where every observation lies above the lower bound loc
    ratio0 = max(ratio0, 2.0 * start.cv / max(1.0 - 0.9 * lowest / start.mean, 1e-3)) if lowest < start.mean else ratio0
    ratio0 = float(min(ratio0, CS_CV_PRIOR[1] - 0.1))
    with pm.Model():
        mean = pm.LogNormal("mean", mu=np.log(start.mean), sigma=1.0)
        cv = pm.LogNormal("cv", mu=np.log(0.5), sigma=0.5)
        ratio = pm.Uniform("cs_cv", *CS_CV_PRIOR)
        cs = pm.Deterministic("cs", ratio * cv)
        alpha = 4.0 / cs ** 2
        beta = 2.0 / (mean * cv * cs)                 # gamma rate = 1 / scale
        loc = mean * (1.0 - 2.0 / ratio)
        gamma = pm.Gamma.dist(alpha=alpha, beta=beta)
        pm.Potential("gauged", pt.sum(pm.logp(gamma, gauged - loc)))
        if historical is not None:
            peaks = np.asarray(historical.peaks_m3s, np.float64)
            below = historical.years - peaks.size
            pm.Potential("historical_floods", pt.sum(pm.logp(gamma, peaks - loc)))
            pm.Potential("historical_censored", below * pm.logcdf(gamma, historical.threshold_m3s - loc))
        trace = pm.sample(draws=draws, tune=tune, chains=chains, cores=1, random_seed=seed, progressbar=False,
                          initvals={"mean": start.mean, "cv": start.cv, "cs_cv": ratio0},
                          compute_convergence_checks=False)
    post = trace.posterior
    return Posterior(post["mean"].values.ravel(), post["cv"].values.ravel(), post["cs"].values.ravel())
