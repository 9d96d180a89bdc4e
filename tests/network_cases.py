"""Small networks for the routing tests, and networkx on the same network as a reference."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import numpy as np
from pyproj import CRS

from carecircle.geo.network import WalkNetwork, csr_from_edges
from carecircle.geo.snap import Snapped

INF = np.inf


def make_network(
    xy: list[tuple[float, float]], edges: list[tuple[int, int]], lengths: list[float] | None = None
) -> WalkNetwork:
    """A WalkNetwork from node coordinates (m) and an edge list (lengths default Euclidean)."""
    coords = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    n = coords.shape[0]
    u = np.array([a for a, _ in edges], dtype=np.int64)
    v = np.array([b for _, b in edges], dtype=np.int64)
    if lengths is None:
        w = np.hypot(coords[u, 0] - coords[v, 0], coords[u, 1] - coords[v, 1])
    else:
        w = np.asarray(lengths, dtype=np.float64)
    graph, eu, ev, ew = csr_from_edges(n, u, v, w)
    return WalkNetwork(
        CRS.from_epsg(32650),
        np.arange(n, dtype=np.int64),
        coords[:, 0],
        coords[:, 1],
        np.full(n, 118.0),
        np.full(n, 32.0),
        eu,
        ev,
        ew,
        graph,
    )


def snapped(edge: list[int], t: list[float], dist: list[float]) -> Snapped:
    """Snapped points given directly (edge -1 = unsnapped)."""
    e = np.asarray(edge, dtype=np.int64)
    ok = e >= 0
    return Snapped(
        e,
        np.where(ok, np.asarray(t, dtype=float), np.nan),
        np.where(ok, np.asarray(dist, dtype=float), np.inf),
        np.full(e.size, np.nan),
        np.full(e.size, np.nan),
    )


def network_of(n: int, edges: list[tuple[int, int, float]]) -> WalkNetwork:
    return make_network([(0.0, 0.0)] * n, [(a, b) for a, b, _ in edges], [w for _, _, w in edges])


def shortest(edges: list[tuple[int, int, float]]) -> dict[tuple[int, int], float]:
    best: dict[tuple[int, int], float] = {}
    for a, b, w in edges:
        if a != b:
            key = (min(a, b), max(a, b))
            best[key] = min(best.get(key, INF), w)
    return best


def split_graph(
    n: int, edges: list[tuple[int, int, float]], net: WalkNetwork, leaves: dict[str, Snapped]
) -> nx.Graph:
    """The network where every snapped point becomes a leaf hanging off a node splitting its edge.

    Built from the raw edge list (shortest of parallel edges), not from the network's arrays;
    the network only maps an edge index to its end nodes.
    """
    on_edge: dict[tuple[int, int], list[tuple[float, str, float]]] = defaultdict(list)
    for prefix, s in leaves.items():
        for i in np.flatnonzero(s.ok):
            key = (int(net.edge_u[s.edge[i]]), int(net.edge_v[s.edge[i]]))
            on_edge[key].append((float(s.t[i]), f"{prefix}{i}", float(s.distance[i])))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for (a, b), w in shortest(edges).items():
        stops = sorted(on_edge.get((a, b), []))
        prev, prev_t = a, 0.0
        for t, name, off in stops:
            g.add_edge(prev, ("x", name), weight=(t - prev_t) * w)
            g.add_edge(("x", name), name, weight=off)
            prev, prev_t = ("x", name), t
        g.add_edge(prev, b, weight=(1.0 - prev_t) * w)
    return g
