"""Uncovered population cells drawn as merged patches instead of one square per cell.

The cells of a street that hold older residents outside the circle are put back on their
raster grid, grouped into 4-connected patches (``scipy.ndimage.label``) and polygonised
(``rasterio.features.shapes``): the drawn area is exactly the union of the cell squares, with
a fraction of the vertices. Cells of several classes (the score layers) are labelled class by
class and polygonised in one pass. Each patch carries the totals of its cells for the tooltip (sums
of values already computed by the analysis; nothing is estimated here).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from rasterio import Affine, features
from scipy import ndimage


@dataclass(frozen=True)
class Patches:
    """Merged patches of cells, in WGS84, with the totals of their cells.

    Attributes
    ----------
    geometry : ndarray of shapely geometries
        One (multi)polygon per patch (lon/lat).
    older : ndarray of float64
        Older residents of the patch's cells.
    cells : ndarray of int64
        Number of cells.
    walk_min, walk_max : ndarray of float64
        Shortest and longest walking distance (m) of its cells; NaN where none is reachable.
    """

    geometry: np.ndarray
    older: np.ndarray
    cells: np.ndarray
    walk_min: np.ndarray
    walk_max: np.ndarray


def _raster_transform(cells: pd.DataFrame) -> Affine | None:
    """Return the raster's affine transform read from the cells' corners (None if rotated)."""
    col = cells["col"].to_numpy(dtype=np.float64)
    row = cells["row"].to_numpy(dtype=np.float64)
    x0, y0 = cells["x0"].to_numpy(), cells["y0"].to_numpy()
    a = float(cells["x1"].iloc[0] - x0[0])
    e = float(cells["y1"].iloc[0] - y0[0])
    c, f = float(x0[0] - a * col[0]), float(y0[0] - e * row[0])
    scale = max(abs(a), abs(e))
    exact = np.allclose(x0, a * col + c, atol=scale * 1e-6) and np.allclose(
        y0, e * row + f, atol=scale * 1e-6
    )
    return Affine(a, 0.0, c, 0.0, e, f) if exact else None


def uncovered_patches(cells: pd.DataFrame, squares: np.ndarray, crs: str) -> Patches:
    """Merge cells into 4-connected patches and return their outlines and totals.

    Parameters
    ----------
    cells : DataFrame
        The cells to draw (``row, col, x0, y0, x1, y1, older_residents, distance_m``).
    squares : ndarray of shapely geometries
        The same cells' squares in WGS84, used only when the grid cannot be read back.
    crs : str
        The CRS of the corners ``x0, y0, x1, y1`` (``Audit.cell_crs``).

    Returns
    -------
    Patches
        One entry per patch, in a stable order (by the patch's first cell in raster order).
    """
    return class_patches(cells, squares, np.zeros(len(cells), dtype=np.int64), crs)[0]


def class_patches(
    cells: pd.DataFrame, squares: np.ndarray, keys: np.ndarray, crs: str
) -> tuple[Patches, np.ndarray]:
    """Merge neighbouring cells of the same class into patches, every class at once.

    Parameters
    ----------
    cells : DataFrame
        The cells to draw, as for :func:`uncovered_patches`.
    squares : ndarray of shapely geometries
        The same cells' squares in WGS84, used only when the grid cannot be read back.
    keys : ndarray of int
        Each cell's class (0 or more): a patch holds 4-connected cells of one class.
    crs : str
        The CRS of the corners ``x0, y0, x1, y1`` (``Audit.cell_crs``).

    Returns
    -------
    tuple of (Patches, ndarray of int64)
        The patches, by class then by their first cell in raster order (as
        :func:`uncovered_patches` of each class's cells, one class after the other), and
        the class of each.
    """
    keys = np.asarray(keys, dtype=np.int64)
    if "row" not in cells:  # demand points off any grid (buildings): one patch each
        order = np.argsort(keys, kind="stable")
        return _point_patches(cells.iloc[order], np.asarray(squares)[order]), keys[order]
    rows = cells["row"].to_numpy(dtype=np.int64)
    cols = cells["col"].to_numpy(dtype=np.int64)
    r0, c0 = int(rows.min()), int(cols.min())
    classes = np.full((int(rows.max()) - r0 + 1, int(cols.max()) - c0 + 1), -1, dtype=np.int64)
    classes[rows - r0, cols - c0] = keys
    labels = np.zeros(classes.shape, dtype=np.int32)
    patch_keys = []
    n = 0
    for key in np.unique(keys).tolist():
        found, m = ndimage.label(classes == key)
        labels[found > 0] = found[found > 0] + n
        patch_keys += [key] * m
        n += m
    label = labels[rows - r0, cols - c0] - 1
    older = np.bincount(label, weights=cells["older_residents"].to_numpy(), minlength=n)
    count = np.bincount(label, minlength=n).astype(np.int64)
    walk = cells["distance_m"].to_numpy(dtype=np.float64)
    walk_min, walk_max = np.full(n, np.nan), np.full(n, np.nan)
    np.fmin.at(walk_min, label, walk)  # NaN (no walk) only where every cell has none
    np.fmax.at(walk_max, label, walk)
    transform = _raster_transform(cells)
    if transform is None:
        geoms = np.array([shapely.union_all(squares[label == k]) for k in range(n)], dtype=object)
    else:
        geoms = _outlines(labels, n, transform @ Affine.translation(c0, r0), crs)
    return Patches(geoms, older, count, walk_min, walk_max), np.array(patch_keys, dtype=np.int64)


#: Half side (degrees, about 10 m) of the square drawn for a building given as a point.
POINT_HALF_DEG = 0.0001


def _point_patches(cells: pd.DataFrame, shapes: np.ndarray) -> Patches:
    """Return one patch per building: its polygon, or a small square around its point."""
    shapes = np.asarray(shapes)
    points = shapely.get_type_id(shapes) == 0
    geoms = shapes.copy()
    if points.any():
        geoms[points] = shapely.buffer(shapes[points], POINT_HALF_DEG, cap_style="square")
    dist = cells["distance_m"].to_numpy(dtype=np.float64)
    older = cells["older_residents"].to_numpy(dtype=np.float64)
    return Patches(geoms, older, np.ones(len(cells), dtype=np.int64), dist, dist.copy())


def _outlines(labels: np.ndarray, n: int, transform: Affine, crs_wkt: str) -> np.ndarray:
    """Polygonise a label image (1..n) and return one WGS84 geometry per label.

    The rings are gathered into one array and the polygons made at once
    (``shapely.linearrings``/``polygons`` with indices), not one shape at a time.
    """
    rings: list[list[tuple[float, float]]] = []
    ring_polygon: list[int] = []
    polygon_label: list[int] = []
    for geom, value in features.shapes(
        labels, mask=labels > 0, connectivity=4, transform=transform
    ):
        ring_polygon += [len(polygon_label)] * len(geom["coordinates"])
        rings += geom["coordinates"]
        polygon_label.append(int(value) - 1)
    if not rings:
        return np.full(n, None, dtype=object)
    xy = np.fromiter(chain.from_iterable(chain.from_iterable(rings)), dtype=np.float64)
    xy = xy.reshape(-1, 2)
    crs = CRS.from_user_input(crs_wkt)
    if crs.to_epsg() != 4326:
        to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        xy = np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))
    ring_index = np.repeat(np.arange(len(rings)), [len(r) for r in rings])
    linear = np.asarray(shapely.linearrings(xy, indices=ring_index), dtype=object)
    polygons = np.asarray(shapely.polygons(linear, indices=ring_polygon), dtype=object)
    owner = np.asarray(polygon_label, dtype=np.int64)
    order = np.argsort(owner, kind="stable")  # a label's parts in the order they came
    parts = np.bincount(owner, minlength=n)
    geoms = np.empty(n, dtype=object)
    single = parts == 1
    geoms[owner[single[owner]]] = polygons[single[owner]]
    multi = order[~single[owner[order]]]
    if len(multi):
        owners, dense = np.unique(owner[multi], return_inverse=True)
        geoms[owners] = shapely.multipolygons(polygons[multi], indices=dense)
    return geoms
