"""PLACEHOLDER storm peril — NOT a calibrated hazard model.

It exists only so the engine runs end to end before the real peril modules land (typhoon,
flood, drought, Yellow River). Every output of a run that uses it is labelled as such.

Each simulated year has a Poisson number of storms. A storm has a day of year (normal around a
peak, clipped to a window), a centre uniform in a box, a peak 3-s gust and a peak storm-total rain
(log-normal) and radii (log-normal). At a site at distance d from the centre:
``wind_gust = peak_gust * exp(-(d / wind_radius)^2 / 2)`` (m/s) and
``rain_total = peak_rain * exp(-d / rain_radius)`` (mm); entries below the thresholds are dropped.
Climate factors scale the rate (frequency) and both peaks (intensity).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

import numpy as np

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from engine.geo import haversine_km
from engine.rng import year_generator
from perils import PERILS


@dataclass
class PlaceholderParams:
    annual_rate: float            # storms per year
    season_peak_doy: float
    season_sd_days: float
    season_window: List[int]      # [first doy, last doy]
    centre_lon: List[float]       # [min, max] degrees
    centre_lat: List[float]
    peak_gust_median: float       # m/s, 3-s gust
    peak_gust_sigma: float        # log-normal sigma
    wind_radius_km_median: float
    rain_peak_median: float       # mm
    rain_peak_sigma: float
    rain_radius_km_median: float
    radius_sigma: float
    min_wind_gust: float = 12.0   # m/s kept in the footprint
    min_rain_total: float = 20.0  # mm kept in the footprint
    description: str = ""


@PERILS.register("placeholder")
@dataclass(frozen=True)
class PlaceholderStorm:
    name: str
    p: PlaceholderParams
    frequency_factor: float = 1.0
    intensity_factor: float = 1.0
    measures: tuple = ("wind_gust", "rain_total")
    units: tuple = ("m/s", "mm")
    placeholder: bool = True

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "PlaceholderStorm":
        p = params_from(PlaceholderParams, name, params, "peril")
        for key in ("annual_rate", "season_sd_days", "peak_gust_median", "wind_radius_km_median",
                    "rain_peak_median", "rain_radius_km_median"):
            if not getattr(p, key) > 0:
                raise ValueError(f"{key} must be > 0")
        if len(p.season_window) != 2 or not 1 <= p.season_window[0] <= p.season_window[1] <= 366:
            raise ValueError("season_window must be [first, last] day of year within 1..366")
        for key in ("centre_lon", "centre_lat"):
            lo_hi = getattr(p, key)
            if len(lo_hi) != 2 or not lo_hi[0] < lo_hi[1]:
                raise ValueError(f"{key} must be [min, max] with min < max")
        return cls(name, p, float(climate.frequency.get(name, 1.0)), float(climate.intensity.get(name, 1.0)))

    def events(self, years, sites, peril_index, seed) -> EventSet:
        p = self.p
        ids, yrs, doys, offsets, site_parts, intensity_parts = [], [], [], [0], [], []
        for year in np.asarray(years, dtype=np.int64):
            rng = year_generator(seed, f"peril.{self.name}", year)
            n = rng.poisson(p.annual_rate * self.frequency_factor)
            if n == 0:
                continue
            doy = np.clip(np.rint(rng.normal(p.season_peak_doy, p.season_sd_days, n)), *p.season_window)
            lon = rng.uniform(*p.centre_lon, n)
            lat = rng.uniform(*p.centre_lat, n)
            gust = p.peak_gust_median * np.exp(p.peak_gust_sigma * rng.standard_normal(n)) * self.intensity_factor
            rain = p.rain_peak_median * np.exp(p.rain_peak_sigma * rng.standard_normal(n)) * self.intensity_factor
            r_wind = p.wind_radius_km_median * np.exp(p.radius_sigma * rng.standard_normal(n))
            r_rain = p.rain_radius_km_median * np.exp(p.radius_sigma * rng.standard_normal(n))
            order = np.argsort(doy, kind="stable")
            for k, i in enumerate(order):
                d = haversine_km(lon[i], lat[i], sites.lon, sites.lat)
                wind = gust[i] * np.exp(-0.5 * (d / r_wind[i]) ** 2)
                wet = rain[i] * np.exp(-d / r_rain[i])
                wind = np.where(wind >= p.min_wind_gust, wind, 0.0)
                wet = np.where(wet >= p.min_rain_total, wet, 0.0)
                hit = np.flatnonzero((wind > 0) | (wet > 0))
                if hit.size == 0:
                    continue
                ids.append(dtypes.event_ids(year, peril_index, k))
                yrs.append(year)
                doys.append(doy[i])
                site_parts.append(hit.astype(dtypes.SITE))
                intensity_parts.append(np.column_stack([wind[hit], wet[hit]]).astype(dtypes.INTENSITY))
                offsets.append(offsets[-1] + hit.size)
        n_events = len(ids)
        return EventSet(
            event_id=np.array(ids, dtypes.EVENT_ID), year=np.array(yrs, dtypes.YEAR),
            doy=np.array(doys, dtypes.DOY), peril=np.full(n_events, peril_index, dtypes.PERIL),
            offsets=np.array(offsets, dtypes.OFFSET),
            site=np.concatenate(site_parts) if site_parts else np.empty(0, dtypes.SITE),
            intensity=np.concatenate(intensity_parts) if intensity_parts else np.empty((0, 2), dtypes.INTENSITY),
            perils=(), measures=self.measures, units=self.units,
            attrs={f"peril_{self.name}": "PLACEHOLDER storm model, not calibrated"})
