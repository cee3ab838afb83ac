"""Carbon parameters: frozen dataclasses built from ``configs/carbon/*.yaml``, validated once.

One YAML file per module (``growth``, ``price``, ``hazards``, ``products``); each is read with
:func:`load_config` into a plain mapping and turned into frozen parameter objects by the
``*_params`` builders of the modules. Physical values have no default in code: a missing key, an
unknown key or a value out of range raises :class:`engine.config.ConfigError` naming the full key
(``carbon.growth.forest.poplar.growth_rate_per_year``). Values and their sources live in the YAML.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from engine.config import CONFIG_DIR, ConfigError

#: Folder of the carbon config files.
CARBON_CONFIG_DIR = CONFIG_DIR / "carbon"


def check(condition: bool, key: str, message: str) -> None:
    """Raise :class:`ConfigError` naming ``key`` unless ``condition``."""
    if not condition:
        raise ConfigError(f"config key '{key}': {message}")


def plain(value: Any) -> Any:
    """OmegaConf containers -> plain Python containers (resolved)."""
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def load_config(name: str, path: str | Path | None = None) -> dict:
    """Read ``configs/carbon/<name>.yaml`` (or ``path``) into a plain dict."""
    file = Path(path) if path is not None else CARBON_CONFIG_DIR / f"{name}.yaml"
    if not file.is_file():
        raise ConfigError(f"carbon config '{name}': file {file} not found")
    return plain(OmegaConf.load(file))


def mapping(values: Any, key: str, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict:
    """Check that ``values`` is a mapping with exactly the ``required`` keys (plus ``optional`` ones)."""
    values = plain(values)
    check(isinstance(values, dict), key, f"must be a mapping, got {type(values).__name__}")
    required, optional = list(required), list(optional)
    if required or optional:
        known = set(required) | set(optional)
        unknown = sorted(set(values) - known)
        check(not unknown, key, f"unknown key(s) {unknown}; valid keys: {sorted(known)}")
        missing = [k for k in required if k not in values or values[k] is None or values[k] == "???"]
        if missing:
            also = f" (also missing: {missing[1:]})" if len(missing) > 1 else ""
            check(False, f"{key}.{missing[0]}", f"is required (no default for physical values){also}")
    return values


def number(values: dict, key: str, name: str, low: float = -math.inf, high: float = math.inf,
           closed: str = "[]") -> float:
    """``values[name]`` as a finite float inside the interval ``low..high`` (``closed`` e.g. ``"(]"``)."""
    full = f"{key}.{name}"
    value = values.get(name)
    check(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), full,
          f"must be a finite number, got {value!r}")
    value = float(value)
    ok = (value >= low if closed[0] == "[" else value > low) and (value <= high if closed[1] == "]" else value < high)
    check(ok, full, f"must lie in {closed[0]}{low}, {high}{closed[1]}, got {value}")
    return value


def choice(values: dict, key: str, name: str, options: Iterable[str]) -> str:
    """``values[name]`` as one of ``options``."""
    options = tuple(options)
    value = values.get(name)
    check(value in options, f"{key}.{name}", f"'{value}' is not one of {list(options)}")
    return str(value)


def number_list(values: dict, key: str, name: str, low: float = -math.inf, high: float = math.inf) -> tuple:
    """``values[name]`` as a non-empty tuple of finite floats inside ``[low, high]``."""
    full = f"{key}.{name}"
    seq = values.get(name)
    check(isinstance(seq, (list, tuple)) and len(seq) > 0, full, f"must be a non-empty list of numbers, got {seq!r}")
    out = []
    for i, v in enumerate(seq):
        check(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and low <= v <= high,
              f"{full}[{i}]", f"must be a finite number in [{low}, {high}], got {v!r}")
        out.append(float(v))
    return tuple(out)
