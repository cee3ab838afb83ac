"""Monthly potential evapotranspiration (PET, mm/month): Hargreaves and Thornthwaite.

Both act on arrays whose last two axes are (month 0..11 = January..December, county); the
mid-month day (15th) stands for the month. Extraterrestrial radiation and day length follow FAO-56
(Allen et al. 1998, eqs. 21-25, 34); Hargreaves-Samani (1985) as FAO-56 eq. 52; Thornthwaite (1948)
with the usual high-temperature form above 26.5 deg C.
"""
from __future__ import annotations

import numpy as np

from perils.drought.params import MONTH_DAYS, MONTH_START_DOY

SOLAR_CONSTANT = 0.0820          # MJ m-2 min-1 (FAO-56)
MJ_TO_MM = 0.408                 # mm of water evaporated per MJ m-2 (FAO-56 eq. 20)
MID_MONTH_DOY = MONTH_START_DOY + 14


def _solar(lat_deg: np.ndarray, doy=None):
    """(sunset hour angle ws rad, declination rad, inverse distance dr, latitude rad) on days ``doy``
    (default: mid-month): float64[12, C]."""
    j = np.asarray(MID_MONTH_DOY if doy is None else doy, float).reshape(-1, 1)
    phi = np.radians(np.asarray(lat_deg, float))[None, :]
    dr = 1.0 + 0.033 * np.cos(2 * np.pi * j / 365.0)
    decl = 0.409 * np.sin(2 * np.pi * j / 365.0 - 1.39)
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(decl), -1.0, 1.0))
    return ws, decl, dr, phi


def extraterrestrial_radiation(lat_deg, doy=None) -> np.ndarray:
    """Daily extraterrestrial radiation Ra (FAO-56 eq. 21) in mm/day of evaporation equivalent.

    Parameters
    ----------
    lat_deg : float64[C]
        Latitude, degrees (south negative).
    doy : int64[J] or None
        Days of year; default the 15th of each month (J = 12).

    Returns
    -------
    float64[J, C]
        Ra x 0.408 (MJ m-2 day-1 -> mm/day).
    """
    ws, decl, dr, phi = _solar(lat_deg, doy)
    ra = (24 * 60 / np.pi) * SOLAR_CONSTANT * dr * (ws * np.sin(phi) * np.sin(decl)
                                                     + np.cos(phi) * np.cos(decl) * np.sin(ws))
    return MJ_TO_MM * ra


def day_length_hours(lat_deg) -> np.ndarray:
    """Maximum possible sunshine duration N (hours) at mid-month: float64[12, C]."""
    ws, *_ = _solar(lat_deg)
    return 24.0 / np.pi * ws


def hargreaves(temp_c, dtr_c, lat_deg) -> np.ndarray:
    """Hargreaves-Samani reference evapotranspiration per month.

    Parameters
    ----------
    temp_c : float64[..., 12, C]
        Monthly mean temperature, deg C.
    dtr_c : float64[12, C] (or broadcastable)
        Mean diurnal temperature range (Tmax - Tmin), deg C.
    lat_deg : float64[C]
        Latitude, degrees.

    Returns
    -------
    float64[..., 12, C]
        ET0 = 0.0023 Ra (T + 17.8) sqrt(DTR) x days in month, mm/month (0 when T < -17.8).
    """
    ra = extraterrestrial_radiation(lat_deg)
    daily = 0.0023 * ra * np.maximum(np.asarray(temp_c) + 17.8, 0.0) * np.sqrt(np.maximum(dtr_c, 0.0))
    return daily * MONTH_DAYS[:, None]


def thornthwaite_heat_index(normal_temp_c) -> np.ndarray:
    """Annual heat index I = sum over months of (T/5)^1.514 (T > 0) of the normals: float64[C]."""
    t = np.maximum(np.asarray(normal_temp_c, float), 0.0)
    return np.sum((t / 5.0) ** 1.514, axis=-2)


def thornthwaite(temp_c, lat_deg, heat_index) -> np.ndarray:
    """Thornthwaite PET per month.

    Parameters
    ----------
    temp_c : float64[..., 12, C]
        Monthly mean temperature, deg C.
    lat_deg : float64[C]
        Latitude, degrees.
    heat_index : float64[C]
        Heat index I of the county's normals (:func:`thornthwaite_heat_index`), fixed so that a
        warmer month raises PET.

    Returns
    -------
    float64[..., 12, C]
        16 (N/12)(days/30)(10 T / I)^a mm/month for 0 < T < 26.5 deg C, the Willmott et al. (1985)
        form -415.85 + 32.24 T - 0.43 T^2 above, 0 at or below 0 deg C.
    """
    heat = np.asarray(heat_index, float)
    a = 6.75e-7 * heat ** 3 - 7.71e-5 * heat ** 2 + 1.792e-2 * heat + 0.49239
    t = np.asarray(temp_c, float)
    base = 16.0 * (10.0 * np.maximum(t, 0.0) / heat) ** a
    hot = -415.85 + 32.24 * t - 0.43 * t ** 2
    pet = np.where(t <= 0.0, 0.0, np.where(t < 26.5, base, hot))
    return pet * (day_length_hours(lat_deg) / 12.0) * (MONTH_DAYS[:, None] / 30.0)
