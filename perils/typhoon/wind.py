"""Typhoon wind footprint: a parametric Holland wind field, its maximum over a storm's life at sites.

Layout. A storm is a :class:`Track` of T points (``time_h``, ``lat``, ``lon``, ``pressure_hpa``,
``vmax_ms`` on the CMA 2-minute basis, optional ``rmax_km`` and ``grade``), ideally hourly
(:func:`hourly` resamples). :func:`storm_points` derives per-point profile parameters (pressure
deficit, Holland B, Rmax, Coriolis, translation vector, cut-off radius); the kernel
:func:`_max_surface_wind` loops points x sites; :func:`max_wind_at_sites` wraps both and applies
the averaging-period chain.

Wind model, per track point (sources next to each parameter of :class:`WindParams`):

* gradient wind, Holland (1980) with Coriolis:
  ``Vg(r) = sqrt((B/rho) (Rmax/r)^B dp exp(-(Rmax/r)^B) + (r f/2)^2) - r f/2``
  (dp = p_ambient - p_c in Pa, r and Rmax in m, f = 2 Omega sin|lat|, rho in kg/m3);
* B: Holland (2008) surface ``b_s = -4.4e-5 dp^2 + 0.01 dp + 0.03 dpc/dt - 0.014 |lat|
  + 0.15 vt^x + 1.0``, ``x = 0.6 (1 - dp/215)`` (dp hPa, dpc/dt = central-pressure tendency in hPa/h,
  positive when filling, vt translation speed m/s), clipped to [b_min, b_max]; or (switch
  ``holland_b_method = "vmax"``) the B whose field reproduces the track's maximum wind;
* Rmax: Vickery & Wadhera (2008) ``ln Rmax = 3.015 - 6.291e-5 dp^2 + 0.0337 lat`` or Willoughby et
  al. (2006) ``Rmax = 46.4 exp(-0.0155 Vmax + 0.0169 lat)`` (km), unless the track gives Rmax;
* asymmetry: the vector ``a * g(r) * Rot(theta) vt`` is added to the axisymmetric wind vector
  (direction: tangential, turned inwards by the inflow angle), Lin & Chavas (2012): the background
  flow is a fraction a of the translation vector turned cyclonically by theta; ``g(r) = min(1, Rmax/r)``
  fades it outside the eyewall. The maximum is on the right of the track (northern hemisphere);
* surface: the gradient-level vector times the site's factor (0.9 sea, 0.75 open land) gives the
  1-minute mean wind at 10 m at the site's exposure (the basis of Franklin et al. 2003's 0.9 and of
  Holland 2008's b_s, both fitted to 1-minute winds).

Averaging periods (Harper, Kepert & Ginger 2010, WMO/TD-1555, Table 1.1, "off-land" exposure:
3-s gust factors G(3, T0) = 1.52, 1.42, 1.36 for T0 = 600, 120, 60 s), from the model's 1-min wind V1:
``V10 = V1 G(3,60)/G(3,600)`` (0.895), ``V2 = V1 G(3,60)/G(3,120)`` (0.958), ``gust = V10 G(3,600) =
V1 G(3,60)``. Stated the CMA way round: 2-min -> 1-min x 1.044, 1-min -> 10-min x 0.895, 10-min ->
3-s gust x 1.52; so gust / V2 = G(3,120) = 1.42. Outputs: maximum 3-s gust at 10 m and maximum
2-minute sustained wind at 10 m (m/s), each the maximum over the storm's points.

Distances are equirectangular (cos of the two latitudes averaged): within the 1,000 km cut-off the
error against the great circle is below 0.5%.
"""
from __future__ import annotations

import functools

import math
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from engine.jit import kernel

#: Mean Earth radius (IUGG), m; engine.geo uses the same value in km.
EARTH_RADIUS_M = 6_371_000.0
#: Earth's angular velocity, rad/s.
OMEGA = 7.292115e-5
KT_TO_MS = 0.514444
#: CMA 2-min maximum wind -> 1-min (over sea, where best-track intensities are estimated):
#: Harper et al. (2010) Table 1.1 "at-sea" G(3,120)/G(3,60) = 1.15/1.11.
CMA_2MIN_TO_1MIN_SEA = 1.15 / 1.11


class Track(NamedTuple):
    """One storm, T points in time order (float64 arrays unless said).

    time_h: hours from any origin; lat, lon: degrees (WGS-84); pressure_hpa: central pressure;
    vmax_ms: CMA 2-minute maximum sustained wind at 10 m, m/s (NaN: derived from the pressure);
    rmax_km: radius of maximum wind or None/NaN (from the Rmax relation); grade: int64 CMA grade
    (0-6, 9 extratropical) or None.
    """

    time_h: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    pressure_hpa: np.ndarray
    vmax_ms: np.ndarray
    rmax_km: Optional[np.ndarray] = None
    grade: Optional[np.ndarray] = None


