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

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from carecircle.geo.network import WalkNetwork
from carecircle.geo.service_area_grid import (
    BUFFER_M,
    MIN_CELL_M,
    MIN_CELLS_PER_BUFFER,
    AreaGrid,
    Bounds,
    grid_for,
)
from carecircle.geo.service_area_raster import (
    SIMPLIFY_M,
    SIMPLIFY_PX,
    TILE_PX,
    disc_dilation,
    mask_pieces,
    reached_mask,
)
from carecircle.geo.snap import Snapped

__all__ = [
    "BUFFER_M",
    "MIN_CELLS_PER_BUFFER",
    "MIN_CELL_M",
    "SIMPLIFY_M",
    "SIMPLIFY_PX",
    "TILE_PX",
    "AreaGrid",
    "band_pieces",
    "disc_dilation",
    "grid_for",
    "mask_pieces",
    "mask_polygon",
    "reached_mask",
    "reached_segments",
    "service_area_polygon",
]

FloatArray = npt.NDArray[np.float64]


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
    rem_u = radius_m - node_distance[u]
    rem_v = radius_m - node_distance[v]
    whole = (
        (rem_u >= length)
        | (rem_v >= length)
        | ((rem_u > 0) & (rem_v > 0) & (rem_u + rem_v >= length))
    )
    part_u = np.flatnonzero(~whole & (rem_u > 0))
    part_v = np.flatnonzero(~whole & (rem_v > 0))
    full = np.flatnonzero(whole)
    x, y = network.x, network.y
    safe = np.where(length > 0, length, 1.0)
    lu, lv = length[part_u], length[part_v]
    pieces = [
        _stretch(x, y, u[full], v[full], 0.0, 1.0),
        _stretch(
            x,
            y,
            u[part_u],
            v[part_u],
            0.0,
            np.where(lu > 0, np.clip(rem_u[part_u], 0.0, lu) / safe[part_u], 1.0),
        ),
        _stretch(
            x,
            y,
            u[part_v],
            v[part_v],
            np.where(lv > 0, 1.0 - np.clip(rem_v[part_v], 0.0, lv) / safe[part_v], 0.0),
            1.0,
        ),
    ]
    if sources is not None and sources.ok.any():
        ok = sources.ok & (radius_m - sources.distance > 0)
        e = sources.edge[ok]
        left = radius_m - sources.distance[ok]
        reach = np.where(length[e] > 0, left / np.maximum(length[e], 1e-9), 1.0)
        t = sources.t[ok]
        pieces.append(
            _stretch(x, y, u[e], v[e], np.clip(t - reach, 0, 1), np.clip(t + reach, 0, 1))
        )
    return np.concatenate(pieces, axis=0)


def _stretch(
    x: FloatArray,
    y: FloatArray,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    t0: FloatArray | float,
    t1: FloatArray | float,
) -> FloatArray:
    """Return the segments from t0 to t1 along the edges from node ``a`` to node ``b``."""
    out = np.empty((a.size, 2, 2))
    ax, ay = x[a], y[a]
    dx, dy = x[b] - ax, y[b] - ay
    out[:, 0, 0], out[:, 0, 1] = ax + t0 * dx, ay + t0 * dy
    out[:, 1, 0], out[:, 1, 1] = ax + t1 * dx, ay + t1 * dy
    return out


def mask_polygon(
    mask: npt.NDArray[np.bool_],
    grid: AreaGrid,
    *,
    bounds: Bounds | None = None,
    simplify_m: float | None = None,
) -> BaseGeometry:
    """Return :func:`mask_pieces` (same parameters) merged into one (multi)polygon.

    Empty when nothing is reached there.

    Parameters
    ----------
    mask : ndarray of bool
        The reached pixels, from :func:`reached_mask`.
    grid : AreaGrid
        The mask's grid.
    bounds : tuple of float, optional
        Only the pixels covering this box ``(minx, miny, maxx, maxy)`` (m, the grid's CRS),
        e.g. a street and its margin; None for the whole grid.
    simplify_m : float, optional
        Douglas-Peucker tolerance (m) of the outline (display only); default
        ``SIMPLIFY_PX`` pixels (``SIMPLIFY_M`` on the finest grid).
    """
    pieces = mask_pieces(mask, grid, bounds=bounds, simplify_m=simplify_m)
    if pieces.size == 0:
        return shapely.Polygon()
    return shapely.union_all(pieces)


def service_area_polygon(
    segments: FloatArray,
    *,
    buffer_m: float = BUFFER_M,
    simplify_m: float | None = None,
    cell_m: float | None = None,
) -> BaseGeometry:
    """Return the band of ``buffer_m`` along the reached stretches as one (multi)polygon.

    Parameters
    ----------
    segments : ndarray of shape (m, 2, 2)
        From :func:`reached_segments` (m).
    buffer_m : float, default 40
        Half-width of the band drawn along each reached street (m).
    simplify_m : float, optional
        Simplification tolerance of the result (m); default ``SIMPLIFY_PX`` pixels.
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
    grid = grid_for(bounds, buffer_m=buffer_m, cell_m=cell_m)
    mask = reached_mask(segments, grid, buffer_m=buffer_m)
    return mask_polygon(mask, grid, simplify_m=simplify_m)


def band_pieces(
    segments: FloatArray,
    grid: AreaGrid,
    *,
    buffer_m: float = BUFFER_M,
    simplify_m: float | None = None,
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
    simplify_m : float, optional
        Simplification tolerance (m); default ``SIMPLIFY_PX`` pixels.

    Returns
    -------
    ndarray of shapely geometries
        Non-overlapping pieces whose union is the band (see :func:`mask_pieces`).
    """
    mask = reached_mask(segments, grid, buffer_m=buffer_m)
    return mask_pieces(mask, grid, simplify_m=simplify_m)
