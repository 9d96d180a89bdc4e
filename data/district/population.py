"""WorldPop-like population rasters of the demo district (EPSG:4326, 3″ cells, nodata −1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer

from carecircle.data.district.layout import (
    COMPOUND,
    OPEN,
    OTHER,
    RURAL_W,
    URBAN_H,
    URBAN_W,
    Layout,
)

CELL_DEG = 1.0 / 1200.0
#: persons per hectare by block kind (inside the block, 30 m off the arterial centrelines)
DENSITY = {COMPOUND: 250.0, OPEN: 150.0, OTHER: 20.0}


def raster_grid(to_lonlat: Transformer) -> tuple[float, float, int, int]:
    """Origin (west, north) and shape of a grid aligned to 3″ that covers the district."""
    lon, lat = to_lonlat.transform(
        [0.0, URBAN_W + RURAL_W, 0.0, URBAN_W + RURAL_W], [0.0, 0.0, URBAN_H, URBAN_H]
    )
    west = np.floor(min(lon) / CELL_DEG) * CELL_DEG
    north = np.ceil(max(lat) / CELL_DEG) * CELL_DEG
    cols = int(np.ceil((max(lon) - west) / CELL_DEG))
    rows = int(np.ceil((north - min(lat)) / CELL_DEG))
    return float(west), float(north), rows, cols


def _urban_density(lay: Layout, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    i = np.clip(np.searchsorted(lay.xs, x, side="right") - 1, 0, len(lay.xs) - 2)
    j = np.clip(np.searchsorted(lay.ys, y, side="right") - 1, 0, len(lay.ys) - 2)
    per_block = np.zeros(lay.kinds.shape)
    for kind, value in DENSITY.items():
        per_block[lay.kinds == kind] = value
    dens = per_block[i, j]
    inset = (
        (x - lay.xs[i] > 30)
        & (lay.xs[i + 1] - x > 30)
        & (y - lay.ys[j] > 30)
        & (lay.ys[j + 1] - y > 30)
    )
    return np.where(inset, dens, 0.0)


def _rural_density(lay: Layout, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    dens = np.full(x.shape, 0.5)  # farmland: scattered houses
    for tx, ty in lay.town_centres.values():
        dens = np.where((np.abs(x - tx) < 450) & (np.abs(y - ty) < 450), 70.0, dens)
    for points in lay.villages.values():
        for vx, vy in points:
            dens = np.where((np.abs(x - vx) < 150) & (np.abs(y - vy) < 150), 45.0, dens)
    return dens


def population(
    lay: Layout, rng: np.random.Generator, to_lonlat: Transformer, to_local: Transformer
) -> tuple[np.ndarray, np.ndarray, Affine]:
    """Residents and older residents per 3″ cell, and the raster transform.

    Cells outside the district are nodata (−1); river, parks and roads hold no one; the older
    share follows the community of the cell centre (18–30 %) with a little noise.

    Parameters
    ----------
    lay : Layout
        The district's layout.
    rng : np.random.Generator
        Random generator (seeded).
    to_lonlat : Transformer
        The district's metres to lon/lat.
    to_local : Transformer
        Lon/lat to the district's metres.
    """
    west, north, rows, cols = raster_grid(to_lonlat)
    transform = Affine(CELL_DEG, 0.0, west, 0.0, -CELL_DEG, north)
    cc, rr = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    lon, lat = west + cc * CELL_DEG, north - rr * CELL_DEG
    x, y = to_local.transform(lon.ravel(), lat.ravel())
    x, y = np.asarray(x), np.asarray(y)
    inside = (x >= 0) & (x < URBAN_W + RURAL_W) & (y >= 0) & (y < URBAN_H)
    urban = inside & (x < URBAN_W)
    dens = np.where(urban, _urban_density(lay, x, y), _rural_density(lay, x, y))
    ha = (CELL_DEG * 111_320.0 * np.cos(np.radians(lat.ravel()))) * (CELL_DEG * 110_574.0) / 1e4
    noise = rng.lognormal(0.0, 0.15, x.size)
    residents = np.where(inside, dens * ha * noise, -1.0)
    polys = [c.polygon for c in lay.communities]
    tree = shapely.STRtree(polys)
    pts = shapely.points(x, y)
    p_idx, c_idx = tree.query(pts, predicate="intersects")
    share = np.full(x.size, 0.22)
    order = np.argsort(p_idx, kind="stable")
    first = np.unique(p_idx[order], return_index=True)[1]
    shares = np.array([lay.older_share[c.code] for c in lay.communities])
    share[p_idx[order][first]] = shares[c_idx[order][first]]
    older_share = np.clip(share * rng.normal(1.0, 0.05, x.size), 0.1, 0.45)
    older = np.where(inside, residents * older_share, -1.0)
    return (
        residents.reshape(rows, cols).astype(np.float32),
        older.reshape(rows, cols).astype(np.float32),
        transform,
    )


def write_raster(path: Path, data: np.ndarray, transform: Affine) -> None:
    """Write a float32 GeoTIFF in EPSG:4326 with nodata −1.

    Parameters
    ----------
    path : Path
        The file.
    data : np.ndarray
        The values to write.
    transform : Affine
        The raster's affine transform.
    """
    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": "float32",
        "nodata": -1.0,
        "crs": "EPSG:4326",
        "transform": transform,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
