"""Shared helpers of the drought tests (config from the shipped YAML, small site sets)."""
import copy
from types import SimpleNamespace

import numpy as np
import yaml

from engine.config import PROJECT_ROOT
from engine.portfolio import Sites
from perils.drought.normals import load_county_climate

with open(PROJECT_ROOT / "configs" / "peril" / "drought.yaml", encoding="utf-8") as handle:
    SHIPPED = yaml.safe_load(handle)["drought"]


def config(**changes) -> dict:
    """The shipped drought config with a short reference period (tests) and ``changes`` applied
    (``section__key=value`` sets a nested key)."""
    cfg = copy.deepcopy(SHIPPED)
    cfg["indices"]["reference_years"] = 400
    for name, value in changes.items():
        if "__" in name:
            sec, key = name.split("__", 1)
            cfg[sec][key] = value
        else:
            cfg[name] = value
    return cfg


def climate(warming_c=0.0, **factors):
    return SimpleNamespace(warming_c=warming_c, frequency={}, intensity=factors.get("intensity", {}),
                           rainfall=factors.get("rainfall", {}))


def county_sites(copies: int = 2) -> Sites:
    """``copies`` sites per county at the county seat (plus a small offset), ordered by county then copy."""
    c = load_county_climate()
    lon = np.repeat(c.lon, copies) + np.tile(np.arange(copies) * 0.01, c.n_counties)
    lat = np.repeat(c.lat, copies)
    return Sites(lon, lat, np.repeat(c.adcode, copies))
