"""Rain -> flood depth and duration at sites: a documented, deliberately simple transformation.

Public entry points (also for the typhoon peril, whose storm-total ``rain_total`` in mm can be fed
through the same function so typhoon rain becomes flood depth on typhoon events):

* :func:`flood_sites` builds the per-site parameters once per run (:class:`FloodSites`);
* :func:`rain_to_flood` maps storm-total rain (mm) to ``(depth_m, duration_days)``.

The model, per site ``s`` and event rain ``R`` (mm, storm total):

* surface water (pluvial ponding, waterlogging)::

      surface_m = ponding_factor[s] * runoff_coefficient[s] * max(R - drain_threshold_mm[s], 0) / 1000

  Drainage (urban sewers, rural ditches) removes rain up to its design event, the
  ``drain_return_period_*_yr``-year storm total of the site's own climate, so the threshold follows
  the local climate as the design standards do. The runoff coefficient is the share of the excess that
  runs off (land use); the ponding factor concentrates it on low ground (flat, low terrain collects
  water from around it; hills shed it).
* river water (fluvial overflow)::

      river_m = river_factor[s] * river_depth_m_per_mm * max(R - river_threshold_mm[s], 0)

  The site's rain stands in for its catchment's (the rain field is correlated over about 150 km);
  rivers overflow beyond their flood-control standard (``river_return_period_yr``-year storm total);
  ``river_factor = exp(-distance / river_influence_km) * lowland`` with ``lowland`` the site's
  ponding factor relative to the lowest terrain's.
* depth ``= min(surface_m + river_m, max_depth_m)``, set to 0 below ``min_depth_m``;
* duration (days) ``= min_duration_days + surface_m / recession_m_per_day[s] + river_m /
  river_recession_m_per_day``, capped at ``max_duration_days``; 0 where depth is 0.

Both outputs are non-decreasing in ``R`` at every site. Intensities are not scaled by climate here:
thresholds describe today's infrastructure; a warmer climate raises ``R``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from perils.flood import geography
from perils.flood.margins import SiteMargins, return_level

_FIELDS = ("elevation_m river_distance_km runoff_coefficient urban terrain ponding_factor river_factor "
           "recession_m_per_day drain_threshold_mm river_threshold_mm")


class FloodSites(namedtuple("FloodSites", _FIELDS)):
    """Per-site inputs of :func:`rain_to_flood`, each an array of length S.

    elevation_m (m), river_distance_km (km), runoff_coefficient (0..1), urban (1 city district, 0
    rural), terrain (int8 class index, names in ``GeographyParams.terrain_names``), ponding_factor
    (-), river_factor (-), recession_m_per_day (m/day), drain_threshold_mm and river_threshold_mm
    (storm-total rain, mm).
    """

    __slots__ = ()

    def take(self, index) -> "FloodSites":
        """The same parameters for the sites ``index`` (e.g. a sparse footprint's site column)."""
        return FloodSites(*(np.asarray(v)[index] for v in self))


def _attribute(sites, name: str, derive) -> np.ndarray:
    """Portfolio attribute ``name`` where given (finite), else ``derive()`` (called only if needed)."""
    given = sites.attribute(name) if hasattr(sites, "attribute") else None
    if given is not None and np.all(np.isfinite(given)):
        return np.asarray(given, float)
    derived = np.asarray(derive(), float)
    return derived if given is None else np.where(np.isfinite(given), given, derived)


def flood_sites(sites, margins: SiteMargins, geography_params, transform_params) -> FloodSites:
    """Site parameters for the flood transformation.

    Parameters
    ----------
    sites : engine.portfolio.Sites
        ``lon``, ``lat``, ``county`` (float64/int64[S]); attributes ``elevation_m``,
        ``river_distance_km``, ``runoff_coefficient``, ``urban`` override the derived values
        (:mod:`perils.flood.geography`) site by site where finite.
    margins : SiteMargins
        All-cause annual-maximum storm-total rain GEV at the sites (thresholds are its return levels).
    geography_params : GeographyParams
    transform_params : TransformParams
    """
    g, t = geography_params, transform_params
    lon, lat = np.asarray(sites.lon, float), np.asarray(sites.lat, float)
    elevation = _attribute(sites, "elevation_m", lambda: geography.elevation_m(lon, lat))
    distance = _attribute(sites, "river_distance_km", lambda: geography.river_distance_km(lon, lat)[0])
    urban = _attribute(sites, "urban", lambda: geography.is_urban(sites.county))
    runoff = _attribute(sites, "runoff_coefficient",
                        lambda: np.where(urban >= 0.5, g.runoff_urban, g.runoff_rural))
    if np.any((runoff < 0) | (runoff > 1)):
        raise ValueError("site attribute runoff_coefficient must lie in [0, 1]")
    ponding = np.interp(elevation, g.elevation_knots_m, g.ponding_factor)
    lowland = ponding / max(g.ponding_factor) if max(g.ponding_factor) > 0 else np.zeros_like(ponding)
    drain_period = np.where(urban >= 0.5, t.drain_return_period_urban_yr, t.drain_return_period_rural_yr)
    return FloodSites(
        elevation_m=elevation, river_distance_km=distance, runoff_coefficient=runoff, urban=urban,
        terrain=geography.terrain_class(elevation, g.terrain_edges_m), ponding_factor=ponding,
        river_factor=np.exp(-distance / g.river_influence_km) * lowland,
        recession_m_per_day=np.interp(elevation, g.elevation_knots_m, g.recession_m_per_day),
        drain_threshold_mm=return_level(drain_period, margins),
        river_threshold_mm=return_level(t.river_return_period_yr, margins))


def rain_to_flood(rain_mm, site: FloodSites, params):
    """Flood depth (m) and duration (days) from storm-total rain (mm); formulas in the module docstring.

    Parameters
    ----------
    rain_mm : float[..., S]
        Storm-total rain at the sites of ``site`` (last axis), mm; e.g. float64[E, S] or float32[S].
    site : FloodSites
        Arrays of length S (use :meth:`FloodSites.take` for a subset of sites).
    params : TransformParams

    Returns
    -------
    depth_m, duration_days : float64[..., S]
        Both 0 where the water stays below ``params.min_depth_m``.
    """
    rain = np.asarray(rain_mm, dtype=np.float64)
    surface = site.ponding_factor * site.runoff_coefficient * np.maximum(rain - site.drain_threshold_mm, 0.0) / 1000.0
    river = site.river_factor * params.river_depth_m_per_mm * np.maximum(rain - site.river_threshold_mm, 0.0)
    total = surface + river
    flooded = total >= max(params.min_depth_m, np.finfo(float).tiny)
    depth = np.where(flooded, np.minimum(total, params.max_depth_m), 0.0)
    duration = params.min_duration_days + surface / site.recession_m_per_day + river / params.river_recession_m_per_day
    duration = np.where(flooded, np.minimum(duration, params.max_duration_days), 0.0)
    return depth, duration


__all__ = ["FloodSites", "flood_sites", "rain_to_flood"]
