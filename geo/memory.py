"""Refuse a network file too large for this machine's memory, before parsing it.

Reading a network and building its graph takes memory in proportion to its nodes (measured:
~400 bytes per node of the file for reading and the graph, ~1 KB with snapping and routing).
The node count is estimated from the file size (and, for OSM XML, counted when the estimate
is close to the limit), so that a country extract stops at once with a clear message instead
of a swap storm.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from carecircle.errors import NetworkError

log = logging.getLogger(__name__)

#: memory needed per node of the network (reading, graph, snapping, routing), bytes
BYTES_PER_NODE = 1024
#: file bytes per node, conservative (small): XML ~75-160 (compressed ~10), PBF ~8-15,
#: Shapefile/GeoPackage/FlatGeobuf ~16-40 per vertex, GeoJSON ~30-40
_FILE_BYTES_PER_NODE = {
    "xml": 75.0,
    "compressed": 8.0,
    "pbf": 8.0,
    "graphml": 150.0,
    "layer": 16.0,
    "geojson": 30.0,
}


def available_memory_bytes() -> int | None:
    """Return the memory available to this process (bytes), or None when unknown.

    Uses psutil when installed, else ``/proc/meminfo`` (``MemAvailable``), capped by
    ``$CARECIRCLE_MEMORY_LIMIT_MB`` when set (to leave memory to other programs, or to test).
    """
    free = _free_memory_bytes()
    limit = os.environ.get("CARECIRCLE_MEMORY_LIMIT_MB", "").strip()
    if limit:
        try:
            capped = int(float(limit) * 2**20)
        except ValueError:
            log.warning("CARECIRCLE_MEMORY_LIMIT_MB = %r is not a number; ignored", limit)
        else:
            return capped if free is None else min(free, capped)
    return free


def _free_memory_bytes() -> int | None:
    """Return the free memory reported by psutil or /proc/meminfo, or None."""
    try:
        import psutil
    except ImportError:
        pass
    else:
        return int(psutil.virtual_memory().available)
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".pbf"):
        return "pbf"
    if name.endswith(".graphml"):
        return "graphml"
    if name.endswith((".osm", ".xml")):
        return "xml"
    if name.endswith((".osm.gz", ".osm.bz2")):
        return "compressed"
    if name.endswith((".geojson", ".json")):
        return "geojson"
    return "layer"


def _count_xml_nodes(path: Path) -> int:
    """Count ``<node`` elements of an OSM XML file by streaming it (≈1 GB/s)."""
    count, tail = 0, b""
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            chunk = tail + block
            count += chunk.count(b"<node")
            tail = chunk[-4:]
    return count


def estimate_network_nodes(path: Path, *, count: bool = False) -> int:
    """Estimate the nodes of a network file from its size (or count them in OSM XML).

    Parameters
    ----------
    path : Path
        The network file.
    count : bool, default False
        Count the ``<node`` elements of an OSM XML file instead of estimating.

    Returns
    -------
    int
        Estimated (upper) number of nodes.
    """
    kind = _kind(path)
    if count and kind == "xml":
        return _count_xml_nodes(path)
    return int(path.stat().st_size / _FILE_BYTES_PER_NODE[kind])


def check_network_fits(path: Path) -> None:
    """Stop with a clear message when reading ``path`` would need more memory than is free.

    Parameters
    ----------
    path : Path
        The network file.

    Raises
    ------
    NetworkError
        Naming the file, the estimate, the memory available and what to do.
    """
    available = available_memory_bytes()
    if available is None:
        return
    nodes = estimate_network_nodes(path)
    if nodes * BYTES_PER_NODE <= available:
        return
    if _kind(path) == "xml":  # the size estimate is rough: count before refusing
        nodes = estimate_network_nodes(path, count=True)
        if nodes * BYTES_PER_NODE <= available:
            return
    need = nodes * BYTES_PER_NODE
    raise NetworkError(
        f"{path}: this network is too large for this computer's memory (about {nodes:,} nodes "
        f"from its {_size(path.stat().st_size)}: ≈{_size(need)} needed, {_size(available)} "
        "available); clip it to the study area first, e.g. `osmium extract -b "
        "WEST,SOUTH,EAST,NORTH big.osm.pbf -o area.osm.pbf` (or clip the road layer in QGIS), "
        "then point [inputs] network at the clipped file"
    )


def _size(n_bytes: float) -> str:
    """Return a size in GiB, or MiB below one GiB."""
    if n_bytes >= 2**30:
        return f"{n_bytes / 2**30:,.1f} GiB"
    return f"{max(n_bytes / 2**20, 0.1):,.1f} MiB"
