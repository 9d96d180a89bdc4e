"""Snap points to the nearest point on the nearest network edge."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree

from carecircle.geo._arrays import expand_ranges
from carecircle.geo.network import WalkNetwork

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SNAP_BLOCK = 131_072  # points snapped at once: bounds the candidate arrays to ~40 MB


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
    """A spatial index over the network's straight edges for exact nearest-edge snapping.

    Each edge is sampled every ``sample_m`` metres (ends included) into a KD-tree. For a point,
    the ``k`` nearest samples give candidate edges, on which the point is projected exactly.
    The answer is proven exact when the k-th sample lies farther than the best projection plus
    half a sample spacing (every edge at least as near would have a sample inside that
    distance); the few points where that proof fails are resolved exactly with an STRtree.

    Parameters
    ----------
    network : WalkNetwork
        The network to snap to.
    sample_m : float, default 40
        Sampling step along edges (m).
    k : int, default 8
        Samples queried per point.
    """

    def __init__(self, network: WalkNetwork, *, sample_m: float = 40.0, k: int = 8) -> None:
        self.ax = network.x[network.edge_u]
        self.ay = network.y[network.edge_u]
        self.bx = network.x[network.edge_v]
        self.by = network.y[network.edge_v]
        self.k = int(k)
        length = network.edge_length
        steps = np.maximum(np.ceil(length / sample_m).astype(np.int64), 1)
        self.half_step = float((length / steps).max(initial=0.0)) / 2.0
        counts = steps + 1
        self.sample_edge = np.repeat(np.arange(length.size, dtype=np.int64), counts)
        frac = expand_ranges(np.zeros(length.size, dtype=np.int64), counts) / np.repeat(
            steps, counts
        )
        e = self.sample_edge
        sx = self.ax[e] + frac * (self.bx[e] - self.ax[e])
        sy = self.ay[e] + frac * (self.by[e] - self.ay[e])
        self.tree = cKDTree(np.column_stack([sx, sy]), balanced_tree=False, compact_nodes=False)
        self._strtree: shapely.STRtree | None = None

    def _exact(self, x: FloatArray, y: FloatArray, max_distance_m: float) -> IntArray:
        """Nearest edge by STRtree (slow, exact), for the points the KD-tree cannot prove."""
        if self._strtree is None:
            coords = np.stack([np.stack([self.ax, self.ay], 1), np.stack([self.bx, self.by], 1)], 1)
            self._strtree = shapely.STRtree(np.asarray(shapely.linestrings(coords)))
        edge = np.full(x.size, -1, dtype=np.int64)
        idx_in, idx_edge = self._strtree.query_nearest(
            shapely.points(x, y), max_distance=max_distance_m, all_matches=False
        )
        edge[idx_in] = idx_edge
        return edge

    def _distance(self, x: FloatArray, y: FloatArray, e: IntArray) -> FloatArray:
        """Distance (m) from each point to its edge ``e`` (as :func:`project_onto_edges`)."""
        ax, ay = self.ax[e], self.ay[e]
        dx, dy = self.bx[e] - ax, self.by[e] - ay
        seg2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = ((x - ax) * dx + (y - ay) * dy) / seg2
        t = np.clip(np.where(seg2 > 0, t, 0.0), 0.0, 1.0)
        return np.hypot(x - (ax + t * dx), y - (ay + t * dy))

    def _nearest_candidates(
        self, x: FloatArray, y: FloatArray, k: int, max_distance_m: float
    ) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """Nearest edge among the edges of the k nearest samples, and whether that is proven."""
        n_samples = self.sample_edge.size
        k = min(k, n_samples)
        dist_k, idx_k = self.tree.query(
            np.column_stack([x, y]),
            k=k,
            workers=-1,
            distance_upper_bound=max_distance_m + self.half_step,
        )
        dist_k, idx_k = np.asarray(dist_k).reshape(x.size, k), np.asarray(idx_k).reshape(x.size, k)
        found = idx_k < n_samples
        cand = np.where(found, self.sample_edge[np.minimum(idx_k, n_samples - 1)], -1)
        edge = np.full(x.size, -1, dtype=np.int64)
        best = np.full(x.size, np.inf)
        for j in range(k):
            # an edge already tried for a point (samples of one edge lie side by side) gives
            # the same distance again: only the new ones are projected
            new = cand[:, j] >= 0
            for i in range(j):
                new &= cand[:, j] != cand[:, i]
            rows = np.flatnonzero(new)
            e = cand[rows, j]
            dist = self._distance(x[rows], y[rows], e)
            better = (dist < best[rows]) | ((dist == best[rows]) & (e < edge[rows]))
            rows, e, dist = rows[better], e[better], dist[better]
            best[rows] = dist
            edge[rows] = e
        proven = ~found[:, -1] | (dist_k[:, -1] > best + self.half_step) | (k == n_samples)
        return edge, proven

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
            Edge, position, distance and snapped point per input point; among edges at the
            same distance the lowest edge index wins.
        """
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.size <= SNAP_BLOCK:
            return self._snap_block(x, y, max_distance_m)
        # in blocks: the k-nearest candidate arrays of a million points would take ~0.3 GB
        parts = [
            self._snap_block(x[i : i + SNAP_BLOCK], y[i : i + SNAP_BLOCK], max_distance_m)
            for i in range(0, x.size, SNAP_BLOCK)
        ]
        return Snapped(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("edge", "t", "distance", "x", "y")
            )
        )

    def _snap_block(self, x: FloatArray, y: FloatArray, max_distance_m: float) -> Snapped:
        """Snap one block of points (see :meth:`snap`)."""
        edge = np.full(x.size, -1, dtype=np.int64)
        if x.size == 0 or self.sample_edge.size == 0:
            return project_onto_edges(x, y, edge, self.ax, self.ay, self.bx, self.by)
        unsure = np.arange(x.size)
        for k in (self.k, 4 * self.k, 16 * self.k):
            found, proven = self._nearest_candidates(x[unsure], y[unsure], k, max_distance_m)
            edge[unsure] = found
            unsure = unsure[~proven]
            if unsure.size == 0:
                break
        if unsure.size:
            edge[unsure] = self._exact(x[unsure], y[unsure], max_distance_m)
        snapped = project_onto_edges(x, y, edge, self.ax, self.ay, self.bx, self.by)
        too_far = snapped.distance > max_distance_m
        if too_far.any():
            edge = np.where(too_far, -1, edge)
            snapped = project_onto_edges(x, y, edge, self.ax, self.ay, self.bx, self.by)
        return snapped


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
