"""Garlic market price: ``kind: crop_price`` (e.g. Jinxiang new-garlic farm-gate price).

The log price follows an AR(1) around a long-run level, the boom-and-bust cycle of garlic ("蒜你狠")::

    log p_y = log(level) + sum_{j=0}^{L} phi^j sigma_e e_{y-j}

with e_y standard normal from ``engine.rng.year_generator(seed, <stream>, y)``, truncated at L
years (phi^L below 1e-6): each year's price is the same whichever years are simulated with it. The
target price is the mean of the three previous years' prices; the index of the target-price cover
(REFERENCE.md, Jinxiang garlic) is

    index = (target - p) / target x k,   k = (cost_price - p) / cost_price,   both clipped to [0, 1]

so a cover pays ``limit x index``. One event a year on ``assess_doy`` (the June-August new-garlic
market season) at every site, with the measure ``<crop>_price_index`` (and the price in CNY/kg).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np
from omegaconf import MISSING

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from engine.rng import year_generator
from perils import PERILS, climate_factor


YEAR_OFFSET = 1_000_000


@dataclass
class CropPriceParams:
    crop: str = MISSING
    level_cny_per_kg: float = MISSING     # long-run median farm-gate price
    sigma: float = MISSING                # innovation SD of the log price
    phi: float = MISSING                  # year-to-year persistence of the log price (0 <= phi < 1)
    cost_price_cny_per_kg: float = MISSING   # full-cost price of the k factor
    assess_doy: int = 200
    counties: Optional[List[int]] = None                 # county adcodes whose sites carry the index (None: all sites)
    description: str = ""


def price_paths(years, seed: int, stream: str, level: float, sigma: float, phi: float) -> np.ndarray:
    """float64[len(years)] prices (see the module docstring); exact up to phi^L < 1e-6."""
    lags = int(np.ceil(np.log(1e-6) / np.log(phi))) if 0 < phi < 1 else 0
    weights = phi ** np.arange(lags + 1)
    out = np.empty(len(years))
    for i, y in enumerate(np.asarray(years, np.int64)):
        # keyed by year (offset so the lags before year 1 stay non-negative keys)
        shocks = np.array([year_generator(seed, stream, YEAR_OFFSET + int(y) - j).standard_normal()
                           for j in range(lags + 1)])
        out[i] = level * np.exp(sigma * float(weights @ shocks))
    return out


def price_index(price, target, cost_price) -> np.ndarray:
    """Index of the target-price cover: ((target - p) / target) x ((cost - p) / cost), each in [0, 1]."""
    drop = np.clip((target - price) / target, 0.0, 1.0)
    k = np.clip((cost_price - price) / cost_price, 0.0, 1.0)
    return drop * k


@PERILS.register("crop_price")
@dataclass(frozen=True)
class CropPricePeril:
    name: str
    params: CropPriceParams
    level_factor: float = 1.0
    placeholder: bool = False
    hazard: str = "crop_price"

    @property
    def measures(self) -> tuple:
        return (f"{self.params.crop}_price_index", f"{self.params.crop}_price")

    @property
    def units(self) -> tuple:
        return ("1", "CNY/kg")

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "CropPricePeril":
        p = params_from(CropPriceParams, name, params, "peril")
        if not (p.level_cny_per_kg > 0 and p.cost_price_cny_per_kg > 0 and p.sigma >= 0 and 0 <= p.phi < 1):
            raise ValueError("needs level_cny_per_kg > 0, cost_price_cny_per_kg > 0, sigma >= 0, 0 <= phi < 1")
        if not 1 <= p.assess_doy <= 366:
            raise ValueError(f"assess_doy must be 1..366, got {p.assess_doy}")
        return cls(name, p, climate_factor(climate, "intensity", name, "crop_price"))

    def prices(self, years, seed: int) -> np.ndarray:
        p = self.params
        return price_paths(years, seed, f"crop_price.{p.crop}", p.level_cny_per_kg * self.level_factor, p.sigma, p.phi)

    def events(self, years, sites, peril_index, seed) -> EventSet:
        years = np.asarray(years, np.int64)
        window = np.arange(years.min() - 3, years.max() + 1) if years.size else years
        prices = dict(zip(window.tolist(), self.prices(window, seed))) if years.size else {}
        where = np.arange(len(sites.lon)) if not self.params.counties else \
            np.flatnonzero(np.isin(np.asarray(sites.county), list(self.params.counties)))
        n_sites = where.size
        ids, yrs, site_parts, inten = [], [], [], []
        for y in years:   # one event in the years the index is positive (the price fell below target and cost)
            target = np.mean([prices[int(y) - j] for j in (1, 2, 3)])
            idx = float(price_index(prices[int(y)], target, self.params.cost_price_cny_per_kg))
            if idx <= 0.0 or n_sites == 0:
                continue
            ids.append(dtypes.event_ids(y, peril_index, 0))
            yrs.append(y)
            site_parts.append(where)
            inten.append(np.column_stack([np.full(n_sites, idx), np.full(n_sites, prices[int(y)])]))
        n = len(ids)
        return EventSet(np.array(ids, dtypes.EVENT_ID), np.array(yrs, dtypes.YEAR),
                        np.full(n, self.params.assess_doy, dtypes.DOY), np.full(n, peril_index, dtypes.PERIL),
                        (np.arange(n + 1) * n_sites).astype(dtypes.OFFSET),
                        np.concatenate(site_parts).astype(dtypes.SITE) if n else np.empty(0, dtypes.SITE),
                        np.concatenate(inten).astype(dtypes.INTENSITY) if n else np.empty((0, 2), dtypes.INTENSITY),
                        (), self.measures, self.units, {f"peril_{self.name}": f"{self.params.crop} market price"})
