"""The walking network of a generated benchmark city, and its OSM XML and PBF files.

A warped street grid: intersections every ~200 m, :data:`SHAPE_NODES` shape nodes per block
edge (curved streets), named ways of several highway classes running over a few blocks, a
meandering river crossed only by a few bridges, and some missing minor segments (irregular
blocks, dead ends). Arrays throughout; the files are written by plain string joins (XML)
and pyosmium's SimpleWriter (PBF).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _city_layout import BRIDGE_EVERY_M, SHAPE_NODES, CitySpec, Frame, place_name

BLOCKS_PER_WAY = 4
MINOR_DROP = 0.06  # share of minor segments left out
SHAPE_JITTER_M = 8.0


@dataclass(frozen=True)
class Ways:
    """OSM nodes and ways as arrays.

    Attributes
    ----------
    node_id : ndarray of int64
        Node ids (ascending), only nodes some way uses.
    lon, lat : ndarray of float64
        WGS84 coordinates of the nodes.
    offsets : ndarray of int64
        Way ``w`` holds ``refs[offsets[w]:offsets[w + 1]]``.
    refs : ndarray of int64
        Node ids of every way, concatenated.
    highway, name : ndarray of str
        Tags of each way (``name`` empty for unnamed ways).
    bridge : ndarray of bool
        Ways that are bridges.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    offsets: np.ndarray
    refs: np.ndarray
    highway: np.ndarray
    name: np.ndarray
    bridge: np.ndarray


def grid_size(spec: CitySpec) -> int:
    """Intersections per side so that the network has about ``spec.nodes`` nodes."""
    return max(8, round(math.sqrt(spec.nodes / (1 + 2 * SHAPE_NODES * (1 - MINOR_DROP)))))


def _line_class(idx: np.ndarray) -> np.ndarray:
    """Highway class of the line with index ``idx`` (every 12th primary, ...)."""
    return np.select(
        [idx % 12 == 0, idx % 6 == 0, idx % 3 == 0, idx % 10 == 5],
        ["primary", "secondary", "tertiary", "footway"],
        "residential",
    )


_SUFFIX = {"primary": "大道", "secondary": "路", "tertiary": "街", "residential": "巷"}


def _segments(
    n: int, g: np.ndarray, frame: Frame, rng: np.random.Generator, horizontal: bool
) -> dict[str, np.ndarray]:
    """Segments of the horizontal (or vertical) lines: ends, shape points, kept, bridge."""
    line, pos = (
        a.astype(np.int64) for a in np.meshgrid(np.arange(n), np.arange(n - 1), indexing="ij")
    )
    # plan coordinates along the line (a) and across it (b)
    t = np.arange(1, SHAPE_NODES + 1) / (SHAPE_NODES + 1)
    a0, a1, b = g[pos], g[pos + 1], g[line]
    a_shape = a0[..., None] + (a1 - a0)[..., None] * t
    b_shape = b[..., None] + rng.normal(0.0, SHAPE_JITTER_M, a_shape.shape)
    samples = np.concatenate([a0[..., None], a_shape, a1[..., None]], axis=-1)
    across = np.concatenate([b[..., None], b_shape, b[..., None]], axis=-1)
    u, v = (samples, across) if horizontal else (across, samples)
    side = v - frame.river_v(u)
    in_river = frame.in_river(u, v).any(axis=-1)
    crosses = ((np.sign(side[..., 0]) != np.sign(side[..., -1])) & frame.river) | in_river
    cls = _line_class(line)
    spacing = g[1] - g[0]
    bridge_line = (line % max(1, round(BRIDGE_EVERY_M / spacing)) == 6) & (not horizontal)
    bridge = crosses & bridge_line
    minor = (cls == "residential") | (cls == "footway")
    kept = (~crosses | bridge) & ~(minor & (rng.random(line.shape) < MINOR_DROP))
    su, sv = (a_shape, b_shape) if horizontal else (b_shape, a_shape)
    return {"line": line, "pos": pos, "kept": kept, "bridge": bridge, "su": su, "sv": sv}


