"""Products: how a risk's damage becomes an indemnity, chosen by ``kind`` from a registry.

A product config names its kind and the asset classes it covers::

    cat_property:
      kind: cat_property
      classes: [residential, commercial, industrial]

The basis decides when terms apply:

* ``occurrence`` — each event on its own (catastrophe property covers); OEP is meaningful;
* ``season`` — a crop's season damage ``1 - prod(1 - d_i)`` over the year's events, terms on
  the season loss, the indemnity allocated back to events by their damage (crop yield covers).

* ``index`` — a parametric cover: pays a share of the limit by the grade of a hazard index at the
  risk's site (e.g. the 3-s gust), with no loss adjustment (:class:`IndexSchedule`); the run also
  reports its basis risk against the modelled indemnity of the same risk (engine/basis_risk.py).
* ``carbon`` — a carbon-sink cover (forest or blue-carbon plot): the year's tCO2e lost to every
  peril, valued at the year's carbon price, with the cover's terms on the annual total
  (:class:`CarbonCover`, engine/carbon/losses.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from omegaconf import MISSING

from engine.config import params_from
from engine.registry import Registry

PRODUCTS = Registry("product kind")
BASES = ("occurrence", "season", "index", "carbon")


@dataclass(frozen=True)
class IndexSchedule:
    """Graded payout of a parametric cover: share of the limit paid per event by index level.

    ``thresholds`` float64[J] strictly increasing index levels (unit of ``measure``) and ``shares``
    float64[J] non-decreasing in (0, 1]: an index x pays ``shares[j]`` for the largest j with
    ``thresholds[j] <= x``, nothing below ``thresholds[0]``.
    """

    measure: str
    thresholds: np.ndarray
    shares: np.ndarray
    perils: tuple = ()   # peril kinds whose events count (empty: any peril that measures the index)
    linear: bool = False  # True: share = min(index x shares[0], 1) above thresholds[0] (a continuous payout)

    def __post_init__(self):
        t, s = np.asarray(self.thresholds, float), np.asarray(self.shares, float)
        if t.ndim != 1 or t.size == 0 or t.size != s.size:
            raise ValueError("index.grades must list [level, share] pairs, e.g. [[24.5, 0.25], [32.7, 1.0]]")
        if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0) or t[0] < 0:
            raise ValueError(f"index.grades levels must be >= 0 and strictly increasing, got {t.tolist()}")
        if np.any(s <= 0) or np.any(s > 1) or np.any(np.diff(s) < 0):
            raise ValueError(f"index.grades shares must be in (0, 1] and non-decreasing, got {s.tolist()}")

    def share(self, x) -> np.ndarray:
        """Share of the limit paid at index values ``x`` (float64, same shape)."""
        x = np.asarray(x, float)
        if self.linear:
            return np.where(x >= self.thresholds[0], np.minimum(x * self.shares[0], 1.0), 0.0)
        j = np.searchsorted(self.thresholds, x, side="right") - 1
        return np.where(j >= 0, np.asarray(self.shares)[np.maximum(j, 0)], 0.0)


@dataclass(frozen=True)
class Product:
    """A configured product: its name, kind, covered asset classes and loss basis."""

    name: str
    kind: str
    basis: str
    classes: tuple
    description: str = ""
    index: Optional[IndexSchedule] = None   # parametric covers only
    experience: Optional[dict] = None       # claims-experience settings (qilu-price)
    crop_rules: Optional["CropRules"] = None  # full-cost insurance rules (kind full_cost)
    carbon: Optional["CarbonCover"] = None    # carbon-sink covers (basis carbon)


@dataclass
class ProductParams:
    classes: List[str]
    description: str = ""
    label: str = field(default="")
    # claims experience for pricing a new product from little data (qilu-price; engine/experience)
    experience: dict = field(default_factory=dict)


def _simple_kind(kind: str, basis: str):
    assert basis in BASES

    def build(name: str, params: dict) -> Product:
        p = params_from(ProductParams, name, params, "product")
        if not p.classes:
            raise ValueError("'classes' must list at least one asset class")
        return Product(name, kind, basis, tuple(p.classes), p.description or p.label, None, dict(p.experience) or None)
    PRODUCTS.register(kind)(build)


_simple_kind("cat_property", "occurrence")   # property catastrophe cover, per event
_simple_kind("forest_damage", "occurrence")  # forest windthrow / damage cover, per event
_simple_kind("crop_yield", "season")         # crop yield cover, per season


@dataclass
class IndexProductParams:
    classes: List[str]                 # the physical asset class of each covered risk (for basis risk)
    index: dict                        # {measure: wind_gust, grades: [[level, share], ...]}
    description: str = ""


@PRODUCTS.register("parametric_index")
def _parametric_index(name: str, params: dict) -> Product:
    p = params_from(IndexProductParams, name, params, "product")
    if not p.classes:
        raise ValueError("'classes' must list at least one asset class")
    index = dict(p.index)
    unknown = sorted(set(index) - {"measure", "grades", "perils", "linear"})
    if unknown or "measure" not in index or "grades" not in index:
        raise ValueError(f"index needs 'measure' and 'grades' and may list 'perils' and 'linear' (got {sorted(index)})")
    grades = [list(g) for g in index["grades"]]
    if any(len(g) != 2 for g in grades):
        raise ValueError("index.grades must list [level, share] pairs, e.g. [[24.5, 0.25], [32.7, 1.0]]")
    schedule = IndexSchedule(str(index["measure"]), np.array([g[0] for g in grades], float),
                             np.array([g[1] for g in grades], float), tuple(str(k) for k in index.get("perils") or ()),
                             bool(index.get("linear", False)))
    if schedule.linear and len(grades) != 1:
        raise ValueError("a linear index takes one grade [trigger level, payout per unit of index]")
    return Product(name, "parametric_index", "index", tuple(p.classes), p.description, schedule)


SUBSIDY_PARTS = ("central", "provincial", "county", "farmer")


@dataclass(frozen=True)
class CropRules:
    """Full-cost insurance rules (Shandong): a season loss rate below ``trigger`` pays nothing, at or
    above ``total_loss`` it counts as a total loss (1); the indemnity is sum insured x stage cap x loss
    rate, the cap being the share of the sum insured at stake in the growth stage of the last loss
    (``stage_caps[class]``: (start_doy, end_doy, cap) rows). ``subsidy``: premium shares paid by the
    central, provincial and city/county governments and the farmer (they add up to 1)."""

    trigger: float
    total_loss: float
    stage_caps: dict
    subsidy: dict

    def cap_by_day(self, asset_class: str) -> np.ndarray:
        """float64[367]: the cap on each day of year (1 outside the listed stages; index 0 unused)."""
        caps = np.ones(367)
        for start, end, cap in self.stage_caps.get(asset_class, ()):
            caps[int(start):int(end) + 1] = float(cap)
        return caps


@dataclass
class FullCostParams:
    classes: List[str]
    trigger: float = MISSING
    total_loss: float = MISSING
    stage_caps: dict = field(default_factory=dict)
    subsidy: dict = field(default_factory=dict)
    description: str = ""
    experience: dict = field(default_factory=dict)


@PRODUCTS.register("full_cost")
def _full_cost(name: str, params: dict) -> Product:
    p = params_from(FullCostParams, name, params, "product")
    if not p.classes:
        raise ValueError("'classes' must list at least one asset class")
    if not 0.0 <= p.trigger < p.total_loss <= 1.0:
        raise ValueError(f"needs 0 <= trigger < total_loss <= 1, got trigger {p.trigger}, total_loss {p.total_loss}")
    caps = {}
    for cls, rows in dict(p.stage_caps).items():
        if cls not in p.classes:
            raise ValueError(f"stage_caps.{cls}: not one of the product's classes {list(p.classes)}")
        rows = [list(r) for r in rows]
        for r in rows:
            if len(r) != 3 or not (1 <= r[0] <= r[1] <= 366) or not 0 < r[2] <= 1:
                raise ValueError(f"stage_caps.{cls}: rows are [start_doy, end_doy, cap] with 1 <= start <= end <= 366 "
                                 f"and cap in (0, 1], got {r}")
        caps[cls] = tuple(tuple(r) for r in rows)
    subsidy = {k: float(v) for k, v in dict(p.subsidy).items()}
    if subsidy:
        unknown = sorted(set(subsidy) - set(SUBSIDY_PARTS))
        if unknown or abs(sum(subsidy.values()) - 1.0) > 1e-9 or min(subsidy.values()) < 0:
            raise ValueError(f"subsidy: shares of {list(SUBSIDY_PARTS)}, each >= 0, adding up to 1; got {subsidy}")
    return Product(name, "full_cost", "season", tuple(p.classes), p.description, None, dict(p.experience) or None,
                   CropRules(float(p.trigger), float(p.total_loss), caps, subsidy))


CARBON_COVERS = {"carbon_sink_value": "value", "carbon_sink_index": "index", "carbon_delivery": "delivery"}


@dataclass(frozen=True)
class CarbonCover:
    """Terms of a carbon-sink cover beyond the risk's own (deductible and limit in CNY, per year).

    * ``value``: indemnity ``min(max(tCO2e lost x price - deductible, 0), limit)``;
    * ``index``: ``limit x share(sequestration-loss index)`` by the graded ``index`` table;
    * ``delivery``: ``min(max(contracted - delivered - retention_share x contracted, 0) x price, limit)``.
    """

    cover: str
    index: Optional[IndexSchedule] = None
    retention_share: float = 0.0


@dataclass
class CarbonProductParams:
    classes: List[str]
    description: str = ""
    grades: Optional[List] = None            # sink index: [[index level, share], ...] (default products.yaml)
    retention_share: Optional[float] = None  # delivery: share of contracted credits the buyer keeps


def _carbon_kind(kind: str):
    cover = CARBON_COVERS[kind]

    def build(name: str, params: dict) -> Product:
        from engine.carbon.products import load_terms

        p = params_from(CarbonProductParams, name, params, "product")
        if not p.classes:
            raise ValueError("'classes' must list at least one asset class (forest, blue_carbon)")
        if p.grades is not None and cover != "index":
            raise ValueError(f"'grades' is a term of carbon_sink_index covers, not of {kind}")
        if p.retention_share is not None and cover != "delivery":
            raise ValueError(f"'retention_share' is a term of carbon_delivery covers, not of {kind}")
        defaults = load_terms()
        index = None
        if cover == "index":
            index = defaults.index
            if p.grades is not None:
                grades = [list(g) for g in p.grades]
                if not grades or any(len(g) != 2 for g in grades):
                    raise ValueError("grades must list [index level, share] pairs, e.g. [[0.15, 0.2], [0.8, 1.0]]")
                index = IndexSchedule(index.measure, np.array([g[0] for g in grades], float),
                                      np.array([g[1] for g in grades], float))
                if index.thresholds[-1] > 1:
                    raise ValueError(f"grades: index levels are shares of sequestration lost, <= 1; got "
                                     f"{index.thresholds.tolist()}")
        retention = defaults.retention_share if p.retention_share is None else float(p.retention_share)
        if not 0.0 <= retention < 1.0:
            raise ValueError(f"retention_share must be in [0, 1), got {retention}")
        return Product(name, kind, "carbon", tuple(p.classes), p.description, None, None, None,
                       CarbonCover(cover, index, retention if cover == "delivery" else 0.0))
    PRODUCTS.register(kind)(build)


for _kind in CARBON_COVERS:
    _carbon_kind(_kind)


def build_product(name: str, params: dict) -> Product:
    """The product named ``name`` from its config dict (``kind`` picks the implementation)."""
    if "/" in name:
        raise ValueError("product names may not contain '/' (it separates aggregation keys)")
    return PRODUCTS.get(params.get("kind"))(name, params)
