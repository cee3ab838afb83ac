"""GEV margins of event rainfall at sites, consistent with a Poisson number of events a year.

Targets. At each site the annual maximum storm-total rainfall ``X`` (mm) of all heavy-rain systems
follows a GEV distribution ``F(x) = exp(-t(x))``, ``t(x) = (1 + xi (x - loc) / scale)^(-1/xi)``
(scipy's ``genextreme`` with ``c = -xi``). Its parameters come from station anchors (mean and
coefficient of variation of the annual maximum 1-day rainfall, config ``rain.anchors``) smoothed
to the site with a Gaussian kernel in distance, converted with the GEV moments
``mean = loc + scale (g1 - 1) / xi``, ``var = scale^2 (g2 - g1^2) / xi^2`` (``gk = Gamma(1 - k xi)``),
and scaled from 1-day to storm totals by ``rain.storm_total_factor``.

Events. With ``lam`` events a year (Poisson), the annual maximum is exactly ``F`` if each event's
rain has the upper tail ``P(R > x) = t(x) / lam`` (the Poisson–GEV construction behind peaks-over-
threshold models): an event whose copula score has upper-tail probability ``q`` gets
``x = loc + scale ((lam q)^(-xi) - 1) / xi``. The expected number of events a year above ``x`` is
then ``-ln F(x)``, whatever ``lam``; ``lam`` only sets the smallest event rain modelled,
``F^-1(exp(-lam))`` (about 15-30 mm here). When only a share ``1 - s`` of the systems is simulated
(typhoons, share ``s``, come from the typhoon peril), the simulated annual maximum follows
``F^(1 - s)``: :func:`annual_max_cdf` with ``share``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
from scipy import special, stats

from engine import geo

#: GEV parameters of the annual-maximum storm-total rain at each site, float64[S] each (mm, mm, -).
SiteMargins = namedtuple("SiteMargins", "loc scale shape")


def gev_from_moments(mean, cv, shape: float):
    """GEV (loc, scale) with the given mean (mm), coefficient of variation and shape xi.

    Parameters
    ----------
    mean, cv : float or float64[S]
    shape : float
        xi in (-0.3, 0.5); xi = 0 is the Gumbel limit.

    Returns
    -------
    loc, scale : float64 arrays (mm)
    """
    mean, cv = np.asarray(mean, float), np.asarray(cv, float)
    sd = mean * cv
    if abs(shape) < 1e-9:   # Gumbel: sd = scale pi / sqrt 6, mean = loc + Euler-gamma scale
        scale = sd * np.sqrt(6.0) / np.pi
        return mean - np.euler_gamma * scale, scale
    g1, g2 = special.gamma(1.0 - shape), special.gamma(1.0 - 2.0 * shape)
    scale = sd * abs(shape) / np.sqrt(g2 - g1 * g1)
    return mean - scale * (g1 - 1.0) / shape, scale


def smooth_anchors(lon, lat, anchors, smoothing_km: float):
    """Mean (mm) and CV of the annual-maximum 1-day rain at sites: Gaussian-kernel weighted anchors.

    Weights ``exp(-(d / smoothing_km)^2 / 2)`` with ``d`` the great-circle distance (km); far from every
    anchor the weights are renormalised, so values stay within the anchors' range.

    Returns
    -------
    mean_mm, cv : float64[S]
    """
    lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
    a_lon = np.array([a.lon for a in anchors])
    a_lat = np.array([a.lat for a in anchors])
    d = geo.haversine_km(lon[:, None], lat[:, None], a_lon[None, :], a_lat[None, :])
    logw = -0.5 * (d / smoothing_km) ** 2
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return w @ np.array([a.mean_mm for a in anchors]), w @ np.array([a.cv for a in anchors])


def site_margins(lon, lat, rain) -> SiteMargins:
    """GEV of the annual-maximum storm-total rain (all causes) at sites, from ``RainParams`` ``rain``."""
    mean, cv = smooth_anchors(lon, lat, rain.anchors, rain.smoothing_km)
    loc, scale = gev_from_moments(mean * rain.storm_total_factor, cv, rain.gev_shape)
    return SiteMargins(loc, scale, np.full_like(loc, rain.gev_shape))


def annual_max_cdf(x, margins: SiteMargins, share: float = 1.0):
    """P(annual maximum <= x) when a share ``share`` of the events is simulated: ``F(x)^share``."""
    return stats.genextreme.cdf(x, -margins.shape, loc=margins.loc, scale=margins.scale) ** share


def return_level(period_yr, margins: SiteMargins, share: float = 1.0):
    """Rain (mm) exceeded on average once in ``period_yr`` years by the annual maximum ``F^share``."""
    p = np.asarray(period_yr, float)
    return stats.genextreme.ppf((1.0 - 1.0 / p) ** (1.0 / share), -margins.shape, loc=margins.loc,
                                scale=margins.scale)


def event_rain(upper_tail, margins: SiteMargins, rate_per_year: float):
    """Event rain (mm) at sites from the upper-tail probability of each site's copula score.

    Parameters
    ----------
    upper_tail : float64[E, S]
        ``q = P(score > observed)`` in (0, 1].
    margins : SiteMargins
        float64[S] each.
    rate_per_year : float
        ``lam``, the rate the margins are defined with (``rain.rate_per_year``, all causes).

    Returns
    -------
    float64[E, S]
        ``loc + scale ((lam q)^(-xi) - 1) / xi``, i.e. ``genextreme.ppf(exp(-lam q))`` computed without
        the rounding of ``exp`` near 1 (``loc - scale ln(lam q)`` when xi = 0).
    """
    t = rate_per_year * np.asarray(upper_tail, float)
    xi = margins.shape
    if np.all(np.abs(xi) < 1e-9):
        return margins.loc - margins.scale * np.log(t)
    return margins.loc + margins.scale * np.expm1(-xi * np.log(t)) / xi


__all__ = ["SiteMargins", "gev_from_moments", "smooth_anchors", "site_margins", "annual_max_cdf",
           "return_level", "event_rain"]