@dataclass(frozen=True)
class WindParams:
    """Wind-field parameters (sources in comments). Speeds m/s, pressures hPa, distances km."""

    rho: float = 1.15                    # air density, kg/m3 [Holland 1980; REFERENCE.md]
    ambient_hpa: float = 1010.0          # environmental pressure [E; Atkinson & Holliday 1977 use 1010]
    b_min: float = 0.8                   # Holland B clipped to a physical range [REFERENCE.md; Holland 2008]
    b_max: float = 2.5
    holland_b_method: str = "holland2008"  # B from Holland (2008) b_s, or "vmax": B fitted so the field's
                                           # marine maximum equals the track's vmax (holland_b_from_vmax)
    rmax_relation: str = "vickery_wadhera_2008"   # or "willoughby_2006" [REFERENCE.md]
    rmax_min_km: float = 8.0             # clip of the Rmax relation [E]
    rmax_max_km: float = 200.0
    translation_fraction: float = 0.55   # background flow / translation speed [Lin & Chavas 2012]
    translation_rotation_deg: float = 20.0  # background flow turned cyclonically [Lin & Chavas 2012]
    inflow_deg: float = 0.0              # inflow angle (optional; ~20-25 deg outside Rmax, Bretschneider) [E]
    sea_factor: float = 0.9              # gradient -> 10 m 1-min over sea [Franklin et al. 2003]
    land_factor: float = 0.75            # gradient -> 10 m 1-min over open land [REFERENCE.md 0.7-0.8; E]
    gust_3s_per_10min: float = 1.52      # G(3,600) [Harper et al. 2010 Table 1.1, off-land]
    gust_3s_per_2min: float = 1.42       # G(3,120) [same]
    gust_3s_per_1min: float = 1.36       # G(3,60)  [same]
    cma_to_1min: float = CMA_2MIN_TO_1MIN_SEA  # track vmax (CMA 2-min) -> 1-min [Harper 2010, at-sea]
    cutoff_rmax: float = 10.0            # skip sites beyond cutoff_rmax * Rmax ... [E]
    cutoff_km: float = 1000.0            # ... or beyond this distance [E]
    profile_steps_per_rmax: int = 40     # radial table resolution of the kernel (numerical) [E]
    gradient_floor_ms: float = 5.0       # skip sites (outside Rmax) where gradient + background wind < this:
                                         # at most 0.9 x 5 x 1.36 = 6.1 m/s gust, far below footprint thresholds [E]
    decay_rate_per_h: float = 0.095      # inland decay alpha [Kaplan & DeMaria 1995]
    decay_background_ms: float = 13.7    # Vb = 26.7 kt [Kaplan & DeMaria 1995]
    decay_landfall_ratio: float = 0.9    # R: wind reduction at landfall [Kaplan & DeMaria 1995]

    def __post_init__(self):
        if self.holland_b_method not in ("holland2008", "vmax"):
            raise ValueError(f"holland_b_method must be 'holland2008' or 'vmax', not {self.holland_b_method!r}")
        if self.rmax_relation not in RMAX_RELATIONS:
            raise ValueError(f"rmax_relation must be one of {sorted(RMAX_RELATIONS)}, not {self.rmax_relation!r}")
        for key in ("rho", "ambient_hpa", "b_min", "rmax_min_km", "sea_factor", "land_factor", "cutoff_rmax",
                    "cutoff_km", "gust_3s_per_10min", "gust_3s_per_2min", "gust_3s_per_1min", "cma_to_1min"):
            if not getattr(self, key) > 0:
                raise ValueError(f"WindParams.{key} must be > 0")
        if not self.profile_steps_per_rmax >= 4 or not self.gradient_floor_ms >= 0:
            raise ValueError("WindParams: need profile_steps_per_rmax >= 4 and gradient_floor_ms >= 0")
        if not self.b_min <= self.b_max or not self.rmax_min_km <= self.rmax_max_km:
            raise ValueError("WindParams: need b_min <= b_max and rmax_min_km <= rmax_max_km")

    @property
    def sustained_per_1min(self) -> float:
        """Maximum 2-min mean / 1-min mean: G(3,60) / G(3,120)."""
        return self.gust_3s_per_1min / self.gust_3s_per_2min

    @property
    def ten_min_per_1min(self) -> float:
        """10-min mean / 1-min mean: G(3,60) / G(3,600)."""
        return self.gust_3s_per_1min / self.gust_3s_per_10min

    @property
    def gust_per_1min(self) -> float:
        """3-s gust / 1-min mean = (10-min / 1-min) x G(3,600) = G(3,60)."""
        return self.ten_min_per_1min * self.gust_3s_per_10min


