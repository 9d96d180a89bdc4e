"""Communities when no community polygons exist: points (居委会) partitioned, or the streets.

Two ways a study without community polygons still audits:

- :func:`communities_from_points`: community offices (居委会) given as points become
  polygons by partitioning each street among its points (Voronoi cells clipped to the
  street, in metres). The polygons are **approximate** and every output says so.
- :func:`communities_from_streets`: no communities at all; each street stands for one
  community, so every cell is placed in a street and every indicator is reported per street.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from carecircle.errors import InputDataError
from carecircle.geo.assign import polygon_of_points
from carecircle.geo.crs import to_wgs84, utm_crs
from carecircle.geo.tables import Rows, counted_rows
from carecircle.text import counted, verb

log = logging.getLogger(__name__)

#: How the communities of a study were given (``Audit.boundary_mode``).
POLYGONS, POINTS, STREETS = "polygons", "points", "streets"

#: Shown wherever the communities are approximate or absent (tables, legends, report).
NOTES = {
    POLYGONS: "",
    POINTS: (
        "社区边界为近似（由居委会点按街道泰森多边形划分）"
        " community boundaries approximate (Voronoi of community points within each street)"
    ),
    STREETS: "社区边界未提供 communities not given: every indicator is per street 各指标按街道统计",
}

#: Headers of a points table's coordinates, lower case (the facility tables' words).
_LON = ("lon", "lng", "longitude", "经度", "x")
_LAT = ("lat", "latitude", "纬度", "y")


def communities_from_streets(streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return one community per street: the street's code, name and polygon, kind urban.

    Parameters
    ----------
    streets : GeoDataFrame
        ``code, name, geometry`` (EPSG:4326).

    Returns
    -------
    GeoDataFrame
        ``code, name, street, kind, geometry``; ``street`` equals ``code``.
    """
    return gpd.GeoDataFrame(
        {
            "code": streets["code"].to_numpy(),
            "name": streets["name"].to_numpy(),
            "street": streets["code"].to_numpy(),
            "kind": "urban",
        },
        geometry=streets.geometry.array,
        crs=streets.crs,
    )


def _column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in df.columns}
    return next((lower[n] for n in names if n in lower), None)


def point_coordinates(
    df: pd.DataFrame, path: Path | str, datum: str, rows: Rows | None = None
) -> np.ndarray:
    """Return the WGS84 lon/lat (n × 2) of community points: a point layer or lon/lat columns.

    Parameters
    ----------
    df : DataFrame
        A point layer (GeoDataFrame, any CRS) or a table with lon/lat columns in degrees.
    path : Path or str
        The file, for messages.
    datum : str
        ``EPSG:4326``, ``GCJ-02`` or ``BD-09`` (the study's ``boundaries_crs``).
    rows : Rows, optional
        The file row of each row (:func:`carecircle.geo.tables.read_table_rows`), for
        messages; default counted from 1.

    Returns
    -------
    ndarray
        Longitude, latitude per row.

    Raises
    ------
    InputDataError
        For missing or unreadable coordinates, naming the row.
    """
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.notna().any():
        if df.crs is None:
            raise InputDataError(
                f"{path}: the point layer has no CRS; assign it in QGIS (usually EPSG:4326)"
            )
        kinds = df.geometry.geom_type.fillna("None")
        bad = ~kinds.isin(["Point"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputDataError(
                f"{path}: feature {i + 1} is {kinds.iloc[i]}; community points must all be "
                "points (or all polygons)"
            )
        geo = df.geometry.to_crs(4326)
        xy = np.column_stack([geo.x.to_numpy(), geo.y.to_numpy()])
    else:
        lon_c, lat_c = _column(df, _LON), _column(df, _LAT)
        if lon_c is None or lat_c is None:
            raise InputDataError(
                f"{path}: community points need lon and lat columns (经度, 纬度) in degrees, "
                f"or a point layer; columns are {', '.join(map(str, df.columns))}"
            )
        xy = np.column_stack(
            [
                pd.to_numeric(df[lon_c].astype(str).str.strip(), errors="coerce"),
                pd.to_numeric(df[lat_c].astype(str).str.strip(), errors="coerce"),
            ]
        )
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = (rows if rows is not None else counted_rows(df)).one(i)
        raise InputDataError(
            f"{path}: community {df['code'].iloc[i]} ({where}) has no coordinates; "
            "fill in its lon/lat or delete the row"
        )
    if datum != "EPSG:4326":
        xy = np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], datum))
    return xy


def _street_of_points(
    xy: np.ndarray, codes: np.ndarray, streets: gpd.GeoDataFrame, path: Path | str
) -> np.ndarray:
    """Return the index of the street holding each point; refuse points outside every street."""
    street_of = polygon_of_points(xy[:, 0], xy[:, 1], streets)  # shared edge: first street
    outside = street_of < 0
    if outside.any():
        names = ", ".join(codes[outside][:5]) + (" …" if outside.sum() > 5 else "")
        raise InputDataError(
            f"{path}: {counted(int(outside.sum()), 'community point')} outside every street "
            f"({names}); check their coordinates and boundaries_crs, or the streets file"
        )
    return street_of


