"""Walking distances on tiny hand-made networks, and against networkx on random ones."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from network_cases import make_network, network_of, shortest, snapped, split_graph

from carecircle.geo.network import WalkNetwork, csr_from_edges
from carecircle.geo.routing import (
    expand_ranges,
    nearest_source_distances,
    point_distances,
    source_entries,
)
from carecircle.geo.snap import EdgeIndex, Snapped

EXAMPLES = settings(max_examples=200, deadline=None)
INF = np.inf


def lattice() -> WalkNetwork:
    """3 × 3 lattice, 100 m spacing; node r * 3 + c sits at (100 c, 100 r)."""
    xy = [(100.0 * c, 100.0 * r) for r in range(3) for c in range(3)]
    edges = [(r * 3 + c, r * 3 + c + 1) for r in range(3) for c in range(2)]
    edges += [(r * 3 + c, (r + 1) * 3 + c) for r in range(2) for c in range(3)]
    return make_network(xy, edges)


def snap(net: WalkNetwork, xy: list[tuple[float, float]], max_m: float = 30.0) -> Snapped:
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return EdgeIndex(net).snap(pts[:, 0], pts[:, 1], max_distance_m=max_m)


# --- hand-computed cases -------------------------------------------------------------------


def test_lattice_has_twelve_edges_of_100_m() -> None:
    net = lattice()
    assert net.n_nodes == 9
    assert net.n_edges == 12
    np.testing.assert_array_equal(net.edge_length, np.full(12, 100.0))
    assert (net.edge_u < net.edge_v).all()


def test_facility_on_a_node_gives_manhattan_distances() -> None:
    net = lattice()
    fac = snap(net, [(0.0, 0.0)])
    assert fac.distance[0] == 0.0
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    manhattan = [100.0 * (r + c) for r in range(3) for c in range(3)]
    np.testing.assert_allclose(nd.distance, manhattan, atol=1e-9)
    np.testing.assert_array_equal(nd.source, np.zeros(9, dtype=np.int64))


def test_facility_beside_edge_middle_enters_both_ends_at_snap_plus_half_edge() -> None:
    net = lattice()
    fac = snap(net, [(50.0, -10.0)])  # 10 m south of the middle of edge 0-1
    nodes, offsets = source_entries(net, fac)
    assert sorted(nodes[0].tolist()) == [0, 1]
    np.testing.assert_allclose(offsets[0], [60.0, 60.0])
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    # 60 m to node 0 or node 1, then Manhattan along the lattice
    want = [
        60.0 + min(100.0 * (r + c), 100.0 * (r + abs(c - 1))) for r in range(3) for c in range(3)
    ]
    np.testing.assert_allclose(nd.distance, want, atol=1e-9)
    assert nd.distance[4] == pytest.approx(160.0)
    assert nd.distance[8] == pytest.approx(360.0)


def test_cell_on_the_facility_edge_walks_directly_along_it() -> None:
    net = lattice()
    fac = snap(net, [(50.0, -10.0)])
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    cells = snap(net, [(20.0, 5.0)])  # same edge, t = 0.2, 5 m off
    dist, src = point_distances(net, cells, nd, fac)
    # direct: 10 (facility off) + 30 (along edge) + 5 (cell off) = 45; via node 0 it is 85
    assert dist[0] == pytest.approx(45.0)
    assert src[0] == 0


def test_cell_on_another_edge_walks_via_its_nearer_end() -> None:
    net = lattice()
    fac = snap(net, [(50.0, -10.0)])
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    cells = snap(net, [(203.0, 50.0), (100.0, 175.0)])
    dist, src = point_distances(net, cells, nd, fac)
    # (203, 50): node 2 at 160 + 50 along + 3 off = 213
    # (100, 175): on edge 4-7 at x=100; node 4 at 160 + 75 = 235, node 7 at 260 + 25 = 285
    np.testing.assert_allclose(dist, [213.0, 235.0])
    np.testing.assert_array_equal(src, [0, 0])


def test_limit_makes_farther_nodes_inf_and_keeps_the_limit_itself() -> None:
    net = lattice()
    fac = snap(net, [(0.0, 0.0)])
    nd = nearest_source_distances(net, fac, limit_m=150.0)
    np.testing.assert_array_equal(nd.distance, [0, 100, INF, 100, INF, INF, INF, INF, INF])
    np.testing.assert_array_equal(nd.source, [0, 0, -1, 0, -1, -1, -1, -1, -1])
    at_limit = nearest_source_distances(net, fac, limit_m=200.0)
    np.testing.assert_array_equal(at_limit.distance, [0, 100, 200, 100, 200, INF, 200, INF, INF])


def test_nearest_of_two_sources_is_named_by_its_input_index() -> None:
    net = lattice()
    # A on node 0; a source too far from the network (unsnapped, index 1); B mid edge 5-8
    fac = snap(net, [(0.0, 0.0), (1000.0, 1000.0), (200.0, 150.0)])
    np.testing.assert_array_equal(fac.ok, [True, False, True])
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    np.testing.assert_allclose(nd.distance, [0, 100, 150, 100, 150, 50, 200, 150, 50])
    np.testing.assert_array_equal(nd.source, [0, 0, 2, 0, 2, 2, 0, 2, 2])


def test_unsnapped_points_get_inf_and_minus_one() -> None:
    net = lattice()
    fac = snap(net, [(0.0, 0.0)])
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    cells = snap(net, [(1000.0, 1000.0), (100.0, 50.0)])
    dist, src = point_distances(net, cells, nd, fac)
    np.testing.assert_array_equal(dist, [INF, 150.0])
    np.testing.assert_array_equal(src, [-1, 0])


def test_no_snapped_source_leaves_every_node_and_point_unreached() -> None:
    net = lattice()
    fac = snap(net, [(1000.0, 1000.0)])
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    np.testing.assert_array_equal(nd.distance, np.full(9, INF))
    np.testing.assert_array_equal(nd.source, np.full(9, -1))
    dist, src = point_distances(net, snap(net, [(50.0, 0.0)]), nd, fac)
    np.testing.assert_array_equal(dist, [INF])
    np.testing.assert_array_equal(src, [-1])


def test_zero_length_edge_is_walked_at_no_cost() -> None:
    # nodes 1 and 2 share a position and are joined by a zero-length edge
    net = make_network([(0, 0), (100, 0), (100, 0), (200, 0)], [(0, 1), (1, 2), (2, 3)])
    np.testing.assert_array_equal(net.edge_length, [100.0, 0.0, 100.0])
    assert net.graph.nnz == 6  # the zero is stored explicitly, both directions
    fac = snap(net, [(-5.0, 0.0)])  # beyond node 0: enters at t = 0, 5 m off
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    np.testing.assert_allclose(nd.distance, [5.0, 105.0, 105.0, 205.0])


def test_parallel_edges_keep_the_shortest() -> None:
    net = make_network([(0, 0), (100, 0)], [(0, 1), (1, 0), (0, 1)], lengths=[100, 70, 130])
    assert net.n_edges == 1
    np.testing.assert_array_equal(net.edge_length, [70.0])
    assert net.graph[0, 1] == 70.0
    assert net.graph[1, 0] == 70.0
    fac = snapped([0], [0.0], [0.0])
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    np.testing.assert_array_equal(nd.distance, [0.0, 70.0])


def test_csr_from_edges_drops_self_loops_and_sorts_edges() -> None:
    graph, eu, ev, ew = csr_from_edges(
        4, np.array([3, 2, 1, 1]), np.array([1, 2, 0, 3]), np.array([5.0, 1.0, 7.0, 4.0])
    )
    np.testing.assert_array_equal(eu, [0, 1])
    np.testing.assert_array_equal(ev, [1, 3])
    np.testing.assert_array_equal(ew, [7.0, 4.0])
    assert graph.shape == (4, 4)
    assert graph.nnz == 4
    assert graph[2, 2] == 0.0


def test_other_component_is_unreachable() -> None:
    net = make_network([(0, 0), (100, 0), (1000, 0), (1100, 0)], [(0, 1), (2, 3)])
    fac = snap(net, [(0.0, 0.0)])
    nd = nearest_source_distances(net, fac, limit_m=10_000)
    np.testing.assert_array_equal(nd.distance, [0.0, 100.0, INF, INF])
    np.testing.assert_array_equal(nd.source, [0, 0, -1, -1])
    dist, src = point_distances(net, snap(net, [(50.0, 0.0), (1050.0, 0.0)]), nd, fac)
    np.testing.assert_array_equal(dist, [50.0, INF])
    np.testing.assert_array_equal(src, [0, -1])


def test_same_edge_source_reached_directly_even_beyond_node_limit() -> None:
    # the shared edge is 1000 m long; both ends lie beyond the 300 m limit
    net = make_network([(0, 0), (1000, 0)], [(0, 1)])
    fac = snap(net, [(400.0, 0.0)])
    nd = nearest_source_distances(net, fac, limit_m=300.0)
    np.testing.assert_array_equal(nd.distance, [INF, INF])
    dist, src = point_distances(net, snap(net, [(600.0, 10.0)]), nd, fac)
    assert dist[0] == pytest.approx(210.0)
    assert src[0] == 0


def test_network_without_edges_gives_inf() -> None:
    net = make_network([(0, 0), (0, 0)], [(0, 0)])
    assert net.n_edges == 0
    none = snapped([-1], [0.0], [0.0])
    nd = nearest_source_distances(net, none, limit_m=100.0)
    dist, src = point_distances(net, none, nd, none)
    np.testing.assert_array_equal(dist, [INF])
    np.testing.assert_array_equal(src, [-1])


def test_point_beyond_the_limit_gets_inf_not_a_wrong_distance() -> None:
    # edge 0-1 is 500 m; node 1 is truly 160 m away via node 2, beyond the 150 m limit
    net = make_network(
        [(0, 0), (500, 0), (250, 50)], [(0, 1), (0, 2), (2, 1)], lengths=[500.0, 80.0, 80.0]
    )
    fac = snapped([1], [0.0], [0.0])  # edge 1 is (0, 2): the facility sits on node 0
    nd = nearest_source_distances(net, fac, limit_m=150.0)
    np.testing.assert_array_equal(nd.distance, [0.0, INF, 80.0])
    cell = snapped([0], [0.9], [0.0])  # 450 m from node 0 along edge (0, 1), 50 m from node 1
    dist, _src = point_distances(net, cell, nd, fac)
    # the true walk is 160 + 50 = 210 m, beyond the limit: inf (or the true 210 m), never 450 m
    assert np.isinf(dist[0]) or dist[0] == pytest.approx(210.0)


# --- expand_ranges -------------------------------------------------------------------------


def test_expand_ranges_small_case() -> None:
    got = expand_ranges(np.array([5, 0, 10]), np.array([2, 0, 3]))
    np.testing.assert_array_equal(got, [5, 6, 10, 11, 12])
    assert got.dtype == np.int64
    assert expand_ranges(np.array([], dtype=np.int64), np.array([], dtype=np.int64)).size == 0


@EXAMPLES
@given(st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 6)), max_size=12))
def test_expand_ranges_equals_list_comprehension(pairs: list[tuple[int, int]]) -> None:
    starts = np.array([s for s, _ in pairs], dtype=np.int64)
    counts = np.array([c for _, c in pairs], dtype=np.int64)
    want = [s + i for s, c in pairs for i in range(c)]
    np.testing.assert_array_equal(expand_ranges(starts, counts), np.array(want, dtype=np.int64))


# --- random graphs against networkx --------------------------------------------------------

weights = st.one_of(
    st.just(0.0),
    st.integers(1, 60).map(float),
    st.floats(0.0, 200.0, allow_nan=False, allow_infinity=False),
)
positions = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))
offsets = st.one_of(st.just(0.0), st.floats(0.0, 40.0))
limits = st.one_of(st.just(INF), st.floats(0.0, 400.0))


@st.composite
def raw_graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]]]:
    """Small multigraphs: possibly disconnected, with self-loops, parallel and 0-length edges."""
    n = draw(st.integers(2, 9))
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), weights),
            min_size=1,
            max_size=3 * n,
        )
    )
    if all(a == b for a, b, _ in edges):
        edges.append((0, 1, draw(weights)))
    return n, edges


@st.composite
def snaps(draw: st.DrawFn, n_edges: int, max_size: int, min_size: int = 0) -> Snapped:
    k = draw(st.integers(min_size, max_size))
    edge = [draw(st.one_of(st.integers(0, n_edges - 1), st.just(-1))) for _ in range(k)]
    return snapped(edge, [draw(positions) for _ in range(k)], [draw(offsets) for _ in range(k)])


@EXAMPLES
@given(st.data())
def test_network_edges_are_the_shortest_of_each_pair(data: st.DataObject) -> None:
    n, edges = data.draw(raw_graphs())
    net = network_of(n, edges)
    best = shortest(edges)
    got = {
        (int(a), int(b)): float(w)
        for a, b, w in zip(net.edge_u, net.edge_v, net.edge_length, strict=True)
    }
    assert got == best
    assert net.graph.nnz == 2 * len(best)
    for (a, b), w in best.items():
        assert net.graph[a, b] == w
        assert net.graph[b, a] == w


@EXAMPLES
@given(st.data())
def test_node_distances_equal_networkx_multi_source_dijkstra(data: st.DataObject) -> None:
    n, edges = data.draw(raw_graphs())
    net = network_of(n, edges)
    src = data.draw(snaps(net.n_edges, 4, min_size=1))
    limit = data.draw(limits)
    nd = nearest_source_distances(net, src, limit_m=limit)

    g = split_graph(n, edges, net, {"s": src})
    names = [f"s{i}" for i in np.flatnonzero(src.ok)]
    want_map = nx.multi_source_dijkstra_path_length(g, names, weight="weight") if names else {}
    want = np.array([want_map.get(i, INF) for i in range(n)])
    per_source = {
        int(name[1:]): nx.single_source_dijkstra_path_length(g, name, weight="weight")
        for name in names
    }

    inside = want < limit - 1e-6
    outside = want > limit + 1e-6
    np.testing.assert_allclose(nd.distance[inside], want[inside], rtol=0, atol=1e-6)
    assert np.isinf(nd.distance[outside]).all()
    assert (nd.source[outside] == -1).all()
    assert (nd.distance[np.isfinite(nd.distance)] <= limit + 1e-9).all()
    assert ((nd.source >= 0) == np.isfinite(nd.distance)).all()
    for node in np.flatnonzero(inside):
        s = int(nd.source[node])
        assert src.ok[s]
        assert per_source[s][int(node)] == pytest.approx(want[node], abs=1e-6)


@EXAMPLES
@given(st.data())
def test_point_distances_equal_networkx_on_split_edges(data: st.DataObject) -> None:
    n, edges = data.draw(raw_graphs())
    net = network_of(n, edges)
    src = data.draw(snaps(net.n_edges, 4))
    pts = data.draw(snaps(net.n_edges, 5, min_size=1))
    limit = data.draw(limits)
    nd = nearest_source_distances(net, src, limit_m=limit)
    dist, nearest = point_distances(net, pts, nd, src)

    g = split_graph(n, edges, net, {"s": src, "p": pts})
    names = [f"s{i}" for i in np.flatnonzero(src.ok)]
    want_map = nx.multi_source_dijkstra_path_length(g, names, weight="weight") if names else {}
    want = np.array([want_map.get(f"p{i}", INF) for i in range(pts.edge.size)])

    assert np.isinf(dist[~pts.ok]).all()
    assert (nearest[~pts.ok] == -1).all()
    assert ((nearest >= 0) == np.isfinite(dist)).all()
    # never shorter than the true shortest walk; equal to it when it lies within the limit
    assert (dist >= want - 1e-6).all()
    exact = want < limit - 1e-6
    np.testing.assert_allclose(dist[exact], want[exact], rtol=0, atol=1e-6)
    for i in np.flatnonzero(exact):
        s = int(nearest[i])
        assert src.ok[s]
        via_s = nx.single_source_dijkstra_path_length(g, f"s{s}", weight="weight")
        assert via_s[f"p{i}"] == pytest.approx(want[i], abs=1e-6)
