"""OSM reading benchmark (issue 13): carecircle's reader against bare pyosmium on the same file.

Files: the generated cities' ``network.osm`` (XML) and ``network.osm.pbf``
(``benchmarks/.cache/cities/{district,mid,city}-seed13-v1``, made by :mod:`_city` if missing).
Methods, each timed in its own process (best of ≥ 3 calls; CPU seconds of the process, its
libosmium threads included, and wall seconds; peak RSS of the process):

- ``carecircle-read``: ``carecircle.geo.network_io.read_segments`` — what ``load_network``
  calls on a cold cache — from the file to the segment arrays (``NetworkSegments``); no
  cache, no graph.
- ``carecircle-load``: the whole cold ``load_network`` (``cache_dir=None``): the file's
  SHA-256, the read, projection, CSR graph and largest component. For context.
- ``pyosmium-floor``: the library floor: ``osmium.FileProcessor(file, NODE | WAY)
  .with_locations().with_filter(EntityFilter(WAY)).with_filter(KeyFilter("highway"))``
  (libosmium parses the file, keeps every node location in its ``flex_mem`` index, sets
  them on the ways and drops all but highway ways, in C++), and a Python loop over the
  highway ways applying the walking filter to their tags and counting the kept ways' nodes.
  It does everything carecircle's read needs but copying the node ids and locations out,
  which pyosmium does only one node at a time: a reference for a reader built on
  pyosmium's usual path (carecircle itself uses another index, kept in a file, and never
  sets locations on the ways, so the ratio can fall below 1).
- ``pyosmium-nodes``: the floor plus that copy: each kept way's node ids and locations
  appended to Python lists (``node.ref``, ``node.location.lon/lat``), then numpy arrays:
  the same information as carecircle's read (before the segments), by pyosmium's API.

Targets: ``carecircle-read`` within 1.5× of ``pyosmium-floor`` (CPU seconds) for XML and
PBF at mid and city. Rows go to ``benchmarks/results.json`` (``method`` ``osm/...``) and
the ``<!-- osm -->`` section of RESULTS.md.

Run: ``python benchmarks/bench_osm.py [--sizes district,mid,city] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PREFIX = "osm"
SIZES = ("district", "mid", "city")
FORMATS = {"xml": "network.osm", "pbf": "network.osm.pbf"}
METHODS = ("pyosmium-floor", "carecircle-read", "pyosmium-nodes", "carecircle-load")
TARGET = 1.5
TARGET_SIZES = ("mid", "city")


def network_file(size: str, fmt: str) -> Path:
    """The generated city's network file (the city is generated when not cached)."""
    from _city import city_study
    from _city_layout import SIZES as SPECS

    return city_study(SPECS[size]) / FORMATS[fmt]


def _walkable(tags: Any) -> bool:
    """carecircle's walking filter (``is_walkable``, include_private) on a pyosmium TagList."""
    from carecircle.geo.osm_tags import EXCLUDED_HIGHWAYS

    if tags.get("highway") in EXCLUDED_HIGHWAYS:
        return False
    return not (
        tags.get("area") == "yes" or tags.get("foot") == "no" or tags.get("service") == "private"
    )


def _highway_ways(path: Path) -> Any:
    """pyosmium's iterator over the ways with a ``highway`` tag, their nodes located."""
    import osmium

    return (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )


def pyosmium_floor(path: Path) -> dict[str, int]:
    """Read the highway ways with locations and apply the walking filter (no node copied)."""
    ways_read = ways_kept = way_nodes = 0
    for way in _highway_ways(path):
        ways_read += 1
        size = len(way.nodes)
        if size >= 2 and _walkable(way.tags):
            ways_kept += 1
            way_nodes += size
    return {"ways_read": ways_read, "ways_kept": ways_kept, "way_nodes": way_nodes}


def pyosmium_nodes(path: Path) -> dict[str, int]:
    """The floor, plus every kept way's node ids and locations copied out (as numpy arrays)."""
    import numpy as np

    refs: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    add_ref, add_x, add_y = refs.append, xs.append, ys.append
    ways_read = ways_kept = 0
    for way in _highway_ways(path):
        ways_read += 1
        nodes = way.nodes
        if len(nodes) >= 2 and _walkable(way.tags):
            ways_kept += 1
            for node in nodes:
                location = node.location  # libosmium's 1e-7° integers (fastest accessor)
                add_ref(node.ref)
                add_x(location.x)
                add_y(location.y)
    ids = np.array(refs, dtype=np.int64)
    x, y = np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)
    absent = x == 2**31 - 1  # libosmium's undefined coordinate
    lon, lat = np.where(absent, np.nan, x / 1e7), np.where(absent, np.nan, y / 1e7)
    assert ids.size == lon.size == lat.size
    return {"ways_read": ways_read, "ways_kept": ways_kept, "way_nodes": int(ids.size)}


