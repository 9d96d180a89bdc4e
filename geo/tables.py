"""Read planners' tables (CSV in UTF-8 or GBK, XLSX, GeoJSON, GeoPackage) with clear errors."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from carecircle.config import DbSource
from carecircle.errors import InputFileError

log = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".geojson", ".json", ".gpkg", ".shp")
_ENCODINGS = ("utf-8-sig", "gb18030")


def read_csv_any_encoding(path: Path) -> pd.DataFrame:
    """Read a CSV saved as UTF-8 (with or without BOM) or by Chinese Excel (GBK/GB18030).

    Parameters
    ----------
    path : Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        All columns as text; blank cells are empty strings.

    Raises
    ------
    InputFileError
        When the file is empty or in no known encoding.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise InputFileError(f"{path}: the file is empty; export the table again with a header row")
    for encoding in _ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            log.info("%s: read as %s (Chinese Excel encoding)", path, encoding)
        from io import StringIO

        try:
            return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False,
                               skipinitialspace=True)
        except pd.errors.ParserError as exc:
            raise InputFileError(f"{path}: not a readable CSV table ({exc}); check the "
                                 "separators and quotes") from None
    raise InputFileError(f"{path}: text is neither UTF-8 nor GBK/GB18030; save it as UTF-8 CSV")


def read_table(path: Path | DbSource) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read a table by its file type.

    Parameters
    ----------
    path : Path
        CSV, XLSX, GeoJSON, GeoPackage or Shapefile.

    Returns
    -------
    DataFrame or GeoDataFrame
        Spatial formats return a GeoDataFrame with its CRS.

    Raises
    ------
    InputFileError
        When the file is missing, of an unsupported type, or unreadable.
    """
    if isinstance(path, DbSource):
        from carecircle.geo.postgis import read_db

        return read_db(path)
    if not path.is_file():
        raise InputFileError(f"{path}: file not found; check the path in the study file")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(f"{path}: unsupported file type '{suffix}'; use CSV, XLSX, "
                             "GeoJSON or GeoPackage")
    if suffix in (".csv", ".txt"):
        return read_csv_any_encoding(path)
    if suffix in (".xlsx", ".xls"):
        try:
            df = pd.read_excel(path, dtype=str, keep_default_na=False)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on bad files
            raise InputFileError(f"{path}: not a readable Excel workbook ({exc}); save it as "
                                 ".xlsx") from None
        df.columns = [str(c).strip() for c in df.columns]
        return df
    try:
        return gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL errors come in several types
        raise InputFileError(f"{path}: not a readable spatial file ({exc}); check that it "
                             "opens in QGIS") from None


def write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str, *, append: bool = False) -> None:
    """Write a GeoPackage layer reproducibly (a fixed GDAL timestamp, so equal data → equal bytes).

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

    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    try:
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", append=append)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
