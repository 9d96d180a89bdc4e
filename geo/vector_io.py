"""Vector files read and written with pyogrio: reproducible GeoPackages, Shapefiles in GBK."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd

log = logging.getLogger(__name__)

#: GDAL settings of carecircle's GeoPackages: a fixed timestamp (equal data, equal bytes) and
#: no fsync per transaction (outputs are written to a temporary name and renamed when
#: complete, so a half-written file is discarded, never kept).
GPKG_GDAL_OPTIONS = {
    "OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z",
    "OGR_SQLITE_SYNCHRONOUS": "OFF",
    "OGR_SQLITE_CACHE": "512",
}


@contextlib.contextmanager
def gpkg_gdal_options() -> Iterator[None]:
    """Set :data:`GPKG_GDAL_OPTIONS` for the block, restoring the previous values after it."""
    import pyogrio

    before = {k: pyogrio.get_gdal_config_option(k) for k in GPKG_GDAL_OPTIONS}
    pyogrio.set_gdal_config_options(GPKG_GDAL_OPTIONS)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str, *, append: bool = False) -> None:
    """Write a GeoPackage layer reproducibly (a fixed GDAL timestamp, so equal data → equal bytes).

    Through Arrow when pyarrow is installed (about half the time at 1M rows), with
    :data:`GPKG_GDAL_OPTIONS` (no fsync: outputs are written to a temporary name and renamed
    when complete, :func:`carecircle.analysis.files.write_atomic`).

    Parameters
    ----------
    frame : GeoDataFrame
        The layer.
    path : Path
        The GeoPackage.
    layer : str
        Layer name.
    append : bool, default False
        Add the layer to an existing file.
    """
    import pyogrio

    try:
        import pyarrow  # noqa: F401
    except ImportError:
        arrow = False
    else:
        arrow = True
    with gpkg_gdal_options():
        pyogrio.write_dataframe(
            frame, path, layer=layer, driver="GPKG", append=append, use_arrow=arrow
        )


def read_shapefile(path: Path) -> gpd.GeoDataFrame:
    """Read a Shapefile; without a ``.cpg`` its text is tried as UTF-8, then GB18030.

    GDAL reads a ``.dbf`` without code page as Latin-1, which garbles every Chinese name
    of a file saved by Chinese ArcGIS (GBK). The encoding used is said in a warning.

    Parameters
    ----------
    path : Path
        The ``.shp`` file.

    Returns
    -------
    GeoDataFrame
        The layer with its CRS.
    """
    import pyogrio

    declared = any(path.with_suffix(s).is_file() for s in (".cpg", ".CPG"))
    if declared or pyogrio.read_info(path).get("encoding") not in (None, "", "ISO-8859-1"):
        return gpd.read_file(path, engine="pyogrio")
    try:
        frame = gpd.read_file(path, engine="pyogrio", encoding="utf-8")
    except UnicodeDecodeError:
        pass
    else:
        log.info("%s: no .cpg file: the text was read as UTF-8", path)
        return frame
    frame = gpd.read_file(path, engine="pyogrio", encoding="gb18030")
    log.warning(
        "%s: no .cpg file: the text was read as GBK/GB18030 (it is not UTF-8); add a "
        "%s holding GBK to make this explicit",
        path,
        path.with_suffix(".cpg").name,
    )
    return frame
