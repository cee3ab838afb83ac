"""Flood peril parameters: frozen dataclasses built from ``configs/peril/flood.yaml``, validated once.

The YAML has one section per idea (``rain``, ``dependence``, ``geography``, ``transform``,
``footprint``); each becomes one dataclass here. Physical values have no default in code: a missing
key, an unknown key or a value out of range raises :class:`engine.config.ConfigError` naming the
full key (``peril.flood.rain.rate_per_year``). Units are in the field names or comments.
"""
from __future__ import annotations

import math
from dataclasses import MISSING as DC_MISSING, dataclass, fields
from typing import Any

from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from engine.config import ConfigError  # noqa: F401  (re-exported for callers)
from perils.params import check, plain as _plain  # noqa: F401

COPULAS = ("gaussian", "t")
METHODS = ("grid", "exact")


def section(schema, values, key: str):
    """Build dataclass ``schema`` from the dict ``values`` of config section ``key``.

    Unknown keys, missing keys (fields without a default) and values that are not numbers where
    a number is expected fail with the full key. Lists become tuples (frozen dataclasses).
    """
    values = _plain(values)
    check(isinstance(values, dict), key, f"must be a mapping, got {type(values).__name__}")
    known = {f.name: f for f in fields(schema)}
    unknown = sorted(set(values) - set(known))
    check(not unknown, key, f"unknown key(s) {unknown}; valid keys: {sorted(known)}")
    out = {}
    for name, spec in known.items():
        full = f"{key}.{name}"
        if name not in values or values[name] == MISSING:
            check(spec.default is not DC_MISSING or spec.default_factory is not DC_MISSING, full,
                  "is required (no default for physical values)")
            continue
        value = values[name]
        if spec.type in ("float", float):
            check(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
                  full, f"must be a finite number, got {value!r}")
            value = float(value)
        elif spec.type in ("str", str):
            check(isinstance(value, str), full, f"must be text, got {value!r}")
        elif isinstance(value, list):
            value = tuple(value)
        out[name] = value
    return schema(**out)


def float_tuple(values, key: str, length: int | None = None) -> tuple:
    """A tuple of finite floats from a config list (``length`` checked when given)."""
    check(isinstance(values, (list, tuple)), key, f"must be a list of numbers, got {values!r}")
    check(all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values),
          key, f"must be a list of finite numbers, got {list(values)!r}")
    check(length is None or len(values) == length, key, f"needs {length} values, got {len(values)}")
    return tuple(float(v) for v in values)


@dataclass(frozen=True)
class Anchor:
    """Annual maximum 1-day rainfall at a station: mean (mm) and coefficient of variation."""

    name: str
    lon: float
    lat: float
    mean_mm: float
    cv: float


@dataclass(frozen=True)
class RainParams:
    """Event rate, seasonality and GEV margins of event rainfall (see :mod:`perils.flood.margins`)."""

    rate_per_year: float          # heavy-rain systems a year the margins refer to (all causes), 1/yr
    typhoon_share: float          # share of those systems that are typhoons (simulated by the typhoon peril)
    month_weights: tuple          # relative frequency of events by month, Jan..Dec (12 values >= 0)
    storm_total_factor: float     # event storm total / annual-maximum 1-day rainfall (>= 1)
    gev_shape: float              # GEV shape xi (> 0: heavy tail; scipy's c = -xi)
    smoothing_km: float           # Gaussian kernel width interpolating the anchors to sites, km
    anchors: tuple                # Anchor rows

    @classmethod
    def from_config(cls, values, key: str) -> "RainParams":
        p = section(cls, values, key)
        anchors = []
        check(isinstance(p.anchors, tuple) and len(p.anchors) >= 1, f"{key}.anchors",
              "needs at least one station {name, lon, lat, mean_mm, cv}")
        for i, row in enumerate(p.anchors):
            anchors.append(section(Anchor, row, f"{key}.anchors[{i}]"))
        p = cls(p.rate_per_year, p.typhoon_share, float_tuple(p.month_weights, f"{key}.month_weights", 12),
                p.storm_total_factor, p.gev_shape, p.smoothing_km, tuple(anchors))
        p.validate(key)
        return p

    def validate(self, key: str) -> None:
        check(self.rate_per_year > 0, f"{key}.rate_per_year", f"must be > 0 events a year, got {self.rate_per_year}")
        check(0 <= self.typhoon_share < 1, f"{key}.typhoon_share", f"must be in [0, 1), got {self.typhoon_share}")
        check(all(w >= 0 for w in self.month_weights) and sum(self.month_weights) > 0, f"{key}.month_weights",
              f"must be 12 weights >= 0 with a positive sum, got {list(self.month_weights)}")
        check(self.storm_total_factor >= 1, f"{key}.storm_total_factor",
              f"must be >= 1 (storm total over the wettest day), got {self.storm_total_factor}")
        check(-0.3 < self.gev_shape < 0.5, f"{key}.gev_shape",
              f"must be in (-0.3, 0.5) (finite variance; rainfall maxima: about 0 to 0.2), got {self.gev_shape}")
        check(self.smoothing_km > 0, f"{key}.smoothing_km", f"must be > 0 km, got {self.smoothing_km}")
        for i, a in enumerate(self.anchors):
            check(a.mean_mm > 0, f"{key}.anchors[{i}].mean_mm", f"must be > 0 mm, got {a.mean_mm}")
            check(0 < a.cv < 2, f"{key}.anchors[{i}].cv", f"must be in (0, 2), got {a.cv}")

    @property
    def month_probabilities(self) -> tuple:
        total = sum(self.month_weights)
        return tuple(w / total for w in self.month_weights)


