"""Read OpenStreetMap PBF (.osm.pbf) with pyosmium into walkable segments.

pyosmium (libosmium) is used rather than pyrosm: it reads PBF and XML in C++ with threads,
streams files of any size with a node-location index instead of loading a city into
DataFrames, reports truncated files as errors, and installs as a binary wheel. The reading
itself is shared with OSM XML (:func:`carecircle.geo.osm.read_osm`).
"""

from __future__ import annotations

from pathlib import Path

from carecircle.geo.osm import read_osm
from carecircle.geo.segments import NetworkSegments


def segments_from_osm_pbf(path: str | Path, *, include_private: bool = True) -> NetworkSegments:
    """Read the walkable segments of an ``.osm.pbf`` file.

    Parameters
    ----------
    path : str or Path
        The PBF extract (e.g. from Geofabrik or ``osmium extract``).
    include_private : bool, default True
        See :func:`carecircle.geo.osm.is_walkable`.

    Returns
    -------
    NetworkSegments
        Nodes and segments of the walkable ways.

    Raises
    ------
    InputFileError
        When the file is missing, truncated or not PBF.
    NetworkError
        When it holds no walkable way.
    """
    return read_osm(path, "pbf", include_private=include_private)
