"""Routing the Huayuankou wave down the lower Yellow River, reach by reach, conserving volume.

Nodes (stations) ``0..R``: Huayuankou, Gaocun, Sunkou, Aishan, Lijin; reach r joins node r to
node r+1. In each reach, in this order, the reach's inflow hydrograph I(t) (m3/s, step dt):

1. **dike breach** (at most one per event, upstream reaches first): with the pre-drawn uniform
   u_r, the reach breaches if u_r < F(peak I / design flow) (:mod:`perils.yellow_river.breach`);
   from the step of the peak on, ``flow_share`` of the flow leaves through the breach;
2. **Dongping Lake** (the reach whose index is ``lake_reach``): the flow above ``threshold``
   (10,000 m3/s at Sunkou [S]) is diverted, at most ``max_diversion``, into the old lake until it is
   full, then the new lake;
3. **floodplain (滩区) storage**: while I > bankfull, ``spill_fraction`` of the excess goes to storage
   on the floodplain until the reach's floodplain capacity is used; it stays there (held by
   production dikes and low ground) and drains after the event;
4. **Muskingum** routing through ``n_sub`` equal sub-reaches (K = K_sub, X): with dt between 2KX and
   2K(1-X) every coefficient is >= 0, so the outflow never exceeds the largest inflow so far.

Volumes use the rectangle rule (rate x dt). Muskingum continuity, summed over the event, gives
dt sum(I - O) = G_end - G_start with G = sum_k [S_k + dt/2 (I_k - O_k)], S_k = K (X I_k + (1-X) O_k):
so inflow = outflow + breach + lakes + floodplain + channel-storage change holds to rounding, and
the channel storage left at the end (a wave not fully through at the last step) is reported.
"""
from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from engine.jit import kernel
from perils.yellow_river.breach import breach_probability

#: Per-reach arrays (R reaches): int64 ``n_sub``; float64 ``k_sub_h`` (h), ``x``, ``bankfull_m3s``,
#: ``spill_fraction``, ``floodplain_capacity_m3``, ``design_m3s``.
Reaches = namedtuple("Reaches", "n_sub k_sub_h x bankfull_m3s spill_fraction floodplain_capacity_m3 design_m3s")
#: Dongping Lake: int64 ``reach`` (diversion at this reach's inflow, -1: none), float64 ``threshold_m3s``,
#: ``max_diversion_m3s``, float64[2] ``capacity_m3`` (old lake, new lake).
Lakes = namedtuple("Lakes", "reach threshold_m3s max_diversion_m3s capacity_m3")
#: Breach fragility: float64 ``median_ratio``, ``beta`` (lognormal), ``flow_share``.
Fragility = namedtuple("Fragility", "median_ratio beta flow_share")
#: Caller-allocated results: ``flow`` float64[R+1, T] (m3/s at the nodes); float64[R] ``floodplain_m3``,
#: ``over_bankfull_h``, ``channel_m3`` (storage change); float64[2] ``lake_m3``; int64[2]
#: ``lake_start`` (first step, -1); int64[2] ``breach`` (reach, step; -1); float64[1] ``breach_m3``.
EventState = namedtuple("EventState", "flow floodplain_m3 over_bankfull_h channel_m3 lake_m3 lake_start breach breach_m3")


@kernel
def route_event(inflow, dt_h, reaches, lakes, fragility, breach_u, out):
    """Route one event; fills ``out`` (an :data:`EventState` of zeros, -1 for the int fields).

    Parameters
    ----------
    inflow : float64[T]
        Huayuankou discharge, m3/s, steady (base flow) at step 0.
    dt_h : float
        Time step, hours.
    reaches, lakes, fragility : records (see module attributes)
    breach_u : float64[R]
        Uniform draws in (0, 1), one per reach, for the breach decision.
    """
    n_reach = reaches.n_sub.size
    n_t = inflow.size
    dt_s = dt_h * 3600.0
    out.flow[0, :] = inflow
    channel = np.empty(n_t)
    for r in range(n_reach):
        channel[:] = out.flow[r, :]
        if out.breach[0] < 0:
            t_peak = int(np.argmax(channel))
            p = breach_probability(channel[t_peak] / reaches.design_m3s[r], fragility.median_ratio, fragility.beta)
            if breach_u[r] < p:
                out.breach[0] = r
                out.breach[1] = t_peak
                for t in range(t_peak, n_t):
                    lost = fragility.flow_share * channel[t]
                    channel[t] -= lost
                    out.breach_m3[0] += lost * dt_s
        if r == lakes.reach:
            for t in range(n_t):
                want = min(max(channel[t] - lakes.threshold_m3s, 0.0), lakes.max_diversion_m3s)
                for lake in range(2):
                    if want <= 0.0:
                        break
                    take = min(want, (lakes.capacity_m3[lake] - out.lake_m3[lake]) / dt_s)
                    if take > 0.0:
                        if out.lake_start[lake] < 0:
                            out.lake_start[lake] = t
                        out.lake_m3[lake] += take * dt_s
                        channel[t] -= take
                        want -= take
        for t in range(n_t):
            over = channel[t] - reaches.bankfull_m3s[r]
            if over > 0.0:
                out.over_bankfull_h[r] += dt_h
                spill = min(reaches.spill_fraction[r] * over,
                            (reaches.floodplain_capacity_m3[r] - out.floodplain_m3[r]) / dt_s)
                if spill > 0.0:
                    out.floodplain_m3[r] += spill * dt_s
                    channel[t] -= spill
        k, x = reaches.k_sub_h[r], reaches.x[r]
        denom = 2.0 * k * (1.0 - x) + dt_h
        c0 = (dt_h - 2.0 * k * x) / denom
        c1 = (dt_h + 2.0 * k * x) / denom
        c2 = (2.0 * k * (1.0 - x) - dt_h) / denom
        start_storage = 0.0
        end_storage = 0.0
        for _ in range(reaches.n_sub[r]):
            start_storage += k * channel[0] * 3600.0   # steady start: I = O, G = S = K I
            upstream_prev = channel[0]
            down_prev = channel[0]
            for t in range(1, n_t):
                down = c0 * channel[t] + c1 * upstream_prev + c2 * down_prev
                upstream_prev = channel[t]
                channel[t - 1] = down_prev
                down_prev = down
            end_storage += (k * (x * upstream_prev + (1.0 - x) * down_prev) + dt_h / 2.0 * (upstream_prev - down_prev)) * 3600.0
            channel[n_t - 1] = down_prev
        out.channel_m3[r] = end_storage - start_storage
        out.flow[r + 1, :] = channel


