"""Perils on the carbon sink modelled here: forest fire, forest pests and marine heat (blue carbon).

Forest fire and pests act per plot-year. Their annual probability is logistic in a dryness score
``x`` (``x = -SPEI`` or a standardised relative ET deficit; 0 in a normal year, larger = drier)::

    logit p = logit(p0 * county multiplier) + beta * x

and a hit draws a severity share from a beta law (mean, CV). Fire returns the share of the carbon
stock lost; pests return the share of stock lost (mortality) and the share of the year's
sequestration lost (defoliation). Marine heat turns a daily sea-surface temperature (a climatological
cosine plus one anomaly per year) into a heat-degree index per blue-carbon plot type and that into the
share of the year's sequestration lost: ``max_loss (1 - exp(-HDD / hdd_scale))``.

Shapes: ``R`` plots, ``Y`` simulated years. ``county: int64[R]`` (adcodes), ``group: str[R]``
(forest or blue-carbon group names), ``dryness: float64[Y, R]`` (or anything broadcasting to it,
e.g. ``[Y, 1]``). Random draws come from ``year_generator(seed, stream, year)`` with one stream per
peril (``carbon.fire``, ``carbon.pest.<name>``, ``carbon.marine_heat``): a year's draws depend only on
``(seed, year)`` and the plots in their given order, never on the other years simulated with it.
Parameters and their sources: ``configs/carbon/hazards.yaml``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from engine.carbon.params import check, load_config, mapping, number, number_list
from engine.rng import year_generator

FIRE_STREAM = "carbon.fire"
PEST_STREAM = "carbon.pest."        # + pest name
HEAT_STREAM = "carbon.marine_heat"
_DAYS = np.arange(1, 366, dtype=np.float64)


@dataclass(frozen=True)
class FireParams:
    """Forest fire: ``base_probability`` (per plot-year), ``drought_coefficient`` (logit per dryness
    unit), burned-area share given a fire (``burned_share_mean``, ``burned_share_cv``),
    ``stock_loss_given_burn`` (share of stock lost on burned ground) and ``county_multiplier``
    (adcode -> factor on the base probability)."""

    base_probability: float
    drought_coefficient: float
    burned_share_mean: float
    burned_share_cv: float
    stock_loss_given_burn: float
    county_multiplier: tuple   # ((adcode, factor), ...)


@dataclass(frozen=True)
class PestParams:
    """One pest: host forest groups, outbreak probability (per plot-year) and its drought coefficient,
    share of stock killed given an outbreak (mean, CV) and mean share of the year's sequestration lost."""

    name: str
    hosts: tuple
    base_probability: float
    drought_coefficient: float
    stock_loss_mean: float
    stock_loss_cv: float
    sequestration_loss_mean: float


@dataclass(frozen=True)
class HeatGroup:
    """Marine-heat sensitivity of one blue-carbon plot type: SST threshold (deg C), window of days of
    year counted (inclusive), HDD scale (deg C day) and maximum share of sequestration lost."""

    name: str
    threshold_c: float
    window_doy: tuple
    hdd_scale: float
    max_loss: float


@dataclass(frozen=True)
class MarineHeatParams:
    """Daily SST model ``mean_c + amplitude_c cos(2 pi (d - peak_doy)/365) + warming_c + A_y``,
    ``A_y ~ N(0, anomaly_sd_c)``, and the plot types' sensitivities."""

    mean_c: float
    amplitude_c: float
    peak_doy: float
    anomaly_sd_c: float
    warming_c: float
    groups: tuple

    def group(self, name: str) -> HeatGroup:
        for g in self.groups:
            if g.name == name:
                return g
        raise ValueError(f"unknown blue-carbon group '{name}' for marine heat; valid: {[g.name for g in self.groups]}")


@dataclass(frozen=True)
class HazardParams:
    fire: FireParams
    pests: tuple
    marine_heat: MarineHeatParams


# ---------------------------------------------------------------- config

def _check_beta(mean: float, cv: float, key: str) -> None:
    var = (cv * mean) ** 2
    check(var < mean * (1.0 - mean), key, f"CV {cv} is too large for mean {mean}: a beta law on [0, 1] needs "
          f"(CV mean)^2 < mean (1 - mean)")


