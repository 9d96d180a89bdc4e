"""Road centreline layers as walking networks: noding, snap tolerance, class filter, errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod, Transformer
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from carecircle.config import CentrelineOptions
from carecircle.errors import InputFileError, NetworkError
from carecircle.geo.centreline import segments_from_centrelines
from carecircle.geo.network import WalkNetwork, network_from_segments
from carecircle.geo.network_io import NetworkSource, load_network

UTM50 = CRS.from_epsg(32650)  # around 117 E
WUHAN = "wuhan-central-roads-osm/wuhan_central_roads.shp"


def _layer(tmp_path: Path, lines: list, name: str = "roads.gpkg", crs: int = 32650, **cols) -> Path:
    """Write lines (coordinates in ``crs``) to a layer file."""
    frame = gpd.GeoDataFrame(cols, geometry=[shapely.LineString(c) for c in lines], crs=crs)
    path = tmp_path / name
    frame.to_file(path)
    return path


def _net(path: Path, **options: float) -> WalkNetwork:
    segments = segments_from_centrelines(path, CentrelineOptions(**options))
    return network_from_segments(segments, UTM50)


def test_two_lines_sharing_a_vertex_meet_there(tmp_path: Path) -> None:
    # an L and a line crossing it at its inner vertex (500100, 3500000): one junction of degree 4
    path = _layer(
        tmp_path,
        [
            [(500000, 3500000), (500100, 3500000), (500200, 3500000)],
            [(500100, 3499900), (500100, 3500000), (500100, 3500100)],
        ],
    )
    assert segments_from_centrelines(path).counters["crossings_not_joined"] == 0
    net = _net(path)
    assert (net.n_nodes, net.n_edges, net.dropped_components) == (5, 4, 0)
    np.testing.assert_allclose(np.sort(net.edge_length), [100.0] * 4, atol=1e-6)
    degree = np.bincount(np.concatenate([net.edge_u, net.edge_v]))
    assert sorted(degree.tolist()) == [1, 1, 1, 1, 4]


def test_lines_crossing_without_a_shared_vertex_are_not_joined(tmp_path: Path) -> None:
    # an overpass: the two lines cross at (500100, 3500000) but neither has a vertex there
    path = _layer(
        tmp_path,
        [
            [(500000, 3500000), (500200, 3500000)],
            [(500100, 3499000), (500100, 3499500), (500100, 3501000)],
        ],
    )
    seg = segments_from_centrelines(path)
    assert seg.node_id.size == 5
    assert seg.counters["crossings_not_joined"] == 1  # counted, and warned about
    net = network_from_segments(seg, UTM50)
    assert net.n_nodes == 3 and net.dropped_components == 1  # the larger line is kept alone
    assert net.edge_length.sum() == pytest.approx(2000.0, abs=1e-6)


def test_vertices_a_few_millimetres_apart_are_one_node(tmp_path: Path) -> None:
    path = _layer(
        tmp_path,
        [[(500000, 3500000), (500100, 3500000)], [(500100.004, 3500000.003), (500200, 3500000)]],
    )
    net = _net(path)
    assert (net.n_nodes, net.n_edges, net.dropped_components) == (3, 2, 0)


def test_a_near_miss_end_is_joined_only_within_the_tolerance(tmp_path: Path) -> None:
    # a T whose stem stops 1.5 m short of the bar, which has no vertex there
    lines = [
        [(500000, 3500000), (500200, 3500000)],
        [(500100, 3500001.5), (500100, 3500101.5)],
    ]
    path = _layer(tmp_path, lines)
    apart = segments_from_centrelines(path)
    assert apart.counters["endpoints_joined"] == 0
    assert network_from_segments(apart, UTM50).dropped_components == 1
    joined = segments_from_centrelines(path, CentrelineOptions(snap_tolerance_m=2.0))
    assert joined.counters["endpoints_joined"] == 1
    net = network_from_segments(joined, UTM50)
    assert (net.n_nodes, net.n_edges, net.dropped_components) == (4, 3, 0)
    # the stem's end moved onto the bar, which is split there: 100 + 100 + 101.5 m
    np.testing.assert_allclose(np.sort(net.edge_length), [100.0, 100.0, 101.5], atol=1e-3)
    too_far = segments_from_centrelines(path, CentrelineOptions(snap_tolerance_m=1.0))
    assert too_far.counters["endpoints_joined"] == 0


def test_two_ends_a_metre_apart_become_one_node(tmp_path: Path) -> None:
    path = _layer(
        tmp_path,
        [[(500000, 3500000), (500100, 3500000)], [(500101, 3500000), (500200, 3500000)]],
    )
    seg = segments_from_centrelines(path, CentrelineOptions(snap_tolerance_m=2.0))
    assert seg.counters["endpoints_joined"] == 2  # each end reaches the other
    net = network_from_segments(seg, UTM50)
    assert (net.n_nodes, net.n_edges) == (3, 2)
    assert net.edge_length.sum() == pytest.approx(200.0, abs=1e-3)


def test_a_dropped_class_is_left_out(tmp_path: Path) -> None:
    # a street grid crossed by an expressway sharing its vertices: without the expressway
    # the walk from west to east goes round by the street (300 m instead of 100 m)
    lines = [
        [(500000, 3500000), (500100, 3500000)],  # expressway
        [(500000, 3500000), (500000, 3500100), (500100, 3500100), (500100, 3500000)],
    ]
    path = _layer(tmp_path, lines, fclass=["高速公路", "支路"])
    kept = segments_from_centrelines(
        path, CentrelineOptions(class_column="fclass", drop_classes=("高速公路",))
    )
    assert (kept.lines_read, kept.lines_kept) == (2, 1)
    assert kept.counters["lines_dropped_by_class"] == 1
    net = network_from_segments(kept, UTM50)
    assert net.edge_length.sum() == pytest.approx(300.0, abs=1e-6)
    both = _net(path)
    assert both.edge_length.sum() == pytest.approx(400.0, abs=1e-6)


def test_class_options_that_do_not_fit_the_layer_are_clear_errors(tmp_path: Path) -> None:
    path = _layer(tmp_path, [[(500000, 3500000), (500100, 3500000)]], fclass=["支路"])
    with pytest.raises(InputFileError, match=r"class_column 'kind' is not a column .*fclass"):
        segments_from_centrelines(path, CentrelineOptions(class_column="kind", drop_classes=("x",)))
    with pytest.raises(InputFileError, match=r"drop_classes \['高速'\] do not occur .*支路"):
        segments_from_centrelines(
            path, CentrelineOptions(class_column="fclass", drop_classes=("高速",))
        )


def test_a_layer_without_lines_is_a_clear_error(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(500000, 3500000)], crs=32650)
    frame.to_file(tmp_path / "points.shp")
    with pytest.raises(NetworkError, match=r"points\.shp: the network layer has no line geometry"):
        segments_from_centrelines(tmp_path / "points.shp")


def test_lines_that_never_meet_are_a_clear_error(tmp_path: Path) -> None:
    lines = [[(500000 + 300 * i, 3500000), (500000 + 300 * i, 3500100)] for i in range(10)]
    path = _layer(tmp_path, lines, name="cad.shp")
    with pytest.raises(NetworkError, match=r"cad\.shp: the road lines do not meet: .* 2 of 20"):
        segments_from_centrelines(path)


def test_any_crs_gives_the_same_network(tmp_path: Path) -> None:
    lines = [[(500000, 3500000), (500300, 3500400), (500600, 3500000)]]
    utm = _layer(tmp_path, lines, name="utm.gpkg")
    to_wgs = Transformer.from_crs(32650, 4326, always_xy=True)
    wgs = _layer(tmp_path, [[to_wgs.transform(*p) for p in lines[0]]], name="wgs.geojson", crs=4326)
    a, b = _net(utm), _net(wgs)
    np.testing.assert_allclose(a.edge_length, [500.0, 500.0], rtol=1e-3)  # UTM scale ≈ 0.9996
    np.testing.assert_allclose(a.edge_length, b.edge_length, atol=1e-6)


def test_load_network_reads_a_layer_through_the_cache(tmp_path: Path) -> None:
    path = _layer(
        tmp_path,
        [[(500000, 3500000), (500100, 3500000)], [(500100, 3500001), (500200, 3500000)]],
        name="roads.fgb",
    )
    opts = CentrelineOptions(snap_tolerance_m=2.0)
    net, meta = load_network(NetworkSource(path), cache_dir=tmp_path, centreline=opts)
    again, meta2 = load_network(NetworkSource(path), cache_dir=tmp_path, centreline=opts)
    assert (meta["format"], meta["from_cache"], meta2["from_cache"]) == ("centreline", False, True)
    assert meta2["endpoints_joined"] == meta["endpoints_joined"] == 2
    np.testing.assert_array_equal(net.edge_length, again.edge_length)
    _, plain = load_network(NetworkSource(path), cache_dir=tmp_path)
    assert plain["from_cache"] is False  # the tolerance is part of the cache key


def test_warnings_come_back_with_the_cached_network(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [
        [(500000, 3500000), (500200, 3500000)],
        [(500100, 3499000), (500100, 3499500), (500100, 3501000)],
        [(500201, 3500000), (500300, 3500000)],
    ]
    path = _layer(tmp_path, lines, name="roads.shp")
    opts = CentrelineOptions(snap_tolerance_m=2.0)
    for run in ("read", "cached"):
        caplog.clear()
        with caplog.at_level("WARNING", logger="carecircle"):
            _, meta = load_network(NetworkSource(path), cache_dir=tmp_path, centreline=opts)
        assert meta["from_cache"] is (run == "cached")
        text = " ".join(r.getMessage() for r in caplog.records)
        assert "roads.shp: 2 line ends stopping within snap_tolerance_m" in text
        assert "roads.shp: at 1 place lines cross or touch without a shared vertex" in text


def _layer_to_osm_xml(shp: Path, out: Path) -> Path:
    """Write a line layer as OSM XML: ends within 1 cm are one node, as the reader nodes them."""
    frame = gpd.read_file(shp).to_crs(4326)
    coords, part = shapely.get_coordinates(frame.geometry.array, return_index=True)
    # vertices within 1e-7° (≈1 cm) are one node; the layer's coordinate noise is ~1e-11°
    pairs = cKDTree(coords).query_pairs(1e-7, output_type="ndarray")
    n = coords.shape[0]
    same = coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    node = connected_components(same, directed=False)[1] + 1
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    first = np.unique(node, return_index=True)[1]
    for nid, (lon, lat) in zip(node[first], coords[first], strict=True):
        lines.append(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    starts = np.flatnonzero(np.concatenate([[True], part[1:] != part[:-1]]))
    for w, (a, b) in enumerate(zip(starts, [*starts[1:], node.size], strict=True)):
        refs = "".join(f'<nd ref="{n}"/>' for n in node[a:b])
        lines.append(f'<way id="{w + 1}">{refs}<tag k="highway" v="primary"/></way>')
    out.write_text("\n".join([*lines, "</osm>"]), encoding="utf-8")
    return out


def test_wuhan_layer_is_one_network_like_its_osm_conversion(
    shared_data: Path, tmp_path: Path
) -> None:
    shp = shared_data / WUHAN
    seg = segments_from_centrelines(shp)
    net, meta = load_network(NetworkSource(shp), cache_dir=None)
    assert meta["format"] == "centreline"
    assert (meta["lines_read"], meta["lines_kept"]) == (7933, 7933)
    assert meta["crossings_not_joined"] == 0  # noded at every crossing
    # every vertex is a node: 30,544 nodes, 35,001 segments, one connected component
    assert (net.n_nodes, net.n_edges) == (30_544, 35_001)
    assert (net.dropped_nodes, net.dropped_components) == (0, 0)
    assert net.edge_length.sum() / 1000 == pytest.approx(2407, abs=1)
    # the layer's 15,866 line ends fall on 5,319 junctions (its README's figure), give or
    # take ends that coincide only after ~1e-11° of coordinate noise is ignored
    frame = gpd.read_file(shp)
    ends = np.concatenate(
        [
            shapely.get_coordinates(shapely.get_point(frame.geometry.array, 0)),
            shapely.get_coordinates(shapely.get_point(frame.geometry.array, -1)),
        ]
    )
    gap, nearest = cKDTree(np.stack([seg.lon, seg.lat], 1)).query(ends)
    assert gap.max() < 1e-7  # every end is on a node
    assert np.unique(nearest).size == pytest.approx(5_319, abs=10)
    # distances equal those of the same layer written as OSM XML
    osm_net, _ = load_network(
        NetworkSource(_layer_to_osm_xml(shp, tmp_path / "wuhan.osm")), cache_dir=None
    )
    assert (osm_net.n_nodes, osm_net.n_edges) == (net.n_nodes, net.n_edges)
    to_m = Transformer.from_crs(4326, net.crs, always_xy=True)
    ox, oy = to_m.transform(osm_net.lon, osm_net.lat)
    start = int(np.argmin(np.hypot(net.x - net.x.mean(), net.y - net.y.mean())))
    other = int(np.argmin(np.hypot(ox - net.x[start], oy - net.y[start])))
    want = dijkstra(net.graph, indices=start)
    got = dijkstra(osm_net.graph, indices=other)
    gap, match = cKDTree(np.stack([ox, oy], 1)).query(np.stack([net.x, net.y], 1))
    assert gap.max() < 0.02 and np.unique(match).size == net.n_nodes  # one to one
    # node coordinates agree to OSM's 1e-7° (≈1 cm), so distances agree within centimetres
    np.testing.assert_allclose(got[match], want, rtol=1e-6, atol=0.05)
    _, _, far = Geod(ellps="WGS84").inv(114.154, 30.460, 114.455, 30.697)
    assert np.isfinite(want).all() and want.max() < 3 * far


def _study(tmp_path: Path, network: str, **options: object):
    from carecircle.config import study_from_dict

    inputs = {
        "network": network,
        "facilities": "f.csv",
        "residents": "r.tif",
        "older_residents": "o.tif",
        "streets": "s.gpkg",
        "communities": "c.gpkg",
    }
    return study_from_dict(
        {"inputs": inputs, "network": {"cache": False, **options}}, path=tmp_path / "study.toml"
    )


def test_study_file_centreline_options(tmp_path: Path) -> None:
    from carecircle.errors import StudyFileError

    study = _study(
        tmp_path, "roads.shp", snap_tolerance_m=2, class_column="等级", drop_classes=["高速", 1]
    )
    assert study.centreline == CentrelineOptions(2.0, "等级", ("高速", "1"))
    assert _study(tmp_path, "roads.gpkg").centreline == CentrelineOptions()
    with pytest.raises(StudyFileError, match=r"snap_tolerance_m applies to road centreline"):
        _study(tmp_path, "network.osm", snap_tolerance_m=2)
    for bad in (float("nan"), -1, 80, "2m"):
        with pytest.raises(StudyFileError, match=r"\[network\] snap_tolerance_m"):
            _study(tmp_path, "roads.shp", snap_tolerance_m=bad)
    with pytest.raises(StudyFileError, match=r"class_column and drop_classes go together"):
        _study(tmp_path, "roads.shp", class_column="fclass")
    with pytest.raises(StudyFileError, match=r"drop_classes must be a list"):
        _study(tmp_path, "roads.shp", class_column="fclass", drop_classes="motorway")


def test_the_demo_network_as_a_layer_gives_the_same_network(tmp_path: Path) -> None:
    # the demo's OSM ways (bridges, gates, one-ways, a stray piece) written as a GeoPackage
    # of lines, one per way: the same nodes, edges and lengths
    from carecircle.data.district import LOCAL
    from carecircle.data.district.layout import make_layout
    from carecircle.data.district.network import write_network
    from carecircle.geo.osm import segments_from_osm_xml

    osm = tmp_path / "network.osm"
    rng = np.random.default_rng(2026)
    to_lonlat = Transformer.from_crs(LOCAL, 4326, always_xy=True)
    write_network(osm, make_layout(rng), rng, to_lonlat)
    seg = segments_from_osm_xml(osm)
    start = np.flatnonzero(np.concatenate([[True], seg.seg_line[1:] != seg.seg_line[:-1]]))
    ends = [*start[1:], seg.seg_u.size]
    lines = [
        np.stack([seg.lon[idx], seg.lat[idx]], 1)
        for idx in (
            np.append(seg.seg_u[a:b], seg.seg_v[b - 1]) for a, b in zip(start, ends, strict=True)
        )
    ]
    roads = _layer(tmp_path, lines, name="roads.gpkg", crs=4326)
    from_osm = network_from_segments(seg, UTM50)
    from_layer = _net(roads)
    assert (from_layer.n_nodes, from_layer.n_edges) == (from_osm.n_nodes, from_osm.n_edges)
    assert from_layer.dropped_nodes == from_osm.dropped_nodes > 0
    assert from_layer.edge_length.sum() == pytest.approx(from_osm.edge_length.sum(), rel=1e-12)


def test_several_ends_joined_to_one_segment_split_it_in_order(tmp_path: Path) -> None:
    # two stems stop short of the bar, from the north at x=70 and from the south at x=30
    lines = [
        [(500000, 3500000), (500100, 3500000)],
        [(500070, 3500001), (500070, 3500050)],
        [(500030, 3499999), (500030, 3499950)],
    ]
    seg = segments_from_centrelines(
        _layer(tmp_path, lines), CentrelineOptions(snap_tolerance_m=1.5)
    )
    assert seg.counters["endpoints_joined"] == 2
    net = network_from_segments(seg, UTM50)
    assert (net.n_nodes, net.n_edges, net.dropped_components) == (6, 5, 0)
    np.testing.assert_allclose(np.sort(net.edge_length), [30, 30, 40, 50, 50], atol=2e-3)
    # the walk between the stems' far ends: each 49 m stem lengthened by 1 m, 40 m between
    north = int(np.argmin(np.hypot(net.x - 500070, net.y - 3500050)))
    south = int(np.argmin(np.hypot(net.x - 500030, net.y - 3499950)))
    assert dijkstra(net.graph, indices=north)[south] == pytest.approx(50 + 40 + 50, abs=2e-3)


def test_an_edited_dbf_or_prj_is_not_answered_from_the_cache(tmp_path: Path) -> None:
    lines = [
        [(500000, 3500000), (500100, 3500000)],
        [(500000, 3500000), (500000, 3500100), (500100, 3500100), (500100, 3500000)],
    ]
    path = _layer(tmp_path, lines, name="roads.shp", fclass=["高速公路", "支路"])
    opts = CentrelineOptions(class_column="fclass", drop_classes=("高速公路",))
    first, _ = load_network(NetworkSource(path), cache_dir=tmp_path, centreline=opts)
    assert first.edge_length.sum() == pytest.approx(300.0, abs=1e-6)
    # the expressway is reclassified in the attribute table only: the .shp is unchanged
    frame = gpd.read_file(path)
    frame["fclass"] = ["支路", "高速公路"]
    shp = path.read_bytes()
    frame.to_file(path)
    assert path.read_bytes() == shp
    second, meta = load_network(NetworkSource(path), cache_dir=tmp_path, centreline=opts)
    assert meta["from_cache"] is False
    assert second.edge_length.sum() == pytest.approx(100.0, abs=1e-6)


def test_layers_multilines_and_a_missing_prj(tmp_path: Path) -> None:
    line = shapely.LineString([(500000, 3500000), (500100, 3500000)])
    gpkg = tmp_path / "layers.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Point(500000, 3500000)], crs=32650).to_file(
        gpkg, layer="poi"
    )
    gpd.GeoDataFrame(geometry=[line], crs=32650).to_file(gpkg, layer="roads")
    assert segments_from_centrelines(gpkg).lines_kept == 1  # the only line layer is read
    gpd.GeoDataFrame(geometry=[line], crs=32650).to_file(gpkg, layer="rivers")
    with pytest.raises(InputFileError, match=r"several line layers \(roads, rivers\)"):
        segments_from_centrelines(gpkg)
    # a MultiLineString's parts are lines of their own, joined where they share a vertex
    multi = shapely.MultiLineString(
        [[(500000, 3500000), (500100, 3500000)], [(500100, 3500000), (500100, 3500100)]]
    )
    path = tmp_path / "multi.geojson"
    gpd.GeoDataFrame(geometry=[multi], crs=32650).to_file(path)
    seg = segments_from_centrelines(path)
    assert (seg.node_id.size, seg.seg_u.size, seg.seg_line.tolist()) == (3, 2, [0, 0])
    # a Shapefile without its .prj: lon/lat is taken as WGS84, metres are refused
    wgs = _layer(tmp_path, [[(118.0, 32.0), (118.001, 32.0)]], name="lonlat.shp", crs=4326)
    wgs.with_suffix(".prj").unlink()
    assert segments_from_centrelines(wgs).lon.tolist() == [118.0, 118.001]
    utm = _layer(tmp_path, [[(500000, 3500000), (500100, 3500000)]], name="utm.shp")
    utm.with_suffix(".prj").unlink()
    with pytest.raises(InputFileError, match=r"utm\.shp: the road layer has no CRS"):
        segments_from_centrelines(utm)