def muskingum_sub_reaches(k_hours: float, x: float, dt_hours: float) -> tuple[int, float]:
    """(n_sub, K_sub h): the fewest equal sub-reaches with 2 K_sub X <= dt <= 2 K_sub (1 - X)."""
    if not 0.0 <= x < 0.5:
        raise ValueError(f"Muskingum X must lie in [0, 0.5), got {x}")
    n = max(1, math.ceil(2.0 * k_hours * x / dt_hours - 1e-12))
    k_sub = k_hours / n
    if dt_hours > 2.0 * k_sub * (1.0 - x) + 1e-12:
        raise ValueError(f"reach travel time {k_hours:.2f} h is too short for a {dt_hours} h step "
                         "(Muskingum needs dt <= 2 K (1 - X)); use a smaller routing.dt_hours")
    return n, k_sub


@dataclass(frozen=True)
class RoutedEvent:
    """One routed event: node hydrographs and where the water went (volumes m3)."""

    flow: np.ndarray            # float64[R+1, T], m3/s
    dt_hours: float
    floodplain_m3: np.ndarray   # float64[R]
    over_bankfull_h: np.ndarray  # float64[R]
    channel_m3: np.ndarray      # float64[R]: channel storage change (left in the channel at the end)
    lake_m3: np.ndarray         # float64[2]: old lake, new lake
    lake_start_h: np.ndarray    # float64[2]: hours from the start of the event (NaN: not used)
    breach_reach: int           # -1: none
    breach_start_h: float       # NaN: none
    breach_m3: float

    @property
    def peaks(self) -> np.ndarray:
        """float64[R+1]: peak discharge at each node, m3/s."""
        return self.flow.max(axis=1)

    def balance(self) -> dict:
        """Volumes (m3): inflow at the first node and where it went; ``residual`` = what is missing."""
        dt_s = self.dt_hours * 3600.0
        parts = {"inflow": float(self.flow[0].sum() * dt_s), "outflow": float(self.flow[-1].sum() * dt_s),
                 "floodplain": float(self.floodplain_m3.sum()), "dongping": float(self.lake_m3.sum()),
                 "breach": float(self.breach_m3), "channel_storage": float(self.channel_m3.sum())}
        parts["residual"] = parts["inflow"] - sum(v for k, v in parts.items() if k != "inflow")
        return parts


def route(inflow, dt_hours: float, reaches: Reaches, lakes: Lakes, fragility: Fragility, breach_u) -> RoutedEvent:
    """Route one Huayuankou hydrograph (float64[T], m3/s) with breach uniforms float64[R]."""
    inflow = np.ascontiguousarray(inflow, np.float64)
    n_reach = reaches.n_sub.size
    state = EventState(np.zeros((n_reach + 1, inflow.size)), np.zeros(n_reach), np.zeros(n_reach),
                       np.zeros(n_reach), np.zeros(2), np.full(2, -1, np.int64), np.full(2, -1, np.int64),
                       np.zeros(1))
    route_event(inflow, float(dt_hours), reaches, lakes, fragility, np.ascontiguousarray(breach_u, np.float64), state)
    start = np.where(state.lake_start >= 0, state.lake_start * dt_hours, np.nan)
    return RoutedEvent(state.flow, dt_hours, state.floodplain_m3, state.over_bankfull_h, state.channel_m3,
                       state.lake_m3, start, int(state.breach[0]),
                       float(state.breach[1] * dt_hours) if state.breach[0] >= 0 else float("nan"),
                       float(state.breach_m3[0]))
