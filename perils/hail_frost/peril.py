"""Hail and spring frost: ``kind: hail_frost``.

Per simulated year and county (draws from ``engine.rng.year_generator(seed, "hail_frost", year)``,
in county order, so a year's events never depend on the chunk):

* **hail** — a Poisson number of damaging hail days (rate ``hail_rate`` per county-year, [E]),
  each on a day drawn from the monthly weights of the hail season, with an intensity index in (0, 1]
  (a beta law: most hail is light) — measure ``hail_index``; hail is local, counties independent;
* **spring frost at bloom** — the year's lowest April temperature at a county is
  ``frost_mean_c + s (sqrt(rho) w_y + sqrt(1 - rho) e_cy)`` (a province-wide cold wave w_y plus a
  local part); the frost index is ``max(threshold_c - T, 0)`` degrees below the bloom's critical
  temperature — measure ``frost_degree`` (deg C), one event on ``frost_doy``.

Each hail day and the frost are events at the sites of the counties they hit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np
from omegaconf import MISSING

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from engine.rng import year_generator
from perils import PERILS, climate_factor

MONTH_START = np.array([1, 32, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 367])


@dataclass
class HailFrostParams:
    hail_rate: float = MISSING              # damaging hail days per county-year
    hail_months: Dict[int, float] = field(default_factory=dict)   # month -> weight of the hail season
    hail_beta: List[float] = field(default_factory=lambda: [1.5, 4.0])   # beta(a, b) of the hail index
    frost_mean_c: float = MISSING           # mean of the year's lowest bloom-time temperature, deg C
    frost_sd_c: float = MISSING             # its SD, deg C
    frost_rho: float = 0.6                  # share of its variance that is province-wide
    frost_threshold_c: float = MISSING      # critical temperature of open flowers, deg C
    frost_doy: int = 105                    # bloom (mid-April)
    description: str = ""


@PERILS.register("hail_frost")
@dataclass(frozen=True)
class HailFrostPeril:
    name: str
    params: HailFrostParams
    frequency_factor: float = 1.0
    placeholder: bool = False
    hazard: str = "hail_frost"
    measures: tuple = ("hail_index", "frost_degree")
    units: tuple = ("1", "degC")

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "HailFrostPeril":
        p = params_from(HailFrostParams, name, params, "peril")
        if not (p.hail_rate >= 0 and p.frost_sd_c >= 0 and 0 <= p.frost_rho <= 1):
            raise ValueError("needs hail_rate >= 0, frost_sd_c >= 0 and 0 <= frost_rho <= 1")
        if not p.hail_months or any(int(m) not in range(1, 13) or w < 0 for m, w in p.hail_months.items()):
            raise ValueError("hail_months: give month (1-12) -> weight >= 0")
        return cls(name, p, climate_factor(climate, "frequency", name, "hail_frost"))

    def events(self, years, sites, peril_index, seed) -> EventSet:
        p = self.params
        county = np.asarray(sites.county)
        counties = np.unique(county)
        site_of = {int(c): np.flatnonzero(county == c) for c in counties}
        months = np.array(sorted(int(m) for m in p.hail_months))
        weights = np.array([p.hail_months[m] if m in p.hail_months else p.hail_months[str(m)] for m in months], float)
        weights = weights / weights.sum()
        events = []   # (doy, k, site array, intensity rows)
        for year in np.asarray(years, np.int64):
            rng = year_generator(seed, "hail_frost", int(year))
            n_hail = rng.poisson(p.hail_rate * self.frequency_factor, counties.size)
            month = rng.choice(months, size=n_hail.sum(), p=weights)
            day = MONTH_START[month - 1] + (rng.random(n_hail.sum()) * (MONTH_START[month] - MONTH_START[month - 1])).astype(int)
            index = rng.beta(p.hail_beta[0], p.hail_beta[1], n_hail.sum())
            wave = rng.standard_normal()
            local = rng.standard_normal(counties.size)
            t_min = p.frost_mean_c + p.frost_sd_c * (np.sqrt(p.frost_rho) * wave + np.sqrt(1 - p.frost_rho) * local)
            frost = np.maximum(p.frost_threshold_c - t_min, 0.0)
            year_events = []
            owner = np.repeat(counties, n_hail)
            for c, d, x in zip(owner, day, index):
                s = site_of[int(c)]
                year_events.append((int(d), s, np.column_stack([np.full(s.size, x), np.zeros(s.size)])))
            hit = frost > 0
            if hit.any():
                s = np.concatenate([site_of[int(c)] for c in counties[hit]])
                f = np.concatenate([np.full(site_of[int(c)].size, v) for c, v in zip(counties[hit], frost[hit])])
                order = np.argsort(s)
                year_events.append((p.frost_doy, s[order], np.column_stack([np.zeros(s.size), f[order]])))
            for k, (d, s, x) in enumerate(year_events):
                events.append((year, d, dtypes.event_ids(year, peril_index, k), s, x))
        n = len(events)
        counts = [e[3].size for e in events]
        return EventSet(np.array([e[2] for e in events], dtypes.EVENT_ID), np.array([e[0] for e in events], dtypes.YEAR),
                        np.array([e[1] for e in events], dtypes.DOY), np.full(n, peril_index, dtypes.PERIL),
                        np.concatenate([[0], np.cumsum(counts)]).astype(dtypes.OFFSET),
                        np.concatenate([e[3] for e in events]).astype(dtypes.SITE) if n else np.empty(0, dtypes.SITE),
                        np.concatenate([e[4] for e in events]).astype(dtypes.INTENSITY) if n else
                        np.empty((0, 2), dtypes.INTENSITY), (), self.measures, self.units,
                        {f"peril_{self.name}": "hail and spring frost"})