def hazard_params(cfg: dict, key: str = "carbon.hazards", forest_groups=None) -> HazardParams:
    """Validate the hazards config into :class:`HazardParams`; errors name the full key.

    ``forest_groups`` (names of the growth config's forest groups), when given, checks pest hosts.
    """
    cfg = mapping(cfg, key, required=("fire", "pests", "marine_heat"))
    k = f"{key}.fire"
    f = mapping(cfg["fire"], k, required=("base_probability", "drought_coefficient", "burned_share_mean",
                                          "burned_share_cv", "stock_loss_given_burn"), optional=("county_multiplier",))
    multipliers = []
    for code, factor in mapping(f.get("county_multiplier") or {}, f"{k}.county_multiplier").items():
        check(isinstance(code, int) and 370000 <= code < 380000, f"{k}.county_multiplier.{code}",
              "must be a Shandong county adcode (37xxxx)")
        multipliers.append((int(code), number({code: factor}, f"{k}.county_multiplier", code, 0.0, 100.0)))
    fire = FireParams(
        base_probability=number(f, k, "base_probability", 0.0, 1.0, "()"),
        drought_coefficient=number(f, k, "drought_coefficient", 0.0, 10.0),
        burned_share_mean=number(f, k, "burned_share_mean", 0.0, 1.0, "()"),
        burned_share_cv=number(f, k, "burned_share_cv", 0.0, 10.0, "(]"),
        stock_loss_given_burn=number(f, k, "stock_loss_given_burn", 0.0, 1.0),
        county_multiplier=tuple(multipliers),
    )
    _check_beta(fire.burned_share_mean, fire.burned_share_cv, f"{k}.burned_share_cv")
    for code, factor in fire.county_multiplier:
        check(fire.base_probability * factor < 1.0, f"{k}.county_multiplier.{code}",
              f"base_probability x {factor} must stay below 1")

    pests = []
    for name, values in mapping(cfg["pests"], f"{key}.pests").items():
        k = f"{key}.pests.{name}"
        v = mapping(values, k, required=("hosts", "base_probability", "drought_coefficient", "stock_loss_mean",
                                         "stock_loss_cv", "sequestration_loss_mean"))
        hosts = v["hosts"]
        check(isinstance(hosts, list) and hosts and all(isinstance(h, str) for h in hosts), f"{k}.hosts",
              f"must be a non-empty list of forest group names, got {hosts!r}")
        if forest_groups is not None:
            unknown = sorted(set(hosts) - set(forest_groups))
            check(not unknown, f"{k}.hosts", f"unknown forest group(s) {unknown}; valid: {list(forest_groups)}")
        pest = PestParams(
            name=str(name), hosts=tuple(hosts),
            base_probability=number(v, k, "base_probability", 0.0, 1.0, "()"),
            drought_coefficient=number(v, k, "drought_coefficient", 0.0, 10.0),
            stock_loss_mean=number(v, k, "stock_loss_mean", 0.0, 1.0, "()"),
            stock_loss_cv=number(v, k, "stock_loss_cv", 0.0, 10.0, "(]"),
            sequestration_loss_mean=number(v, k, "sequestration_loss_mean", 0.0, 1.0),
        )
        _check_beta(pest.stock_loss_mean, pest.stock_loss_cv, f"{k}.stock_loss_cv")
        pests.append(pest)

    k = f"{key}.marine_heat"
    m = mapping(cfg["marine_heat"], k, required=("mean_c", "amplitude_c", "peak_doy", "anomaly_sd_c", "warming_c",
                                                  "groups"))
    groups = []
    for name, values in mapping(m["groups"], f"{k}.groups").items():
        kg = f"{k}.groups.{name}"
        v = mapping(values, kg, required=("threshold_c", "window_doy", "hdd_scale", "max_loss"))
        window = number_list(v, kg, "window_doy", 1, 365)
        check(len(window) == 2 and window[0] <= window[1], f"{kg}.window_doy",
              f"must be [first, last] day of year with first <= last, got {list(window)}")
        groups.append(HeatGroup(
            name=str(name), threshold_c=number(v, kg, "threshold_c", -2.0, 40.0), window_doy=window,
            hdd_scale=number(v, kg, "hdd_scale", 0.0, 1e4, "(]"), max_loss=number(v, kg, "max_loss", 0.0, 1.0)))
    heat = MarineHeatParams(
        mean_c=number(m, k, "mean_c", -2.0, 35.0), amplitude_c=number(m, k, "amplitude_c", 0.0, 20.0),
        peak_doy=number(m, k, "peak_doy", 1.0, 365.0), anomaly_sd_c=number(m, k, "anomaly_sd_c", 0.0, 10.0),
        warming_c=number(m, k, "warming_c", -2.0, 6.0), groups=tuple(groups))
    return HazardParams(fire, tuple(pests), heat)


def load_hazards(path=None, forest_groups=None) -> HazardParams:
    """:class:`HazardParams` from ``configs/carbon/hazards.yaml`` (or ``path``)."""
    return hazard_params(load_config("hazards", path), forest_groups=forest_groups)


# ---------------------------------------------------------------- drought scores

