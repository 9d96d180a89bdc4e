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
from rasterio.errors import RasterioIOError, WindowError
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from carecircle.errors import InputDataError, InputFileError
from carecircle.text import counted, verb

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


#: Largest window of a raster read at once (cells); beyond it the raster must be clipped.
MAX_CELLS = 100_000_000
#: A raster this many times larger than the window over the boundaries is read by window.
WINDOW_FACTOR = 4


@dataclass(frozen=True)
class _Grid:
    """A raster's grid, read from its header only."""

    path: Path
    band: int
    transform: rasterio.Affine
    crs: rasterio.crs.CRS
    shape: tuple[int, int]


def _grid(path: Path, band: int | None, role: str) -> _Grid:
    """Open a raster's header: CRS, grid, and the band to read (refusing unnamed bands)."""
    if not path.is_file():
        raise InputFileError(f"{path}: population raster not found; check [inputs]")
    try:
        with rasterio.open(path) as src:
            count, transform, crs = src.count, src.transform, src.crs
            shape, names = (src.height, src.width), src.descriptions
    except RasterioIOError as exc:
        raise InputFileError(f"{path}: not a readable raster ({exc}); give a GeoTIFF") from None
    if crs is None:
        raise InputDataError(
            f"{path}: the raster has no CRS; set it (e.g. gdal_edit.py -a_srs "
            "EPSG:4326) and run again"
        )
    if band is None and count > 1:
        listed = ", ".join(f"{i + 1}{f' ({n})' if n else ''}" for i, n in enumerate(names))
        raise InputDataError(
            f"{path}: the raster has {count} bands ({listed}); name the band to read: "
            f'{role} = {{ file = "{path.name}", band = 2 }}'
        )
    if band is not None and not 1 <= band <= count:
        raise InputDataError(
            f"{path}: band {band} asked for, but the raster has {count} "
            f"band{'s' if count > 1 else ''}; fix band in [inputs] {role}"
        )
    return _Grid(path, band or 1, transform, crs, shape)


def _window(grid: _Grid, bounds: tuple[float, float, float, float] | None) -> Window:
    """Return the part of the raster to read: all of it, or the window over the boundaries.

    A raster much larger than the boundaries (a province for one district) is read only
    where the boundaries are, plus one cell; the rest cannot hold the study's population.
    """
    rows, cols = grid.shape
    full = Window(0, 0, cols, rows)
    if bounds is None:
        return full
    west, south, east, north = transform_bounds("EPSG:4326", grid.crs, *bounds)
    win = from_bounds(west, south, east, north, transform=grid.transform)
    win = Window(
        int(np.floor(win.col_off)) - 1,
        int(np.floor(win.row_off)) - 1,
        int(np.ceil(win.width)) + 3,
        int(np.ceil(win.height)) + 3,
    )
    try:
        win = win.intersection(full)
    except WindowError:
        return full  # no overlap: read it all, the overlap check names the other area
    if win.width * win.height * WINDOW_FACTOR > rows * cols:
        return full
    log.info(
        "%s: read rows %d–%d, columns %d–%d of %d × %d (the window over the boundaries)",
        grid.path,
        win.row_off + 1,
        win.row_off + win.height,
        win.col_off + 1,
        win.col_off + win.width,
        rows,
        cols,
    )
    return win


