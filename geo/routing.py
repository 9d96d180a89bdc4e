"""Bounded multi-source shortest walking distances on CSR arrays (scipy.sparse.csgraph)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from carecircle.geo._arrays import expand_ranges
from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import Snapped

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = [
    "NodeDistances",
    "expand_ranges",
    "nearest_source_distances",
    "point_distances",
    "source_entries",
    "with_source_nodes",
]


@dataclass(frozen=True)
class NodeDistances:
    """Distance from every node to its nearest source, within a limit.

    Attributes
    ----------
    distance : ndarray of float64
        Metres; inf beyond the limit or unreachable.
    source : ndarray of int64
        Index of the nearest source, -1 where unreached.
    """

    distance: FloatArray
    source: IntArray
    limit_m: float = np.inf


def with_source_nodes(
    graph: sp.csr_array, targets: IntArray, weights: FloatArray
) -> sp.csr_array:
    """Append one virtual node per source with directed edges into the graph.

    Parameters
    ----------
    graph : csr_array
        ``n × n`` graph.
    targets : ndarray of int, shape (k, m)
        The nodes each virtual source connects to.
    weights : ndarray of float, shape (k, m)
        Lengths of those connections (m), ≥ 0.

    Returns
    -------
    csr_array
        ``(n + k) × (n + k)`` graph; virtual source ``i`` is node ``n + i``; no edge leads
        into a virtual node, so no path passes through another source.
    """
    n = graph.shape[0]
    k, m = targets.shape
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + m * np.arange(1, k + 1)])
    indices = np.concatenate([graph.indices, targets.ravel().astype(graph.indices.dtype)])
    data = np.concatenate([graph.data, weights.ravel().astype(np.float64)])
    return sp.csr_array((data, indices, indptr.astype(np.int64)), shape=(n + k, n + k))


def source_entries(network: WalkNetwork, snapped: Snapped) -> tuple[IntArray, FloatArray]:
    """Return the two network nodes each snapped point enters, with their offsets.

    Parameters
    ----------
    network : WalkNetwork
        The network the points were snapped to.
    snapped : Snapped
        Snapped points (all must be snapped).

    Returns
    -------
    nodes : ndarray of int64, shape (k, 2)
        ``edge_u`` and ``edge_v`` of each point's edge.
    offsets : ndarray of float64, shape (k, 2)
        Snap distance plus the partial edge length to each end (m).
    """
    e = snapped.edge
    length = network.edge_length[e]
    nodes = np.stack([network.edge_u[e], network.edge_v[e]], axis=1)
    offsets = np.stack([snapped.distance + snapped.t * length,
                        snapped.distance + (1.0 - snapped.t) * length], axis=1)
    return nodes, offsets


def nearest_source_distances(
    network: WalkNetwork, sources: Snapped, *, limit_m: float, with_source: bool = True
) -> NodeDistances:
    """One bounded multi-source Dijkstra from snapped sources to every node.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    sources : Snapped
        Snapped sources (facilities); unsnapped ones are ignored.
    limit_m : float
        Search radius (m); nodes farther away get inf.
    with_source : bool, default True
        Also find which source is nearest. Without it the search runs as fast as a plain
        scipy Dijkstra from the source nodes (no predecessor bookkeeping) and ``source`` is
        -1 everywhere: enough for coverage and service areas.

    Returns
    -------
    NodeDistances
        Distance to and index of the nearest source per node.
    """
    n = network.n_nodes
    ok = np.flatnonzero(sources.ok)
    if ok.size == 0:
        return NodeDistances(np.full(n, np.inf), np.full(n, -1, dtype=np.int64), limit_m)
    sub = Snapped(sources.edge[ok], sources.t[ok], sources.distance[ok],
                  sources.x[ok], sources.y[ok])
    nodes, offsets = source_entries(network, sub)
    graph = with_source_nodes(network.graph, nodes, offsets)
    starts = n + np.arange(ok.size)
    if not with_source:
        dist = dijkstra(graph, directed=True, indices=starts, min_only=True, limit=limit_m)
        return NodeDistances(np.asarray(dist[:n], dtype=np.float64),
                             np.full(n, -1, dtype=np.int64), limit_m)
    dist, _pred, origin = dijkstra(graph, directed=True, indices=starts, min_only=True,
                                   limit=limit_m, return_predecessors=True)
    dist = np.asarray(dist[:n], dtype=np.float64)
    origin = np.asarray(origin[:n], dtype=np.int64)
    source = np.where(origin >= 0, ok[np.clip(origin - n, 0, None)], -1)
    return NodeDistances(dist, source, limit_m)


def point_distances(
    network: WalkNetwork,
    points: Snapped,
    node_distances: NodeDistances,
    sources: Snapped,
) -> tuple[FloatArray, IntArray]:
    """Return the walking distance from snapped points (cells) to their nearest source.

    A point on edge (u, v) at position t reaches the nearer of u and v along the edge;
    a source on the same edge is also reached directly along it. The point's own snap
    distance is added.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    points : Snapped
        Snapped points; unsnapped ones get inf.
    node_distances : NodeDistances
        From :func:`nearest_source_distances` with the same ``sources``.
    sources : Snapped
        The sources.

    Returns
    -------
    distance : ndarray of float64
        Metres; inf when unsnapped or beyond the search limit.
    source : ndarray of int64
        Index of the nearest source, -1 when none.
    """
    if network.n_edges == 0:
        return np.full(points.edge.size, np.inf), np.full(points.edge.size, -1, dtype=np.int64)
    e = np.where(points.ok, points.edge, 0)
    length = network.edge_length[e]
    du = node_distances.distance[network.edge_u[e]] + points.t * length
    dv = node_distances.distance[network.edge_v[e]] + (1.0 - points.t) * length
    use_v = dv < du
    dist = np.where(use_v, dv, du)
    src = np.where(use_v, node_distances.source[network.edge_v[e]],
                   node_distances.source[network.edge_u[e]])
    dist, src = _same_edge(points, sources, network.edge_length, dist, src)
    dist = np.where(points.ok, dist + points.distance, np.inf)
    # beyond the search limit a path found may not be the shortest: report no distance
    dist = np.where(dist <= node_distances.limit_m, dist, np.inf)
    src = np.where(np.isfinite(dist), src, -1)
    return dist, src


def _same_edge(
    points: Snapped, sources: Snapped, edge_length: FloatArray, dist: FloatArray, src: IntArray
) -> tuple[FloatArray, IntArray]:
    """Improve distances for points that share an edge with a source (direct along it)."""
    s_ok = np.flatnonzero(sources.ok)
    if s_ok.size == 0:
        return dist, src
    s_edge = sources.edge[s_ok]
    order = np.argsort(s_edge, kind="stable")
    s_sorted = s_edge[order]
    p_idx = np.flatnonzero(points.ok & np.isin(points.edge, s_sorted))
    if p_idx.size == 0:
        return dist, src
    lo = np.searchsorted(s_sorted, points.edge[p_idx], side="left")
    hi = np.searchsorted(s_sorted, points.edge[p_idx], side="right")
    counts = hi - lo
    pair_p = np.repeat(p_idx, counts)
    pair_s = s_ok[order[expand_ranges(lo, counts)]]
    direct = (sources.distance[pair_s]
              + np.abs(points.t[pair_p] - sources.t[pair_s]) * edge_length[points.edge[pair_p]])
    best = np.full(dist.size, np.inf)
    np.minimum.at(best, pair_p, direct)
    winner = np.full(dist.size, -1, dtype=np.int64)
    hit = direct <= best[pair_p]
    winner[pair_p[hit]] = pair_s[hit]
    better = best < dist
    return np.where(better, best, dist), np.where(better, winner, src)
