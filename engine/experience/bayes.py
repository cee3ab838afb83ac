"""Hierarchical Bayesian hurdle model of loss cost (PyMC), partial pooling over counties and crops.

Data: one row i per (county c, crop k, year t) with sum insured ``SI_i`` (CNY) and loss cost
``y_i = indemnity_i / SI_i``. Many county-years pay nothing, so the likelihood has two parts::

    claim year:       z_i = [y_i > 0] ~ Bernoulli(p_i),   logit p_i = alpha_0 + a_c + a_k
    given a claim:    y_i ~ Gamma(shape = phi * w_i, mean = mu_i),   log mu_i = m_0 + b_c + b_k
                      w_i = SI_i / mean(SI)  (exposure weight: Var[y | claim] = mu^2 / (phi w))

Random effects (non-centred), partial pooling::

    a_c ~ N(0, sigma_a),  b_c ~ N(0, sigma_b)        sigma_a ~ HalfNormal(1.0)  (logit scale)
                                                     sigma_b ~ HalfNormal(0.5)  (log scale)
    a_k, b_k likewise with their own sigmas when the table has 2 or more crops (else 0)

Overall level, parametrised by the loss cost of a typical county and crop (all effects 0),
``LC_0 = expit(alpha_0) * exp(m_0)``::

    log LC_0 ~ N(log LC_cat, prior_sd)     with a catastrophe-model prior (engine.experience.prior)
    log LC_0 ~ N(log 0.05, 2.0)            without one (vague: 1 sd spans a factor 7.4)
    alpha_0  ~ N(0, 1.5)                   m_0 = log LC_0 - log expit(alpha_0)
    log phi  ~ N(log 2, 1)

A county's expected loss cost (per year, per unit of sum insured) mixes its crops with their
sum-insured shares ``s_ck``: ``LC_c = sum_k s_ck expit(alpha_0 + a_c + a_k) exp(m_0 + b_c + b_k)``.
A county without data draws new effects ``a_c ~ N(0, sigma_a)``, ``b_c ~ N(0, sigma_b)`` per
posterior draw and uses the overall crop mix. Everything is computed per posterior draw, so the
credible interval of ``LC_c`` is a quantile interval of its draws.
"""
from __future__ import annotations

import importlib.util
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

#: Centre and sd of log LC_0 without a catastrophe-model prior (vague).
VAGUE_LOG_LOSS_COST = (math.log(0.05), 2.0)
METHODS = ("nuts", "advi")


