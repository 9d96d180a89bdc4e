"""The network readers' common result: straight segments between identified nodes, as arrays.

Every reader (OSM XML or PBF, GraphML, road centreline layers) returns
:class:`NetworkSegments`; :func:`carecircle.geo.network.network_from_segments` turns them
into the projected :class:`~carecircle.geo.network.WalkNetwork`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from carecircle.errors import NetworkError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

__all__ = ["NetworkSegments", "segments_from_node_lists"]


@dataclass(frozen=True)
class NetworkSegments:
    """Walkable segments of a network source, as arrays.

    Attributes
    ----------
    node_id : ndarray of int64
        Node ids, sorted (OSM node ids; generated ids for other sources).
    lon, lat : ndarray of float64
        WGS84 coordinates of those nodes.
    seg_u, seg_v : ndarray of int64
        Node indices (into ``node_id``) of each straight segment.
    seg_line : ndarray of int64
        Source line of each segment (OSM way id, or feature number of a layer).
    lines_read : int
        Lines considered (OSM ways with a highway tag, features of a layer).
    lines_kept : int
        Lines kept by the walking filter (or the class filter of a layer).
    counters : mapping of str to int
        Source-specific counts for run.json, e.g. ``missing_refs`` (OSM segments whose node
        is absent from the file) or ``endpoints_joined`` (centreline endpoints joined
        within the snap tolerance).
    """

    node_id: IntArray
    lon: FloatArray
    lat: FloatArray
    seg_u: IntArray
    seg_v: IntArray
    seg_line: IntArray
    lines_read: int
    lines_kept: int
    counters: Mapping[str, int] = field(default_factory=dict)


def segments_from_node_lists(
    path: Path,
    line_ids: IntArray,
    line_length: IntArray,
    refs: IntArray,
    lon: FloatArray,
    lat: FloatArray,
    *,
    lines_read: int,
) -> NetworkSegments:
    """Turn lines given as node lists (with each node's location) into segment arrays.

    Parameters
    ----------
    path : Path
        The source file, for messages.
    line_ids : ndarray of int64
        Id of each line (OSM way id).
    line_length : ndarray of int64
        Number of nodes of each line (≥ 2).
    refs : ndarray of int64
        The lines' node ids, line after line.
    lon, lat : ndarray of float64
        Location of each of ``refs``; NaN where the node is absent from the source. Every
        occurrence of a node id has the same location (the first one is kept).
    lines_read : int
        Lines considered before filtering, for the counters.

    Returns
    -------
    NetworkSegments
        Nodes and segments; segments with an absent node are dropped and counted as
        ``counters["missing_refs"]``.

    Raises
    ------
    NetworkError
        When no line is given, or every segment has an absent node.
    """
    if line_ids.size == 0:
        raise NetworkError(
            f"{path}: no walkable way found ({lines_read} ways with a highway tag, none usable "
            "on foot); export an area with streets, footways or paths"
        )
    starts = np.cumsum(line_length) - line_length
    is_last = np.zeros(refs.size, dtype=bool)
    is_last[starts + line_length - 1] = True
    first = ~is_last[:-1]
    seg_a, seg_b = np.flatnonzero(first), np.flatnonzero(first) + 1
    seg_line = np.repeat(line_ids, line_length - 1)
    known = np.isfinite(lon)
    present = known[seg_a] & known[seg_b]
    missing = int((~present).sum())
    seg_a, seg_b, seg_line = seg_a[present], seg_b[present], seg_line[present]
    if seg_a.size == 0:
        raise NetworkError(
            f"{path}: the walkable ways refer to no node present in the file; "
            "export the area again with its nodes"
        )
    # the nodes of the kept segments, each once: a node id has one location wherever used
    used = np.zeros(refs.size, dtype=bool)
    used[seg_a] = used[seg_b] = True
    where = np.flatnonzero(used)
    order = np.argsort(refs[where], kind="stable")
    where = where[order]
    ids = refs[where]
    first = np.ones(ids.size, dtype=bool)
    np.not_equal(ids[1:], ids[:-1], out=first[1:])
    node_of_ref = np.empty(refs.size, dtype=np.int64)
    node_of_ref[where] = np.cumsum(first) - 1
    where = where[first]
    return NetworkSegments(
        node_id=refs[where].astype(np.int64),
        lon=lon[where],
        lat=lat[where],
        seg_u=node_of_ref[seg_a],
        seg_v=node_of_ref[seg_b],
        seg_line=seg_line,
        lines_read=lines_read,
        lines_kept=int(line_ids.size),
        counters={"missing_refs": missing},
    )
