"""bench_osm compares like work: the pyosmium floor and carecircle read the same ways and nodes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import osmium
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from _city_layout import CitySpec, Frame  # noqa: E402
from _city_network import street_network, write_osm_pbf, write_osm_xml  # noqa: E402
from bench_osm import MEASURES, measure  # noqa: E402

SPEC = CitySpec("tiny", nodes=3_000, cells=2_000, streets=2, communities=4, seed=3)
WAY_METHODS = ("pyosmium-floor", "pyosmium-nodes", "carecircle-read")

#: id, node ids, tags; the walking filter keeps 201, 206, 207 (3 + 2 + 2 nodes)
MIXED = [
    (201, [1, 2, 3], {"highway": "footway", "name": "a,b c=d"}),
    (202, [3, 4], {"highway": "motorway"}),
    (203, [4, 5], {"highway": "residential", "foot": "no"}),
    (204, [5, 6], {"highway": "pedestrian", "area": "yes"}),
    (205, [6, 7], {"highway": "service", "service": "private"}),
    (206, [7, 8], {"highway": "residential", "access": "private"}),
    (207, [8, 1], {"highway": "primary", "oneway": "yes"}),
    (208, [1, 5], {"building": "yes"}),
    (209, [2], {"highway": "path"}),
]


@pytest.fixture(scope="module")
def tiny_city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int, int]:
    """A small generated city as XML and PBF, with its way and way-node counts."""
    folder = tmp_path_factory.mktemp("osm")
    rng = np.random.default_rng(SPEC.seed)
    ways = street_network(SPEC, Frame.of(SPEC, rng), rng)
    write_osm_xml(folder / "network.osm", ways)
    write_osm_pbf(folder / "network.osm.pbf", ways)
    n_ways = ways.offsets.size - 1
    return folder / "network.osm", folder / "network.osm.pbf", n_ways, int(ways.refs.size)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Ways the walking filter keeps and drops, as XML and as PBF (written by libosmium)."""
    folder = tmp_path_factory.mktemp("mixed")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid in range(1, 9):
        lines.append(f'  <node id="{nid}" lat="{32 + nid / 1000}" lon="{118 + nid / 500}"/>')
    for wid, refs, tags in MIXED:
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'  <way id="{wid}">{body}</way>')
    lines.append("</osm>")
    xml = folder / "mixed.osm"
    xml.write_text("\n".join(lines), encoding="utf-8")
    pbf = folder / "mixed.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    return xml, pbf


@pytest.mark.parametrize("fmt", [0, 1], ids=["xml", "pbf"])
def test_floor_and_carecircle_read_the_same_ways_and_nodes(
    tiny_city: tuple[Path, Path, int, int], fmt: int
) -> None:
    path, n_ways, n_refs = tiny_city[fmt], tiny_city[2], tiny_city[3]
    counts = {m: MEASURES[m](path) for m in WAY_METHODS}
    for method in WAY_METHODS:  # every generated way is a walkable highway
        got = {k: counts[method][k] for k in ("ways_read", "ways_kept", "way_nodes")}
        assert got == {"ways_read": n_ways, "ways_kept": n_ways, "way_nodes": n_refs}, method
    load = MEASURES["carecircle-load"](path)
    assert (load["ways_read"], load["ways_kept"]) == (n_ways, n_ways)
    assert 0 < load["nodes"] <= counts["carecircle-read"]["nodes"]  # largest component


@pytest.mark.parametrize("fmt", [0, 1], ids=["xml", "pbf"])
def test_floor_applies_carecircles_walking_filter(mixed: tuple[Path, Path], fmt: int) -> None:
    # 8 ways with a highway tag; 201, 206 and 207 are walkable (209 has one node only)
    for method in WAY_METHODS:
        got = MEASURES[method](mixed[fmt])
        assert (got["ways_read"], got["ways_kept"], got["way_nodes"]) == (8, 3, 7), method
    assert MEASURES["carecircle-read"](mixed[fmt])["segments"] == 4


def test_measure_takes_the_best_of_at_least_three_calls(
    tiny_city: tuple[Path, Path, int, int],
) -> None:
    row = measure("pyosmium-floor", tiny_city[1], min_calls=3, budget_s=0.0)
    assert row["repeats"] == 3
    assert 0 < row["seconds"] <= row["seconds_median"]
    assert 0 < row["cpu_seconds"] <= row["cpu_seconds_median"]
    assert row["ways_read"] == tiny_city[2]
