"""The routing core: chains of degree-2 nodes contracted, distances read back at every node."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from network_cases import make_network, snapped, split_graph
from scipy.sparse.csgraph import dijkstra

from carecircle.geo.chains import contract_chains
from carecircle.geo.network import WalkNetwork
from carecircle.geo.routing import nearest_source_distances

EXAMPLES = settings(max_examples=200, deadline=None)
INF = np.inf


def path(n: int = 5, step: float = 100.0) -> WalkNetwork:
    """Nodes 0 … n-1 on a line, ``step`` metres apart."""
    return make_network([(step * i, 0.0) for i in range(n)], [(i, i + 1) for i in range(n - 1)])


def edge_of(net: WalkNetwork, a: int, b: int) -> int:
    return int(np.flatnonzero((net.edge_u == min(a, b)) & (net.edge_v == max(a, b)))[0])


def test_a_street_of_five_nodes_is_one_chain_between_its_ends() -> None:
    core = path().routing_core
    assert core.core_node.tolist() == [0, 4]
    assert core.chain_length.tolist() == [400.0]
    assert core.node_chain.tolist() == [-1, 0, 0, 0, -1]
    assert core.node_pos.tolist() == [0.0, 100.0, 200.0, 300.0, 0.0]
    assert core.graph.nnz == 2


def test_source_inside_a_chain_reaches_inner_nodes_directly_and_the_ends_around() -> None:
    net = path()
    # 10 m beside the middle of edge 1-2 (position 150 m along the chain)
    nd = nearest_source_distances(net, snapped([edge_of(net, 1, 2)], [0.5], [10.0]), limit_m=INF)
    assert nd.distance.tolist() == pytest.approx([160.0, 60.0, 60.0, 160.0, 260.0])
    assert nd.source.tolist() == [0, 0, 0, 0, 0]


def test_two_sources_on_one_chain_each_serve_their_side() -> None:
    net = path()
    src = snapped([edge_of(net, 0, 1), edge_of(net, 3, 4)], [0.5, 0.5], [0.0, 0.0])
    nd = nearest_source_distances(net, src, limit_m=INF)
    assert nd.distance.tolist() == pytest.approx([50.0, 50.0, 150.0, 50.0, 50.0])
    assert nd.source[[0, 1, 3, 4]].tolist() == [0, 0, 1, 1]
    limited = nearest_source_distances(net, src, limit_m=100.0)
    assert np.isinf(limited.distance[2])
    assert limited.source[2] == -1


def test_a_closed_ring_keeps_one_node_as_its_core() -> None:
    net = make_network([(0, 0), (100, 0), (100, 100), (0, 100)], [(0, 1), (1, 2), (2, 3), (3, 0)])
    core = net.routing_core
    assert core.core_node.tolist() == [0]
    assert core.chain_length.tolist() == [400.0]
    assert core.graph.nnz == 0  # the chain leads from node 0 back to itself
    nd = nearest_source_distances(net, snapped([edge_of(net, 1, 2)], [1.0], [0.0]), limit_m=INF)
    assert nd.distance.tolist() == pytest.approx([200.0, 100.0, 0.0, 100.0])


def test_a_loop_back_to_its_junction_is_walked_both_ways() -> None:
    # dead end 0 -- 50 m -- junction 1, and the loop 1 -> 2 -> 3 -> 1 of 3 x 100 m
    net = make_network(
        [(0, 0), (50, 0), (100, 80), (100, -80)],
        [(0, 1), (1, 2), (2, 3), (3, 1)],
        [50.0, 100.0, 100.0, 100.0],
    )
    core = net.routing_core
    assert core.core_node.tolist() == [0, 1]
    assert sorted(core.chain_length.tolist()) == [50.0, 300.0]
    nd = nearest_source_distances(net, snapped([edge_of(net, 0, 1)], [0.0], [0.0]), limit_m=INF)
    assert nd.distance.tolist() == pytest.approx([0.0, 50.0, 150.0, 150.0])


def test_demo_like_lattice_core_is_smaller_and_exact() -> None:
    rng = np.random.default_rng(3)
    side = 12
    xy = [(100.0 * c, 100.0 * r) for r in range(side) for c in range(side)]
    edges = [(r * side + c, r * side + c + 1) for r in range(side) for c in range(side - 1)]
    edges += [(r * side + c, (r + 1) * side + c) for r in range(side - 1) for c in range(side)]
    edges = [e for e in edges if rng.random() < 0.72]
    net = make_network(xy, edges)
    core = net.routing_core
    assert core.n_core < 0.9 * net.n_nodes
    full = dijkstra(net.graph, indices=core.core_node[:20])[:, core.core_node]
    contracted = dijkstra(core.graph, indices=np.arange(20))
    np.testing.assert_allclose(contracted, full, atol=1e-9)


# --- property tests on networks made of subdivided streets -----------------------------------

weights = st.one_of(st.just(0.0), st.integers(1, 80).map(float), st.floats(0.0, 150.0))


@st.composite
def street_networks(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]]]:
    """Junctions joined by streets of 1-4 segments (loops and parallel streets included),
    and sometimes a separate ring: many degree-2 nodes, as in OSM."""
    junctions = draw(st.integers(1, 6))
    edges: list[tuple[int, int, float]] = []
    n = junctions
    for _ in range(draw(st.integers(1, 8))):
        a, b = draw(st.integers(0, junctions - 1)), draw(st.integers(0, junctions - 1))
        pieces = draw(st.integers(1, 4))
        stops = [a, *range(n, n + pieces - 1), b]
        n += pieces - 1
        edges += [(stops[i], stops[i + 1], draw(weights)) for i in range(pieces)]
    if draw(st.booleans()):
        ring = draw(st.integers(3, 5))
        edges += [(n + i, n + (i + 1) % ring, draw(weights)) for i in range(ring)]
        n += ring
    if all(a == b for a, b, _ in edges):
        edges.append((0, n, draw(weights)))
        n += 1
    return n, edges


def network(n: int, edges: list[tuple[int, int, float]]) -> WalkNetwork:
    return make_network([(0.0, 0.0)] * n, [(a, b) for a, b, _ in edges], [w for _, _, w in edges])


@EXAMPLES
@given(street_networks())
def test_every_edge_lies_on_one_chain_at_its_own_length(case: tuple) -> None:
    net = network(*case)
    core = contract_chains(net.graph, net.edge_u, net.edge_v, net.edge_length)
    np.testing.assert_allclose(
        np.abs(core.edge_pos_v - core.edge_pos_u), net.edge_length, atol=1e-9
    )
    length = core.chain_length[core.edge_chain]
    assert (np.minimum(core.edge_pos_u, core.edge_pos_v) >= -1e-9).all()
    assert (np.maximum(core.edge_pos_u, core.edge_pos_v) <= length + 1e-9).all()
    # chain lengths are the sums of their edges
    np.testing.assert_allclose(
        np.bincount(core.edge_chain, net.edge_length, minlength=core.chain_length.size),
        core.chain_length,
        atol=1e-9,
    )
    degree = np.diff(net.graph.indptr)
    assert (degree[core.inner_node] == 2).all()
    assert np.isin(np.flatnonzero(degree != 2), core.core_node).all()


@EXAMPLES
@given(st.data())
def test_core_routing_equals_networkx_on_street_networks(data: st.DataObject) -> None:
    n, edges = data.draw(street_networks())
    net = network(n, edges)
    k = data.draw(st.integers(1, 4))
    src = snapped(
        [data.draw(st.integers(0, net.n_edges - 1)) for _ in range(k)],
        [data.draw(st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 1))) for _ in range(k)],
        [data.draw(st.one_of(st.just(0.0), st.floats(0.0, 30.0))) for _ in range(k)],
    )
    limit = data.draw(st.one_of(st.just(INF), st.floats(0.0, 300.0)))
    nd = nearest_source_distances(net, src, limit_m=limit)
    bare = nearest_source_distances(net, src, limit_m=limit, with_source=False)

    g = split_graph(n, edges, net, {"s": src})
    names = [f"s{i}" for i in range(k)]
    want_map = nx.multi_source_dijkstra_path_length(g, names, weight="weight")
    want = np.array([want_map.get(i, INF) for i in range(n)])
    inside, outside = want < limit - 1e-6, want > limit + 1e-6
    np.testing.assert_allclose(nd.distance[inside], want[inside], atol=1e-6)
    assert np.isinf(nd.distance[outside]).all()
    np.testing.assert_array_equal(bare.distance, nd.distance)
    assert (bare.source == -1).all()
    for node in np.flatnonzero(inside):
        s = int(nd.source[node])
        via = nx.single_source_dijkstra_path_length(g, f"s{s}", weight="weight")
        assert via[int(node)] == pytest.approx(want[node], abs=1e-6)


def full_graph_reference(net: WalkNetwork, src: object) -> np.ndarray:
    """Distances by one Dijkstra on the whole network (virtual source nodes, no core)."""
    from carecircle.geo.routing import source_entries, with_source_nodes

    nodes, offsets = source_entries(net, src)
    graph = with_source_nodes(net.graph, nodes, offsets)
    starts = net.n_nodes + np.arange(nodes.shape[0])
    return dijkstra(graph, directed=True, indices=starts, min_only=True)[: net.n_nodes]


def test_many_sources_on_one_long_chain_stay_cheap_and_exact() -> None:
    # a 5 km rural road of 2,001 nodes with 300 facilities along it: the sweep along the
    # chain never pairs every facility with every node (that took ~0.5 GB at 20k x 500)
    net = path(2001, 2.5)
    rng = np.random.default_rng(8)
    src = snapped(
        rng.integers(0, net.n_edges, 300).tolist(),
        rng.uniform(0, 1, 300).tolist(),
        rng.uniform(0, 20, 300).tolist(),
    )
    nd = nearest_source_distances(net, src, limit_m=INF)
    np.testing.assert_allclose(nd.distance, full_graph_reference(net, src), atol=1e-9)
    picked = src.distance[nd.source] + np.abs(
        (net.edge_u[src.edge[nd.source]] + src.t[nd.source]) * 2.5 - net.x
    )
    np.testing.assert_allclose(picked, nd.distance, atol=1e-9)


def test_a_node_exactly_at_the_limit_is_reached_however_the_walk_is_summed() -> None:
    # summed from the far end, node 0 lies at 618.9999999999999 m; along the chain at 619.0
    lengths = [81.7, 13.3, 5.9, 244.2, 273.9]
    net = make_network([(0.0, 0.0)] * 6, [(i, i + 1) for i in range(5)], lengths)
    src = snapped([edge_of(net, 4, 5)], [1.0], [0.0])
    limit = float(dijkstra(net.graph, indices=5)[0])
    nd = nearest_source_distances(net, src, limit_m=limit)
    assert nd.distance[0] == pytest.approx(619.0, abs=1e-9)
    assert nd.source[0] == 0
