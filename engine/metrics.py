"""Loss metrics (EP curves, AAL with standard error, VaR, TVaR) from sparse annual losses.

Data layout
-----------
A simulation of ``n_trials`` years (or year x sample trials) stores only the years with a nonzero loss:
``values: float64[n]``, ``n <= n_trials``, in any order. Every trial that is not stored has a loss of
exactly zero, and every function here treats those zeros analytically, so nothing is ever densified.

All metrics are taken on the empirical distribution that puts mass ``1 / n_trials`` on each trial.
With the losses sorted descending, ``x_(1) >= x_(2) >= ... >= x_(n)`` and ``x_(i) = 0`` for ``i > n``,
the i-th largest loss has exceedance probability ``i / n_trials`` (return period ``n_trials / i``).

Losses are in the caller's currency unit (CNY in Qilu); probabilities are per trial (per year).
"""
import operator

import numpy as np

from engine.dtypes import LOSS

#: Default return periods (years) reported for OEP and AEP curves.
RETURN_PERIODS = (10, 20, 50, 100, 200, 250, 500, 1000)


# ----------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------

def _check_n_trials(n_trials):
    try:
        n_trials = operator.index(n_trials)
    except TypeError:
        raise TypeError(f"n_trials must be an integer, got {n_trials!r}") from None
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    return n_trials


def _check_values(values, n_trials, name="values"):
    losses = np.asarray(values, dtype=LOSS)
    if losses.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one loss per trial), got shape {losses.shape}")
    if losses.size > n_trials:
        raise ValueError(f"{name} holds {losses.size} trials but n_trials is {n_trials}; "
                         "values must be the nonzero subset of the trials")
    if not np.all(np.isfinite(losses)):
        raise ValueError(f"{name} contains non-finite losses (nan or inf)")
    if np.any(losses < 0):
        raise ValueError(f"{name} contains negative losses (min {losses.min()!r})")
    return losses


def _check_level(level):
    level = float(level)
    if not 0.0 <= level < 1.0:
        raise ValueError(f"level must be in [0, 1), got {level}")
    return level


def descending_losses(values, n_trials):
    """Validate sparse trial losses and return them sorted from largest to smallest.

    Parameters
    ----------
    values : float64[n]
        Nonzero trial losses (currency), any order; ``n <= n_trials``. Zeros are allowed but not needed.
    n_trials : int
        Total number of simulated trials (years), zero-loss trials included.

    Returns
    -------
    float64[n]
        A new array, ``x_(1) >= ... >= x_(n)``; the caller's array is never modified.

    Raises
    ------
    ValueError
        On negative or non-finite losses, more values than trials, or ``n_trials < 1``.
    """
    n_trials = _check_n_trials(n_trials)
    losses = _check_values(values, n_trials)
    return np.ascontiguousarray(np.sort(losses)[::-1])


def _loss_at_rank(desc, rank):
    """Loss of (possibly fractional) descending rank ``rank >= 1``, interpolating linearly between
    ranks floor(rank) and ceil(rank); ranks beyond the stored values are zero-loss trials."""
    n = desc.size
    # One trailing zero stands for every unstored trial, so rank > n indexes a zero.
    padded = np.concatenate([desc, np.zeros(1, dtype=LOSS)])
    rank = np.asarray(rank, dtype=np.float64)
    lower = np.floor(rank)
    frac = rank - lower
    lower = lower.astype(np.int64)
    lo_loss = padded[np.minimum(lower, n + 1) - 1]
    hi_loss = padded[np.minimum(lower + 1, n + 1) - 1]
    return lo_loss + frac * (hi_loss - lo_loss)


# ----------------------------------------------------------------------------------------------
# EP curves
# ----------------------------------------------------------------------------------------------

