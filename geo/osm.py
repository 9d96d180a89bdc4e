"""Read OpenStreetMap (XML or PBF) into arrays of walkable segments (osmnx walk semantics).

Both formats are read by libosmium (pyosmium): its C++ reader parses the file, keeps the node
locations and drops everything but ways with a ``highway`` tag before Python sees them. Python
looks at each such way's tags once (the walking filter); the kept ways are handed back to
libosmium, which writes them with their node ids and locations as OPL text, parsed by numpy in
one call. No Python step runs per node (but for the nodes libosmium could not attach: see
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

from carecircle.errors import InputFileError
from carecircle.geo.osm_precise import has_fine_coordinates, segments_from_precise_xml
from carecircle.geo.osm_tags import KEPT_TAGS, is_walkable
from carecircle.geo.segments import NetworkSegments, segments_from_node_lists

log = logging.getLogger(__name__)

#: highway values that are never walkable (osmnx's "walk" network type).
_ABSENT = b"x999y999"  # OPL writes an absent node's location as "xy"; 999 marks it


def _walkable_ways_as_opl(
    path: Path, fmt: str, opl: Path, *, include_private: bool
) -> tuple[list[int], list[int], int]:
    """Write the walkable ways of an OSM file, with node locations, to an OPL file.

    Returns the kept ways' ids and node counts, and the number of ways with a highway tag.
    """
    import osmium

    writer = osmium.SimpleWriter(
        osmium.io.File(str(opl), "opl,add_metadata=false,locations_on_ways=true"), overwrite=True
    )
    way_ids: list[int] = []
    way_len: list[int] = []
    ways_read = 0
    try:
        processor = (
            osmium.FileProcessor(osmium.io.File(str(path), fmt))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        # the entity filter passes ways only
        for way in cast("Iterable[osmium.osm.Way]", processor):
            ways_read += 1
            tags = way.tags
            kept = {k: tags[k] for k in KEPT_TAGS if k in tags}
            size = len(way.nodes)
            if size >= 2 and is_walkable(kept, include_private=include_private):
                writer.add_way(way)
                way_ids.append(way.id)
                way_len.append(size)
    finally:
        writer.close()
    return way_ids, way_len, ways_read


def _parse_opl_nodes(opl: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return node ids, lon and lat (NaN when absent) of every way node in an OPL file.

    The file is parsed in blocks of lines (~64 MB), so its text is never held whole.
    """
    ids, lons, lats = [np.zeros(0, dtype=np.int64)], [np.zeros(0)], [np.zeros(0)]
    with opl.open("rb") as fh:
        for lines in iter(lambda: fh.readlines(1 << 26), []):
            block_ids, block_lon, block_lat = _parse_opl_block(lines)
            ids.append(block_ids)
            lons.append(block_lon)
            lats.append(block_lat)
    return np.concatenate(ids), np.concatenate(lons), np.concatenate(lats)


def _parse_opl_block(lines: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse the node lists of OPL way lines in one numpy call."""
    # a way line ends with " Nn<id>x<lon>y<lat>,n<id>x<lon>y<lat>,..."; tags cannot hold
    # a space, a comma, "x" or "y" unescaped before it, so the last " N" starts the nodes
    nodes = b",".join(line[line.rindex(b" N") + 2 :].rstrip() for line in lines)
    flat = nodes.replace(b"n", b"").replace(b"xy", _ABSENT).replace(b"x", b",").replace(b"y", b",")
    values = np.fromstring(flat, dtype=np.float64, sep=",")
    values = values[: values.size - values.size % 3].reshape(-1, 3)  # a short read is caught
    absent = values[:, 1] == 999.0
    values[absent, 1:] = np.nan
    return values[:, 0].astype(np.int64), values[:, 1].copy(), values[:, 2].copy()


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
        opl = Path(tmp) / "ways.opl"
        try:
            way_ids, way_len, ways_read = _walkable_ways_as_opl(
                path, fmt, opl, include_private=include_private
            )
            refs, lon, lat = _parse_opl_nodes(opl)
            if refs.size != sum(way_len):  # pragma: no cover - libosmium's OPL is regular
                raise RuntimeError(f"{refs.size} way nodes parsed of {sum(way_len)}")
            if np.isnan(lon).any():  # nodes after the ways, negative ids, or a clipped extract
                _find_absent_nodes(path, fmt, refs, lon, lat)
        except RuntimeError as exc:
            raise InputFileError(_unreadable(path, fmt, exc)) from None
    return segments_from_node_lists(
        path,
        np.asarray(way_ids, dtype=np.int64),
        np.asarray(way_len, dtype=np.int64),
        refs,
        lon,
        lat,
        lines_read=ways_read,
    )


def _find_absent_nodes(
    path: Path, fmt: str, refs: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> None:
    """Look up, in place, the locations libosmium did not attach to the ways.

    That happens when a file lists nodes after the ways using them, and for negative node ids
    (new objects saved by JOSM), which its location index does not hold. Only those nodes
    reach Python: libosmium filters them by id (the negative ones, rare, are scanned for).
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
