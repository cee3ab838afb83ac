"""Peril modules: each turns its config and the run's sites into event-set chunks.

A peril is a small picklable object with ``name``, ``measures``, ``units`` and
``events(years, sites, peril_index, seed) -> EventSet``; it knows hazard science, not insurance.
Implementations register under a ``kind`` name; configs pick them with ``kind: <name>``.
"""
from engine.registry import Registry

PERILS = Registry("peril kind")


def climate_factor(climate, group: str, name: str, kind: str, derived: float = 1.0) -> float:
    """A peril's climate factor ``group`` (``frequency``, ``intensity`` or ``rainfall``): the
    climate config's explicit factor for the peril's name, else for its kind, else ``derived`` (what
    the peril computes from ``climate.warming_c`` and its own per-degree sensitivities)."""
    table = dict(getattr(climate, group, None) or {})
    return float(table.get(name, table.get(kind, derived)))


def build_peril(name: str, params: dict, climate):
    """The peril named ``name`` from its config dict, with the run's climate factors applied."""
    return PERILS.get(params.get("kind")).from_config(name, params, climate)


# Register the implementations (import for the side effect).
from perils.typhoon import peril as _typhoon  # noqa: E402,F401
from perils.flood import peril as _flood  # noqa: E402,F401
from perils.yellow_river import peril as _yellow_river  # noqa: E402,F401
from perils.drought import peril as _drought  # noqa: E402,F401
from perils.crop_residual import peril as _crop_residual  # noqa: E402,F401
from perils.market import garlic_price as _crop_price  # noqa: E402,F401
from perils.marine_heat import peril as _marine_heat  # noqa: E402,F401
from perils.hail_frost import peril as _hail_frost  # noqa: E402,F401
from perils.carbon_sink import peril as _carbon_sink  # noqa: E402,F401