def _assemble(
    seg: dict[str, np.ndarray], a_id: np.ndarray, b_id: np.ndarray, shape_id: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join kept segments into ways of up to :data:`BLOCKS_PER_WAY` blocks, bridges alone.

    Returns per-way node counts, the refs (concatenated) and each way's first segment.
    """
    kept, bridge, pos = seg["kept"], seg["bridge"], seg["pos"]
    pad = np.zeros((kept.shape[0], 1), dtype=bool)
    prev_kept = np.hstack([pad, kept[:, :-1]])
    next_kept = np.hstack([kept[:, 1:], pad])
    prev_bridge = np.hstack([pad, bridge[:, :-1]])
    next_bridge = np.hstack([bridge[:, 1:], pad])
    start = kept & ((pos % BLOCKS_PER_WAY == 0) | ~prev_kept | bridge | prev_bridge)
    end = kept & ((pos % BLOCKS_PER_WAY == BLOCKS_PER_WAY - 1) | ~next_kept | bridge | next_bridge)
    flat = kept.ravel()
    matrix = np.concatenate(
        [a_id.ravel()[:, None], shape_id.reshape(-1, SHAPE_NODES), b_id.ravel()[:, None]], axis=1
    )[flat]
    take = np.ones(matrix.shape, dtype=bool)
    take[:, -1] = end.ravel()[flat]
    refs = matrix[take]
    way = np.cumsum(start.ravel()[flat]) - 1
    counts = np.bincount(way, weights=take.sum(axis=1)).astype(np.int64)
    first = np.flatnonzero(start.ravel()[flat])
    return counts, refs, np.flatnonzero(flat)[first]


def street_network(spec: CitySpec, frame: Frame, rng: np.random.Generator) -> Ways:
    """Generate the walking network of a city (see the module docstring)."""
    n = grid_size(spec)
    half = frame.side / 2
    spacing = (frame.side + 200.0) / (n - 1)
    g = -half - 100.0 + spacing * np.arange(n)
    inter_u, inter_v = np.meshgrid(g, g, indexing="ij")  # [i, j] = (u_i, v_j)
    inter_id = np.arange(n * n, dtype=np.int64).reshape(n, n) + 1
    parts_u, parts_v, parts_id = [inter_u.ravel()], [inter_v.ravel()], [inter_id.ravel()]
    next_id = n * n + 1
    counts, refs, line_of, horizontal_of, bridge_of = [], [], [], [], []
    for horizontal in (True, False):
        seg = _segments(n, g, frame, rng, horizontal)
        line, pos = seg["line"], seg["pos"]
        # horizontal line j runs along u: nodes (pos, j); vertical line i: nodes (i, pos)
        a_id = inter_id[pos, line] if horizontal else inter_id[line, pos]
        b_id = inter_id[pos + 1, line] if horizontal else inter_id[line, pos + 1]
        shape_id = next_id + np.arange(seg["su"].size, dtype=np.int64).reshape(seg["su"].shape)
        next_id += seg["su"].size
        parts_u.append(seg["su"].ravel())
        parts_v.append(seg["sv"].ravel())
        parts_id.append(shape_id.ravel())
        c, r, f = _assemble(seg, a_id, b_id, shape_id)
        counts.append(c)
        refs.append(r)
        line_of.append(line.ravel()[f])
        horizontal_of.append(np.full(f.size, horizontal))
        bridge_of.append(seg["bridge"].ravel()[f])
    all_refs = np.concatenate(refs)
    node_id = np.concatenate(parts_id)
    used = np.zeros(next_id, dtype=bool)
    used[all_refs] = True
    keep = used[node_id]
    lon, lat = frame.lonlat(np.concatenate(parts_u)[keep], np.concatenate(parts_v)[keep])
    order = np.argsort(node_id[keep])
    lines = np.concatenate(line_of)
    horiz = np.concatenate(horizontal_of)
    highway = _line_class(lines)
    names = np.array(
        [
            "" if h == "footway" or (h == "residential" and k % 2) else place_name(k, _SUFFIX[h])
            for h, k in zip(highway.tolist(), (lines * 2 + horiz).tolist(), strict=True)
        ]
    )
    return Ways(
        node_id=node_id[keep][order],
        lon=lon[order],
        lat=lat[order],
        offsets=np.concatenate([[0], np.cumsum(np.concatenate(counts))]),
        refs=all_refs,
        highway=highway,
        name=names,
        bridge=np.concatenate(bridge_of),
    )


def _tags(ways: Ways, w: int) -> dict[str, str]:
    tags = {"highway": str(ways.highway[w])}
    if ways.name[w]:
        tags["name"] = str(ways.name[w])
    if ways.bridge[w]:
        tags.update({"bridge": "yes", "layer": "1"})
    return tags


def write_osm_xml(path: Path, ways: Ways) -> None:
    """Write the network as OSM XML (``.osm``), nodes then ways."""
    tmp = path.with_name(path.name + ".partial")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="bench">\n')
        fh.writelines(
            f'  <node id="{i}" lat="{la:.7f}" lon="{lo:.7f}"/>\n'
            for i, lo, la in zip(
                ways.node_id.tolist(), ways.lon.tolist(), ways.lat.tolist(), strict=True
            )
        )
        nds = [f'<nd ref="{r}"/>' for r in ways.refs.tolist()]
        offsets = ways.offsets.tolist()
        for w in range(len(offsets) - 1):
            tags = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in _tags(ways, w).items())
            fh.write(
                f'  <way id="{w + 1}">{"".join(nds[offsets[w] : offsets[w + 1]])}{tags}</way>\n'
            )
        fh.write("</osm>\n")
    tmp.replace(path)


def write_osm_pbf(path: Path, ways: Ways) -> None:
    """Write the network as OSM PBF (``.osm.pbf``) with pyosmium's SimpleWriter."""
    import osmium

    tmp = path.with_name(path.name + ".partial.osm.pbf")
    writer = osmium.SimpleWriter(str(tmp), overwrite=True)
    try:
        node = osmium.osm.mutable.Node
        for i, lo, la in zip(
            ways.node_id.tolist(), ways.lon.tolist(), ways.lat.tolist(), strict=True
        ):
            writer.add_node(node(id=i, location=(lo, la)))
        refs, offsets = ways.refs.tolist(), ways.offsets.tolist()
        way = osmium.osm.mutable.Way
        for w in range(len(offsets) - 1):
            writer.add_way(
                way(id=w + 1, nodes=refs[offsets[w] : offsets[w + 1]], tags=_tags(ways, w))
            )
    finally:
        writer.close()
    tmp.replace(path)
