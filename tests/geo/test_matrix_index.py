"""The tile index of ``coverage_matrix``: the same boxes and sub-networks as a pass over all."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from network_cases import make_network

from carecircle.geo.box_index import BoxIndex
from carecircle.geo.matrix import _subgraph, coverage_matrix
from carecircle.geo.snap import EdgeIndex

coords = st.floats(-2_000.0, 2_000.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(coords, coords), max_size=60),
    st.tuples(coords, coords, coords, coords),
    st.sampled_from([1.0, 7.5, 100.0, 500.0]),
)
def test_box_index_lists_the_points_a_full_test_finds(
    xy: list[tuple[float, float]], box: tuple[float, float, float, float], cell_m: float
) -> None:
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    x, y = pts[:, 0].copy(), pts[:, 1].copy()
    if x.size > 3:
        x[3] = np.nan  # never inside a box
    x0, x1 = sorted(box[:2])
    y0, y1 = sorted(box[2:])
    ids = np.arange(x.size) * 3 + 1
    got = BoxIndex(x, y, ids, cell=cell_m).inside(x0, x1, y0, y1)
    want = ids[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)]
    np.testing.assert_array_equal(got, want)


def test_box_index_keeps_points_on_the_box_edge() -> None:
    x = np.array([0.0, 500.0, 1000.0, 1000.0 + 1e-9])
    y = np.zeros(4)
    index = BoxIndex(x, y, cell=500.0)
    np.testing.assert_array_equal(index.inside(500.0, 1000.0, 0.0, 0.0), [1, 2])
    assert index.inside(2000.0, 3000.0, 0.0, 1.0).size == 0


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 30), st.data())
def test_subgraph_equals_scipy_fancy_indexing(n: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    dense = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    graph = sp.csr_array(dense)
    local = np.flatnonzero(rng.random(n) < 0.6)
    to_local = np.full(n, -1, dtype=np.int64)
    to_local[local] = np.arange(local.size)
    got = _subgraph(graph, local, to_local)
    want = sp.csr_array(graph[local][:, local])
    np.testing.assert_array_equal(got.toarray(), want.toarray())
    np.testing.assert_array_equal(got.indptr, want.indptr)


def test_coverage_matrix_on_a_long_street_of_many_tiles() -> None:
    """Sources in many tiles along a 20 km street: each reaches the cells within 900 m."""
    n = 201
    net = make_network([(100.0 * i, 0.0) for i in range(n)], [(i, i + 1) for i in range(n - 1)])
    index = EdgeIndex(net)
    src_x = np.arange(250.0, 20_000.0, 1_700.0)
    cell_x = np.arange(0.0, 20_000.0, 37.0)
    src = index.snap(src_x, np.full(src_x.size, 10.0), max_distance_m=50)
    cells = index.snap(cell_x, np.full(cell_x.size, -5.0), max_distance_m=50)
    m = coverage_matrix(net, src, cells, radius_m=900.0, tile_m=2_000.0, max_tile_sources=2)
    want = 10.0 + np.abs(src_x[:, None] - cell_x[None, :]) + 5.0
    rows, cols = np.nonzero(want <= 900.0)
    got = m.toarray()
    assert m.nnz == rows.size
    np.testing.assert_allclose(got[rows, cols], want[rows, cols], atol=1e-9)


def test_box_index_of_a_nan_or_infinite_box() -> None:
    index = BoxIndex(np.array([0.0, 10.0]), np.array([0.0, 10.0]))
    assert index.inside(np.nan, 5.0, 0.0, 5.0).size == 0
    np.testing.assert_array_equal(index.inside(-np.inf, np.inf, -np.inf, np.inf), [0, 1])