# ---------------------------------------------------------------------------------------------
# Relations (numpy, per track point)

def atkinson_holliday_vmax(pressure_hpa, cma_to_1min: float = CMA_2MIN_TO_1MIN_SEA) -> np.ndarray:
    """Maximum wind (m/s, CMA 2-min basis) from central pressure (hPa), Atkinson & Holliday (1977).

    ``Vmax[kt] = 6.7 (1010 - pc)^0.644`` is a 1-min (JTWC) wind; divided by ``cma_to_1min``.
    """
    dp = np.clip(1010.0 - np.asarray(pressure_hpa, dtype=np.float64), 0.0, None)
    return 6.7 * dp ** 0.644 * KT_TO_MS / cma_to_1min


def holland2008_b(dp_hpa, dpcdt_hpa_h, lat_deg, vt_ms, b_min: float = 0.8, b_max: float = 2.5) -> np.ndarray:
    """Holland (2008) surface B: ``-4.4e-5 dp^2 + 0.01 dp + 0.03 dpc/dt - 0.014|lat| + 0.15 vt^x + 1``.

    ``x = 0.6 (1 - dp/215)``; dp in hPa, dpc/dt in hPa/h (central-pressure tendency, > 0 filling),
    vt in m/s; clipped to [b_min, b_max].
    """
    dp = np.asarray(dp_hpa, dtype=np.float64)
    x = 0.6 * (1.0 - dp / 215.0)
    b = (-4.4e-5 * dp ** 2 + 0.01 * dp + 0.03 * np.asarray(dpcdt_hpa_h, dtype=np.float64)
         - 0.014 * np.abs(lat_deg) + 0.15 * np.power(np.clip(vt_ms, 0.0, None), x) + 1.0)
    return np.clip(b, b_min, b_max)


