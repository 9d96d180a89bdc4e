"""The demo district's walking network, written as OpenStreetMap XML.

Arterials follow the grid lines; every point where a lane, gate or bridge meets an arterial is
a vertex of that arterial, so the ways share nodes exactly as in OSM.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from pyproj import Transformer

from carecircle.data.district.layout import (
    BRIDGE_ROWS,
    COMPOUND,
    N_COLS,
    N_ROWS,
    OPEN,
    PARK,
    RIVER,
    RIVER_COL,
    RURAL_W,
    URBAN_W,
    Layout,
)

ROAD_NAMES_X = (
    "人民路",
    "解放路",
    "中山路",
    "和平路",
    "胜利路",
    "建国路",
    "文化路",
    "滨河西路",
    "北京路",
    "滨河东路",
    "南京路",
    "上海路",
    "东环路",
)
ROAD_NAMES_Y = (
    "长江路",
    "黄河路",
    "淮河路",
    "珠江路",
    "汉江路",
    "湘江路",
    "赣江路",
    "钱塘路",
    "松花江路",
    "闽江路",
    "北环路",
)
WALL_INSET, RING_INSET = 30.0, 45.0


@dataclass
class OsmWriter:
    """Collects nodes (shared by rounded position) and ways, then writes OSM XML."""

    nodes: dict[tuple[float, float], int] = field(default_factory=dict)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)

    def node(self, x: float, y: float, **tags: str) -> int:
        """Return the id of the node at (x, y), creating it; add ``tags`` to it.

        Parameters
        ----------
        x : float
            Easting (metres).
        y : float
            Northing (metres).
        **tags : str
            OSM tags of the element.
        """
        key = (round(float(x), 2), round(float(y), 2))
        if key not in self.nodes:
            self.nodes[key] = len(self.nodes) + 1
        nid = self.nodes[key]
        if tags:
            self.node_tags.setdefault(nid, {}).update(tags)
        return nid

    def way(self, points: list[tuple[float, float]], **tags: str) -> None:
        """Add a way through the points (consecutive duplicates dropped).

        Parameters
        ----------
        points : list[tuple[float, float]]
            The way's points in local metres.
        **tags : str
            OSM tags of the element.
        """
        ids = [self.node(x, y) for x, y in points]
        ids = [n for i, n in enumerate(ids) if i == 0 or n != ids[i - 1]]
        if len(ids) >= 2:
            self.ways.append((ids, tags))

    def write(self, path: Path, to_lonlat: Transformer) -> None:
        """Write the nodes and ways as OSM XML, converting local metres to lon/lat.

        Parameters
        ----------
        path : Path
            The file.
        to_lonlat : Transformer
            The district's metres to lon/lat.
        """
        keys = list(self.nodes)
        xy = np.array(keys, dtype=float).reshape(-1, 2)
        lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<osm version="0.6" generator="carecircle demo district">',
        ]
        for key, lo, la in zip(keys, lon, lat, strict=True):
            nid = self.nodes[key]
            tags = self.node_tags.get(nid)
            head = f'  <node id="{nid}" lat="{la:.8f}" lon="{lo:.8f}"'
            if not tags:
                lines.append(head + "/>")
                continue
            lines.append(head + ">")
            lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("  </node>")
        for wid, (ids, tags) in enumerate(self.ways, start=1):
            lines.append(f'  <way id="{wid}">')
            lines += [f'    <nd ref="{n}"/>' for n in ids]
            lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("  </way>")
        lines.append("</osm>")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Attachments:
    """Points where inner ways meet an arterial segment, by segment key."""

    def __init__(self) -> None:
        self.points: dict[tuple[str, int, int], list[tuple[float, float]]] = defaultdict(list)

    def add(self, key: tuple[str, int, int], x: float, y: float) -> tuple[float, float]:
        """Record that a way meets arterial segment ``key`` at (x, y); return the point.

        Parameters
        ----------
        key : tuple[str, int, int]
            What the attachment is keyed by.
        x : float
            Easting (metres).
        y : float
            Northing (metres).
        """
        self.points[key].append((round(x, 2), round(y, 2)))
        return round(x, 2), round(y, 2)


def _compound(
    osm: OsmWriter,
    att: Attachments,
    b: tuple[float, float, float, float],
    ij: tuple[int, int],
    sides: tuple[str, ...],
) -> None:
    """Add a gated compound: an inner path grid with a ring, reaching the street at gates."""
    x0, y0, x1, y1 = b
    i, j = ij
    ax, bx, ay, by = x0 + RING_INSET, x1 - RING_INSET, y0 + RING_INSET, y1 - RING_INSET
    n_x = max(round((bx - ax) / 90.0), 2)
    n_y = max(round((by - ay) / 90.0), 2)
    gx, gy = np.linspace(ax, bx, n_x + 1), np.linspace(ay, by, n_y + 1)
    for x in gx:
        osm.way([(x, y) for y in gy], highway="footway", access="private")
    for y in gy:
        osm.way([(x, y) for x in gx], highway="footway", access="private")
    mid_x, mid_y = gx[len(gx) // 2], gy[len(gy) // 2]
    for side in sides:
        if side == "s":
            inner, outer = (mid_x, ay), att.add(("h", i, j), mid_x, y0)
        elif side == "n":
            inner, outer = (mid_x, by), att.add(("h", i, j + 1), mid_x, y1)
        elif side == "w":
            inner, outer = (ax, mid_y), att.add(("v", i, j), x0, mid_y)
        else:
            inner, outer = (bx, mid_y), att.add(("v", i + 1, j), x1, mid_y)
        gate = ((inner[0] + outer[0]) / 2, (inner[1] + outer[1]) / 2)
        osm.node(*gate, barrier="gate", access="private")
        osm.way([inner, gate, outer], highway="footway", access="private", name="小区门 gate")


def _open_block(
    osm: OsmWriter,
    att: Attachments,
    b: tuple[float, float, float, float],
    ij: tuple[int, int],
    rng: np.random.Generator,
) -> None:
    """Open block: a through lane, a lane from the south ending in a dead end, a spur."""
    x0, y0, x1, y1 = b
    i, j = ij
    ym = round(y0 + (y1 - y0) * rng.uniform(0.4, 0.6), 1)
    xm = round(x0 + (x1 - x0) * rng.uniform(0.35, 0.65), 1)
    west, east = att.add(("v", i, j), x0, ym), att.add(("v", i + 1, j), x1, ym)
    spur_x = round(x0 + (x1 - x0) * 0.8, 1)
    oneway = {"oneway": "yes"} if rng.random() < 0.25 else {}
    osm.way([west, (xm, ym), (spur_x, ym), east], highway="residential", **oneway)
    south = att.add(("h", i, j), xm, y0)
    osm.way([south, (xm, ym)], highway="service")
    osm.way([(xm, ym), (xm, ym + (y1 - ym) * 0.6)], highway="service", service="alley")
    osm.way([(spur_x, ym), (spur_x, y0 + (ym - y0) * 0.35)], highway="footway")


def _park(
    osm: OsmWriter, att: Attachments, b: tuple[float, float, float, float], ij: tuple[int, int]
) -> None:
    x0, y0, x1, y1 = b
    i, j = ij
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    loop = [
        (cx - 120, cy - 100),
        (cx, cy - 100),
        (cx + 120, cy - 100),
        (cx + 120, cy + 100),
        (cx - 120, cy + 100),
        (cx - 120, cy - 100),
    ]
    osm.way(loop, highway="footway", leisure="park")
    osm.way([att.add(("h", i, j), cx, y0), (cx, cy - 100)], highway="footway")


def _river(osm: OsmWriter, lay: Layout) -> None:
    """Add the river (not walkable) and an island path that nothing connects to."""
    x0, x1 = lay.xs[RIVER_COL], lay.xs[RIVER_COL + 1]
    cx = (x0 + x1) / 2
    osm.way([(cx, -50.0), (cx, lay.ys[-1] + 50.0)], waterway="river", name="清水河")
    y0, y1 = lay.ys[6], lay.ys[7]
    cy = (y0 + y1) / 2
    island = [
        (cx - 20, cy - 60),
        (cx + 20, cy - 60),
        (cx + 20, cy),
        (cx + 20, cy + 60),
        (cx - 20, cy + 60),
        (cx - 20, cy),
        (cx - 20, cy - 60),
    ]
    osm.way(island, highway="footway", name="江心洲步道")
    osm.way([(cx - 20, cy), (cx + 20, cy)], highway="footway")


def _arterials(osm: OsmWriter, att: Attachments, lay: Layout) -> None:
    xs, ys = lay.xs, lay.ys
    for j in range(N_ROWS + 1):
        for i in range(N_COLS):
            if i == RIVER_COL and j not in BRIDGE_ROWS:
                continue
            pts = sorted({(xs[i], ys[j]), (xs[i + 1], ys[j]), *att.points[("h", i, j)]})
            tags = {"highway": "secondary" if j % 3 == 0 else "tertiary", "name": ROAD_NAMES_Y[j]}
            if i == RIVER_COL:
                tags |= {"bridge": "yes", "layer": "1"}
            osm.way(pts, **tags)
    for i in range(N_COLS + 1):
        for j in range(N_ROWS):
            pts = sorted(
                {(xs[i], ys[j]), (xs[i], ys[j + 1]), *att.points[("v", i, j)]}, key=lambda p: p[1]
            )
            osm.way(pts, highway="primary" if i % 4 == 0 else "secondary", name=ROAD_NAMES_X[i])


def _rural_roads(osm: OsmWriter, att: Attachments, lay: Layout) -> None:
    for suffix, (tx, ty) in lay.town_centres.items():
        j = int(np.searchsorted(lay.ys, ty) - 1)
        start = att.add(("v", N_COLS, j), URBAN_W, ty)
        grid = [tx + k * 150.0 for k in range(-3, 4)]
        links = [v[0] for v in lay.villages[suffix]]
        xs = sorted({start[0], *grid, *links, URBAN_W + RURAL_W})
        osm.way([(x, ty) for x in xs], highway="tertiary", name=f"{suffix}镇大道")
        for x in grid:
            osm.way([(x, ty + k * 150.0) for k in range(-3, 4)], highway="residential")
        for k in (-3, -2, -1, 1, 2, 3):
            osm.way([(x, ty + k * 150.0) for x in grid], highway="residential")
        for vx, vy in lay.villages[suffix]:
            osm.way([(vx, ty), (vx, vy)], highway="unclassified" if abs(vy - ty) < 700 else "track")
            gx = [vx - 100.0, vx, vx + 100.0]
            gy = [vy - 100.0, vy, vy + 100.0]
            for x in gx:
                osm.way([(x, y) for y in gy], highway="residential")
            for y in gy:
                osm.way([(x, y) for x in gx], highway="residential")


def write_network(
    path: Path, lay: Layout, rng: np.random.Generator, to_lonlat: Transformer
) -> None:
    """Write ``network.osm`` for the layout.

    Parameters
    ----------
    path : Path
        The file.
    lay : Layout
        The district's layout.
    rng : np.random.Generator
        Random generator (seeded).
    to_lonlat : Transformer
        The district's metres to lon/lat.
    """
    osm, att = OsmWriter(), Attachments()
    for i in range(N_COLS):
        for j in range(N_ROWS):
            kind = lay.kinds[i, j]
            b = lay.block_bounds(i, j)
            if kind == COMPOUND:
                _compound(osm, att, b, (i, j), lay.gates[(i, j)])
            elif kind == OPEN:
                _open_block(osm, att, b, (i, j), rng)
            elif kind == PARK:
                _park(osm, att, b, (i, j))
            elif kind == RIVER:
                continue
    _river(osm, lay)
    _rural_roads(osm, att, lay)
    _arterials(osm, att, lay)
    osm.write(path, to_lonlat)
