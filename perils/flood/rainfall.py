"""Stochastic heavy-rain events of one simulated year: count, days of year and storm-total rain at sites.

Per year ``y`` every draw comes from ``engine.rng.year_generator(seed, "flood.rain", y)`` in this
order: the number of events ``N ~ Poisson(rate)``, each event's month (``rain.month_weights``) and
day within the month, then the copula field (:meth:`perils.flood.dependence.LatentField.upper_tail`).
So a year's events never depend on how years are chunked. Events are numbered in day order.

``rate = rain.rate_per_year * (1 - rain.typhoon_share) * frequency_factor``: the flood peril simulates
the non-typhoon systems (Meiyu/plum-rain fronts, extratropical cyclones and troughs, mesoscale
convective systems); the margins stay those of all systems (:mod:`perils.flood.margins`). The
climate intensity factor multiplies every event's rain (Clausius–Clapeyron scaling of extremes).
"""
from __future__ import annotations

import numpy as np

from engine.rng import year_generator
from perils.flood.margins import event_rain

STREAM = "flood.rain"
#: First day of each month and the day after December (non-leap calendar).
MONTH_START_DOY = np.array([1, 32, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366])


def month_of(doy) -> np.ndarray:
    """Month 1..12 of day-of-year values (non-leap calendar; day 366 counts as December)."""
    return np.minimum(np.searchsorted(MONTH_START_DOY, np.asarray(doy), side="right"), 12)


def event_days(gen: np.random.Generator, n_events: int, month_probabilities) -> np.ndarray:
    """int64[n] days of year (1..365), sorted: a month by its probability, then a uniform day in it."""
    months = gen.choice(12, size=n_events, p=np.asarray(month_probabilities, float))
    length = np.diff(MONTH_START_DOY)
    offset = np.floor(gen.random(n_events) * length[months]).astype(np.int64)
    return np.sort(MONTH_START_DOY[months] + offset)


def annual_rate(rain, frequency_factor: float = 1.0) -> float:
    """Events a year the flood peril simulates (non-typhoon share, climate frequency factor applied)."""
    return rain.rate_per_year * (1.0 - rain.typhoon_share) * frequency_factor


def simulate_year(year: int, seed: int, field, margins, rain, frequency_factor: float = 1.0,
                  intensity_factor: float = 1.0):
    """Heavy-rain events of one simulated year at the sites of ``field``.

    Parameters
    ----------
    year, seed : int
        The simulated year and the run's master seed (the random stream's key).
    field : perils.flood.dependence.LatentField
    margins : perils.flood.margins.SiteMargins
    rain : perils.flood.params.RainParams
    frequency_factor, intensity_factor : float
        Climate factors: event rate and rain multipliers (1 = today's climate).

    Returns
    -------
    doy : int64[E]
        Day of year of each event, ascending.
    rain_mm : float64[E, S]
        Storm-total rain of each event at each site, mm.
    """
    gen = year_generator(seed, STREAM, year)
    n = int(gen.poisson(annual_rate(rain, frequency_factor)))
    doy = event_days(gen, n, rain.month_probabilities)
    rain_mm = event_rain(field.upper_tail(gen, n), margins, rain.rate_per_year)
    if intensity_factor != 1.0:
        rain_mm *= intensity_factor
    return doy, rain_mm


__all__ = ["STREAM", "MONTH_START_DOY", "month_of", "event_days", "annual_rate", "simulate_year"]
