"""Read OSM XML written with more than OSM's 7 decimals, at full precision (Python parser).

libosmium stores coordinates as 1e-7° integers, as OSM itself does, so every file that comes
from OpenStreetMap, JOSM, Overpass or osmium is read exactly by :func:`carecircle.geo.osm.
read_osm`. Files written by scripts (generated districts, test lattices) may carry 8 or 9
decimals; rounding them would move nodes by up to 5 mm and can flip a cell lying exactly on
the circle's edge, so they are read here, as before, with a streaming XML parser (about 2-3×
slower than libosmium, and used only for such files).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from array import array
from pathlib import Path

import numpy as np

from carecircle.errors import InputFileError
from carecircle.geo.osm_tags import KEPT_TAGS, is_walkable
from carecircle.geo.segments import NetworkSegments, segments_from_node_lists

_FINE = re.compile(rb'\bl(?:at|on)\s*=\s*["\']-?[0-9]+\.[0-9]{8}')
_SAMPLE_BYTES = 1 << 20


def has_fine_coordinates(path: Path) -> bool:
    """Return whether the start of an OSM XML file has coordinates with 8 or more decimals.

    Files are written with one precision throughout, so the first MiB tells.
    """
    with path.open("rb") as fh:
        return _FINE.search(fh.read(_SAMPLE_BYTES)) is not None


def segments_from_precise_xml(path: Path, *, include_private: bool) -> NetworkSegments:
    """Read the walkable segments of an OSM XML file at the full precision of its text.

    Parameters
    ----------
    path : Path
        The ``.osm`` XML file.
    include_private : bool
        See :func:`carecircle.geo.osm.is_walkable`.

    Returns
    -------
    NetworkSegments
        As :func:`carecircle.geo.osm.read_osm`.

    Raises
    ------
    InputFileError
        When the file is not OSM XML.
    NetworkError
        When it holds no walkable way.
    """
    try:
        ids, lons, lats, ways, ways_read = _parse(path, include_private=include_private)
    except (ET.ParseError, KeyError, ValueError) as exc:
        raise InputFileError(
            f"{path}: not a valid OSM XML file ({exc}); export the area again "
            "as .osm XML from openstreetmap.org, JOSM or Overpass"
        ) from None
    node_id = np.frombuffer(ids, dtype=np.int64)
    order = np.argsort(node_id, kind="stable")  # a duplicated id keeps its first location
    known = node_id[order]
    lengths = np.fromiter((len(r) for _, r in ways), dtype=np.int64, count=len(ways))
    refs = np.fromiter((n for _, r in ways for n in r), dtype=np.int64, count=int(lengths.sum()))
    lon = np.full(refs.size, np.nan)
    lat = np.full(refs.size, np.nan)
    if known.size:
        at = np.minimum(np.searchsorted(known, refs), known.size - 1)
        found = known[at] == refs
        lon[found] = np.frombuffer(lons, dtype=np.float64)[order[at[found]]]
        lat[found] = np.frombuffer(lats, dtype=np.float64)[order[at[found]]]
    return segments_from_node_lists(
        path,
        np.fromiter((w for w, _ in ways), dtype=np.int64, count=len(ways)),
        lengths,
        refs,
        lon,
        lat,
        lines_read=ways_read,
    )


def _parse(
    path: Path, *, include_private: bool
) -> tuple[array[int], array[float], array[float], list[tuple[int, list[int]]], int]:
    """Stream the file: node ids and coordinates, walkable ways (id, node ids), ways read."""
    node_ids: array[int] = array("q")
    node_lon: array[float] = array("d")
    node_lat: array[float] = array("d")
    ways: list[tuple[int, list[int]]] = []
    ways_read = 0
    refs: list[int] = []
    tags: dict[str, str] = {}
    for _event, elem in ET.iterparse(path, events=("end",)):
        tag = elem.tag
        if tag == "node":
            node_ids.append(int(elem.attrib["id"]))
            node_lon.append(float(elem.attrib["lon"]))
            node_lat.append(float(elem.attrib["lat"]))
            refs, tags = [], {}  # a node's own tags must not reach the next way
            elem.clear()
        elif tag == "nd":
            refs.append(int(elem.attrib["ref"]))
        elif tag == "tag":
            key = elem.attrib.get("k", "")
            if key in KEPT_TAGS:
                tags[key] = elem.attrib.get("v", "")
        elif tag == "way":
            if "highway" in tags:
                ways_read += 1
                if is_walkable(tags, include_private=include_private) and len(refs) >= 2:
                    ways.append((int(elem.attrib["id"]), refs))
            refs, tags = [], {}
            elem.clear()
        elif tag == "relation":
            refs, tags = [], {}
            elem.clear()
    return node_ids, node_lon, node_lat, ways, ways_read
