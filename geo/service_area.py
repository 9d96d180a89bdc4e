"""Service-area polygons for maps: reached street stretches, rasterised and polygonised.

The reached stretches of the walking network are sampled onto a fine grid, dilated by the
band's half-width and turned back into polygons (``rasterio.features.shapes``). The cost
grows with the reached length and the grid's pixels, not with the square of the edge count
as a dissolve of one buffer per edge does. The areas are drawn on maps only: no number
depends on them.

Tolerance (tests/geo/test_service_area.py): with a grid of ``cell_m`` metres (at most 1/2.5
of the band's half-width ``buffer_m``), every reached stretch lies inside the polygon, the
boundary lies within ``1.5 * cell_m`` (plus the simplification tolerance) of the exact buffer
of the reached stretches, and the area is within ``0.65 * cell_m / buffer_m`` of the exact
area (±16 % at the 10 m default for a street parallel to the grid, which gains or loses half
a pixel on each side; a few % where streets of many directions average out).
"""

from __future__ import annotations

import math
import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import shapely
from contourpy import FillType, contour_generator
from rasterio import Affine
from scipy import ndimage
from shapely.geometry.base import BaseGeometry

from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import Snapped

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Bounds = tuple[float, float, float, float]


def reached_segments(
    network: WalkNetwork,
    node_distance: FloatArray,
    radius_m: float,
    *,
    sources: Snapped | None = None,
) -> npt.NDArray[np.float64]:
    """Return the parts of edges within ``radius_m`` walking distance, as segment coordinates.

    An edge is wholly reached when the walk from either end (or from both ends together)
    covers it; otherwise the reached stretches from each end are cut at the remaining
    distance. With ``sources`` the stretches of their own edges around them are added.

    Parameters
    ----------
    network : WalkNetwork
        The network.
    node_distance : ndarray
        Walking distance from the nearest source to each node (m), inf where unreached.
    radius_m : float
        The service radius (m).
    sources : Snapped, optional
        The sources, to add the stretch of each source's own edge.

    Returns
    -------
    ndarray of shape (m, 2, 2)
        Start and end coordinates (m) of every reached stretch.
    """
    u, v, length = network.edge_u, network.edge_v, network.edge_length
    ax, ay, bx, by = network.x[u], network.y[u], network.x[v], network.y[v]
    rem_u = radius_m - node_distance[u]
    rem_v = radius_m - node_distance[v]
    whole = (
        (rem_u >= length)
        | (rem_v >= length)
        | ((rem_u > 0) & (rem_v > 0) & (rem_u + rem_v >= length))
    )
    part_u = ~whole & (rem_u > 0)
    part_v = ~whole & (rem_v > 0)
    safe = np.where(length > 0, length, 1.0)
    fu = np.where(length > 0, np.clip(rem_u, 0.0, length) / safe, 1.0)
    fv = np.where(length > 0, 1.0 - np.clip(rem_v, 0.0, length) / safe, 0.0)
    pieces = [
        _stretch(ax, ay, bx, by, np.zeros_like(length), np.ones_like(length), whole),
        _stretch(ax, ay, bx, by, np.zeros_like(length), fu, part_u),
        _stretch(ax, ay, bx, by, fv, np.ones_like(length), part_v),
    ]
    if sources is not None and sources.ok.any():
        e = sources.edge[sources.ok]
        left = radius_m - sources.distance[sources.ok]
        reach = np.where(length[e] > 0, left / np.maximum(length[e], 1e-9), 1.0)
        t = sources.t[sources.ok]
        pieces.append(
            _stretch(
                ax[e],
                ay[e],
                bx[e],
                by[e],
                np.clip(t - reach, 0, 1),
                np.clip(t + reach, 0, 1),
                left > 0,
            )
        )
    return np.concatenate(pieces, axis=0)


def _stretch(
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    t0: FloatArray,
    t1: FloatArray,
    mask: npt.NDArray[np.bool_],
) -> FloatArray:
    """Return segments from t0 to t1 along a→b where ``mask`` holds."""
    dx, dy = bx - ax, by - ay
    start = np.stack([ax + t0 * dx, ay + t0 * dy], axis=1)
    end = np.stack([ax + t1 * dx, ay + t1 * dy], axis=1)
    return np.stack([start, end], axis=1)[mask]


#: Half-width (m) of the band drawn along each reached street.
BUFFER_M = 40.0
#: Finest grid (m); coarser grids keep the pixel count of large areas within a budget.
MIN_CELL_M = 10.0
#: The band's half-width spans at least this many pixels (so every reached stretch is inside).
MIN_CELLS_PER_BUFFER = 2.5


