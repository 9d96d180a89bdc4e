"""The highway ways of an OSM file as OPL text written by libosmium, parsed in bulk by numpy.

libosmium reads the file (XML or PBF), keeps every node's location in its index and writes
the ways with a ``highway`` tag, with their nodes' ids and locations, as OPL lines::

    w<id> T<key>=<value>,... Nn<id>x<lon>y<lat>,n<id>x<lon>y<lat>,...

all in C++: no Python step runs per way or per node while the file is read. The walking
filter then looks only at the few lines whose tags can make a way unwalkable (found by
regular expressions over the tag text), and numpy parses the kept lines' node lists in one
call per block of lines.
"""

from __future__ import annotations

import re
from itertools import compress
from pathlib import Path

import numpy as np

from carecircle.geo.osm_tags import EXCLUDED_HIGHWAYS, KEPT_TAGS, is_walkable

#: OPL writes an absent location as "x" and "y" with nothing after them; 999 marks it
_ABSENT = b"x999y999"
#: node lists to numbers: "n1x2.5y3,n4x..." -> "0102.5030400..." (the commas dropped)
_LEADING_ZEROS = bytes.maketrans(b"nxy", b"000")
#: tags that can make a way unwalkable (see is_walkable); OPL escapes ",", " ", "=" and "%"
#: in keys and values, so each tag is a "key=value" between commas
_MAY_DROP = re.compile(
    rb"highway=(?:"
    + b"|".join(re.escape(v.encode()) for v in sorted(EXCLUDED_HIGHWAYS, key=len, reverse=True))
    + rb")|area=yes|foot=no|service=private"
)
_PRIVATE = re.compile(rb"access=private")


def highway_ways_as_opl(path: Path, fmt: str, opl: Path) -> None:
    """Write the ways of an OSM file that have a ``highway`` tag, with locations, as OPL.

    Parameters
    ----------
    path : Path
        The OSM file.
    fmt : str
        libosmium's format name (``"osm"``, ``"pbf"``, ``"osm.gz"``, ...).
    opl : Path
        The OPL file written (ways only, without metadata, node locations on the ways;
        an absent node's location is left empty).

    Raises
    ------
    RuntimeError
        libosmium's error for a file it cannot read.
    """
    import osmium

    writer = osmium.SimpleWriter(
        osmium.io.File(str(opl), "opl,add_metadata=false,locations_on_ways=true"), overwrite=True
    )
    try:
        locations = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem"))
        locations.ignore_errors()  # an absent node keeps an invalid location
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
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
    lon, lat : ndarray of float64
        Each node's location, NaN where libosmium had none.
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
        return empty, empty, empty, np.zeros(0), np.zeros(0), 0
    ids, length, refs, lon, lat = (np.concatenate(column) for column in zip(*parts, strict=True))
    return ids, length, refs, lon, lat, ways_read


def _parse_block(lines: list[bytes], *, include_private: bool) -> tuple[np.ndarray, ...]:
    """Way ids, node counts, node ids, lon and lat of the walkable ways among OPL lines."""
    # tags cannot hold a space unescaped, so a line's only spaces start " T" and " N"
    cut = [line.partition(b" N") for line in lines]
    heads = [c[0] for c in cut]
    nodes = [c[2] if c[2].endswith(b"\n") else c[2] + b"\n" for c in cut]
    refs, lon, lat, counts = _parse_node_lists(nodes)
    keep = (counts >= 2) & _walkable_lines(heads, include_private=include_private)
    kept_heads = compress(heads, keep)
    ids = np.fromiter((int(h[1 : h.index(b" ")]) for h in kept_heads), np.int64, int(keep.sum()))
    at = np.repeat(keep, counts)
    return ids, counts[keep], refs[at], lon[at], lat[at]


def _parse_node_lists(
    sections: list[bytes],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node ids, lon, lat (NaN when absent) and node counts of OPL node lists.

    Each section is ``n<id>x<lon>y<lat>,n<id>x<lon>y<lat>,...`` ended by a newline. Each
    number follows a letter; the letters become leading zeros and the separators are
    dropped, so every number is one string of an Arrow array (its offsets are the letters'
    places) and Arrow's cast parses them all at once, correctly rounded as ``float()``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if min(map(len, sections), default=2) < 2:  # ways without nodes hold no letter
        full = [len(s) > 1 for s in sections]
        refs, lon, lat, counts = _parse_node_lists(list(compress(sections, full)))
        every = np.zeros(len(sections), dtype=np.int64)
        every[np.asarray(full)] = counts
        return refs, lon, lat, every
    text = b"".join(sections)
    if b"xy" in text:  # absent locations (see read_osm)
        sections = [s.replace(b"xy", _ABSENT) for s in sections]
        text = b"".join(sections)
    letters = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) > ord("9"))
    if letters.size % 3:  # pragma: no cover - libosmium's OPL is regular
        raise RuntimeError(f"{letters.size} numbers in the node lists, not 3 per node")
    ends = np.cumsum(np.fromiter(map(len, sections), np.int64, len(sections)))
    counts = np.diff(np.searchsorted(letters, ends), prepend=0) // 3
    digits = text.translate(_LEADING_ZEROS, b",\n")
    if b"-" in digits:  # a sign follows its letter: "0-1.5" -> "-01.5"
        digits = digits.replace(b"0-", b"-0")
    offsets = np.empty(letters.size + 1, dtype=np.int32 if len(digits) < 2**31 else np.int64)
    # one separator (a comma, or the newline ending a section) precedes each node but the first
    offsets[:-1] = letters - np.arange(letters.size) // 3
    offsets[-1] = len(digits)
    kind = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    strings = pa.Array.from_buffers(
        kind, letters.size, [None, pa.py_buffer(offsets), pa.py_buffer(digits)]
    )
    values = pc.cast(strings, pa.float64()).to_numpy().reshape(-1, 3)
    lon, lat = values[:, 1].copy(), values[:, 2].copy()
    absent = lon == 999.0
    lon[absent], lat[absent] = np.nan, np.nan
    return values[:, 0].astype(np.int64), lon, lat, counts


def _walkable_lines(heads: list[bytes], *, include_private: bool) -> np.ndarray:
    """Whether each way (the ``w<id> T<tags>`` head of its OPL line) passes the walking filter.

    Only the heads holding a tag that can exclude the way are parsed (in Python); the others
    are walkable (they all have a highway tag).
    """
    walkable = np.ones(len(heads), dtype=bool)
    text = b"\n".join(heads)
    starts = np.cumsum([len(h) + 1 for h in heads]) - [len(h) + 1 for h in heads]
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
