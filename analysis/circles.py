"""Further walking circles the indicators need: per facility-type coverage and co-location."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from carecircle.geo.matrix import coverage_matrix
from carecircle.geo.network import WalkNetwork
from carecircle.geo.routing import nearest_source_distances, point_distances
from carecircle.geo.snap import Snapped


def subset(snapped: Snapped, mask: npt.NDArray[np.bool_] | npt.NDArray[np.integer]) -> Snapped:
    """Return the snapped points where ``mask`` holds.

    Parameters
    ----------
    snapped : Snapped
        Points snapped to the network.
    mask : npt.NDArray[np.bool_] or npt.NDArray[np.integer]
        True for the points kept, or their indices.
    """
    return Snapped(
        snapped.edge[mask],
        snapped.t[mask],
        snapped.distance[mask],
        snapped.x[mask],
        snapped.y[mask],
    )


def walk_to_types(
    network: WalkNetwork,
    facilities: pd.DataFrame,
    f_snap: Snapped,
    c_snap: Snapped,
    types: tuple[str, ...],
    *,
    limit_m: float,
) -> npt.NDArray[np.float64]:
    """Return the walk from every cell to the nearest facility of the given types.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    facilities : DataFrame
        Facilities with ``type``; rows align with ``f_snap``.
    f_snap, c_snap : Snapped
        Snapped facilities and cells.
    types : tuple of str
        Facility types that count.
    limit_m : float
        Search limit (m); beyond it the distance is inf.

    Returns
    -------
    ndarray
        Metres per cell, inf when none is within the limit.
    """
    mask = facilities["type"].isin(types).to_numpy() & f_snap.ok
    sources = subset(f_snap, mask)
    nd = nearest_source_distances(network, sources, limit_m=limit_m, with_source=False)
    dist, _ = point_distances(network, c_snap, nd, sources)
    return dist


def nearest_health_distance(
    network: WalkNetwork,
    facilities: pd.DataFrame,
    f_snap: Snapped,
    care_types: tuple[str, ...],
    health_types: tuple[str, ...],
    *,
    threshold_m: float,
) -> npt.NDArray[np.float64]:
    """Return the walk from each elder-care facility to the nearest health facility.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    facilities : DataFrame
        Facilities with ``type``; rows align with ``f_snap``.
    f_snap : Snapped
        Snapped facilities.
    care_types, health_types : tuple of str
        Elder-care types assessed, and health types that count as a partner.
    threshold_m : float
        Largest distance searched (m).

    Returns
    -------
    ndarray
        Metres per facility; NaN for facilities not of a care type, inf when no health
        facility lies within the threshold.
    """
    types = facilities["type"].to_numpy()
    care = np.isin(types, care_types) & f_snap.ok
    health = np.isin(types, health_types) & f_snap.ok
    out = np.full(len(facilities), np.nan)
    out[care] = np.inf
    if not care.any() or not health.any():
        return out
    matrix = coverage_matrix(
        network, subset(f_snap, health), subset(f_snap, care), radius_m=threshold_m
    ).tocsc()
    col_nonempty = np.diff(matrix.indptr) > 0
    best = np.full(int(care.sum()), np.inf)
    if col_nonempty.any():
        starts = matrix.indptr[:-1][col_nonempty]
        best[col_nonempty] = np.minimum.reduceat(matrix.data, starts)
    out[care] = best
    return out
