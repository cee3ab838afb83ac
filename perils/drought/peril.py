"""The drought peril: county weather -> soil-water deficit per crop stage window -> events at sites.

``kind: drought``, ``hazard: drought`` (the ``drought`` curves, damage = Ky x deficit). Each season
year (October..September by default, :mod:`perils.drought.season`) is simulated per county: monthly
weather (:mod:`perils.drought.weather`), PET, a bucket water balance; every stage window of
``windows`` gives one event on its configured day of year, so the engine's growth-stage
susceptibility applies and seasonal covers combine the stages as 1 - prod(1 - d), FAO-33's
multiplicative form. The footprint holds every site whose county's deficit exceeds
``footprint.min_deficit``; measures ``et_deficit`` (1 - ETa/ETm, against the normal ratio by default,
fraction) and ``spei3`` (SPEI-3 at the window's last month, for reporting). Sites map to counties by
``sites.county`` (adcode); work is per county (136) and then copied to sites.

Climate: ``climate.warming_c`` shifts temperature by ``temp_amplification`` deg C per deg C and
scales the precipitation mean and CV by ``1 + precip_*_per_c * warming_c``; an explicit
``climate.rainfall`` factor for the peril replaces the mean factor and ``climate.intensity`` scales
the deficit (:func:`perils.climate_factor`). Indices and the normal ratio stay fitted on today's
climate, so warming shows up as drier indices and larger deficits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

import numpy as np
import pandas as pd
from omegaconf import MISSING

from engine import dtypes
from engine.config import params_from
from engine.eventset import EventSet
from perils import PERILS, climate_factor
from perils.drought import indices
from perils.drought.normals import CountyClimate, load_county_climate
from perils.drought.params import (ClimateSensitivity, FootprintParams, GeneratorParams, IndexParams, PetParams,
                                   WaterBalanceParams, Windows, check, crops_from_config, section)
from perils.drought.season import Calibration, calibrate, simulate_seasons, window_stats
from perils.drought.waterbalance import relative_deficit
from perils.drought.weather import WeatherModel

MEASURES = ("et_deficit", "spei3")
UNITS = ("1", "1")
#: Season years simulated at once inside :meth:`DroughtPeril.events` (bounds the site-level arrays).
BATCH_YEARS = 500


@dataclass
class DroughtConfig:
    """The ``peril.<name>`` config of ``kind: drought`` (sections validated by :mod:`perils.drought.params`)."""

    description: str = ""
    climate_table: Optional[str] = None
    generator: Dict[str, Any] = MISSING
    pet: Dict[str, Any] = MISSING
    water_balance: Dict[str, Any] = MISSING
    indices: Dict[str, Any] = MISSING
    season_start_month: int = MISSING
    windows: Dict[str, Any] = MISSING
    crops: Dict[str, Any] = MISSING
    footprint: Dict[str, Any] = MISSING
    climate_sensitivity: Dict[str, Any] = MISSING


@dataclass(frozen=True)
class CountyYears:
    """Per-county results of a chunk of season years, arrays float64[Y, W, C]: ``deficit`` (the
    footprint's et_deficit, climate factor applied), ``ratio`` (ETa/ETm), ``precip`` and ``pet``
    (window totals, mm), ``spi3`` and ``spei3`` (at the window's last month)."""

    years: np.ndarray
    deficit: np.ndarray
    ratio: np.ndarray
    precip: np.ndarray
    pet: np.ndarray
    spi3: np.ndarray
    spei3: np.ndarray


@PERILS.register("drought")
@dataclass(frozen=True)
class DroughtPeril:
    name: str
    climate_table: Optional[str]
    generator: GeneratorParams
    pet: PetParams
    water: WaterBalanceParams
    index: IndexParams
    windows: Windows
    crops: tuple
    footprint: FootprintParams
    sensitivity: ClimateSensitivity
    temp_shift_c: float = 0.0
    precip_mean_factor: float = 1.0
    precip_cv_factor: float = 1.0
    intensity_factor: float = 1.0
    description: str = ""
    measures: tuple = MEASURES
    units: tuple = UNITS
    placeholder: bool = False
    hazard: str = "drought"        # the vulnerability curves it uses (peril column of curves.csv)

    @classmethod
    def from_config(cls, name: str, params: dict, climate) -> "DroughtPeril":
        p = params_from(DroughtConfig, name, dict(params), "peril")
        key = f"peril.{name}"
        start = p.season_start_month
        check(isinstance(start, int) and (start == 1 or 6 <= start <= 12), f"{key}.season_start_month",
              f"must be 1 or 6..12 (SPI-6 needs 6 months before the season inside the run), got {start!r}")
        windows = Windows.from_config(p.windows, start, f"{key}.windows")
        sens = section(ClimateSensitivity, p.climate_sensitivity, f"{key}.climate_sensitivity")
        dt = float(getattr(climate, "warming_c", 0.0) or 0.0)
        rainfall = climate_factor(climate, "rainfall", name, "drought", max(0.01, 1.0 + sens.precip_mean_per_c * dt))
        intensity = climate_factor(climate, "intensity", name, "drought", 1.0)
        check(rainfall > 0, f"climate.rainfall.{name}", f"must be > 0, got {rainfall}")
        check(intensity > 0, f"climate.intensity.{name}", f"must be > 0, got {intensity}")
        try:
            load_county_climate(p.climate_table)   # fail now on a bad table
        except (OSError, ValueError) as err:
            check(False, f"{key}.climate_table", str(err))
        return cls(name, p.climate_table, section(GeneratorParams, p.generator, f"{key}.generator"),
                   section(PetParams, p.pet, f"{key}.pet"),
                   section(WaterBalanceParams, p.water_balance, f"{key}.water_balance"),
                   section(IndexParams, p.indices, f"{key}.indices"), windows,
                   crops_from_config(p.crops, windows, f"{key}.crops"),
                   section(FootprintParams, p.footprint, f"{key}.footprint"), sens,
                   sens.temp_amplification * dt, rainfall, max(0.01, 1.0 + sens.precip_cv_per_c * dt), intensity,
                   p.description)

    # ---- models --------------------------------------------------------------------------------
    def baseline_climate(self) -> CountyClimate:
        """The county normals of today's climate."""
        return load_county_climate(self.climate_table)

    def weather_model(self) -> WeatherModel:
        """The generator of the run's climate (warming and factors applied)."""
        return WeatherModel.build(self.baseline_climate().with_changes(
            self.temp_shift_c, self.precip_mean_factor, self.precip_cv_factor), self.generator)

    def calibration(self) -> Calibration:
        """SPI/SPEI fits and the normal ETa/ETm, from today's climate (cached per process)."""
        base = self.baseline_climate()
        return calibrate(WeatherModel.build(base, self.generator), self.windows, self.pet, self.water, self.index,
                         base.temp_mean)

    def county_years(self, years, seed: int) -> CountyYears:
        """Per-county window results of season ``years`` (int64[Y]) for ``seed``."""
        years = np.asarray(years, dtype=np.int64)
        cal = self.calibration()
        run = simulate_seasons(self.weather_model(), years, seed, self.windows, self.pet, self.water,
                               self.baseline_climate().temp_mean)
        stats = window_stats(run, self.windows)
        reference = cal.ratio_ref[None] if self.footprint.deficit_reference == "normal" else None
        deficit = np.minimum(relative_deficit(stats["ratio"], reference) * self.intensity_factor, 1.0)
        end = stats["end"]
        spi3 = cal.spi_at(run.accumulated("precip", 3), 3)[:, end]
        spei3 = cal.spei_at(run.accumulated("balance", 3), 3)[:, end]
        return CountyYears(years, deficit, stats["ratio"], stats["precip"], stats["pet"], spi3, spei3)

    # ---- the peril interface -------------------------------------------------------------------
    def events(self, years, sites, peril_index, seed) -> EventSet:
        county = self.baseline_climate().county_index(sites.county)
        years = np.asarray(years, dtype=np.int64)
        doy = np.array([w.doy for w in self.windows.items], dtype=dtypes.DOY)
        n_windows = len(doy)
        ids, yrs, doys, counts, site_parts, inten = [], [], [], [], [], []
        for start in range(0, len(years), BATCH_YEARS):
            res = self.county_years(years[start:start + BATCH_YEARS], seed)
            deficit = res.deficit.reshape(-1, res.deficit.shape[-1])[:, county].astype(np.float32)   # [Y*W, S]
            event, site = np.nonzero(deficit > self.footprint.min_deficit)
            count = np.bincount(event, minlength=deficit.shape[0])
            hit = np.flatnonzero(count)
            y = np.repeat(res.years, n_windows)[hit]
            w = np.tile(np.arange(n_windows), len(res.years))[hit]
            ids.append(dtypes.event_ids(y, peril_index, w))
            yrs.append(y)
            doys.append(doy[w])
            counts.append(count[hit])
            site_parts.append(site.astype(dtypes.SITE))
            spei = res.spei3.reshape(-1, res.spei3.shape[-1])[:, county]
            inten.append(np.column_stack([deficit[event, site], spei[event, site]]).astype(dtypes.INTENSITY))
        if not ids or sum(len(i) for i in ids) == 0:
            return EventSet.empty((), self.measures, self.units)
        n = sum(len(i) for i in ids)
        offsets = np.concatenate([[0], np.cumsum(np.concatenate(counts))]).astype(dtypes.OFFSET)
        return EventSet(np.concatenate(ids).astype(dtypes.EVENT_ID), np.concatenate(yrs).astype(dtypes.YEAR),
                        np.concatenate(doys).astype(dtypes.DOY), np.full(n, peril_index, dtypes.PERIL), offsets,
                        np.concatenate(site_parts), np.concatenate(inten), (), self.measures, self.units,
                        {f"peril_{self.name}": f"drought (deficit vs {self.footprint.deficit_reference})"}).sorted()

    def year_summary(self, years, seed: int) -> pd.DataFrame:
        """One row per (season year, county, window): ``year``, ``adcode``, ``county``, ``window``,
        ``precip_mm``, ``pet_mm`` (window totals), ``et_ratio`` (ETa/ETm), ``et_deficit``, ``spi3``,
        ``spei3`` and their GB/T 20481 classes ``spi3_class``, ``spei3_class`` (names)."""
        res = self.county_years(years, seed)
        base = self.baseline_climate()
        n_years, n_windows, n_counties = res.deficit.shape

        def flat(a):
            return a.reshape(-1)

        names = np.array(indices.CLASS_NAMES)
        return pd.DataFrame({
            "year": np.repeat(res.years, n_windows * n_counties),
            "adcode": np.tile(base.adcode, n_years * n_windows),
            "county": np.tile(np.array(base.names), n_years * n_windows),
            "window": np.tile(np.repeat(np.array(self.windows.names), n_counties), n_years),
            "precip_mm": flat(res.precip), "pet_mm": flat(res.pet), "et_ratio": flat(res.ratio),
            "et_deficit": flat(res.deficit), "spi3": flat(res.spi3), "spei3": flat(res.spei3),
            "spi3_class": names[flat(indices.drought_class(res.spi3))],
            "spei3_class": names[flat(indices.drought_class(res.spei3))],
        })
