"""Where a facility table puts its points: lon/lat columns, x/y metres or a point layer."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircle.errors import InputDataError
from carecircle.geo.crs import is_projected
from carecircle.geo.tables import Rows
from carecircle.sources import Source
from carecircle.text import counted

log = logging.getLogger(__name__)

#: Headers of x (easting) and y (northing) columns in metres, lower case.
X_NAMES = ("x", "x坐标", "横坐标", "东坐标", "easting")
Y_NAMES = ("y", "y坐标", "纵坐标", "北坐标", "northing")


def has_point_geometry(df: pd.DataFrame) -> bool:
    """Return True for a spatial layer with geometry (its points, in its CRS, are the places)."""
    if not isinstance(df, gpd.GeoDataFrame):
        return False
    try:
        return bool(df.geometry.notna().any())
    except AttributeError:  # a GeoDataFrame without an active geometry column
        return False


def uses_geometry(df: pd.DataFrame) -> bool:
    """Return True when the points are a layer's geometry rather than lon/lat columns."""
    return has_point_geometry(df) and "lon" not in df.columns


def facility_coordinates(
    df: pd.DataFrame, path: Source, crs: str, rows: Rows
) -> tuple[np.ndarray, np.ndarray]:
    """Return lon/lat as given (columns or point geometry), refusing blanks, metres and swaps.

    Parameters
    ----------
    df : DataFrame
        The facility table (columns ``lon``, ``lat`` or a point geometry).
    path : Path or DbSource
        The table, for messages.
    crs : str
        The coordinate system of the values (``facilities_crs``).
    rows : Rows
        File row numbers of the table's rows, for messages.

    Returns
    -------
    tuple of ndarray
        Longitude and latitude (or x/y metres of a projected ``crs``).
    """
    if uses_geometry(df):
        if df.crs is None:
            raise InputDataError(f"{path}: the layer has no CRS; save it with EPSG:4326")
        geom = df.geometry
        if not geom.geom_type.eq("Point").all():
            i = int(np.flatnonzero(~geom.geom_type.eq("Point").to_numpy())[0])
            raise InputDataError(
                f"{path}: {rows.one(i)} is a {geom.geom_type.iloc[i]}, not a "
                "point; facilities must be points"
            )
        geom = geom if crs in ("GCJ-02", "BD-09") else geom.to_crs("EPSG:4326")
        return geom.x.to_numpy(), geom.y.to_numpy()
    lon = pd.to_numeric(df["lon"].astype(str).str.strip(), errors="coerce").to_numpy()
    lat = pd.to_numeric(df["lat"].astype(str).str.strip(), errors="coerce").to_numpy()
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if is_projected(crs):
        return _metres(df, path, crs, rows, (lon, lat, bad))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        given = f"'{df['lon'].iloc[i]}', '{df['lat'].iloc[i]}'"
        where = (
            f"{rows.one(i)} has no valid lon/lat ({given})"
            if bad.sum() == 1
            else f"{int(bad.sum())} {rows.word}s have no valid lon/lat: {rows.some(bad)} "
            f"({rows.one(i)}: {given})"
        )
        raise InputDataError(f"{path}: {where}; give decimal degrees, e.g. 118.78, 32.04")
    out = (lon < -180) | (lon > 180) | (lat < -90) | (lat > 90)
    swapped = out & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    if swapped.any():
        i = int(np.flatnonzero(swapped)[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} lon/lat ({lon[i]}, {lat[i]}) look swapped: "
            f"latitude cannot be {lat[i]}; put longitude in lon and latitude "
            f"in lat ({counted(int(swapped.sum()), 'such row')})"
        )
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} lon/lat ({lon[i]}, {lat[i]}) are not "
            "degrees; give longitude then latitude in decimal degrees"
            + (f" ({counted(int(out.sum()), 'such row')})" if out.sum() > 1 else "")
        )
    return lon, lat


def _metres(
    df: pd.DataFrame, path: Source, crs: str, rows: Rows, xy: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """X/y of a projected ``facilities_crs``, refusing blanks and values that are degrees."""
    x, y, bad = xy
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} has no valid x/y ('{df['lon'].iloc[i]}', "
            f"'{df['lat'].iloc[i]}'); give x/y in metres of {crs}"
            + (f" ({counted(int(bad.sum()), 'such row')})" if bad.sum() > 1 else "")
        )
    degrees = (np.abs(x) <= 180) & (np.abs(y) <= 90)
    if degrees.all():
        raise InputDataError(
            f"{path}: coordinates look like degrees (e.g. {rows.one(0)}: {x[0]}, {y[0]}), "
            f'not x/y metres of facilities_crs = {crs}; set facilities_crs = "EPSG:4326" '
            "(or EPSG:4490) for lon/lat"
        )
    return x, y


def xy_columns(df: pd.DataFrame, path: Source, crs: str) -> pd.DataFrame:
    """Read columns x/y (metres) as the coordinates of a projected ``facilities_crs``.

    Parameters
    ----------
    df : DataFrame
        The facility table.
    path : Path or DbSource
        The table, for messages.
    crs : str
        The coordinate system of the values; unchanged ``df`` unless it is projected.

    Returns
    -------
    DataFrame
        ``df`` with the x/y columns named ``lon``/``lat``.
    """
    if not is_projected(crs) or uses_geometry(df) or {"lon", "lat"} <= set(df.columns):
        return df
    by_key = {str(c).strip().lower(): c for c in df.columns}
    x = next((by_key[k] for k in X_NAMES if k in by_key), None)
    y = next((by_key[k] for k in Y_NAMES if k in by_key), None)
    if x is None or y is None:
        raise InputDataError(
            f"{path}: facilities_crs = {crs} is a projected CRS: give the coordinates in "
            f"columns x and y (metres); the file has {', '.join(map(str, df.columns))}"
        )
    log.info("%s: columns %s, %s read as x/y metres of %s", path, x, y, crs)
    return df.rename(columns={x: "lon", y: "lat"})
