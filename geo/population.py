"""Population rasters (WorldPop-style persons per cell) to a table of populated cells."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import Transformer
from rasterio.errors import RasterioIOError

from carecircle.errors import InputDataError, InputFileError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RasterTotals:
    """What a raster held, for accounting.

    Attributes
    ----------
    residents, older : float
        Sums of the valid (not nodata) cells.
    nodata_cells : int
        Cells that were nodata in either raster.
    """

    residents: float
    older: float
    nodata_cells: int


def _read_band(path: Path) -> tuple[np.ndarray, rasterio.Affine, object, np.ndarray]:
    if not path.is_file():
        raise InputFileError(f"{path}: population raster not found; check [inputs]")
    try:
        with rasterio.open(path) as src:
            data = src.read(1, masked=True)
            transform, crs = src.transform, src.crs
    except RasterioIOError as exc:
        raise InputFileError(f"{path}: not a readable raster ({exc}); give a GeoTIFF") from None
    if crs is None:
        raise InputDataError(
            f"{path}: the raster has no CRS; set it (e.g. gdal_edit.py -a_srs "
            "EPSG:4326) and run again"
        )
    values = np.asarray(data.filled(np.nan), dtype=np.float64)
    invalid = np.isnan(values)
    if (values[~invalid] < 0).any():
        raise InputDataError(
            f"{path}: the raster has negative values that are not its nodata "
            "value; set nodata (WorldPop uses -1) or fix the values"
        )
    return values, transform, crs, invalid


def _apply(
    transform: rasterio.Affine, col: np.ndarray, row: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Map pixel corner coordinates (col, row) to the raster CRS."""
    col, row = np.asarray(col, dtype=np.float64), np.asarray(row, dtype=np.float64)
    return (
        transform.a * col + transform.b * row + transform.c,
        transform.d * col + transform.e * row + transform.f,
    )


def cells_from_rasters(residents_path: Path, older_path: Path) -> tuple[pd.DataFrame, RasterTotals]:
    """Turn residents and older-residents rasters into a table of populated cells.

    Parameters
    ----------
    residents_path, older_path : Path
        GeoTIFFs on the same grid (persons per cell), with a CRS.

    Returns
    -------
    cells : pandas.DataFrame
        One row per cell with residents or older residents > 0: ``cell_id, row, col,
        lon, lat`` (cell centre, WGS84), ``residents, older_residents`` and the cell's
        corner coordinates ``x0, y0, x1, y1`` in the raster CRS.
    totals : RasterTotals
        Sums for the accounting checks.

    Raises
    ------
    InputDataError
        When a raster has no CRS, the grids differ, or no cell holds anyone.
    """
    res, transform, crs, res_nodata = _read_band(residents_path)
    old, o_transform, o_crs, old_nodata = _read_band(older_path)
    if res.shape != old.shape or transform != o_transform or crs != o_crs:
        raise InputDataError(
            f"{older_path}: grid differs from {residents_path.name} (shape, "
            "origin, cell size or CRS); resample it onto the same grid"
        )
    nodata = res_nodata | old_nodata
    res, old = np.where(res_nodata, 0.0, res), np.where(old_nodata, 0.0, old)
    totals = RasterTotals(float(res.sum()), float(old.sum()), int(nodata.sum()))
    for path, total in ((residents_path, totals.residents), (older_path, totals.older)):
        if total <= 0:
            raise InputDataError(
                f"{path}: every cell is nodata or zero; check that the raster "
                "covers the study area and that its nodata value is right"
            )
    rows, cols = np.nonzero((res > 0) | (old > 0))
    x0, y0 = _apply(transform, cols, rows)
    x1, y1 = _apply(transform, cols + 1, rows + 1)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    if crs.to_epsg() != 4326:
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(cx, cy)
    else:
        lon, lat = cx, cy
    cells = pd.DataFrame(
        {
            "cell_id": rows.astype(np.int64) * res.shape[1] + cols,
            "row": rows,
            "col": cols,
            "lon": np.asarray(lon),
            "lat": np.asarray(lat),
            "residents": res[rows, cols],
            "older_residents": old[rows, cols],
            "x0": x0,
            "y0": y0,
            "x1": x1,
            "y1": y1,
        }
    )
    cells.attrs["crs"] = crs.to_wkt()
    return cells, totals


def cell_polygons(cells: pd.DataFrame) -> np.ndarray:
    """Return the cell squares (in the raster CRS) as a shapely array."""
    return shapely.box(cells["x0"], cells["y0"], cells["x1"], cells["y1"])