def return_period_losses(values, n_trials, return_periods=RETURN_PERIODS):
    """Empirical loss at each return period, from sparse trial losses.

    Rule: sort the losses descending; the i-th largest (1-based) has exceedance probability
    ``i / n_trials``. The loss at return period ``T`` is the loss of rank ``k = n_trials / T``:

    * ``k`` integer: the k-th largest loss;
    * ``k`` not an integer: linear interpolation between ranks ``floor(k)`` and ``ceil(k)``,
      ``x_(floor k) + (k - floor k) * (x_(ceil k) - x_(floor k))``;
    * a rank beyond the ``n`` stored values is a zero-loss trial and gives 0;
    * ``T > n_trials`` (``k < 1``) is beyond the simulated range: the largest simulated loss is
      returned. This is an extrapolation limit (a lower bound for the true loss), not an estimate.

    Parameters
    ----------
    values : float64[n]
        Nonzero trial losses (currency), any order, ``n <= n_trials``.
    n_trials : int
        Total number of trials (years), zero-loss trials included.
    return_periods : sequence of float, optional
        Return periods in years, each ``>= 1``. Default :data:`RETURN_PERIODS`.

    Returns
    -------
    float64[len(return_periods)]
        Loss (currency) at each return period, in the order given.
    """
    desc = descending_losses(values, n_trials)
    periods = np.asarray(return_periods, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(periods)) or np.any(periods < 1.0):
        raise ValueError(f"return periods must be finite and >= 1 year, got {list(return_periods)}")
    rank = np.maximum(n_trials / periods, 1.0)
    return _loss_at_rank(desc, rank)


def ep_curve(values, n_trials):
    """Full empirical exceedance-probability curve of the nonzero trial losses.

    Parameters
    ----------
    values : float64[n]
        Nonzero trial losses (currency), any order, ``n <= n_trials``.
    n_trials : int
        Total number of trials (years), zero-loss trials included.

    Returns
    -------
    loss : float64[n]
        Losses sorted descending (currency).
    exceedance_probability : float64[n]
        ``i / n_trials`` for the i-th largest loss (per trial).
    return_period : float64[n]
        ``n_trials / i`` (years).
    """
    desc = descending_losses(values, n_trials)
    rank = np.arange(1, desc.size + 1, dtype=np.float64)
    return desc, rank / n_trials, n_trials / rank


# ----------------------------------------------------------------------------------------------
# moments
# ----------------------------------------------------------------------------------------------

def annual_std(values, n_trials, ddof=1):
    """Standard deviation of the trial loss, zero-loss trials included analytically.

    Parameters
    ----------
    values : float64[n]
        Nonzero trial losses (currency), ``n <= n_trials``.
    n_trials : int
        Total number of trials, zero-loss trials included.
    ddof : int, optional
        Delta degrees of freedom: 1 (default) for the sample standard deviation, 0 for the
        standard deviation of the empirical distribution.

    Returns
    -------
    float
        Standard deviation (currency); nan when ``n_trials - ddof < 1``.
    """
    n_trials = _check_n_trials(n_trials)
    losses = _check_values(values, n_trials)
    if n_trials - ddof < 1:
        return float("nan")
    mean = losses.sum() / n_trials
    # Deviations of the stored trials plus (n_trials - n) zero trials each deviating by -mean;
    # centring first avoids the cancellation of sum(x^2) - N mean^2 on heavy-tailed losses.
    squares = np.sum((losses - mean) ** 2) + (n_trials - losses.size) * mean**2
    return float(np.sqrt(squares / (n_trials - ddof)))


def aal_and_se(values, n_trials):
    """Average annual loss and its Monte Carlo standard error.

    ``AAL = sum(values) / n_trials``; ``SE = s / sqrt(n_trials)`` with ``s`` the sample standard
    deviation (ddof=1) over all trials, zero-loss trials included.

    The SE assumes independent trials. When Q secondary-uncertainty samples per year are pooled as
    trials they are not independent (samples of a year share its events); use
    :func:`aal_se_from_year_means` for the SE in that case.

    Parameters
    ----------
    values : float64[n]
        Nonzero annual losses (currency), ``n <= n_trials``.
    n_trials : int
        Total number of trials (years), zero-loss trials included.

    Returns
    -------
    aal : float
        Average annual loss (currency per year).
    se : float
        Standard error of ``aal`` (currency per year); nan when ``n_trials == 1``.
    """
    n_trials = _check_n_trials(n_trials)
    losses = _check_values(values, n_trials)
    aal = float(losses.sum() / n_trials)
    se = annual_std(losses, n_trials, ddof=1) / np.sqrt(n_trials)
    return aal, float(se)


