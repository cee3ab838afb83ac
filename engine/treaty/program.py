"""Apply a treaty program to a subject's losses: recoveries per layer, net and ceded per trial.

Subject losses (:class:`SubjectLosses`): ``trial`` int64[n] and ``loss`` float64[n] per event row,
rows ordered by trial then time, ``n_trials`` T (every simulated year x sample, loss-free ones
included). Per-risk layers (surplus, per-risk XL) also need ``risk_loss`` float64[n, R_e]-like
rows: ``risk_event`` int64[m] (row of the event), ``risk_loss`` float64[m] and ``risk_sum_insured``
float64[m].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.treaty import layers as L
from engine.treaty.spec import Treaty

EVENT_TYPES = ("quota_share", "cat_xl", "surplus", "per_risk_xl")
AGGREGATE_TYPES = ("aggregate_xl", "stop_loss")


@dataclass(frozen=True)
class SubjectLosses:
    trial: np.ndarray
    loss: np.ndarray
    n_trials: int
    risk_event: np.ndarray | None = None
    risk_loss: np.ndarray | None = None
    risk_sum_insured: np.ndarray | None = None

    def __post_init__(self):
        if self.trial.shape != self.loss.shape:
            raise ValueError("trial and loss must have the same length")
        if self.trial.size and (self.trial.min() < 0 or self.trial.max() >= self.n_trials):
            raise ValueError(f"trial ids must lie in 0..{self.n_trials - 1}")
        if np.any(~np.isfinite(self.loss)) or np.any(self.loss < 0):
            raise ValueError("subject losses must be finite and >= 0")


@dataclass(frozen=True)
class LayerResult:
    ceded_event: np.ndarray | None   # float64[n] per event row (event layers), else None
    ceded_trial: np.ndarray          # float64[T]
    reinstatement_factor: np.ndarray  # float64[T]: reinstatement premium / upfront premium


@dataclass(frozen=True)
class ProgramResult:
    layers: dict                # layer name -> LayerResult
    gross_trial: np.ndarray     # float64[T]
    net_trial: np.ndarray       # float64[T] after every layer
    gross_event: np.ndarray     # float64[n]
    net_event: np.ndarray       # float64[n] after the event layers (aggregate covers are not per event)

    @property
    def ceded_trial(self) -> np.ndarray:
        return self.gross_trial - self.net_trial


def _risk_layer(layer, subject: SubjectLosses, factor_scale: np.ndarray, n_rows: int):
    if subject.risk_loss is None:
        raise ValueError(f"layer '{layer.name}' ({layer.type}) needs per-risk losses: run with a policy or risk "
                         "key (output.keys containing 'policy') or give a risk-level loss table")
    loss = subject.risk_loss * factor_scale
    if layer.type == "surplus":
        ceded = loss * L.surplus_share(subject.risk_sum_insured, layer.retention, layer.lines)
    else:
        ceded = L.excess(loss, layer.attachment, layer.limit)
    return np.bincount(subject.risk_event, weights=ceded, minlength=n_rows)


def apply_program(treaty: Treaty, subject: SubjectLosses) -> ProgramResult:
    """Recoveries of each layer of ``treaty`` (see :mod:`engine.treaty.spec` for inuring order)."""
    L._check_sorted(subject.trial)
    T, n = subject.n_trials, subject.loss.size
    gross_event = np.asarray(subject.loss, float)
    current = gross_event.copy()          # what the next layer sees (net of inuring layers)
    current_annual = None                 # set once an aggregate layer inures
    results = {}
    event_ceded_total = np.zeros(n)
    aggregate_ceded = np.zeros(T)
    for layer in treaty.layers:
        base = current if _sees_net(treaty, layer) else gross_event
        factor = np.zeros(T)
        if layer.type in EVENT_TYPES:
            if current_annual is not None:
                raise ValueError(f"layer '{layer.name}': an event layer cannot follow an inuring aggregate layer")
            if layer.type == "quota_share":
                ceded = L.quota_share(base, layer.share, layer.event_limit)
            elif layer.type == "cat_xl":
                ceded, f = L.occurrence_xl(subject.trial, base, layer.attachment, layer.limit,
                                           layer.reinstatements, layer.aad)
                factor = L.per_trial(subject.trial, f, T)
            else:   # risk layers see each risk's loss scaled by the share of the event left to them
                scale = np.divide(base, gross_event, out=np.zeros(n), where=gross_event > 0)
                ceded = _risk_layer(layer, subject, scale[subject.risk_event] if subject.risk_event is not None else 1.0, n)
                if layer.type == "per_risk_xl" and layer.reinstatements:
                    # the annual recoveries are capped at (1 + n) limits and reinstate the limit
                    ceded, _ = L.occurrence_xl(subject.trial, ceded, 0.0, layer.annual_limit)
                    factor = _per_risk_reinstatements(subject.trial, ceded, layer, T)
            results[layer.name] = LayerResult(ceded, L.per_trial(subject.trial, ceded, T), factor)
            event_ceded_total += ceded
            if layer.inures:
                current = np.maximum(current - ceded, 0.0)
        else:
            annual = L.per_trial(subject.trial, base, T) if current_annual is None or not _sees_net(treaty, layer) \
                else current_annual
            ceded_t = L.aggregate_xl(annual, layer.attachment, layer.limit)
            results[layer.name] = LayerResult(None, ceded_t, factor)
            aggregate_ceded += ceded_t
            if layer.inures:
                current_annual = annual - ceded_t
    gross_trial = L.per_trial(subject.trial, gross_event, T)
    ceded_trial = sum(r.ceded_trial for r in results.values())
    over = ceded_trial - gross_trial > 1e-9 * np.maximum(gross_trial, 1.0)
    if np.any(over):
        t = int(np.flatnonzero(over)[0])
        raise ValueError(f"treaty '{treaty.name}': its layers cede {ceded_trial[t]:,.0f} > the gross loss "
                         f"{gross_trial[t]:,.0f} in trial {t}; make overlapping layers inure (inures: true)")
    net_trial = np.maximum(gross_trial - ceded_trial, 0.0)
    return ProgramResult(results, gross_trial, net_trial, gross_event,
                         np.maximum(gross_event - event_ceded_total, 0.0))


def _sees_net(treaty: Treaty, layer) -> bool:
    """True if an earlier layer of the program inures to ``layer``'s benefit."""
    for earlier in treaty.layers:
        if earlier is layer:
            return False
        if earlier.inures:
            return True
    return False


def _per_risk_reinstatements(trial, ceded_event, layer, T):
    """Reinstatement premium factor of a per-risk XL: the annual recoveries reinstate the limit
    as for a cat XL (premium share c_k per limit reinstated, pro rata as to amount)."""
    annual = L.per_trial(trial, ceded_event, T)
    factor = np.zeros(T)
    for k, c in enumerate(layer.reinstatements):
        factor += c * np.minimum(np.maximum(annual - k * layer.limit, 0.0), layer.limit) / layer.limit
    return factor
