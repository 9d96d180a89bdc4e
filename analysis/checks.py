"""Checks of input plausibility that need several inputs together (warnings or errors)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from carecircle.analysis.stages import RunRecord
from carecircle.errors import InputDataError
from carecircle.geo.assign import polygon_of_points
from carecircle.geo.crs import to_wgs84
from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import EdgeIndex
from carecircle.text import counted, verb


def check_swapped_coordinates(fac: pd.DataFrame, streets: gpd.GeoDataFrame) -> None:
    """Refuse facilities that lie outside every street but inside one with lon/lat swapped.

    Parameters
    ----------
    fac : pd.DataFrame
        The facilities.
    streets : gpd.GeoDataFrame
        Street/town polygons (EPSG:4326).

    Raises
    ------
    InputDataError
        Naming the file and row, with the fix.
    """
    outside = polygon_of_points(fac["lon"], fac["lat"], streets) < 0
    if not outside.any():
        return
    swapped = polygon_of_points(fac["lat"][outside], fac["lon"][outside], streets) >= 0
    if swapped.any():
        row = fac[outside][swapped].iloc[0]
        raise InputDataError(
            f"{row['source_file']}: row {row['source_row']} ({row['id']}) lon/lat look swapped: "
            f"({row['lon']:.5f}, {row['lat']:.5f}) lies outside the study area, but inside it "
            f"when swapped ({counted(int(swapped.sum()), 'such row')}); put longitude in lon and "
            "latitude in lat"
        )


def check_raster_overlap(cells: pd.DataFrame, path: str) -> None:
    """Refuse a population raster none of whose cells falls in a community.

    Parameters
    ----------
    cells : pd.DataFrame
        The population cells.
    path : str
        The raster file, named in messages.
    """
    if len(cells) and (cells["community"] == "").all():
        raise InputDataError(
            f"{path}: no populated cell of the raster lies in any community (raster around "
            f"lon {cells['lon'].median():.3f}, lat {cells['lat'].median():.3f}); it covers "
            "another area than the boundaries: give the raster of this study area"
        )


CHINESE_DATUMS = ("GCJ-02", "BD-09")
FAR_KM = 5.0  # a file whose facilities lie this far from the study area lists another area
DATUM_SHARE = 0.8  # read in another datum, this share must land inside to name that datum
#: Facilities farther off the network (median) than this are off it, not in another datum:
#: shifted points in a street network still lie within half a block of some street.
DATUM_GIVEN_M = 300.0
DATUM_ON_NETWORK_M = 150.0  # read in the datum, the median facility must be this near


def check_facilities_in_area(fac: pd.DataFrame, streets: gpd.GeoDataFrame) -> None:
    """Refuse a facility file that lists another area, or uses an undeclared Chinese datum.

    Facilities just outside the streets are legitimate (they serve residents across the
    boundary, with a warning from :func:`~carecircle.analysis.placement.place_facilities`).
    A file is refused only when none of its facilities lies in a street/town and either
    they lie far away (median more than ``FAR_KM`` from the streets) or, for three or more
    facilities, reading them as GCJ-02 or BD-09 puts most of them inside.

    Parameters
    ----------
    fac : DataFrame
        Placed facilities (``street``, ``lon``, ``lat``, ``source_file``).
    streets : GeoDataFrame
        The study's streets/towns.

    Raises
    ------
    InputDataError
        Naming the file, where its facilities are and where the streets are, with the fix.
    """
    inside = fac["street"].astype(str).to_numpy() != ""
    lon0, lat0, lon1, lat1 = streets.to_crs(4326).total_bounds
    for source in sorted(set(fac["source_file"])):
        rows = (fac["source_file"] == source).to_numpy()
        if not rows.any() or inside[rows].any():
            continue
        lon, lat = fac["lon"].to_numpy()[rows], fac["lat"].to_numpy()[rows]
        mlon, mlat = float(np.median(lon)), float(np.median(lat))
        where = (
            f"{source}: none of its {int(rows.sum())} facilities lies in the study's "
            f"streets/towns (facilities around lon {mlon:.3f}, lat {mlat:.3f}; streets "
            f"within lon {lon0:.3f}–{lon1:.3f}, lat {lat0:.3f}–{lat1:.3f})"
        )
        datum, share = _datum_that_fits(lon, lat, streets)
        if rows.sum() >= 3 and share >= DATUM_SHARE:
            raise InputDataError(
                f"{where}, but they do when read as {datum}: set "
                f'facilities_crs = "{datum}" in the study file'
            )
        dx = max(lon0 - mlon, 0.0, mlon - lon1) * 111.32 * np.cos(np.radians(mlat))
        dy = max(lat0 - mlat, 0.0, mlat - lat1) * 110.57
        if np.hypot(dx, dy) > FAR_KM:
            raise InputDataError(
                f"{where}; it lists another area: give this study area's "
                "facilities, or check facilities_crs"
            )


def _datum_that_fits(
    lon: np.ndarray, lat: np.ndarray, streets: gpd.GeoDataFrame
) -> tuple[str, float]:
    """Return the Chinese datum (GCJ-02, BD-09) putting most points in a street, and the share."""
    inside = {
        name: float((polygon_of_points(*to_wgs84(lon, lat, name), streets) >= 0).mean())
        for name in CHINESE_DATUMS
    }
    best = max(inside, key=inside.__getitem__)
    return best, inside[best]


def check_populated_communities(
    cells: pd.DataFrame, communities: gpd.GeoDataFrame, path: str, record: RunRecord
) -> None:
    """Warn about communities in which no populated raster cell lies.

    Such a community reports no residents and its indicators read "not applicable"; when
    it is inhabited, the raster does not cover it.

    Parameters
    ----------
    cells : DataFrame
        Placed cells (``community``; empty where outside every community).
    communities : GeoDataFrame
        The study's communities (``code``, ``name``).
    path : str
        The residents raster, for the message.
    record : RunRecord
        Where the warning goes.
    """
    populated = set(cells.loc[cells["community"] != "", "community"])
    empty = communities[~communities["code"].isin(populated)]
    if len(empty):
        names = ", ".join(f"{r['name']} ({r['code']})" for _, r in empty.head(8).iterrows())
        more = f" and {len(empty) - 8} more" if len(empty) > 8 else ""
        record.warn(
            f"{path}: {len(empty)} of {len(communities)} communities have no populated "
            f"raster cell: {names}{more}; they report no residents. If they are "
            "inhabited, give rasters that cover the whole study area"
        )


def check_datum(
    fac: pd.DataFrame,
    declared: np.ndarray,
    index: EdgeIndex,
    network: WalkNetwork,
    record: RunRecord,
) -> None:
    """Warn when facilities declared WGS84 sit far better on the network read as GCJ-02/BD-09.

    Amap (GCJ-02) and Baidu (BD-09) coordinates are 300–600 m off WGS84 in eastern China; a
    file exported from them but declared WGS84 puts facilities on the wrong block.

    Parameters
    ----------
    fac : pd.DataFrame
        The facilities.
    declared : np.ndarray
        The declared datum's coordinates of the facilities.
    index : EdgeIndex
        Nearest-edge index of the network.
    network : WalkNetwork
        The walking network.
    record : RunRecord
        Run record receiving warnings.
    """
    to_metric = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    for source in sorted(set(fac.loc[declared, "source_file"])):
        rows = (fac["source_file"] == source).to_numpy() & declared
        if rows.sum() < 3:  # a median of one or two points says nothing about a datum
            continue
        lon, lat = fac["lon"].to_numpy()[rows], fac["lat"].to_numpy()[rows]
        given = np.median(index.snap(*to_metric.transform(lon, lat), max_distance_m=5000).distance)
        readings = {
            d: float(
                np.median(
                    index.snap(
                        *to_metric.transform(*to_wgs84(lon, lat, d)), max_distance_m=5000
                    ).distance
                )
            )
            for d in CHINESE_DATUMS
        }
        name = min(readings, key=readings.__getitem__)
        other = readings[name]
        # facilities far off the network (another area, a partial network) are another
        # problem: a datum hint there would be a coincidence of directions
        plausible = given <= DATUM_GIVEN_M and other <= DATUM_ON_NETWORK_M
        if plausible and other < 0.5 * given and given - other > 10.0:
            record.warn(
                f"{source}: coordinates look like {name}, not WGS84: the median "
                f"facility is {given:.0f} m from the walking network as given but "
                f"{other:.0f} m if read as {name}; if the file comes from "
                f"{'Amap/Gaode' if name == 'GCJ-02' else 'Baidu'}, set "
                f'facilities_crs = "{name}" in the study file (the wrong datum '
                "also puts facilities in the wrong street/community: other warnings "
                "about them may have the same cause)"
            )


def check_boundaries(
    streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, record: RunRecord
) -> None:
    """Warn about overlapping communities and communities lying in another street.

    Parameters
    ----------
    streets : gpd.GeoDataFrame
        Street/town polygons (EPSG:4326).
    communities : gpd.GeoDataFrame
        Community/village polygons (EPSG:4326).
    record : RunRecord
        Run record receiving warnings.
    """
    geoms = communities.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    pair = a < b
    a, b = a[pair], b[pair]
    if a.size:
        inter = shapely.area(shapely.intersection(geoms[a], geoms[b]))
        smaller = np.minimum(shapely.area(geoms[a]), shapely.area(geoms[b]))
        big = inter > 0.01 * smaller
        if big.any():
            codes = communities["code"].to_numpy()
            pairs = ", ".join(
                f"{codes[i]}/{codes[j]}" for i, j in zip(a[big][:5], b[big][:5], strict=True)
            )
            record.warn(
                f"{counted(int(big.sum()), 'pair')} of communities overlap (e.g. {pairs}); "
                "population in an overlap is counted once, in the community of the "
                "street holding it (else the first of the file): fix the boundaries so they "
                "tile the streets"
            )
    points = shapely.point_on_surface(geoms)
    where = polygon_of_points(shapely.get_x(points), shapely.get_y(points), streets)
    lies_in = np.where(where >= 0, streets["code"].to_numpy()[np.clip(where, 0, None)], "")
    wrong = lies_in != communities["street"].to_numpy()
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        record.warn(
            f"{counted(int(wrong.sum()), 'community', 'communities')} "
            f"{verb(int(wrong.sum()), 'lies', 'lie')} outside the street "
            f"{verb(int(wrong.sum()), 'it names', 'they name')} (e.g. "
            f"{communities['code'].iloc[i]} names street {communities['street'].iloc[i]}"
            f" but lies in '{lies_in[i] or 'no street'}'); their population counts for "
            "the street they name: check the street column"
        )


def check_older_share(cells: pd.DataFrame, path: str, record: RunRecord) -> None:
    """Warn about communities holding more older residents than residents (share > 100 %).

    Parameters
    ----------
    cells : DataFrame
        Placed cells (``community``, ``residents``, ``older_residents``).
    path : str
        The older-residents raster, for the message.
    record : RunRecord
        Where the warning goes.
    """
    inside = cells[cells["community"] != ""]
    sums = inside.groupby("community")[["residents", "older_residents"]].sum()
    over = sums[sums["older_residents"] > sums["residents"] + 1e-6]
    if len(over):
        shown = ", ".join(
            f"{code} ({r.older_residents:,.0f} older, {r.residents:,.0f} residents)"
            for code, r in over.head(5).iterrows()
        )
        record.warn(
            f"{path}: {counted(len(over), 'community', 'communities')} "
            f"{verb(len(over), 'holds', 'hold')} more older residents than residents: "
            f"{shown}; their older share exceeds 100 %: check the rasters"
        )