@dataclass(frozen=True)
class AreaGrid:
    """A north-up grid of square pixels in the network's CRS.

    Attributes
    ----------
    left, top : float
        Coordinates (m) of the grid's upper-left corner.
    cell_m : float
        Pixel size (m).
    width, height : int
        Columns and rows.
    """

    left: float
    top: float
    cell_m: float
    width: int
    height: int

    @classmethod
    def covering(cls, bounds: Bounds, cell_m: float) -> AreaGrid:
        """Return the grid of ``cell_m`` pixels that covers ``(minx, miny, maxx, maxy)``.

        Parameters
        ----------
        bounds : tuple of float
            Area to cover (m).
        cell_m : float
            Pixel size (m).

        Returns
        -------
        AreaGrid
            At least one pixel wide and high.
        """
        minx, miny, maxx, maxy = bounds
        width = max(1, math.ceil((maxx - minx) / cell_m))
        height = max(1, math.ceil((maxy - miny) / cell_m))
        return cls(minx, maxy, cell_m, width, height)

    @property
    def transform(self) -> Affine:
        """Pixel (col, row) to map coordinates."""
        return Affine(self.cell_m, 0.0, self.left, 0.0, -self.cell_m, self.top)

    def window(self, bounds: Bounds) -> tuple[slice, slice]:
        """Return the (rows, cols) slices of the pixels that cover ``bounds``, clipped."""
        minx, miny, maxx, maxy = bounds
        c0 = min(max(math.floor((minx - self.left) / self.cell_m), 0), self.width)
        c1 = min(max(math.ceil((maxx - self.left) / self.cell_m), 0), self.width)
        r0 = min(max(math.floor((self.top - maxy) / self.cell_m), 0), self.height)
        r1 = min(max(math.ceil((self.top - miny) / self.cell_m), 0), self.height)
        return slice(r0, r1), slice(c0, c1)


def grid_for(bounds: Bounds, *, buffer_m: float = BUFFER_M, max_pixels: float = 6e6) -> AreaGrid:
    """Return the grid for service areas over ``bounds``: fine, within a pixel budget.

    Parameters
    ----------
    bounds : tuple of float
        Area of the network (m).
    buffer_m : float, default 40
        Half-width of the band; the pixels are never coarser than ``buffer_m / 2.5``.
    max_pixels : float, default 6e6
        Pixel budget: the cell grows from 10 m until the grid fits (up to ``buffer_m / 2.5``).

    Returns
    -------
    AreaGrid
        The grid, with a margin of the band's width around ``bounds``.
    """
    minx, miny, maxx, maxy = bounds
    pad = 2.0 * buffer_m
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    extent = max(box[2] - box[0], 1.0) * max(box[3] - box[1], 1.0)
    cell = min(max(MIN_CELL_M, math.sqrt(extent / max_pixels)), buffer_m / MIN_CELLS_PER_BUFFER)
    return AreaGrid.covering(box, cell)


def reached_mask(segments: FloatArray, grid: AreaGrid, *, buffer_m: float = BUFFER_M) -> BoolArray:
    """Rasterise reached stretches and widen them into the band drawn on maps.

    Each stretch is sampled every half pixel; the pixels holding a sample are dilated by a
    disc of about ``buffer_m``. A pixel is in the band when its centre lies within that disc
    of a sampled pixel's centre, i.e. within ``buffer_m ± cell_m`` of a reached stretch.

    Parameters
    ----------
    segments : ndarray of shape (m, 2, 2)
        From :func:`reached_segments` (m).
    grid : AreaGrid
        The grid; its cell must be at most ``buffer_m / 2.5``.
    buffer_m : float, default 40
        Half-width of the band (m).

    Returns
    -------
    ndarray of bool, shape (grid.height, grid.width)
        True inside the band.
    """
    if grid.cell_m > buffer_m / MIN_CELLS_PER_BUFFER + 1e-9:
        raise ValueError(f"grid cell {grid.cell_m:g} m is too coarse for a {buffer_m:g} m band")
    seeds = np.zeros((grid.height, grid.width), dtype=bool)
    step = grid.cell_m / 2.0
    for start in range(0, segments.shape[0], _CHUNK):
        _mark(seeds, segments[start : start + _CHUNK], grid, step)
    # a seed pixel's centre lies up to cell/√2 off the stretch; a slightly smaller disc
    # balances the area (within a few % of the exact buffer, see the tests)
    radius = (buffer_m - 0.2 * grid.cell_m) / grid.cell_m
    r = math.floor(radius)
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    return ndimage.binary_dilation(seeds, structure=dx * dx + dy * dy <= radius * radius + 1e-9)


_CHUNK = 500_000


