"""The typhoon peril: stochastic (or replayed historical) tracks -> wind and rain footprints at sites.

``kind: typhoon``. Stochastic mode: :class:`perils.typhoon.stochastic.TrackModel`, fitted on the CMA
best tracks when the run starts (cached per process), simulates each year's storms from
``engine.rng.year_generator(seed, <stream>, year)``; climate factors scale the annual storm rate
(frequency) and the central-pressure deficit (intensity). Replay mode: the listed CMA storms
(``"2019/1909"`` = year/CMA id, Lekima) happen in every simulated year, so a one-year run is the
historical event. Track-file mode: the storms of a user's file (:mod:`perils.typhoon.trackfile`,
e.g. Lekima shifted 50 km west) likewise. Each storm's footprint is :func:`perils.typhoon.footprint.storm_footprint`:
maximum 3-s gust at 10 m (``wind_gust``, m/s) and storm-total rain (``rain_total``, mm).
"""
from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, List, Optional

from omegaconf import MISSING

import numpy as np
import pandas as pd

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from perils import PERILS, climate_factor
from perils.typhoon import besttrack
from perils.typhoon.trackfile import read_track_file
from perils.typhoon.footprint import MEASURES, UNITS, FootprintParams, storm_footprint, typhoon_sites

MODES = ("stochastic", "replay", "track_file")


@dataclass
class TyphoonParams:
    mode: str = "stochastic"
    replay_storms: List[str] = field(default_factory=list)   # "year/CMA id", e.g. "2019/1909" (Lekima)
    track_file: Optional[str] = None   # mode track_file: a user's tracks (perils/typhoon/trackfile.py)
    fit_first_year: int = besttrack.FIRST_YEAR
    fit_last_year: int = besttrack.LAST_YEAR
    pool_radius_km: float = MISSING   # parent storms: centre within this distance of Shandong (km)
    sigma_doy: float = MISSING        # timing perturbation (days)
    footprint: Dict[str, Any] = field(default_factory=dict)   # FootprintParams: wind, rain, thresholds
    # change per deg C of global warming (climate.warming_c): frequency_per_c (annual rate),
    # vmax_per_c (maximum wind; the pressure deficit scales with its square), rain_per_c (rain
    # rate, compounded). Values and sources in configs/peril/typhoon.yaml.
    climate_sensitivity: Dict[str, float] = field(default_factory=dict)
    description: str = ""

    SENSITIVITIES = ("frequency_per_c", "vmax_per_c", "rain_per_c")


@lru_cache(maxsize=4)
def fitted_model(first_year: int, last_year: int, pool_radius_km: float, sigma_doy: float):
    """The track model fitted on the CMA record (about 5 s; cached per process)."""
    from perils.typhoon.stochastic import TrackModel
    return TrackModel.fit(besttrack.load_best_tracks(), first_year=first_year, last_year=last_year,
                          pool_radius_km=pool_radius_km, sigma_doy=sigma_doy)


def replay_tracks(storms) -> list:
    """Historical tracks (time h from the first fix, lat, lon, pressure, wind) of ``"year/CMA id"`` storms."""
    tracks = besttrack.load_best_tracks()
    out = []
    for spec in storms:
        try:
            year, cma_id = (int(x) for x in str(spec).split("/"))
        except ValueError:
            raise ValueError(f"replay storm '{spec}' must be 'year/CMA id', e.g. '2019/1909' (Lekima)") from None
        rows = tracks[(tracks["year"] == year) & (tracks["cma_id"] == cma_id)].sort_values("time")
        if rows.empty:
            raise ValueError(f"replay storm '{spec}': no CMA best track with that year and CMA id")
        start = rows["time"].iloc[0]
        out.append((int(rows["time"].iloc[0].day_of_year), pd.DataFrame({
            "time_h": (rows["time"] - start).dt.total_seconds().to_numpy() / 3600.0,
            "lat": rows["lat"].to_numpy(float), "lon": rows["lon"].to_numpy(float),
            "pressure_hpa": rows["pressure"].to_numpy(float), "vmax_ms": rows["wind"].to_numpy(float)})))
    return out


@lru_cache(maxsize=8)
def _track_file(path: str) -> tuple:
    """The storms of a track file, read once per process (callers copy before changing them)."""
    return tuple(read_track_file(path))


_SITES: dict = {}
_FOOTPRINTS: "OrderedDict[tuple, dict]" = OrderedDict()


def _sites_key(sites) -> tuple:
    return (len(sites.lon), hash(np.asarray(sites.lon).tobytes()), hash(np.asarray(sites.lat).tobytes()))


