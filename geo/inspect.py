"""What one file of a planner's folder holds: kind, geometry, features, CRS, encoding, columns.

Used by ``carecircle init`` to guess each file's role; reads headers and metadata only
(rasters are summed, so their totals can tell residents from older residents).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyproj import CRS

from carecircle.errors import CarecircleError
from carecircle.geo.facilities import is_facility_header
from carecircle.geo.tables import read_table

log = logging.getLogger(__name__)

NETWORK_SUFFIXES = (".osm", ".pbf", ".graphml")
RASTER_SUFFIXES = (".tif", ".tiff")
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")


@dataclass(frozen=True)
class FileFacts:
    """What :func:`inspect_file` found in one file.

    ``kind`` is ``network``, ``raster``, ``vector``, ``table`` or ``other``; ``geometry``
    ``line``, ``polygon`` or ``point`` for vectors; ``total`` the sum of a raster's first band;
    ``problem`` why the file could not be read (then the rest is empty).
    """

    path: Path
    kind: str
    geometry: str = ""
    features: int = 0
    crs: str = ""
    columns: tuple[str, ...] = ()
    total: float = 0.0
    encoding: str = ""
    problem: str = ""


def crs_text(crs: object) -> str:
    """Return a CRS as ``EPSG:n`` when it has a code, else its name ('' when absent)."""
    if not crs:
        return ""
    parsed = CRS.from_user_input(crs)
    epsg = parsed.to_epsg()
    return f"EPSG:{epsg}" if epsg else parsed.name


def text_encoding(path: Path) -> str:
    """Return ``UTF-8`` or ``GB18030`` (GBK, Chinese Excel) for a text file, '' for neither."""
    raw = path.read_bytes()
    for name, codec in (("UTF-8", "utf-8-sig"), ("GB18030", "gb18030")):
        try:
            raw.decode(codec)
        except UnicodeDecodeError:
            continue
        return name
    return ""


def _geometry_kind(name: str | None) -> str:
    """Return ``line``, ``polygon`` or ``point`` for an OGR geometry type name."""
    text = (name or "").lower()
    for word, kind in (("line", "line"), ("polygon", "polygon"), ("point", "point")):
        if word in text:
            return kind
    return ""


def _vector(path: Path) -> FileFacts:
    """Facts of a vector layer (its first layer) from its metadata."""
    import pyogrio

    info = pyogrio.read_info(path)
    encoding = info.get("encoding") or ""
    if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        encoding = "no .cpg: read as UTF-8, else GB18030"
    return FileFacts(
        path,
        "vector",
        geometry=_geometry_kind(info.get("geometry_type")),
        features=int(info.get("features") or 0),
        crs=crs_text(info.get("crs")),
        columns=tuple(str(c) for c in info.get("fields", ())),
        encoding=encoding,
    )


def _raster(path: Path) -> FileFacts:
    """Facts of a raster: CRS and the sum of its first band (nodata left out)."""
    import rasterio

    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
        total = float(np.nansum(np.ma.filled(band.astype("float64"), 0.0)))
        return FileFacts(path, "raster", crs=crs_text(src.crs), total=total)


def _table(path: Path) -> FileFacts:
    """Facts of a CSV or XLSX table: columns of its header row and text encoding."""
    frame = read_table(path, is_header=is_facility_header)
    encoding = text_encoding(path) if path.suffix.lower() in (".csv", ".txt") else "xlsx"
    return FileFacts(
        path,
        "table",
        features=len(frame),
        columns=tuple(str(c) for c in frame.columns),
        encoding=encoding,
    )


def inspect_file(path: Path) -> FileFacts:
    """Inspect one file; a file that cannot be read gets its ``problem`` said, not raised.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    FileFacts
        What the file holds.
    """
    suffix = path.suffix.lower()
    readers = {
        **dict.fromkeys(RASTER_SUFFIXES, _raster),
        **dict.fromkeys(VECTOR_SUFFIXES, _vector),
        **dict.fromkeys(TABLE_SUFFIXES, _table),
    }
    if suffix in NETWORK_SUFFIXES:
        return FileFacts(path, "network", geometry="line")
    if suffix not in readers:
        return FileFacts(path, "other")
    try:
        return readers[suffix](path)
    except (CarecircleError, OSError, ValueError, RuntimeError) as exc:
        log.debug("%s: not read: %s", path, exc)
        return FileFacts(path, "other", problem=str(exc).splitlines()[0][:200])
