"""Drought peril parameters: frozen dataclasses built from ``configs/peril/drought.yaml``, validated once.

One dataclass per config section (``generator``, ``pet``, ``water_balance``, ``indices``,
``windows``, ``crops``, ``footprint``, ``climate_sensitivity``). Physical values have no default in
code: a missing key, an unknown key or a value out of range raises
:class:`engine.config.ConfigError` naming the full key (``peril.drought.generator.lag1_precip``).
Values and their sources are in the YAML.
"""
from __future__ import annotations

import math
from dataclasses import MISSING as DC_MISSING, dataclass, fields
from typing import Any

import numpy as np
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from engine.config import ConfigError  # noqa: F401  (re-exported for callers)
from perils.params import check, plain  # noqa: F401

PET_METHODS = ("hargreaves", "thornthwaite")
DEFICIT_REFERENCES = ("normal", "potential")
#: First day of year of each month and days in each month (non-leap calendar).
MONTH_START_DOY = np.array([1, 32, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335])
MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _number(value, key: str) -> float:
    check(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), key,
          f"must be a finite number, got {value!r}")
    return float(value)


def section(schema, values, key: str):
    """Build dataclass ``schema`` from the mapping ``values`` of config section ``key``.

    Unknown keys, missing required keys and non-numbers where a number is expected fail with the
    full key; lists become tuples of floats (``float`` list fields) or stay as given.
    """
    values = plain(values)
    check(isinstance(values, dict), key, f"must be a mapping, got {type(values).__name__}")
    known = {f.name: f for f in fields(schema)}
    unknown = sorted(set(values) - set(known))
    check(not unknown, key, f"unknown key(s) {unknown}; valid keys: {sorted(known)}")
    out = {}
    for name, spec in known.items():
        full = f"{key}.{name}"
        if name not in values or values[name] == MISSING or values[name] is None and spec.default is DC_MISSING:
            check(spec.default is not DC_MISSING, full, "is required (no default for physical values)")
            continue
        value = values[name]
        if spec.type in ("float", float):
            value = _number(value, full)
        elif spec.type in ("int", int):
            check(isinstance(value, int) and not isinstance(value, bool), full, f"must be an integer, got {value!r}")
        elif spec.type in ("str", str):
            check(isinstance(value, str), full, f"must be text, got {value!r}")
        elif spec.type in ("tuple", tuple):
            check(isinstance(value, (list, tuple)), full, f"must be a list of numbers, got {value!r}")
            value = tuple(_number(v, full) for v in value)
        out[name] = value
    obj = schema(**out)
    if hasattr(obj, "validate"):
        obj.validate(key)
    return obj


def _between(value: float, low: float, high: float, key: str, closed: str = "[]") -> None:
    ok = (value >= low if closed[0] == "[" else value > low) and (value <= high if closed[1] == "]" else value < high)
    check(ok, key, f"must lie in {closed[0]}{low}, {high}{closed[1]}, got {value}")


