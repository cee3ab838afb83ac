"""Products: how a risk's damage becomes an indemnity, chosen by ``kind`` from a registry.

A product config names its kind and the asset classes it covers::

    cat_property:
      kind: cat_property
      classes: [residential, commercial, industrial]

The basis decides when terms apply:

* ``occurrence`` — each event on its own (catastrophe property covers); OEP is meaningful;
* ``season`` — a crop's season damage ``1 - prod(1 - d_i)`` over the year's events, terms on
  the season loss, the indemnity allocated back to events by their damage (crop yield covers).

Later issues add product kinds (full-cost crop rules, parametric, carbon) by registering here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from engine.config import params_from
from engine.registry import Registry

PRODUCTS = Registry("product kind")
BASES = ("occurrence", "season")


@dataclass(frozen=True)
class Product:
    """A configured product: its name, kind, covered asset classes and loss basis."""

    name: str
    kind: str
    basis: str
    classes: tuple
    description: str = ""


@dataclass
class ProductParams:
    classes: List[str]
    description: str = ""
    label: str = field(default="")


def _simple_kind(kind: str, basis: str):
    assert basis in BASES

    def build(name: str, params: dict) -> Product:
        p = params_from(ProductParams, name, params, "product")
        if not p.classes:
            raise ValueError("'classes' must list at least one asset class")
        return Product(name, kind, basis, tuple(p.classes), p.description or p.label)
    PRODUCTS.register(kind)(build)


_simple_kind("cat_property", "occurrence")   # property catastrophe cover, per event
_simple_kind("forest_damage", "occurrence")  # forest windthrow / damage cover, per event
_simple_kind("crop_yield", "season")         # crop yield cover, per season


def build_product(name: str, params: dict) -> Product:
    """The product named ``name`` from its config dict (``kind`` picks the implementation)."""
    if "/" in name:
        raise ValueError("product names may not contain '/' (it separates aggregation keys)")
    return PRODUCTS.get(params.get("kind"))(name, params)