def aal_se_from_year_means(year_means, n_years):
    """Standard error of the AAL when each year carries Q secondary-uncertainty samples.

    When the Y x Q (year, sample) losses are pooled as ``Y * Q`` trials, the AAL itself is right
    (it equals the mean of the per-year means), but the pooled-trial SE is too small: the Q samples
    of one year share the year's event occurrence, so they are positively correlated. The SE must be
    computed from the per-year mean over samples, which are independent across years:
    ``SE = s(year means, ddof=1) / sqrt(Y)``.

    Parameters
    ----------
    year_means : float64[n]
        Nonzero per-year means over the Q samples (currency), ``n <= n_years``; years not stored
        have a mean of zero.
    n_years : int
        Number of simulated years Y (not Y * Q).

    Returns
    -------
    float
        Standard error of the AAL (currency per year); nan when ``n_years == 1``.
    """
    n_years = _check_n_trials(n_years)
    return float(annual_std(year_means, n_years, ddof=1) / np.sqrt(n_years))


# ----------------------------------------------------------------------------------------------
# tail measures
# ----------------------------------------------------------------------------------------------

def var_quantile(values, n_trials, level):
    """Value at risk: the empirical quantile at ``level``, on the same rule as the return periods.

    ``var_quantile(values, n_trials, level)`` equals the return-period loss at
    ``T = 1 / (1 - level)``: the loss of descending rank ``k = n_trials * (1 - level)``, interpolated
    linearly between ranks ``floor(k)`` and ``ceil(k)``, zero beyond the stored values, and the
    largest loss when ``k < 1`` (extrapolation limit). With this rule ``tvar >= var_quantile`` at
    every level.

    Parameters
    ----------
    values : float64[n]
        Nonzero trial losses (currency), ``n <= n_trials``.
    n_trials : int
        Total number of trials, zero-loss trials included.
    level : float
        Non-exceedance probability in [0, 1), e.g. 0.99.

    Returns
    -------
    float
        Loss (currency).
    """
    desc = descending_losses(values, n_trials)
    level = _check_level(level)
    rank = max(n_trials * (1.0 - level), 1.0)
    return float(_loss_at_rank(desc, rank))


def tvar(values, n_trials, level=0.99):
    """Tail value at risk: the mean of the worst ``(1 - level)`` share of trials, zeros included.

    Exact TVaR of the empirical distribution, ``(1 / m) * integral_{level}^{1} q(u) du`` with
    ``m = 1 - level`` and ``q`` the empirical quantile (step) function. With ``w = n_trials * m``
    trials in the tail, the ``floor(w)`` largest losses count in full and the boundary trial (rank
    ``floor(w) + 1``) with weight ``w - floor(w)``::

        TVaR = (x_(1) + ... + x_(floor w) + (w - floor w) * x_(floor w + 1)) / w

    When ``w < 1`` the tail lies inside the largest trial and TVaR is the largest loss.

    Parameters
    ----------
    values : float64[n]
        Nonzero trial losses (currency), ``n <= n_trials``.
    n_trials : int
        Total number of trials, zero-loss trials included.
    level : float, optional
        Non-exceedance probability in [0, 1); default 0.99. ``level = 0`` gives the mean (AAL).

    Returns
    -------
    float
        TVaR (currency).
    """
    desc = descending_losses(values, n_trials)
    level = _check_level(level)
    tail_trials = n_trials * (1.0 - level)
    full = int(np.floor(tail_trials))
    boundary = desc[full] if full < desc.size else 0.0  # rank full + 1; unstored ranks are zero
    tail_sum = desc[:full].sum() + (tail_trials - full) * boundary
    return float(tail_sum / tail_trials)


# ----------------------------------------------------------------------------------------------
# summary
# ----------------------------------------------------------------------------------------------