@dataclass(frozen=True)
class SamplerSettings:
    """How to fit the model.

    ``method``: ``nuts`` (NUTS with nutpie if installed, else PyMC's sampler) or ``advi`` (mean-field
    variational, faster, intervals too narrow). ``draws``/``tune`` per chain; ``cores`` processes;
    ``seed`` the master seed of the sampler and of the new-county draws; ``advi_iterations`` for ADVI.
    """

    method: str = "nuts"
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    cores: int = 2
    target_accept: float = 0.9
    seed: int = 20231
    advi_iterations: int = 20_000

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method: '{self.method}' is not one of {list(METHODS)}")
        for name in ("draws", "chains", "cores", "advi_iterations"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.tune < 0 or self.seed < 0:
            raise ValueError("tune and seed must be >= 0")
        if not 0.5 <= self.target_accept < 1.0:
            raise ValueError(f"target_accept: must be in [0.5, 1), got {self.target_accept}")


@dataclass(frozen=True)
class BayesFit:
    """Posterior of the county expected loss costs.

    Attributes
    ----------
    counties : int64[C]
        County adcodes: those with data, then the requested counties without data.
    has_data : bool[C]
    draws : float64[D, C]
        Posterior draws of ``LC_c`` (loss cost per year).
    pooled : float64[D]
        Draws of the loss cost of a typical county (county effects 0) at the overall crop mix.
    diagnostics : dict
        ``method``, ``sampler``, ``r_hat_max``, ``ess_bulk_min``, ``ess_tail_min``, ``divergences``,
        ``draws``, ``chains``, ``seconds_build``, ``seconds_sample``, ``seconds``.
    prior : dict
        The prior on log LC_0 actually used: ``centre`` (loss cost) and ``sd_log``.
    """

    counties: np.ndarray
    has_data: np.ndarray
    draws: np.ndarray
    pooled: np.ndarray
    diagnostics: dict
    prior: dict = field(default_factory=dict)

    def summary(self, level: float = 0.9) -> pd.DataFrame:
        """Per county: ``mean``, ``lower``, ``upper`` (equal-tailed ``level`` interval) of ``LC_c``."""
        q = np.quantile(self.draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
        return pd.DataFrame({"mean": self.draws.mean(axis=0), "lower": q[0], "upper": q[1]},
                            index=pd.Index(self.counties, name="county"))


def _indexes(table: pd.DataFrame):
    counties = np.array(sorted(table["county"].unique()), dtype=np.int64)
    crops = sorted(table["crop"].unique())
    ci = np.searchsorted(counties, table["county"].to_numpy())
    ki = np.array([crops.index(k) for k in table["crop"]], dtype=np.int64)
    return counties, crops, ci, ki


def build_model(table: pd.DataFrame, prior_loss_cost: float | None = None, prior_sd: float = 0.5):
    """The PyMC model of a validated experience table (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``county, crop, sum_insured`` (CNY), ``loss_cost``.
    prior_loss_cost : float, optional
        Centre of the prior on LC_0 (loss cost per year, > 0), e.g. the catastrophe model's AAL / SI.
    prior_sd : float
        Sd of log LC_0 around ``prior_loss_cost`` (> 0): the prior's weight; 0.5 puts 68 % of
        prior mass within a factor 1.65 of the catastrophe model.
    """
    import pymc as pm
    import pytensor.tensor as pt

    counties, crops, ci, ki = _indexes(table)
    y = table["loss_cost"].to_numpy(np.float64)
    w = table["sum_insured"].to_numpy(np.float64)
    w = w / w.mean()
    claim = y > 0
    centre, sd = ((math.log(prior_loss_cost), prior_sd) if prior_loss_cost is not None else VAGUE_LOG_LOSS_COST)
    coords = {"county": counties.astype(str), "crop": crops}
    with pm.Model(coords=coords) as model:
        log_lc0 = pm.Normal("log_loss_cost", mu=centre, sigma=sd)
        alpha0 = pm.Normal("claim_logit", mu=0.0, sigma=1.5)
        m0 = pm.Deterministic("log_severity", log_lc0 + pt.softplus(-alpha0))   # - log expit(alpha0)
        sd_a = pm.HalfNormal("sd_claim_county", sigma=1.0)
        sd_b = pm.HalfNormal("sd_severity_county", sigma=0.5)
        a_c = pm.Deterministic("claim_county", sd_a * pm.Normal("z_claim_county", 0.0, 1.0, dims="county"), dims="county")
        b_c = pm.Deterministic("severity_county", sd_b * pm.Normal("z_severity_county", 0.0, 1.0, dims="county"),
                               dims="county")
        if len(crops) > 1:
            sd_ak = pm.HalfNormal("sd_claim_crop", sigma=1.0)
            sd_bk = pm.HalfNormal("sd_severity_crop", sigma=0.5)
            a_k = pm.Deterministic("claim_crop", sd_ak * pm.Normal("z_claim_crop", 0.0, 1.0, dims="crop"), dims="crop")
            b_k = pm.Deterministic("severity_crop", sd_bk * pm.Normal("z_severity_crop", 0.0, 1.0, dims="crop"),
                                   dims="crop")
        else:
            a_k = b_k = pt.zeros(1)
        log_phi = pm.Normal("log_shape", mu=math.log(2.0), sigma=1.0)
        pm.Bernoulli("claim", logit_p=alpha0 + a_c[ci] + a_k[ki], observed=claim.astype(np.int64))
        if claim.any():
            mu = pt.exp(m0 + b_c[ci[claim]] + b_k[ki[claim]])
            shape = pt.exp(log_phi) * w[claim]
            pm.Gamma("loss_cost_given_claim", alpha=shape, beta=shape / mu, observed=y[claim])
    return model


def fit_bayes(table: pd.DataFrame, sampler: SamplerSettings | None = None, prior_loss_cost: float | None = None,
              prior_sd: float = 0.5, extra_counties=()) -> BayesFit:
    """Fit the model and return the posterior of every county's expected loss cost.

    Parameters
    ----------
    table : pandas.DataFrame
        A validated experience table.
    sampler : SamplerSettings, optional
    prior_loss_cost, prior_sd
        See :func:`build_model`.
    extra_counties : iterable of int
        Counties to price that have no rows in ``table`` (drawn from the county distribution).
    """
    import arviz as az
    import pymc as pm

    sampler = sampler or SamplerSettings()
    t0 = time.perf_counter()
    model = build_model(table, prior_loss_cost, prior_sd)
    counties, crops, _, _ = _indexes(table)
    pymc_log = logging.getLogger("pymc")
    old_level = pymc_log.level
    pymc_log.setLevel(logging.WARNING)
    try:
        with model:
            if sampler.method == "nuts":
                nuts = "nutpie" if importlib.util.find_spec("nutpie") is not None else "pymc"
                kwargs = dict(draws=sampler.draws, tune=sampler.tune, chains=sampler.chains, cores=sampler.cores,
                              target_accept=sampler.target_accept, random_seed=sampler.seed, progressbar=False,
                              compute_convergence_checks=False, nuts_sampler=nuts)
                t1 = time.perf_counter()
                idata = pm.sample(**kwargs)
            else:
                nuts = "advi"
                t1 = time.perf_counter()
                approx = pm.fit(n=sampler.advi_iterations, method="advi", random_seed=sampler.seed, progressbar=False)
                idata = approx.sample(sampler.draws * sampler.chains, random_seed=sampler.seed)
    finally:
        pymc_log.setLevel(old_level)
    t2 = time.perf_counter()
    post = idata.posterior
    diagnostics = {"method": sampler.method, "sampler": nuts, "draws": sampler.draws, "chains": sampler.chains,
                   "tune": sampler.tune, "seconds_build": t1 - t0, "seconds_sample": t2 - t1}
    free = [v.name for v in model.free_RVs]
    if sampler.method == "nuts":
        rhat = az.rhat(idata, var_names=free)
        ess_b = az.ess(idata, var_names=free, method="bulk")
        ess_t = az.ess(idata, var_names=free, method="tail")
        diagnostics.update(
            r_hat_max=float(max(float(rhat[v].max()) for v in free)),
            ess_bulk_min=float(min(float(ess_b[v].min()) for v in free)),
            ess_tail_min=float(min(float(ess_t[v].min()) for v in free)),
            divergences=int(idata.sample_stats["diverging"].sum()))
    else:
        diagnostics.update(r_hat_max=None, ess_bulk_min=None, ess_tail_min=None, divergences=None,
                           advi_final_loss=float(approx.hist[-1]))

    def flat(name):   # (chain, draw, ...) -> (D, ...)
        x = post[name].to_numpy()
        return x.reshape((-1,) + x.shape[2:])

    alpha0, m0 = flat("claim_logit"), flat("log_severity")
    a_c, b_c = flat("claim_county"), flat("severity_county")
    if len(crops) > 1:
        a_k, b_k = flat("claim_crop"), flat("severity_crop")
    else:
        a_k = b_k = np.zeros((alpha0.size, 1))
    n_draws = alpha0.size
    share = table.groupby(["county", "crop"])["sum_insured"].sum().unstack(fill_value=0.0).reindex(
        index=counties, columns=crops, fill_value=0.0).to_numpy()
    share = share / share.sum(axis=1, keepdims=True)                           # [C, K]
    overall = table.groupby("crop")["sum_insured"].sum().reindex(crops).to_numpy()
    overall = overall / overall.sum()                                           # [K]

    def loss_cost(a, b, mix):   # a, b: [D, C']; mix [C', K] -> [D, C']
        p = expit(alpha0[:, None, None] + a[:, :, None] + a_k[:, None, :])
        mu = np.exp(m0[:, None, None] + b[:, :, None] + b_k[:, None, :])
        return np.einsum("dck,ck->dc", p * mu, mix)

    draws = loss_cost(a_c, b_c, share)
    zeros = np.zeros((n_draws, 1))
    pooled = loss_cost(zeros, zeros, overall[None, :])[:, 0]
    extra = np.array(sorted(set(int(c) for c in extra_counties) - set(counties.tolist())), dtype=np.int64)
    if extra.size:
        rng = np.random.default_rng([sampler.seed, 1])
        sd_a, sd_b = flat("sd_claim_county"), flat("sd_severity_county")
        a_new = rng.standard_normal((n_draws, extra.size)) * sd_a[:, None]
        b_new = rng.standard_normal((n_draws, extra.size)) * sd_b[:, None]
        draws = np.concatenate([draws, loss_cost(a_new, b_new, np.tile(overall, (extra.size, 1)))], axis=1)
    all_counties = np.concatenate([counties, extra])
    has_data = np.concatenate([np.ones(counties.size, bool), np.zeros(extra.size, bool)])
    diagnostics["seconds"] = time.perf_counter() - t0
    centre, sd = ((prior_loss_cost, prior_sd) if prior_loss_cost is not None
                  else (math.exp(VAGUE_LOG_LOSS_COST[0]), VAGUE_LOG_LOSS_COST[1]))
    return BayesFit(all_counties, has_data, draws, pooled, diagnostics,
                    {"centre": centre, "sd_log": sd, "from_cat_model": prior_loss_cost is not None})
