"""Drought indices: SPI (McKee et al. 1993) and SPEI (Vicente-Serrano et al. 2010), GB/T 20481 classes.

Usable on any monthly series. Fits act on axis 0 (the sample of years) and fit every other axis
separately, so ``float64[N, 12, C]`` (years, calendar month, county) is fitted per month and county:

* SPI: the k-month precipitation sum is gamma-distributed with a point mass q at 0:
  H(x) = q + (1 - q) G(x; shape, scale), SPI = Phi^-1(H). Shape and scale by Thom's (1958)
  maximum-likelihood approximation on the positive values.
* SPEI: the k-month climatic water balance D = P - PET follows a three-parameter log-logistic,
  fitted by probability-weighted moments (Vicente-Serrano et al. 2010, eqs. 3-7); returned in
  ``scipy.stats.fisk(c, loc, scale)`` form (c = beta, loc = gamma, scale = alpha).

Probabilities are clipped to [1e-5, 1 - 1e-5] before the inverse normal, so indices lie in
about [-4.26, 4.26] (a value outside the fitted support would otherwise give -inf).
GB/T 20481-2017 classes (REFERENCE.md): none (> -0.5), mild (-1.0, -0.5], moderate (-1.5, -1.0],
severe (-2.0, -1.5], extreme (<= -2.0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

CLASS_NAMES = ("none", "mild", "moderate", "severe", "extreme")
#: Upper bounds (inclusive) of the GB/T 20481 classes mild..extreme.
CLASS_BOUNDS = (-0.5, -1.0, -1.5, -2.0)
P_CLIP = 1e-5


def drought_class(index) -> np.ndarray:
    """GB/T 20481 class of SPI/SPEI values: int8 0 none, 1 mild, 2 moderate, 3 severe, 4 extreme (-1 for NaN)."""
    x = np.asarray(index, float)
    cls = np.zeros(x.shape, np.int8)
    for level, bound in enumerate(CLASS_BOUNDS, start=1):
        cls[x <= bound] = level
    cls[np.isnan(x)] = -1
    return cls


def class_probabilities() -> dict:
    """Probability of each class for a standard normal index (what SPI/SPEI give by construction)."""
    edges = np.array([np.inf, *CLASS_BOUNDS, -np.inf])
    cdf = special.ndtr(edges)
    return {name: float(cdf[i] - cdf[i + 1]) for i, name in enumerate(CLASS_NAMES)}


def accumulate(monthly, scale: int, axis: int = -1) -> np.ndarray:
    """Running k-month sums along ``axis`` (month t holds the sum of months t-k+1..t; NaN for the first k-1)."""
    if scale < 1:
        raise ValueError("scale must be >= 1 month")
    x = np.asarray(monthly, float)
    axis = axis % x.ndim
    c = np.cumsum(x, axis=axis)
    out = np.full(x.shape, np.nan)
    head = [slice(None)] * x.ndim
    tail = [slice(None)] * x.ndim
    lead = [slice(None)] * x.ndim
    head[axis], tail[axis], lead[axis] = slice(scale - 1, None), slice(scale, None), slice(None, -scale)
    out[tuple(head)] = c[tuple(head)]
    out[tuple(tail)] -= c[tuple(lead)]
    return out


# ---- SPI ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GammaFit:
    """Gamma with a point mass at zero, per fitted cell: ``shape`` (1), ``scale`` (unit of the data),
    ``p_zero`` (probability of exactly 0)."""

    shape: np.ndarray
    scale: np.ndarray
    p_zero: np.ndarray


def fit_gamma(sample) -> GammaFit:
    """Fit :class:`GammaFit` on axis 0 of ``sample`` (NaN ignored; values <= 0 count as zeros).

    Thom (1958): A = ln(mean) - mean(ln x), shape = (1 + sqrt(1 + 4A/3)) / (4A), scale = mean / shape,
    on the positive values. Needs at least 3 positive, not all equal, values per cell.
    """
    x = np.asarray(sample, float)
    valid = ~np.isnan(x)
    pos = valid & (x > 0)
    n_valid, n_pos = valid.sum(axis=0), pos.sum(axis=0)
    if np.any(n_pos < 3):
        raise ValueError("fit_gamma: every cell needs at least 3 positive values")
    safe = np.where(pos, x, 1.0)
    mean = np.where(pos, x, 0.0).sum(axis=0) / n_pos
    a = np.log(mean) - np.log(safe).sum(axis=0) / n_pos
    if np.any(a <= 0):
        raise ValueError("fit_gamma: a cell has identical positive values (no spread)")
    shape = (1.0 + np.sqrt(1.0 + 4.0 * a / 3.0)) / (4.0 * a)
    return GammaFit(shape, mean / shape, 1.0 - n_pos / n_valid)


def spi_from_fit(x, fit: GammaFit) -> np.ndarray:
    """SPI of accumulated precipitation ``x`` (broadcasting against the fit's cells); NaN stays NaN."""
    x = np.asarray(x, float)
    g = special.gammainc(fit.shape, np.maximum(x, 0.0) / fit.scale)
    # a zero sum sits at the middle of the point mass (centre-of-mass rule, Stagge et al. 2015)
    h = np.where(x > 0, fit.p_zero + (1.0 - fit.p_zero) * g, fit.p_zero / 2.0)
    out = special.ndtri(np.clip(h, P_CLIP, 1.0 - P_CLIP))
    return np.where(np.isnan(x), np.nan, out)


# ---- SPEI ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogLogisticFit:
    """Three-parameter log-logistic in ``scipy.stats.fisk`` form: ``c`` (shape beta), ``loc``
    (origin gamma) and ``scale`` (alpha), per fitted cell, in the unit of the data (mm)."""

    c: np.ndarray
    loc: np.ndarray
    scale: np.ndarray

    def cdf(self, x) -> np.ndarray:
        """F(x) = 1 / (1 + (scale / (x - loc))^c), 0 at or below ``loc``."""
        z = np.asarray(x, float) - self.loc
        with np.errstate(divide="ignore", over="ignore"):
            f = 1.0 / (1.0 + (self.scale / np.where(z > 0, z, np.nan)) ** self.c)
        return np.where(z > 0, f, 0.0)


def fit_loglogistic(sample) -> LogLogisticFit:
    """Fit :class:`LogLogisticFit` on axis 0 by probability-weighted moments (NaN-free input).

    With the sample sorted ascending and F_i = (i - 0.35) / N (i = 1..N), w_s = mean((1 - F_i)^s x_i):
    beta = (2 w1 - w0) / (6 w1 - w0 - 6 w2), alpha = (w0 - 2 w1) beta / (G(1 + 1/beta) G(1 - 1/beta)),
    gamma = w0 - alpha G(1 + 1/beta) G(1 - 1/beta) (Vicente-Serrano et al. 2010, after Singh et al. 1993).
    """
    x = np.sort(np.asarray(sample, float), axis=0)
    if np.isnan(x).any():
        raise ValueError("fit_loglogistic: NaN in the sample; drop the incomplete months first")
    n = x.shape[0]
    if n < 4:
        raise ValueError("fit_loglogistic: needs at least 4 values per cell")
    f = (np.arange(1, n + 1) - 0.35) / n
    shape = (n,) + (1,) * (x.ndim - 1)
    w0 = x.mean(axis=0)
    w1 = ((1.0 - f).reshape(shape) * x).mean(axis=0)
    w2 = ((1.0 - f).reshape(shape) ** 2 * x).mean(axis=0)
    beta = (2 * w1 - w0) / (6 * w1 - w0 - 6 * w2)
    if np.any(~(beta > 1.0)):
        raise ValueError("fit_loglogistic: shape <= 1 (too few or degenerate values): the mean does not exist")
    g = special.gamma(1 + 1 / beta) * special.gamma(1 - 1 / beta)
    alpha = (w0 - 2 * w1) * beta / g
    return LogLogisticFit(beta, w0 - alpha * g, alpha)


def spei_from_fit(x, fit: LogLogisticFit) -> np.ndarray:
    """SPEI of an accumulated water balance ``x`` (mm); NaN stays NaN."""
    x = np.asarray(x, float)
    out = special.ndtri(np.clip(fit.cdf(x), P_CLIP, 1.0 - P_CLIP))
    return np.where(np.isnan(x), np.nan, out)


# ---- whole-series helpers -----------------------------------------------------------------------
def _by_calendar_month(series, scale: int, first_month: int):
    """(accumulated float64[T, ...], calendar month index 0..11 of each step) of a series with time on axis 0."""
    if not 1 <= first_month <= 12:
        raise ValueError("first_month must be 1..12")
    acc = accumulate(series, scale, axis=0)
    return acc, (np.arange(acc.shape[0]) + first_month - 1) % 12


def _fit_per_month(acc, month, fitter):
    fits = []
    for m in range(12):
        rows = acc[(month == m) & ~np.isnan(acc).reshape(len(acc), -1).any(axis=1)]
        fits.append(fitter(rows) if len(rows) else None)
    return fits


def spi(precip, scale: int = 3, first_month: int = 1, calibration=None) -> np.ndarray:
    """SPI-k of a monthly precipitation series.

    Parameters
    ----------
    precip : float64[T] or float64[T, ...]
        Monthly totals (mm), time on axis 0, whole years recommended.
    scale : int
        Accumulation period k, months (1..24).
    first_month : int
        Calendar month (1..12) of ``precip[0]``.
    calibration : float64[T', ...] or None
        Series to fit on (same layout, starting in January); default: ``precip`` itself.

    Returns
    -------
    float64[T, ...]
        SPI, NaN for the first k-1 months.
    """
    acc, month = _by_calendar_month(precip, scale, first_month)
    ref, ref_month = (acc, month) if calibration is None else _by_calendar_month(calibration, scale, 1)
    fits = _fit_per_month(ref, ref_month, fit_gamma)
    out = np.full(acc.shape, np.nan)
    for m, fit in enumerate(fits):
        if fit is not None:
            out[month == m] = spi_from_fit(acc[month == m], fit)
    return out


def spei(balance, scale: int = 3, first_month: int = 1, calibration=None) -> np.ndarray:
    """SPEI-k of a monthly climatic water balance P - PET (mm); same layout and arguments as :func:`spi`."""
    acc, month = _by_calendar_month(balance, scale, first_month)
    ref, ref_month = (acc, month) if calibration is None else _by_calendar_month(calibration, scale, 1)
    fits = _fit_per_month(ref, ref_month, fit_loglogistic)
    out = np.full(acc.shape, np.nan)
    for m, fit in enumerate(fits):
        if fit is not None:
            out[month == m] = spei_from_fit(acc[month == m], fit)
    return out
