"""Assign points and population cells to the polygons (communities, streets) they fall in."""

from __future__ import annotations

from typing import cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from carecircle.geo.box_index import BoxIndex

IntArray = npt.NDArray[np.int64]


MIN_INSIDE_SHARE = 0.5


def polygon_of_points(
    lon: npt.ArrayLike, lat: npt.ArrayLike, polygons: gpd.GeoDataFrame
) -> IntArray:
    """Return the position of the polygon each point falls in (first match), or -1.

    Points on a shared boundary go to the first polygon in file order, so every point is
    counted once.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees.
    polygons : GeoDataFrame
        Polygons in EPSG:4326.

    Returns
    -------
    ndarray of int64
        Row position in ``polygons``, -1 outside all.
    """
    x, y = np.asarray(lon, dtype=float).ravel(), np.asarray(lat, dtype=float).ravel()
    geoms = np.asarray(polygons.geometry.array, dtype=object)
    # candidates by bounding box, then each tested against its prepared polygon (by
    # coordinates: no point geometry is built, the costliest step for a million cells)
    p_idx, g_idx = _box_candidates(x, y, geoms)
    shapely.prepare(geoms)
    hit = shapely.intersects_xy(geoms[g_idx], x[p_idx], y[p_idx])
    p_idx, g_idx = p_idx[hit], g_idx[hit]
    out = np.full(x.size, -1, dtype=np.int64)
    order = np.lexsort((g_idx, p_idx))
    p_idx, g_idx = p_idx[order], g_idx[order]
    first = np.ones(p_idx.size, dtype=bool)
    first[1:] = p_idx[1:] != p_idx[:-1]
    out[p_idx[first]] = g_idx[first]
    return out


#: Up to this many polygons, candidates come from a grid index of the points (one box query
#: per polygon); beyond, from an STRtree of the polygons (one query per point).
MAX_POLYGON_QUERIES = 20_000


def _box_candidates(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], geoms: npt.NDArray[np.object_]
) -> tuple[IntArray, IntArray]:
    """Return (point, polygon) pairs whose bounding boxes meet (boundaries included)."""
    if geoms.size > MAX_POLYGON_QUERIES:
        points = cast(npt.NDArray[np.object_], shapely.points(x, y))
        p_idx, g_idx = shapely.STRtree(geoms).query(points)
        return p_idx.astype(np.int64), g_idx.astype(np.int64)
    index = BoxIndex(x, y)
    found = [index.inside(x0, x1, y0, y1) for x0, y0, x1, y1 in shapely.bounds(geoms)]
    sizes = np.array([f.size for f in found], dtype=np.int64)
    p_idx = np.concatenate(found) if found else np.empty(0, dtype=np.int64)
    return p_idx, np.repeat(np.arange(geoms.size, dtype=np.int64), sizes)


def polygon_of_cells(
    centre_lon: npt.ArrayLike,
    centre_lat: npt.ArrayLike,
    squares: npt.NDArray[np.object_],
    polygons: gpd.GeoDataFrame,
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Assign population cells to polygons: by centre, else by the largest overlap.

    A cell whose centre lies outside every polygon is assigned by overlap only when at least
    ``MIN_INSIDE_SHARE`` of its square lies inside the polygons together (a centre in a
    sliver between neighbours); border cells mostly outside the study area stay outside.

    Parameters
    ----------
    centre_lon, centre_lat : array_like
        Cell centres, WGS84.
    squares : ndarray of shapely Polygons
        The cells' squares in EPSG:4326.
    polygons : GeoDataFrame
        Polygons in EPSG:4326.

    Returns
    -------
    index : ndarray of int64
        Row position in ``polygons``, -1 for cells that touch none.
    by_overlap : ndarray of bool
        True for cells whose centre lay outside every polygon but whose square lies mostly
        inside them.
    """
    index = polygon_of_points(centre_lon, centre_lat, polygons)
    by_overlap = np.zeros(index.size, dtype=bool)
    missing = np.flatnonzero(index < 0)
    if missing.size == 0:
        return index, by_overlap
    tree = shapely.STRtree(np.asarray(polygons.geometry.array, dtype=object))
    c_idx, g_idx = tree.query(squares[missing], predicate="intersects")
    if c_idx.size == 0:
        return index, by_overlap
    area = shapely.area(
        shapely.intersection(squares[missing][c_idx], polygons.geometry.array[g_idx])
    )
    order = np.lexsort((-area, c_idx))
    c_idx, g_idx, area = c_idx[order], g_idx[order], area[order]
    first = np.ones(c_idx.size, dtype=bool)
    first[1:] = c_idx[1:] != c_idx[:-1]
    # a cell counts only when most of its square lies inside the polygons (e.g. its centre
    # fell into a sliver between two of them); a border cell mostly outside stays outside
    inside_share = np.bincount(c_idx, weights=area, minlength=missing.size) / np.maximum(
        shapely.area(squares[missing]), 1e-30
    )
    keep = first & (area > 0) & (inside_share[c_idx] >= MIN_INSIDE_SHARE)
    index[missing[c_idx[keep]]] = g_idx[keep]
    by_overlap[missing[c_idx[keep]]] = True
    return index, by_overlap