@dataclass(frozen=True)
class DependenceParams:
    """Spatial dependence of one event's rainfall: a copula with exponential correlation on distance."""

    copula: str                   # "gaussian" or "t"
    range_km: float               # correlation exp(-d / range_km)
    t_dof: float                  # degrees of freedom of the t copula (ignored for gaussian)
    method: str                   # "grid": latent lattice interpolated to sites; "exact": Cholesky on sites
    grid_step_deg: float          # lattice spacing of the grid method, degrees

    @classmethod
    def from_config(cls, values, key: str) -> "DependenceParams":
        p = section(cls, values, key)
        check(p.copula in COPULAS, f"{key}.copula", f"'{p.copula}' is not one of {list(COPULAS)}")
        check(p.method in METHODS, f"{key}.method", f"'{p.method}' is not one of {list(METHODS)}")
        check(p.range_km > 0, f"{key}.range_km", f"must be > 0 km, got {p.range_km}")
        check(p.t_dof > 2, f"{key}.t_dof", f"must be > 2, got {p.t_dof}")
        check(0 < p.grid_step_deg <= 1, f"{key}.grid_step_deg", f"must be in (0, 1] degrees, got {p.grid_step_deg}")
        return p


@dataclass(frozen=True)
class GeographyParams:
    """Site attributes derived from coordinates when the portfolio does not give them."""

    elevation_knots_m: tuple      # elevation axis of the two tables below, m (increasing)
    ponding_factor: tuple         # runoff concentration onto low ground at each knot (dimensionless)
    recession_m_per_day: tuple    # fall of ponded water at each knot, m/day
    terrain_edges_m: tuple        # elevations separating the terrain classes (increasing)
    terrain_names: tuple          # one name per class (len(terrain_edges_m) + 1)
    river_influence_km: float     # river influence exp(-distance / river_influence_km)
    runoff_urban: float           # runoff coefficient of urban districts (0..1)
    runoff_rural: float           # runoff coefficient of rural counties (0..1)

    @classmethod
    def from_config(cls, values, key: str) -> "GeographyParams":
        p = section(cls, values, key)
        knots = float_tuple(p.elevation_knots_m, f"{key}.elevation_knots_m")
        n = len(knots)
        check(n >= 2 and all(b > a for a, b in zip(knots, knots[1:])), f"{key}.elevation_knots_m",
              f"needs >= 2 strictly increasing elevations, got {list(knots)}")
        ponding = float_tuple(p.ponding_factor, f"{key}.ponding_factor", n)
        recession = float_tuple(p.recession_m_per_day, f"{key}.recession_m_per_day", n)
        check(all(v >= 0 for v in ponding), f"{key}.ponding_factor", f"must be >= 0, got {list(ponding)}")
        check(all(v > 0 for v in recession), f"{key}.recession_m_per_day", f"must be > 0 m/day, got {list(recession)}")
        edges = float_tuple(p.terrain_edges_m, f"{key}.terrain_edges_m")
        check(all(b > a for a, b in zip(edges, edges[1:])), f"{key}.terrain_edges_m", "must increase")
        check(len(p.terrain_names) == len(edges) + 1, f"{key}.terrain_names",
              f"needs {len(edges) + 1} names (one per class), got {len(p.terrain_names)}")
        check(p.river_influence_km > 0, f"{key}.river_influence_km", f"must be > 0 km, got {p.river_influence_km}")
        for name in ("runoff_urban", "runoff_rural"):
            check(0 < getattr(p, name) <= 1, f"{key}.{name}", f"must be in (0, 1], got {getattr(p, name)}")
        return cls(knots, ponding, recession, edges, tuple(str(x) for x in p.terrain_names),
                   p.river_influence_km, p.runoff_urban, p.runoff_rural)