def carecircle_read(path: Path) -> dict[str, int]:
    """carecircle's read to segment arrays (``read_segments``, as a cold ``load_network``)."""
    from carecircle.geo.network_io import read_segments

    seg, _ = read_segments(path, include_private=True)
    return {
        "ways_read": seg.lines_read,
        "ways_kept": seg.lines_kept,
        # each kept way of n nodes gives n - 1 segments (minus those at absent nodes)
        "way_nodes": int(seg.seg_u.size + seg.lines_kept + seg.counters["missing_refs"]),
        "nodes": int(seg.node_id.size),
        "segments": int(seg.seg_u.size),
    }


def carecircle_load(path: Path) -> dict[str, int]:
    """The whole cold ``load_network``: digest, read, projection, graph, largest component."""
    from carecircle.geo.network_io import NetworkSource, load_network

    net, meta = load_network(NetworkSource(path=path), cache_dir=None)
    return {
        "ways_read": int(meta["lines_read"]),
        "ways_kept": int(meta["lines_kept"]),
        "nodes": net.n_nodes,
        "edges": net.n_edges,
    }


MEASURES: dict[str, Callable[[Path], dict[str, int]]] = {
    "pyosmium-floor": pyosmium_floor,
    "pyosmium-nodes": pyosmium_nodes,
    "carecircle-read": carecircle_read,
    "carecircle-load": carecircle_load,
}


def measure(method: str, path: Path, *, min_calls: int = 3, budget_s: float = 4.0) -> dict:
    """Call one method ≥ ``min_calls`` times (then until ``budget_s``); best and median times."""
    fn = MEASURES[method]
    walls: list[float] = []
    cpus: list[float] = []
    counts: dict[str, int] = {}
    start = time.perf_counter()
    while len(walls) < min_calls or (time.perf_counter() - start < budget_s and len(walls) < 10):
        cpu, wall = time.process_time(), time.perf_counter()
        counts = fn(path)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return {
        "seconds": min(walls),
        "seconds_median": statistics.median(walls),
        "cpu_seconds": min(cpus),
        "cpu_seconds_median": statistics.median(cpus),
        "repeats": len(walls),
        **counts,
    }


def _child(size: str, fmt: str, method: str) -> None:
    """Measure one (file, method) in this process and print the row as JSON."""
    path = network_file(size, fmt)
    row = {"method": f"{PREFIX}/{method}", "case": f"{size}-{fmt}", "size": size, "format": fmt}
    row |= measure(method, path)
    row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    row["file_mib"] = round(path.stat().st_size / 2**20, 1)
    row["load_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(row))


def run_child(size: str, fmt: str, method: str) -> dict:
    """Run :func:`_child` in a fresh interpreter; return its row."""
    cmd = [sys.executable, str(Path(__file__)), "--child", size, fmt, method]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=HERE)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(rows: list[dict]) -> dict:
    """Merge the rounds of one (case, method): the best times, every round's load."""
    best = min(rows, key=lambda r: r["cpu_seconds"]) | {}
    best["seconds"] = min(r["seconds"] for r in rows)
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in rows)
    best["load_1min"] = [r["load_1min"] for r in rows]
    best["rounds"] = len(rows)
    best["round_cpu_seconds"] = [round(r["cpu_seconds"], 3) for r in rows]
    return best


def _ratio(rows: dict[tuple[str, str], dict], case: str, a: str, b: str, key: str) -> float:
    return rows[(case, a)][key] / rows[(case, b)][key]


