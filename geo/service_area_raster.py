"""Reached stretches rasterised into the band drawn on maps, and outlined tile by tile."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt
import shapely
from contourpy import FillType, LineType, SerialContourGenerator, ZInterp

from carecircle.geo.service_area_grid import (
    BUFFER_M,
    MIN_CELL_M,
    MIN_CELLS_PER_BUFFER,
    AreaGrid,
    Bounds,
)

if TYPE_CHECKING:
    from contourpy._contourpy import FillReturn_ChunkCombinedOffsetOffset

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


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
    return disc_dilation(seeds, (buffer_m - 0.2 * grid.cell_m) / grid.cell_m)


def disc_dilation(seeds: BoolArray, radius: float) -> BoolArray:
    """Return the pixels within ``radius`` pixels (centre to centre) of a True pixel.

    The same as ``scipy.ndimage.binary_dilation`` with the disc as structure, built from row
    spans: one horizontal dilation per half-width, then one shifted OR per row of the disc
    (~15 passes over the grid instead of one per pixel of the disc, 30-50× faster).

    Parameters
    ----------
    seeds : ndarray of bool
        The pixels to widen.
    radius : float
        Radius of the disc (pixels).

    Returns
    -------
    ndarray of bool
        Same shape as ``seeds``.
    """
    r = math.floor(radius)
    limit = radius * radius + 1e-9
    half = [math.floor(math.sqrt(limit - dy * dy)) for dy in range(r + 1)]
    rows: list[BoolArray] = [seeds]  # rows[w]: within w pixels along the row
    for w in range(1, max(half) + 1):
        cur = rows[-1].copy()
        cur[:, w:] |= seeds[:, :-w]
        cur[:, :-w] |= seeds[:, w:]
        rows.append(cur)
    out = rows[half[0]].copy()
    for dy in range(1, min(r, seeds.shape[0] - 1) + 1):
        span = rows[half[dy]]
        out[dy:] |= span[:-dy]
        out[:-dy] |= span[dy:]
    return out


#: Stretches sampled at once: their samples' arrays stay within the CPU caches (~8× faster
#: than one pass over a city's million stretches).
_CHUNK = 65_536


def _mark(seeds: BoolArray, segments: FloatArray, grid: AreaGrid, step: float) -> None:
    """Set the pixels of ``seeds`` that hold a sample of any segment (every ``step`` m)."""
    cell = grid.cell_m
    # in pixel units: column and row of the start, steps along the stretch
    ax = (segments[:, 0, 0] - grid.left) / cell
    ay = (grid.top - segments[:, 0, 1]) / cell
    dx = (segments[:, 1, 0] - segments[:, 0, 0]) / cell
    dy = (segments[:, 0, 1] - segments[:, 1, 1]) / cell
    n = np.ceil(np.hypot(dx, dy) * (cell / step)).astype(np.int64) + 1
    ends = np.cumsum(n)
    local = np.arange(int(ends[-1]) if n.size else 0, dtype=np.int64) - np.repeat(ends - n, n)
    t = local * np.repeat(1.0 / np.maximum(n - 1, 1), n)
    col = np.floor(np.repeat(ax, n) + t * np.repeat(dx, n)).astype(np.int64)
    row = np.floor(np.repeat(ay, n) + t * np.repeat(dy, n)).astype(np.int64)
    keep = (col >= 0) & (col < grid.width) & (row >= 0) & (row < grid.height)
    if not keep.all():
        col, row = col[keep], row[keep]
    seeds.ravel()[row * grid.width + col] = True


#: Douglas-Peucker tolerance of the drawn outlines, in pixels: just under half a pixel (4.5 m
#: on the finest 10 m grid), which folds most of the pixel staircase of diagonal streets
#: (area within 0.5 %); at half a pixel or more a band's cut corners start to collapse.
SIMPLIFY_PX = 0.45
#: The tolerance (m) on the finest grid.
SIMPLIFY_M = SIMPLIFY_PX * MIN_CELL_M

#: Tile edge (pixels) of the polygonised band: each piece lies within one tile, so that a
#: street map takes (and clips) only the few pieces near it.
TILE_PX = 128


def mask_pieces(
    mask: BoolArray,
    grid: AreaGrid,
    *,
    bounds: Bounds | None = None,
    simplify_m: float | None = None,
    tile_px: int = TILE_PX,
) -> np.ndarray:
    """Polygonise the band tile by tile (marching squares, ``contourpy``).

    The outline runs midway between pixel centres inside and outside the band (pixel
    edges, with corners cut at 45°), so a pixel of the band lies wholly inside whenever its
    neighbours are in the band too. Each tile is outlined with a margin of two pixels,
    simplified, then cut exactly at the tile's edges, so pieces of neighbouring tiles meet
    without gaps or overlaps. The tiles are outlined :data:`_TILES_AT_ONCE` at a time, each
    in its own slot of one array (zeros between them, so no outline crosses from one to
    the next): one contour, one simplification and one cut per batch instead of per tile
    (the same pieces, 2-3× faster on a city).

    Parameters
    ----------
    mask : ndarray of bool
        From :func:`reached_mask`.
    grid : AreaGrid
        The mask's grid.
    bounds : tuple of float, optional
        Only the pixels covering this box (m), e.g. a street and its margin.
    simplify_m : float, optional
        Douglas-Peucker tolerance (m) of the outlines (display only); default
        :data:`SIMPLIFY_PX` pixels.
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
    tolerance = SIMPLIFY_PX * grid.cell_m if simplify_m is None else simplify_m
    outliner = _Outliner(grid, tile_px, tolerance)
    tiles = [
        (r0, min(r0 + tile_px, r_hi), c0, min(c0 + tile_px, c_hi))
        for r0 in range(r_lo, r_hi, tile_px)
        for c0 in range(c_lo, c_hi, tile_px)
    ]
    tiles = [(r0, r1, c0, c1) for r0, r1, c0, c1 in tiles if mask[r0:r1, c0:c1].any()]
    pieces = [
        outliner.pieces(mask, tiles[start : start + _TILES_AT_ONCE])
        for start in range(0, len(tiles), _TILES_AT_ONCE)
    ]
    if not pieces:
        return np.empty(0, dtype=object)
    out = np.concatenate(pieces)
    return out[~shapely.is_empty(out)]


