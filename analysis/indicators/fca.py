"""Two-step floating catchment (2SFCA) and its distance-decay variants on a sparse cost matrix.

The matrix holds the walking distance from each facility (row) to each cell (column) within
the catchment, from :func:`carecircle.geo.matrix.coverage_matrix`; every step is one sparse
product, never a loop per cell or per facility.

Step 1, per facility *j*: the supply shared among the older residents who can reach it,
``R_j = S_j / Σ_k P_k W(d_kj)``. Step 2, per cell *i*: the supply within its reach,
``A_i = Σ_j R_j W(d_ij)``. With the same weights in both steps, ``Σ_i P_i A_i`` equals the
supply of the facilities that reach any demand (the supply–demand identity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]

#: Distance decays: none (classic 2SFCA), Gaussian (Dai 2010), steps (E2SFCA, Luo & Qi 2009).
DECAYS = ("none", "gaussian", "steps")
#: E2SFCA weights of the three equal zones of the catchment (Luo & Qi 2009).
STEP_WEIGHTS = (1.0, 0.68, 0.22)
_EDGE = float(np.exp(-0.5))


def decay_weights(distance_m: npt.ArrayLike, catchment_m: float, decay: str) -> FloatArray:
    """Return the weight of each distance in a catchment of ``catchment_m`` metres.

    Parameters
    ----------
    distance_m : array_like
        Walking distances (m).
    catchment_m : float
        The catchment (m); beyond it every weight is 0.
    decay : {"none", "gaussian", "steps"}
        ``none``: 1 within the catchment. ``gaussian``: Dai's (2010) Gaussian scaled to 1 at
        0 m and 0 at the edge, ``(exp(-½ (d/d0)²) − exp(-½)) / (1 − exp(-½))``. ``steps``:
        1, 0.68, 0.22 in the three equal zones of the catchment (E2SFCA, Luo & Qi 2009).

    Returns
    -------
    ndarray
        Weights in [0, 1], the shape of ``distance_m``.
    """
    d = np.asarray(distance_m, dtype=np.float64)
    inside = d <= catchment_m
    if decay == "none":
        return inside.astype(np.float64)
    if decay == "gaussian":
        g = (np.exp(-0.5 * (d / catchment_m) ** 2) - _EDGE) / (1.0 - _EDGE)
        return np.where(inside, np.clip(g, 0.0, 1.0), 0.0)
    if decay == "steps":
        zone = (d > catchment_m / 3.0).astype(np.int64) + (d > 2.0 * catchment_m / 3.0)
        return np.where(inside, np.asarray(STEP_WEIGHTS)[zone], 0.0)
    raise ValueError(f"unknown decay {decay!r}; allowed: {', '.join(DECAYS)}")


@dataclass(frozen=True)
class Catchment:
    """The result of :func:`two_step_fca`.

    Attributes
    ----------
    score : ndarray
        ``A_i`` per cell: supply within reach per older resident (NaN where a facility of
        unknown supply reaches the cell; 0 where none reaches it).
    ratio : ndarray
        ``R_j`` per facility (NaN for unknown supply; 0 where no demand reaches it).
    demand : ndarray
        ``Σ_k P_k W(d_kj)`` per facility: the weighted demand that reaches it.
    """

    score: FloatArray
    ratio: FloatArray
    demand: FloatArray

    def reaching_supply(self, supply: npt.ArrayLike) -> float:
        """Return the supply of the facilities that reach any demand (unknown ones left out)."""
        s = np.asarray(supply, dtype=np.float64)
        return float(s[(self.demand > 0) & np.isfinite(s)].sum())


def weight_matrix(distance: sp.csr_array, catchment_m: float, decay: str) -> sp.csr_array:
    """Return the facility × cell weights of a sparse distance matrix (zero weights dropped).

    Parameters
    ----------
    distance : csr_array
        Walking distances (m) of the pairs within reach; a stored 0 is a real 0 m.
    catchment_m : float
        The catchment (m).
    decay : str
        One of :data:`DECAYS`.

    Returns
    -------
    csr_array
        Same shape; the data are the weights.
    """
    distance = sp.csr_array(distance)
    weights = sp.csr_array(
        (decay_weights(distance.data, catchment_m, decay), distance.indices, distance.indptr),
        shape=distance.shape,
    )
    weights.eliminate_zeros()
    return weights


def two_step_fca(
    distance: sp.csr_array,
    supply: npt.ArrayLike,
    demand: npt.ArrayLike,
    *,
    catchment_m: float,
    decay: str = "none",
) -> Catchment:
    """Compute the 2SFCA score of every cell (E2SFCA / Gaussian with a decay).

    Parameters
    ----------
    distance : csr_array
        ``n_facilities × n_cells`` walking distances (m) within reach.
    supply : array_like
        Supply per facility (m², beds …); NaN where unknown.
    demand : array_like
        Demand per cell (older residents).
    catchment_m : float
        The catchment (m); pairs farther away are left out.
    decay : str, default "none"
        One of :data:`DECAYS`.

    Returns
    -------
    Catchment
        Score per cell, ratio and weighted demand per facility.
    """
    weights = weight_matrix(distance, catchment_m, decay)
    s = np.asarray(supply, dtype=np.float64)
    p = np.asarray(demand, dtype=np.float64)
    reached = weights @ p
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reached > 0, s / reached, 0.0)
    unknown = np.isnan(ratio)
    score = weights.T @ np.where(unknown, 0.0, ratio)
    if unknown.any():
        touched = (weights.T @ unknown.astype(np.float64)) > 0
        score = np.where(touched, np.nan, score)
    return Catchment(score=np.asarray(score), ratio=ratio, demand=np.asarray(reached))
