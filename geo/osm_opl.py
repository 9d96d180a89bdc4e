"""The highway ways of an OSM file as OPL text written by libosmium, parsed in bulk by numpy.

libosmium reads the file (XML or PBF), stores every node's location in its index
(:mod:`carecircle.geo.osm_locations`) and writes the ways with a ``highway`` tag as OPL
lines ``w<id> T<key>=<value>,... Nn<id>,n<id>,...``, all in C++: no Python step runs per way
or per node while the file is read. The walking filter then looks only at the few lines
whose tags can make a way unwalkable (found by regular expressions over the tag text), and
numpy parses the node lists in one call per block of lines.
"""

from __future__ import annotations

import re
from itertools import compress
from pathlib import Path
from typing import Any

import numpy as np

from carecircle.geo.osm_tags import EXCLUDED_HIGHWAYS, KEPT_TAGS, is_walkable

#: node lists to numbers: "n1,n22\n" -> "1 22 " (the "n" dropped)
_SPACES = bytes.maketrans(b",\n", b"  ")
#: tags that can make a way unwalkable (see is_walkable); OPL escapes ",", " ", "=" and "%"
#: in keys and values, so each tag is a "key=value" between commas
_MAY_DROP = re.compile(
    rb"highway=(?:"
    + b"|".join(re.escape(v.encode()) for v in sorted(EXCLUDED_HIGHWAYS, key=len, reverse=True))
    + rb")|area=yes|foot=no|service=private"
)
_PRIVATE = re.compile(rb"access=private")


def highway_ways_as_opl(path: Path, fmt: str, opl: Path, index: Any) -> None:
    """Write the ways of an OSM file that have a ``highway`` tag as OPL; index the nodes.

    Parameters
    ----------
    path : Path
        The OSM file.
    fmt : str
        libosmium's format name (``"osm"``, ``"pbf"``, ``"osm.gz"``, ...).
    opl : Path
        The OPL file written (ways only, without metadata, node ids without locations).
    index : osmium.index.LocationTable
        Receives the location of every node of the file
        (:func:`carecircle.geo.osm_locations.location_index`).

    Raises
    ------
    RuntimeError
        libosmium's error for a file it cannot read.
    """
    import osmium

    writer = osmium.SimpleWriter(osmium.io.File(str(opl), "opl,add_metadata=false"), overwrite=True)
    try:
        locations = osmium.NodeLocationsForWays(index)
        locations.apply_nodes_to_ways = False  # stored only: read from the index in bulk
        locations.ignore_errors()
        source = osmium.io.File(str(path), fmt)
        with osmium.io.Reader(source, osmium.osm.NODE | osmium.osm.WAY) as reader:
            osmium.apply(
                reader,
                locations,
                osmium.filter.EntityFilter(osmium.osm.WAY),
                osmium.filter.KeyFilter("highway"),
                writer,
            )
    finally:
        writer.close()


def walkable_ways_from_opl(
    opl: Path, *, include_private: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Parse the walkable ways of an OPL file of highway ways.

    The file is read in blocks of lines (~64 MB), so its text is never held whole.

    Parameters
    ----------
    opl : Path
        Written by :func:`highway_ways_as_opl`.
    include_private : bool
        See :func:`carecircle.geo.osm_tags.is_walkable`.

    Returns
    -------
    way_ids, way_len : ndarray of int64
        Id and node count (≥ 2) of each walkable way.
    refs : ndarray of int64
        Their node ids, way after way.
    ways_read : int
        Ways with a highway tag (the lines of the file).
    """
    parts: list[tuple[np.ndarray, ...]] = []
    ways_read = 0
    with opl.open("rb") as fh:
        for lines in iter(lambda: fh.readlines(1 << 26), []):
            ways_read += len(lines)
            parts.append(_parse_block(lines, include_private=include_private))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, 0
    ids, length, refs = (np.concatenate(column) for column in zip(*parts, strict=True))
    return ids, length, refs, ways_read


def _parse_block(lines: list[bytes], *, include_private: bool) -> tuple[np.ndarray, ...]:
    """Way ids, node counts and node ids of the walkable ways among OPL lines."""
    # tags cannot hold a space unescaped, so a line's only spaces start " T" and " N"
    cut = [line.partition(b" N") for line in lines]
    heads = [c[0] for c in cut]
    text = b"".join(c[2] if c[2].endswith(b"\n") else c[2] + b"\n" for c in cut)
    refs = np.fromstring(text.translate(_SPACES, b"n"), dtype=np.int64, sep=" ")
    ends = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("\n"))
    letters = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("n"))
    if letters.size != refs.size or ends.size != len(lines):  # pragma: no cover - regular OPL
        raise RuntimeError(f"{refs.size} node ids parsed of {letters.size}")
    counts = np.diff(np.searchsorted(letters, ends), prepend=0)
    keep = (counts >= 2) & _walkable_lines(heads, include_private=include_private)
    kept_heads = compress(heads, keep)
    ids = np.fromiter((int(h[1 : h.index(b" ")]) for h in kept_heads), np.int64, int(keep.sum()))
    return ids, counts[keep], refs[np.repeat(keep, counts)]


def _walkable_lines(heads: list[bytes], *, include_private: bool) -> np.ndarray:
    """Whether each way (the ``w<id> T<tags>`` head of its OPL line) passes the walking filter.

    Only the heads holding a tag that can exclude the way are parsed (in Python); the others
    are walkable (they all have a highway tag).
    """
    walkable = np.ones(len(heads), dtype=bool)
    text = b"\n".join(heads)
    sizes = np.fromiter((len(h) + 1 for h in heads), np.int64, len(heads))
    starts = np.cumsum(sizes) - sizes
    hits = [m.start() for m in _MAY_DROP.finditer(text)]
    if not include_private:
        hits += [m.start() for m in _PRIVATE.finditer(text)]
    if not hits:
        return walkable
    for line in np.unique(np.searchsorted(starts, hits, side="right") - 1).tolist():
        walkable[line] = is_walkable(_tags(heads[line]), include_private=include_private)
    return walkable


def _tags(head: bytes) -> dict[str, str]:
    """Return the kept tags of an OPL way head (escaped values compare alike: _MAY_DROP)."""
    tags: dict[str, str] = {}
    for item in head.partition(b" T")[2].split(b","):
        key, _, value = item.partition(b"=")
        tags.setdefault(key.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
    return {k: tags[k] for k in KEPT_TAGS if k in tags}