@dataclass(frozen=True)
class GeneratorParams:
    """Monthly weather generator: dependence in the Gaussian (normal-score) space.

    ``precip_range_km``, ``temp_range_km``: e-folding distance of the exponential spatial
    correlation (km); ``*_nugget``: share of variance with no spatial correlation; ``lag1_*``:
    lag-1 (month-to-month) autocorrelation of the anomalies inside a year; ``annual_share_*``: share
    of the anomaly variance in a year-long component, which gives year-to-year persistence through
    its lag-1 ``annual_lag1`` (an AR(1) over years, truncated after ``annual_memory_years``);
    ``pt_correlation``: correlation of precipitation and temperature anomalies, January..December.
    """

    precip_range_km: float
    temp_range_km: float
    precip_nugget: float
    temp_nugget: float
    lag1_precip: float
    lag1_temp: float
    annual_share_precip: float
    annual_share_temp: float
    annual_lag1: float
    annual_memory_years: int
    pt_correlation: tuple

    def validate(self, key: str) -> None:
        for name in ("precip_range_km", "temp_range_km"):
            _between(getattr(self, name), 0.0, 1e5, f"{key}.{name}", "(]")
        for name in ("precip_nugget", "temp_nugget", "annual_lag1"):
            _between(getattr(self, name), 0.0, 1.0, f"{key}.{name}", "[)")
        for name in ("annual_share_precip", "annual_share_temp"):
            _between(getattr(self, name), 0.0, 0.5, f"{key}.{name}")
        for lag, share in (("lag1_precip", "annual_share_precip"), ("lag1_temp", "annual_share_temp")):
            value = getattr(self, lag)
            _between(value, 0.0, 0.95, f"{key}.{lag}")
            check(value >= getattr(self, share), f"{key}.{lag}",
                  f"must be >= {share} ({getattr(self, share)}): the year-long component alone gives that lag-1")
        check(1 <= self.annual_memory_years <= 200, f"{key}.annual_memory_years", "must lie in 1..200")
        check(len(self.pt_correlation) == 12, f"{key}.pt_correlation", f"needs 12 values, got {len(self.pt_correlation)}")
        for m, r in enumerate(self.pt_correlation):
            _between(r, -0.95, 0.95, f"{key}.pt_correlation[{m}]")

    def ar_coefficients(self) -> tuple:
        """(phi_P, phi_T): AR(1) coefficients of the monthly component giving the target lag-1."""
        def phi(r, w):
            return (r - w) / (1.0 - w)
        return phi(self.lag1_precip, self.annual_share_precip), phi(self.lag1_temp, self.annual_share_temp)

    def innovation_correlation(self) -> np.ndarray:
        """float64[12]: P-T correlation of the monthly innovations that yields ``pt_correlation``.

        The monthly components follow AR(1)s (phi_P, phi_T) with innovations correlated rho_e[m];
        their stationary cross-correlation obeys r[m] = phi_P phi_T r[m-1] + sqrt((1-phi_P^2)(1-phi_T^2)) rho_e[m].
        The year-long components are independent of each other, so the monthly components need
        r[m] = target[m] / sqrt((1-w_P)(1-w_T)).
        """
        fp, ft = self.ar_coefficients()
        target = np.asarray(self.pt_correlation) / math.sqrt((1 - self.annual_share_precip) * (1 - self.annual_share_temp))
        rho = (target - fp * ft * np.roll(target, 1)) / math.sqrt((1 - fp ** 2) * (1 - ft ** 2))
        return rho


@dataclass(frozen=True)
class PetParams:
    """PET method: ``hargreaves`` (Hargreaves & Samani 1985, needs the diurnal range) or ``thornthwaite``."""

    method: str

    def validate(self, key: str) -> None:
        check(self.method in PET_METHODS, f"{key}.method", f"must be one of {list(PET_METHODS)}, got {self.method!r}")


@dataclass(frozen=True)
class WaterBalanceParams:
    """Monthly bucket: ``capacity_mm`` plant-available water (mm), ``initial_fraction`` of it at the
    start of the spin-up (1 January, ``spinup_years`` before the season year), ``crop_coefficient``
    Kc of the wheat-maize rotation January..December (ETm = Kc x PET)."""

    capacity_mm: float
    initial_fraction: float
    spinup_years: int
    crop_coefficient: tuple

    def validate(self, key: str) -> None:
        _between(self.capacity_mm, 0.0, 1000.0, f"{key}.capacity_mm", "(]")
        _between(self.initial_fraction, 0.0, 1.0, f"{key}.initial_fraction")
        check(1 <= self.spinup_years <= 5, f"{key}.spinup_years", f"must lie in 1..5, got {self.spinup_years}")
        check(len(self.crop_coefficient) == 12, f"{key}.crop_coefficient", "needs 12 values (January..December)")
        for m, kc in enumerate(self.crop_coefficient):
            _between(kc, 0.0, 2.0, f"{key}.crop_coefficient[{m}]")


@dataclass(frozen=True)
class IndexParams:
    """SPI/SPEI/deficit reference: ``reference_years`` simulated at today's climate from stream seed
    ``reference_seed`` (independent of the run's seed, so every run shares one calibration)."""

    reference_years: int
    reference_seed: int

    def validate(self, key: str) -> None:
        check(100 <= self.reference_years <= 100_000, f"{key}.reference_years", "must lie in 100..100000")
        check(self.reference_seed >= 0, f"{key}.reference_seed", "must be >= 0")


@dataclass(frozen=True)
class FootprintParams:
    """``deficit_reference``: ``normal`` (deficit relative to the county's mean ETa/ETm in today's
    climate, the reference of a yield cover) or ``potential`` (plain 1 - ETa/ETm);
    ``min_deficit``: a site enters an event when its county's deficit exceeds this (fraction)."""

    deficit_reference: str
    min_deficit: float

    def validate(self, key: str) -> None:
        check(self.deficit_reference in DEFICIT_REFERENCES, f"{key}.deficit_reference",
              f"must be one of {list(DEFICIT_REFERENCES)}, got {self.deficit_reference!r}")
        _between(self.min_deficit, 0.0, 1.0, f"{key}.min_deficit", "[)")


