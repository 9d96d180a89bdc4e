"""Real networks: formats, cache, one-ways, stray fragments, and gates (../shared/data)."""

from __future__ import annotations

import itertools
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from carecircle.errors import InputFileError, NetworkError
from carecircle.geo.network_io import NetworkSource, load_network, read_segments
from carecircle.geo.population import cells_from_rasters
from carecircle.geo.routing import nearest_source_distances, point_distances
from carecircle.geo.snap import EdgeIndex

JINGAN = "shanghai-jingan-osm/shanghai_jingan_osmnx_drive.osm"
HAIDIAN = "beijing-haidian-osm/haidian_cau.osm"


def _distances_from_node(net, osm_id: int) -> dict[int, float]:
    from scipy.sparse.csgraph import dijkstra

    start = int(np.flatnonzero(net.node_id == osm_id)[0])
    d = dijkstra(net.graph, directed=True, indices=start)
    return dict(zip(net.node_id.tolist(), d.tolist(), strict=True))


def _to_pbf(src: Path, dst: Path) -> Path:
    import osmium

    writer = osmium.SimpleWriter(str(dst), overwrite=True)
    for obj in osmium.FileProcessor(str(src)):
        writer.add(obj)
    writer.close()
    return dst


def test_pbf_and_graphml_give_the_same_distances_as_osm(shared_data: Path, tmp_path: Path) -> None:
    import osmnx as ox

    osm = shared_data / JINGAN
    xml_net, _ = load_network(NetworkSource(osm), cache_dir=None)
    pbf_net, meta = load_network(
        NetworkSource(_to_pbf(osm, tmp_path / "j.osm.pbf")), cache_dir=None
    )
    assert meta["format"] == "pbf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # osmnx warns about reading its own XML
        graph = ox.graph_from_xml(osm, simplify=True, retain_all=True)
    ox.save_graphml(graph, tmp_path / "j.graphml")
    gml_net, _ = load_network(NetworkSource(tmp_path / "j.graphml"), cache_dir=None)
    assert graph.number_of_nodes() < xml_net.n_nodes  # simplified: geometry vertices re-split
    start = int(np.intersect1d(xml_net.node_id, gml_net.node_id)[0])
    want = _distances_from_node(xml_net, start)
    for other in (pbf_net, gml_net):
        assert other.n_edges == xml_net.n_edges
        assert other.edge_length.sum() == pytest.approx(xml_net.edge_length.sum(), rel=1e-12)
        got = _distances_from_node(other, start)
        common = [n for n in want if n in got and np.isfinite(want[n])]
        assert len(common) > 300
        np.testing.assert_allclose([got[n] for n in common], [want[n] for n in common], atol=1e-6)


def test_cache_returns_the_same_network_fast(shared_data: Path, tmp_path: Path) -> None:
    src = NetworkSource(shared_data / HAIDIAN)
    first, meta1 = load_network(src, cache_dir=tmp_path)
    start = time.perf_counter()
    second, meta2 = load_network(src, cache_dir=tmp_path)
    assert time.perf_counter() - start < 1.0
    assert (meta1["from_cache"], meta2["from_cache"]) == (False, True)
    np.testing.assert_array_equal(first.edge_length, second.edge_length)
    np.testing.assert_array_equal(first.graph.indices, second.graph.indices)
    _, meta3 = load_network(src, cache_dir=tmp_path, include_private=False)
    assert meta3["from_cache"] is False  # the filter is part of the key
    # the routing core comes with the cache, equal to one built afresh
    assert second.core is not None
    built = first.routing_core
    for name in (
        "core_node",
        "chain_a",
        "chain_b",
        "chain_length",
        "node_chain",
        "node_pos",
        "edge_chain",
        "inner_node",
        "inner_to_b",
    ):
        np.testing.assert_array_equal(getattr(second.core, name), getattr(built, name))
    assert (second.core.graph != built.graph).nnz == 0


