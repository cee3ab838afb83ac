"""Treaty configs: a program of layers on a subject loss, validated into frozen objects.

A ``treaty`` config (configs/treaty/<name>.yaml)::

    cat_xl_tower:
      subject: portfolio          # the key whose losses the treaty covers (portfolio, product/<name>, ...)
      layers:
        - {name: L1, type: cat_xl, attachment: 5.0e8, limit: 5.0e8, reinstatements: [1.0]}
        - {name: L2, type: cat_xl, attachment: 1.0e9, limit: 1.0e9, reinstatements: [1.0]}
        - {name: SL, type: stop_loss, attachment: 2.0e9, limit: 1.0e9}

Layer types and their keys (CNY unless stated):

=================  =================================================================================
type               keys
=================  =================================================================================
quota_share        share (0..1), event_limit (optional)
surplus            retention, lines (per risk: needs risk-level losses and sums insured)
per_risk_xl        attachment, limit, reinstatements (optional)
cat_xl             attachment, limit, reinstatements ([premium share per reinstatement]), aad
aggregate_xl       attachment, limit (on the annual aggregate)
stop_loss          attachment, limit (annual aggregate), or attachment_ratio/limit_ratio x premium_income
=================  =================================================================================

Layers of a program apply in order on the loss **net of the layers before them** when
``inures: true`` (e.g. a quota share inuring to a cat XL); otherwise each sees the gross subject.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import math

TYPES = ("quota_share", "surplus", "per_risk_xl", "cat_xl", "aggregate_xl", "stop_loss")
KEYS = {"quota_share": {"share", "event_limit"}, "surplus": {"retention", "lines"},
        "per_risk_xl": {"attachment", "limit", "reinstatements"},
        "cat_xl": {"attachment", "limit", "reinstatements", "aad"},
        "aggregate_xl": {"attachment", "limit"},
        "stop_loss": {"attachment", "limit", "attachment_ratio", "limit_ratio", "premium_income"}}
COMMON = {"name", "type", "inures"}


@dataclass(frozen=True)
class Layer:
    name: str
    type: str
    attachment: float = 0.0
    limit: float = math.inf
    share: float = 1.0
    event_limit: float = math.inf
    retention: float = 0.0
    lines: float = 0.0
    reinstatements: tuple = ()
    aad: float = 0.0
    inures: bool = False

    @property
    def annual_limit(self) -> float:
        """Most the layer pays in a year (CNY)."""
        if self.type in ("cat_xl", "per_risk_xl"):
            return (1 + len(self.reinstatements)) * self.limit
        return self.limit


@dataclass(frozen=True)
class Treaty:
    name: str
    subject: str
    layers: tuple = field(default_factory=tuple)
    description: str = ""


def _number(where, key, value, minimum=0.0, strict=False):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}.{key}: {value!r} is not a number") from None
    if not (x > minimum if strict else x >= minimum) or math.isnan(x):
        raise ValueError(f"{where}.{key}: must be {'>' if strict else '>='} {minimum:g}, got {x:g}")
    return x


def parse_layer(where: str, spec: dict) -> Layer:
    """One layer from its config dict; errors name ``where`` (e.g. ``treaty.layers[1]``) and the key."""
    spec = dict(spec)
    kind = spec.get("type")
    if kind not in TYPES:
        raise ValueError(f"{where}.type: unknown layer type {kind!r}; valid types: {list(TYPES)}")
    unknown = sorted(set(spec) - KEYS[kind] - COMMON)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown} for a {kind} layer; valid: {sorted(KEYS[kind] | COMMON)}")
    out = {"name": str(spec.get("name", where)), "type": kind, "inures": bool(spec.get("inures", False))}
    if kind == "quota_share":
        out["share"] = _number(where, "share", spec.get("share"))
        if out["share"] > 1:
            raise ValueError(f"{where}.share: must be in [0, 1], got {out['share']:g}")
        out["event_limit"] = _number(where, "event_limit", spec.get("event_limit", math.inf), strict=True)
    elif kind == "surplus":
        out["retention"] = _number(where, "retention", spec.get("retention"), strict=True)
        out["lines"] = _number(where, "lines", spec.get("lines"))
    elif kind == "stop_loss" and "attachment_ratio" in spec:
        income = _number(where, "premium_income", spec.get("premium_income"), strict=True)
        out["attachment"] = income * _number(where, "attachment_ratio", spec["attachment_ratio"])
        out["limit"] = income * _number(where, "limit_ratio", spec.get("limit_ratio"), strict=True)
    else:
        for key in ("attachment", "limit"):
            if key not in spec:
                raise ValueError(f"{where}.{key}: required for a {kind} layer")
        out["attachment"] = _number(where, "attachment", spec["attachment"])
        out["limit"] = _number(where, "limit", spec["limit"], strict=True)
        if kind in ("cat_xl", "per_risk_xl"):
            reinst = spec.get("reinstatements", []) or []
            out["reinstatements"] = tuple(_number(where, f"reinstatements[{i}]", c) for i, c in enumerate(reinst))
        if kind == "cat_xl":
            out["aad"] = _number(where, "aad", spec.get("aad", 0.0))
    return Layer(**out)


def parse_treaty(name: str, spec: dict) -> Treaty:
    """A treaty program from its config dict (see the module docstring)."""
    spec = dict(spec)
    unknown = sorted(set(spec) - {"subject", "layers", "description"})
    if unknown:
        raise ValueError(f"treaty.{name}: unknown key(s) {unknown}; valid: ['description', 'layers', 'subject']")
    layers = spec.get("layers") or []
    if not layers:
        raise ValueError(f"treaty.{name}.layers: give at least one layer")
    parsed = tuple(parse_layer(f"treaty.{name}.layers[{i}]", layer) for i, layer in enumerate(layers))
    names = [layer.name for layer in parsed]
    if len(set(names)) != len(names):
        raise ValueError(f"treaty.{name}.layers: layer names must be unique, got {names}")
    return Treaty(name, str(spec.get("subject", "portfolio")), parsed, str(spec.get("description", "")))
