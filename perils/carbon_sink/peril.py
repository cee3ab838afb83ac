"""The carbon-sink peril (``kind: carbon_sink``): one annual "carbon year" event per simulated year.

Carbon covers are annual: the year's tCO2e lost to typhoon windthrow, flood and drought dieback (the
run's own events, through the ``forest`` and ``blue_carbon`` curves) and to fire, pests and marine
heat (modelled here, :mod:`engine.carbon.hazards`) is valued at the year's carbon price
(:mod:`engine.carbon.price`) and the cover's terms apply to the total. The engine books that loss on
this peril's event of the year (engine/carbon/losses.py), so ELT, PLT, EP curves and treaties see
carbon covers like any other product; ``carbon_years.parquet`` keeps the causes.

Fire and pests depend on drought through a dryness score per plot and year: minus the mean SPEI-3
of the drought peril's stage windows in the plot's county (``dryness: spei``), or 0 (``none``, or
when the run has no drought peril). The carbon price may be correlated with drought through a
Gaussian copula on the driver ``-SPEI-3`` of ``price_driver_county`` in the season's last window
(a standard normal score by construction of SPEI), with correlation ``price_rho``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from perils import PERILS

DRYNESS = ("spei", "none")


@dataclass
class CarbonSinkConfig:
    growth: Optional[str] = None     # growth.yaml path (configs/carbon/growth.yaml when null)
    hazards: Optional[str] = None    # hazards.yaml path
    price: Optional[str] = None      # price.yaml path
    dryness: str = "spei"            # spei | none: what conditions fire and pests
    drought: str = "auto"            # the drought peril giving SPEI (auto: the run's drought peril)
    price_rho: float = 0.0           # correlation of ln(price) with the dryness driver [E]
    price_driver_county: int = 370323  # Yiyuan: the county whose SPEI drives the price copula
    event_doy: int = 365
    description: str = ""


@PERILS.register("carbon_sink")
@dataclass(frozen=True)
class CarbonSinkPeril:
    name: str
    growth: Any            # engine.carbon.growth.GrowthParams
    hazards: Any           # engine.carbon.hazards.HazardParams
    price: Any             # engine.carbon.price.PriceParams
    dryness: str
    drought_name: str
    price_rho: float
    price_driver_county: int
    event_doy: int
    description: str = ""
    drought: Any = None    # the run's drought peril, set by bind()
    placeholder: bool = False
    hazard: str = "carbon_sink"   # no curves: losses come from engine/carbon/losses.py
    measures: tuple = ()
    units: tuple = ()

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "CarbonSinkPeril":
        from engine.carbon.growth import load_growth
        from engine.carbon.hazards import load_hazards
        from engine.carbon.price import load_price

        p = params_from(CarbonSinkConfig, name, params, "peril")
        if p.dryness not in DRYNESS:
            raise ValueError(f"dryness must be one of {list(DRYNESS)}, got {p.dryness!r}")
        if not -1.0 <= float(p.price_rho) <= 1.0:
            raise ValueError(f"price_rho must lie in [-1, 1], got {p.price_rho}")
        if p.price_rho != 0 and p.dryness == "none":
            raise ValueError("price_rho != 0 needs dryness: spei (the drought driver of the price)")
        if not 1 <= int(p.event_doy) <= 366:
            raise ValueError(f"event_doy must be in 1..366, got {p.event_doy}")
        growth = load_growth(p.growth)
        hazards = load_hazards(p.hazards, growth.forest_names())
        warming = float(getattr(climate, "warming_c", 0.0) or 0.0)
        if warming:   # SST warms with the climate scenario (1 deg C per deg C of warming [E])
            hazards = dataclasses.replace(hazards, marine_heat=dataclasses.replace(
                hazards.marine_heat, warming_c=hazards.marine_heat.warming_c + warming))
        return cls(name, growth, hazards, load_price(p.price), p.dryness, p.drought, float(p.price_rho),
                   int(p.price_driver_county), int(p.event_doy), p.description)

    def bind(self, perils: dict) -> "CarbonSinkPeril":
        """Attach the run's drought peril (its SPEI conditions fire, pests and the price)."""
        if self.dryness == "none":
            return self
        if self.drought_name == "auto":
            other = next((p for p in perils.values() if hasattr(p, "county_years")), None)
        else:
            other = perils.get(self.drought_name)
            if other is None or not hasattr(other, "county_years"):
                raise ValueError(f"peril.{self.name}.drought: '{self.drought_name}' is not a drought peril of this run "
                                 f"({sorted(perils)})")
        if other is None and self.price_rho != 0:
            raise ValueError(f"peril.{self.name}.price_rho: a price correlated with drought needs a drought peril "
                             "in the run (add peril=[...,drought]) or price_rho=0")
        return dataclasses.replace(self, drought=other)

    def events(self, years, sites, peril_index, seed) -> EventSet:
        """One event per year, with an empty footprint (its losses come from the carbon step)."""
        years = np.asarray(years, dtype=np.int64)
        n = years.size
        return EventSet(dtypes.event_ids(years, peril_index, np.zeros(n, np.int64)).astype(dtypes.EVENT_ID),
                        years.astype(dtypes.YEAR), np.full(n, self.event_doy, dtypes.DOY),
                        np.full(n, peril_index, dtypes.PERIL), np.zeros(n + 1, dtypes.OFFSET),
                        np.empty(0, dtypes.SITE), np.empty((0, 0), dtypes.INTENSITY), (), (), (),
                        {f"peril_{self.name}": "carbon year (annual carbon-sink loss)"})

    def drivers(self, years, seed: int, counties) -> tuple:
        """(dryness float64[Y, R] per plot county, price driver float64[Y] or None) for ``years``."""
        years = np.asarray(years, dtype=np.int64)
        counties = np.asarray(counties, dtype=np.int64)
        if self.drought is None:
            return np.zeros((years.size, counties.size)), None
        base = self.drought.baseline_climate()
        res = self.drought.county_years(years, seed)
        spei = np.asarray(res.spei3, dtype=np.float64)             # [Y, W, C]
        dryness = -np.nanmean(spei, axis=1)[:, base.county_index(counties)]
        driver = -spei[:, -1, base.county_index([self.price_driver_county])[0]] if self.price_rho != 0 else None
        return np.nan_to_num(dryness), driver