def test_one_way_streets_are_walked_both_ways(shared_data: Path) -> None:
    osm = shared_data / JINGAN
    net, _ = load_network(NetworkSource(osm), cache_dir=None)
    pos = {int(n): i for i, n in enumerate(net.node_id)}
    pairs = []
    for way in ET.parse(osm).getroot().iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if tags.get("oneway") in ("yes", "True", "true", "1"):
            refs = [int(nd.get("ref")) for nd in way.iter("nd")]
            pairs += [
                (pos[a], pos[b]) for a, b in itertools.pairwise(refs) if a in pos and b in pos
            ]
    assert len(pairs) > 100
    a, b = np.array(pairs).T
    g = net.graph
    forward, backward = g[a, b], g[b, a]
    assert np.all(forward > 0)
    np.testing.assert_allclose(forward, backward)


def test_facility_near_a_stray_fragment_snaps_to_the_main_network(shared_data: Path) -> None:
    osm = shared_data / JINGAN
    segments, _ = read_segments(osm, include_private=True)
    net, _ = load_network(NetworkSource(osm), cache_dir=None)
    assert net.dropped_components > 0
    stray = np.flatnonzero(~np.isin(segments.node_id, net.node_id))
    to_metric = Transformer.from_crs(4326, net.crs, always_xy=True)
    x, y = to_metric.transform(segments.lon[stray[0]], segments.lat[stray[0]])
    snapped = EdgeIndex(net).snap([x], [y], max_distance_m=500)
    assert snapped.ok[0]
    assert snapped.distance[0] > 0  # it lands on the main component, not on its own node
    assert snapped.edge[0] < net.n_edges


def test_campus_gate_makes_the_walk_far_shorter_than_a_buffer(shared_data: Path) -> None:
    net, _ = load_network(NetworkSource(shared_data / HAIDIAN), cache_dir=None)
    to_metric = Transformer.from_crs(4326, net.crs, always_xy=True)
    fx, fy = to_metric.transform(116.3506409, 39.9998632)  # bus stop outside the east campus
    index = EdgeIndex(net)
    facility = index.snap([fx], [fy], max_distance_m=200)
    x0, y0 = to_metric.transform(116.3440, 39.9977)
    x1, y1 = to_metric.transform(116.3597, 40.0089)
    gx, gy = np.meshgrid(np.arange(x0, x1, 25.0), np.arange(y0, y1, 25.0))
    points = index.snap(gx.ravel(), gy.ravel(), max_distance_m=100)
    nd = nearest_source_distances(net, facility, limit_m=1800)
    walk, _ = point_distances(net, points, nd, facility)
    straight = np.hypot(gx.ravel() - fx, gy.ravel() - fy) <= 900
    network = walk <= 900
    assert straight.mean() > 0.75
    assert network.mean() < 0.35
    assert network.mean() < 0.4 * straight.mean()
    assert not np.any(network & ~straight)  # a walk is never shorter than the straight line


def test_worldpop_clip_totals_are_conserved(shared_data: Path) -> None:
    folder = shared_data / "wuhan-worldpop"
    cells, totals = cells_from_rasters(
        folder / "wuhan_pop20plus_100m_clip_wuchang_6km.tif",
        folder / "wuhan_pop60plus_100m_clip_wuchang_6km.tif",
    )
    assert totals.older == pytest.approx(90_344, abs=1)
    assert cells["older_residents"].sum() == pytest.approx(90_344, abs=1)
    assert totals.residents == pytest.approx(431_746, abs=1)


