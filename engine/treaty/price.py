"""Layer statistics and prices from per-trial recoveries.

For a layer with annual recoveries C (float64[T], every trial) and reinstatement premium factor F
(reinstatement premium per unit of upfront premium, float64[T]):

* ``expected_loss`` E[C], ``std`` (ddof = 1), ``p_attach`` P(C > 0), ``p_exhaust`` P(C >= annual limit);
* pure premium with reinstatement adjustment: the upfront premium P whose expected total premium
  P (1 + E[F]) equals E[C], i.e. ``P = E[C] / (1 + E[F])``; ``expected_reinstatement_premium`` P E[F];
* technical premium: the same with the risk-loaded price, ``(E[C] + load(C)) / (1 + E[F])``, where
  the load follows the run's pricing principle (engine.pricing.risk_load), then grossed up for the
  loadings (expenses, profit, tax) as ``gross = technical / (1 - loading share)``;
* ``rate_on_line`` = gross premium / limit.
"""
from __future__ import annotations

import numpy as np

from engine import metrics
from engine.pricing import PricingBasis, risk_load

STAT_COLUMNS = ("layer", "type", "attachment", "limit", "annual_limit", "expected_loss", "std", "p_attach",
                "p_exhaust", "expected_reinstatement_factor", "pure_premium", "expected_reinstatement_premium",
                "risk_load", "technical_premium", "gross_premium", "rate_on_line")


def layer_statistics(layer, ceded: np.ndarray, factor: np.ndarray, basis: PricingBasis) -> dict:
    """One row of layer statistics (see the module docstring); ``ceded`` and ``factor`` cover every trial."""
    ceded = np.asarray(ceded, float)
    n = ceded.size
    nonzero = ceded[ceded > 0]
    expected_loss = float(ceded.mean()) if n else 0.0
    ef = float(np.mean(factor)) if n else 0.0
    load = risk_load(nonzero, n, basis) if n else 0.0
    pure = expected_loss / (1.0 + ef)
    technical = (expected_loss + load) / (1.0 + ef)
    gross = technical / (1.0 - basis.loading_share)
    annual_limit = layer.annual_limit
    return {"layer": layer.name, "type": layer.type, "attachment": layer.attachment, "limit": layer.limit,
            "annual_limit": annual_limit, "expected_loss": expected_loss,
            "std": float(metrics.annual_std(nonzero, n, ddof=1)) if n > 1 else 0.0,
            "p_attach": float(nonzero.size / n) if n else 0.0,
            "p_exhaust": float(np.mean(ceded >= annual_limit * (1 - 1e-12))) if np.isfinite(annual_limit) else 0.0,
            "expected_reinstatement_factor": ef, "pure_premium": pure, "expected_reinstatement_premium": pure * ef,
            "risk_load": float(load), "technical_premium": technical, "gross_premium": gross,
            "rate_on_line": gross / layer.limit if np.isfinite(layer.limit) else np.nan}


def ep_table(curves: dict, n_trials: int, return_periods=metrics.RETURN_PERIODS) -> list:
    """Rows ``{return_period, <name>: loss}`` for each named per-trial loss array (dense, float64[T])."""
    out = []
    values = {name: metrics.return_period_losses(np.asarray(v)[np.asarray(v) > 0], n_trials, return_periods)
              for name, v in curves.items()}
    for i, rp in enumerate(return_periods):
        out.append({"return_period": float(rp), **{name: float(np.asarray(v)[i]) for name, v in values.items()}})
    return out
