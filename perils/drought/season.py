"""Crop seasons: calendar weather -> PET, soil-water balance, stage-window deficits and indices.

A *season year* y runs from ``season_start_month`` of year y-1 to the month before it in year y
(October..September by default, so the wheat sown in October of y-1 and harvested in June of y, and
the maize of summer y, belong to y: the policy year of a yield cover). Each season is computed on a
*run* of months from January of y - ``spinup_years`` to the season's last month (45 months by default):
the weather of those calendar years (:class:`perils.drought.weather.WeatherModel`), with the bucket
started at ``initial_fraction`` of its capacity and spun up through the summer rains, which refill it
in most years; three summers make the start irrelevant by October (tests/test_drought_peril.py bounds
the effect of an empty vs a full start). Arrays of a run are ``float64[Y, T, C]`` (season year, run month, county).

:class:`Calibration` holds what the indices and the normal-deficit reference are fitted on: a long
simulation of today's climate from a fixed seed, shared by every run whatever its seed or climate, so
a warmer climate shows up as lower SPEI and larger deficits.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from perils.drought import indices, pet as pet_mod, waterbalance
from perils.drought.params import IndexParams, PetParams, WaterBalanceParams, Windows
from perils.drought.weather import WeatherModel

SCALES = (1, 2, 3, 4, 5, 6)


def run_layout(windows: Windows, water: WaterBalanceParams) -> tuple:
    """(offset, n_run): run index of the season's first month and number of months in a run (the run
    starts on 1 January, ``water.spinup_years`` calendar years before the season year)."""
    s = windows.season_start_month
    offset = 12 * (water.spinup_years - 1) + (s - 1 if s > 1 else 12)
    return offset, offset + 12


@dataclass(frozen=True)
class SeasonRun:
    """One chunk of season years. Run arrays float64[Y, T, C] (mm/month): ``precip``, ``temp`` (deg C),
    ``pet``, ``etm`` (Kc x PET), ``eta``, ``soil`` (end of month); ``months`` int64[T] calendar month
    (1..12) of each run month; ``offset``: run index of the season's first month."""

    years: np.ndarray
    precip: np.ndarray
    temp: np.ndarray
    pet: np.ndarray
    etm: np.ndarray
    eta: np.ndarray
    soil: np.ndarray
    months: np.ndarray
    offset: int

    def accumulated(self, what: str, scale: int) -> np.ndarray:
        """k-month sums of ``precip`` or ``balance`` (P - PET) ending at each season month: float64[Y, 12, C]."""
        total = self._running_total[what]
        end = np.arange(self.offset, self.offset + 12)
        return total[:, end] - total[:, end - scale]

    @cached_property
    def _running_total(self) -> dict:
        return {"precip": np.cumsum(self.precip, axis=1), "balance": np.cumsum(self.precip - self.pet, axis=1)}


def potential_evapotranspiration(model: WeatherModel, temp: np.ndarray, params: PetParams,
                                 baseline_temp: np.ndarray) -> np.ndarray:
    """PET (mm/month) of monthly temperatures float64[Y, 12, C] by the configured method.

    Thornthwaite's heat index comes from ``baseline_temp`` (the baseline normals, float64[C, 12]) so
    a warmer climate raises PET instead of being normalised away.
    """
    c = model.climate
    if params.method == "hargreaves":
        return pet_mod.hargreaves(temp, c.dtr.T, c.lat)
    return pet_mod.thornthwaite(temp, c.lat, pet_mod.thornthwaite_heat_index(baseline_temp.T))


