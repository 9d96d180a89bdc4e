"""Snapping points to the nearest point on the nearest straight edge."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from network_cases import make_network

from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import EdgeIndex, project_onto_edges

EXAMPLES = settings(max_examples=200, deadline=None)


def one_edge() -> WalkNetwork:
    return make_network([(0, 0), (100, 0)], [(0, 1)])


def test_point_beside_middle_snaps_at_half_with_perpendicular_distance() -> None:
    s = EdgeIndex(one_edge()).snap([50.0], [-10.0], max_distance_m=100)
    assert s.edge[0] == 0
    assert s.t[0] == pytest.approx(0.5)
    assert s.distance[0] == pytest.approx(10.0)
    assert (s.x[0], s.y[0]) == pytest.approx((50.0, 0.0))
    assert s.ok[0]


def test_position_is_measured_from_the_lower_numbered_end() -> None:
    # edge given as 1 -> 0 is stored as (0, 1); node 0 is at x = 100
    net = make_network([(100, 0), (0, 0)], [(1, 0)])
    assert (net.edge_u[0], net.edge_v[0]) == (0, 1)
    s = EdgeIndex(net).snap([30.0], [7.0], max_distance_m=100)
    assert s.t[0] == pytest.approx(0.7)
    assert s.distance[0] == pytest.approx(7.0)


@pytest.mark.parametrize(("x", "y", "t"), [(-30.0, 40.0, 0.0), (130.0, -40.0, 1.0)])
def test_point_beyond_an_end_snaps_to_that_end_with_euclidean_distance(
    x: float, y: float, t: float
) -> None:
    s = EdgeIndex(one_edge()).snap([x], [y], max_distance_m=100)
    assert s.edge[0] == 0
    assert s.t[0] == t
    assert s.distance[0] == pytest.approx(50.0)  # 3-4-5 triangle
    assert (s.x[0], s.y[0]) == pytest.approx((100.0 * t, 0.0))


def test_far_point_is_left_unsnapped() -> None:
    index = EdgeIndex(one_edge())
    s = index.snap([50.0, 50.0], [-60.0, -20.0], max_distance_m=50)
    np.testing.assert_array_equal(s.edge, [-1, 0])
    np.testing.assert_array_equal(s.ok, [False, True])
    assert s.distance[0] == np.inf
    assert np.isnan(s.t[0])
    assert np.isnan(s.x[0])
    assert np.isnan(s.y[0])
    assert s.distance[1] == pytest.approx(20.0)


def test_point_exactly_at_max_distance_is_snapped() -> None:
    s = EdgeIndex(one_edge()).snap([50.0], [-60.0], max_distance_m=60)
    assert s.edge[0] == 0
    assert s.distance[0] == pytest.approx(60.0)


def test_nearest_of_two_edges_is_chosen() -> None:
    # edge 0 along y = 0, edge 1 along y = 30
    net = make_network([(0, 0), (100, 0), (0, 30), (100, 30)], [(0, 1), (2, 3)])
    s = EdgeIndex(net).snap([50.0, 50.0, 10.0], [12.0, 20.0, 40.0], max_distance_m=100)
    np.testing.assert_array_equal(s.edge, [0, 1, 1])
    np.testing.assert_allclose(s.distance, [12.0, 10.0, 10.0])
    np.testing.assert_allclose(s.t, [0.5, 0.5, 0.1])


def test_equidistant_edges_go_to_the_lowest_index() -> None:
    net = make_network([(0, 0), (100, 0), (0, 30), (100, 30)], [(0, 1), (2, 3)])
    s = EdgeIndex(net).snap([50.0], [15.0], max_distance_m=100)
    assert s.edge[0] == 0
    assert s.distance[0] == pytest.approx(15.0)


def test_long_edge_wins_over_near_samples_of_a_short_one() -> None:
    # a 2 km edge whose nearest sample is 20 m away from the point's foot on it,
    # against a short edge whose end is 12 m away: the long edge (5 m) must win
    net = make_network([(0, 0), (2000, 0), (1020, 17), (1020, 40)], [(0, 1), (2, 3)])
    s = EdgeIndex(net, sample_m=40, k=1).snap([1020.0], [5.0], max_distance_m=100)
    assert s.edge[0] == 0
    assert s.distance[0] == pytest.approx(5.0)
    assert s.t[0] == pytest.approx(0.51)


def test_empty_input_and_empty_network() -> None:
    s = EdgeIndex(one_edge()).snap([], [], max_distance_m=10)
    assert s.edge.size == 0
    empty = make_network([(0, 0)], [(0, 0)])
    s = EdgeIndex(empty).snap([1.0], [1.0], max_distance_m=10)
    np.testing.assert_array_equal(s.edge, [-1])
    assert s.distance[0] == np.inf


def test_zero_length_edge_projects_at_t_zero() -> None:
    got = project_onto_edges(
        np.array([3.0]),
        np.array([4.0]),
        np.array([0]),
        np.array([0.0]),
        np.array([0.0]),
        np.array([0.0]),
        np.array([0.0]),
    )
    assert got.t[0] == 0.0
    assert got.distance[0] == 5.0


@EXAMPLES
@given(st.data())
def test_snap_distance_equals_brute_force_over_all_edges(data: st.DataObject) -> None:
    coord = st.integers(0, 4000).map(lambda v: v / 4.0)
    n = data.draw(st.integers(2, 10))
    xy = data.draw(st.lists(st.tuples(coord, coord), min_size=n, max_size=n))
    edges = data.draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=2 * n
        )
    )
    net = make_network(xy, edges)
    k = data.draw(st.integers(1, 10))
    far = st.floats(-200, 1200, allow_subnormal=False)
    pts = np.array(data.draw(st.lists(st.tuples(far, far), min_size=k, max_size=k)))
    max_m = data.draw(st.sampled_from([30.0, 150.0, 1e9]))
    s = EdgeIndex(net, k=data.draw(st.integers(1, 8))).snap(
        pts[:, 0], pts[:, 1], max_distance_m=max_m
    )

    if net.n_edges == 0:
        assert (s.edge == -1).all()
        return
    lines = shapely.linestrings(
        np.stack(
            [
                np.stack([net.x[net.edge_u], net.y[net.edge_u]], 1),
                np.stack([net.x[net.edge_v], net.y[net.edge_v]], 1),
            ],
            1,
        )
    )
    dist = shapely.distance(shapely.points(pts)[:, None], lines[None, :])
    best = dist.min(axis=1)
    within = best <= max_m - 1e-6
    beyond = best > max_m + 1e-6
    np.testing.assert_allclose(s.distance[within], best[within], rtol=0, atol=1e-6)
    assert (s.edge[beyond] == -1).all()
    assert np.isinf(s.distance[beyond]).all()
    for i in np.flatnonzero(s.ok):
        e = s.edge[i]
        assert dist[i, e] == pytest.approx(s.distance[i], abs=1e-6)
        px = net.x[net.edge_u[e]] + s.t[i] * (net.x[net.edge_v[e]] - net.x[net.edge_u[e]])
        py = net.y[net.edge_u[e]] + s.t[i] * (net.y[net.edge_v[e]] - net.y[net.edge_u[e]])
        assert (s.x[i], s.y[i]) == pytest.approx((px, py), abs=1e-6)
        assert 0.0 <= s.t[i] <= 1.0


def test_snapping_in_blocks_equals_snapping_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import carecircle.geo.snap as snap_module

    rng = np.random.default_rng(4)
    xy = [(float(x), float(y)) for x, y in rng.uniform(0, 1000, (40, 2))]
    edges = [(int(a), int(b)) for a, b in rng.integers(0, 40, (80, 2))]
    index = EdgeIndex(make_network(xy, edges))
    px, py = rng.uniform(-100, 1100, 1000), rng.uniform(-100, 1100, 1000)
    whole = index.snap(px, py, max_distance_m=60.0)
    monkeypatch.setattr(snap_module, "SNAP_BLOCK", 7)
    blocks = index.snap(px, py, max_distance_m=60.0)
    assert (~whole.ok).any() and whole.ok.any()
    for field in ("edge", "t", "distance", "x", "y"):
        np.testing.assert_array_equal(getattr(blocks, field), getattr(whole, field))
