"""OSM XML to walkable segments: the walk filter, missing nodes, errors, largest component."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import CRS, Geod

from carecircle.errors import InputFileError, NetworkError
from carecircle.geo.network import network_from_segments
from carecircle.geo.osm import is_walkable, segments_from_osm_xml

Way = tuple[int, list[int], dict[str, str]]


def osm_xml(
    nodes: dict[int, tuple[float, float]],
    ways: list[Way],
    node_tags: dict[int, dict[str, str]] | None = None,
    digits: int | None = None,
) -> str:
    """OSM XML text; ``nodes`` maps id -> (lon, lat), written with ``digits`` decimals."""
    node_tags = node_tags or {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        tags = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in node_tags.get(nid, {}).items())
        at = (
            f'lat="{lat}" lon="{lon}"'
            if digits is None
            else f'lat="{lat:.{digits}f}" lon="{lon:.{digits}f}"'
        )
        lines.append(f'  <node id="{nid}" {at}>{tags}</node>')
    for wid, refs, tags in ways:
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'  <way id="{wid}">{body}</way>')
    lines.append("</osm>")
    return "\n".join(lines)


def write(tmp_path: Path, text: str, name: str = "area.osm") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def pair_nodes(count: int) -> dict[int, tuple[float, float]]:
    """Nodes 2i+1, 2i+2 for i < count, 0.001° apart east-west, rows 0.001° apart."""
    nodes = {}
    for i in range(count):
        nodes[2 * i + 1] = (118.0, 32.0 + 0.001 * i)
        nodes[2 * i + 2] = (118.001, 32.0 + 0.001 * i)
    return nodes


FILTER_WAYS: list[Way] = [
    (101, [1, 2], {"highway": "footway"}),
    (102, [3, 4], {"highway": "motorway"}),
    (103, [5, 6], {"highway": "cycleway"}),
    (104, [7, 8], {"highway": "residential", "foot": "no"}),
    (105, [9, 10], {"highway": "pedestrian", "area": "yes"}),
    (106, [11, 12], {"highway": "service", "service": "private"}),
    (107, [13, 14], {"highway": "primary", "oneway": "yes"}),
    (108, [15, 16], {"highway": "residential", "access": "private"}),
    (109, [17, 18], {"building": "yes"}),
    (110, [19, 20], {"highway": "footway", "access": "private", "foot": "yes"}),
]


def test_walk_filter_keeps_footways_oneways_and_private_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, osm_xml(pair_nodes(10), FILTER_WAYS))
    seg = segments_from_osm_xml(path)
    assert sorted(seg.seg_line.tolist()) == [101, 107, 108, 110]
    assert seg.lines_read == 9  # every way with a highway tag; not the building
    assert seg.lines_kept == 4
    assert seg.counters["missing_refs"] == 0
    np.testing.assert_array_equal(seg.node_id, [1, 2, 13, 14, 15, 16, 19, 20])


def test_walk_filter_drops_access_private_when_asked(tmp_path: Path) -> None:
    path = write(tmp_path, osm_xml(pair_nodes(10), FILTER_WAYS))
    seg = segments_from_osm_xml(path, include_private=False)
    assert sorted(seg.seg_line.tolist()) == [101, 107, 110]
    assert seg.lines_kept == 3


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "oneway": "yes"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "residential", "foot": "no"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "service", "service": "private"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_is_walkable(tags: dict[str, str], walkable: bool) -> None:
    assert is_walkable(tags) is walkable


def test_is_walkable_private_access() -> None:
    private = {"highway": "service", "access": "private"}
    assert is_walkable(private)
    assert not is_walkable(private, include_private=False)
    assert is_walkable({**private, "foot": "yes"}, include_private=False)


def test_missing_node_refs_are_counted_and_their_segments_dropped(tmp_path: Path) -> None:
    nodes = {1: (118.0, 32.0), 2: (118.001, 32.0), 3: (118.002, 32.0), 4: (118.003, 32.0)}
    # way 1-2-99-3-4: segments 2-99 and 99-3 refer to the absent node 99
    path = write(tmp_path, osm_xml(nodes, [(201, [1, 2, 99, 3, 4], {"highway": "path"})]))
    seg = segments_from_osm_xml(path)
    assert seg.counters["missing_refs"] == 2
    np.testing.assert_array_equal(seg.node_id, [1, 2, 3, 4])
    pairs = sorted(
        zip(seg.node_id[seg.seg_u].tolist(), seg.node_id[seg.seg_v].tolist(), strict=True)
    )
    assert pairs == [(1, 2), (3, 4)]
    np.testing.assert_array_equal(seg.lon, [118.0, 118.001, 118.002, 118.003])
    np.testing.assert_array_equal(seg.lat, [32.0] * 4)


def test_ways_referring_only_to_absent_nodes_raise_network_error(tmp_path: Path) -> None:
    path = write(tmp_path, osm_xml({1: (118.0, 32.0)}, [(201, [7, 8], {"highway": "path"})]))
    with pytest.raises(NetworkError, match="no node present"):
        segments_from_osm_xml(path)


def test_no_walkable_way_raises_network_error(tmp_path: Path) -> None:
    ways: list[Way] = [(1, [1, 2], {"highway": "motorway"}), (2, [3, 4], {"building": "yes"})]
    path = write(tmp_path, osm_xml(pair_nodes(2), ways))
    with pytest.raises(NetworkError, match=r"no walkable way found \(1 ways with a highway tag"):
        segments_from_osm_xml(path)


def test_malformed_xml_raises_input_file_error(tmp_path: Path) -> None:
    text = osm_xml(pair_nodes(1), [(1, [1, 2], {"highway": "footway"})])
    path = write(tmp_path, text[: len(text) // 2])
    with pytest.raises(InputFileError, match=r"area\.osm: not a valid OSM XML file"):
        segments_from_osm_xml(path)


def test_node_without_coordinates_raises_input_file_error(tmp_path: Path) -> None:
    text = '<osm><node id="1" lat="32.0"/><way id="2"><nd ref="1"/></way></osm>'
    with pytest.raises(InputFileError, match="not a valid OSM XML file"):
        segments_from_osm_xml(write(tmp_path, text))


def test_missing_file_raises_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="network file not found"):
        segments_from_osm_xml(tmp_path / "absent.osm")


def test_node_tags_do_not_leak_into_the_next_way(tmp_path: Path) -> None:
    nodes = {1: (118.0, 32.0), 2: (118.001, 32.0), 3: (118.001, 32.001), 4: (118.0, 32.001)}
    ways: list[Way] = [
        (10, [1, 2, 3, 4, 1], {"building": "yes"}),
        (11, [1, 2], {"highway": "footway"}),
    ]
    xml = osm_xml(nodes, ways, node_tags={1: {"highway": "traffic_signals"}})
    seg = segments_from_osm_xml(write(tmp_path, xml))
    assert seg.lines_read == 1
    assert seg.seg_line.tolist() == [11]


def test_node_foot_no_does_not_drop_the_first_way(tmp_path: Path) -> None:
    ways: list[Way] = [(10, [1, 2], {"highway": "footway"}), (11, [3, 4], {"highway": "footway"})]
    xml = osm_xml(pair_nodes(2), ways, node_tags={4: {"barrier": "gate", "foot": "no"}})
    seg = segments_from_osm_xml(write(tmp_path, xml))
    assert sorted(seg.seg_line.tolist()) == [10, 11]


def test_network_keeps_the_largest_component_and_counts_the_rest(tmp_path: Path) -> None:
    nodes = {
        # main: a 3-node chain 1-2-3 along 32.0° N, plus a duplicate way 1-2
        1: (118.0, 32.0),
        2: (118.001, 32.0),
        3: (118.002, 32.0),
        # two stray pairs
        4: (118.0, 32.01),
        5: (118.001, 32.01),
        6: (118.0, 32.02),
        7: (118.001, 32.02),
    }
    ways: list[Way] = [
        (1, [1, 2, 3], {"highway": "residential"}),
        (2, [2, 1], {"highway": "footway"}),
        (3, [4, 5], {"highway": "footway"}),
        (4, [6, 7], {"highway": "path"}),
    ]
    seg = segments_from_osm_xml(write(tmp_path, osm_xml(nodes, ways)))
    assert seg.seg_u.size == 5
    net = network_from_segments(seg, CRS.from_epsg(32650))
    assert net.n_nodes == 3
    assert net.n_edges == 2  # the duplicate 1-2 is one edge
    assert net.dropped_nodes == 4
    assert net.dropped_components == 2
    np.testing.assert_array_equal(net.node_id, [1, 2, 3])
    np.testing.assert_array_equal(net.lon, [118.0, 118.001, 118.002])
    np.testing.assert_array_equal(net.edge_u, [0, 1])
    np.testing.assert_array_equal(net.edge_v, [1, 2])
    # 0.001° of longitude at 32° N is about 94.4 m; UTM scale differs from 1 by < 0.1 %
    _, _, geodesic = Geod(ellps="WGS84").inv(118.0, 32.0, 118.001, 32.0)
    np.testing.assert_allclose(net.edge_length, [geodesic, geodesic], rtol=1e-3)
    assert net.graph.shape == (3, 3)
    assert net.graph.nnz == 4


def test_connected_network_drops_nothing(tmp_path: Path) -> None:
    nodes = {1: (118.0, 32.0), 2: (118.001, 32.0), 3: (118.001, 32.001)}
    seg = segments_from_osm_xml(
        write(tmp_path, osm_xml(nodes, [(1, [1, 2, 3, 1], {"highway": "footway"})]))
    )
    net = network_from_segments(seg, CRS.from_epsg(32650))
    assert (net.n_nodes, net.n_edges) == (3, 3)
    assert (net.dropped_nodes, net.dropped_components) == (0, 0)


def test_tags_that_look_like_node_lists_and_negative_ids_are_read(tmp_path: Path) -> None:
    # libosmium hands the kept ways back as OPL text: tag values with spaces, commas, "N",
    # "x" and "y" must not be taken for node lists; JOSM's new objects have negative ids
    nodes = {-3: (118.0, 32.0), 5: (118.001, -32.0), 7: (-118.002, 32.0000001)}
    name = "路 N1 x2,y3 Nn5x1y2"
    ways: list[Way] = [
        (-9, [-3, 5, 42, 7], {"highway": "footway", "name": name}),
        (-10, [7, -3], {"highway": "path", "name": "a,b c=d"}),
    ]
    seg = segments_from_osm_xml(write(tmp_path, osm_xml(nodes, ways)))
    np.testing.assert_array_equal(seg.node_id, [-3, 5, 7])
    np.testing.assert_array_equal(seg.lon, [118.0, 118.001, -118.002])
    np.testing.assert_array_equal(seg.lat, [32.0, -32.0, 32.0000001])
    # -3 to 5, and 7 to -3; the two segments at the absent node 42 are left out
    assert sorted(seg.seg_line.tolist()) == [-10, -9]
    pairs = {
        (int(seg.node_id[a]), int(seg.node_id[b]))
        for a, b in zip(seg.seg_u, seg.seg_v, strict=True)
    }
    assert pairs == {(-3, 5), (7, -3)}
    assert seg.counters["missing_refs"] == 2


def test_coordinates_finer_than_osm_are_kept_and_read_alike(tmp_path: Path) -> None:
    from carecircle.geo.osm_precise import has_fine_coordinates

    # the same ways with nodes shifted 1.23456789e-6° east and written with nine decimals
    nodes = {k: (lon + 1.23456789e-6, lat) for k, (lon, lat) in pair_nodes(10).items()}
    fine = write(tmp_path, osm_xml(nodes, FILTER_WAYS, digits=9), name="fine.osm")
    coarse = write(tmp_path, osm_xml(pair_nodes(10), FILTER_WAYS), name="coarse.osm")
    assert has_fine_coordinates(fine) and not has_fine_coordinates(coarse)
    a, b = segments_from_osm_xml(fine), segments_from_osm_xml(coarse)  # Python and libosmium
    for name in ("node_id", "seg_u", "seg_v", "seg_line"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.lines_read, a.lines_kept, a.counters) == (b.lines_read, b.lines_kept, b.counters)
    want = [float(f"{nodes[int(n)][0]:.9f}") for n in a.node_id]
    np.testing.assert_array_equal(a.lon, want)  # all nine decimals, not rounded to seven
    np.testing.assert_allclose(a.lon - b.lon, 1.235e-6, atol=1e-12)  # as written: 9 decimals


def test_nodes_listed_out_of_order_or_after_their_ways_are_located(tmp_path: Path) -> None:
    # libosmium's location index is read back as arrays: unsorted ids are sorted first, and
    # nodes after the ways using them are found (the index is read once the file is done)
    nodes = {4: (118.003, 32.0), 2: (118.001, 32.0), 3: (118.002, 32.0)}
    text = osm_xml(nodes, [(201, [1, 2, 3, 4], {"highway": "path"})])
    late = '  <node id="1" lat="32.0" lon="118.0"/>\n</osm>'
    seg = segments_from_osm_xml(write(tmp_path, text.replace("</osm>", late)))
    np.testing.assert_array_equal(seg.node_id, [1, 2, 3, 4])
    np.testing.assert_array_equal(seg.lon, [118.0, 118.001, 118.002, 118.003])
    assert seg.counters["missing_refs"] == 0
    ends = zip(seg.node_id[seg.seg_u].tolist(), seg.node_id[seg.seg_v].tolist(), strict=True)
    assert set(ends) == {(1, 2), (2, 3), (3, 4)}


def test_unknown_index_layout_falls_back_to_lookups_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carecircle.geo import osm_locations

    nodes = {-3: (118.0, 32.0), 5: (118.001, -32.0), 7: (-118.002, 32.0000001)}
    ways: list[Way] = [(-9, [-3, 5, 42, 7], {"highway": "footway"}), (-10, [7, -3], {})]
    ways += [(11, [5, 7], {"highway": "motorway"}), (12, [7, 5], {"highway": "path"})]
    path = write(tmp_path, osm_xml(nodes, ways))
    bulk = segments_from_osm_xml(path)
    monkeypatch.setattr(osm_locations, "_layout_matches", lambda table, index: False)
    looked_up = segments_from_osm_xml(path)
    for name in ("node_id", "lon", "lat", "seg_u", "seg_v", "seg_line"):
        np.testing.assert_array_equal(getattr(bulk, name), getattr(looked_up, name))
    assert bulk.counters == looked_up.counters == {"missing_refs": 2}
    np.testing.assert_array_equal(bulk.node_id, [-3, 5, 7])
    assert sorted(bulk.seg_line.tolist()) == [-9, 12]


def overpass_order(text: str) -> str:
    """The same OSM XML with every way before the nodes (Overpass `out body; >; out skel`)."""
    lines = text.splitlines()
    nodes = [line for line in lines if line.lstrip().startswith("<node")]
    ways = [line for line in lines if line.lstrip().startswith("<way")]
    return "\n".join([*lines[:2], *ways, *nodes, "</osm>"])


def test_ways_before_nodes_are_read_in_bulk_with_the_same_result(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file listing its ways first leaves libosmium's index unsorted (its lookups fail):
    the records are then checked and sorted by numpy, not looked up one by one."""
    nodes = pair_nodes(40)
    ways: list[Way] = [(300 + i, [2 * i + 1, 2 * i + 2], {"highway": "footway"}) for i in range(40)]
    ways += [(400 + i, [2 * i + 2, 2 * i + 4], {"highway": "path"}) for i in range(39)]
    text = osm_xml(nodes, ways)
    usual = segments_from_osm_xml(write(tmp_path, text, "usual.osm"))
    with caplog.at_level("WARNING", logger="carecircle"):
        first = segments_from_osm_xml(write(tmp_path, overpass_order(text), "overpass.osm"))
    assert not [r for r in caplog.records if "unknown layout" in r.getMessage()]
    for name in ("node_id", "lon", "lat", "seg_u", "seg_v", "seg_line"):
        np.testing.assert_array_equal(getattr(first, name), getattr(usual, name))
    assert first.counters == usual.counters == {"missing_refs": 0}


def test_a_temporary_folder_with_a_comma_is_refused_and_nothing_else_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libosmium cuts its index's file name at a comma: the read stops with the fix instead
    of writing the index over another file."""
    import tempfile

    bystander = tmp_path / "c"
    bystander.write_bytes(b"x" * 32)
    (tmp_path / "c,d").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "c,d"))
    path = write(tmp_path, osm_xml(pair_nodes(2), [(1, [1, 2], {"highway": "path"})]))
    with pytest.raises(NetworkError, match=r"comma.*set TMPDIR to a folder without a comma"):
        segments_from_osm_xml(path)
    assert bystander.read_bytes() == b"x" * 32


def test_a_full_temporary_folder_names_tmpdir_not_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carecircle.geo import osm

    def full(*_args: object) -> None:
        raise RuntimeError("Could not resize file: Not enough space on filesystem")

    monkeypatch.setattr(osm, "highway_ways_as_opl", full)
    path = write(tmp_path, osm_xml(pair_nodes(2), [(1, [1, 2], {"highway": "path"})]))
    with pytest.raises(NetworkError, match=r"no room for the node-location index.*TMPDIR"):
        segments_from_osm_xml(path)