def _refuse_shared_points(xy: np.ndarray, codes: np.ndarray, path: Path | str) -> None:
    keys = np.round(xy * 1e7).astype(np.int64)
    _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        j = int(first[np.flatnonzero(counts > 1)[0]])
        same = codes[(keys == keys[j]).all(axis=1)]
        raise InputDataError(
            f"{path}: communities {', '.join(same)} have the same coordinates; give each "
            "community office its own point (a partition needs distinct points)"
        )


def voronoi_partition(
    xy: np.ndarray, street_of: np.ndarray, street_polygons: np.ndarray
) -> np.ndarray:
    """Partition each street among its points: Voronoi cells clipped to the street.

    Coordinates must be metric (planar); a street holding one point is that point's cell.

    Parameters
    ----------
    xy : ndarray
        Point coordinates (n × 2), metres.
    street_of : ndarray
        Index into ``street_polygons`` of each point's street.
    street_polygons : ndarray of shapely geometries
        The streets, metres.

    Returns
    -------
    ndarray of shapely geometries
        One polygon per point, in point order; within a street they tile it.
    """
    order = np.argsort(street_of, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(street_of[order])) + 1)
    present, dense = np.unique(street_of, return_inverse=True)
    multipoints = shapely.multipoints(xy[order], indices=dense[order])
    diagrams = shapely.voronoi_polygons(
        multipoints, extend_to=street_polygons[present], ordered=True
    )
    cells = np.empty(len(xy), dtype=object)
    single = np.bincount(street_of, minlength=len(street_polygons))[street_of] == 1
    for group, diagram in zip(groups, diagrams, strict=True):
        parts = shapely.get_parts(diagram)
        if len(parts) != len(group) and len(group) > 1:  # distinct points: not expected
            raise InputDataError(
                f"the {len(group)} community points of one street could not be partitioned "
                f"({len(parts)} Voronoi cells); check them for near-duplicate points"
            )
        cells[group] = parts if len(parts) == len(group) else None
    cells[single] = street_polygons[street_of[single]]
    out = shapely.intersection(cells, street_polygons[street_of])
    invalid = ~shapely.is_valid(out)
    out[invalid] = shapely.make_valid(out[invalid])
    return out


def communities_from_points(
    df: pd.DataFrame,
    streets: gpd.GeoDataFrame,
    path: Path | str,
    *,
    datum: str = "EPSG:4326",
    rows: Rows | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Return community polygons partitioning each street among its community points.

    A point's street is the street it lies in (a ``street`` column naming another street
    is reported in the warnings); a street with no point becomes one community of its own
    (code ``<street>-all``), so every cell of the street is still counted.

    Parameters
    ----------
    df : DataFrame
        ``code, name`` (and optionally ``street``, ``kind``) with a point geometry or
        lon/lat columns; codes cleaned and unique.
    streets : GeoDataFrame
        ``code, name, geometry`` (EPSG:4326).
    path : Path or str
        The file, for messages.
    datum : str, default "EPSG:4326"
        ``GCJ-02`` or ``BD-09`` for points taken from Amap or Baidu maps.
    rows : Rows, optional
        The file row of each point, for messages; default counted from 1.

    Returns
    -------
    tuple
        ``code, name, street, kind, geometry`` in EPSG:4326 (one row per point, then one
        per street without a point), and the warnings to record.

    Raises
    ------
    InputDataError
        For points outside every street, points without coordinates or two communities
        at one point.
    """
    codes = df["code"].astype(str).to_numpy()
    xy = point_coordinates(df, path, datum, rows)
    _refuse_shared_points(xy, codes, path)
    street_of = _street_of_points(xy, codes, streets, path)
    street_codes = streets["code"].to_numpy()
    warnings = []
    if "street" in df.columns:
        given = df["street"].astype(str).to_numpy()
        wrong = given != street_codes[street_of]
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            warnings.append(
                f"{path}: {counted(int(wrong.sum()), 'community point')} "
                f"{verb(int(wrong.sum()), 'lies', 'lie')} in another street than the street "
                "column says (e.g. {codes[i]}: {given[i]}, lies in "
                f"{street_codes[street_of[i]]}); the street they lie in is used"
            )
    crs = utm_crs(*np.median(xy, axis=0))
    metric = streets.geometry.to_crs(crs).array
    metric_xy = gpd.GeoSeries(shapely.points(xy), crs=4326).to_crs(crs).get_coordinates()
    polygons = voronoi_partition(metric_xy.to_numpy(), street_of, np.asarray(metric))
    lonely = np.setdiff1d(np.arange(len(streets)), street_of)
    if lonely.size:
        warnings.append(
            f"{path}: {counted(int(lonely.size), 'street')} without any community point "
            f"({', '.join(street_codes[lonely][:5])}); each becomes one community of its own"
        )
    kind = df["kind"].to_numpy() if "kind" in df.columns else np.full(len(df), "urban")
    frame = gpd.GeoDataFrame(
        {
            "code": np.concatenate([codes, [f"{c}-all" for c in street_codes[lonely]]]),
            "name": np.concatenate(
                [df["name"].astype(str).to_numpy(), streets["name"].to_numpy()[lonely]]
            ),
            "street": np.concatenate([street_codes[street_of], street_codes[lonely]]),
            "kind": np.concatenate([kind, np.full(lonely.size, "urban")]),
        },
        geometry=np.concatenate([polygons, np.asarray(metric)[lonely]]),
        crs=crs,
    )
    return frame.to_crs(4326), warnings
