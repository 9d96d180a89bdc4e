"""Read OpenStreetMap (XML or PBF) into arrays of walkable segments (osmnx walk semantics).

Both formats are read by libosmium (pyosmium), in C++ from end to end: its reader parses the
file, stores the node locations in an index kept in a file (read back by numpy as arrays:
:mod:`carecircle.geo.osm_locations`), drops everything but ways with a ``highway`` tag and
writes those with their node ids as OPL text, which numpy parses in bulk
(:mod:`carecircle.geo.osm_opl`); the walking filter reads only the tags that can exclude a
way. No Python step runs per node (but for the nodes libosmium does not index: see
:func:`_find_absent_nodes`). Coordinates are read at OSM's precision, 1e-7° (≈1 cm), as by
every OSM tool.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import numpy as np

from carecircle.errors import InputFileError, NetworkError
from carecircle.geo.memory import estimate_network_nodes
from carecircle.geo.osm_locations import location_index, locations_of
from carecircle.geo.osm_opl import highway_ways_as_opl, walkable_ways_from_opl
from carecircle.geo.osm_precise import has_fine_coordinates, segments_from_precise_xml
from carecircle.geo.osm_tags import is_walkable
from carecircle.geo.segments import NetworkSegments, segments_from_node_lists

log = logging.getLogger(__name__)

__all__ = ["is_walkable", "read_osm", "segments_from_osm_xml"]


def read_osm(path: str | Path, fmt: str, *, include_private: bool = True) -> NetworkSegments:
    """Read the walkable segments of an OSM file with libosmium.

    Parameters
    ----------
    path : str or Path
        The OSM file.
    fmt : str
        libosmium's format name: ``"osm"`` (XML) or ``"pbf"``.
    include_private : bool, default True
        See :func:`is_walkable`.

    Returns
    -------
    NetworkSegments
        Nodes and segments of the walkable ways; ``counters["missing_refs"]`` counts the
        segments left out because a node is absent from the file.

    Raises
    ------
    InputFileError
        When the file is missing, truncated or not of that format.
    NetworkError
        When it holds no walkable way.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: network file not found; check [inputs] network")
    with tempfile.TemporaryDirectory(prefix="carecircle-osm-") as tmp:
        if "," in tmp:  # libosmium cuts an index's file name at a comma: another file
            raise NetworkError(
                f"{path}: the temporary folder {tmp} has a comma in its path, which libosmium "
                "cannot take for its node-location index; set TMPDIR to a folder without a "
                "comma (e.g. `export TMPDIR=/tmp`) and run again"
            )
        opl, stored = Path(tmp) / "ways.opl", Path(tmp) / "locations.idx"
        try:
            index = location_index(stored)
            highway_ways_as_opl(path, fmt, opl, index)
            way_ids, way_len, refs, ways_read = walkable_ways_from_opl(
                opl, include_private=include_private
            )
            lon, lat = locations_of(refs, stored, index)
            del index  # closes the index's file
            if np.isnan(lon).any():  # negative ids (not indexed), or a clipped extract
                _find_absent_nodes(path, fmt, refs, lon, lat)
        except RuntimeError as exc:
            if "resize file" in str(exc) or "space" in str(exc).lower():
                raise NetworkError(_no_space(path, Path(tmp), exc)) from None
            raise InputFileError(_unreadable(path, fmt, exc)) from None
    return segments_from_node_lists(path, way_ids, way_len, refs, lon, lat, lines_read=ways_read)


def _no_space(path: Path, tmp: Path, exc: Exception) -> str:
    """Return the message for a temporary folder too small for the node-location index."""
    return (
        f"{path}: the temporary folder {tmp.parent} has no room for the node-location index "
        f"libosmium keeps while reading ({exc}); it needs about 16 bytes per node of the file "
        f"(~{_size_of_index(path)}): free space there or set TMPDIR to a folder with room"
    )


def _size_of_index(path: Path) -> str:
    """Return a rough size of the index of ``path`` (nodes estimated from the file size)."""
    mib = estimate_network_nodes(path) * 16 / 2**20
    return f"{mib / 1024:,.1f} GiB" if mib >= 1024 else f"{max(mib, 1):,.0f} MiB"


def _find_absent_nodes(
    path: Path, fmt: str, refs: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> None:
    """Look up, in place, the locations libosmium's index does not hold.

    That happens for negative node ids (new objects saved by JOSM) and for nodes absent
    from the file (a clipped extract). Only those nodes reach Python: libosmium filters
    them by id (the negative ones, rare, are scanned for).
    """
    import osmium

    absent = np.unique(refs[np.isnan(lon)])
    found: dict[int, tuple[float, float]] = {}
    processor = osmium.FileProcessor(osmium.io.File(str(path), fmt), osmium.osm.NODE)
    if absent[0] >= 0:
        processor = processor.with_filter(osmium.filter.IdFilter(absent.tolist()))
    wanted = set(absent.tolist())
    for node in cast("Iterable[osmium.osm.Node]", processor):  # nodes only, as asked
        if node.id in wanted and node.location.valid():
            found[node.id] = (node.location.lon, node.location.lat)
    if not found:
        return
    ids = np.fromiter(found, dtype=np.int64, count=len(found))
    where = np.array(list(found.values()), dtype=np.float64).reshape(-1, 2)
    order = np.argsort(ids)
    ids, where = ids[order], where[order]
    todo = np.flatnonzero(np.isnan(lon))
    pos = np.minimum(np.searchsorted(ids, refs[todo]), ids.size - 1)
    hit = ids[pos] == refs[todo]
    lon[todo[hit]] = where[pos[hit], 0]
    lat[todo[hit]] = where[pos[hit], 1]


def _unreadable(path: Path, fmt: str, exc: Exception) -> str:
    """Return the message for an OSM file libosmium cannot read."""
    reason = str(exc).strip().rstrip(".")
    if fmt == "pbf":
        return (
            f"{path}: cannot read this PBF file ({reason}); it may be truncated "
            "or not PBF: download or extract it again"
        )
    if "version" in reason:  # libosmium needs <osm version="0.6">, as every OSM tool writes
        return (
            f"{path}: not a valid OSM XML file ({reason}); its first element must read "
            '<osm version="0.6">: add the version, or export the area again as .osm XML'
        )
    return (
        f"{path}: not a valid OSM XML file ({reason}); export the area again "
        "as .osm XML from openstreetmap.org, JOSM or Overpass"
    )


def segments_from_osm_xml(path: str | Path, *, include_private: bool = True) -> NetworkSegments:
    """Read the walkable segments of an OSM XML file.

    Files with coordinates finer than OSM's 1e-7° (written by scripts, such as the demo's)
    are read at their full precision by :mod:`carecircle.geo.osm_precise`, the others by
    libosmium (:func:`read_osm`).

    Parameters
    ----------
    path : str or Path
        An ``.osm`` XML file (as exported from openstreetmap.org, JOSM or Overpass).
    include_private : bool, default True
        See :func:`is_walkable`.

    Returns
    -------
    NetworkSegments
        Nodes and segments of the walkable ways.

    Raises
    ------
    InputFileError
        When the file is missing or not OSM XML.
    NetworkError
        When it holds no walkable way.
    """
    path = Path(path)
    if path.is_file() and has_fine_coordinates(path):  # finer than OSM's 1e-7°: keep them
        return segments_from_precise_xml(path, include_private=include_private)
    return read_osm(path, "osm", include_private=include_private)
