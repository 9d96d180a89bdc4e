"""Read OpenStreetMap XML into arrays of walkable segments (osmnx walk semantics)."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from carecircle.errors import InputFileError, NetworkError

log = logging.getLogger(__name__)

#: highway values that are never walkable (osmnx's "walk" network type).
EXCLUDED_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "cycleway",
        "motorway",
        "motorway_link",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "bus_stop",
        "elevator",
        "services",
        "rest_area",
        "corridor_planned",
    }
)

_KEPT_TAGS = ("highway", "area", "access", "foot", "service", "oneway", "name", "bridge")


@dataclass(frozen=True)
class OsmSegments:
    """Walkable segments of an OSM file, as arrays.

    Attributes
    ----------
    node_id : ndarray of int64
        OSM ids of the nodes used by walkable ways, sorted.
    lon, lat : ndarray of float64
        WGS84 coordinates of those nodes.
    seg_u, seg_v : ndarray of int64
        Node indices (into ``node_id``) of each way segment.
    seg_way : ndarray of int64
        OSM way id of each segment.
    ways_read, ways_walkable : int
        Ways with a highway tag, and those kept by the walking filter.
    missing_refs : int
        Segments dropped because a way refers to a node absent from the file.
    """

    node_id: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    seg_u: npt.NDArray[np.int64]
    seg_v: npt.NDArray[np.int64]
    seg_way: npt.NDArray[np.int64]
    ways_read: int
    ways_walkable: int
    missing_refs: int


def is_walkable(tags: dict[str, str], *, include_private: bool = True) -> bool:
    """Return whether a way with these tags belongs to the walking network.

    Follows osmnx's ``walk`` filter: a ``highway`` tag that is not motorway, cycleway,
    construction and the like; not ``area=yes``; not ``foot=no``; not ``service=private``;
    and, unless ``include_private``, not ``access=private``. One-way tags are ignored:
    pedestrians walk both ways.

    Parameters
    ----------
    tags : dict
        The way's tags.
    include_private : bool, default True
        Keep ``access=private`` ways. Gated compounds (小区) often tag their internal paths
        private, yet their residents walk them to reach the gate, so they are kept by default.

    Returns
    -------
    bool
        True when pedestrians may use the way.
    """
    highway = tags.get("highway")
    if highway is None or highway in EXCLUDED_HIGHWAYS:
        return False
    if tags.get("area") == "yes" or tags.get("foot") == "no":
        return False
    if tags.get("service") == "private":
        return False
    return include_private or tags.get("access") != "private" or tags.get("foot") == "yes"


def _parse(
    path: Path, *, include_private: bool
) -> tuple[array[int], array[float], array[float], list[tuple[int, list[int]]], int]:
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
            if key in _KEPT_TAGS:
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


def segments_from_osm_xml(path: str | Path, *, include_private: bool = True) -> OsmSegments:
    """Read the walkable segments of an OSM XML file.

    Parameters
    ----------
    path : str or Path
        An ``.osm`` XML file (as exported from openstreetmap.org, JOSM or Overpass).
    include_private : bool, default True
        See :func:`is_walkable`.

    Returns
    -------
    OsmSegments
        Nodes and segments of the walkable ways.

    Raises
    ------
    InputFileError
        When the file is missing or not OSM XML.
    NetworkError
        When it holds no walkable way.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: network file not found; check [inputs] network")
    try:
        ids, lons, lats, ways, ways_read = _parse(path, include_private=include_private)
    except (ET.ParseError, KeyError, ValueError) as exc:
        raise InputFileError(
            f"{path}: not a valid OSM XML file ({exc}); export the area again "
            "as .osm XML from openstreetmap.org, JOSM or Overpass"
        ) from None
    return segments_from_ways(
        path,
        np.frombuffer(ids, dtype=np.int64),
        np.frombuffer(lons, dtype=np.float64),
        np.frombuffer(lats, dtype=np.float64),
        ways,
        ways_read,
    )


def segments_from_ways(
    path: Path,
    node_ids: npt.NDArray[np.int64],
    node_lon: npt.NDArray[np.float64],
    node_lat: npt.NDArray[np.float64],
    ways: list[tuple[int, list[int]]],
    ways_read: int,
) -> OsmSegments:
    """Turn walkable ways (node id lists) and node coordinates into segment arrays.

    Parameters
    ----------
    path : Path
        The source file, for messages.
    node_ids, node_lon, node_lat : ndarray
        Node ids (duplicates allowed) and WGS84 coordinates.
    ways : list of (int, list of int)
        Walkable ways: OSM id and node ids.
    ways_read : int
        Ways with a highway tag read from the file.

    Returns
    -------
    OsmSegments
        Nodes and segments; segments whose nodes are absent are dropped and counted.

    Raises
    ------
    NetworkError
        When there is no walkable way.
    """
    if not ways:
        raise NetworkError(
            f"{path}: no walkable way found ({ways_read} ways with a highway tag, none usable on "
            "foot); export an area with streets, footways or paths"
        )
    way_ids = np.fromiter((w for w, _ in ways), dtype=np.int64, count=len(ways))
    lengths = np.fromiter((len(r) for _, r in ways), dtype=np.int64, count=len(ways))
    flat = np.fromiter((n for _, r in ways for n in r), dtype=np.int64, count=int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    is_last = np.zeros(flat.size, dtype=bool)
    is_last[starts + lengths - 1] = True
    seg_a, seg_b = flat[:-1][~is_last[:-1]], flat[1:][~is_last[:-1]]
    seg_way = np.repeat(way_ids, lengths - 1)

    known = node_ids
    order = np.argsort(known, kind="stable")
    known = known[order]
    present = np.isin(seg_a, known) & np.isin(seg_b, known)
    missing = int((~present).sum())
    if missing:
        log.warning(
            "%s: %d way segments refer to nodes missing from the file (clipped "
            "extract); they are left out",
            path,
            missing,
        )
    seg_a, seg_b, seg_way = seg_a[present], seg_b[present], seg_way[present]
    used = np.unique(np.concatenate([seg_a, seg_b]))
    if used.size == 0:
        raise NetworkError(
            f"{path}: the walkable ways refer to no node present in the file; "
            "export the area again with its nodes"
        )
    where = order[np.searchsorted(known, used)]
    return OsmSegments(
        node_id=used,
        lon=node_lon[where],
        lat=node_lat[where],
        seg_u=np.searchsorted(used, seg_a),
        seg_v=np.searchsorted(used, seg_b),
        seg_way=seg_way,
        ways_read=ways_read,
        ways_walkable=len(ways),
        missing_refs=missing,
    )