def _mark(seeds: BoolArray, segments: FloatArray, grid: AreaGrid, step: float) -> None:
    """Set the pixels of ``seeds`` that hold a sample of any segment (every ``step`` m)."""
    a, b = segments[:, 0, :], segments[:, 1, :]
    length = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    n = np.ceil(length / step).astype(np.int64) + 1
    seg = np.repeat(np.arange(segments.shape[0]), n)
    first = np.cumsum(n) - n
    t = (np.arange(seg.size) - first[seg]) / np.maximum(n[seg] - 1, 1)
    x = a[seg, 0] + t * (b[seg, 0] - a[seg, 0])
    y = a[seg, 1] + t * (b[seg, 1] - a[seg, 1])
    col = np.floor((x - grid.left) / grid.cell_m).astype(np.int64)
    row = np.floor((grid.top - y) / grid.cell_m).astype(np.int64)
    keep = (col >= 0) & (col < grid.width) & (row >= 0) & (row < grid.height)
    seeds[row[keep], col[keep]] = True


#: Tile edge (pixels) of the polygonised band: each piece lies within one tile, so that a
#: street map takes (and clips) only the few pieces near it.
TILE_PX = 128


def mask_pieces(
    mask: BoolArray,
    grid: AreaGrid,
    *,
    bounds: Bounds | None = None,
    simplify_m: float = 2.5,
    tile_px: int = TILE_PX,
) -> np.ndarray:
    """Polygonise the band tile by tile (marching squares, ``contourpy``).

    The outline runs midway between pixel centres inside and outside the band (pixel
    edges, with corners cut at 45°), so a pixel of the band lies wholly inside whenever its
    neighbours are in the band too. Each tile is outlined with a margin of two pixels,
    simplified, then cut exactly at the tile's edges, so pieces of neighbouring tiles meet
    without gaps or overlaps.

    Parameters
    ----------
    mask : ndarray of bool
        From :func:`reached_mask`.
    grid : AreaGrid
        The mask's grid.
    bounds : tuple of float, optional
        Only the pixels covering this box (m), e.g. a street and its margin.
    simplify_m : float, default 2.5
        Douglas-Peucker tolerance (m) of the outlines (display only).
    tile_px : int, default 128
        Tile edge (pixels).

    Returns
    -------
    ndarray of shapely geometries
        The pieces in the grid's CRS, none empty.
    """
    rows, cols = grid.window(bounds) if bounds is not None else (slice(None), slice(None))
    r_lo, r_hi, _ = rows.indices(grid.height)
    c_lo, c_hi, _ = cols.indices(grid.width)
    pieces = []
    for r0 in range(r_lo, r_hi, tile_px):
        r1 = min(r0 + tile_px, r_hi)
        for c0 in range(c_lo, c_hi, tile_px):
            c1 = min(c0 + tile_px, c_hi)
            if not mask[r0:r1, c0:c1].any():
                continue
            a0, b0 = max(r0 - 2, 0), max(c0 - 2, 0)
            outline = _outline(
                mask[a0 : min(r1 + 2, grid.height), b0 : min(c1 + 2, grid.width)],
                grid.left + b0 * grid.cell_m,
                grid.top - a0 * grid.cell_m,
                grid.cell_m,
                simplify_m,
            )
            x0, x1 = grid.left + c0 * grid.cell_m, grid.left + c1 * grid.cell_m
            y0, y1 = grid.top - r1 * grid.cell_m, grid.top - r0 * grid.cell_m
            pieces.append(shapely.clip_by_rect(outline, x0, y0, x1, y1))
    if not pieces:
        return np.empty(0, dtype=object)
    out = np.concatenate(pieces)
    return out[~shapely.is_empty(out)]


def _outline(
    block: BoolArray, left: float, top: float, cell_m: float, simplify_m: float
) -> np.ndarray:
    """Return the polygons outlining the True pixels of ``block`` (upper-left at left, top)."""
    z = np.zeros((block.shape[0] + 2, block.shape[1] + 2), dtype=np.float64)
    z[1:-1, 1:-1] = block
    generator = contour_generator(z=z, fill_type=FillType.OuterOffset, name="serial")
    # FillType.OuterOffset: (points, offsets), one array of each per polygon
    points, offsets = cast(
        "tuple[list[FloatArray], list[npt.NDArray[np.int64]]]", generator.filled(0.5, 1.5)
    )
    xy = np.concatenate(points)
    # padded pixel (i, j) has its centre at left + (j - 0.5) * cell, top - (i - 0.5) * cell
    xy = np.column_stack([left + (xy[:, 0] - 0.5) * cell_m, top - (xy[:, 1] - 0.5) * cell_m])
    ring_sizes = np.concatenate([np.diff(o) for o in offsets])
    rings_per_piece = np.array([len(o) - 1 for o in offsets])
    rings = np.asarray(
        shapely.linearrings(xy, indices=np.repeat(np.arange(ring_sizes.size), ring_sizes))
    )
    polygons = shapely.polygons(
        rings, indices=np.repeat(np.arange(rings_per_piece.size), rings_per_piece)
    )
    # Douglas-Peucker: the topology-preserving variant costs minutes on a city's band
    return np.asarray(shapely.simplify(polygons, simplify_m, preserve_topology=False))


