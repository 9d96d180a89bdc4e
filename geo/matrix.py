"""Sparse source × point walking-distance matrices within a radius, computed in spatial tiles.

Each tile of nearby sources searches only the sub-network within the radius of its bounding
box (walking distance is never shorter than the straight line), so memory stays bounded by the
tile, not by the city, and no dense sources × nodes array is ever built for the whole network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from tqdm import tqdm

from carecircle.geo._arrays import expand_ranges
from carecircle.geo.box_index import BoxIndex
from carecircle.geo.network import WalkNetwork
from carecircle.geo.routing import source_entries, with_source_nodes
from carecircle.geo.snap import Snapped

IntArray = npt.NDArray[np.int64]


def _subset(s: Snapped, idx: IntArray) -> Snapped:
    return Snapped(s.edge[idx], s.t[idx], s.distance[idx], s.x[idx], s.y[idx])


def source_tiles(
    x: npt.ArrayLike, y: npt.ArrayLike, *, tile_m: float, max_sources: int
) -> Iterator[IntArray]:
    """Yield groups of source indices that lie in the same square tile (at most ``max_sources``).

    Parameters
    ----------
    x, y : array_like
        Source coordinates (m).
    tile_m : float
        Tile side (m).
    max_sources : int
        Largest group.

    Yields
    ------
    ndarray of int64
        Source indices, in a deterministic order.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size == 0:
        return
    key = np.floor(x / tile_m).astype(np.int64) * 1_000_003 + np.floor(y / tile_m).astype(np.int64)
    order = np.lexsort((np.arange(x.size), key))
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    for group in np.split(order, bounds):
        for start in range(0, group.size, max_sources):
            yield group[start : start + max_sources]


def _subgraph(graph: sp.csr_array, local: IntArray, to_local: IntArray) -> sp.csr_array:
    """Return ``graph[local][:, local]`` (entries in the same order) without a pass over all.

    ``to_local`` maps every node to its position in ``local``, -1 elsewhere.
    """
    indptr = graph.indptr.astype(np.int64, copy=False)
    starts, ends = indptr[local], indptr[local + 1]
    at = expand_ranges(starts, ends - starts)
    cols = to_local[graph.indices[at]]
    keep = cols >= 0
    rows = np.repeat(np.arange(local.size, dtype=np.int64), ends - starts)[keep]
    indptr = np.zeros(local.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=local.size), out=indptr[1:])
    return sp.csr_array((graph.data[at[keep]], cols[keep], indptr), shape=(local.size, local.size))


@dataclass
class _TileIndex:
    """What every tile of one matrix shares: the nodes and points by place, a node map."""

    nodes: BoxIndex
    points: BoxIndex
    to_local: IntArray  # -1 everywhere between tiles


def _tile_distances(
    network: WalkNetwork, src: Snapped, pts: Snapped, index: _TileIndex, radius_m: float
) -> tuple[IntArray, IntArray, np.ndarray]:
    """Distances from a tile of sources to candidate points, as (source, point, metres)."""
    pad = radius_m
    x0, x1 = np.nanmin(src.x) - pad, np.nanmax(src.x) + pad
    y0, y1 = np.nanmin(src.y) - pad, np.nanmax(src.y) + pad
    local = index.nodes.inside(x0, x1, y0, y1)
    to_local = index.to_local
    to_local[local] = np.arange(local.size)
    try:
        sub = _subgraph(network.graph, local, to_local)
        nodes, offsets = source_entries(network, src)
        lnodes = to_local[nodes]
        cand = index.points.inside(x0, x1, y0, y1)
        e = pts.edge[cand]
        lu, lv = to_local[network.edge_u[e]], to_local[network.edge_v[e]]
    finally:
        to_local[local] = -1
    offsets = np.where(lnodes >= 0, offsets, np.inf)
    graph = with_source_nodes(sub, np.where(lnodes >= 0, lnodes, 0), offsets)
    k = src.edge.size
    dist = dijkstra(graph, directed=True, indices=local.size + np.arange(k), limit=radius_m)
    # column local.size (a virtual source's, unreachable from the others) becomes the inf
    # column that index -1 (an end outside the tile) reads
    dist = dist[:, : local.size + 1]
    dist[:, local.size] = np.inf
    length = network.edge_length[e]
    du = dist[:, lu] + pts.t[cand] * length
    dv = dist[:, lv] + (1.0 - pts.t[cand]) * length
    d = np.minimum(du, dv)
    same = src.edge[:, None] == e[None, :]
    if same.any():
        direct = src.distance[:, None] + np.abs(src.t[:, None] - pts.t[cand][None, :]) * length
        d = np.where(same, np.minimum(d, direct), d)
    d = d + pts.distance[cand][None, :]
    rows, cols = np.nonzero(d <= radius_m)
    return rows, cand[cols], d[rows, cols]


