"""Candidate sites: from a planner's file, or network points every ~150 m in under-served areas."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from carecircle.errors import InputDataError
from carecircle.geo._arrays import expand_ranges
from carecircle.geo.assign import polygon_of_points
from carecircle.geo.crs import to_wgs84
from carecircle.geo.network import WalkNetwork
from carecircle.geo.tables import read_table

CANDIDATE_COLUMNS = ("id", "lon", "lat", "floor_area_m2")


def network_points(network: WalkNetwork, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points along every edge about ``spacing_m`` apart, thinned to one per grid square.

    Parameters
    ----------
    network : WalkNetwork
        The network (metric CRS).
    spacing_m : float
        Spacing along edges and grid size (m).

    Returns
    -------
    x, y : ndarray
        Metric coordinates, on edges, sorted by grid square (deterministic).
    """
    length = network.edge_length
    steps = np.maximum(np.ceil(length / spacing_m).astype(np.int64), 1)
    edge = np.repeat(np.arange(length.size), steps)
    frac = (expand_ranges(np.zeros(length.size, dtype=np.int64), steps) + 0.5) / np.repeat(
        steps, steps
    )
    u, v = network.edge_u[edge], network.edge_v[edge]
    x = network.x[u] + frac * (network.x[v] - network.x[u])
    y = network.y[u] + frac * (network.y[v] - network.y[u])
    gx, gy = np.floor(x / spacing_m), np.floor(y / spacing_m)
    cx, cy = (gx + 0.5) * spacing_m, (gy + 0.5) * spacing_m
    order = np.lexsort((np.hypot(x - cx, y - cy), gy, gx))
    keys = np.stack([gx[order], gy[order]], axis=1)
    first = np.ones(order.size, dtype=bool)
    first[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    return x[order][first], y[order][first]


def auto_candidates(
    network: WalkNetwork,
    communities: gpd.GeoDataFrame,
    codes: list[str],
    *,
    spacing_m: float = 150.0,
    exclude: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Candidate sites on the walking network inside the given communities.

    Parameters
    ----------
    network : WalkNetwork
        The network.
    communities : GeoDataFrame
        Community polygons (EPSG:4326).
    codes : list of str
        Communities to place candidates in (the under-served ones).
    spacing_m : float, default 150
        About one candidate per ``spacing_m`` square.
    exclude : GeoDataFrame, optional
        Polygons where no site may go (water, parks, protected land).

    Returns
    -------
    DataFrame
        ``id, lon, lat`` (WGS84) and ``floor_area_m2`` (NaN: use the default).
    """
    x, y = network_points(network, spacing_m)
    lon, lat = Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True).transform(x, y)
    lon, lat = np.asarray(lon), np.asarray(lat)
    target = communities[communities["code"].isin(codes)]
    inside = polygon_of_points(lon, lat, target.reset_index(drop=True)) >= 0
    if exclude is not None and len(exclude):
        tree = shapely.STRtree(exclude.to_crs(4326).geometry.values)
        hit, _ = tree.query(shapely.points(lon, lat), predicate="intersects")
        inside[np.unique(hit)] = False
    keep = np.flatnonzero(inside)
    return pd.DataFrame(
        {
            "id": [f"C{i + 1:05d}" for i in range(keep.size)],
            "lon": lon[keep],
            "lat": lat[keep],
            "floor_area_m2": np.nan,
        }
    )


def read_candidates(path: Path, crs: str = "EPSG:4326") -> pd.DataFrame:
    """Read a candidate-site table (``id, lon, lat`` and optional ``floor_area_m2``).

    Parameters
    ----------
    path : Path
        CSV/XLSX/GeoJSON/GPKG.
    crs : str, default "EPSG:4326"
        Coordinate system of lon/lat (EPSG:4326, GCJ-02 or BD-09).

    Returns
    -------
    DataFrame
        ``id, lon, lat, floor_area_m2`` in WGS84.

    Raises
    ------
    InputDataError
        For missing columns or non-numeric values.
    """
    df = read_table(path)
    if isinstance(df, gpd.GeoDataFrame) and "lon" not in df.columns:
        pts = df.to_crs(4326).geometry
        df = pd.DataFrame(df.drop(columns="geometry")).assign(lon=pts.x, lat=pts.y)
    for col in ("lon", "lat"):
        if col not in df.columns:
            raise InputDataError(
                f"{path}: column '{col}' is missing; candidate sites need "
                "id, lon, lat (and optionally floor_area_m2)"
            )
    if len(df) == 0:
        raise InputDataError(f"{path}: no candidate sites in the file")
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy()
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy()
    bad = np.isnan(lon) | np.isnan(lat)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(f"{path}: row {i + 2} has no valid lon/lat; give decimal degrees")
    lon, lat = to_wgs84(lon, lat, crs)
    ids = (
        df["id"].astype(str).to_numpy()
        if "id" in df.columns
        else np.array([f"C{i + 1:05d}" for i in range(len(df))])
    )
    area = (
        pd.to_numeric(df["floor_area_m2"], errors="coerce").to_numpy()
        if "floor_area_m2" in df.columns
        else np.full(len(df), np.nan)
    )
    return pd.DataFrame({"id": ids, "lon": lon, "lat": lat, "floor_area_m2": area})
