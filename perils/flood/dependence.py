"""Spatial dependence of one event's rainfall: a Gaussian or t copula with exponential correlation.

Target: the copula scores ``Z_s`` of two sites at great-circle distance ``d`` (km) have correlation
``rho(d) = exp(-d / range_km)``. Two ways to draw them (config ``dependence.method``):

* ``exact``: the Cholesky factor of the correlation matrix of the (unique) sites; exact, but the
  cost grows as S^3 to set up and S^2 per event, and the draws depend on the whole site set;
* ``grid`` (default): standard normals on a fixed latent lattice covering the model domain
  (``grid_step_deg`` apart, about 800 points at 0.25 degrees), correlated by the lattice's Cholesky
  factor, bilinearly interpolated to the sites, plus an independent nugget that restores unit
  variance: ``Z_s = sum_k w_sk Y_k + sqrt(1 - w_s' C w_s) e_s``. Between sites more than a lattice
  step apart the correlation ``w_i' C w_j`` is within about 0.01-0.03 of ``rho(d)`` (the average of a
  smooth function over nearby nodes); closer sites are slightly less correlated than ``rho(d)``.
  (Rescaling ``w_s' Y`` to unit variance instead would inflate every correlation by ~10%.) The
  lattice cost is independent of the site count; :meth:`LatentField.correlation` gives the implied
  correlation, which the validation compares with the target.

t copula (``copula: t``): ``Z_s / sqrt(W / nu)`` with one ``W ~ chi2(nu)`` per event, which makes
extremes co-occur more (tail dependence) than the Gaussian copula at the same correlation.
Each event's output is the upper-tail probability ``q_s = P(score > observed)`` in (0, 1) that
:func:`perils.flood.margins.event_rain` turns into rain.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, special

from engine import geo
from engine.jit import kernel

#: Diagonal jitter added before the Cholesky factorisation (numerical).
JITTER = 1e-10


def exponential_correlation(distance_km, range_km: float):
    """``exp(-d / range_km)`` for distances in km."""
    return np.exp(-np.asarray(distance_km, float) / range_km)


def _correlation_matrix(lon, lat, range_km: float) -> np.ndarray:
    d = geo.haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    return exponential_correlation(d, range_km)


def lattice(step_deg: float, domain=geo.MODEL_DOMAIN):
    """Lattice points (lon, lat: float64[G]) covering ``domain`` with one step of margin, and its shape."""
    lon0, lat0 = domain.lon_min - step_deg, domain.lat_min - step_deg
    n_lon = int(np.ceil((domain.lon_max + step_deg - lon0) / step_deg)) + 1
    n_lat = int(np.ceil((domain.lat_max + step_deg - lat0) / step_deg)) + 1
    glon, glat = np.meshgrid(lon0 + step_deg * np.arange(n_lon), lat0 + step_deg * np.arange(n_lat))
    return glon.ravel(), glat.ravel(), (n_lat, n_lon)


def bilinear_weights(lon, lat, glon, glat, shape, step_deg: float) -> sparse.csr_matrix:
    """Sparse [S, G] bilinear interpolation weights of sites on the lattice (rows sum to 1)."""
    n_lat, n_lon = shape
    fx = (lon - glon[0]) / step_deg
    fy = (lat - glat[0]) / step_deg
    if np.any(fx < 0) or np.any(fy < 0) or np.any(fx >= n_lon - 1) or np.any(fy >= n_lat - 1):
        raise ValueError("flood rain field: a site lies outside the latent lattice (model domain lon "
                         f"{geo.MODEL_DOMAIN.lon_min}..{geo.MODEL_DOMAIN.lon_max}, lat "
                         f"{geo.MODEL_DOMAIN.lat_min}..{geo.MODEL_DOMAIN.lat_max})")
    ix, iy = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    tx, ty = fx - ix, fy - iy
    rows = np.repeat(np.arange(len(lon)), 4)
    cols = np.column_stack([iy * n_lon + ix, iy * n_lon + ix + 1, (iy + 1) * n_lon + ix, (iy + 1) * n_lon + ix + 1])
    vals = np.column_stack([(1 - tx) * (1 - ty), tx * (1 - ty), (1 - tx) * ty, tx * ty])
    return sparse.csr_matrix((vals.ravel(), (rows, cols.ravel())), shape=(len(lon), n_lat * n_lon))


@kernel
def lower_triangular_apply(chol, normals, out):
    """``out[e] = chol @ normals[e]`` for a lower-triangular ``chol``.

    chol : float64[G, G] (lower triangle read), normals : float64[E, G], out : float64[E, G] (written).
    Single-threaded and in a fixed summation order: a year's field is bit-identical however the years
    are chunked (a multi-threaded BLAS on a loaded machine is also 10x slower at this size).
    """
    n_events, n_points = normals.shape
    for e in range(n_events):
        for i in range(n_points):
            acc = 0.0
            for k in range(i + 1):
                acc += chol[i, k] * normals[e, k]
            out[e, i] = acc


def _quadratic_forms(left: sparse.csr_matrix, matrix: np.ndarray, right: sparse.csr_matrix, block: int = 10_000):
    """float64[K]: ``left[k] @ matrix @ right[k]`` for each row k, in blocks of rows (bounded memory)."""
    out = np.empty(left.shape[0])
    for start in range(0, left.shape[0], block):
        rows = slice(start, start + block)
        out[rows] = np.asarray(right[rows].multiply(left[rows] @ matrix).sum(axis=1)).ravel()
    return out


@dataclass(frozen=True)
class LatentField:
    """Correlated copula scores at S sites from G latent points (see module docstring).

    Attributes
    ----------
    chol : float64[G, G]
        Lower Cholesky factor of the latent points' correlation matrix.
    weights : scipy.sparse.csr_matrix [S, G]
        Interpolation weights of the latent points at the sites.
    nugget_sd : float64[S]
        Standard deviation of the independent part of each site's score (unit total variance).
    point_lon, point_lat : float64[G]
        Latent points (lattice nodes, or the unique sites for ``exact``).
    copula : str
        ``gaussian`` or ``t``.
    t_dof : float
        Degrees of freedom of the t copula.
    range_km : float
        Correlation range of the latent field.
    """

    chol: np.ndarray
    weights: sparse.csr_matrix
    nugget_sd: np.ndarray
    point_lon: np.ndarray
    point_lat: np.ndarray
    copula: str
    t_dof: float
    range_km: float

    @classmethod
    def build(cls, lon, lat, dependence) -> "LatentField":
        """The field for sites ``lon``, ``lat`` (float64[S], degrees) and ``DependenceParams``."""
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        if dependence.method == "exact":
            points, index = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True)
            plon, plat = points[:, 0].copy(), points[:, 1].copy()
            weights = sparse.csr_matrix((np.ones(len(lon)), (np.arange(len(lon)), index.ravel())),
                                        shape=(len(lon), len(plon)))
        else:
            plon, plat, shape = lattice(dependence.grid_step_deg)
            weights = bilinear_weights(lon, lat, plon, plat, shape, dependence.grid_step_deg)
        corr = _correlation_matrix(plon, plat, dependence.range_km)
        chol = np.linalg.cholesky(corr + JITTER * np.eye(len(plon)))
        nugget = np.sqrt(np.clip(1.0 - _quadratic_forms(weights, corr, weights), 0.0, 1.0))
        nugget[nugget < 1e-6] = 0.0     # exact method and sites on a node: no nugget
        return cls(chol, weights, nugget, plon, plat, dependence.copula, float(dependence.t_dof),
                   float(dependence.range_km))

    @property
    def n_latent(self) -> int:
        return self.chol.shape[0]

    def scores(self, gen: np.random.Generator, n_events: int) -> np.ndarray:
        """float64[E, S] unit-variance Gaussian scores of ``n_events`` events (draws from ``gen``:
        the latent normals [E, G], then the nugget normals [E, S] if any site has a nugget)."""
        latent = np.empty((n_events, self.n_latent))
        lower_triangular_apply(self.chol, gen.standard_normal((n_events, self.n_latent)), latent)
        z = np.ascontiguousarray((self.weights @ latent.T).T)
        if np.any(self.nugget_sd > 0):
            z += gen.standard_normal(z.shape) * self.nugget_sd
        return z

    def upper_tail(self, gen: np.random.Generator, n_events: int) -> np.ndarray:
        """float64[E, S] upper-tail probabilities ``q`` of the copula at the sites (in (0, 1)).

        Draw order from ``gen`` (fixed, so a year's events never depend on chunking): the scores
        (:meth:`scores`), then for the t copula one chi-square per event.
        """
        z = self.scores(gen, n_events)
        if self.copula == "t":
            w = gen.chisquare(self.t_dof, n_events)
            return special.stdtr(self.t_dof, -z / np.sqrt(w / self.t_dof)[:, None])
        return special.ndtr(-z)

    def correlation(self, i, j) -> np.ndarray:
        """Implied correlation of the Gaussian scores of site pairs (``i[k]``, ``j[k]``), float64[K]."""
        i, j = np.atleast_1d(i), np.atleast_1d(j)
        corr = _correlation_matrix(self.point_lon, self.point_lat, self.range_km)
        return _quadratic_forms(self.weights[i], corr, self.weights[j]) + np.where(i == j, self.nugget_sd[i] ** 2, 0.0)


__all__ = ["LatentField", "exponential_correlation", "lattice", "bilinear_weights"]