#: Tiles outlined in one contour call: their slots (~12 MB of floats) stay small.
_TILES_AT_ONCE = 64

Tile = tuple[int, int, int, int]


class _Outliner:
    """Outlines tiles of a mask, a batch at a time, as simplified pieces cut at their edges.

    Parameters
    ----------
    grid : AreaGrid
        The mask's grid.
    tile_px : int
        Tile edge (pixels).
    simplify_m : float
        Douglas-Peucker tolerance (m).
    """

    def __init__(self, grid: AreaGrid, tile_px: int, simplify_m: float) -> None:
        self.grid, self.simplify_m = grid, simplify_m
        # a slot: the tile, its margin of two pixels on each side and a border of zeros
        self.slot = tile_px + 6
        self._meshes: dict[tuple[int, int], tuple[FloatArray, FloatArray]] = {}

    def _mesh(self, shape: tuple[int, int]) -> tuple[FloatArray, FloatArray]:
        if shape not in self._meshes:
            ny, nx = shape
            x, y = np.meshgrid(np.arange(nx, dtype=np.float64), np.arange(ny, dtype=np.float64))
            self._meshes[shape] = (x, y)
        return self._meshes[shape]

    def pieces(self, mask: BoolArray, tiles: list[Tile]) -> ObjectArray:
        """Return the pieces of ``tiles`` (rows r0:r1, cols c0:c1 of ``mask``), tile by tile.

        Parameters
        ----------
        mask : ndarray of bool
            The band.
        tiles : list of tuple of int
            ``(r0, r1, c0, c1)`` of each tile, each holding some of the band.
        """
        grid, slot = self.grid, self.slot
        z = np.zeros((len(tiles) * slot, slot), dtype=np.float64)
        left, top = np.empty(len(tiles)), np.empty(len(tiles))
        for k, (r0, r1, c0, c1) in enumerate(tiles):
            a0, b0 = max(r0 - 2, 0), max(c0 - 2, 0)
            block = mask[a0 : min(r1 + 2, grid.height), b0 : min(c1 + 2, grid.width)]
            z[k * slot + 1 : k * slot + 1 + block.shape[0], 1 : 1 + block.shape[1]] = block
            left[k], top[k] = grid.left + b0 * grid.cell_m, grid.top - a0 * grid.cell_m
        x, y = self._mesh(z.shape)
        # the serial generator itself, as contour_generator() builds it (without its checks
        # and meshes, which cost as much as the outline of a tile)
        generator = SerialContourGenerator(
            x,
            y,
            z,
            None,  # type: ignore[arg-type]  # no mask: contour_generator() passes None too
            corner_mask=True,
            line_type=LineType.Separate,
            fill_type=FillType.ChunkCombinedOffsetOffset,
            quad_as_tri=False,
            z_interp=ZInterp.Linear,
        )
        filled = cast("FillReturn_ChunkCombinedOffsetOffset", generator.filled(0.5, 1.5))
        xy, offsets, outer = filled[0][0], filled[1][0], filled[2][0]
        if xy is None or offsets is None or outer is None:  # nothing outlined
            return np.empty(0, dtype=object)
        ring_sizes = np.diff(offsets)
        rings_per_piece = np.diff(outer)
        # the tile of each piece: the slot of its first point (slots are whole numbers apart)
        tile = (xy[offsets[outer[:-1]], 1] // slot).astype(np.int64)
        ring_tile = np.repeat(tile, rings_per_piece)
        xy, ring = _straight_runs_merged(xy, ring_sizes)
        point_tile = ring_tile[ring]
        # padded pixel (i, j) has its centre at left + (j - 0.5) * cell, top - (i - 0.5) * cell
        cell = grid.cell_m
        local_y = xy[:, 1] - point_tile * slot
        xy = np.column_stack(
            [left[point_tile] + (xy[:, 0] - 0.5) * cell, top[point_tile] - (local_y - 0.5) * cell]
        )
        rings = cast(ObjectArray, shapely.linearrings(xy, indices=ring))
        polygons = cast(
            ObjectArray,
            shapely.polygons(
                rings, indices=np.repeat(np.arange(rings_per_piece.size), rings_per_piece)
            ),
        )
        # Douglas-Peucker: the topology-preserving variant costs minutes on a city's band
        polygons = shapely.simplify(polygons, self.simplify_m, preserve_topology=False)
        box = np.array(tiles, dtype=np.float64)[tile]  # r0, r1, c0, c1 of each piece's tile
        # shapely.clip_by_rect takes one box; its ufunc takes one per geometry
        return cast(
            ObjectArray,
            shapely.lib.clip_by_rect(
                polygons,
                grid.left + box[:, 2] * cell,
                grid.top - box[:, 1] * cell,
                grid.left + box[:, 3] * cell,
                grid.top - box[:, 0] * cell,
            ),
        )


def _straight_runs_merged(
    xy: FloatArray, ring_sizes: npt.NDArray[np.int64]
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Drop the points in the middle of straight runs of closed rings; return points, ring ids.

    The outline of a pixel mask has a point on every pixel edge it crosses; on a straight
    run they add nothing (the contour's coordinates are whole or half pixels, so the test is
    exact). Each ring keeps its first and last point.
    """
    d = np.diff(xy, axis=0)
    cross = d[:-1, 0] * d[1:, 1] - d[:-1, 1] * d[1:, 0]
    dot = d[:-1, 0] * d[1:, 0] + d[:-1, 1] * d[1:, 1]
    keep = np.ones(xy.shape[0], dtype=bool)
    keep[1:-1] = (cross != 0) | (dot <= 0)
    starts = np.cumsum(ring_sizes) - ring_sizes
    keep[starts] = True
    keep[starts + ring_sizes - 1] = True
    ring = np.repeat(np.arange(ring_sizes.size), ring_sizes)
    return xy[keep], ring[keep]
