"""Financial terms as small scalar kernels: one rule each, called from the loss kernels.

Per risk, per occurrence (or per season for seasonal products), in this order:

1. franchise F: nothing is paid unless the ground-up loss X exceeds F;
2. deductible D: X - D, floored at 0;
3. limit L (already capped at the sum insured by the portfolio loader): min(., L);
4. coinsurance c: the insurer's share, c * (.).

Per policy, on the sum of its risks' losses after risk terms: a deductible and a limit, and the
policy loss is allocated back to its risks pro rata (Oasis allocation rule 2), so keys below the
policy (county, product) still add up to the policy loss.
"""
from engine.jit import kernel


@kernel
def risk_terms(ground_up, deductible, limit, franchise, coinsurance):
    """Insured loss of one risk (CNY) from its ground-up loss (CNY); see the module docstring."""
    if ground_up <= franchise:
        return 0.0
    loss = ground_up - deductible
    if loss <= 0.0:
        return 0.0
    if loss > limit:
        loss = limit
    return loss * coinsurance


@kernel
def risk_terms_slope(ground_up, deductible, limit, franchise, coinsurance):
    """d(insured)/d(ground-up) at ``ground_up``: coinsurance inside the layer, else 0 (delta method)."""
    if ground_up <= franchise or ground_up <= deductible or ground_up - deductible >= limit:
        return 0.0
    return coinsurance


@kernel
def policy_factor(total, deductible, limit):
    """Share of a policy's summed risk loss ``total`` it pays after its deductible and limit."""
    if total <= 0.0:
        return 0.0
    paid = total - deductible
    if paid <= 0.0:
        return 0.0
    if paid > limit:
        paid = limit
    return paid / total