def holland_b_from_vmax(vmax_1min_ms, dp_hpa, vt_ms, params: WindParams) -> np.ndarray:
    """Holland B that reproduces the track's maximum wind (``holland_b_method = "vmax"``).

    The field's marine maximum is about ``sea_factor (Vg_max + a vt)`` with the cyclostrophic peak
    ``Vg_max = sqrt(B dp / (rho e))`` (Holland 1980), so ``B = rho e (Vmax_1min / sea_factor - a vt)^2 / dp``
    (dp in Pa), clipped to [b_min, b_max]; points without a pressure deficit get b_min.
    """
    dp_pa = np.asarray(dp_hpa, dtype=np.float64) * 100.0
    vg = np.clip(np.asarray(vmax_1min_ms) / params.sea_factor - params.translation_fraction * np.asarray(vt_ms),
                 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(dp_pa > 0, params.rho * math.e * vg ** 2 / dp_pa, params.b_min)
    return np.clip(b, params.b_min, params.b_max)


def rmax_vickery_wadhera_2008(dp_hpa, lat_deg, vmax_ms=None) -> np.ndarray:
    """Rmax (km), Vickery & Wadhera (2008): ``ln Rmax = 3.015 - 6.291e-5 dp^2 + 0.0337 lat`` (sigma_ln 0.441)."""
    dp = np.asarray(dp_hpa, dtype=np.float64)
    return np.exp(3.015 - 6.291e-5 * dp ** 2 + 0.0337 * np.abs(lat_deg))


def rmax_willoughby_2006(dp_hpa, lat_deg, vmax_ms) -> np.ndarray:
    """Rmax (km), Willoughby et al. (2006): ``46.4 exp(-0.0155 Vmax + 0.0169 lat)``, Vmax in m/s."""
    return 46.4 * np.exp(-0.0155 * np.asarray(vmax_ms, dtype=np.float64) + 0.0169 * np.abs(lat_deg))


RMAX_RELATIONS = {"vickery_wadhera_2008": rmax_vickery_wadhera_2008, "willoughby_2006": rmax_willoughby_2006}


def translation_velocity(time_h, lat, lon):
    """Translation vector (east, north), float64[T] each, m/s: centred differences of the positions.

    Each segment's velocity is its great-circle displacement (equirectangular, mean latitude) over
    its duration; a point takes the time-weighted mean of its two segments (one at the ends).
    """
    time_h, lat, lon = (np.asarray(a, dtype=np.float64) for a in (time_h, lat, lon))
    if time_h.size < 2:
        return np.zeros(time_h.size), np.zeros(time_h.size)
    dt_s = np.diff(time_h) * 3600.0
    if np.any(dt_s <= 0):
        raise ValueError("track times must increase strictly")
    mid = np.radians(0.5 * (lat[1:] + lat[:-1]))
    seg_e = EARTH_RADIUS_M * np.radians(np.diff(lon)) * np.cos(mid) / dt_s
    seg_n = EARTH_RADIUS_M * np.radians(np.diff(lat)) / dt_s
    return _segments_to_points(seg_e, dt_s), _segments_to_points(seg_n, dt_s)


def _segments_to_points(seg, dt):
    out = np.empty(seg.size + 1)
    out[0], out[-1] = seg[0], seg[-1]
    out[1:-1] = (seg[1:] * dt[1:] + seg[:-1] * dt[:-1]) / (dt[1:] + dt[:-1])
    return out


def pressure_tendency(time_h, pressure_hpa) -> np.ndarray:
    """dpc/dt, float64[T], hPa/h (centred differences; 0 for a single point)."""
    time_h = np.asarray(time_h, dtype=np.float64)
    if time_h.size < 2:
        return np.zeros(time_h.size)
    return np.gradient(np.asarray(pressure_hpa, dtype=np.float64), time_h)


# ---------------------------------------------------------------------------------------------
# Tracks

_ALIASES = {"time_h": ("time_h", "time"), "lat": ("lat",), "lon": ("lon",),
            "pressure_hpa": ("pressure_hpa", "pressure", "pres"), "vmax_ms": ("vmax_ms", "wind", "vmax", "wind_ms"),
            "rmax_km": ("rmax_km", "rmax"), "grade": ("grade",)}


def as_track(obj, params: WindParams = WindParams()) -> Track:
    """A clean :class:`Track` from a Track, a mapping or a DataFrame (columns as in :data:`_ALIASES`).

    Datetime times become hours since the first point; NaN winds come from Atkinson & Holliday.
    The caller's arrays are never modified.
    """
    table = isinstance(obj, Mapping) or hasattr(obj, "columns")     # dict or DataFrame, else attributes

    def column(name, required=True):
        for alias in _ALIASES[name]:
            value = (obj[alias] if alias in obj else None) if table else getattr(obj, alias, None)
            if value is not None:
                return np.asarray(value)
        if required:
            raise KeyError(f"track needs a {name!r} column (accepted names: {_ALIASES[name]})")
        return None

    time = column("time_h")
    if np.issubdtype(time.dtype, np.datetime64):
        time = (time - time[0]) / np.timedelta64(1, "h")
    time = np.ascontiguousarray(time, dtype=np.float64)
    lat, lon, pres = (np.ascontiguousarray(column(k), dtype=np.float64) for k in ("lat", "lon", "pressure_hpa"))
    vmax = np.array(column("vmax_ms"), dtype=np.float64)      # a copy: NaNs are filled below
    if not (time.size == lat.size == lon.size == pres.size == vmax.size) or time.size == 0:
        raise ValueError("track arrays must be non-empty and of equal length")
    if time.size > 1 and np.any(np.diff(time) <= 0):
        raise ValueError("track times must increase strictly")
    missing = ~np.isfinite(vmax)
    vmax[missing] = atkinson_holliday_vmax(pres[missing], params.cma_to_1min)
    rmax, grade = column("rmax_km", False), column("grade", False)
    rmax = None if rmax is None else np.ascontiguousarray(rmax, dtype=np.float64)
    grade = None if grade is None else np.ascontiguousarray(grade, dtype=np.int64)
    return Track(time, lat, lon, pres, vmax, rmax, grade)


def hourly(track: Track, step_h: float = 1.0) -> Track:
    """The track linearly interpolated in time every ``step_h`` hours (ends kept; grade held forward)."""
    t = track.time_h
    if t.size < 2:
        return track
    grid = np.arange(t[0], t[-1], step_h)
    grid = np.append(grid, t[-1]) if grid[-1] < t[-1] - 1e-9 else grid

    def interp(values):
        return None if values is None else np.interp(grid, t, values)

    grade = None if track.grade is None else track.grade[np.searchsorted(t, grid, side="right") - 1]
    return Track(grid, interp(track.lat), interp(track.lon), interp(track.pressure_hpa), interp(track.vmax_ms),
                 interp(track.rmax_km), grade)


def land_mask(lat, lon) -> np.ndarray:
    """bool array: the points are on land in the GLOBE 1-km mask (package ``global-land-mask``).

    The same cells as ``global_land_mask.globe.is_land``, but only the block of mask rows and columns
    around the points is decompressed (importing ``globe`` holds the whole 0.9 GB mask in memory)."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if lat.size == 0:
        return np.zeros(np.broadcast(lat, lon).shape, dtype=bool)
    grid_lat, grid_lon = _globe_axes()
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180):
        raise ValueError("land_mask: latitude must be in [-90, 90] and longitude in [-180, 180]")
    iy = ((np.clip(lat, grid_lat.min(), grid_lat.max()) - grid_lat[0]) / (grid_lat[1] - grid_lat[0])).astype(int)
    ix = ((np.clip(lon, grid_lon.min(), grid_lon.max()) - grid_lon[0]) / (grid_lon[1] - grid_lon[0])).astype(int)
    r0, r1, c0, c1 = int(iy.min()), int(iy.max()) + 1, int(ix.min()), int(ix.max()) + 1
    small = (r1 - r0) * (c1 - c0) <= 64 * 2**20          # a province's sites: keep the block for reuse
    ocean = (_globe_block if small else _globe_block.__wrapped__)(r0, r1, c0, c1)
    return ~ocean[iy - r0, ix - c0]


def _globe_path():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("global_land_mask")
    if spec is None:
        raise ImportError("the typhoon footprint needs the land mask: pip install global-land-mask")
    return Path(spec.origin).parent / "globe_combined_mask_compressed.npz"


@functools.lru_cache(maxsize=1)
def _globe_axes():
    with np.load(_globe_path()) as npz:   # lazy: reads only the two small axis arrays
        return npz["lat"], npz["lon"]


@functools.lru_cache(maxsize=4)
def _globe_block(r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """bool[r1 - r0, c1 - c0]: ocean flags of mask rows r0..r1 and columns c0..c1, read row by row."""
    import zipfile

    with zipfile.ZipFile(_globe_path()) as archive, archive.open("mask.npy") as stream:
        version = np.lib.format.read_magic(stream)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = header(stream)
        if len(shape) != 2 or fortran or dtype != np.bool_:
            raise ValueError(f"{_globe_path()}: unexpected GLOBE mask layout {shape}, {dtype}")
        parts, step = [], 240
        for row in range(0, r1, step):
            rows = np.frombuffer(stream.read(min(step, shape[0] - row) * shape[1]), dtype=np.bool_).reshape(-1, shape[1])
            lo, hi = max(r0 - row, 0), min(r1 - row, rows.shape[0])
            if hi > lo:
                parts.append(rows[lo:hi, c0:c1].copy())
    return np.concatenate(parts)


def decay_over_land(track, land_mask_fn: Callable = land_mask, params: WindParams = WindParams()) -> Track:
    """Re-derive a track's intensity over land with Kaplan & DeMaria (1995) decay.

    For a track whose positions were perturbed, the historical intensity no longer matches where
    the centre is. At the first landfall (first point on land: wind V0, deficit dp0) the wind drops
    to ``R V0``; over land it then decays as ``V(t) = Vb + (V(t_prev) - Vb) exp(-alpha dt)`` (the
    Kaplan-DeMaria curve ``Vb + (R V0 - Vb) exp(-alpha t)`` in steps, so that time at sea in between
    is not counted; a storm already weaker than Vb keeps its wind), and the pressure deficit follows
    the Atkinson-Holliday shape, ``dp = dp0 (V / (R V0))^(1/0.644)``. The R drop is applied once:
    a track that hugs the coast and flips between land and sea is not cut by 10% at every flip. Back
    over the sea the storm does not re-intensify (wind and deficit stay at most their last values).
    Wherever the track's own intensity is already weaker, it is kept. Points before the first
    landfall are unchanged; an interval counts as time over land when its end point is on land.

    ``land_mask_fn(lat, lon) -> bool[T]`` (e.g. :func:`land_mask`). Returns a new Track; CMA tracks,
    which observe the decay, need not pass through here.
    """
    track = as_track(track, params)
    on_land = np.asarray(land_mask_fn(track.lat, track.lon), dtype=bool)
    vmax, pres = track.vmax_ms.copy(), track.pressure_hpa.copy()
    dp = params.ambient_hpa - pres
    vb, alpha = params.decay_background_ms, params.decay_rate_per_h
    landed = False
    v_ref = dp_ref = v_prev = dp_prev = 0.0
    for i in range(track.time_h.size):
        if on_land[i] and not landed:
            landed = True
            v_ref, dp_ref = params.decay_landfall_ratio * vmax[i], dp[i]
            vmax[i] = v_ref
        elif on_land[i]:
            decayed = vb + (v_prev - vb) * math.exp(-alpha * (track.time_h[i] - track.time_h[i - 1]))
            vmax[i] = min(vmax[i], decayed if v_prev > vb else v_prev)
        elif landed:
            vmax[i], dp[i] = min(vmax[i], v_prev), min(dp[i], dp_prev)
        if on_land[i]:
            shaped = dp_ref * (vmax[i] / v_ref) ** (1.0 / 0.644) if v_ref > 0.0 and dp_ref > 0.0 else dp_ref
            dp[i] = min(dp[i], shaped)
        v_prev, dp_prev = vmax[i], dp[i]
    return track._replace(vmax_ms=vmax, pressure_hpa=params.ambient_hpa - dp)


# ---------------------------------------------------------------------------------------------
# Kernel records and kernels

#: Per track point (T): lon, lat (deg), dp_pa (Pa), holland_b (-), rmax_m (m), coriolis (1/s,
#: signed with the hemisphere), vt_east, vt_north (m/s), cutoff_m (m). All float64[T].
StormPoints = namedtuple("StormPoints", "lon lat dp_pa holland_b rmax_m coriolis vt_east vt_north cutoff_m")
#: Per site (S): lon, lat (deg), coslat = cos(lat), factor (gradient -> surface). All float64[S].
SitePoints = namedtuple("SitePoints", "lon lat coslat factor")
#: Scalars: rho (kg/m3), translation_fraction (-), rotation_rad and inflow_rad (radians),
#: cutoff_rmax (-, the cut-off in units of Rmax), steps_per_rmax (-, profile table resolution),
#: floor_ms (m/s: outside Rmax, sites where gradient wind + background < floor are skipped).
WindConsts = namedtuple("WindConsts", "rho translation_fraction rotation_rad inflow_rad cutoff_rmax steps_per_rmax "
                                      "floor_ms")


@kernel
def holland_gradient_speed(r_m, rmax_m, holland_b, dp_pa, coriolis, rho):
    """Holland (1980) gradient wind speed (m/s) at radius ``r_m`` (scalars, SI units).

    ``V = sqrt((B/rho) x dp exp(-x) + (r f/2)^2) - r f/2`` with ``x = (Rmax/r)^B``, f = |coriolis|.
    """
    if r_m < 1.0 or dp_pa <= 0.0:
        return 0.0
    x = math.exp(holland_b * math.log(rmax_m / r_m))
    cyclo = holland_b / rho * x * dp_pa * math.exp(-x) if x < 700.0 else 0.0
    rf2 = 0.5 * r_m * abs(coriolis)
    return math.sqrt(cyclo + rf2 * rf2) - rf2


@kernel
def _max_surface_wind(storm, sites, consts, out_1min):
    """Maximum over track points of the 1-min surface wind at each site.

    storm: :data:`StormPoints` (T points); sites: :data:`SitePoints` (S sites); consts:
    :data:`WindConsts`; out_1min: float64[S], m/s, overwritten. Per point and site within the
    cut-off: ``factor |Vg(r) u + a min(1, Rmax/r) Rot(theta) vt|`` with u the tangential unit vector
    turned inwards by the inflow angle (cyclonic: counter-clockwise north of the equator).

    Vg is tabulated per point every ``Rmax / consts.steps_per_rmax`` out to the cut-off and
    interpolated linearly (error below 0.01 m/s near Rmax with 40 steps): the exact profile costs two
    exponentials per pair, the table one multiply-add. Outside Rmax the table (and the cut-off) stops
    where ``Vg + |background| < consts.floor_ms``: the profile decreases monotonically there.
    """
    n_sites = sites.lon.shape[0]
    site_lon, site_lat, site_coslat = sites.lon, sites.lat, sites.coslat
    best2 = np.zeros(n_sites)           # squared gradient-level speed, before the site factor
    position = np.empty(n_sites)        # scratch: radius in table steps
    speed = np.empty(n_sites)           # scratch: Vg at the site
    deg = math.pi / 180.0
    r_deg = EARTH_RADIUS_M * deg        # metres per degree of latitude
    half_r_deg = 0.5 * r_deg
    cos_in, sin_in = math.cos(consts.inflow_rad), math.sin(consts.inflow_rad)
    n_table = int(math.ceil(consts.steps_per_rmax * consts.cutoff_rmax)) + 2
    table = np.empty(n_table)
    for t in range(storm.lon.shape[0]):
        dp = storm.dp_pa[t]
        if dp <= 0.0:
            continue
        hemi = 1.0 if storm.lat[t] >= 0.0 else -1.0
        rot = hemi * consts.rotation_rad
        bg_e = consts.translation_fraction * (storm.vt_east[t] * math.cos(rot) - storm.vt_north[t] * math.sin(rot))
        bg_n = consts.translation_fraction * (storm.vt_east[t] * math.sin(rot) + storm.vt_north[t] * math.cos(rot))
        lon_c, lat_c, cos_c = storm.lon[t], storm.lat[t], math.cos(storm.lat[t] * deg)
        rmax = storm.rmax_m[t]
        cut = min(storm.cutoff_m[t], consts.cutoff_rmax * rmax)
        step = rmax / consts.steps_per_rmax
        inv_step = 1.0 / step
        # profile table out to the cut-off, or to where the wind (plus background) falls below the floor
        bg_speed = math.sqrt(bg_e * bg_e + bg_n * bg_n)
        n_used = min(int(cut * inv_step) + 2, n_table)
        for k in range(n_used):
            table[k] = holland_gradient_speed(k * step, rmax, storm.holland_b[t], dp, storm.coriolis[t], consts.rho)
            if k * step > rmax and table[k] + bg_speed < consts.floor_ms and k >= 1:
                n_used = k + 1
                cut = min(cut, k * step)
                break
        cut2 = cut * cut
        # Three passes over the sites, so that the first and last vectorise (a table gather in the
        # loop would keep the whole loop scalar): radius -> table position, table -> Vg, vector sum.
        # Sites beyond the cut-off are masked, not skipped (no branch).
        q_last = float(n_used - 2)
        for s in range(n_sites):
            dx = (site_lon[s] - lon_c) * (half_r_deg * (site_coslat[s] + cos_c))
            dy = (site_lat[s] - lat_c) * r_deg
            position[s] = min(max(math.sqrt(dx * dx + dy * dy), 1.0) * inv_step, q_last)
        for s in range(n_sites):
            q = position[s]
            k = int(q)
            speed[s] = table[k] + (table[k + 1] - table[k]) * (q - k)
        for s in range(n_sites):
            dx = (site_lon[s] - lon_c) * (half_r_deg * (site_coslat[s] + cos_c))
            dy = (site_lat[s] - lat_c) * r_deg
            r2 = dx * dx + dy * dy
            inv_r = 1.0 / max(math.sqrt(r2), 1.0)
            vg_r = speed[s] * inv_r
            fade = min(1.0, rmax * inv_r)
            # Vg times the tangential (cyclonic) unit vector turned inwards by the inflow angle
            we = vg_r * (-cos_in * hemi * dy - sin_in * dx) + fade * bg_e
            wn = vg_r * (cos_in * hemi * dx - sin_in * dy) + fade * bg_n
            v2 = we * we + wn * wn if r2 <= cut2 else 0.0
            best2[s] = max(best2[s], v2)
    for s in range(n_sites):
        out_1min[s] = sites.factor[s] * math.sqrt(best2[s])


# ---------------------------------------------------------------------------------------------
# Wrappers

def storm_points(track, params: WindParams = WindParams()) -> StormPoints:
    """The kernel record of a track: per-point dp, Holland B, Rmax, Coriolis, translation, cut-off."""
    track = as_track(track, params)
    dp_hpa = params.ambient_hpa - track.pressure_hpa
    vt_e, vt_n = translation_velocity(track.time_h, track.lat, track.lon)
    vt = np.hypot(vt_e, vt_n)
    if params.holland_b_method == "holland2008":
        b = holland2008_b(np.clip(dp_hpa, 0.0, None), pressure_tendency(track.time_h, track.pressure_hpa),
                          track.lat, vt, params.b_min, params.b_max)
    else:
        b = holland_b_from_vmax(track.vmax_ms * params.cma_to_1min, dp_hpa, vt, params)
    rmax_km = np.clip(RMAX_RELATIONS[params.rmax_relation](np.clip(dp_hpa, 0.0, None), track.lat,
                                                         track.vmax_ms * params.cma_to_1min),
                      params.rmax_min_km, params.rmax_max_km)
    if track.rmax_km is not None:
        rmax_km = np.where(np.isfinite(track.rmax_km), track.rmax_km, rmax_km)
    cutoff_km = np.minimum(params.cutoff_rmax * rmax_km, params.cutoff_km)
    return StormPoints(track.lon, track.lat, dp_hpa * 100.0, b, rmax_km * 1000.0,
                       2.0 * OMEGA * np.sin(np.radians(track.lat)), vt_e, vt_n, cutoff_km * 1000.0)


def site_wind_factor(is_land, params: WindParams = WindParams()) -> np.ndarray:
    """float64[S] gradient-to-surface factor: ``land_factor`` on land, ``sea_factor`` at sea."""
    return np.where(np.asarray(is_land, dtype=bool), params.land_factor, params.sea_factor).astype(np.float64)


def _site_points(site_lon, site_lat, site_factor) -> SitePoints:
    lon = np.ascontiguousarray(site_lon, dtype=np.float64)
    lat = np.ascontiguousarray(site_lat, dtype=np.float64)
    factor = np.ascontiguousarray(np.broadcast_to(np.asarray(site_factor, dtype=np.float64), lon.shape))
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("site_lon and site_lat must be 1-D arrays of equal length")
    return SitePoints(lon, lat, np.cos(np.radians(lat)), factor)


def near_sites(lon, lat, cutoff_m, site_lon, site_lat) -> np.ndarray:
    """bool[T]: track points whose cut-off circle (float64[T], m) can reach the sites' bounding box.

    A cheap pre-filter (lower bound of the distance to the box), so kernels skip far points.
    """
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if np.size(site_lon) == 0:
        return np.zeros(lon.size, dtype=bool)
    dlat = np.clip(lat, np.min(site_lat), np.max(site_lat)) - lat
    dlon = np.clip(lon, np.min(site_lon), np.max(site_lon)) - lon
    coslat = np.cos(np.radians(np.clip(np.abs(lat) + np.abs(dlat), 0.0, 89.0)))
    d = EARTH_RADIUS_M * np.radians(np.hypot(dlat, dlon * coslat))
    return d <= np.asarray(cutoff_m) * 1.01


def max_surface_wind_1min(track, site_lon, site_lat, site_factor, params: WindParams = WindParams()) -> np.ndarray:
    """float64[S]: maximum over the storm's points of the 1-min mean wind at 10 m (m/s) at each site."""
    sites = _site_points(site_lon, site_lat, site_factor)
    storm = storm_points(track, params)
    keep = near_sites(storm.lon, storm.lat, storm.cutoff_m, sites.lon, sites.lat)
    storm = StormPoints(*(np.ascontiguousarray(a[keep]) for a in storm))
    consts = WindConsts(params.rho, params.translation_fraction, math.radians(params.translation_rotation_deg),
                        math.radians(params.inflow_deg), params.cutoff_rmax, float(params.profile_steps_per_rmax),
                        params.gradient_floor_ms)
    out = np.zeros(sites.lon.size)
    _max_surface_wind(storm, sites, consts, out)
    return out


def max_wind_at_sites(track, site_lon, site_lat, site_factor, params: WindParams = WindParams()):
    """Maximum 3-s gust and maximum 2-min sustained wind at 10 m over a storm's life.

    Parameters
    ----------
    track : Track or table with time_h, lat, lon, pressure_hpa, vmax_ms (hourly points advised).
    site_lon, site_lat : float64[S], degrees WGS-84.
    site_factor : float64[S] or scalar, gradient-to-surface factor (:func:`site_wind_factor`).
    params : WindParams.

    Returns
    -------
    gust_ms : float64[S], maximum 3-s gust (m/s) = 1-min wind x G(3,60).
    sustained_ms : float64[S], maximum 2-min mean (m/s, the CMA basis) = 1-min wind x G(3,60)/G(3,120).
    """
    v1 = max_surface_wind_1min(track, site_lon, site_lat, site_factor, params)
    return v1 * params.gust_per_1min, v1 * params.sustained_per_1min


def gradient_wind(r_km, dp_hpa: float, rmax_km: float, holland_b: float, lat_deg: float,
                  rho: float = 1.15) -> np.ndarray:
    """Holland (1980) gradient wind (m/s) at radii ``r_km`` (the kernel function, vectorised)."""
    f = 2.0 * OMEGA * math.sin(math.radians(lat_deg))
    return np.array([holland_gradient_speed(float(r) * 1000.0, rmax_km * 1000.0, holland_b, dp_hpa * 100.0, f, rho)
                     for r in np.atleast_1d(r_km)])


__all__ = ["Track", "WindParams", "as_track", "hourly", "land_mask", "decay_over_land", "atkinson_holliday_vmax",
           "holland2008_b", "holland_b_from_vmax", "rmax_vickery_wadhera_2008", "rmax_willoughby_2006",
           "translation_velocity", "pressure_tendency", "storm_points", "near_sites", "site_wind_factor",
           "max_surface_wind_1min", "max_wind_at_sites", "gradient_wind", "holland_gradient_speed"]
