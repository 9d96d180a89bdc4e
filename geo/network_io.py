"""Load a walking network from OSM, GraphML, a road centreline layer or a place, with a cache.

After the first parse the projected network is stored as arrays (``.npz``) keyed by the
input's SHA-256, the reading options and the CRS; later runs load it in well under a second.
A cache file that cannot be read (truncated, empty, of another version) is discarded with a
warning and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from carecircle.errors import InputFileError, NetworkError
from carecircle.geo.centreline import CENTRELINE_SUFFIXES, CentrelineOptions
from carecircle.geo.crs import metric_crs
from carecircle.geo.memory import check_network_fits
from carecircle.geo.network import WalkNetwork, network_from_segments
from carecircle.geo.network_cache import CACHE_VERSION, load_cached, write_cache
from carecircle.geo.osm import segments_from_osm_xml
from carecircle.geo.segments import NetworkSegments
from carecircle.network_config import default_cache_dir
from carecircle.text import counted, verb

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm", ".xml", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf", ".graphml")
NETWORK_SUFFIXES = OSM_SUFFIXES + CENTRELINE_SUFFIXES
#: reader counters reported in run.json (as ``network_<name>``)
NETWORK_COUNTERS = (
    "missing_refs",
    "endpoints_joined",
    "lines_dropped_by_class",
    "crossings_not_joined",
)


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


#: the files beside a Shapefile that change what it holds (attributes, CRS, encoding)
_SHAPEFILE_SIDECARS = (".dbf", ".prj", ".cpg", ".shx")


def network_digest(path: Path, file_digest: str | None = None) -> str:
    """Return the SHA-256 of a network file, covering a Shapefile's sidecar files too.

    A Shapefile's attributes (the class column), CRS and encoding live beside the ``.shp``,
    so an edited ``.dbf`` or ``.prj`` must not bring back a cached network.

    Parameters
    ----------
    path : Path
        The network file.
    file_digest : str, optional
        :func:`file_sha256` of ``path`` when the caller hashed it already (run.json's
        inputs), so a large file is read once.

    Returns
    -------
    str
        Hex digest.
    """
    digest = file_digest or file_sha256(path)
    if path.suffix.lower() != ".shp":
        return digest
    parts = [digest]
    for suffix in _SHAPEFILE_SIDECARS:
        for side in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if side.is_file():
                parts.append(f"{suffix}:{file_sha256(side)}")
                break
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def read_segments(
    path: Path, *, include_private: bool, centreline: CentrelineOptions | None = None
) -> tuple[NetworkSegments, str]:
    """Read walkable segments from a network file by its type; return them and the format.

    Parameters
    ----------
    path : Path
        ``.osm``/``.xml`` (OSM XML, also ``.osm.gz``/``.osm.bz2``), ``.osm.pbf``, ``.graphml``,
        or a road centreline layer
        (``.shp``, ``.gpkg``, ``.geojson``, ``.fgb``).
    include_private : bool
        Keep ``access=private`` OSM ways.
    centreline : CentrelineOptions, optional
        Snap tolerance and class filter of a centreline layer.

    Returns
    -------
    segments : NetworkSegments
        The segments.
    format : str
        ``osm``, ``pbf``, ``graphml`` or ``centreline``.
    """
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
    if name.endswith((".osm.gz", ".osm.bz2")):
        from carecircle.geo.osm import read_osm

        fmt = "osm." + name.rsplit(".", 1)[1]
        return read_osm(path, fmt, include_private=include_private), "osm"
    if name.endswith(CENTRELINE_SUFFIXES):
        from carecircle.geo.centreline import segments_from_centrelines

        return segments_from_centrelines(path, centreline or CentrelineOptions()), "centreline"
    raise InputFileError(
        f"{path}: unsupported network file type; use .osm (XML, or .osm.gz), .osm.pbf, "
        ".graphml or a road centreline layer (.shp, .gpkg, .geojson, .fgb)"
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
            bbox = cast("tuple[float, float, float, float]", source.bbox)  # no place: a bbox
            graph = ox.graph_from_bbox(bbox, network_type="walk", simplify=False)
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


def _warn_counters(path: Path, meta: dict[str, Any]) -> None:
    """Log (into run.json) what the reader left out or changed, on every run."""
    missing = int(meta.get("missing_refs", 0))
    if missing:
        log.warning(
            "%s: %s %s to nodes missing from the file (clipped extract); %s left out",
            path.name,
            counted(missing, "way segment"),
            verb(missing, "refers", "refer"),
            verb(missing, "it is", "they are"),
        )
    joined = int(meta.get("endpoints_joined", 0))
    if joined:
        log.warning(
            "%s: %s stopping within snap_tolerance_m of another line %s joined to it "
            "([network] snap_tolerance_m)",
            path.name,
            counted(joined, "line end"),
            verb(joined, "was", "were"),
        )
    crossings = int(meta.get("crossings_not_joined", 0))
    if crossings:
        log.warning(
            "%s: at %s lines cross or touch without a shared vertex: they are not joined "
            "there (taken as bridges or underpasses); if they are junctions, node the layer "
            "at its junctions (QGIS 'Split with lines' or GRASS v.clean)",
            path.name,
            counted(crossings, "place"),
        )
    by_class = int(meta.get("lines_dropped_by_class", 0))
    if by_class:
        log.info("%s: %s left out by [network] drop_classes", path.name, counted(by_class, "line"))


def load_network(
    source: NetworkSource,
    *,
    crs: str = "auto",
    include_private: bool = True,
    cache_dir: Path | None = None,
    centreline: CentrelineOptions | None = None,
    file_digest: str | None = None,
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
    centreline : CentrelineOptions, optional
        Options of a road centreline layer (snap tolerance, class filter).
    file_digest : str, optional
        SHA-256 of the network file if already taken (the run's input record): not read
        again for the cache key.

    Returns
    -------
    network : WalkNetwork
        The largest connected component, projected.
    meta : dict
        ``format, sha256`` (the cache key's digest, with a Shapefile's sidecars),
        ``file_sha256`` (the file's own), ``from_cache, lines_read, lines_kept`` and the
        reader's counters
        (``missing_refs`` for OSM; ``endpoints_joined``, ``lines_dropped_by_class`` for
        centreline layers).

    Raises
    ------
    NetworkError
        When the file holds no usable network, or would not fit in memory.
    """
    path = source.path
    if path is None:
        path = _download(source, cache_dir or default_cache_dir())
    if not path.is_file():
        raise InputFileError(f"{path}: network file not found; check [inputs] network")
    options = centreline or CentrelineOptions()
    file_digest = file_digest or file_sha256(path)
    digest = network_digest(path, file_digest)
    key_text = f"{digest}|{include_private}|{crs}|{options.cache_key()}|{CACHE_VERSION}"
    key = hashlib.sha256(key_text.encode()).hexdigest()[:24]
    cached = cache_dir / f"network-{key}.npz" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        hit = load_cached(cached)
        if hit is not None:
            net, meta = hit
            log.info("walking network loaded from cache %s", cached.name)
            _warn_counters(path, meta)
            return net, {**meta, "sha256": digest, "file_sha256": file_digest, "from_cache": True}
    check_network_fits(path)
    segments, fmt = read_segments(path, include_private=include_private, centreline=options)
    metric = metric_crs(crs, float(np.median(segments.lon)), float(np.median(segments.lat)))
    net = network_from_segments(segments, metric)
    meta = {
        "format": fmt,
        "lines_read": segments.lines_read,
        "lines_kept": segments.lines_kept,
        **{k: int(v) for k, v in segments.counters.items()},
    }
    _warn_counters(path, meta)
    if cached is not None:
        try:
            write_cache(cached, net, meta)
        except OSError as exc:
            log.warning("could not write the network cache %s (%s)", cached, exc)
    return net, {**meta, "sha256": digest, "file_sha256": file_digest, "from_cache": False}