def test_truncated_pbf_is_a_clear_error(shared_data: Path, tmp_path: Path) -> None:
    pbf = _to_pbf(shared_data / HAIDIAN, tmp_path / "h.osm.pbf")
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(pbf.read_bytes()[: pbf.stat().st_size // 2])
    with pytest.raises((InputFileError, NetworkError)) as exc:
        load_network(NetworkSource(cut), cache_dir=None)
    assert "cut.osm.pbf" in str(exc.value)


def _small_osm(tmp_path: Path, *, ways_first: bool = False) -> Path:
    """A 3-node footway and a 2-node path sharing node 2 (lon/lat 0.001° apart)."""
    nodes = "".join(
        f'<node id="{i}" lat="32.0" lon="{118 + 0.001 * i:.3f}"/>' for i in (1, 2, 3, 4)
    )
    ways = (
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>'
        '<way id="11"><nd ref="2"/><nd ref="4"/><tag k="highway" v="path"/></way>'
    )
    body = ways + nodes if ways_first else nodes + ways
    path = tmp_path / "small.osm"
    path.write_text(f'<?xml version="1.0"?><osm version="0.6">{body}</osm>', encoding="utf-8")
    return path


def test_nodes_written_after_the_ways_are_found(tmp_path: Path) -> None:
    first = read_segments(_small_osm(tmp_path), include_private=True)[0]
    later = read_segments(_small_osm(tmp_path, ways_first=True), include_private=True)[0]
    assert later.counters["missing_refs"] == 0
    np.testing.assert_array_equal(later.node_id, [1, 2, 3, 4])
    np.testing.assert_array_equal(later.lon, first.lon)
    np.testing.assert_array_equal(later.seg_u, first.seg_u)


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_a_damaged_cache_file_is_discarded_and_rebuilt(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    src = NetworkSource(_small_osm(tmp_path))
    cache = tmp_path / "cache"
    first, _ = load_network(src, cache_dir=cache)
    (cached,) = cache.glob("network-*.npz")
    data = cached.read_bytes()
    cached.write_bytes(
        {"empty": b"", "truncated": data[: len(data) // 2], "garbage": b"PK\x03\x04 no zip"}[damage]
    )
    with caplog.at_level("WARNING", logger="carecircle"):
        again, meta = load_network(src, cache_dir=cache)
    assert meta["from_cache"] is False
    assert any(
        "could not be read" in r.getMessage() and cached.name in r.getMessage()
        for r in caplog.records
    )
    np.testing.assert_array_equal(again.edge_length, first.edge_length)
    third, meta3 = load_network(src, cache_dir=cache)  # the rebuilt cache is good again
    assert meta3["from_cache"] is True
    np.testing.assert_array_equal(third.edge_length, first.edge_length)


def test_a_network_larger_than_the_free_memory_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carecircle.geo import memory

    path = _small_osm(tmp_path)
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 10 * 1024)
    # ~5 nodes by the file size, 4 when counted: 4 KiB needed, 10 KiB free
    load_network(NetworkSource(path), cache_dir=None)
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 3 * 1024)
    with pytest.raises(
        NetworkError, match=r"small\.osm: this network is too large .*osmium extract"
    ):
        load_network(NetworkSource(path), cache_dir=None)
    big = tmp_path / "china.osm.pbf"
    big.write_bytes(b"\0" * 80_000)  # ~10,000 nodes by its size: 10 MiB needed
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 2**20)
    message = (
        r"china\.osm\.pbf: this network is too large .*about 10,000 nodes from its 0\.1 MiB: "
        r"≈9\.8 MiB needed, 1\.0 MiB available\); clip it to the study area"
    )
    with pytest.raises(NetworkError, match=message):
        load_network(NetworkSource(big), cache_dir=None)


def test_the_memory_estimate_counts_osm_xml_nodes() -> None:
    from carecircle.geo.memory import available_memory_bytes, estimate_network_nodes

    free = available_memory_bytes()
    assert free is None or free > 0
    osm = Path(__file__).parents[2].parent / "shared" / "data" / HAIDIAN
    if not osm.is_file():
        pytest.skip("../shared/data is not beside the repository")
    assert estimate_network_nodes(osm, count=True) == 4347  # the README's node count
    assert estimate_network_nodes(osm) >= 4347  # the size estimate errs on the high side


def test_compressed_osm_xml_gives_the_same_network(shared_data: Path, tmp_path: Path) -> None:
    import bz2
    import gzip

    osm = shared_data / HAIDIAN
    plain, _ = load_network(NetworkSource(osm), cache_dir=None)
    for name, opener in (("h.osm.gz", gzip.open), ("h.osm.bz2", bz2.open)):
        with opener(tmp_path / name, "wb") as fh:
            fh.write(osm.read_bytes())
        net, meta = load_network(NetworkSource(tmp_path / name), cache_dir=None)
        assert meta["format"] == "osm"
        np.testing.assert_array_equal(net.node_id, plain.node_id)
        np.testing.assert_array_equal(net.edge_length, plain.edge_length)
