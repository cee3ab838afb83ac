"""The lower Yellow River flood peril: one flood-season flood a year, Huayuankou to Lijin.

``kind: yellow_river``. Each simulated year draws, from ``engine.rng.year_generator(seed,
"yellow_river.flood", year)`` and always in the same order: the annual peak at Huayuankou (P-III,
fitted at start-up by SL44-2006 on ``perils/yellow_river/data``, or given), the interval share of the
regulated regime, the day of the peak, the breach position and bank, and one breach uniform per
reach. The peak becomes a hydrograph (:mod:`hydrograph`), is routed to Lijin with floodplain
storage, Dongping Lake and dike breaches (:mod:`routing`), and gives ``flood_depth`` (m) and
``flood_duration`` (days) at the flooded sites (:mod:`footprint`). A year that floods no site has no
event. Replay mode uses the configured peak every year (the breach draws stay random).

Climate: the intensity factor multiplies the natural Huayuankou peak: ``1 + peak_per_c x
climate.warming_c`` (``climate_sensitivity`` in the YAML) unless the climate config gives an explicit
factor for the peril's name or kind (:func:`perils.climate_factor`); the frequency factor
= lambda makes the annual maximum that of lambda times as many independent floods,
F_lambda(q) = F(q)^lambda (exceedance about lambda times as likely for rare floods); replays ignore
frequency.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from engine import dtypes
from engine.eventset import EventSet
from engine.rng import year_generator
from perils import PERILS, climate_factor
from perils.yellow_river import dataset, hydrograph, sl44
from perils.yellow_river.footprint import (
    MEASURES,
    UNITS,
    FootprintParams,
    event_footprint,
)
from perils.yellow_river.params import (
    Settings,
    routing_records,
    settings_from,
    steps_for,
    total_travel_hours,
)
from perils.yellow_river.pearson3 import PearsonIII
from perils.yellow_river.regulation import regulated_peak
from perils.yellow_river.routing import RoutedEvent, route

STREAM = "yellow_river.flood"
STATION_COLUMNS = ("q_huayuankou", "q_gaocun", "q_sunkou", "q_aishan", "q_lijin")
SUMMARY_COLUMNS = ("year", "regime") + STATION_COLUMNS + (
    "floodplain_flooded", "dongping_old_lake_used", "dongping_new_lake_used", "dike_breach", "breach_reach")


@lru_cache(maxsize=8)
def fitted_distribution(data: str) -> PearsonIII:
    """SL44-2006 fit (non-continuous moments + curve fit) of a file in perils/yellow_river/data."""
    return sl44.fit(dataset.load_series(dataset.DATA_DIR / data))


@dataclass(frozen=True)
class YearFlood:
    """One simulated flood season: the routed event and the draws the footprint needs."""

    year: int
    doy: int
    natural_peak_m3s: float
    peak_m3s: float             # at Huayuankou after regulation, m3/s
    event: RoutedEvent
    breach_along: float
    breach_bank: int


@PERILS.register("yellow_river")
@dataclass(frozen=True)
class YellowRiverPeril:
    name: str
    settings: Settings
    distribution: PearsonIII
    records: tuple                 # (Reaches, Lakes, Fragility) of the routing kernel, for the regime
    frequency_factor: float = 1.0
    intensity_factor: float = 1.0
    measures: tuple = MEASURES
    units: tuple = UNITS
    placeholder: bool = False
    hazard: str = "flood"          # vulnerability curves of peril "flood" in curves.csv
    year_table: str = "yellow_river_years.parquet"   # output.events=true: year_summary() goes there

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> YellowRiverPeril:
        sens = dict(params.get("climate_sensitivity") or {})
        unknown = sorted(set(sens) - {"peak_per_c"})
        if unknown:
            raise ValueError(f"key peril.{name}.climate_sensitivity: unknown key(s) {unknown}; valid: ['peak_per_c']")
        s = settings_from(name, params)
        records = routing_records(s)
        hydrograph.reference_time_to_peak(s.hydrograph)
        f = s.frequency
        if f.method == "parameters":
            dist = PearsonIII(float(f.mean_m3s), float(f.cv), float(f.cs))
        else:
            if not (dataset.DATA_DIR / f.data).is_file():
                raise ValueError(f"key peril.{name}.frequency.data: no file {f.data} in {dataset.DATA_DIR}")
            dist = fitted_distribution(f.data)
        dt = float(getattr(climate, "warming_c", 0.0) or 0.0)
        intensity = climate_factor(climate, "intensity", name, "yellow_river",
                                   max(0.0, 1.0 + float(sens.get("peak_per_c", 0.0)) * dt))
        return cls(name, s, dist, records, climate_factor(climate, "frequency", name, "yellow_river"), intensity)

    # --- simulation -----------------------------------------------------------------------
    def simulate_year(self, year: int, seed: int) -> YearFlood:
        """The flood season of ``year``: draws from (seed, "yellow_river.flood", year) only."""
        s = self.settings
        n_reach = len(s.reaches)
        u = year_generator(seed, STREAM, year).random(5 + n_reach)
        first, last = s.season_doy
        if s.mode == "replay":
            natural = s.replay.peak_m3s * self.intensity_factor
            doy = s.replay.doy
            peak = natural
        else:
            u_peak = min(u[0] ** (1.0 / self.frequency_factor), 1.0 - 1e-12) if self.frequency_factor > 0 else 0.0
            natural = float(self.distribution.from_uniform(u_peak)) * self.intensity_factor
            peak = natural
            if s.regime == "regulated":
                share = s.regulation.share_from_uniform(u[1])
                peak = float(regulated_peak(natural, share, s.regulation))
            doy = first + min(int(u[2] * (last - first + 1)), last - first)
        inflow = self.inflow(peak)
        reaches, lakes, fragility = self.records
        event = route(inflow, s.routing.dt_hours, reaches, lakes, fragility, u[5:5 + n_reach])
        return YearFlood(int(year), int(doy), float(natural), float(peak), event, float(u[3]), 1 if u[4] < 0.5 else -1)

    def inflow(self, peak_m3s: float) -> np.ndarray:
        """Huayuankou hydrograph (float64[T], m3/s) for a peak, replay volume if configured."""
        s = self.settings
        h = s.hydrograph
        t_peak = s.replay.time_to_peak_h if s.replay is not None else None
        volume = s.replay.volume_m3 if s.replay is not None else None
        if volume is not None and peak_m3s > h.base_flow_m3s:
            t_peak = volume / ((peak_m3s - h.base_flow_m3s) * hydrograph.volume_factor(h.shape) * 3600.0)
        duration = hydrograph.duration_hours(h, peak_m3s, t_peak) if peak_m3s > h.base_flow_m3s else 24.0
        n_steps = steps_for(duration, s)
        return hydrograph.wave(h, peak_m3s, s.routing.dt_hours, n_steps, t_peak_hours=t_peak)

    def simulate(self, years, seed: int) -> list:
        return [self.simulate_year(int(y), seed) for y in np.asarray(years, dtype=np.int64)]

    # --- engine interface -------------------------------------------------------------------
    def footprint_params(self) -> FootprintParams:
        s = self.settings
        return FootprintParams(
            np.array([r.floodplain_km2 for r in s.reaches]) * 1e6, np.array([r.dike_spacing_km for r in s.reaches]) / 2.0,
            s.routing.floodplain_relief_m, s.floodplain_drain_m_per_day,
            np.array([s.dongping.old_lake_km2, s.dongping.new_lake_km2]) * 1e6, s.dongping.drain_m_per_day,
            s.breach.mean_depth_m, s.breach.max_area_km2, s.breach.breach_days, s.breach.drain_m_per_day)

    def river_sites(self, sites):
        return _cached_sites(sites, tuple(r.dike_spacing_km for r in self.settings.reaches))

    def event_doy(self, flood: YearFlood) -> int:
        """Day of year the flood reaches Sunkou (Shandong): Huayuankou peak + the travel time there."""
        s = self.settings
        length = np.array([r.length_km for r in s.reaches])
        to_sunkou = total_travel_hours(s) * length[:2].sum() / length.sum()
        return int(min(max(flood.doy + round(to_sunkou / 24.0), 1), 366))

    def events(self, years, sites, peril_index, seed) -> EventSet:
        rsites = self.river_sites(sites)
        fp = self.footprint_params()
        ids, yrs, doys, offsets, site_parts, inten = [], [], [], [0], [], []
        for flood in self.simulate(years, seed):
            site, depth, duration = event_footprint(flood.event, rsites, fp, flood.breach_along, flood.breach_bank)
            if site.size == 0:
                continue
            ids.append(dtypes.event_ids(flood.year, peril_index, 0))
            yrs.append(flood.year)
            doys.append(self.event_doy(flood))
            site_parts.append(site)
            inten.append(np.column_stack([depth, duration]))
            offsets.append(offsets[-1] + site.size)
        n = len(ids)
        return EventSet(np.array(ids, dtypes.EVENT_ID), np.array(yrs, dtypes.YEAR), np.array(doys, dtypes.DOY),
                        np.full(n, peril_index, dtypes.PERIL), np.array(offsets, dtypes.OFFSET),
                        np.concatenate(site_parts).astype(dtypes.SITE) if n else np.empty(0, dtypes.SITE),
                        np.concatenate(inten).astype(dtypes.INTENSITY) if n else np.empty((0, 2), dtypes.INTENSITY),
                        (), self.measures, self.units,
                        {f"peril_{self.name}": f"yellow_river ({self.settings.mode}, {self.settings.regime})"})

    def year_summary(self, years, seed: int) -> pd.DataFrame:
        """One row per simulated year (the ``yellow_river_years.parquet`` table): peaks at the five
        stations (m3/s), whether the floodplain, the old and new Dongping lake were used, and the breach."""
        names = [r.name for r in self.settings.reaches]
        rows = []
        for flood in self.simulate(years, seed):
            e = flood.event
            row = {"year": flood.year, "regime": self.settings.regime}
            row.update(dict(zip(STATION_COLUMNS, e.peaks.tolist())))
            row.update({"floodplain_flooded": bool(np.any(e.floodplain_m3 > 0)),
                        "dongping_old_lake_used": bool(e.lake_m3[0] > 0),
                        "dongping_new_lake_used": bool(e.lake_m3[1] > 0),
                        "dike_breach": e.breach_reach >= 0,
                        "breach_reach": names[e.breach_reach] if e.breach_reach >= 0 else ""})
            rows.append(row)
        table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
        return table.astype({"year": np.int64, "regime": str, **{c: np.float64 for c in STATION_COLUMNS},
                             "floodplain_flooded": bool, "dongping_old_lake_used": bool,
                             "dongping_new_lake_used": bool, "dike_breach": bool, "breach_reach": str})


_SITES: dict = {}


def _cached_sites(sites, dike_spacing):
    """River attributes of a Sites table, cached per process (key: coordinates and attributes)."""
    attrs = tuple(sorted((k, np.asarray(v).tobytes()) for k, v in getattr(sites, "attributes", {}).items()
                         if k.startswith("yr_")))
    key = (len(sites.lon), hash(np.asarray(sites.lon).tobytes()), hash(np.asarray(sites.lat).tobytes()),
           hash(attrs), dike_spacing)
    if key not in _SITES:
        from perils.yellow_river.sites import river_sites as build
        _SITES[key] = build(sites, np.array(dike_spacing))
    return _SITES[key]
