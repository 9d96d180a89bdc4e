"""Snap points to the nearest point on the nearest network edge."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from carecircle.geo.network import WalkNetwork

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Snapped:
    """Where each point enters the network.

    Attributes
    ----------
    edge : ndarray of int64
        Index of the nearest edge, or -1 when none lies within the search distance.
    t : ndarray of float64
        Position along the edge from ``edge_u`` (0) to ``edge_v`` (1).
    distance : ndarray of float64
        Straight-line distance from the point to the network (m); inf when unsnapped.
    x, y : ndarray of float64
        The snapped point (m); NaN when unsnapped.
    """

    edge: IntArray
    t: FloatArray
    distance: FloatArray
    x: FloatArray
    y: FloatArray

    @property
    def ok(self) -> npt.NDArray[np.bool_]:
        """True where a point was snapped."""
        return self.edge >= 0


class EdgeIndex:
    """A spatial index (STRtree) over the network's straight edges."""

    def __init__(self, network: WalkNetwork) -> None:
        self.ax = network.x[network.edge_u]
        self.ay = network.y[network.edge_u]
        self.bx = network.x[network.edge_v]
        self.by = network.y[network.edge_v]
        coords = np.stack([np.stack([self.ax, self.ay], 1), np.stack([self.bx, self.by], 1)], 1)
        self.lines = shapely.linestrings(coords)
        self.tree = shapely.STRtree(self.lines)

    def snap(self, x: npt.ArrayLike, y: npt.ArrayLike, *, max_distance_m: float) -> Snapped:
        """Snap points to their nearest edge within ``max_distance_m``.

        Parameters
        ----------
        x, y : array_like
            Projected coordinates (m), same CRS as the network.
        max_distance_m : float
            Points farther than this from every edge are left unsnapped.

        Returns
        -------
        Snapped
            Edge, position, distance and snapped point per input point.
        """
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        n = x.size
        edge = np.full(n, -1, dtype=np.int64)
        if n:
            points = shapely.points(x, y)
            idx_in, idx_edge = self.tree.query_nearest(
                points, max_distance=max_distance_m, all_matches=False
            )
            edge[idx_in] = idx_edge
        return project_onto_edges(x, y, edge, self.ax, self.ay, self.bx, self.by)


def project_onto_edges(
    x: FloatArray,
    y: FloatArray,
    edge: IntArray,
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
) -> Snapped:
    """Project points onto given straight edges (vectorised).

    Parameters
    ----------
    x, y : ndarray
        Points (m).
    edge : ndarray of int
        Edge per point, -1 for none.
    ax, ay, bx, by : ndarray
        Edge start and end coordinates, indexed by edge.

    Returns
    -------
    Snapped
        The projection of each point.
    """
    ok = edge >= 0
    e = np.where(ok, edge, 0)
    if ax.size == 0:
        ok = np.zeros_like(ok)
        e = np.zeros_like(edge)
        ax = ay = bx = by = np.zeros(1)
    dx, dy = bx[e] - ax[e], by[e] - ay[e]
    seg2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = ((x - ax[e]) * dx + (y - ay[e]) * dy) / seg2
    t = np.clip(np.where(seg2 > 0, t, 0.0), 0.0, 1.0)
    px, py = ax[e] + t * dx, ay[e] + t * dy
    dist = np.hypot(x - px, y - py)
    return Snapped(
        edge=np.where(ok, edge, -1),
        t=np.where(ok, t, np.nan),
        distance=np.where(ok, dist, np.inf),
        x=np.where(ok, px, np.nan),
        y=np.where(ok, py, np.nan),
    )