def dryness_from_spei(spei) -> np.ndarray:
    """Dryness score ``x = -SPEI`` (standard deviations; larger = drier)."""
    return -np.asarray(spei, dtype=np.float64)


def dryness_from_deficit(relative_deficit, normal, scale) -> np.ndarray:
    """Dryness score from a relative ET deficit ``1 - ETa/ETm``: ``(deficit - normal) / scale``.

    ``normal`` and ``scale`` are the mean and SD of the deficit in today's climate (e.g. from the
    drought peril's reference years), so the score is in standard deviations like ``-SPEI``.
    """
    scale = np.asarray(scale, dtype=np.float64)
    if np.any(scale <= 0):
        raise ValueError("scale of the relative deficit must be > 0")
    return (np.asarray(relative_deficit, dtype=np.float64) - normal) / scale


# ---------------------------------------------------------------- probabilities

def logistic_probability(base_probability, drought_coefficient: float, dryness) -> np.ndarray:
    """``expit(logit(p0) + beta x)``: p0 in a normal year (x = 0), rising with dryness for beta > 0."""
    p0 = np.asarray(base_probability, dtype=np.float64)
    if np.any((p0 <= 0) | (p0 >= 1)):
        raise ValueError("base probabilities must lie in (0, 1)")
    x = np.asarray(dryness, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("dryness scores must be finite")
    return expit(logit(p0) + drought_coefficient * x)


def county_base_probability(fire: FireParams, county) -> np.ndarray:
    """float64[R]: fire base probability of each plot's county (base x county multiplier)."""
    county = np.asarray(county, dtype=np.int64)
    factor = np.ones(county.shape)
    for code, mult in fire.county_multiplier:
        factor[county == code] = mult
    return fire.base_probability * factor


def fire_probability(fire: FireParams, county, dryness) -> np.ndarray:
    """Annual probability that a fire reaches each plot, float64[Y, R] (broadcast of county and dryness)."""
    return logistic_probability(county_base_probability(fire, county), fire.drought_coefficient, dryness)


def pest_probability(pest: PestParams, group, dryness) -> np.ndarray:
    """Annual outbreak probability on each plot (0 off the pest's hosts), float64[Y, R]."""
    host = np.isin(np.asarray(group).astype(str), pest.hosts)
    p = logistic_probability(pest.base_probability, pest.drought_coefficient, dryness)
    return np.where(host, p, 0.0)


# ---------------------------------------------------------------- sampling

def beta_shape(mean: float, cv: float):
    """Beta parameters (a, b) of a law on [0, 1] with the given mean and coefficient of variation."""
    var = (cv * mean) ** 2
    common = mean * (1.0 - mean) / var - 1.0
    if common <= 0:
        raise ValueError(f"no beta law with mean {mean} and CV {cv}")
    return mean * common, (1.0 - mean) * common


def _years(years) -> np.ndarray:
    years = np.asarray(years)
    if years.ndim != 1 or years.dtype.kind not in "iu":
        raise ValueError(f"years must be a 1-d integer array, got dtype {years.dtype} shape {years.shape}")
    return years.astype(np.int64)


def _hits(seed, stream, years, probability, a, b):
    """float64[Y, R]: severity share where a uniform falls below ``probability``, else 0.

    Each year draws R uniforms then R beta severities from its own generator, whatever happens, so
    a plot's draws keep their place in the stream.
    """
    years = _years(years)
    prob = np.asarray(probability, dtype=np.float64)
    n_plots = prob.shape[-1]
    prob = np.broadcast_to(prob, (years.size, n_plots))
    out = np.zeros((years.size, n_plots))
    for i, y in enumerate(years):
        rng = year_generator(seed, stream, int(y))
        u = rng.random(n_plots)
        severity = rng.beta(a, b, n_plots)
        out[i] = np.where(u < prob[i], severity, 0.0)
    return out


def sample_fire_loss(fire: FireParams, seed: int, years, county, dryness) -> np.ndarray:
    """Share of each plot's carbon stock lost to fire per simulated year, float64[Y, R] in [0, 1].

    ``burned share x stock_loss_given_burn`` in a fire year, 0 otherwise. ``dryness`` broadcasts to
    ``[Y, R]``; draws from stream ``carbon.fire``.
    """
    county = np.asarray(county)
    years = _years(years)
    p = np.broadcast_to(fire_probability(fire, county, dryness), (years.size, county.size))
    a, b = beta_shape(fire.burned_share_mean, fire.burned_share_cv)
    return _hits(seed, FIRE_STREAM, years, p, a, b) * fire.stock_loss_given_burn


def sample_pest_loss(pests, seed: int, years, group, dryness):
    """Shares of stock and of the year's sequestration lost to pests, each float64[Y, R] in [0, 1].

    Pests combine as independent causes, ``1 - prod(1 - s)``. The sequestration share of an outbreak is
    ``sequestration_loss_mean`` scaled by the stock share's draw relative to its mean (capped at 1), so
    a severe outbreak cuts both. Draws from stream ``carbon.pest.<name>``.
    """
    group = np.asarray(group).astype(str)
    years = _years(years)
    stock, seq = [], []
    for pest in pests:
        p = np.broadcast_to(pest_probability(pest, group, dryness), (years.size, group.size))
        a, b = beta_shape(pest.stock_loss_mean, pest.stock_loss_cv)
        share = _hits(seed, PEST_STREAM + pest.name, years, p, a, b)
        stock.append(share)
        seq.append(np.where(share > 0, np.minimum(pest.sequestration_loss_mean * share / pest.stock_loss_mean, 1.0),
                            0.0))
    shape = (years.size, group.size)
    return combine_shares(*stock, shape=shape), combine_shares(*seq, shape=shape)


def combine_shares(*shares, shape=None) -> np.ndarray:
    """Share lost to independent causes: ``1 - prod(1 - s_i)`` (zeros of ``shape`` when none)."""
    if not shares:
        return np.zeros(shape)
    kept = np.ones(np.broadcast_shapes(*(np.shape(s) for s in shares)))
    for s in shares:
        s = np.asarray(s, dtype=np.float64)
        if np.any((s < 0) | (s > 1)):
            raise ValueError("loss shares must lie in [0, 1]")
        kept = kept * (1.0 - s)
    return 1.0 - kept


# ---------------------------------------------------------------- marine heat

def sst_climatology(heat: MarineHeatParams, doy=_DAYS) -> np.ndarray:
    """Climatological daily SST (deg C) on days of year ``doy``, warming included."""
    doy = np.asarray(doy, dtype=np.float64)
    return heat.mean_c + heat.amplitude_c * np.cos(2.0 * math.pi * (doy - heat.peak_doy) / 365.0) + heat.warming_c


def heat_degree_days(sst_daily, threshold_c: float, window_doy=(1, 365)) -> np.ndarray:
    """Heat-degree index ``sum_d max(SST_d - threshold, 0)`` over days ``window_doy`` (deg C day).

    ``sst_daily: float64[..., 365]``: daily SST (deg C) with the last axis day of year 1..365.
    Returns float64[...].
    """
    sst = np.asarray(sst_daily, dtype=np.float64)
    if sst.shape[-1] != 365:
        raise ValueError(f"sst_daily needs 365 days on its last axis, got {sst.shape}")
    first, last = int(window_doy[0]), int(window_doy[1])
    return np.maximum(sst[..., first - 1:last] - threshold_c, 0.0).sum(axis=-1)


def sample_sst_anomaly(heat: MarineHeatParams, seed: int, years, driver=None, rho: float = 0.0) -> np.ndarray:
    """Warm-season SST anomaly of each simulated year (deg C), float64[Y], one for the whole coast.

    ``A_y = anomaly_sd_c z_y``, ``z_y = rho driver_y + sqrt(1 - rho^2) eps_y`` with ``eps_y`` from
    ``year_generator(seed, "carbon.marine_heat", y)`` (Gaussian copula with an optional driver).
    """
    from engine.carbon.price import copula_normals

    years = _years(years)
    eps = np.array([year_generator(seed, HEAT_STREAM, int(y)).standard_normal() for y in years])
    return heat.anomaly_sd_c * copula_normals(eps, driver, rho)


def marine_heat_loss(group: HeatGroup, hdd) -> np.ndarray:
    """Share of the year's sequestration lost: ``max_loss (1 - exp(-HDD / hdd_scale))``."""
    hdd = np.asarray(hdd, dtype=np.float64)
    if np.any(hdd < 0):
        raise ValueError("heat-degree index must be >= 0")
    return group.max_loss * -np.expm1(-hdd / group.hdd_scale)


def marine_heat_shares(heat: MarineHeatParams, anomaly, group) -> np.ndarray:
    """Share of sequestration lost on each blue-carbon plot, float64[Y, R], from the years' anomalies.

    ``anomaly: float64[Y]`` (deg C, from :func:`sample_sst_anomaly`), ``group: str[R]`` plot types.
    """
    anomaly = np.asarray(anomaly, dtype=np.float64)
    group = np.asarray(group).astype(str)
    sst = sst_climatology(heat)[None, :] + anomaly[:, None]          # [Y, 365]
    out = np.zeros((anomaly.size, group.size))
    for name in np.unique(group):
        g = heat.group(name)
        out[:, group == name] = marine_heat_loss(g, heat_degree_days(sst, g.threshold_c, g.window_doy))[:, None]
    return out