@dataclass(frozen=True)
class TransformParams:
    """Rain -> flood depth and duration (see :func:`perils.flood.transform.rain_to_flood`)."""

    drain_return_period_urban_yr: float   # urban drainage design standard, years
    drain_return_period_rural_yr: float   # rural waterlogging-removal standard, years
    river_return_period_yr: float         # flood-control standard of the river reaches, years
    river_depth_m_per_mm: float           # river overflow depth per mm of rain above that standard, m/mm
    river_recession_m_per_day: float      # fall of river flood water, m/day
    min_depth_m: float                    # shallower water is no flood (0 depth, 0 duration)
    max_depth_m: float                    # cap on depth, m
    min_duration_days: float              # duration of the shortest flood, days
    max_duration_days: float              # cap on duration, days
    exposure_share_urban: float = 1.0     # share of an urban site's exposure under the water (entry probability)
    exposure_share_rural: float = 1.0     # the same for a rural site

    @classmethod
    def from_config(cls, values, key: str) -> "TransformParams":
        p = section(cls, values, key)
        for name in ("exposure_share_urban", "exposure_share_rural"):
            check(0 < getattr(p, name) <= 1, f"{key}.{name}", f"must be in (0, 1], got {getattr(p, name)}")
        for name in ("drain_return_period_urban_yr", "drain_return_period_rural_yr", "river_return_period_yr"):
            check(getattr(p, name) > 1, f"{key}.{name}", f"must be > 1 year, got {getattr(p, name)}")
        check(p.river_depth_m_per_mm >= 0, f"{key}.river_depth_m_per_mm", f"must be >= 0, got {p.river_depth_m_per_mm}")
        check(p.river_recession_m_per_day > 0, f"{key}.river_recession_m_per_day",
              f"must be > 0 m/day, got {p.river_recession_m_per_day}")
        check(0 <= p.min_depth_m < p.max_depth_m, f"{key}.min_depth_m",
              f"needs 0 <= min_depth_m < max_depth_m, got {p.min_depth_m} and {p.max_depth_m}")
        check(0 <= p.min_duration_days <= p.max_duration_days and p.max_duration_days > 0, f"{key}.max_duration_days",
              f"needs 0 <= min_duration_days <= max_duration_days, max > 0, got {p.min_duration_days}, "
              f"{p.max_duration_days}")
        return p


@dataclass(frozen=True)
class FootprintParams:
    """Which sites an event's footprint keeps (a site is kept if either holds)."""

    min_rain_mm: float            # storm-total rain kept even without flooding (parametric rain covers), mm

    @classmethod
    def from_config(cls, values, key: str) -> "FootprintParams":
        p = section(cls, values, key)
        check(p.min_rain_mm > 0, f"{key}.min_rain_mm", f"must be > 0 mm, got {p.min_rain_mm}")
        return p


@dataclass(frozen=True)
class ClimateSensitivity:
    """Change per deg C of warming (``climate.warming_c``, relative to the calibration climate)."""

    rain_per_c: float             # event rain, compounded: (1 + rain_per_c) ** warming_c
    frequency_per_c: float        # event rate, linear: 1 + frequency_per_c * warming_c

    @classmethod
    def from_config(cls, values, key: str) -> "ClimateSensitivity":
        p = section(cls, values, key)
        check(-0.5 < p.rain_per_c < 0.5, f"{key}.rain_per_c", f"must be in (-0.5, 0.5) per deg C, got {p.rain_per_c}")
        check(-0.5 < p.frequency_per_c < 0.5, f"{key}.frequency_per_c",
              f"must be in (-0.5, 0.5) per deg C, got {p.frequency_per_c}")
        return p