def _sites_for(sites, footprint: FootprintParams):
    """Typhoon site factors (land mask lookup, about 3 s the first time), cached per process.

    Portfolio site attributes override the defaults where given (NaN: default):
    ``site_typhoon_wind_factor`` (gradient -> 10 m factor, e.g. from local roughness) and
    ``site_typhoon_rain_factor`` (terrain enhancement of storm rain, 1 = none).
    """
    attrs = getattr(sites, "attributes", {}) or {}
    key = (len(sites.lon), hash(np.asarray(sites.lon).tobytes()), hash(np.asarray(sites.lat).tobytes()),
           tuple((k, hash(np.asarray(v).tobytes())) for k, v in sorted(attrs.items()) if k.startswith("typhoon_")),
           footprint.wind)
    if key not in _SITES:
        base = typhoon_sites(sites.lon, sites.lat, wind=footprint.wind)
        wind, rain = base.wind_factor, base.rain_factor
        if "typhoon_wind_factor" in attrs:
            given = np.asarray(attrs["typhoon_wind_factor"], float)
            wind = np.where(np.isfinite(given), given, wind)
        if "typhoon_rain_factor" in attrs:
            given = np.asarray(attrs["typhoon_rain_factor"], float)
            rain = np.where(np.isfinite(given), given, rain)
        for name, values in (("site_typhoon_wind_factor", wind), ("site_typhoon_rain_factor", rain)):
            if np.any(values < 0) or np.any(values > 3):
                raise ValueError(f"portfolio column {name}: factors must lie in [0, 3]")
        _SITES[key] = typhoon_sites(sites.lon, sites.lat, wind_factor=wind, rain_factor=rain)
    return _SITES[key]


