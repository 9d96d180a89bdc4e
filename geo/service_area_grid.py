"""The pixel grid of service areas: square cells in the network's CRS, fine within a budget."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rasterio import Affine

Bounds = tuple[float, float, float, float]


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


def grid_for(
    bounds: Bounds,
    *,
    buffer_m: float = BUFFER_M,
    max_pixels: float = 6e6,
    cell_m: float | None = None,
) -> AreaGrid:
    """Return the grid for service areas over ``bounds``: fine, within a pixel budget.

    Parameters
    ----------
    bounds : tuple of float
        Area of the network (m).
    buffer_m : float, default 40
        Half-width of the band; the pixels are never coarser than ``buffer_m / 2.5``.
    max_pixels : float, default 6e6
        Pixel budget: the cell grows from 10 m until the grid fits (up to ``buffer_m / 2.5``).
    cell_m : float, optional
        This pixel size instead (m).

    Returns
    -------
    AreaGrid
        The grid, with a margin of the band's width around ``bounds``.
    """
    minx, miny, maxx, maxy = bounds
    pad = 2.0 * buffer_m
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    extent = max(box[2] - box[0], 1.0) * max(box[3] - box[1], 1.0)
    if cell_m is None:
        fine = max(MIN_CELL_M, math.sqrt(extent / max_pixels))
        cell_m = min(fine, buffer_m / MIN_CELLS_PER_BUFFER)
    return AreaGrid.covering(box, cell_m)