@dataclass(frozen=True)
class ClimateSensitivity:
    """Per deg C of global warming: regional temperature amplification (deg C per deg C) and
    fractional changes of the precipitation mean and CV."""

    temp_amplification: float
    precip_mean_per_c: float
    precip_cv_per_c: float

    def validate(self, key: str) -> None:
        _between(self.temp_amplification, 0.0, 5.0, f"{key}.temp_amplification")
        _between(self.precip_mean_per_c, -0.5, 0.5, f"{key}.precip_mean_per_c")
        _between(self.precip_cv_per_c, -0.5, 0.5, f"{key}.precip_cv_per_c")


@dataclass(frozen=True)
class Window:
    """A stage window: calendar ``months`` (in season order) and the event's day of year ``doy``."""

    name: str
    months: tuple
    doy: int


@dataclass(frozen=True)
class Windows:
    """The peril's stage windows in season order (the season runs from ``season_start_month`` of the
    year before to the month before it: October..September by default)."""

    season_start_month: int
    items: tuple

    @property
    def names(self) -> tuple:
        return tuple(w.name for w in self.items)

    def season_months(self) -> np.ndarray:
        """int64[12]: calendar months in season order."""
        return (np.arange(12) + self.season_start_month - 1) % 12 + 1

    def positions(self, window: Window) -> np.ndarray:
        """int64[k]: positions (0..11) of a window's months in season order."""
        order = list(self.season_months())
        return np.array([order.index(m) for m in window.months], dtype=np.int64)

    @classmethod
    def from_config(cls, values, season_start_month, key: str) -> "Windows":
        values = plain(values)
        check(isinstance(season_start_month, int) and 1 <= season_start_month <= 12,
              f"{key.rsplit('.', 1)[0]}.season_start_month", f"must be a month 1..12, got {season_start_month!r}")
        check(isinstance(values, dict) and values, key, "must be a non-empty mapping name -> {months, doy}")
        items, used = [], set()
        order = list((np.arange(12) + season_start_month - 1) % 12 + 1)
        for name, spec in values.items():
            full = f"{key}.{name}"
            check(isinstance(spec, dict) and set(spec) == {"months", "doy"}, full, "needs exactly {months: [...], doy: N}")
            months = spec["months"]
            check(isinstance(months, (list, tuple)) and months and all(isinstance(m, int) and 1 <= m <= 12 for m in months),
                  f"{full}.months", f"must be a list of months 1..12, got {months!r}")
            pos = [order.index(m) for m in months]
            check(pos == list(range(pos[0], pos[0] + len(pos))), f"{full}.months",
                  f"must be consecutive months in season order (season starts in month {season_start_month})")
            overlap = used & set(months)
            check(not overlap, f"{full}.months", f"month(s) {sorted(overlap)} are already in another window")
            used |= set(months)
            doy = spec["doy"]
            inside = any(MONTH_START_DOY[m - 1] <= doy < MONTH_START_DOY[m - 1] + MONTH_DAYS[m - 1] for m in months)
            check(isinstance(doy, int) and inside, f"{full}.doy",
                  f"must be a day of year inside months {months} (non-leap calendar), got {doy!r}")
            items.append(Window(str(name), tuple(months), int(doy)))
        items.sort(key=lambda w: order.index(w.months[0]))
        return cls(int(season_start_month), tuple(items))


def crops_from_config(values, windows: Windows, key: str) -> tuple:
    """((crop, ((stage, window name), ...)), ...) from ``crops: {crop: {stage: window}}``; windows must exist."""
    values = plain(values)
    check(isinstance(values, dict) and values, key, "must be a non-empty mapping crop -> {stage: window}")
    out = []
    for crop, stages in values.items():
        check(isinstance(stages, dict) and stages, f"{key}.{crop}", "must map stage names to window names")
        for stage, window in stages.items():
            check(window in windows.names, f"{key}.{crop}.{stage}",
                  f"window {window!r} is not defined; windows: {list(windows.names)}")
        out.append((str(crop), tuple((str(s), str(w)) for s, w in stages.items())))
    return tuple(out)
