"""The routing core: the walking network with its chains of degree-2 nodes contracted.

OSM ways are stored as straight segments, so a curved street or a path between two junctions
is a chain of nodes with exactly two neighbours each. A shortest path that neither starts nor
ends inside such a chain enters it at one end and leaves at the other, so routing runs on the
*core*: the junctions and dead ends, with one edge per chain (its length). Distances at the
nodes inside a chain are then read off its two ends, and off the sources that lie on the chain
itself (:func:`nearest_on_chain`). Snapping and the cells stay on the straight segments; only
the Dijkstra works on the smaller graph. The core is built once per network and stored with
the network cache (:func:`core_arrays`, :func:`core_from_arrays`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from carecircle.geo._arrays import expand_ranges
from carecircle.geo.graph import csr_from_edges

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

__all__ = ["RoutingCore", "contract_chains", "core_arrays", "core_from_arrays", "nearest_on_chain"]


@dataclass(frozen=True)
class RoutingCore:
    """The network's junctions and dead ends, joined by one edge per chain.

    Every network edge belongs to exactly one chain: a run of edges between two core nodes
    whose inner nodes have exactly two neighbours (an edge between two core nodes is a chain
    of its own). Positions along a chain are metres from its end ``chain_a``.

    Attributes
    ----------
    graph : scipy.sparse.csr_array
        Symmetric ``n_core × n_core`` graph, one edge per chain (the shortest of parallel
        chains; a chain from a node back to itself has no edge).
    core_node : ndarray of int64
        Network node of each core node.
    chain_a, chain_b : ndarray of int64
        Core nodes at the two ends of each chain.
    chain_length : ndarray of float64
        Length of each chain (m).
    node_chain : ndarray of int64
        Chain of each network node inside a chain; -1 for core nodes.
    node_pos : ndarray of float64
        Position of each network node inside a chain; 0 for core nodes.
    edge_chain : ndarray of int64
        Chain of each network edge.
    edge_pos_u, edge_pos_v : ndarray of float64
        Positions of each network edge's ends ``edge_u`` and ``edge_v`` along its chain.
    inner_node : ndarray of int64
        The network nodes inside chains, ordered by chain.
    chain_start : ndarray of int64
        ``inner_node[chain_start[c]:chain_start[c + 1]]`` are the nodes inside chain ``c``.
    inner_a, inner_b : ndarray of int64
        For each of ``inner_node``, the core nodes at its chain's ends.
    inner_to_a, inner_to_b : ndarray of float64
        For each of ``inner_node``, the distances along its chain to those ends (m).
    """

    graph: sp.csr_array
    core_node: IntArray
    chain_a: IntArray
    chain_b: IntArray
    chain_length: FloatArray
    node_chain: IntArray
    node_pos: FloatArray
    edge_chain: IntArray
    edge_pos_u: FloatArray
    edge_pos_v: FloatArray
    inner_node: IntArray
    chain_start: IntArray
    inner_a: IntArray
    inner_b: IntArray
    inner_to_a: FloatArray
    inner_to_b: FloatArray

    @property
    def n_core(self) -> int:
        """Number of core nodes."""
        return int(self.core_node.size)

    def position(self, edge: IntArray, t: FloatArray) -> tuple[IntArray, FloatArray]:
        """Return the chain of, and the position along it of, points on network edges.

        Parameters
        ----------
        edge : ndarray of int
            Network edge of each point.
        t : ndarray of float
            Position along the edge from ``edge_u`` (0) to ``edge_v`` (1).

        Returns
        -------
        chain : ndarray of int64
            Chain of each point.
        pos : ndarray of float64
            Metres from the chain's end ``chain_a``.
        """
        pu, pv = self.edge_pos_u[edge], self.edge_pos_v[edge]
        return self.edge_chain[edge], pu + t * (pv - pu)


def _inner_components(
    n: int, inner: BoolArray, u: IntArray, v: IntArray
) -> tuple[IntArray, BoolArray]:
    """Label the runs of inner nodes; return labels and the inner-edge mask."""
    both = inner[u] & inner[v]
    adjacency = sp.csr_array((np.ones(int(both.sum())), (u[both], v[both])), shape=(n, n))
    _, labels = connected_components(adjacency, directed=False)
    return labels.astype(np.int64), both


def _break_cycles(
    n: int, inner: BoolArray, u: IntArray, v: IntArray
) -> tuple[BoolArray, IntArray, BoolArray]:
    """Make one node of every closed ring of degree-2 nodes a core node.

    Returns the inner-node mask and, for it, the run labels and inner-edge mask of
    :func:`_inner_components` (computed again only when a ring was broken).
    """
    labels, both = _inner_components(n, inner, u, v)
    nodes = np.bincount(labels[inner], minlength=n)
    edges = np.bincount(labels[u[both]], minlength=n)
    ring = (nodes > 0) & (edges >= nodes)
    if not ring.any():
        return inner, labels, both
    idx = np.flatnonzero(inner & ring[labels])
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, labels[idx], idx)
    inner = inner.copy()
    inner[first[ring]] = False
    return (inner, *_inner_components(n, inner, u, v))


def contract_chains(
    graph: sp.csr_array, edge_u: IntArray, edge_v: IntArray, edge_length: FloatArray
) -> RoutingCore:
    """Contract every chain of degree-2 nodes of a network to one edge.

    Parameters
    ----------
    graph : scipy.sparse.csr_array
        Symmetric adjacency of the network (no self-loops, no parallel edges), as built by
        :func:`carecircle.geo.graph.csr_from_edges`.
    edge_u, edge_v : ndarray of int
        The network's undirected edges, exactly those of ``graph`` (each once): the edge
        lists that :func:`~carecircle.geo.graph.csr_from_edges` returns.
    edge_length : ndarray of float
        Their lengths (m).

    Returns
    -------
    RoutingCore
        The core graph and where every network node and edge lies on it.
    """
    n = graph.shape[0]
    u = np.asarray(edge_u, dtype=np.int64)
    v = np.asarray(edge_v, dtype=np.int64)
    w = np.asarray(edge_length, dtype=np.float64)
    if graph.nnz != 2 * u.size:
        raise ValueError(
            f"contract_chains: the graph has {graph.nnz} entries but {u.size} edges "
            "were given; pass the edge lists csr_from_edges returned with it"
        )
    inner, labels, both = _break_cycles(n, np.diff(graph.indptr) == 2, u, v)
    core_node = np.flatnonzero(~inner).astype(np.int64)
    core_index = np.full(n, -1, dtype=np.int64)
    core_index[core_node] = np.arange(core_node.size)

    _, node_chain = np.unique(labels[inner], return_inverse=True)
    n_paths = int(node_chain.max(initial=-1)) + 1
    chain_of = np.full(n, -1, dtype=np.int64)
    chain_of[inner] = node_chain

    # the two boundary edges of each path chain: the first (by edge index) is its end a
    boundary = np.flatnonzero(inner[u] ^ inner[v])
    b_inner = np.where(inner[u[boundary]], u[boundary], v[boundary])
    b_core = np.where(inner[u[boundary]], v[boundary], u[boundary])
    order = np.lexsort((boundary, chain_of[b_inner]))
    boundary, b_inner, b_core = boundary[order], b_inner[order], b_core[order]
    side_a = np.zeros(boundary.size, dtype=bool)
    side_a[0::2] = True  # every path chain has exactly two boundary edges, sorted by chain

    # positions: distances from end a, through the a-side boundary edge into the chain only
    rows = np.concatenate([b_core[side_a], u[both], v[both]])
    cols = np.concatenate([b_inner[side_a], v[both], u[both]])
    data = np.concatenate([w[boundary[side_a]], w[both], w[both]])
    directed = sp.csr_array((data, (rows, cols)), shape=(n, n))
    starts = np.unique(b_core[side_a])
    pos = np.zeros(n)
    if starts.size:
        reach = dijkstra(directed, directed=True, indices=starts, min_only=True)
        pos[inner] = reach[inner]

    single = np.flatnonzero(~inner[u] & ~inner[v])
    chain_a = np.concatenate([core_index[b_core[side_a]], core_index[u[single]]])
    chain_b = np.concatenate([core_index[b_core[~side_a]], core_index[v[single]]])
    chain_length = np.concatenate([pos[b_inner[~side_a]] + w[boundary[~side_a]], w[single]])

    edge_chain = np.empty(u.size, dtype=np.int64)
    edge_chain[both] = chain_of[u[both]]
    edge_chain[boundary] = chain_of[b_inner]
    edge_chain[single] = n_paths + np.arange(single.size)
    pos_u, pos_v = pos[u].copy(), pos[v].copy()
    core_pos = np.where(side_a, 0.0, chain_length[chain_of[b_inner]])
    u_is_core = ~inner[u[boundary]]
    pos_u[boundary[u_is_core]] = core_pos[u_is_core]
    pos_v[boundary[~u_is_core]] = core_pos[~u_is_core]
    pos_u[single], pos_v[single] = 0.0, w[single]

    core_graph, *_ = csr_from_edges(core_node.size, chain_a, chain_b, chain_length)
    return _assemble(
        core_graph,
        {
            "chain_a": chain_a,
            "chain_b": chain_b,
            "chain_length": chain_length,
            "node_chain": chain_of,
            "node_pos": np.where(inner, pos, 0.0),
            "edge_chain": edge_chain,
            "edge_pos_u": pos_u,
            "edge_pos_v": pos_v,
        },
    )


def _assemble(graph: sp.csr_array, stored: Mapping[str, np.ndarray]) -> RoutingCore:
    """Build a :class:`RoutingCore` from its stored arrays, deriving the per-node lookups."""
    chain_a, chain_b = stored["chain_a"], stored["chain_b"]
    chain_length, node_chain = stored["chain_length"], stored["node_chain"]
    node_pos = stored["node_pos"]
    core_node = np.flatnonzero(node_chain < 0).astype(np.int64)
    inner_node = np.flatnonzero(node_chain >= 0).astype(np.int64)
    inner_node = inner_node[np.argsort(node_chain[inner_node], kind="stable")]
    chain = node_chain[inner_node]
    chain_start = np.zeros(chain_a.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(chain, minlength=chain_a.size), out=chain_start[1:])
    return RoutingCore(
        graph=graph,
        core_node=core_node,
        chain_a=chain_a,
        chain_b=chain_b,
        chain_length=chain_length,
        node_chain=node_chain,
        node_pos=node_pos,
        edge_chain=stored["edge_chain"],
        edge_pos_u=stored["edge_pos_u"],
        edge_pos_v=stored["edge_pos_v"],
        inner_node=inner_node,
        chain_start=chain_start,
        inner_a=chain_a[chain],
        inner_b=chain_b[chain],
        inner_to_a=node_pos[inner_node],
        inner_to_b=chain_length[chain] - node_pos[inner_node],
    )


_STORED = (
    "chain_a",
    "chain_b",
    "chain_length",
    "node_chain",
    "node_pos",
    "edge_chain",
    "edge_pos_u",
    "edge_pos_v",
)


def core_arrays(core: RoutingCore) -> dict[str, np.ndarray]:
    """Return the arrays that store a routing core (keys start with ``core_``).

    Parameters
    ----------
    core : RoutingCore
        The core to store, e.g. in the network's ``.npz`` cache.

    Returns
    -------
    dict of str to ndarray
        The stored fields and the core graph's CSR arrays.
    """
    out = {f"core_{name}": getattr(core, name) for name in _STORED}
    g = core.graph
    out |= {"core_indptr": g.indptr, "core_indices": g.indices, "core_data": g.data}
    return out


def core_from_arrays(arrays: Mapping[str, np.ndarray]) -> RoutingCore:
    """Rebuild a routing core from :func:`core_arrays` output (an ``.npz`` file works).

    Parameters
    ----------
    arrays : mapping of str to ndarray
        What :func:`core_arrays` returned.

    Returns
    -------
    RoutingCore
        The same core.
    """
    fields = {name: np.asarray(arrays[f"core_{name}"]) for name in _STORED}
    n_core = int((fields["node_chain"] < 0).sum())
    graph = sp.csr_array(
        (arrays["core_data"], arrays["core_indices"], arrays["core_indptr"]), shape=(n_core, n_core)
    )
    return _assemble(graph, fields)


def _prefix_argmin(group: IntArray, value: FloatArray) -> IntArray:
    """Index of the smallest ``value`` so far within each run of equal ``group``.

    Exact: the running minimum runs on integer keys (group first, then the rank of the
    value), never on shifted floats.
    """
    by_rank = np.argsort(value, kind="stable")
    rank = np.empty(value.size, dtype=np.int64)
    rank[by_rank] = np.arange(value.size)
    run = np.concatenate([[0], np.cumsum(group[1:] != group[:-1])]) if group.size else group
    shift = (int(run.max(initial=0)) - run) * value.size  # later runs: smaller keys
    return by_rank[np.minimum.accumulate(shift + rank) - shift]


def nearest_on_chain(
    core: RoutingCore, chain: IntArray, pos: FloatArray, snap: FloatArray
) -> tuple[IntArray, FloatArray, IntArray]:
    """Find the nearest source along the chain itself, for inner nodes of chains with sources.

    A node at position ``q`` reaches a source on its own chain at position ``p`` directly in
    ``snap + |p - q|``. The best source on the left is the one with the least ``snap - p``
    among those at or before ``q`` (a running minimum over the sources sorted along the
    chain), the best on the right the least ``snap + p`` at or after it: memory and time grow
    with the number of sources plus the nodes on their chains, never with their product.

    Parameters
    ----------
    core : RoutingCore
        The routing core.
    chain, pos, snap : ndarray
        Each source's chain, position along it (m) and snap distance (m).

    Returns
    -------
    nodes : ndarray of int64
        Network nodes inside chains that hold a source.
    distance : ndarray of float64
        Their direct walk to the nearest source on the chain (m).
    source : ndarray of int64
        Which source (index into ``chain``).
    """
    order = np.lexsort((pos, chain))
    s_chain, s_pos, s_snap = chain[order], pos[order], snap[order]
    chains = np.unique(s_chain)
    lo = core.chain_start[chains]
    nodes = core.inner_node[expand_ranges(lo, core.chain_start[chains + 1] - lo)]
    if nodes.size == 0:
        return nodes, np.zeros(0), np.zeros(0, dtype=np.int64)
    left_best = _prefix_argmin(s_chain, s_snap - s_pos)
    right_best = _prefix_argmin(s_chain[::-1], (s_snap + s_pos)[::-1])[::-1]
    right_best = s_chain.size - 1 - right_best

    # sources and nodes along their chains; a source at a node's position comes first
    k = s_chain.size
    seq_chain = np.concatenate([s_chain, core.node_chain[nodes]])
    seq_pos = np.concatenate([s_pos, core.node_pos[nodes]])
    seq = np.lexsort((np.arange(seq_chain.size) >= k, seq_pos, seq_chain))
    rank = np.where(seq < k, seq, -1)
    before = np.maximum.accumulate(rank)
    after = np.minimum.accumulate(np.where(seq < k, seq, k)[::-1])[::-1]
    is_node = seq >= k
    node_idx = seq[is_node] - k
    before, after = before[is_node], after[is_node]
    n_chain, n_pos = seq_chain[seq[is_node]], seq_pos[seq[is_node]]
    has_left = (before >= 0) & (s_chain[np.clip(before, 0, None)] == n_chain)
    has_right = (after < k) & (s_chain[np.clip(after, None, k - 1)] == n_chain)
    left = left_best[np.clip(before, 0, None)]
    right = right_best[np.clip(after, None, k - 1)]
    via_left = np.where(has_left, s_snap[left] + (n_pos - s_pos[left]), np.inf)
    via_right = np.where(has_right, s_snap[right] + (s_pos[right] - n_pos), np.inf)
    use_right = via_right < via_left
    dist = np.where(use_right, via_right, via_left)
    src = order[np.where(use_right, right, left)]
    return nodes[node_idx], dist, src
