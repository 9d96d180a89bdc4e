"""Walking distances computed tile by tile, each on the sub-network within its halo.

A walk of at most ``limit_m`` never leaves the disc of that radius around its start, so the
network within ``limit_m`` of a tile's bounding box holds every path that matters for the
tile's points: tiled results equal untiled ones exactly, while each step only holds one tile's
part of the network and points in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from carecircle.geo.network import WalkNetwork, csr_from_edges
from carecircle.geo.routing import nearest_source_distances, point_distances
from carecircle.geo.snap import Snapped

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _subset(s: Snapped, idx: IntArray, edge: IntArray) -> Snapped:
    return Snapped(edge, s.t[idx], s.distance[idx], s.x[idx], s.y[idx])


def point_tiles(x: FloatArray, y: FloatArray, tile_m: float) -> Iterator[IntArray]:
    """Yield the indices of points in each square tile, in a fixed order.

    Parameters
    ----------
    x : FloatArray
        Easting (metres).
    y : FloatArray
        Northing (metres).
    tile_m : float
        Side of a routing tile (metres).
    """
    key = np.floor(x / tile_m).astype(np.int64) * 1_000_003 + np.floor(y / tile_m).astype(np.int64)
    order = np.lexsort((np.arange(x.size), key))
    yield from np.split(order, np.flatnonzero(np.diff(key[order])) + 1)


def sub_network(
    network: WalkNetwork, bounds: tuple[float, float, float, float], extra_edges: IntArray
) -> tuple[WalkNetwork, IntArray]:
    """Return the edges with an end inside ``bounds`` (plus ``extra_edges``) as a network.

    Also returns the new index of every edge of ``network`` (-1 where left out).

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    bounds : tuple[float, float, float, float]
        West, south, east, north (degrees).
    extra_edges : IntArray
        Edges to keep beside those in the box.
    """
    x0, y0, x1, y1 = bounds
    inside = (network.x >= x0) & (network.x <= x1) & (network.y >= y0) & (network.y <= y1)
    keep = inside[network.edge_u] | inside[network.edge_v]
    keep[extra_edges] = True
    nodes = np.unique(np.concatenate([network.edge_u[keep], network.edge_v[keep]]))
    new = np.full(network.n_nodes, -1, dtype=np.int64)
    new[nodes] = np.arange(nodes.size)
    graph, eu, ev, ew = csr_from_edges(
        nodes.size, new[network.edge_u[keep]], new[network.edge_v[keep]], network.edge_length[keep]
    )
    edge_new = np.full(network.n_edges, -1, dtype=np.int64)
    # csr_from_edges sorts edges by (u, v): find each kept edge's new position
    order = np.lexsort((new[network.edge_v[keep]], new[network.edge_u[keep]]))
    edge_new[np.flatnonzero(keep)[order]] = np.arange(order.size)
    sub = WalkNetwork(
        network.crs,
        network.node_id[nodes],
        network.x[nodes],
        network.y[nodes],
        network.lon[nodes],
        network.lat[nodes],
        eu,
        ev,
        ew,
        graph,
    )
    return sub, edge_new


def tiled_point_distances(
    network: WalkNetwork,
    points: Snapped,
    sources: Snapped,
    *,
    limit_m: float,
    tile_m: float,
    progress: bool = False,
) -> tuple[FloatArray, IntArray]:
    """Distances from points to their nearest source within ``limit_m``, tile by tile.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    points, sources : Snapped
        Snapped points (cells) and sources (facilities).
    limit_m : float
        Search limit (m): also the halo around each tile.
    tile_m : float
        Tile side (m).
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    distance, source : ndarray
        As :func:`carecircle.geo.routing.point_distances` on the whole network.
    """
    dist = np.full(points.edge.size, np.inf)
    src = np.full(points.edge.size, -1, dtype=np.int64)
    ok = np.flatnonzero(points.ok)
    s_ok = np.flatnonzero(sources.ok)
    tiles = list(point_tiles(points.x[ok], points.y[ok], tile_m))
    for tile in tqdm(tiles, desc="tiles", unit="tile", disable=None if progress else True):
        idx = ok[tile]
        x0, x1 = points.x[idx].min() - limit_m, points.x[idx].max() + limit_m
        y0, y1 = points.y[idx].min() - limit_m, points.y[idx].max() + limit_m
        near = s_ok[
            (sources.x[s_ok] >= x0)
            & (sources.x[s_ok] <= x1)
            & (sources.y[s_ok] >= y0)
            & (sources.y[s_ok] <= y1)
        ]
        extra = np.concatenate([points.edge[idx], sources.edge[near]])
        sub, edge_new = sub_network(network, (x0, y0, x1, y1), extra)
        if near.size == 0 or sub.n_nodes == 0:
            continue
        sub_src = _subset(sources, near, edge_new[sources.edge[near]])
        sub_pts = _subset(points, idx, edge_new[points.edge[idx]])
        nd = nearest_source_distances(sub, sub_src, limit_m=limit_m)
        d, s = point_distances(sub, sub_pts, nd, sub_src)
        dist[idx] = d
        src[idx] = np.where(s >= 0, near[np.clip(s, 0, None)], -1)
    return dist, src
