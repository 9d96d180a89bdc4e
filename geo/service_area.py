"""Service-area polygons for maps: reached street segments, cut and buffered (no hulls)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import Snapped

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


def service_area_polygon(
    segments: FloatArray, *, buffer_m: float = 40.0, simplify_m: float = 5.0
) -> BaseGeometry:
    """Buffer reached segments and dissolve them into one (multi)polygon.

    Parameters
    ----------
    segments : ndarray of shape (m, 2, 2)
        From :func:`reached_segments` (m).
    buffer_m : float, default 40
        Half-width of the band drawn along each reached street (m).
    simplify_m : float, default 5
        Simplification tolerance of the result (m).

    Returns
    -------
    shapely geometry
        The service area in the network's CRS; empty when nothing is reached.
    """
    if segments.shape[0] == 0:
        return shapely.Polygon()
    lines = shapely.multilinestrings(shapely.linestrings(segments))
    area = shapely.buffer(lines, buffer_m, quad_segs=2)
    return shapely.simplify(area, simplify_m)
