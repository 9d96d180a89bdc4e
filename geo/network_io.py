"""Load a walking network from .osm, .osm.pbf, .graphml or (online) a place name, with a cache.

After the first parse the projected network is stored as arrays (``.npz``) keyed by the
input's SHA-256, the walking filter and the CRS; later runs load it in well under a second.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from pyproj import CRS

from carecircle.config import default_cache_dir
from carecircle.errors import InputFileError, NetworkError
from carecircle.geo.chains import core_arrays, core_from_arrays
from carecircle.geo.crs import metric_crs
from carecircle.geo.network import WalkNetwork, network_from_segments
from carecircle.geo.osm import OsmSegments, segments_from_osm_xml

log = logging.getLogger(__name__)

CACHE_VERSION = 2  # 2: the routing core is stored with the network
NETWORK_SUFFIXES = (".osm", ".xml", ".osm.pbf", ".pbf", ".graphml")


@dataclass(frozen=True)
class NetworkSource:
    """Where a walking network comes from: a file, or (online) a place name or bbox.

    Attributes
    ----------
    path : Path or None
        A ``.osm``, ``.osm.pbf`` or ``.graphml`` file.
    place : str or None
        A place name for osmnx, e.g. ``"静安区, 上海市"``.
    bbox : tuple of float or None
        ``(west, south, east, north)`` in WGS84 degrees.
    """

    path: Path | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    def describe(self) -> str:
        """Return a short text for logs and run.json."""
        if self.path is not None:
            return str(self.path.name)
        return f"place {self.place}" if self.place else f"bbox {self.bbox}"


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def read_segments(path: Path, *, include_private: bool) -> tuple[OsmSegments, str]:
    """Read walkable segments from a network file by its type; return them and the format."""
    name = path.name.lower()
    if not path.is_file():
        raise InputFileError(f"{path}: network file not found; check [inputs] network")
    if name.endswith(".pbf"):
        from carecircle.geo.osm_pbf import segments_from_osm_pbf

        return segments_from_osm_pbf(path, include_private=include_private), "pbf"
    if name.endswith(".graphml"):
        from carecircle.geo.graphml import segments_from_graphml

        return segments_from_graphml(path), "graphml"
    if name.endswith((".osm", ".xml")):
        return segments_from_osm_xml(path, include_private=include_private), "osm"
    raise InputFileError(
        f"{path}: unsupported network file type; use .osm (XML), .osm.pbf or .graphml"
    )


def _download(source: NetworkSource, cache_dir: Path) -> Path:
    """Fetch a place or bbox with osmnx (online) into a GraphML file in the cache."""
    key = hashlib.sha256(repr((source.place, source.bbox)).encode()).hexdigest()[:16]
    target = cache_dir / f"download-{key}.graphml"
    if target.is_file():
        return target
    try:
        import osmnx as ox
    except ImportError:
        raise NetworkError(
            "downloading a network needs osmnx: pip install 'carecircle[online]'"
            ", or give a .osm/.osm.pbf file"
        ) from None
    try:
        if source.place:
            graph = ox.graph_from_place(source.place, network_type="walk", simplify=False)
        else:
            graph = ox.graph_from_bbox(source.bbox, network_type="walk", simplify=False)
    except Exception as exc:  # noqa: BLE001 - network and geocoder errors vary
        raise NetworkError(
            f"could not download the network for {source.describe()} ({exc}); "
            "check the name and the internet connection, or give a file"
        ) from None
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial.graphml")
    ox.save_graphml(graph, tmp)
    os.replace(tmp, target)
    return target


def _to_npz(path: Path, net: WalkNetwork, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial.npz")
    g = net.graph
    np.savez(
        tmp,
        node_id=net.node_id,
        x=net.x,
        y=net.y,
        lon=net.lon,
        lat=net.lat,
        edge_u=net.edge_u,
        edge_v=net.edge_v,
        edge_length=net.edge_length,
        indptr=g.indptr,
        indices=g.indices,
        data=g.data,
        dropped=np.array(
            [
                net.dropped_nodes,
                net.dropped_components,
                meta["ways_read"],
                meta["ways_walkable"],
                meta["missing_refs"],
            ]
        ),
        crs=np.array(net.crs.to_wkt()),
        fmt=np.array(meta["format"]),
        **core_arrays(net.routing_core),
    )
    os.replace(tmp, path)


def _from_npz(path: Path) -> tuple[WalkNetwork, dict[str, Any]]:
    with np.load(path, allow_pickle=False) as z:
        n = z["x"].size
        graph = sp.csr_array((z["data"], z["indices"], z["indptr"]), shape=(n, n))
        dropped = z["dropped"]
        core = core_from_arrays(z) if "core_node_chain" in z.files else None
        net = WalkNetwork(
            crs=CRS.from_wkt(str(z["crs"])),
            node_id=z["node_id"],
            x=z["x"],
            y=z["y"],
            lon=z["lon"],
            lat=z["lat"],
            edge_u=z["edge_u"],
            edge_v=z["edge_v"],
            edge_length=z["edge_length"],
            graph=graph,
            dropped_nodes=int(dropped[0]),
            dropped_components=int(dropped[1]),
            core=core,
        )
        meta = {
            "format": str(z["fmt"]),
            "ways_read": int(dropped[2]),
            "ways_walkable": int(dropped[3]),
            "missing_refs": int(dropped[4]),
        }
    return net, meta


def load_network(
    source: NetworkSource,
    *,
    crs: str = "auto",
    include_private: bool = True,
    cache_dir: Path | None = None,
) -> tuple[WalkNetwork, dict[str, Any]]:
    """Load the walking network, from the array cache when the same input was read before.

    Parameters
    ----------
    source : NetworkSource
        File, place or bbox.
    crs : str, default "auto"
        Metric CRS (``auto`` = UTM zone of the network).
    include_private : bool, default True
        Keep ``access=private`` ways (see :func:`carecircle.geo.osm.is_walkable`).
    cache_dir : Path, optional
        Cache folder; None disables the cache.

    Returns
    -------
    network : WalkNetwork
        The largest connected component, projected.
    meta : dict
        ``format, sha256, from_cache, ways_read, ways_walkable, missing_refs``.
    """
    path = source.path
    if path is None:
        path = _download(source, cache_dir or default_cache_dir())
    if not path.is_file():
        raise InputFileError(f"{path}: network file not found; check [inputs] network")
    digest = file_sha256(path)
    key = hashlib.sha256(f"{digest}|{include_private}|{crs}|{CACHE_VERSION}".encode()).hexdigest()[
        :24
    ]
    cached = cache_dir / f"network-{key}.npz" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            net, meta = _from_npz(cached)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("network cache %s unreadable (%s); parsing again", cached, exc)
        else:
            log.info("walking network loaded from cache %s", cached.name)
            return net, {**meta, "sha256": digest, "from_cache": True}
    segments, fmt = read_segments(path, include_private=include_private)
    metric = metric_crs(crs, float(np.median(segments.lon)), float(np.median(segments.lat)))
    net = network_from_segments(segments, metric)
    meta = {
        "format": fmt,
        "ways_read": segments.ways_read,
        "ways_walkable": segments.ways_walkable,
        "missing_refs": segments.missing_refs,
    }
    if cached is not None:
        try:
            _to_npz(cached, net, meta)
        except OSError as exc:
            log.warning("could not write the network cache %s (%s)", cached, exc)
    return net, {**meta, "sha256": digest, "from_cache": False}
