"""Invariants as property tests: distances equal brute force, coverage is monotone, nothing lost."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from carecircle.analysis.coverage import coverage_by_community, coverage_by_street
from carecircle.geo.network import WalkNetwork, csr_from_edges
from carecircle.geo.population import cells_from_rasters
from carecircle.geo.routing import nearest_source_distances, point_distances
from carecircle.geo.snap import EdgeIndex, Snapped
from carecircle.profiles import load_profile

EXAMPLES = settings(max_examples=200, deadline=None)


@st.composite
def networks(draw: st.DrawFn) -> WalkNetwork:
    """Random small planar-ish graphs, possibly disconnected, with zero-length edges."""
    n = draw(st.integers(3, 14))
    xy = (
        np.array(
            draw(
                st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=n, max_size=n)
            ),
            dtype=float,
        )
        * 25.0
    )
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=3 * n
        )
    )
    u = np.array([a for a, b in pairs if a != b] or [0], dtype=np.int64)
    v = np.array([b for a, b in pairs if a != b] or [1 % n], dtype=np.int64)
    length = np.hypot(xy[u, 0] - xy[v, 0], xy[u, 1] - xy[v, 1])
    graph, eu, ev, ew = csr_from_edges(n, u, v, length)
    return WalkNetwork(
        CRS.from_epsg(32650),
        np.arange(n),
        xy[:, 0],
        xy[:, 1],
        xy[:, 0],
        xy[:, 1],
        eu,
        ev,
        ew,
        graph,
    )


def points(draw: st.DrawFn, k: int) -> tuple[np.ndarray, np.ndarray]:
    coords = draw(
        st.lists(st.tuples(st.floats(-20, 520), st.floats(-20, 520)), min_size=k, max_size=k)
    )
    arr = np.array(coords, dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def brute_force(net: WalkNetwork, pts: Snapped, src: Snapped) -> np.ndarray:
    """networkx on a graph where every point and source splits its edge."""
    g = nx.Graph()
    for a, b, w in zip(net.edge_u, net.edge_v, net.edge_length, strict=True):
        g.add_edge(int(a), int(b), weight=float(w))
    g.add_nodes_from(range(net.n_nodes))

    def attach(name: str, s: Snapped, i: int) -> None:
        e = int(s.edge[i])
        length = net.edge_length[e]
        g.add_edge(name, int(net.edge_u[e]), weight=s.distance[i] + s.t[i] * length)
        g.add_edge(name, int(net.edge_v[e]), weight=s.distance[i] + (1 - s.t[i]) * length)

    for i in range(src.edge.size):
        attach(f"s{i}", src, i)
    for i in range(pts.edge.size):
        attach(f"p{i}", pts, i)
    # same-edge shortcuts between a point and a source
    for i in range(pts.edge.size):
        for j in range(src.edge.size):
            if pts.edge[i] == src.edge[j]:
                direct = (
                    pts.distance[i]
                    + src.distance[j]
                    + abs(pts.t[i] - src.t[j]) * net.edge_length[pts.edge[i]]
                )
                g.add_edge(
                    f"p{i}",
                    f"s{j}",
                    weight=min(
                        direct, g.get_edge_data(f"p{i}", f"s{j}", {"weight": np.inf})["weight"]
                    ),
                )
    sources = [f"s{j}" for j in range(src.edge.size)]
    dist = nx.multi_source_dijkstra_path_length(g, sources, weight="weight")
    return np.array([dist.get(f"p{i}", np.inf) for i in range(pts.edge.size)])


@EXAMPLES
@given(st.data())
def test_point_distances_equal_brute_force(data: st.DataObject) -> None:
    net = data.draw(networks())
    index = EdgeIndex(net)
    src = index.snap(*points(data.draw, data.draw(st.integers(1, 3))), max_distance_m=1e6)
    pts = index.snap(*points(data.draw, data.draw(st.integers(1, 6))), max_distance_m=1e6)
    nd = nearest_source_distances(net, src, limit_m=1e9)
    got, nearest = point_distances(net, pts, nd, src)
    want = brute_force(net, pts, src)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    fast = nearest_source_distances(net, src, limit_m=1e9, with_source=False)
    np.testing.assert_array_equal(fast.distance, nd.distance)
    assert ((nearest >= 0) == np.isfinite(got)).all()


@EXAMPLES
@given(st.data())
def test_adding_a_facility_never_lowers_coverage(data: st.DataObject) -> None:
    net = data.draw(networks())
    index = EdgeIndex(net)
    x, y = points(data.draw, data.draw(st.integers(2, 4)))
    src = index.snap(x, y, max_distance_m=1e6)
    fewer = Snapped(src.edge[:-1], src.t[:-1], src.distance[:-1], src.x[:-1], src.y[:-1])
    pts = index.snap(*points(data.draw, 8), max_distance_m=1e6)
    limit = data.draw(st.floats(10, 600))
    before, _ = point_distances(
        net, pts, nearest_source_distances(net, fewer, limit_m=limit), fewer
    )
    after, _ = point_distances(net, pts, nearest_source_distances(net, src, limit_m=limit), src)
    assert (after <= before + 1e-9).all()


@EXAMPLES
@given(st.data())
def test_longer_walks_never_lower_coverage(data: st.DataObject) -> None:
    net = data.draw(networks())
    index = EdgeIndex(net)
    src = index.snap(*points(data.draw, 2), max_distance_m=1e6)
    pts = index.snap(*points(data.draw, 8), max_distance_m=1e6)
    minutes = data.draw(st.floats(1, 10))
    speed = data.draw(st.floats(0.5, 1.5))
    more_minutes = minutes + data.draw(st.floats(0, 5))
    faster = speed + data.draw(st.floats(0, 0.5))

    def covered(m: float, s: float) -> np.ndarray:
        radius = m * 60 * s
        nd = nearest_source_distances(net, src, limit_m=radius)
        dist, _ = point_distances(net, pts, nd, src)
        return dist <= radius

    base = covered(minutes, speed)
    assert (covered(more_minutes, speed) >= base).all()
    assert (covered(minutes, faster) >= base).all()


@EXAMPLES
@given(data=st.data())
def test_population_is_conserved_through_reprojection_and_aggregation(
    tmp_path_factory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("raster")
    rows, cols = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    values = np.array(
        data.draw(
            st.lists(
                st.one_of(st.just(-1.0), st.floats(0, 500, allow_subnormal=False)),
                min_size=rows * cols,
                max_size=rows * cols,
            )
        ),
        dtype=np.float32,
    ).reshape(rows, cols)
    crs = data.draw(st.sampled_from(["EPSG:4326", "EPSG:3857", "EPSG:32650"]))
    step = 1 / 1200 if crs == "EPSG:4326" else 100.0
    west, north = (118.7, 32.1) if crs == "EPSG:4326" else (500000.0, 3550000.0)
    for name, scale in (("res.tif", 1.0), ("old.tif", 0.25)):
        with rasterio.open(
            folder / name,
            "w",
            driver="GTiff",
            height=rows,
            width=cols,
            count=1,
            dtype="float32",
            nodata=-1.0,
            crs=crs,
            transform=Affine(step, 0, west, 0, -step, north),
        ) as dst:
            dst.write(np.where(values >= 0, values * scale, -1.0).astype(np.float32), 1)
    if not (values > 0).any() or not (values * np.float32(0.25) > 0).any():
        return  # nobody in one raster: refused as input (geo/population.py), not conserved
    cells, totals = cells_from_rasters(folder / "res.tif", folder / "old.tif")
    want = float(values[values >= 0].astype(np.float64).sum())
    assert totals.residents == np.float32(want) or abs(totals.residents - want) < 1e-3
    assert abs(cells["residents"].sum() - totals.residents) < 1e-6 * max(want, 1)
    # aggregate to random communities in two streets: streets = sum of their communities
    n = len(cells)
    com_codes = np.array(
        data.draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    )
    street_of = {"a": "S", "b": "S", "c": "T"}
    cells = cells.assign(
        community=com_codes,
        street=[street_of[c] for c in com_codes],
        covered=data.draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        unreachable=False,
    )
    fac = pd.DataFrame(
        {
            "type": ["service_station"],
            "floor_area_m2": [100.0],
            "community": ["a"],
            "street": ["S"],
            "counts_for_circle": [True],
        }
    )
    communities = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "name": ["a", "b", "c"],
            "street": ["S", "S", "T"],
            "kind": "urban",
        }
    )
    streets = pd.DataFrame({"code": ["S", "T"], "name": ["S", "T"]})
    profile = load_profile("shanghai")
    by_com = coverage_by_community(cells, fac, communities, profile)
    by_street = coverage_by_street(cells, fac, streets, profile).set_index("code")
    summed = by_com.groupby("street")[["residents", "older_residents", "older_covered"]].sum()
    for col in ("residents", "older_residents", "older_covered"):
        assert np.allclose(by_street.loc[["S", "T"], col], summed.reindex(["S", "T"])[col])
    assert abs(by_com["residents"].sum() - cells["residents"].sum()) < 1e-6 * max(want, 1)
