"""Routing benchmark, part 1: the cases, the synthetic lattices and the prepared inputs."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from scipy.sparse.csgraph import connected_components

from carecircle.geo.network import WalkNetwork, csr_from_edges
from carecircle.geo.network_cache import read_cache, write_cache
from carecircle.geo.network_io import NetworkSource, load_network
from carecircle.geo.snap import EdgeIndex, Snapped

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RUN = CACHE / "run"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OSM_FILES = {
    "haidian": SHARED / "beijing-haidian-osm" / "haidian_cau.osm",
    "jingan": SHARED / "shanghai-jingan-osm" / "shanghai_jingan_osmnx_drive.osm",
}

LIMIT_M = 900.0  # 15 min at 1.0 m/s: the elder-care walking circle
SNAP_M = 500.0  # carecircle's default [circle] max_snap_m
SPACING_M = 100.0
JITTER_M = 15.0
KEEP_EDGE = 0.72  # share of lattice edges kept: mean degree ~2.9 in the largest component
LATTICE_VERSION = 2  # 2: the cache holds the routing core
ORIGIN = (400_000.0, 4_400_000.0)  # UTM 50N (EPSG:32650), around Beijing
CHILD_TIMEOUT_S = 900
SECTION = "routing"  # RESULTS.md section markers, as benchmarks/_results.py uses them
ROUNDS = 2  # each case and method runs in this many processes, alternating (pandana: once)
PANDANA_INSTALLED = (
    "pandana: installed into the venv by hand for this run "
    "(`pip install pandana`, a binary wheel); it is not a project dependency."
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Case:
    """One benchmark case: an input graph, what is measured, and the methods compared.

    Attributes
    ----------
    name : str
        Case name used on the command line and in the results.
    graph : str
        ``250k``/``1m`` (synthetic lattice) or ``haidian``/``jingan`` (OSM file).
    kind : str
        ``routing`` (one bounded multi-source search), ``pipeline`` (the 1M coverage run)
        or ``matrix`` (sparse site × cell matrix).
    methods : tuple of str
        Methods measured, each in its own subprocess.
    facilities : int
        Facilities (sites for ``matrix``); 0 means one per 25 ha of the network's bounding box.
    cells : int
        Population cells (``pipeline`` and ``matrix``).
    """

    name: str
    graph: str
    kind: str
    methods: tuple[str, ...]
    facilities: int = 0
    cells: int = 0


ALL_METHODS = ("carecircle", "scipy", "networkx", "pandana")
NO_PANDANA = ("carecircle", "scipy", "networkx")  # pandana's CH build takes ~2 min at 250k
NODE_ONLY = ("carecircle", "scipy")
CASES = (
    Case("routing-osm-haidian", "haidian", "routing", ALL_METHODS),
    Case("routing-osm-jingan", "jingan", "routing", ALL_METHODS),
    Case("routing-250k", "250k", "routing", ALL_METHODS, facilities=1_000),
    Case("routing-250k-dense", "250k", "routing", NO_PANDANA, facilities=10_000),
    Case("routing-1m", "1m", "routing", NODE_ONLY, facilities=4_000),
    Case("pipeline-1m", "1m", "pipeline", ("carecircle",), facilities=4_000, cells=1_000_000),
    Case(
        "pipeline-1m-dense", "1m", "pipeline", ("carecircle",), facilities=40_000, cells=1_000_000
    ),
    Case("matrix-2000x50k", "250k", "matrix", ("carecircle",), facilities=2_000, cells=50_000),
)
LATTICE_SIDE = {"250k": 503, "1m": 1005}  # grid side; ~0.8 % of nodes fall outside the LCC


# --------------------------------------------------------------------------- inputs


def lattice_path(graph: str) -> Path:
    """Return the ``.npz`` cache file of a synthetic lattice."""
    side = LATTICE_SIDE[graph]
    return CACHE / f"lattice-{side}-p{KEEP_EDGE}-v{LATTICE_VERSION}.npz"


def make_lattice(side: int, *, seed: int = 7) -> WalkNetwork:
    """Build an irregular street lattice: jittered ~100 m grid with random edge deletions.

    Parameters
    ----------
    side : int
        Grid side; the lattice has ``side**2`` nodes before the largest component is kept.
    seed : int, default 7
        Random seed.

    Returns
    -------
    WalkNetwork
        The largest connected component, in UTM 50N metres.
    """
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side, dtype=np.int64).reshape(side, side)
    edges = np.concatenate(
        [
            np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()], axis=1),
            np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()], axis=1),
        ]
    )
    edges = edges[rng.random(edges.shape[0]) < KEEP_EDGE]
    gx, gy = np.meshgrid(np.arange(side, dtype=np.float64), np.arange(side, dtype=np.float64))
    x = ORIGIN[0] + gx.ravel() * SPACING_M + rng.normal(0.0, JITTER_M, side * side)
    y = ORIGIN[1] + gy.ravel() * SPACING_M + rng.normal(0.0, JITTER_M, side * side)
    u, v = edges[:, 0], edges[:, 1]
    graph, eu, ev, _ = csr_from_edges(side * side, u, v, np.hypot(x[u] - x[v], y[u] - y[v]))
    _, labels = connected_components(graph, directed=False)
    keep = labels == np.argmax(np.bincount(labels))
    new = np.full(side * side, -1, dtype=np.int64)
    new[keep] = np.arange(int(keep.sum()))
    ek = keep[eu]
    x, y = x[keep], y[keep]
    a, b = new[eu[ek]], new[ev[ek]]
    graph, eu, ev, ew = csr_from_edges(x.size, a, b, np.hypot(x[a] - x[b], y[a] - y[b]))
    crs = CRS.from_epsg(32650)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return WalkNetwork(
        crs=crs,
        node_id=np.flatnonzero(keep).astype(np.int64),
        x=x,
        y=y,
        lon=np.asarray(lon),
        lat=np.asarray(lat),
        edge_u=eu,
        edge_v=ev,
        edge_length=ew,
        graph=graph,
        dropped_nodes=int((~keep).sum()),
        dropped_components=0,
    )


def ensure_lattice(graph: str) -> Path:
    """Write the lattice cache once (carecircle's own ``.npz`` network format)."""
    path = lattice_path(graph)
    if not path.is_file():
        net = make_lattice(LATTICE_SIDE[graph])
        write_cache(
            path,
            net,
            {"format": "synthetic", "ways_read": 0, "ways_walkable": 0, "missing_refs": 0},
        )
    return path


def load_graph(graph: str) -> WalkNetwork:
    """Load a case's network: the lattice from its cache, an OSM file through load_network."""
    if graph in LATTICE_SIDE:
        return read_cache(ensure_lattice(graph))[0]
    net, _ = load_network(NetworkSource(path=OSM_FILES[graph]), cache_dir=CACHE)
    return net


def uniform_points(
    rng: np.random.Generator, n: int, box: tuple[float, float, float, float]
) -> tuple[FloatArray, FloatArray]:
    """Return ``n`` uniform random points in ``(x0, y0, x1, y1)``."""
    x0, y0, x1, y1 = box
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def network_box(net: WalkNetwork) -> tuple[float, float, float, float]:
    """Bounding box of the network's nodes (m)."""
    return float(net.x.min()), float(net.y.min()), float(net.x.max()), float(net.y.max())


def n_facilities(case: Case, net: WalkNetwork) -> int:
    """Facilities of a case: as given, or one per 25 ha of the network's bounding box."""
    if case.facilities:
        return case.facilities
    x0, y0, x1, y1 = network_box(net)
    return max(5, round((x1 - x0) * (y1 - y0) / 250_000.0))


def source_nodes(net: WalkNetwork, snapped: Snapped) -> IntArray:
    """The node-based methods' sources: the nearer end of each facility's edge (unique)."""
    ok = snapped.ok
    e = snapped.edge[ok]
    return np.unique(np.where(snapped.t[ok] <= 0.5, net.edge_u[e], net.edge_v[e]))


def _save_snapped(prefix: str, s: Snapped, store: dict[str, Any]) -> None:
    for key in ("edge", "t", "distance", "x", "y"):
        store[f"{prefix}_{key}"] = getattr(s, key)


def _load_snapped(z: Any, prefix: str) -> Snapped:
    return Snapped(*(z[f"{prefix}_{k}"] for k in ("edge", "t", "distance", "x", "y")))


def matrix_box(net: WalkNetwork, cells: int) -> tuple[float, float, float, float]:
    """A square in the middle of the network holding ``cells`` 100 m cells."""
    x0, y0, x1, y1 = network_box(net)
    half = np.sqrt(cells) * SPACING_M / 2.0
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return cx - half, cy - half, cx + half, cy + half


def prepare(case: Case, net: WalkNetwork, index: EdgeIndex) -> dict[str, Any]:
    """Snap a case's facilities (and cells) once, in the parent, for every method's process.

    Also runs carecircle with facilities exactly on the source nodes, whose node distances
    must equal the node-based methods' (checked in :func:`verify_routing`).

    Returns
    -------
    dict
        Extra keys for the case's rows (``nodes``, ``edges``, ``sources``...).
    """
    from carecircle.geo.routing import nearest_source_distances

    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    store: dict[str, Any] = {}
    info: dict[str, Any] = {
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "mean_degree": round(2.0 * net.n_edges / net.n_nodes, 3),
    }
    if case.kind == "routing":
        fx, fy = uniform_points(rng, n_facilities(case, net), network_box(net))
        fac = index.snap(fx, fy, max_distance_m=SNAP_M)
        _save_snapped("fac", fac, store)
        nodes = source_nodes(net, fac)
        store["source_nodes"] = nodes
        at_nodes = index.snap(net.x[nodes], net.y[nodes], max_distance_m=SNAP_M)
        store["cc_at_nodes"] = nearest_source_distances(net, at_nodes, limit_m=LIMIT_M).distance
        info |= {"facilities": int(fac.ok.sum()), "source_nodes": int(nodes.size)}
    elif case.kind == "matrix":
        box = matrix_box(net, case.cells)
        sx, sy = uniform_points(rng, case.facilities, box)
        cx, cy = uniform_points(rng, case.cells, box)
        _save_snapped("site", index.snap(sx, sy, max_distance_m=SNAP_M), store)
        _save_snapped("cell", index.snap(cx, cy, max_distance_m=SNAP_M), store)
        info |= {
            "facilities": case.facilities,
            "cells": case.cells,
            "area_km2": round((box[2] - box[0]) * (box[3] - box[1]) / 1e6, 1),
        }
    np.savez(RUN / f"{case.name}-inputs.npz", **store)
    return info
