"""The flood peril: stochastic non-typhoon heavy-rain events -> flood depth and duration at sites.

``kind: flood``, ``hazard: flood`` (the ``flood`` curves of ``engine/data/vulnerability/curves.csv``).
Each simulated year draws its events (:func:`perils.flood.rainfall.simulate_year`): a Poisson count
with a monthly calendar, GEV storm-total rain at every site tied together by a spatial copula. Rain
becomes flood depth and duration through :func:`perils.flood.transform.rain_to_flood`. A site enters
an event's footprint when it floods or its rain reaches ``footprint.min_rain_mm``. Measures:
``flood_depth`` (m), ``flood_duration`` (days), ``rain_total`` (storm-total rain, mm).

Climate: the event rate is multiplied by ``1 + frequency_per_c * warming_c`` and every event's rain by
``(1 + rain_per_c) ** warming_c`` (``climate_sensitivity``; rain about +7% per deg C, Clausius–Clapeyron,
sources in ``configs/peril/flood.yaml``), unless the climate config gives explicit ``frequency`` or
``intensity`` factors for the peril's name or kind (:func:`perils.climate_factor`).
"""
from __future__ import annotations

import dataclasses

from collections import OrderedDict, namedtuple
from dataclasses import dataclass
from typing import Any, Dict, Optional

import numpy as np
from omegaconf import MISSING

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from perils import PERILS, climate_factor
from perils.flood.dependence import LatentField
from perils.flood.margins import site_margins
from perils.flood.params import (ClimateSensitivity, DependenceParams, FootprintParams, GeographyParams, RainParams,
                                 TransformParams, check)
from perils.flood.rainfall import simulate_year
from perils.flood.transform import flood_sites, rain_to_flood

MEASURES = ("flood_depth", "flood_duration", "rain_total")
UNITS = ("m", "days", "mm")

#: What the peril derives from the sites once per run: GEV margins, copula field, flood parameters.
SiteContext = namedtuple("SiteContext", "margins field flood")


@dataclass
class FloodConfig:
    """The ``peril.<name>`` config of ``kind: flood`` (sections validated by :mod:`perils.flood.params`)."""

    description: str = ""
    rain: Dict[str, Any] = MISSING
    dependence: Dict[str, Any] = MISSING
    geography: Dict[str, Any] = MISSING
    transform: Dict[str, Any] = MISSING
    footprint: Dict[str, Any] = MISSING
    climate_sensitivity: Dict[str, Any] = MISSING
    # the run's typhoon peril whose storm rain becomes flood events of this peril: its name, "auto"
    # (the run's first typhoon peril, if any) or null (none)
    typhoon_rain: Optional[str] = None
    stochastic_rain: bool = True   # false: typhoon-rain floods only (historical replays)


#: Rank offset of typhoon-rain flood events within a year (their event ids stay apart from rain events).
TYPHOON_RANK0 = 9000

_CONTEXTS: "OrderedDict[tuple, SiteContext]" = OrderedDict()
_MAX_CONTEXTS = 4


def _sites_key(sites) -> tuple:
    attrs = getattr(sites, "attributes", {}) or {}
    return (len(sites.lon), hash(np.asarray(sites.lon, float).tobytes()), hash(np.asarray(sites.lat, float).tobytes()),
            hash(np.asarray(sites.county).tobytes()),
            tuple(sorted((k, hash(np.asarray(v, float).tobytes())) for k, v in attrs.items())))


