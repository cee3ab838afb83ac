"""Name -> implementation registries for perils and products (``kind: typhoon`` in a config).

Configs choose implementations by name, never by import string; an unknown name fails with
the list of valid ones before any work starts.
"""
from __future__ import annotations


class Registry:
    """A named set of implementations, filled by the ``register`` decorator."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, object] = {}

    def register(self, name: str):
        def add(obj):
            if name in self._items:
                raise ValueError(f"{self.what} '{name}' is registered twice")
            self._items[name] = obj
            return obj
        return add

    def get(self, name: str):
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"unknown {self.what} '{name}'; valid {self.what}s: {sorted(self._items)}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items
