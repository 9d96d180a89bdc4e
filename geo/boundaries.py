"""Street/town and community/village polygons: validation, repair, WGS84."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from carecircle._inputs import clean_name
from carecircle._validate import closest, missing_column
from carecircle.errors import InputDataError, InputFileError
from carecircle.geo.community_points import (
    POINTS,
    POLYGONS,
    STREETS,
    communities_from_points,
    communities_from_streets,
)
from carecircle.geo.crs import to_wgs84
from carecircle.geo.tables import read_table, read_table_rows
from carecircle.sources import Source
from carecircle.vocabulary import COMMUNITY_KINDS, KIND_ALIASES

log = logging.getLogger(__name__)


def _read_polygons(
    path: Source, columns: tuple[str, ...], what: str, datum: str
) -> gpd.GeoDataFrame:
    df = read_table(path)
    if not isinstance(df, gpd.GeoDataFrame):
        raise InputFileError(
            f"{path}: {what} must be polygons in a GeoPackage, GeoJSON or "
            "Shapefile, not a plain table"
        )
    if len(df) == 0:
        raise InputDataError(f"{path}: no {what} polygons in the file")
    if df.crs is None:
        raise InputDataError(
            f"{path}: the layer has no CRS; assign it in QGIS "
            "(Layer ▸ Set CRS, usually EPSG:4326) and save again"
        )
    present = [str(c) for c in df.columns if c != "geometry"]
    for col in columns:
        if col not in df.columns:
            raise InputDataError(missing_column(path, col, present, what))
    kinds = df.geometry.geom_type.fillna("None")
    bad = ~kinds.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"{path}: feature {i + 1} ({df[columns[0]].iloc[i]}) is {kinds.iloc[i]}, not a polygon"
        )
    empty = df.geometry.is_empty.to_numpy()
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        more = f" ({int(empty.sum())} such features)" if empty.sum() > 1 else ""
        raise InputDataError(
            f"{path}: feature {i + 1} ({df[columns[0]].iloc[i]}) has an empty polygon{more}; "
            "draw its boundary or delete the feature"
        )
    out = df[[*columns, "geometry"]].copy()
    for col in columns:
        out[col] = out[col].astype(str).map(clean_name)
    dup = out["code"].duplicated()
    if dup.any():
        raise InputDataError(
            f"{path}: code '{out['code'][dup].iloc[0]}' is used twice; {what} codes must be unique"
        )
    invalid = ~shapely.is_valid(out.geometry.values)
    if invalid.any():
        log.warning(
            "%s: %d invalid polygons repaired with make_valid: %s",
            path,
            int(invalid.sum()),
            ", ".join(out["code"][invalid].head(5)),
        )
        geoms = np.asarray(out.geometry.array, dtype=object)
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return from_datum(out.to_crs("EPSG:4326"), datum)


def from_datum(frame: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Convert EPSG:4326 geometries whose lon/lat are really GCJ-02 or BD-09 to WGS84.

    Parameters
    ----------
    frame : GeoDataFrame
        Geometries in EPSG:4326.
    datum : str
        ``EPSG:4326`` (nothing to do), ``GCJ-02`` or ``BD-09``.

    Returns
    -------
    GeoDataFrame
        The same rows with every vertex converted.
    """
    if datum == "EPSG:4326":
        return frame

    def convert(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], datum))

    return frame.set_geometry(shapely.transform(frame.geometry.values, convert), crs="EPSG:4326")