def table(rows: dict[tuple[str, str], dict], cases: list[str]) -> str:
    """The ``<!-- osm -->`` section of RESULTS.md."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    loads = [x for r in rows.values() for x in r["load_1min"]]
    lines = [
        f"<!-- {PREFIX} -->",
        "## OSM reading benchmark (`bench_osm.py`)",
        "",
        f"Written by `benchmarks/bench_osm.py` on {when}. Re-run with `make bench`.",
        "",
        "### Targets",
        "",
        "| target | measured (CPU s, separate processes) | wall s | result |",
        "|---|---|---|---|",
    ]
    for case in cases:
        if case.split("-")[0] not in TARGET_SIZES:
            continue
        cpu = _ratio(rows, case, "carecircle-read", "pyosmium-floor", "cpu_seconds")
        wall = _ratio(rows, case, "carecircle-read", "pyosmium-floor", "seconds")
        read, floor = rows[(case, "carecircle-read")], rows[(case, "pyosmium-floor")]
        lines.append(
            f"| {case}: carecircle read / pyosmium floor ≤ {TARGET}× | {cpu:.2f}× "
            f"({read['cpu_seconds']:.3f} s / {floor['cpu_seconds']:.3f} s) | {wall:.2f}× | "
            f"{'✓' if cpu <= TARGET else '✗'} |"
        )
    lines += [
        "",
        "### All measurements",
        "",
        "| file | method | MiB | ways read / kept | way nodes | CPU s (best) | wall s (best) "
        "| median wall | calls | peak RSS MiB | vs floor (CPU) | vs nodes (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        for method in METHODS:
            r = rows[(case, method)]
            nodes = f"{r['way_nodes']:,}" if "way_nodes" in r else f"{r['nodes']:,} (graph)"
            lines.append(
                f"| {case} | {method} | {r['file_mib']} | {r['ways_read']:,} / "
                f"{r['ways_kept']:,} | {nodes} | {r['cpu_seconds']:.3f} | {r['seconds']:.3f} | "
                f"{r['seconds_median']:.3f} | {r['repeats']} × {r['rounds']} | "
                f"{r['peak_rss_mib']:.0f} | "
                f"{_ratio(rows, case, method, 'pyosmium-floor', 'cpu_seconds'):.2f}× | "
                f"{_ratio(rows, case, method, 'pyosmium-nodes', 'cpu_seconds'):.2f}× |"
            )
    lines += [
        "",
        "### What is measured",
        "",
        "- **carecircle-read**: `read_segments(path, include_private=True)`, the call a cold "
        "`load_network` makes: file to `NetworkSegments` (sorted node ids, lon/lat, segment "
        "ends and ways), without the cache and the graph. **carecircle-load**: the whole cold "
        "`load_network(..., cache_dir=None)` (SHA-256 of the file, read, projection, CSR graph, "
        "largest component), for context.",
        "- **pyosmium-floor**: `osmium.FileProcessor(path, NODE | WAY).with_locations()"
        '.with_filter(EntityFilter(WAY)).with_filter(KeyFilter("highway"))`: libosmium parses '
        "the file, stores every node location in its `flex_mem` index, sets them on the ways "
        "and drops all but the highway ways in C++; Python then loops over those ways, applies "
        "the walking filter to their tags (`TagList.get`) and counts the kept ways' nodes. It "
        "hands no node id or location to Python (pyosmium has no bulk accessor for them), so "
        "no pyosmium-based reader can be faster: it is the library floor.",
        "- **pyosmium-nodes**: the floor plus the copy pyosmium allows: each kept way's "
        "node ids and locations appended one node at a time to Python lists, then numpy "
        "arrays — the same information carecircle's read produces before its segment arrays.",
        "- Each file and method runs in its own process, in rounds alternating the methods; "
        "each process calls its method at least 3 times (then until 4 s, at most 10). CPU "
        "seconds are `time.process_time()` of the process (libosmium's reader threads "
        "included), the best call of all rounds; the targets use them because the machine is "
        "shared with other sessions (1-minute load average during the runs: "
        f"{min(loads):.2f}–{max(loads):.2f} on {os.cpu_count()} cores). Peak RSS is the "
        "process's `ru_maxrss` (interpreter and imports included).",
        "- The test `tests/benchmarks/test_bench_osm.py` checks on a small generated file "
        "that the floor and carecircle read the same highway ways, keep the same walkable "
        "ways and the same number of way nodes, so the comparison is of like work.",
        f"<!-- /{PREFIX} -->",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=3, metavar=("SIZE", "FORMAT", "METHOD"))
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    if args.child:
        _child(*args.child)
        return
    from _results import replace_rows, replace_section

    cases = [f"{s}-{f}" for s in args.sizes.split(",") for f in args.formats.split(",")]
    for case in cases:
        network_file(*case.split("-"))  # generate before timing
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.rounds):
        for case in cases:
            for method in METHODS:
                row = run_child(*case.split("-"), method)
                runs.setdefault((case, method), []).append(row)
                print(
                    f"{case:13} {method:16} CPU {row['cpu_seconds']:7.3f} s  wall "
                    f"{row['seconds']:7.3f} s  {row['peak_rss_mib']:6.0f} MiB  "
                    f"load {row['load_1min']}",
                    flush=True,
                )
    rows = {key: _best(value) for key, value in runs.items()}
    text = table(rows, cases)
    print(text)
    replace_rows(lambda r: str(r.get("method", "")).startswith(f"{PREFIX}/"), list(rows.values()))
    replace_section(PREFIX, text)


if __name__ == "__main__":
    main()
