"""The non-catastrophe crop residual as a peril: ``kind: crop_residual``.

Each simulated year and crop, every county draws a relative yield residual ``r = cv_nc z`` with z
standard normal from ``engine.rng.year_generator(seed, "crop_residual.<crop>", year)``, independent
across counties (the catastrophes that move many counties together are the other perils), with
``cv_nc = cv x sqrt(noncat_share)``: the share of the yield variance around the trend that the
modelled perils do not explain. The shortfall ``max(-r, 0)`` (fraction of the trend yield) is the
measure ``yield_shortfall_<crop>`` of one event per crop at its assessment day (``assess_doy``),
at the sites of the counties, for the crop's curve (peril ``crop_residual``: damage = shortfall).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict

import numpy as np
import pandas as pd
from omegaconf import MISSING

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from engine.rng import year_generator
from perils import PERILS, climate_factor
from perils.crop_residual.trend import fit_trends, read_history


@dataclass
class CropResidualParams:
    history: str = MISSING                  # yield history CSV/Parquet (county, crop, year, yield_kg_per_mu)
    noncat_share: float = MISSING           # share of the trend-residual variance not from modelled perils
    assess_doy: Dict[str, int] = field(default_factory=dict)   # crop -> day of year the shortfall is assessed
    shrink_years: float = 10.0              # weight of the crop's pooled CV in each county's CV, years
    min_shortfall: float = 0.01             # smaller shortfalls are left out of the footprint
    description: str = ""


@lru_cache(maxsize=4)
def _trends(path: str, shrink_years: float) -> pd.DataFrame:
    return fit_trends(read_history(path), shrink_years)


@PERILS.register("crop_residual")
@dataclass(frozen=True)
class CropResidualPeril:
    name: str
    params: CropResidualParams
    crops: tuple
    intensity_factor: float = 1.0
    placeholder: bool = False
    hazard: str = "crop_residual"

    @property
    def measures(self) -> tuple:
        return tuple(f"yield_shortfall_{c}" for c in self.crops)

    @property
    def units(self) -> tuple:
        return tuple("1" for _ in self.crops)

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "CropResidualPeril":
        p = params_from(CropResidualParams, name, params, "peril")
        if not 0.0 <= p.noncat_share <= 1.0:
            raise ValueError(f"noncat_share must be in [0, 1], got {p.noncat_share}")
        trends = _trends(str(p.history), float(p.shrink_years))
        crops = tuple(sorted(set(trends["crop"]) & set(p.assess_doy)))
        if not crops:
            raise ValueError(f"assess_doy names no crop of the history ({sorted(set(trends['crop']))})")
        for crop, doy in p.assess_doy.items():
            if not 1 <= int(doy) <= 366:
                raise ValueError(f"assess_doy.{crop} must be a day of year 1..366, got {doy}")
        return cls(name, p, crops, climate_factor(climate, "intensity", name, "crop_residual"))

    def trends(self) -> pd.DataFrame:
        return _trends(str(self.params.history), float(self.params.shrink_years))

    def events(self, years, sites, peril_index, seed) -> EventSet:
        trends = self.trends()
        county = np.asarray(sites.county)
        per_crop = []   # (cv_nc over the crop's counties in table order, each site's position or -1)
        for crop in self.crops:
            t = trends[trends["crop"] == crop]
            pos = pd.Series(np.arange(len(t)), index=t["county"].to_numpy())
            site_pos = pos.reindex(county).fillna(-1).to_numpy(np.int64)
            per_crop.append((t["cv"].to_numpy() * np.sqrt(self.params.noncat_share), site_pos))
        ids, yrs, doys, offsets, site_parts, inten = [], [], [], [0], [], []
        for year in np.asarray(years, dtype=np.int64):
            for k, crop in enumerate(self.crops):
                cv_nc, site_pos = per_crop[k]
                z = year_generator(seed, f"crop_residual.{crop}", int(year)).standard_normal(cv_nc.size)
                shortfall = np.minimum(np.maximum(-cv_nc * z, 0.0) * self.intensity_factor, 1.0)
                at_site = np.where(site_pos >= 0, shortfall[np.maximum(site_pos, 0)], 0.0)
                site = np.flatnonzero((site_pos >= 0) & (at_site >= self.params.min_shortfall) & (at_site > 0))
                if site.size == 0:
                    continue
                col = np.zeros((site.size, len(self.crops)))
                col[:, k] = at_site[site]
                ids.append(dtypes.event_ids(year, peril_index, k))
                yrs.append(year)
                doys.append(int(self.params.assess_doy[crop]))
                site_parts.append(site)
                inten.append(col)
                offsets.append(offsets[-1] + site.size)
        n = len(ids)
        return EventSet(np.array(ids, dtypes.EVENT_ID), np.array(yrs, dtypes.YEAR), np.array(doys, dtypes.DOY),
                        np.full(n, peril_index, dtypes.PERIL), np.array(offsets, dtypes.OFFSET),
                        np.concatenate(site_parts).astype(dtypes.SITE) if n else np.empty(0, dtypes.SITE),
                        np.concatenate(inten).astype(dtypes.INTENSITY) if n else np.empty((0, len(self.crops)),
                                                                                          dtypes.INTENSITY),
                        (), self.measures, self.units, {f"peril_{self.name}": "non-catastrophe crop residual"})
