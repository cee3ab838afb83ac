"""Carbon-sink exposure: forest plots and blue-carbon plots -> carbon stock and annual sequestration.

Forest plots carry a species group, a stand age (years) and an area (mu). Stem volume follows a
Chapman-Richards curve per group and is converted to carbon with the IPCC volume method::

    V(t)  = A (1 - exp(-k t))^p                                     [m3/ha]
    dV/dt = A p k exp(-k t) (1 - exp(-k t))^(p - 1)                 [m3/ha/yr]
    stock = V * D * BEF * (1 + R) * CF * 44/12 / 15                 [tCO2e/mu]

with ``D`` the wood basic density (t/m3), ``BEF`` the biomass expansion factor (stem -> above
ground), ``R`` the root:shoot ratio, ``CF`` the carbon fraction of dry matter, 44/12 tCO2 per tC and
15 mu per ha. Annual sequestration is the derivative of the stock (an instantaneous rate at the
given age); :func:`annual_increment_per_mu` gives the finite one-year change instead.

Blue-carbon plots (shellfish, seaweed, seagrass) have no insured standing stock: their
sequestration is a rate per mu per year (harvest removal or burial), independent of age.

Plots are parallel arrays of length ``R``: ``group: str[R]`` (group names) or ``int[R]`` (codes
from :meth:`GrowthParams.forest_codes`), ``age: float64[R]`` (years), ``area_mu: float64[R]``.
Parameters and their sources: ``configs/carbon/growth.yaml``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from engine.carbon.params import check, load_config, mapping, number

#: tCO2 per tC (molar masses of CO2 and C).
CO2_PER_C = 44.0 / 12.0
#: mu per hectare (1 mu = 666.7 m2).
MU_PER_HA = 15.0


@dataclass(frozen=True)
class ForestGroup:
    """Growth and carbon-conversion parameters of one forest species group.

    Attributes
    ----------
    name : str
        Group name (``poplar``, ``robinia``, ...).
    volume_max_m3_per_ha : float
        Asymptotic stand stem volume ``A`` (m3/ha).
    growth_rate_per_year : float
        Chapman-Richards rate ``k`` (1/yr).
    shape : float
        Chapman-Richards shape exponent ``p`` (dimensionless, >= 1 for a sigmoid curve).
    wood_density_t_per_m3 : float
        Wood basic density ``D`` (t dry matter per m3 fresh stem volume).
    biomass_expansion : float
        Biomass expansion factor ``BEF`` (above-ground / stem biomass, >= 1).
    root_shoot_ratio : float
        Below-ground / above-ground biomass ``R``.
    carbon_fraction : float
        Carbon fraction ``CF`` of dry matter (tC/t).
    """

    name: str
    volume_max_m3_per_ha: float
    growth_rate_per_year: float
    shape: float
    wood_density_t_per_m3: float
    biomass_expansion: float
    root_shoot_ratio: float
    carbon_fraction: float

    @property
    def tco2e_per_mu_per_m3_ha(self) -> float:
        """tCO2e per mu for each m3/ha of stem volume: ``D BEF (1 + R) CF 44/12 / 15``."""
        return (self.wood_density_t_per_m3 * self.biomass_expansion * (1.0 + self.root_shoot_ratio)
                * self.carbon_fraction * CO2_PER_C / MU_PER_HA)


@dataclass(frozen=True)
class BlueGroup:
    """Annual carbon removal of one blue-carbon plot type.

    ``production_t_per_mu_year`` (t/mu/yr, harvest or burial) times ``carbon_fraction`` (tC/t)
    gives tC/mu/yr.
    """

    name: str
    production_t_per_mu_year: float
    carbon_fraction: float

    @property
    def tco2e_per_mu_year(self) -> float:
        """Annual sequestration (tCO2e/mu/yr)."""
        return self.production_t_per_mu_year * self.carbon_fraction * CO2_PER_C


@dataclass(frozen=True)
class GrowthParams:
    """All forest and blue-carbon groups, in config order."""

    forest: tuple
    blue: tuple

    def forest_names(self) -> list:
        return [g.name for g in self.forest]

    def blue_names(self) -> list:
        return [g.name for g in self.blue]

    def forest_codes(self, group) -> np.ndarray:
        """int64[R] code of each plot's forest group (names or codes in)."""
        return _codes(group, self.forest_names(), "forest group")

    def blue_codes(self, group) -> np.ndarray:
        """int64[R] code of each plot's blue-carbon group (names or codes in)."""
        return _codes(group, self.blue_names(), "blue-carbon group")


def _codes(group, names: list, what: str) -> np.ndarray:
    group = np.asarray(group)
    if group.dtype.kind in "iu":
        bad = (group < 0) | (group >= len(names))
        if np.any(bad):
            raise ValueError(f"{what} code {group[bad][0]} out of range 0..{len(names) - 1} ({names})")
        return group.astype(np.int64)
    lookup = {n: i for i, n in enumerate(names)}
    unique, inverse = np.unique(group.astype(str), return_inverse=True)
    unknown = [u for u in unique if u not in lookup]
    if unknown:
        raise ValueError(f"unknown {what}(s) {unknown}; valid: {names}")
    return np.array([lookup[u] for u in unique], dtype=np.int64)[inverse].reshape(group.shape)


# ---------------------------------------------------------------- config

_FOREST_KEYS = [f.name for f in fields(ForestGroup) if f.name != "name"]
_BLUE_KEYS = [f.name for f in fields(BlueGroup) if f.name != "name"]