def read_streets(path: Source, *, datum: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Read street/town polygons with columns ``code, name``.

    Parameters
    ----------
    path : Path or DbSource
        GeoPackage, GeoJSON or Shapefile with a CRS, or a PostGIS table.
    datum : str, default "EPSG:4326"
        ``GCJ-02`` or ``BD-09`` when the polygons were drawn on Amap or Baidu maps.

    Returns
    -------
    GeoDataFrame
        ``code, name, geometry`` in EPSG:4326.

    Raises
    ------
    InputDataError
        For missing columns, no CRS, non-polygons or duplicate codes.
    """
    return _read_polygons(path, ("code", "name"), "streets/towns", datum)


def read_communities(
    path: Source, streets: gpd.GeoDataFrame, *, datum: str = "EPSG:4326"
) -> gpd.GeoDataFrame:
    """Read community/village polygons with columns ``code, name, street, kind``.

    Parameters
    ----------
    path : Path or DbSource
        GeoPackage, GeoJSON or Shapefile with a CRS, or a PostGIS table.
    streets : GeoDataFrame
        The streets, to check each community's ``street`` code.
    datum : str, default "EPSG:4326"
        ``GCJ-02`` or ``BD-09`` when the polygons were drawn on Amap or Baidu maps.

    Returns
    -------
    GeoDataFrame
        ``code, name, street, kind, geometry`` in EPSG:4326.

    Raises
    ------
    InputDataError
        For missing columns, unknown street codes or kinds.
    """
    com = _read_polygons(path, ("code", "name", "street", "kind"), "communities/villages", datum)
    known = set(streets["code"])
    unknown = ~com["street"].isin(known)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputDataError(
            f"{path}: community {com['code'].iloc[i]} names street "
            f"'{com['street'].iloc[i]}'{closest(com['street'].iloc[i], known)}, "
            "which is not in the streets file; fix the street code"
        )
    kind = com["kind"].str.lower().map(lambda k: KIND_ALIASES.get(k, k))
    bad = ~kind.isin(list(COMMUNITY_KINDS))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"{path}: community {com['code'].iloc[i]} has kind "
            f"'{com['kind'].iloc[i]}'; allowed: urban (社区), rural (村)"
        )
    com["kind"] = kind
    return com


def _holds_points(path: Path) -> bool:
    """Tell a plain table (coordinates in columns) or a point layer, by the file's header."""
    if path.suffix.lower() in (".csv", ".txt", ".xlsx", ".xls"):
        return True
    try:
        import pyogrio

        kind = str(pyogrio.read_info(path).get("geometry_type") or "")
    except Exception:  # noqa: BLE001 - unreadable: the polygon reader words the error
        return False
    return kind.lstrip("3D ").startswith(("Point", "MultiPoint"))


def _point_table(df: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """Check and clean a community points table's ``code, name`` (and ``street, kind``)."""
    present = [str(c) for c in df.columns if c != "geometry"]
    for col in ("code", "name"):
        if col not in df.columns:
            raise InputDataError(missing_column(path, col, present, "community points"))
    df = df.reset_index(drop=True).copy()
    for col in ("code", "name", "street"):
        if col in df.columns:
            df[col] = df[col].astype(str).map(clean_name)
    dup = df["code"].duplicated()
    if dup.any():
        raise InputDataError(
            f"{path}: code '{df['code'][dup].iloc[0]}' is used twice; community codes must be "
            "unique"
        )
    if "kind" in df.columns:
        kind = df["kind"].astype(str).str.strip().str.lower().map(lambda k: KIND_ALIASES.get(k, k))
        bad = ~kind.isin(list(COMMUNITY_KINDS))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputDataError(
                f"{path}: community {df['code'].iloc[i]} has kind "
                f"'{df['kind'].iloc[i]}'; allowed: urban (社区), rural (村)"
            )
        df["kind"] = kind
    return df


def read_community_layer(
    path: Source | None, streets: gpd.GeoDataFrame, *, datum: str = "EPSG:4326"
) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """Read the communities as they exist: polygons, points (居委会), or none at all.

    Parameters
    ----------
    path : Path, DbSource or None
        Community polygons; a point layer or a table with lon/lat (``code, name``, optional
        ``street, kind``); None when the study gives no communities.
    streets : GeoDataFrame
        The streets (``read_streets``).
    datum : str, default "EPSG:4326"
        ``GCJ-02`` or ``BD-09`` when drawn on Amap or Baidu maps.

    Returns
    -------
    tuple
        ``code, name, street, kind, geometry`` in EPSG:4326; the mode (``polygons``,
        ``points``: Voronoi partition of each street, approximate; ``streets``: one
        community per street); the warnings to record.
    """
    if path is None:
        return communities_from_streets(streets), STREETS, []
    if isinstance(path, Path) and path.is_file() and _holds_points(path):
        df, rows = read_table_rows(path)
        if len(df) == 0:
            raise InputDataError(f"{path}: no community points in the file")
        frame, warnings = communities_from_points(
            _point_table(df, path), streets, path, datum=datum, rows=rows
        )
        return frame, POINTS, warnings
    return read_communities(path, streets, datum=datum), POLYGONS, []
