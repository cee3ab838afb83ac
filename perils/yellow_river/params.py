"""The yellow_river peril's configuration: one dataclass per block of configs/peril/yellow_river.yaml,
validated once (unknown keys, missing physical values, bad choices name the key), then turned into
the frozen model pieces the simulation uses (:func:`routing_records`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from omegaconf import MISSING

from engine.config import params_from
from perils.yellow_river.hydrograph import HydrographParams
from perils.yellow_river.regulation import RegulationParams
from perils.yellow_river.routing import Fragility, Lakes, Reaches, muskingum_sub_reaches

MODES = ("stochastic", "replay")
REGIMES = ("unregulated", "regulated")
FREQUENCY_METHODS = ("sl44", "parameters")


@dataclass
class YellowRiverParams:
    mode: str = "stochastic"
    regime: str = MISSING
    frequency: dict[str, Any] = field(default_factory=dict)
    regulation: dict[str, Any] = field(default_factory=dict)
    hydrograph: dict[str, Any] = field(default_factory=dict)
    season_first_doy: int = MISSING
    season_last_doy: int = MISSING
    routing: dict[str, Any] = field(default_factory=dict)
    reaches: list[Any] = field(default_factory=list)
    dongping: dict[str, Any] = field(default_factory=dict)
    breach: dict[str, Any] = field(default_factory=dict)
    floodplain_drain_m_per_day: float = MISSING
    replay: dict[str, Any] = field(default_factory=dict)
    climate_sensitivity: dict[str, Any] = field(default_factory=dict)   # {peak_per_c}: read by the peril
    description: str = ""


@dataclass(frozen=True)
class FrequencyParams:
    method: str = "sl44"
    data: str = "huayuankou_flood_peaks.csv"
    mean_m3s: float | None = None
    cv: float | None = None
    cs: float | None = None


@dataclass(frozen=True)
class RoutingParams:
    dt_hours: float = MISSING
    travel_time_h: float = MISSING
    travel_time_factor: float = 1.0
    muskingum_x: float = MISSING
    spill_fraction: float = MISSING
    floodplain_relief_m: float = MISSING
    floodplain_freeboard_m: float = MISSING
    stage_offset_m: float = 0.0
    bankfull_depth_m: float = MISSING


@dataclass(frozen=True)
class ReachParams:
    name: str = MISSING
    length_km: float = MISSING
    dike_spacing_km: float = MISSING
    floodplain_km2: float = MISSING
    bankfull_m3s: dict[str, float] = MISSING
    design_m3s: float = MISSING


@dataclass(frozen=True)
class DongpingParams:
    reach: str = MISSING
    threshold_m3s: float = MISSING
    max_diversion_m3s: float = MISSING
    old_lake_km2: float = MISSING
    new_lake_km2: float = MISSING
    old_lake_depth_m: float = MISSING
    new_lake_depth_m: float = MISSING
    drain_m_per_day: float = MISSING


@dataclass(frozen=True)
class BreachParams:
    median_ratio: float = MISSING
    beta: float = MISSING
    flow_share: float = MISSING
    mean_depth_m: float = MISSING
    max_area_km2: float = MISSING
    breach_days: float = MISSING
    drain_m_per_day: float = MISSING


@dataclass(frozen=True)
class ReplayParams:
    peak_m3s: float = MISSING           # Huayuankou peak, m3/s
    doy: int = MISSING                  # day of year of the Huayuankou peak
    volume_m3: float | None = None   # flood volume above base flow (default: the peak-volume relation)
    time_to_peak_h: float | None = None


@dataclass(frozen=True)
class Settings:
    """All validated blocks of one yellow_river peril config."""

    mode: str
    regime: str
    frequency: FrequencyParams
    regulation: RegulationParams
    hydrograph: HydrographParams
    season_doy: tuple
    routing: RoutingParams
    reaches: tuple
    dongping: DongpingParams
    breach: BreachParams
    floodplain_drain_m_per_day: float
    replay: ReplayParams | None


def _block(schema, name: str, block: str, values) -> Any:
    if not isinstance(values, dict):
        raise TypeError(f"key peril.{name}.{block} must be a mapping, got {type(values).__name__}")
    return params_from(schema, f"{name}.{block}", dict(values), "peril block")


def _choice(value: str, choices, name: str, key: str) -> str:
    if value not in choices:
        raise ValueError(f"{key.split('.')[-1]} '{value}' is not one of {list(choices)} (key peril.{name}.{key})")
    return value


def settings_from(name: str, params: dict) -> Settings:
    """Validate a yellow_river peril config dict (``params`` as in the YAML, ``kind`` included)."""
    p = params_from(YellowRiverParams, name, params, "peril")
    mode = _choice(p.mode, MODES, name, "mode")
    regime = _choice(p.regime, REGIMES, name, "regime")
    frequency = _block(FrequencyParams, name, "frequency", p.frequency)
    _choice(frequency.method, FREQUENCY_METHODS, name, "frequency.method")
    if frequency.method == "parameters" and None in (frequency.mean_m3s, frequency.cv, frequency.cs):
        raise ValueError(f"key peril.{name}.frequency: method 'parameters' needs mean_m3s, cv and cs")
    reaches = tuple(_block(ReachParams, name, f"reaches[{i}]", r) for i, r in enumerate(p.reaches))
    if len(reaches) < 1:
        raise ValueError(f"key peril.{name}.reaches: give at least one reach")
    for i, r in enumerate(reaches):
        missing = [g for g in REGIMES if g not in r.bankfull_m3s]
        if missing:
            raise ValueError(f"key peril.{name}.reaches[{i}].bankfull_m3s needs a value for {missing}")
    dongping = _block(DongpingParams, name, "dongping", p.dongping)
    _choice(dongping.reach, [r.name for r in reaches], name, "dongping.reach")
    if not 1 <= p.season_first_doy <= p.season_last_doy <= 366:
        raise ValueError(f"keys peril.{name}.season_first_doy/season_last_doy must satisfy 1 <= first <= last <= 366")
    replay = None
    if mode == "replay":
        if not p.replay:
            raise ValueError(f"key peril.{name}.replay: mode replay needs a replay block (peak_m3s, doy)")
        replay = _block(ReplayParams, name, "replay", p.replay)
        if not 1 <= replay.doy <= 366 or replay.peak_m3s <= 0:
            raise ValueError(f"key peril.{name}.replay: doy must be 1..366 and peak_m3s > 0")
    routing = _block(RoutingParams, name, "routing", p.routing)
    if routing.stage_offset_m >= routing.bankfull_depth_m or routing.stage_offset_m < 0:
        raise ValueError(f"key peril.{name}.routing.stage_offset_m must lie in [0, bankfull_depth_m)")
    return Settings(mode, regime, frequency, _block(RegulationParams, name, "regulation", p.regulation),
                    _block(HydrographParams, name, "hydrograph", p.hydrograph),
                    (int(p.season_first_doy), int(p.season_last_doy)), routing, reaches, dongping,
                    _block(BreachParams, name, "breach", p.breach), float(p.floodplain_drain_m_per_day), replay)


def stage_factor(threshold_m3s, routing: RoutingParams, bankfull_m3s) -> np.ndarray:
    """Flow that reaches a threshold's stage once the bed has risen by ``stage_offset_m``.

    Rating Q = a h^(5/3) (wide channel, Manning), h(Q_bf) = ``bankfull_depth_m``: the stage of
    ``threshold_m3s`` is h_T = h_bf (Q_T / Q_bf)^(3/5); after the offset the same stage is reached by
    Q_T ((h_T - offset) / h_T)^(5/3). Returns that flow, m3/s.
    """
    q = np.asarray(threshold_m3s, np.float64)
    if routing.stage_offset_m == 0.0:
        return q
    h = routing.bankfull_depth_m * (q / np.asarray(bankfull_m3s, np.float64)) ** 0.6
    return q * np.clip((h - routing.stage_offset_m) / h, 0.0, 1.0) ** (5.0 / 3.0)


def routing_records(s: Settings) -> tuple[Reaches, Lakes, Fragility]:
    """The routing kernel's records for the settings' regime (travel time split by reach length)."""
    r = s.routing
    length = np.array([x.length_km for x in s.reaches])
    k_hours = r.travel_time_h * r.travel_time_factor * length / length.sum()
    subs = [muskingum_sub_reaches(k, r.muskingum_x, r.dt_hours) for k in k_hours]
    bankfull = np.array([x.bankfull_m3s[s.regime] for x in s.reaches], np.float64)
    design = np.array([x.design_m3s for x in s.reaches], np.float64)
    area_m2 = np.array([x.floodplain_km2 for x in s.reaches]) * 1e6
    capacity = area_m2 * (r.floodplain_relief_m / 2.0 + r.floodplain_freeboard_m)
    reaches = Reaches(np.array([n for n, _ in subs], np.int64), np.array([k for _, k in subs], np.float64),
                      np.full(len(subs), r.muskingum_x), stage_factor(bankfull, r, bankfull),
                      np.full(len(subs), r.spill_fraction), capacity, stage_factor(design, r, bankfull))
    d = s.dongping
    lakes = Lakes(int([x.name for x in s.reaches].index(d.reach)), float(d.threshold_m3s), float(d.max_diversion_m3s),
                  np.array([d.old_lake_km2 * 1e6 * d.old_lake_depth_m, d.new_lake_km2 * 1e6 * d.new_lake_depth_m]))
    b = s.breach
    if not (b.median_ratio > 0 and b.beta > 0 and 0 < b.flow_share < 1):
        raise ValueError("breach: median_ratio and beta must be > 0 and flow_share in (0, 1)")
    return reaches, lakes, Fragility(float(b.median_ratio), float(b.beta), float(b.flow_share))


def total_travel_hours(s: Settings) -> float:
    return s.routing.travel_time_h * s.routing.travel_time_factor


def steps_for(duration_h: float, s: Settings) -> int:
    """Number of routing steps: the wave, plus 2.5 travel times for it to pass Lijin."""
    return math.ceil((duration_h + 2.5 * total_travel_hours(s)) / s.routing.dt_hours) + 1