@PERILS.register("typhoon")
@dataclass(frozen=True)
class TyphoonPeril:
    name: str
    params: TyphoonParams
    footprint: FootprintParams
    frequency_factor: float = 1.0
    intensity_factor: float = 1.0   # multiplies the central-pressure deficit (maximum wind: its square root)
    rainfall_factor: float = 1.0    # multiplies storm-total rain
    measures: tuple = MEASURES
    units: tuple = UNITS
    placeholder: bool = False
    hazard: str = "typhoon"        # the vulnerability curves it uses (peril column of curves.csv)

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "TyphoonPeril":
        p = params_from(TyphoonParams, name, params, "peril")
        if p.mode not in MODES:
            raise ValueError(f"mode '{p.mode}' is not one of {list(MODES)}")
        if p.mode == "replay":
            if not p.replay_storms:
                raise ValueError("mode replay needs replay_storms, e.g. ['2019/1909'] (Lekima)")
            replay_tracks(p.replay_storms)   # fail now on an unknown storm
        if p.mode == "track_file":
            if not p.track_file:
                raise ValueError("mode track_file needs track_file: <CSV or Parquet path>")
            read_track_file(p.track_file)    # fail now on a bad file, before any work
        if not besttrack.FIRST_YEAR <= p.fit_first_year < p.fit_last_year <= besttrack.LAST_YEAR:
            raise ValueError(f"fit years must lie in {besttrack.FIRST_YEAR}..{besttrack.LAST_YEAR}")
        footprint = FootprintParams.from_dict(p.footprint)
        unknown = sorted(set(p.climate_sensitivity) - set(TyphoonParams.SENSITIVITIES))
        if unknown:
            raise ValueError(f"climate_sensitivity: unknown key(s) {unknown}; valid: {list(TyphoonParams.SENSITIVITIES)}")
        dt = float(getattr(climate, "warming_c", 0.0) or 0.0)
        sens = {k: float(p.climate_sensitivity.get(k, 0.0)) for k in TyphoonParams.SENSITIVITIES}
        frequency = climate_factor(climate, "frequency", name, "typhoon", max(0.0, 1.0 + sens["frequency_per_c"] * dt))
        intensity = climate_factor(climate, "intensity", name, "typhoon", max(0.0, 1.0 + sens["vmax_per_c"] * dt) ** 2)
        rainfall = climate_factor(climate, "rainfall", name, "typhoon", (1.0 + sens["rain_per_c"]) ** dt)
        if rainfall != 1.0:
            footprint = dataclasses.replace(footprint, rain=dataclasses.replace(
                footprint.rain, scale=footprint.rain.scale * rainfall))
        return cls(name, p, footprint, frequency, intensity, rainfall)

    def model(self):
        m = fitted_model(self.params.fit_first_year, self.params.fit_last_year, self.params.pool_radius_km,
                         self.params.sigma_doy)
        if self.frequency_factor != 1.0:
            m = dataclasses.replace(m, annual_rate=m.annual_rate * self.frequency_factor)
        return m

    def storms(self, year: int, seed: int) -> list:
        """(start day of year, track) of each storm of a simulated year, intensity factor applied."""
        if self.params.mode == "replay":
            storms = replay_tracks(self.params.replay_storms)
        elif self.params.mode == "track_file":
            storms = [(doy, t.copy()) for doy, t in _track_file(str(self.params.track_file))]
        else:
            storms = [(s.start_doy, pd.DataFrame({"time_h": s.time_h, "lat": s.lat, "lon": s.lon,
                                                  "pressure_hpa": s.pressure_hpa, "vmax_ms": s.vmax_ms}))
                      for s in self.model().simulate_year(year, seed)]
        if self.intensity_factor != 1.0:
            for _, t in storms:   # scale the pressure deficit and the wind with it
                t["pressure_hpa"] = 1010.0 - (1010.0 - t["pressure_hpa"]) * self.intensity_factor
                t["vmax_ms"] = t["vmax_ms"] * np.sqrt(self.intensity_factor)
        return storms

    def storm_footprints(self, years, sites, seed) -> dict:
        """``{year: [(k, doy, site int32[n], gust float32[n], rain float32[n]), ...]}`` of the storms of
        ``years`` (k: the storm's rank in its year). Kept for the last chunk of a process, so the
        flood peril can turn the same storms' rain into flood events without recomputing them."""
        key = (id(self), _sites_key(sites), int(seed), np.asarray(years, dtype=np.int64).tobytes())
        if key not in _FOOTPRINTS:
            tsites = _sites_for(sites, self.footprint)
            out = {}
            for year in np.asarray(years, dtype=np.int64):
                out[int(year)] = [(k, doy, *storm_footprint(track, tsites, self.footprint))
                                  for k, (doy, track) in enumerate(self.storms(int(year), seed))]
            _FOOTPRINTS[key] = out
            while len(_FOOTPRINTS) > 1:   # the current chunk only: its flood reads it right after
                _FOOTPRINTS.popitem(last=False)
        return _FOOTPRINTS[key]

    def events(self, years, sites, peril_index, seed) -> EventSet:
        footprints = self.storm_footprints(years, sites, seed)
        ids, yrs, doys, offsets, site_parts, inten = [], [], [], [0], [], []
        for year in np.asarray(years, dtype=np.int64):
            for k, doy, site, gust, rain in footprints[int(year)]:
                if site.size == 0:
                    continue
                ids.append(dtypes.event_ids(year, peril_index, k))
                yrs.append(year)
                doys.append(min(max(doy, 1), 366))
                site_parts.append(site)
                inten.append(np.column_stack([gust, rain]))
                offsets.append(offsets[-1] + site.size)
        n = len(ids)
        return EventSet(np.array(ids, dtypes.EVENT_ID), np.array(yrs, dtypes.YEAR), np.array(doys, dtypes.DOY),
                        np.full(n, peril_index, dtypes.PERIL), np.array(offsets, dtypes.OFFSET),
                        np.concatenate(site_parts).astype(dtypes.SITE) if n else np.empty(0, dtypes.SITE),
                        np.concatenate(inten).astype(dtypes.INTENSITY) if n else np.empty((0, 2), dtypes.INTENSITY),
                        (), self.measures, self.units, {f"peril_{self.name}": f"typhoon ({self.params.mode})"})

    def tracks(self, years, seed: int, peril_index: int) -> pd.DataFrame:
        """The storms of ``years`` as the ``tracks.parquet`` table (event_id, year, time, lat, lon,
        pressure_hpa, vmax_ms: central pressure hPa, 2-min maximum wind m/s, CMA basis)."""
        rows = []
        for year in np.asarray(years, dtype=np.int64):
            for k, (doy, t) in enumerate(self.storms(int(year), seed)):
                start = pd.Timedelta(days=int(doy) - 1)
                rows.append(pd.DataFrame({"event_id": dtypes.event_ids(year, peril_index, k), "year": year,
                                          "time": start + pd.to_timedelta(t["time_h"].to_numpy(), unit="h"),
                                          "lat": t["lat"], "lon": t["lon"], "pressure_hpa": t["pressure_hpa"],
                                          "vmax_ms": t["vmax_ms"]}))
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
            columns=["event_id", "year", "time", "lat", "lon", "pressure_hpa", "vmax_ms"])
