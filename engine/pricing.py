"""Technical premium from sparse annual losses: expected loss, risk load and gross-up for loadings.

Inputs follow :mod:`engine.metrics`: ``annual_total: float64[n]`` holds the nonzero annual aggregate
losses of one aggregation key (currency, CNY), ``n_trials`` counts all simulated years, and every
unstored year has a loss of exactly zero. Every load is computed exactly on that empirical
distribution; nothing here draws random numbers.

Premium build-up::

    gross    = (expected_loss + risk_load) / (1 - expense_ratio - profit_ratio - tax_ratio)
    expenses = gross * (expense_ratio + profit_ratio + tax_ratio)
    rate     = gross / sum_insured
"""
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from engine import metrics

#: Risk-load principles accepted by :class:`PricingBasis` (``"none"`` prices at expected loss).
RISK_LOAD_METHODS = ("std", "tvar_coc", "wang", "expected_value", "variance", "ph", "none")


@dataclass(frozen=True)
class PricingBasis:
    """How to turn an annual loss distribution into a technical premium.

    Also the schema of the Hydra pricing config, so fields keep simple types.

    Attributes
    ----------
    risk_load : str
        Risk-load principle, one of :data:`RISK_LOAD_METHODS`:
        ``"std"``: ``std_multiplier * sd(annual loss)``;
        ``"tvar_coc"``: ``cost_of_capital * (TVaR_{tvar_level} - EL)``;
        ``"wang"``: Wang-transform price minus EL, ``g(S) = Phi(Phi^-1(S) + wang_lambda)``;
        ``"expected_value"``: ``ev_loading * EL``;
        ``"variance"``: ``variance_alpha * var(annual loss)`` (``alpha`` per currency unit);
        ``"ph"``: proportional-hazard price minus EL, ``g(S) = S^(1/ph_rho)``;
        ``"none"``: no risk load.
    std_multiplier : float
        Lambda of the standard-deviation principle (dimensionless, >= 0).
    tvar_level : float
        Confidence level of the TVaR capital, in (0, 1).
    cost_of_capital : float
        Annual cost of capital per unit of capital held (>= 0).
    wang_lambda : float
        Wang-transform shift (>= 0; 0 prices at expected loss).
    expense_ratio, profit_ratio, tax_ratio : float
        Shares of the GROSS premium, each in [0, 1), summing to less than 1.
    """

    risk_load: str = "std"
    std_multiplier: float = 0.1
    tvar_level: float = 0.99
    cost_of_capital: float = 0.10
    wang_lambda: float = 0.25
    ev_loading: float = 0.2        # expected-value principle theta
    variance_alpha: float = 1e-9   # variance principle alpha, per CNY (a load of alpha * var)
    ph_rho: float = 1.2            # proportional-hazard index rho >= 1 (1 prices at EL)
    # Defaults follow the loadings of the Shaoguan (Guangdong) catastrophe index insurance filing
    # (see /work/shared/REFERENCE.md, "Catastrophe insurance designs in China"): safety loading 5%,
    # expenses 10%, capital 3%, VAT 6.72%, guarantee fund 0.8%. Expenses -> expense_ratio, the
    # safety loading -> profit_ratio, VAT -> tax_ratio; the capital charge is what the risk load
    # prices, and the 0.8% guarantee fund is left to the product config.
    expense_ratio: float = 0.10
    profit_ratio: float = 0.05
    tax_ratio: float = 0.0672

    def __post_init__(self):
        if self.risk_load not in RISK_LOAD_METHODS:
            raise ValueError(f"unknown risk_load {self.risk_load!r}; valid methods: "
                             f"{', '.join(RISK_LOAD_METHODS)}")
        if not (math.isfinite(self.ph_rho) and self.ph_rho >= 1.0):
            raise ValueError(f"ph_rho must be >= 1, got {self.ph_rho!r}")
        for name in ("std_multiplier", "cost_of_capital", "wang_lambda", "ev_loading", "variance_alpha"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
        if not 0.0 < self.tvar_level < 1.0:
            raise ValueError(f"tvar_level must be in (0, 1), got {self.tvar_level!r}")
        for name in ("expense_ratio", "profit_ratio", "tax_ratio"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be a share of gross premium in [0, 1), got {value!r}")
        if self.loading_share >= 1.0:
            raise ValueError(f"expense_ratio + profit_ratio + tax_ratio must be < 1, got "
                             f"{self.loading_share!r}: the gross premium would be unbounded")

    @property
    def loading_share(self):
        """Share of the gross premium taken by expenses, profit and tax (dimensionless)."""
        return self.expense_ratio + self.profit_ratio + self.tax_ratio


def std_load(values, n_trials, multiplier):
    """Standard-deviation principle risk load, ``multiplier * sd(annual loss)``.

    Parameters
    ----------
    values : float64[n]
        Nonzero annual losses (currency), ``n <= n_trials``.
    n_trials : int
        Number of simulated years, zero-loss years included.
    multiplier : float
        Lambda (dimensionless).

    Returns
    -------
    float
        Risk load (currency per year). The sd is the sample sd (ddof=1) over all years, as in
        :func:`engine.metrics.aal_and_se`; 0 when ``n_trials == 1``.
    """
    sd = metrics.annual_std(values, n_trials, ddof=1)
    return float(multiplier * sd) if math.isfinite(sd) else 0.0


def tvar_coc_load(values, n_trials, level, cost_of_capital):
    """Cost-of-capital risk load with TVaR capital, ``coc * (TVaR_level - EL)``.

    Parameters
    ----------
    values : float64[n]
        Nonzero annual losses (currency), ``n <= n_trials``.
    n_trials : int
        Number of simulated years, zero-loss years included.
    level : float
        TVaR confidence level in [0, 1) (see :func:`engine.metrics.tvar`).
    cost_of_capital : float
        Annual cost per unit of capital (dimensionless).

    Returns
    -------
    float
        Risk load (currency per year); never negative because TVaR >= EL.
    """
    expected_loss, _ = metrics.aal_and_se(values, n_trials)
    capital = metrics.tvar(values, n_trials, level) - expected_loss
    return float(cost_of_capital * max(capital, 0.0))  # max() only absorbs rounding at level 0


def wang_price(values, n_trials, lam):
    """Wang-transform price of the empirical annual loss, computed exactly.

    The price is ``integral_0^inf g(S(x)) dx`` with ``g(s) = Phi(Phi^-1(s) + lam)`` and ``S`` the
    empirical survival function, zero-loss years included. With losses sorted descending,
    ``x_(1) >= ... >= x_(n)`` and ``x_(n+1) = 0``, S equals ``i / n_trials`` on
    ``[x_(i+1), x_(i))``, so the integral is the finite sum over loss layers::

        price = sum_{i=1}^{n} g(i / n_trials) * (x_(i) - x_(i+1))

    ``lam = 0`` gives the expected loss; ``lam > 0`` loads the tail.

    Parameters
    ----------
    values : float64[n]
        Nonzero annual losses (currency), ``n <= n_trials``.
    n_trials : int
        Number of simulated years, zero-loss years included.
    lam : float
        Wang shift lambda (dimensionless, finite).

    Returns
    -------
    float
        Distorted expected loss (currency per year).
    """
    desc = metrics.descending_losses(values, n_trials)
    if not math.isfinite(lam):
        raise ValueError(f"lam must be finite, got {lam!r}")
    layer_width = desc - np.append(desc[1:], 0.0)
    survival = np.arange(1, desc.size + 1, dtype=np.float64) / n_trials
    distorted = ndtr(ndtri(survival) + lam)
    return float(np.dot(distorted, layer_width))


def distortion_price(values, n_trials, g):
    """``integral g(S(x)) dx`` of the empirical annual loss for a distortion ``g`` (vectorised on
    survival probabilities), exactly, as in :func:`wang_price`."""
    desc = metrics.descending_losses(values, n_trials)
    layer_width = desc - np.append(desc[1:], 0.0)
    survival = np.arange(1, desc.size + 1, dtype=np.float64) / n_trials
    return float(np.dot(g(survival), layer_width))


def ph_price(values, n_trials, rho):
    """Proportional-hazard (Wang 1995) price: distortion ``g(s) = s^(1/rho)``, rho >= 1."""
    if not rho >= 1.0:
        raise ValueError(f"rho must be >= 1, got {rho!r}")
    return distortion_price(values, n_trials, lambda s: s ** (1.0 / rho))


def risk_load(values, n_trials, basis) -> float:
    """Risk load (currency per year) of sparse annual losses by the principle of ``basis``."""
    expected_loss, _ = metrics.aal_and_se(values, n_trials)
    method = basis.risk_load
    if method == "std":
        return std_load(values, n_trials, basis.std_multiplier)
    if method == "tvar_coc":
        return tvar_coc_load(values, n_trials, basis.tvar_level, basis.cost_of_capital)
    if method == "wang":
        return wang_price(values, n_trials, basis.wang_lambda) - expected_loss
    if method == "expected_value":
        return basis.ev_loading * expected_loss
    if method == "variance":
        sd = metrics.annual_std(values, n_trials, ddof=1)
        return basis.variance_alpha * sd * sd if math.isfinite(sd) else 0.0
    if method == "ph":
        return ph_price(values, n_trials, basis.ph_rho) - expected_loss
    return 0.0


def co_tvar(component_totals, level: float):
    """Euler (co-TVaR) allocation of the total's TVaR to its components.

    ``component_totals`` float64[K, T]: annual losses of K components over all T trials (dense,
    zeros included); the total is their sum. Returns float64[K]: E[X_k | total in its worst
    (1 - level) T trials], which add up to the total's TVaR (ties at the threshold split evenly
    by weight, as :func:`engine.metrics.tvar` does).
    """
    x = np.asarray(component_totals, float)
    total = x.sum(axis=0)
    n = total.size
    tail = (1.0 - level) * n
    order = np.argsort(-total, kind="stable")
    weights = np.clip(tail - np.arange(n), 0.0, 1.0)   # full weight for the worst floor(tail) trials
    w = np.zeros(n)
    w[order] = weights
    return (x @ w) / tail


def technical_premium(annual_total, n_trials, sum_insured, basis):
    """Technical premium of one aggregation key from its sparse annual aggregate losses.

    Parameters
    ----------
    annual_total : float64[n]
        Nonzero annual aggregate losses (currency), ``n <= n_trials``.
    n_trials : int
        Number of simulated years, zero-loss years included.
    sum_insured : float
        Total sum insured (currency), >= 0.
    basis : PricingBasis
        Risk-load principle and loadings.

    Returns
    -------
    dict
        Plain floats, currency per year except ``rate``:
        ``expected_loss`` (AAL), ``risk_load``, ``expenses`` (``gross * (expense + profit + tax)``),
        ``gross`` (``(expected_loss + risk_load) / (1 - expense - profit - tax)``) and ``rate``
        (``gross / sum_insured``, per unit of sum insured per year). A zero sum insured gives
        ``rate = nan`` without a warning, since no rate exists but the premium amounts still do.

    Raises
    ------
    TypeError
        When ``basis`` is not a :class:`PricingBasis` (convert a Hydra config with
        ``OmegaConf.to_object`` first).
    ValueError
        On invalid losses or a negative or non-finite sum insured.
    """
    if not isinstance(basis, PricingBasis):
        raise TypeError(f"basis must be a PricingBasis, got {type(basis).__name__}; "
                        "convert a Hydra config with OmegaConf.to_object first")
    sum_insured = float(sum_insured)
    if not (math.isfinite(sum_insured) and sum_insured >= 0):
        raise ValueError(f"sum_insured must be finite and >= 0, got {sum_insured!r}")

    expected_loss, _ = metrics.aal_and_se(annual_total, n_trials)
    load = risk_load(annual_total, n_trials, basis)
    gross = (expected_loss + load) / (1.0 - basis.loading_share)
    rate = gross / sum_insured if sum_insured > 0 else float("nan")
    return {
        "expected_loss": float(expected_loss),
        "risk_load": float(load),
        "expenses": float(gross * basis.loading_share),
        "gross": float(gross),
        "rate": float(rate),
    }