@PERILS.register("flood")
@dataclass(frozen=True)
class FloodPeril:
    name: str
    rain: RainParams
    dependence: DependenceParams
    geography: GeographyParams
    transform: TransformParams
    footprint: FootprintParams
    description: str = ""
    frequency_factor: float = 1.0
    intensity_factor: float = 1.0
    measures: tuple = MEASURES
    units: tuple = UNITS
    placeholder: bool = False
    hazard: str = "flood"        # the vulnerability curves it uses (peril column of curves.csv)
    typhoon_rain: Optional[str] = None   # the typhoon peril named in the config ("auto": the run's) ...
    stochastic_rain: bool = True
    typhoon: Any = None                  # ... and the run's peril object, set by bind()

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "FloodPeril":
        p = params_from(FloodConfig, name, dict(params), "peril")
        key = f"peril.{name}"
        sens = ClimateSensitivity.from_config(p.climate_sensitivity, f"{key}.climate_sensitivity")
        dt = float(getattr(climate, "warming_c", 0.0) or 0.0)
        frequency = climate_factor(climate, "frequency", name, "flood", max(0.0, 1.0 + sens.frequency_per_c * dt))
        intensity = climate_factor(climate, "intensity", name, "flood", (1.0 + sens.rain_per_c) ** dt)
        check(frequency > 0, f"climate.frequency.{name}", f"must be > 0, got {frequency}")
        check(intensity > 0, f"climate.intensity.{name}", f"must be > 0, got {intensity}")
        return cls(name, RainParams.from_config(p.rain, f"{key}.rain"),
                   DependenceParams.from_config(p.dependence, f"{key}.dependence"),
                   GeographyParams.from_config(p.geography, f"{key}.geography"),
                   TransformParams.from_config(p.transform, f"{key}.transform"),
                   FootprintParams.from_config(p.footprint, f"{key}.footprint"),
                   p.description, frequency, intensity, typhoon_rain=p.typhoon_rain,
                   stochastic_rain=bool(p.stochastic_rain))

    def bind(self, perils: dict) -> "FloodPeril":
        """This peril with the run's typhoon peril attached when ``typhoon_rain`` names one in the run
        (its storms' rain then floods as events of this peril); unchanged otherwise."""
        if self.typhoon_rain == "auto":
            other = next((p for p in perils.values() if hasattr(p, "storm_footprints")), None)
        else:
            other = perils.get(self.typhoon_rain) if self.typhoon_rain else None
        if other is None or not hasattr(other, "storm_footprints"):
            return self
        return dataclasses.replace(self, typhoon=other)

    def context(self, sites) -> SiteContext:
        """GEV margins, copula field and flood parameters of ``sites`` (cached per process)."""
        key = (self.rain, self.dependence, self.geography, self.transform, _sites_key(sites))
        if key not in _CONTEXTS:
            margins = site_margins(sites.lon, sites.lat, self.rain)
            _CONTEXTS[key] = SiteContext(margins, LatentField.build(sites.lon, sites.lat, self.dependence),
                                         flood_sites(sites, margins, self.geography, self.transform))
            while len(_CONTEXTS) > _MAX_CONTEXTS:
                _CONTEXTS.popitem(last=False)
        return _CONTEXTS[key]

    def year_rain(self, year: int, sites, seed: int):
        """(doy int64[E], rain float64[E, S] mm) of one simulated year, climate factors applied."""
        ctx = self.context(sites)
        return simulate_year(int(year), seed, ctx.field, ctx.margins, self.rain, self.frequency_factor,
                             self.intensity_factor)

    def events(self, years, sites, peril_index, seed) -> EventSet:
        ctx = self.context(sites)
        ids, yrs, doys, counts, site_parts, inten, probs = [], [], [], [], [], [], []
        share = np.where(np.asarray(ctx.flood.urban) >= 0.5, self.transform.exposure_share_urban,
                         self.transform.exposure_share_rural)
        for year in np.asarray(years, dtype=np.int64):
            if not self.stochastic_rain:
                break
            doy, rain = simulate_year(int(year), seed, ctx.field, ctx.margins, self.rain, self.frequency_factor,
                                      self.intensity_factor)
            if len(doy) == 0:
                continue
            depth, duration = rain_to_flood(rain, ctx.flood, self.transform)
            event, site = np.nonzero((depth > 0.0) | (rain >= self.footprint.min_rain_mm))   # event-major
            count = np.bincount(event, minlength=len(doy))
            hit = np.flatnonzero(count)
            ids.append(dtypes.event_ids(year, peril_index, hit))
            yrs.append(np.full(len(hit), year))
            doys.append(doy[hit])
            counts.append(count[hit])
            site_parts.append(site)
            inten.append(np.column_stack([depth[event, site], duration[event, site], rain[event, site]]))
            probs.append(np.where(depth[event, site] > 0.0, share[site], 1.0))
        if self.typhoon is not None:   # the same chunk of years as the typhoon peril: its storms are cached
            storms = self.typhoon.storm_footprints(years, sites, seed)
            for year in np.asarray(years, dtype=np.int64):
                self._typhoon_rain_events(int(year), storms.get(int(year), []), peril_index, ctx, share,
                                          (ids, yrs, doys, counts, site_parts, inten, probs))
        if not ids:
            return EventSet.empty((), self.measures, self.units)
        n = sum(len(i) for i in ids)
        offsets = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
        return EventSet(np.concatenate(ids).astype(dtypes.EVENT_ID), np.concatenate(yrs).astype(dtypes.YEAR),
                        np.concatenate(doys).astype(dtypes.DOY), np.full(n, peril_index, dtypes.PERIL),
                        offsets.astype(dtypes.OFFSET), np.concatenate(site_parts).astype(dtypes.SITE),
                        np.concatenate(inten).astype(dtypes.INTENSITY), (), self.measures, self.units,
                        {f"peril_{self.name}": "flood (stochastic heavy rain, non-typhoon)"},
                        probability=np.concatenate(probs).astype(dtypes.INTENSITY))


    def _typhoon_rain_events(self, year, storms, peril_index, ctx, share, parts) -> None:
        """Append the flood events of ``year``'s typhoon ``storms`` (their storm-total rain through
        :func:`rain_to_flood`) to ``parts``; the typhoon peril keeps the wind."""
        ids, yrs, doys, counts, site_parts, inten, probs = parts
        for k, doy, site, _, rain in storms:
            if site.size == 0:
                continue
            depth, duration = rain_to_flood(rain.astype(np.float64), ctx.flood.take(site), self.transform)
            hit = np.flatnonzero(depth > 0.0)
            if hit.size == 0:
                continue
            ids.append(dtypes.event_ids(year, peril_index, np.array([TYPHOON_RANK0 + k])))
            yrs.append(np.array([year]))
            doys.append(np.array([doy]))
            counts.append(np.array([hit.size]))
            site_parts.append(site[hit])
            inten.append(np.column_stack([depth[hit], duration[hit], rain[hit]]))
            probs.append(share[site[hit]])


def default_params(name: str = "flood") -> dict:
    """The ``peril.<name>`` dict of ``configs/peril/flood.yaml`` (for scripts and tests; runs use Hydra)."""
    from omegaconf import OmegaConf

    from engine.config import CONFIG_DIR

    params = OmegaConf.to_container(OmegaConf.load(CONFIG_DIR / "peril" / "flood.yaml"), resolve=True)
    return params   # the file is packaged as peril.flood (its keys at the top level)


def build_default(overrides: dict | None = None, frequency: float = 1.0, intensity: float = 1.0,
                  name: str = "flood", warming_c: float = 0.0) -> FloodPeril:
    """The configured flood peril with ``overrides`` merged into its config (nested dicts merge);
    ``frequency`` and ``intensity`` are explicit climate factors (1: none), ``warming_c`` deg C."""
    from types import SimpleNamespace

    from omegaconf import OmegaConf

    params = OmegaConf.to_container(OmegaConf.merge(default_params(name), overrides or {}), resolve=True)
    climate = SimpleNamespace(warming_c=warming_c, frequency={name: frequency} if frequency != 1.0 else {},
                              intensity={name: intensity} if intensity != 1.0 else {})
    return FloodPeril.from_config(name, params, climate)
