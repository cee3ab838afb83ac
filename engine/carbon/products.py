"""Carbon product terms, premium per mu and carbon-price sensitivity (vectorised, pure).

Three covers (all amounts CNY, quantities tCO2e; arrays broadcast under numpy rules, e.g.
losses ``float64[Y, R]`` with a per-year price ``carbon_price[:, None]``):

* carbon sink value insurance: ``min(max(tCO2e lost x price - deductible, 0), sum insured)``;
* carbon sink index insurance: a graded payout ``sum insured x share(I)`` on the sequestration-loss
  index ``I = sequestration lost / expected annual sequestration`` (:class:`engine.products.IndexSchedule`);
* carbon-credit delivery cover: ``min(max(contracted - delivered - retention, 0) x price, limit)``.

Pricing reuses :func:`engine.pricing.technical_premium` on the annual totals and adds the premium
per mu; :func:`price_sensitivity` recomputes a premium with the carbon-price level and volatility
scaled, on common random numbers. Default terms and their sources: ``configs/carbon/products.yaml``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.carbon.params import check, load_config, mapping, number
from engine.carbon.price import PriceParams, sample_prices
from engine.config import ConfigError
from engine.pricing import PricingBasis, technical_premium
from engine.products import IndexSchedule

SEQUESTRATION_INDEX = "sequestration_loss_share"


@dataclass(frozen=True)
class CarbonTerms:
    """Default terms of the three carbon covers.

    Attributes
    ----------
    deductible_share : float
        Sink value cover: deductible as a share of the sum insured.
    index : IndexSchedule
        Sink index cover: graded payout on the sequestration-loss index (share of SI paid).
    retention_share : float
        Delivery cover: shortfall retained by the buyer, as a share of the contracted tCO2e.
    limit_multiple : float
        Delivery cover: limit as a multiple of contracted tCO2e x start price.
    """

    deductible_share: float
    index: IndexSchedule
    retention_share: float
    limit_multiple: float


def carbon_terms(cfg: dict, key: str = "carbon.products") -> CarbonTerms:
    """Validate the products config into :class:`CarbonTerms`; errors name the full key."""
    cfg = mapping(cfg, key, required=("sink_value", "sink_index", "delivery"))
    value = mapping(cfg["sink_value"], f"{key}.sink_value", required=("deductible_share",))
    index = mapping(cfg["sink_index"], f"{key}.sink_index", required=("grades",))
    delivery = mapping(cfg["delivery"], f"{key}.delivery", required=("retention_share", "limit_multiple"))
    grades = index["grades"]
    gkey = f"{key}.sink_index.grades"
    check(isinstance(grades, list) and grades and all(isinstance(g, list) and len(g) == 2 for g in grades), gkey,
          f"must list [index level, share] pairs, e.g. [[0.15, 0.2], [0.8, 1.0]], got {grades!r}")
    levels = np.array([g[0] for g in grades], dtype=float)
    check(np.all((levels > 0) & (levels <= 1)), gkey, f"index levels are shares of sequestration lost in (0, 1], "
          f"got {levels.tolist()}")
    try:
        schedule = IndexSchedule(SEQUESTRATION_INDEX, levels, np.array([g[1] for g in grades], dtype=float))
    except ValueError as err:
        raise ConfigError(f"config key '{gkey}': {err}") from None
    return CarbonTerms(
        deductible_share=number(value, f"{key}.sink_value", "deductible_share", 0.0, 1.0, "[)"),
        index=schedule,
        retention_share=number(delivery, f"{key}.delivery", "retention_share", 0.0, 1.0, "[)"),
        limit_multiple=number(delivery, f"{key}.delivery", "limit_multiple", 0.0, 100.0, "(]"),
    )


def load_terms(path=None) -> CarbonTerms:
    """:class:`CarbonTerms` from ``configs/carbon/products.yaml`` (or ``path``)."""
    return carbon_terms(load_config("products", path))


# ---------------------------------------------------------------- product terms

def _nonneg(value, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0")
    return arr


def sum_insured_from_sink(tco2e, carbon_price) -> np.ndarray:
    """Sum insured = verified carbon-sink volume (tCO2e) x carbon price (CNY/tCO2e), in CNY."""
    return _nonneg(tco2e, "tco2e") * _nonneg(carbon_price, "carbon_price")


def sink_value_indemnity(tco2e_lost, carbon_price, sum_insured, deductible=0.0) -> np.ndarray:
    """Carbon sink value cover: ``min(max(tCO2e lost x price - deductible, 0), sum insured)`` (CNY).

    Parameters
    ----------
    tco2e_lost : float64[Y, R]
        Carbon stock lost (tCO2e).
    carbon_price : float64[Y, 1] or broadcastable
        Price valuing the loss (CNY/tCO2e).
    sum_insured, deductible : float64[R] or float
        Limit and deductible per plot (CNY).
    """
    loss = _nonneg(tco2e_lost, "tco2e_lost") * _nonneg(carbon_price, "carbon_price")
    return np.minimum(np.maximum(loss - _nonneg(deductible, "deductible"), 0.0), _nonneg(sum_insured, "sum_insured"))


def sequestration_loss_index(sequestration_lost, sequestration_expected) -> np.ndarray:
    """Share of the expected annual sequestration lost, in [0, 1] (0 where nothing is expected)."""
    lost = _nonneg(sequestration_lost, "sequestration_lost")
    expected = _nonneg(sequestration_expected, "sequestration_expected")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(expected > 0, lost / np.where(expected > 0, expected, 1.0), 0.0)
    return np.clip(share, 0.0, 1.0)


def sink_index_payout(loss_index, sum_insured, schedule: IndexSchedule) -> np.ndarray:
    """Carbon sink index cover: ``sum insured x share(index)`` by the graded table (CNY)."""
    return schedule.share(_nonneg(loss_index, "loss_index")) * _nonneg(sum_insured, "sum_insured")


def delivery_indemnity(contracted_tco2e, delivered_tco2e, carbon_price, limit, retention_tco2e=0.0) -> np.ndarray:
    """Carbon-credit delivery cover: ``min(max(contracted - delivered - retention, 0) x price, limit)`` (CNY).

    Parameters
    ----------
    contracted_tco2e, delivered_tco2e : float64[Y, R] or broadcastable
        Credits contracted and verified credits delivered (tCO2e).
    carbon_price : float64[Y, 1] or broadcastable
        Replacement price of the missing credits (CNY/tCO2e).
    limit : float64[R] or float
        Limit of indemnity (CNY).
    retention_tco2e : float64[R] or float
        Shortfall the buyer keeps (tCO2e).
    """
    shortfall = _nonneg(contracted_tco2e, "contracted_tco2e") - _nonneg(delivered_tco2e, "delivered_tco2e")
    shortfall = np.maximum(shortfall - _nonneg(retention_tco2e, "retention_tco2e"), 0.0)
    return np.minimum(shortfall * _nonneg(carbon_price, "carbon_price"), _nonneg(limit, "limit"))


# ---------------------------------------------------------------- premium

def premium_per_mu(annual_indemnity, sum_insured: float, area_mu: float, basis: PricingBasis) -> dict:
    """Technical premium of a book from its dense annual indemnities, with the premium per mu.

    Parameters
    ----------
    annual_indemnity : float64[Y]
        Total indemnity of each simulated year (CNY), zeros included.
    sum_insured : float
        Total sum insured (CNY).
    area_mu : float
        Total insured area (mu), > 0.
    basis : PricingBasis
        Risk load and loadings.

    Returns
    -------
    dict
        :func:`engine.pricing.technical_premium` (``expected_loss``, ``risk_load``, ``expenses``,
        ``gross``, ``rate``) plus ``premium_per_mu`` (CNY/mu/yr) and ``sum_insured_per_mu`` (CNY/mu).
    """
    annual = _nonneg(annual_indemnity, "annual_indemnity")
    if annual.ndim != 1 or annual.size == 0:
        raise ValueError("annual_indemnity must be one total per simulated year (1-d, non-empty)")
    area = float(area_mu)
    if not area > 0:
        raise ValueError(f"area_mu must be > 0, got {area_mu!r}")
    out = technical_premium(annual[annual > 0], annual.size, sum_insured, basis)
    out["premium_per_mu"] = out["gross"] / area
    out["sum_insured_per_mu"] = float(sum_insured) / area
    return out


def price_sensitivity(annual_indemnity: Callable[[np.ndarray, PriceParams], np.ndarray], price: PriceParams,
                      seed: int, years, basis: PricingBasis, area_mu: float,
                      sum_insured: float | Callable[[PriceParams], float],
                      level_factors: Sequence[float] = (0.5, 1.0, 1.5),
                      volatility_factors: Sequence[float] = (0.5, 1.0, 1.5),
                      driver=None, rho: float = 0.0) -> pd.DataFrame:
    """Premium as a function of the carbon-price level and volatility (a small table).

    For each pair of factors the price model is scaled (:meth:`PriceParams.scaled`: start price and
    long-run median x level, volatility x volatility factor), each simulated year's price is redrawn
    from the same normals (common random numbers, so differences are the parameters' effect, not
    noise), ``annual_indemnity(prices, scaled_params) -> float64[Y]`` gives the book's annual totals and
    :func:`premium_per_mu` prices them.

    ``sum_insured`` is a number (a CNY sum fixed at inception) or a function of the scaled price
    parameters (e.g. verified tCO2e x start price).

    Returns
    -------
    pandas.DataFrame
        One row per (level, volatility): ``level_factor, volatility_factor, start_price_cny,
        volatility_per_year, mean_price_cny, expected_loss, risk_load, gross, rate, premium_per_mu``.
    """
    rows = []
    for level in level_factors:
        for vol in volatility_factors:
            scaled = price.scaled(level=float(level), volatility=float(vol))
            prices = sample_prices(scaled, seed, years, driver=driver, rho=rho)
            si = sum_insured(scaled) if callable(sum_insured) else float(sum_insured)
            p = premium_per_mu(annual_indemnity(prices, scaled), si, area_mu, basis)
            rows.append({"level_factor": float(level), "volatility_factor": float(vol),
                         "start_price_cny": scaled.start_price_cny, "volatility_per_year": scaled.volatility_per_year,
                         "mean_price_cny": float(prices.mean()), "expected_loss": p["expected_loss"],
                         "risk_load": p["risk_load"], "gross": p["gross"], "rate": p["rate"],
                         "premium_per_mu": p["premium_per_mu"]})
    return pd.DataFrame(rows)