def mask_polygon(
    mask: BoolArray,
    grid: AreaGrid,
    *,
    bounds: Bounds | None = None,
    simplify_m: float = 2.5,
) -> BaseGeometry:
    """Polygonise the band (or the part of it within ``bounds``) into one (multi)polygon.

    Parameters
    ----------
    mask : ndarray of bool
        From :func:`reached_mask`.
    grid : AreaGrid
        The mask's grid.
    bounds : tuple of float, optional
        Only the pixels covering this box (m), e.g. a street and its margin.
    simplify_m : float, default 2.5
        Simplification tolerance (m).

    Returns
    -------
    shapely geometry
        The band in the grid's CRS; empty when nothing is reached there.
    """
    pieces = mask_pieces(mask, grid, bounds=bounds, simplify_m=simplify_m)
    if pieces.size == 0:
        return shapely.Polygon()
    return shapely.union_all(pieces)


def service_area_polygon(
    segments: FloatArray,
    *,
    buffer_m: float = BUFFER_M,
    simplify_m: float = 2.5,
    cell_m: float | None = None,
) -> BaseGeometry:
    """Return the band of ``buffer_m`` along the reached stretches as one (multi)polygon.

    Parameters
    ----------
    segments : ndarray of shape (m, 2, 2)
        From :func:`reached_segments` (m).
    buffer_m : float, default 40
        Half-width of the band drawn along each reached street (m).
    simplify_m : float, default 2.5
        Simplification tolerance of the result (m).
    cell_m : float, optional
        Grid cell (m); by default from :func:`grid_for`.

    Returns
    -------
    shapely geometry
        The service area in the network's CRS; empty when nothing is reached.
    """
    if segments.shape[0] == 0:
        return shapely.Polygon()
    xy = segments.reshape(-1, 2)
    bounds = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())
    grid = grid_for(bounds, buffer_m=buffer_m)
    if cell_m is not None:
        pad = 2.0 * buffer_m
        grid = AreaGrid.covering(
            (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad), cell_m
        )
    mask = reached_mask(segments, grid, buffer_m=buffer_m)
    return mask_polygon(mask, grid, simplify_m=simplify_m)


def band_pieces(
    segments: FloatArray,
    grid: AreaGrid,
    *,
    buffer_m: float = BUFFER_M,
    simplify_m: float = 2.5,
) -> np.ndarray:
    """Rasterise reached stretches once and return the band as pieces, one set per tile.

    Parameters
    ----------
    segments : ndarray of shape (m, 2, 2)
        From :func:`reached_segments` (m).
    grid : AreaGrid
        The grid, e.g. from :func:`grid_for` on the network's bounds.
    buffer_m : float, default 40
        Half-width of the band (m).
    simplify_m : float, default 2.5
        Simplification tolerance (m).

    Returns
    -------
    ndarray of shapely geometries
        Non-overlapping pieces whose union is the band (see :func:`mask_pieces`).
    """
    mask = reached_mask(segments, grid, buffer_m=buffer_m)
    return mask_pieces(mask, grid, simplify_m=simplify_m)


def bands_in_parallel(
    segment_sets: Iterator[FloatArray], grid: AreaGrid, *, workers: int = 2
) -> Iterator[np.ndarray]:
    """Yield :func:`band_pieces` of each set of stretches, in order, computed by a pool.

    The caller computes the next set (routing) while the workers rasterise the previous
    ones; with ``workers`` 1, inside a worker process (batch) or off Linux, it runs here.

    Parameters
    ----------
    segment_sets : iterator of ndarray
        Reached stretches of each layer (from :func:`reached_segments`).
    grid : AreaGrid
        The grid of every layer.
    workers : int, default 2
        Worker processes.

    Yields
    ------
    ndarray of shapely geometries
        The pieces of each layer, in the order of ``segment_sets``.
    """
    serial = (
        workers <= 1
        or multiprocessing.parent_process() is not None  # a batch worker: no pool of its own
        or "fork" not in multiprocessing.get_all_start_methods()
    )
    if serial:
        for segments in segment_sets:
            yield band_pieces(segments, grid)
        return
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupt)
    try:
        futures = [pool.submit(band_pieces, segments, grid) for segments in segment_sets]
        for future in futures:
            yield future.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _ignore_interrupt() -> None:
    """Leave Ctrl-C to the parent, which stops the pool (no traceback from each worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
