"""Joining a centreline layer's near-miss line ends, and counting crossings not joined.

Both work on the layer's nodes in metres (a UTM zone) and its straight segments; see
:mod:`carecircle.geo.centreline` for how they are used.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

__all__ = ["SAME_VERTEX_M", "count_unjoined_crossings", "join_near_ends"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: vertices closer than this (m) are one node: float noise of GIS/CAD exports, not a gap
SAME_VERTEX_M = 0.01


def count_unjoined_crossings(x: FloatArray, y: FloatArray, seg_u: IntArray, seg_v: IntArray) -> int:
    """Count the places where segments cross or touch without sharing a node.

    These are taken as bridges or underpasses (not junctions); counted so that a layer
    which was never noded at its crossings does not pass without a word.

    Parameters
    ----------
    x, y : ndarray of float64
        Node coordinates in metres.
    seg_u, seg_v : ndarray of int64
        Segments (node indices).

    Returns
    -------
    int
        Distinct places (to 1 cm) where two segments meet away from a shared node.
    """
    real = seg_u != seg_v
    seg_u, seg_v = seg_u[real], seg_v[real]
    lines = np.asarray(
        shapely.linestrings(
            np.stack([np.stack([x[seg_u], y[seg_u]], 1), np.stack([x[seg_v], y[seg_v]], 1)], 1)
        )
    )
    i, j = shapely.STRtree(lines).query(lines, predicate="intersects")
    pair = i < j
    i, j = i[pair], j[pair]
    apart = (
        (seg_u[i] != seg_u[j])
        & (seg_u[i] != seg_v[j])
        & (seg_v[i] != seg_u[j])
        & (seg_v[i] != seg_v[j])
    )
    if not apart.any():
        return 0
    where = shapely.get_coordinates(shapely.intersection(lines[i[apart]], lines[j[apart]]))
    return int(np.unique(np.round(where / SAME_VERTEX_M), axis=0).shape[0])


def join_near_ends(
    x: FloatArray,
    y: FloatArray,
    seg_u: IntArray,
    seg_v: IntArray,
    seg_part: IntArray,
    tolerance_m: float,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray, int]:
    """Join free line ends to another line passing within ``tolerance_m``.

    A free end is a node of a single segment. It moves to the nearest point of the nearest
    segment of another line part within the tolerance: onto that segment's end node when the
    nearest point is one (the two nodes become one), else onto a new position that splits
    the segment in two.

    Parameters
    ----------
    x, y : ndarray of float64
        Node coordinates in metres.
    seg_u, seg_v : ndarray of int64
        Segments (node indices).
    seg_part : ndarray of int64
        Line part of each segment (a free end is never joined to its own line).
    tolerance_m : float
        Largest gap joined (m).

    Returns
    -------
    x, y : ndarray of float64
        Node coordinates, the joined ends moved.
    seg_u, seg_v : ndarray of int64
        Segments after splitting and merging.
    joined : int
        Number of free ends joined.
    """
    n = x.size
    degree = np.bincount(np.concatenate([seg_u, seg_v]), minlength=n)
    free = np.flatnonzero(degree == 1)
    if free.size == 0:
        return x, y, seg_u, seg_v, 0
    lines = np.asarray(
        shapely.linestrings(
            np.stack([np.stack([x[seg_u], y[seg_u]], 1), np.stack([x[seg_v], y[seg_v]], 1)], 1)
        )
    )
    points = np.asarray(shapely.points(x[free], y[free]))
    tree = shapely.STRtree(lines)
    pi, si = tree.query(points, predicate="dwithin", distance=tolerance_m)
    free_part = np.full(n, -1, dtype=np.int64)  # the line part of each free end
    for ends in (seg_u, seg_v):
        is_free = degree[ends] == 1
        free_part[ends[is_free]] = seg_part[is_free]
    other = seg_part[si] != free_part[free[pi]]
    pi, si = pi[other], si[other]
    if pi.size == 0:
        return x, y, seg_u, seg_v, 0
    dist = shapely.distance(points[pi], lines[si])
    order = np.lexsort((si, dist, pi))
    pi, si = pi[order], si[order]
    first = np.concatenate([[True], pi[1:] != pi[:-1]])
    pi, si = pi[first], si[first]
    node = free[pi]
    along = np.asarray(shapely.line_locate_point(lines[si], points[pi]))
    length = np.asarray(shapely.length(lines[si]))
    at_u, at_v = along <= 1e-6, along >= length - 1e-6
    target = np.where(at_u, seg_u[si], np.where(at_v, seg_v[si], -1))
    x, y = x.copy(), y.copy()
    # splits: the free end moves onto the segment, which is cut there (several cuts in order)
    cut = target < 0
    where = shapely.line_interpolate_point(lines[si[cut]], along[cut])
    x[node[cut]], y[node[cut]] = shapely.get_x(where), shapely.get_y(where)
    seg_u, seg_v = _split_segments(seg_u, seg_v, si[cut], along[cut], node[cut])
    # merges: the free end becomes the node it touches (pairs of free ends become one)
    merge = ~cut
    label = _merge_labels(n, node[merge], target[merge], moved=node[cut])
    x[:], y[:] = x[label], y[label]
    return x, y, label[seg_u], label[seg_v], int(node.size)


def _split_segments(
    seg_u: IntArray, seg_v: IntArray, seg: IntArray, along: FloatArray, node: IntArray
) -> tuple[IntArray, IntArray]:
    """Cut segments at new nodes: ``seg[i]`` at distance ``along[i]`` from its ``seg_u``."""
    if seg.size == 0:
        return seg_u, seg_v
    order = np.lexsort((along, seg))
    seg, node = seg[order], node[order]
    start = np.concatenate([[True], seg[1:] != seg[:-1]])
    end = np.concatenate([seg[1:] != seg[:-1], [True]])
    prev = np.where(start, seg_u[seg], np.roll(node, 1))
    keep = np.ones(seg_u.size, dtype=bool)
    keep[seg] = False
    new_u = np.concatenate([seg_u[keep], prev, node[end]])
    new_v = np.concatenate([seg_v[keep], node, seg_v[seg[end]]])
    return new_u, new_v


def _merge_labels(n: int, source: IntArray, target: IntArray, *, moved: IntArray) -> IntArray:
    """Label each node with the node it merges into (one per group of merged nodes).

    A group keeps a node that stays where it is (a vertex of a line) when it has one, else a
    free end that was moved onto a line, else its lowest node.
    """
    label = np.arange(n)
    if source.size == 0:
        return label
    graph = coo_array((np.ones(source.size), (source, target)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    grouped = np.zeros(n, dtype=bool)
    grouped[source] = grouped[target] = True
    members = np.flatnonzero(grouped)
    rank = np.zeros(n, dtype=np.int64)  # 0 = stays, 1 = moved onto a line, 2 = merged end
    rank[moved] = 1
    rank[source] = 2
    order = np.lexsort((members, rank[members], comp[members]))
    members = members[order]
    head = np.concatenate([[True], comp[members][1:] != comp[members][:-1]])
    keeper = np.zeros(comp.max() + 1, dtype=np.int64)
    keeper[comp[members[head]]] = members[head]
    label[members] = keeper[comp[members]]
    return label