def simulate_seasons(model: WeatherModel, years, seed: int, windows: Windows, pet: PetParams,
                     water: WaterBalanceParams, baseline_temp: np.ndarray) -> SeasonRun:
    """Weather, PET and water balance of season ``years`` (int64[Y]) for ``seed`` (see module docstring)."""
    years = np.asarray(years, dtype=np.int64)
    back = water.spinup_years
    calendar = np.unique((years[:, None] - np.arange(back + 1)[None, :]).ravel())
    precip, temp = model.simulate(calendar, seed)
    pet = potential_evapotranspiration(model, temp, pet, baseline_temp)
    offset, n_run = run_layout(windows, water)
    rows = [np.searchsorted(calendar, years - k) for k in range(back, -1, -1)]

    def run(a):
        return np.concatenate([a[r] for r in rows], axis=1)[:, :n_run]

    p, t, e = run(precip), run(temp), run(pet)
    months = (np.arange(n_run) % 12) + 1
    etm = e * np.asarray(water.crop_coefficient)[months - 1][None, :, None]
    eta, soil = waterbalance.bucket(p, etm, water.capacity_mm, water.initial_fraction * water.capacity_mm)
    return SeasonRun(years, p, t, e, etm, eta, soil, months, offset)


def window_stats(run: SeasonRun, windows: Windows) -> dict:
    """Per window: ``ratio`` (ETa/ETm), ``precip`` and ``pet`` totals (mm) and the run index of its
    last month ``end``; arrays float64[Y, W, C] (``end``: int64[W])."""
    pos = [run.offset + windows.positions(w) for w in windows.items]
    return {"ratio": np.stack([waterbalance.window_ratio(run.eta, run.etm, p) for p in pos], axis=1),
            "precip": np.stack([run.precip[:, p].sum(axis=1) for p in pos], axis=1),
            "pet": np.stack([run.pet[:, p].sum(axis=1) for p in pos], axis=1),
            "end": np.array([p[-1] - run.offset for p in pos], dtype=np.int64)}


@dataclass(frozen=True)
class Calibration:
    """Fits of today's climate: ``spi[k]`` :class:`indices.GammaFit` and ``spei[k]``
    :class:`indices.LogLogisticFit` per scale k (1..6), cells float64[12, C] indexed by *season*
    month; ``ratio_ref`` float64[W, C], the mean ETa/ETm of each window and county."""

    spi: dict
    spei: dict
    ratio_ref: np.ndarray

    def spi_at(self, acc, scale: int) -> np.ndarray:
        """SPI of k-month precipitation sums float64[Y, 12, C] (season months)."""
        return indices.spi_from_fit(acc, self.spi[scale])

    def spei_at(self, acc, scale: int) -> np.ndarray:
        """SPEI of k-month water-balance sums float64[Y, 12, C] (season months)."""
        return indices.spei_from_fit(acc, self.spei[scale])


_CALIBRATIONS: dict = {}


def calibrate(model: WeatherModel, windows: Windows, pet: PetParams, water: WaterBalanceParams,
              params: IndexParams, baseline_temp: np.ndarray) -> Calibration:
    """Fit SPI, SPEI (scales 1..6) and the normal ETa/ETm on ``params.reference_years`` simulated
    seasons of ``model``'s climate from ``params.reference_seed`` (cached per process)."""
    key = (model.climate.key(), model.params, windows, pet, water, params)
    if key not in _CALIBRATIONS:
        years = np.arange(1, params.reference_years + 1, dtype=np.int64)
        spi_fits, spei_fits, ratios = {}, {}, []
        for chunk in np.array_split(years, max(1, len(years) // 1000)):
            run = simulate_seasons(model, chunk, params.reference_seed, windows, pet, water, baseline_temp)
            ratios.append(window_stats(run, windows)["ratio"])
            for k in SCALES:
                spi_fits.setdefault(k, []).append(run.accumulated("precip", k))
                spei_fits.setdefault(k, []).append(run.accumulated("balance", k))
        _CALIBRATIONS[key] = Calibration(
            {k: indices.fit_gamma(np.concatenate(v)) for k, v in spi_fits.items()},
            {k: indices.fit_loglogistic(np.concatenate(v)) for k, v in spei_fits.items()},
            np.concatenate(ratios).mean(axis=0))
        while len(_CALIBRATIONS) > 4:
            _CALIBRATIONS.pop(next(iter(_CALIBRATIONS)))
    return _CALIBRATIONS[key]
