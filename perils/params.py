"""Config helpers shared by the peril modules: plain containers and errors that name the key."""
from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from engine.config import ConfigError


def plain(value: Any) -> Any:
    """OmegaConf containers -> plain Python containers (dict, list)."""
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def check(condition: bool, key: str, message: str) -> None:
    """Raise :class:`ConfigError` naming ``key`` unless ``condition``."""
    if not condition:
        raise ConfigError(f"config key '{key}': {message}")