def coverage_tiles(
    network: WalkNetwork,
    sources: Snapped,
    points: Snapped,
    *,
    radius_m: float,
    tile_m: float = 2000.0,
    max_tile_sources: int = 128,
    progress: bool = False,
) -> Iterator[tuple[IntArray, IntArray, np.ndarray]]:
    """Yield the pairs within ``radius_m`` tile by tile: (source, point, metres) arrays.

    Each source appears in one tile only, so a caller can keep what it needs of each tile
    (e.g. only the pattern, as compact indices) and never hold all distances at once.
    Parameters as for :func:`coverage_matrix`.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    sources : Snapped
        The facilities snapped to the network.
    points : Snapped
        The cells snapped to the network.
    radius_m : float
        Walking distance of the circle (metres).
    tile_m : float, default 2000.0
        Side of a routing tile (metres).
    max_tile_sources : int, default 128
        Most sources routed in one tile.
    progress : bool, default False
        Show a progress bar on a terminal.
    """
    s_ok = np.flatnonzero(sources.ok)
    p_ok = np.flatnonzero(points.ok)
    tiles = list(
        source_tiles(sources.x[s_ok], sources.y[s_ok], tile_m=tile_m, max_sources=max_tile_sources)
    )
    if not tiles:
        return
    index = _TileIndex(
        BoxIndex(network.x, network.y, cell=500.0),
        BoxIndex(points.x[p_ok], points.y[p_ok], p_ok, cell=500.0),
        np.full(network.n_nodes, -1, dtype=np.int64),
    )
    bar = tqdm(tiles, desc="coverage matrix", unit="tile", disable=None if progress else True)
    for group in bar:
        idx = s_ok[group]
        r, c, v = _tile_distances(network, _subset(sources, idx), points, index, radius_m)
        yield idx[r], c, v


def coverage_matrix(
    network: WalkNetwork,
    sources: Snapped,
    points: Snapped,
    *,
    radius_m: float,
    tile_m: float = 2000.0,
    max_tile_sources: int = 128,
    progress: bool = False,
) -> sp.csr_array:
    """Return walking distances from each source to each point within ``radius_m`` (sparse).

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    sources : Snapped
        Snapped sources (facilities or candidate sites); unsnapped rows stay empty.
    points : Snapped
        Snapped points (population cells); unsnapped columns stay empty.
    radius_m : float
        Largest walking distance kept (m).
    tile_m : float, default 2000
        Side of the square tiles sources are grouped by.
    max_tile_sources : int, default 128
        Most sources searched together (bounds the dense tile block).
    progress : bool, default False
        Show a progress bar over tiles (only on a terminal, as tqdm's ``disable=None``).

    Returns
    -------
    scipy.sparse.csr_array
        ``n_sources × n_points``; the stored entries are the pairs within the radius and their
        values the distances (m). A distance of exactly 0 is stored explicitly, so use the
        sparsity structure (``indptr``/``indices``), not ``!= 0``, to test reach.
    """
    rows, cols, vals = [], [], []
    tiles = coverage_tiles(
        network,
        sources,
        points,
        radius_m=radius_m,
        tile_m=tile_m,
        max_tile_sources=max_tile_sources,
        progress=progress,
    )
    for r, c, v in tiles:
        rows.append(r)
        cols.append(c)
        vals.append(v)
    shape = (sources.edge.size, points.edge.size)
    if not rows:
        return sp.csr_array(shape)
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    order = np.lexsort((c, r))
    r, c, v = r[order], c[order], v[order]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=shape[0]), out=indptr[1:])
    return sp.csr_array((v, c, indptr), shape=shape)
