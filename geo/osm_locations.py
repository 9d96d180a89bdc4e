"""Node locations as arrays, from libosmium's location index kept in a file.

While libosmium reads an OSM file it stores every node's location in a ``sparse_file_array``
index: a file of (node id: uint64, x: int32, y: int32) records, x and y in OSM's 1e-7°
units, sorted by id once the ways start (ids as the file lists them otherwise, e.g. for an
Overpass file listing its ways first: then sorted here). numpy reads that file in one call,
so the locations reach Python as arrays, without a Python step per node. The layout is
checked against the index's own lookups before it is used (of an unsorted index, whose
lookups fail: every record must hold OSM coordinates); if a future libosmium stored it
differently, the locations are looked up through the index instead (slower, one call per
node, and logged).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_RECORD = np.dtype([("id", "<i8"), ("x", "<i4"), ("y", "<i4")])
_UNDEFINED = 2**31 - 1  # libosmium's undefined coordinate (a node without a location)


def location_index(file: Path) -> Any:
    """Return a libosmium location index stored in ``file`` (for ``NodeLocationsForWays``)."""
    import osmium

    return osmium.index.create_map(f"sparse_file_array,{file}")


def locations_of(refs: np.ndarray, file: Path, index: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the lon and lat of the nodes ``refs`` (NaN for a node absent from the index).

    Parameters
    ----------
    refs : ndarray of int64
        Node ids.
    file : Path
        The index's file (see :func:`location_index`), after the OSM file was read.
    index : osmium.index.LocationTable
        The index itself, still open: its lookups check the file's layout.

    Returns
    -------
    lon, lat : ndarray of float64
        Degrees, as libosmium gives them (the 1e-7° integers divided by 1e7).
    """
    count = min(index.used_memory() // _RECORD.itemsize, file.stat().st_size // _RECORD.itemsize)
    if count == 0:
        return np.full(refs.size, np.nan), np.full(refs.size, np.nan)
    # mapped, not read: only the pages the look-ups touch are loaded (the file's tail beyond
    # ``count`` is unused space of the index)
    table: np.ndarray = np.memmap(file, dtype=_RECORD, mode="r", shape=(count,))
    ids = table["id"]
    ordered = count == 1 or bool((ids[1:] > ids[:-1]).all())
    # libosmium sorts the index when the first way follows nodes: then its lookups check the
    # layout; a file listing ways first (Overpass's `out body; >; out skel qt;`) leaves it
    # unsorted (its lookups fail), and every record is checked to hold OSM coordinates
    if not (_layout_matches(table, index) if ordered else _plausible(table)):
        log.warning("libosmium's location index has an unknown layout: nodes looked up one by one")
        return _looked_up(refs, index)
    if not ordered:  # sorted here; of a repeated id (a malformed file) the first is kept
        table = table[np.argsort(ids, kind="stable")]
        ids = table["id"]
    at = np.minimum(np.searchsorted(ids, refs), count - 1)
    x, y = np.asarray(table["x"][at]), np.asarray(table["y"][at])
    found = (np.asarray(ids[at]) == refs) & (x != _UNDEFINED)  # a node without location
    return np.where(found, x / 1e7, np.nan), np.where(found, y / 1e7, np.nan)


def _layout_matches(table: np.ndarray, index: Any) -> bool:
    """Whether the first, middle and last records agree with the index's own lookups."""
    for record in table[[0, table.size // 2, table.size - 1]].tolist():
        node, x, y = record
        if x == _UNDEFINED:
            continue
        try:
            where = index.get(node)
        except (KeyError, TypeError, ValueError, OverflowError):
            return False
        if (where.x, where.y) != (x, y):
            return False
    return True


def _plausible(table: np.ndarray) -> bool:
    """Whether every record holds a node id ≥ 0 and OSM coordinates (or none): the layout."""
    x, y = np.asarray(table["x"]), np.asarray(table["y"])
    inside = (np.abs(x.astype(np.int64)) <= 1_800_000_000) & (
        np.abs(y.astype(np.int64)) <= 900_000_000
    )
    return bool(((inside | (x == _UNDEFINED)) & (np.asarray(table["id"]) >= 0)).all())


def _looked_up(refs: np.ndarray, index: Any) -> tuple[np.ndarray, np.ndarray]:
    """Look the nodes up one by one through the index (the fallback)."""
    ids, inverse = np.unique(refs, return_inverse=True)
    lon, lat = np.full(ids.size, np.nan), np.full(ids.size, np.nan)
    for k, node in enumerate(ids.tolist()):
        try:
            where = index.get(node)
        except (KeyError, TypeError, ValueError, OverflowError):
            continue
        if where.valid():
            lon[k], lat[k] = where.lon, where.lat
    return lon[inverse], lat[inverse]