def _integral_periods(return_periods):
    keys = []
    for period in return_periods:
        if not float(period).is_integer():
            raise ValueError(f"summary return periods must be whole years, got {period!r}")
        keys.append(int(period))
    return keys


def summarise(occurrence_max, annual_total, n_trials, return_periods=RETURN_PERIODS, *,
              samples_per_year=1, year_means=None):
    """Headline loss metrics of one aggregation key, JSON-ready.

    Parameters
    ----------
    occurrence_max : float64[n]
        Largest single-event loss of each trial with a nonzero loss (currency), for the OEP.
    annual_total : float64[n]
        Aggregate loss of the same trials, element by element (currency), for AAL, AEP and TVaR.
    n_trials : int
        Total number of trials, zero-loss trials included (Y, or Y * Q when Q samples per year
        are pooled as trials).
    return_periods : sequence of int, optional
        Return periods in whole years. Default :data:`RETURN_PERIODS`.
    samples_per_year : int, keyword-only
        Q, the secondary-uncertainty samples pooled per year; ``n_trials`` must be a multiple.
        With Q > 1, ``year_means`` is required (see :func:`aal_se_from_year_means`).
    year_means : float64[m] or None, keyword-only
        Nonzero per-year means over the Q samples (currency), used for the AAL SE. Their mean over
        the ``n_trials / Q`` years must equal the pooled AAL.

    Returns
    -------
    dict
        ``{"aal", "aal_se", "oep": {T: loss}, "aep": {T: loss}, "tvar_99", "n_years"}``, plain
        Python floats in currency, int return-period keys; ``tvar_99`` is on the annual aggregate
        (AEP) basis at level 0.99; ``n_years`` is ``n_trials`` (trials, Y * Q when pooled).

    Raises
    ------
    ValueError
        On invalid losses, mismatched arrays, an occurrence maximum above its annual total, or a
        pooled run (Q > 1) without ``year_means``.
    """
    n_trials = _check_n_trials(n_trials)
    occurrence = _check_values(occurrence_max, n_trials, "occurrence_max")
    aggregate = _check_values(annual_total, n_trials, "annual_total")
    if occurrence.shape != aggregate.shape:
        raise ValueError(f"occurrence_max ({occurrence.size}) and annual_total ({aggregate.size}) "
                         "must describe the same trials")
    # A year's largest event cannot exceed the year's total; allow float summation noise only.
    excess = occurrence - aggregate * (1.0 + 1e-9)
    if np.any(excess > 1e-9):
        bad = int(np.argmax(excess))
        raise ValueError(f"occurrence_max exceeds annual_total at position {bad}: "
                         f"{occurrence[bad]!r} > {aggregate[bad]!r}")
    keys = _integral_periods(return_periods)

    aal, aal_se = aal_and_se(aggregate, n_trials)
    if operator.index(samples_per_year) < 1:
        raise ValueError(f"samples_per_year must be >= 1, got {samples_per_year}")
    if year_means is not None:
        if n_trials % samples_per_year:
            raise ValueError(f"n_trials ({n_trials}) is not a multiple of samples_per_year "
                             f"({samples_per_year})")
        n_years = n_trials // samples_per_year
        means = _check_values(year_means, n_years, "year_means")
        if not np.isclose(means.sum() / n_years, aal, rtol=1e-9, atol=0.0):
            raise ValueError(f"year_means average to {means.sum() / n_years!r} per year but the "
                             f"pooled AAL is {aal!r}; they must describe the same run")
        aal_se = aal_se_from_year_means(means, n_years)
    elif samples_per_year > 1:
        raise ValueError("samples_per_year > 1 needs year_means: pooled samples of one year share "
                         "its events, so the AAL standard error must come from per-year means")

    oep = return_period_losses(occurrence, n_trials, keys)
    aep = return_period_losses(aggregate, n_trials, keys)
    return {
        "aal": aal,
        "aal_se": float(aal_se),
        "oep": {period: float(loss) for period, loss in zip(keys, oep)},
        "aep": {period: float(loss) for period, loss in zip(keys, aep)},
        "tvar_99": tvar(aggregate, n_trials, 0.99),
        "n_years": n_trials,
    }