def growth_params(cfg: dict, key: str = "carbon.growth") -> GrowthParams:
    """Validate the growth config (``configs/carbon/growth.yaml`` as a dict) into :class:`GrowthParams`.

    Raises :class:`engine.config.ConfigError` naming the full key on a missing, unknown or
    out-of-range value.
    """
    cfg = mapping(cfg, key, required=("forest", "blue"))
    forest = []
    groups = mapping(cfg["forest"], f"{key}.forest")
    check(len(groups) > 0, f"{key}.forest", "needs at least one species group")
    for name, values in groups.items():
        k = f"{key}.forest.{name}"
        values = mapping(values, k, required=_FOREST_KEYS)
        forest.append(ForestGroup(
            name=str(name),
            volume_max_m3_per_ha=number(values, k, "volume_max_m3_per_ha", 0.0, 2000.0, "(]"),
            growth_rate_per_year=number(values, k, "growth_rate_per_year", 0.0, 2.0, "(]"),
            shape=number(values, k, "shape", 1.0, 10.0),
            wood_density_t_per_m3=number(values, k, "wood_density_t_per_m3", 0.1, 1.2),
            biomass_expansion=number(values, k, "biomass_expansion", 1.0, 3.0),
            root_shoot_ratio=number(values, k, "root_shoot_ratio", 0.0, 1.0),
            carbon_fraction=number(values, k, "carbon_fraction", 0.4, 0.6),
        ))
    blue = []
    for name, values in mapping(cfg["blue"], f"{key}.blue").items():
        k = f"{key}.blue.{name}"
        values = mapping(values, k, required=_BLUE_KEYS)
        blue.append(BlueGroup(
            name=str(name),
            production_t_per_mu_year=number(values, k, "production_t_per_mu_year", 0.0, 100.0),
            carbon_fraction=number(values, k, "carbon_fraction", 0.0, 1.0, "(]"),
        ))
    return GrowthParams(tuple(forest), tuple(blue))


def load_growth(path=None) -> GrowthParams:
    """:class:`GrowthParams` from ``configs/carbon/growth.yaml`` (or ``path``)."""
    return growth_params(load_config("growth", path))


# ---------------------------------------------------------------- curves

def _age(age) -> np.ndarray:
    age = np.asarray(age, dtype=np.float64)
    if not np.all(np.isfinite(age)) or np.any(age < 0):
        raise ValueError("stand age must be finite and >= 0 years")
    return age


def chapman_richards(age, volume_max, rate, shape) -> np.ndarray:
    """Stand stem volume ``V(t) = A (1 - exp(-k t))^p`` (m3/ha).

    Parameters
    ----------
    age : float64[R]
        Stand age ``t`` (years, >= 0).
    volume_max, rate, shape : float or float64[R]
        ``A`` (m3/ha), ``k`` (1/yr), ``p`` (dimensionless).
    """
    age = _age(age)
    return volume_max * (-np.expm1(-rate * age)) ** shape


def chapman_richards_rate(age, volume_max, rate, shape) -> np.ndarray:
    """Volume growth ``dV/dt = A p k exp(-k t) (1 - exp(-k t))^(p - 1)`` (m3/ha/yr); 0 at t = 0 for p > 1."""
    age = _age(age)
    return volume_max * shape * rate * np.exp(-rate * age) * (-np.expm1(-rate * age)) ** (shape - 1.0)


def _curve(params: GrowthParams, group):
    codes = params.forest_codes(group)
    return tuple(np.array([getattr(g, n) for g in params.forest], dtype=np.float64)[codes] for n in
                 ("volume_max_m3_per_ha", "growth_rate_per_year", "shape", "tco2e_per_mu_per_m3_ha"))


def stock_per_mu(params: GrowthParams, group, age) -> np.ndarray:
    """Carbon stock of forest plots (tCO2e/mu), float64[R]."""
    a, k, p, factor = _curve(params, group)
    return chapman_richards(age, a, k, p) * factor


def sequestration_per_mu(params: GrowthParams, group, age) -> np.ndarray:
    """Annual sequestration of forest plots at their age (tCO2e/mu/yr): ``d stock / dt``, float64[R]."""
    a, k, p, factor = _curve(params, group)
    return chapman_richards_rate(age, a, k, p) * factor


def annual_increment_per_mu(params: GrowthParams, group, age) -> np.ndarray:
    """Stock gained over the year from ``age`` to ``age + 1`` (tCO2e/mu/yr), float64[R]."""
    age = _age(age)
    return stock_per_mu(params, group, age + 1.0) - stock_per_mu(params, group, age)


def _area(area_mu) -> np.ndarray:
    area = np.asarray(area_mu, dtype=np.float64)
    if not np.all(np.isfinite(area)) or np.any(area < 0):
        raise ValueError("plot area must be finite and >= 0 mu")
    return area


def plot_stock(params: GrowthParams, group, age, area_mu) -> np.ndarray:
    """Carbon stock of each forest plot (tCO2e), float64[R] = stock per mu x area (mu)."""
    return stock_per_mu(params, group, age) * _area(area_mu)


def plot_sequestration(params: GrowthParams, group, age, area_mu) -> np.ndarray:
    """Annual sequestration of each forest plot (tCO2e/yr), float64[R]."""
    return sequestration_per_mu(params, group, age) * _area(area_mu)


def blue_sequestration_per_mu(params: GrowthParams, group) -> np.ndarray:
    """Annual sequestration of blue-carbon plots (tCO2e/mu/yr), float64[R]."""
    rates = np.array([g.tco2e_per_mu_year for g in params.blue], dtype=np.float64)
    return rates[params.blue_codes(group)]


def blue_plot_sequestration(params: GrowthParams, group, area_mu) -> np.ndarray:
    """Annual sequestration of each blue-carbon plot (tCO2e/yr), float64[R]."""
    return blue_sequestration_per_mu(params, group) * _area(area_mu)