def _read_band(grid: _Grid, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """Read one band as float64 persons per cell, and the nodata mask (any integer type)."""
    if window.width * window.height > MAX_CELLS:
        raise InputDataError(
            f"{grid.path}: the part of the raster over the boundaries has "
            f"{int(window.width * window.height):,} cells ({int(window.height):,} × "
            f"{int(window.width):,}), too many to hold in memory; clip it to the study area "
            "(gdalwarp -te west south east north) or resample it to coarser cells"
        )
    with rasterio.open(grid.path) as src:
        data = src.read(grid.band, window=window, masked=True)
    values = np.ma.filled(np.ma.asarray(data).astype(np.float64), np.nan)
    invalid = np.isnan(values)
    if (values[~invalid] < 0).any():
        raise InputDataError(
            f"{grid.path}: the raster has negative values that are not its nodata "
            "value; set nodata (WorldPop uses -1) or fix the values"
        )
    return values, invalid


def _check_pair(
    res: np.ndarray, old: np.ndarray, masks: tuple[np.ndarray, np.ndarray], paths: tuple[Path, Path]
) -> None:
    """Report nodata in one raster only, and refuse or warn about older > residents."""
    res_nodata, old_nodata = masks
    for mask, there, other, values in (
        (old_nodata & ~res_nodata, paths[1], paths[0], res),
        (res_nodata & ~old_nodata, paths[0], paths[1], old),
    ):
        held = mask & (np.nan_to_num(values) > 0)
        if held.any():
            n = int(held.sum())
            log.warning(
                "%s: %s %s %s persons in %s; %s read as 0 here: check that both rasters "
                "have the same nodata area",
                there.name,
                counted(n, "nodata cell"),
                verb(n, "holds", "hold"),
                f"{float(np.nansum(values[held])):,.0f}",
                other.name,
                verb(n, "it is", "they are"),
            )
    valid = ~(res_nodata | old_nodata)
    over = valid & (old > res + 1e-6)
    if not over.any():
        return
    r, c = (int(v[0]) for v in np.nonzero(over))
    populated = int((valid & ((res > 0) | (old > 0))).sum())
    where = (
        f"{counted(int(over.sum()), 'cell')} of {populated:,} populated cells "
        f"{verb(int(over.sum()), 'holds', 'hold')} more older "
        f"residents ({paths[1].name}) than residents ({paths[0].name}), e.g. row {r + 1} "
        f"column {c + 1}: {old[r, c]:,.1f} older, {res[r, c]:,.1f} residents"
    )
    if over.sum() > 0.05 * populated or float(old[valid].sum()) > float(res[valid].sum()):
        raise InputDataError(
            f"{paths[1]}: {where}; the rasters look swapped or of the wrong band: give "
            "residents (all ages) and older residents (60+/65+) of the same area"
        )
    log.warning("%s: %s; their older share exceeds 100 %%: check the rasters", paths[1], where)


def _apply(
    transform: rasterio.Affine, col: np.ndarray, row: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Map pixel corner coordinates (col, row) to the raster CRS."""
    col, row = np.asarray(col, dtype=np.float64), np.asarray(row, dtype=np.float64)
    return (
        transform.a * col + transform.b * row + transform.c,
        transform.d * col + transform.e * row + transform.f,
    )


def cells_from_rasters(
    residents_path: Path,
    older_path: Path,
    *,
    bands: tuple[int | None, int | None] = (None, None),
    bounds: tuple[float, float, float, float] | None = None,
) -> tuple[pd.DataFrame, RasterTotals]:
    """Turn residents and older-residents rasters into a table of populated cells.

    Parameters
    ----------
    residents_path, older_path : Path
        GeoTIFFs on the same grid (persons per cell), with a CRS.
    bands : tuple of (int or None)
        Band of each raster to read; None: the raster must have a single band.
    bounds : tuple of float, optional
        ``(west, south, east, north)`` of the boundaries (WGS84): a raster far larger is read
        only in the window over them (totals are then the window's).

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
    grid = _grid(residents_path, bands[0], "residents")
    o_grid = _grid(older_path, bands[1], "older_residents")
    if grid.shape != o_grid.shape or grid.transform != o_grid.transform or grid.crs != o_grid.crs:
        raise InputDataError(
            f"{older_path}: grid differs from {residents_path.name} (shape, "
            "origin, cell size or CRS); resample it onto the same grid"
        )
    if (residents_path, grid.band) == (older_path, o_grid.band):
        raise InputDataError(
            f"{older_path}: residents and older_residents are the same band of the same "
            "file; give the older residents' raster or band"
        )
    transform, crs = grid.transform, grid.crs
    window = _window(grid, bounds)
    res, res_nodata = _read_band(grid, window)
    old, old_nodata = _read_band(o_grid, window)
    _check_pair(res, old, (res_nodata, old_nodata), (residents_path, older_path))
    nodata = res_nodata | old_nodata
    res, old = np.where(res_nodata, 0.0, res), np.where(old_nodata, 0.0, old)
    totals = RasterTotals(float(res.sum()), float(old.sum()), int(nodata.sum()))
    part = "" if (window.width, window.height) == grid.shape[::-1] else " over the boundaries"
    for path, total in ((residents_path, totals.residents), (older_path, totals.older)):
        if total <= 0:
            raise InputDataError(
                f"{path}: every cell{part} is nodata or zero; check that the raster "
                "covers the study area and that its nodata value is right"
            )
    rows, cols = np.nonzero((res > 0) | (old > 0))
    cells = cell_frame(
        CellGrid(transform, crs, grid.shape),
        rows + int(window.row_off),
        cols + int(window.col_off),
        res[rows, cols],
        old[rows, cols],
    )
    return cells, totals


@dataclass(frozen=True)
class CellGrid:
    """A raster grid: affine transform, CRS and shape ``(rows, cols)``."""

    transform: rasterio.Affine
    crs: rasterio.crs.CRS
    shape: tuple[int, int]

    @property
    def crs_wkt(self) -> str:
        """The grid's CRS as WKT: the CRS of its cells' corners ``x0, y0, x1, y1``."""
        return str(self.crs.to_wkt())


def cell_frame(
    grid: CellGrid,
    rows: np.ndarray,
    cols: np.ndarray,
    residents: np.ndarray,
    older: np.ndarray,
) -> pd.DataFrame:
    """Return the table of cells ``(rows, cols)`` of ``grid`` holding the given persons.

    Parameters
    ----------
    grid : CellGrid
        The raster grid.
    rows, cols : ndarray of int
        Row and column of each cell in the whole raster.
    residents, older : ndarray of float
        Persons of each cell.

    Returns
    -------
    pandas.DataFrame
        As :func:`cells_from_rasters` returns (corners in the grid's CRS).
    """
    transform, crs, width = grid.transform, grid.crs, grid.shape[1]
    x0, y0 = _apply(transform, cols, rows)
    x1, y1 = _apply(transform, cols + 1, rows + 1)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    if crs.to_epsg() != 4326:
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(cx, cy)
    else:
        lon, lat = cx, cy
    cells = pd.DataFrame(
        {
            "cell_id": rows.astype(np.int64) * width + cols,
            "row": rows,
            "col": cols,
            "lon": np.asarray(lon),
            "lat": np.asarray(lat),
            "residents": residents,
            "older_residents": older,
            "x0": x0,
            "y0": y0,
            "x1": x1,
            "y1": y1,
        }
    )
    return cells


def residents_cells(
    path: Path,
    band: int | None = None,
    *,
    bounds: tuple[float, float, float, float] | None = None,
) -> tuple[pd.DataFrame, RasterTotals, CellGrid]:
    """Read a residents raster alone into populated cells (older residents 0).

    Parameters
    ----------
    path : Path
        GeoTIFF of residents per cell, with a CRS.
    band : int or None
        Band to read; None: the raster must have a single band.
    bounds : tuple of float, optional
        ``(west, south, east, north)`` of the boundaries (WGS84), as for
        :func:`cells_from_rasters`.

    Returns
    -------
    cells : pandas.DataFrame
        As :func:`cells_from_rasters` (``older_residents`` 0).
    totals : RasterTotals
        The raster's residents (older 0).
    grid : CellGrid
        The raster's grid, to place further cells on.
    """
    grid = _grid(path, band, "residents")
    window = _window(grid, bounds)
    res, nodata = _read_band(grid, window)
    res = np.where(nodata, 0.0, res)
    if res.sum() <= 0:
        raise InputDataError(
            f"{path}: every cell is nodata or zero; check that the raster covers the study "
            "area and that its nodata value is right"
        )
    rows, cols = np.nonzero(res > 0)
    cell_grid = CellGrid(grid.transform, grid.crs, grid.shape)
    cells = cell_frame(
        cell_grid,
        rows + int(window.row_off),
        cols + int(window.col_off),
        res[rows, cols],
        np.zeros(rows.size),
    )
    return cells, RasterTotals(float(res.sum()), 0.0, int(nodata.sum())), cell_grid


def raster_grid(path: Path, band: int | None = None) -> CellGrid:
    """Return a raster's grid (transform, CRS, shape), read from its header.

    Parameters
    ----------
    path : Path
        The population raster (GeoTIFF).
    band : int, optional
        The band whose grid is read (1-based); None for a single-band raster (one with
        several bands must name the band).
    """
    grid = _grid(path, band, "residents")
    return CellGrid(grid.transform, grid.crs, grid.shape)


def cell_polygons(cells: pd.DataFrame) -> np.ndarray:
    """Return the cell squares (in the raster CRS) as a shapely array."""
    return shapely.box(cells["x0"], cells["y0"], cells["x1"], cells["y1"])
