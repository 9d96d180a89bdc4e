"""Read OpenStreetMap PBF (.osm.pbf) with pyosmium into walkable segments.

pyosmium (libosmium) is used rather than pyrosm: it reads PBF and XML in C++ with threads,
streams files of any size with a node-location index instead of loading a city into
DataFrames, reports truncated files as errors, and installs as a binary wheel.
"""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np

from carecircle.errors import InputFileError
from carecircle.geo.osm import _KEPT_TAGS, OsmSegments, is_walkable, segments_from_ways


def segments_from_osm_pbf(path: str | Path, *, include_private: bool = True) -> OsmSegments:
    """Read the walkable segments of an ``.osm.pbf`` file.

    Parameters
    ----------
    path : str or Path
        The PBF extract (e.g. from Geofabrik or ``osmium extract``).
    include_private : bool, default True
        See :func:`carecircle.geo.osm.is_walkable`.

    Returns
    -------
    OsmSegments
        Nodes and segments of the walkable ways.

    Raises
    ------
    InputFileError
        When the file is missing, truncated or not PBF.
    NetworkError
        When it holds no walkable way.
    """
    import osmium

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: network file not found; check [inputs] network")
    ids: array[int] = array("q")
    lons: array[float] = array("d")
    lats: array[float] = array("d")
    ways: list[tuple[int, list[int]]] = []
    ways_read = 0
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            ways_read += 1
            tags = {k: way.tags.get(k) for k in _KEPT_TAGS if k in way.tags}
            if not is_walkable(tags, include_private=include_private) or len(way.nodes) < 2:
                continue
            refs = []
            for node in way.nodes:
                if node.location.valid():
                    ids.append(node.ref)
                    lons.append(node.location.lon)
                    lats.append(node.location.lat)
                refs.append(node.ref)
            ways.append((way.id, refs))
    except RuntimeError as exc:
        raise InputFileError(
            f"{path}: cannot read this PBF file ({exc}); it may be truncated "
            "or not PBF: download or extract it again"
        ) from None
    return segments_from_ways(
        path,
        np.frombuffer(ids, dtype=np.int64),
        np.frombuffer(lons, dtype=np.float64),
        np.frombuffer(lats, dtype=np.float64),
        ways,
        ways_read,
    )
