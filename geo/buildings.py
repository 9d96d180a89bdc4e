"""Residential buildings or compounds (小区) as demand points instead of raster cells.

Each building (a point or a polygon) becomes one demand "cell": its residents and older
residents are the file's, its location the point (or a point inside the polygon), its
drawn geometry the point or polygon itself.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from carecircle.errors import InputDataError, InputFileError
from carecircle.geo.population import CellGrid, RasterTotals
from carecircle.geo.population_counts import check_shares, counted_rows
from carecircle.geo.tables import read_table
from carecircle.population_config import PopulationOptions


def _numbers(frame: gpd.GeoDataFrame, column: str, path: Path) -> np.ndarray:
    """Return a column as finite floats ≥ 0, refusing text, blanks and negatives."""
    values = pd.to_numeric(
        frame[column].astype(str).str.strip().str.replace(",", "", regex=False), errors="coerce"
    ).to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{path}: feature {i + 1}: {column} is '{frame[column].iloc[i]}', not a count of "
            f"persons ({counted_rows(bad)}); give a number ≥ 0"
        )
    return values


def _read_layer(path: Path) -> gpd.GeoDataFrame:
    """Read the buildings layer: points or polygons with a CRS, in WGS84."""
    frame = read_table(path)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputFileError(
            f"{path}: buildings must be points or polygons in a GeoPackage, GeoJSON or "
            "Shapefile, not a plain table"
        )
    if len(frame) == 0:
        raise InputDataError(f"{path}: no buildings in the file")
    if frame.crs is None:
        raise InputDataError(
            f"{path}: the layer has no CRS; assign it in QGIS (Layer ▸ Set CRS) and save again"
        )
    kinds = frame.geometry.geom_type.fillna("None")
    bad = ~kinds.isin(["Point", "MultiPoint", "Polygon", "MultiPolygon"]) | (
        frame.geometry.is_empty.to_numpy()
    )
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"{path}: feature {i + 1} is {kinds.iloc[i]} (or empty), not a point or polygon "
            f"({counted_rows(bad.to_numpy())}); give buildings as points or polygons"
        )
    return frame.to_crs(4326)


def _older(
    frame: gpd.GeoDataFrame, residents: np.ndarray, options: PopulationOptions, path: Path
) -> np.ndarray:
    """Older residents per building: a column, a share column, or one share."""
    if options.older_share is not None:
        return residents * options.older_share
    if not options.older_column and not options.share_column:  # from the rasters, later
        return np.zeros(residents.size)
    if options.share_column:
        share = pd.Series(_numbers(frame, options.share_column, path))
        share.index = [str(i + 1) for i in range(len(share))]
        where = pd.Series([f"feature {i}" for i in share.index], index=share.index)
        check_shares(share, where, path, options.share_column)
        return residents * share.to_numpy()
    older = _numbers(frame, options.older_column, path)
    over = older > residents + 1e-9
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputDataError(
            f"{path}: feature {i + 1}: {older[i]:,.0f} older residents but {residents[i]:,.0f} "
            f"residents ({counted_rows(over)}); older residents are part of the residents: "
            "check the columns are not swapped"
        )
    return older


def raster_older_share(
    lon: np.ndarray, lat: np.ndarray, raster_cells: pd.DataFrame, grid: CellGrid
) -> np.ndarray:
    """Return the older share (older / residents) of the raster cell under each point.

    Parameters
    ----------
    lon, lat : ndarray
        The buildings' points (WGS84).
    raster_cells : pandas.DataFrame
        Populated cells of the two rasters (``row, col, residents, older_residents``).
    grid : CellGrid
        The rasters' grid.

    Returns
    -------
    ndarray of float
        The share, NaN where the point's cell holds no residents (or lies off the raster).
    """
    x, y = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True).transform(lon, lat)
    inverse = ~grid.transform
    col = np.floor(inverse.a * np.asarray(x) + inverse.b * np.asarray(y) + inverse.c)
    row = np.floor(inverse.d * np.asarray(x) + inverse.e * np.asarray(y) + inverse.f)
    width = grid.shape[1]
    key = row.astype(np.int64) * width + col.astype(np.int64)
    res = raster_cells["residents"].to_numpy()
    held = res > 0
    ratio = raster_cells["older_residents"].to_numpy()[held] / res[held]
    rows = raster_cells["row"].to_numpy()[held].astype(np.int64)
    cell_key = rows * width + raster_cells["col"].to_numpy()[held].astype(np.int64)
    share = pd.Series(ratio, index=cell_key).reindex(key).to_numpy(dtype=np.float64, copy=True)
    share[(row < 0) | (col < 0) | (row >= grid.shape[0]) | (col >= width)] = np.nan
    return share


def read_buildings(
    options: PopulationOptions,
) -> tuple[pd.DataFrame, np.ndarray, RasterTotals]:
    """Read the buildings layer into demand points shaped like population cells.

    Parameters
    ----------
    options : PopulationOptions
        ``file``, ``residents_column`` and the older residents' source.

    Returns
    -------
    cells : pandas.DataFrame
        ``cell_id`` (feature number from 1), ``lon, lat`` (the point, or a point inside the
        polygon), ``residents, older_residents``; no grid corners (their CRS is WGS84).
    geometry : ndarray of shapely geometries
        Each building's point or polygon in WGS84 (drawn and written to cells.gpkg).
    totals : RasterTotals
        The file's residents and older residents.

    Raises
    ------
    InputDataError
        For a layer without residents column, non-numeric or negative counts, older
        residents above residents, or shares outside 0–1.
    """
    path = options.file
    assert path is not None  # checked by the study file
    frame = _read_layer(path)
    present = [str(c) for c in frame.columns if c != "geometry"]
    needed = [options.residents_column]
    needed += [options.share_column] if options.share_column else []
    needed += (
        [options.older_column]
        if options.older_column and options.older_share is None and not options.share_column
        else []
    )
    for column in needed:
        if column not in frame.columns:
            key = "residents_column" if column == options.residents_column else "older_column"
            raise InputDataError(
                f"{path}: column '{column}' is missing for buildings (the file has "
                f"{', '.join(present) or 'no columns'}); name the column in [population], "
                f'e.g. {key} = "{present[0] if present else column}"'
                + (", or give older_share = 0.2" if key == "older_column" else "")
            )
    residents = _numbers(frame, options.residents_column, path)
    older = _older(frame, residents, options, path)
    geometry = frame.geometry.to_numpy()
    centre = shapely.point_on_surface(geometry)
    cells = pd.DataFrame(
        {
            "cell_id": np.arange(1, len(frame) + 1, dtype=np.int64),
            "lon": shapely.get_x(centre),
            "lat": shapely.get_y(centre),
            "residents": residents,
            "older_residents": older,
        }
    )
    keep = (residents > 0) | (older > 0)
    totals = RasterTotals(float(residents.sum()), float(older.sum()), 0)
    return cells[keep].reset_index(drop=True), np.asarray(geometry[keep]), totals
