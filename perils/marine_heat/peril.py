"""Marine heat waves for mariculture (sea cucumber high-temperature index): ``kind: marine_heat``.

Daily sea-surface temperature at a coastal site is a climatological cosine plus one anomaly per
year shared by the coast (marine heat waves are basin-scale) and a small site term::

    SST(d) = mean + amplitude cos(2 pi (d - peak_doy) / 365) + a_y + b_s,   a_y ~ N(0, sigma_year)

with a_y from ``engine.rng.year_generator(seed, "marine_heat", y)`` and b_s ~ N(0, sigma_site) from a
stream keyed by the site's county (the same every year). The heat index is the cumulative effective
heat ``HDD = sum_d max(SST(d) - threshold, 0)`` (degree-days) over the summer window, the measure
``heat_degree_days`` of one event a year on ``event_doy`` at the sites of the configured counties.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

import numpy as np
from omegaconf import MISSING

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from engine.rng import year_generator
from perils import PERILS


@dataclass
class MarineHeatParams:
    counties: List[int] = MISSING          # coastal counties with mariculture sites
    mean_c: float = MISSING                # annual mean SST, deg C
    amplitude_c: float = MISSING           # half the seasonal range, deg C
    peak_doy: int = MISSING                # day of the warmest water
    sigma_year_c: float = MISSING          # SD of the yearly coast-wide anomaly, deg C
    sigma_site_c: float = 0.5              # SD of a site's fixed offset, deg C
    threshold_c: float = MISSING           # heat stress threshold of the stock, deg C
    window: List[int] = field(default_factory=lambda: [152, 273])   # summer days counted (June-September)
    warming_per_c: float = 1.0             # SST change per deg C of global warming
    event_doy: int = 240
    description: str = ""


def heat_degree_days(anomaly_c, site_offset_c, p: MarineHeatParams) -> np.ndarray:
    """float64[S] cumulative degree-days above the threshold over the window for one year's anomaly."""
    days = np.arange(p.window[0], p.window[1] + 1, dtype=float)
    clim = p.mean_c + p.amplitude_c * np.cos(2 * np.pi * (days - p.peak_doy) / 365.0)
    sst = clim[None, :] + anomaly_c + np.asarray(site_offset_c, float)[:, None]
    return np.maximum(sst - p.threshold_c, 0.0).sum(axis=1)


@PERILS.register("marine_heat")
@dataclass(frozen=True)
class MarineHeatPeril:
    name: str
    params: MarineHeatParams
    warming_c: float = 0.0
    placeholder: bool = False
    hazard: str = "marine_heat"
    measures: tuple = ("heat_degree_days",)
    units: tuple = ("degC day",)

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "MarineHeatPeril":
        p = params_from(MarineHeatParams, name, params, "peril")
        if not (p.amplitude_c >= 0 and p.sigma_year_c >= 0 and p.sigma_site_c >= 0):
            raise ValueError("amplitude_c, sigma_year_c and sigma_site_c must be >= 0")
        if len(p.window) != 2 or not 1 <= p.window[0] <= p.window[1] <= 366:
            raise ValueError(f"window must be [first_doy, last_doy] within 1..366, got {p.window}")
        dt = float(getattr(climate, "warming_c", 0.0) or 0.0) * p.warming_per_c
        return cls(name, p, dt)

    def events(self, years, sites, peril_index, seed) -> EventSet:
        p = self.params
        where = np.flatnonzero(np.isin(np.asarray(sites.county), list(p.counties)))
        offsets_c = np.array([year_generator(seed, "marine_heat.site", int(c)).normal(0.0, p.sigma_site_c)
                              for c in np.asarray(sites.county)[where]])
        ids, yrs, parts, inten = [], [], [], []
        for y in np.asarray(years, np.int64):
            a = year_generator(seed, "marine_heat", int(y)).normal(0.0, p.sigma_year_c) + self.warming_c
            hdd = heat_degree_days(a, offsets_c, p)
            hit = hdd > 0
            if not hit.any():
                continue
            ids.append(dtypes.event_ids(y, peril_index, 0))
            yrs.append(y)
            parts.append(where[hit])
            inten.append(hdd[hit])
        n = len(ids)
        counts = [len(x) for x in parts]
        return EventSet(np.array(ids, dtypes.EVENT_ID), np.array(yrs, dtypes.YEAR), np.full(n, p.event_doy, dtypes.DOY),
                        np.full(n, peril_index, dtypes.PERIL), np.concatenate([[0], np.cumsum(counts)]).astype(dtypes.OFFSET),
                        np.concatenate(parts).astype(dtypes.SITE) if n else np.empty(0, dtypes.SITE),
                        np.concatenate(inten).astype(dtypes.INTENSITY)[:, None] if n else np.empty((0, 1), dtypes.INTENSITY),
                        (), self.measures, self.units, {f"peril_{self.name}": "marine heat (SST degree-days)"})
