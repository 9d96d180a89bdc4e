"""Bounded multi-source shortest walking distances on CSR arrays (scipy.sparse.csgraph)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from carecircle.geo._arrays import expand_ranges
from carecircle.geo.chains import RoutingCore, nearest_on_chain
from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import Snapped

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Distances are sums of edge lengths taken in different orders by different searches, so the
# same walk can differ in its last bits (1e-13 m); a node whose walk equals the limit stays
# reached whichever way it was summed.
LIMIT_SLACK_M = 1e-9

__all__ = [
    "NodeDistances",
    "chain_entries",
    "expand_chains",
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


def with_source_nodes(graph: sp.csr_array, targets: IntArray, weights: FloatArray) -> sp.csr_array:
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
    offsets = np.stack(
        [snapped.distance + snapped.t * length, snapped.distance + (1.0 - snapped.t) * length],
        axis=1,
    )
    return nodes, offsets


def nearest_source_distances(
    network: WalkNetwork, sources: Snapped, *, limit_m: float, with_source: bool = True
) -> NodeDistances:
    """One bounded multi-source Dijkstra from snapped sources to every node.

    The search runs on the network's routing core (chains of degree-2 nodes contracted, see
    :mod:`carecircle.geo.chains`); the distances at the nodes inside chains are read off
    the chains' ends and the sources on the chain itself.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    sources : Snapped
        Snapped sources (facilities); unsnapped ones are ignored.
    limit_m : float
        Search radius (m); nodes farther away (beyond ``LIMIT_SLACK_M`` for rounding) get
        inf.
    with_source : bool, default True
        Also find which source is nearest. Without it the search skips the predecessor
        bookkeeping and ``source`` is -1 everywhere: enough for coverage and service areas.

    Returns
    -------
    NodeDistances
        Distance to and index of the nearest source per node.
    """
    n = network.n_nodes
    ok = np.flatnonzero(sources.ok)
    if ok.size == 0:
        return NodeDistances(np.full(n, np.inf), np.full(n, -1, dtype=np.int64), limit_m)
    core = network.routing_core
    snap = sources.distance[ok]
    nodes, offsets, chain, pos = chain_entries(core, sources.edge[ok], sources.t[ok], snap)
    graph = with_source_nodes(core.graph, nodes, offsets)
    starts = core.n_core + np.arange(ok.size)
    cut = limit_m + LIMIT_SLACK_M
    core_source = None
    if with_source:
        found, _pred, origin = dijkstra(
            graph, directed=True, indices=starts, min_only=True, limit=cut, return_predecessors=True
        )
        origin = np.asarray(origin[: core.n_core], dtype=np.int64)
        core_source = np.where(origin >= 0, ok[np.clip(origin - core.n_core, 0, None)], -1)
    else:
        found = dijkstra(graph, directed=True, indices=starts, min_only=True, limit=cut)
    dist, source = expand_chains(
        core, np.asarray(found[: core.n_core], dtype=np.float64), core_source, chain, pos, snap, ok
    )
    reached = dist <= cut
    dist = np.where(reached, dist, np.inf)
    source = np.where(reached, source, -1) if source is not None else np.full(n, -1, dtype=np.int64)
    return NodeDistances(dist, source, limit_m)


def chain_entries(
    core: RoutingCore, edge: IntArray, t: FloatArray, snap: FloatArray
) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Return the two core nodes each snapped point enters, with their offsets.

    Parameters
    ----------
    core : RoutingCore
        The network's routing core.
    edge, t, snap : ndarray
        Each point's network edge, position along it and snap distance (m).

    Returns
    -------
    nodes : ndarray of int64, shape (k, 2)
        The core nodes at the ends of each point's chain.
    offsets : ndarray of float64, shape (k, 2)
        Snap distance plus the distance along the chain to each end (m).
    chain : ndarray of int64
        Each point's chain.
    pos : ndarray of float64
        Each point's position along its chain (m from ``chain_a``).
    """
    chain, pos = core.position(edge, t)
    nodes = np.stack([core.chain_a[chain], core.chain_b[chain]], axis=1)
    offsets = np.stack([snap + pos, snap + (core.chain_length[chain] - pos)], axis=1)
    return nodes, offsets, chain, pos


def expand_chains(
    core: RoutingCore,
    core_dist: FloatArray,
    core_source: IntArray | None,
    chain: IntArray,
    pos: FloatArray,
    snap: FloatArray,
    source_id: IntArray,
) -> tuple[FloatArray, IntArray | None]:
    """Return the distances at every network node from those at the core nodes.

    A node inside a chain is reached through one of the chain's two ends, or directly along
    the chain from a source lying on it.

    Parameters
    ----------
    core : RoutingCore
        The routing core the distances were found on.
    core_dist : ndarray of float64
        Distance (m) to the nearest source at each core node.
    core_source : ndarray of int64 or None
        Index of that source at each core node; None when not wanted.
    chain, pos, snap : ndarray
        Each source's chain, position along it (m) and snap distance (m).
    source_id : ndarray of int
        Each source's index in the caller's sources.

    Returns
    -------
    dist : ndarray of float64
        Distance (m) at every network node, not yet cut at a limit.
    source : ndarray of int64 or None
        Nearest source at every network node (None when ``core_source`` is None).
    """
    n = core.node_chain.size
    dist = np.empty(n)
    dist[core.core_node] = core_dist
    inner, a, b = core.inner_node, core.inner_a, core.inner_b
    via_a = core_dist[a] + core.inner_to_a
    via_b = core_dist[b] + core.inner_to_b
    dist[inner] = np.minimum(via_a, via_b)
    source = None
    if core_source is not None:
        source = np.empty(n, dtype=np.int64)
        source[core.core_node] = core_source
        source[inner] = np.where(via_b < via_a, core_source[b], core_source[a])
    on_chain, direct, which = nearest_on_chain(core, chain, pos, snap)
    better = direct < dist[on_chain]
    dist[on_chain[better]] = direct[better]
    if source is not None:
        source[on_chain[better]] = source_id[which[better]]
    return dist, source


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
    src = np.where(
        use_v, node_distances.source[network.edge_v[e]], node_distances.source[network.edge_u[e]]
    )
    dist, src = _same_edge(points, sources, network.edge_length, dist, src)
    dist = np.where(points.ok, dist + points.distance, np.inf)
    # beyond the search limit a path found may not be the shortest: report no distance
    dist = np.where(dist <= node_distances.limit_m + LIMIT_SLACK_M, dist, np.inf)
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
    direct = (
        sources.distance[pair_s]
        + np.abs(points.t[pair_p] - sources.t[pair_s]) * edge_length[points.edge[pair_p]]
    )
    best = np.full(dist.size, np.inf)
    np.minimum.at(best, pair_p, direct)
    winner = np.full(dist.size, -1, dtype=np.int64)
    hit = direct <= best[pair_p]
    winner[pair_p[hit]] = pair_s[hit]
    better = best < dist
    return np.where(better, best, dist), np.where(better, winner, src)
