"""Put facilities and cells in their community and street; snap them; check the network."""

from __future__ import annotations

from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from carecircle.analysis.stages import RunRecord
from carecircle.config import Study
from carecircle.errors import InputDataError
from carecircle.geo.assign import polygon_of_cells, polygon_of_points
from carecircle.geo.snap import EdgeIndex, Snapped
from carecircle.text import counted, verb


def place_facilities(
    fac: pd.DataFrame, streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, record: RunRecord
) -> pd.DataFrame:
    """Add ``street`` and ``community`` codes from each facility's location.

    The street is the street of the community a facility lies in (so street totals equal
    the sum of their communities); outside every community, the street polygon decides.
    Facilities outside every street still serve coverage but count for no floor area.

    Parameters
    ----------
    fac : pd.DataFrame
        The facilities.
    streets : gpd.GeoDataFrame
        Street/town polygons (EPSG:4326).
    communities : gpd.GeoDataFrame
        Community/village polygons (EPSG:4326).
    record : RunRecord
        Run record receiving warnings.
    """
    lon, lat = fac["lon"].to_numpy(), fac["lat"].to_numpy()
    st = polygon_of_points(lon, lat, streets)
    com = polygon_of_points(lon, lat, communities)
    com = _prefer_street(lon, lat, com, communities, streets, st)
    fac = fac.copy()
    fac["community"] = np.where(com >= 0, communities["code"].to_numpy()[np.clip(com, 0, None)], "")
    street_of_com = communities["street"].to_numpy()[np.clip(com, 0, None)]
    street_own = streets["code"].to_numpy()[np.clip(st, 0, None)]
    fac["street"] = np.where(com >= 0, street_of_com, np.where(st >= 0, street_own, ""))
    outside = fac["street"] == ""
    if outside.any():
        n = int(outside.sum())
        record.warn(
            f"{counted(n, 'facility', 'facilities')} {verb(n, 'lies', 'lie')} outside "
            f"every street/town; {verb(n, 'it serves', 'they serve')} coverage but "
            f"{verb(n, 'counts', 'count')} for no street's floor area: "
            + ", ".join(fac.loc[outside, "id"].head(10))
        )
    for level, units in (("community", communities), ("street", streets)):
        differs = _names_other_unit(fac, level, units)
        if differs.any():
            n = int(differs.sum())
            record.warn(
                f"{counted(n, 'facility', 'facilities')} {verb(n, 'names', 'name')} a "
                f"{'community' if level == 'community' else 'street/town'} other than "
                f"the one {verb(n, 'it lies', 'they lie')} in; the location is used "
                "(e.g. " + ", ".join(fac.loc[differs, "id"].head(5)) + ")"
            )
    return fac


def _names_other_unit(fac: pd.DataFrame, level: str, units: gpd.GeoDataFrame) -> np.ndarray:
    """Return True where ``<level>_given`` is neither the code nor the name of the unit.

    Facilities outside every unit are left out: they have their own warning.
    """
    given = fac[f"{level}_given"].astype(str).str.strip().to_numpy()
    name_of = dict(
        zip(units["code"].astype(str), units["name"].astype(str).str.strip(), strict=True)
    )
    names = np.array([name_of.get(c, "") for c in fac[level].astype(str)], dtype=object)
    placed = fac[level].astype(str).to_numpy()
    return (given != "") & (placed != "") & (given != placed) & (given != names)


#: Residents of a street that community boundaries may carry into another street (share)
#: with a warning; more is an error.
MOVED_SHARE = 0.05


def place_cells(
    cells: pd.DataFrame,
    squares: np.ndarray,
    communities: gpd.GeoDataFrame,
    record: RunRecord,
    *,
    streets: gpd.GeoDataFrame | None = None,
    source: str = "communities",
    unit: str = "community",
) -> pd.DataFrame:
    """Add ``community`` and ``street`` to each cell (centre, else largest overlap).

    ``unit`` names the polygons in messages (``street`` when the study has no communities).

    With ``streets``, a cell is decided by its community and its street: where communities
    overlap, the one of the street holding the cell wins; cells a community carries beyond
    its street into another street are warned (residents named), or refused when they are
    more than :data:`MOVED_SHARE` of that street's residents.

    Parameters
    ----------
    cells : pd.DataFrame
        The population cells.
    squares : np.ndarray
        Each cell's square (EPSG:4326).
    communities : gpd.GeoDataFrame
        Community/village polygons (EPSG:4326).
    record : RunRecord
        Run record receiving warnings.
    streets : gpd.GeoDataFrame | None, default None
        Street/town polygons (EPSG:4326).
    source : str, default 'communities'
        What the squares are, named in messages.
    """
    idx, by_overlap = polygon_of_cells(cells["lon"], cells["lat"], squares, communities)
    if streets is not None:
        idx = _by_street(cells, idx, communities, streets, record, source)
    cells = cells.copy()
    safe = np.clip(idx, 0, None)
    cells["community"] = np.where(idx >= 0, communities["code"].to_numpy()[safe], "")
    cells["street"] = np.where(idx >= 0, communities["street"].to_numpy()[safe], "")
    record.counts["cells_assigned_by_overlap"] = int(by_overlap.sum())
    outside = idx < 0
    if outside.any():
        lost = cells[outside]
        n = int(outside.sum())
        record.warn(
            f"{counted(n, 'populated cell')} ({lost['residents'].sum():,.0f} residents, "
            f"{lost['older_residents'].sum():,.0f} older) {verb(n, 'lies', 'lie')} "
            f"outside every {unit}; they are excluded from the tables"
        )
        record.exclude(
            "cells",
            [
                {"cell_id": int(c), "reason": f"outside every {unit}"}
                for c in lost["cell_id"].head(1000)
            ],
        )
    return cells


def _outside_own_street(
    lon: np.ndarray,
    lat: np.ndarray,
    idx: np.ndarray,
    communities: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    st: np.ndarray | None = None,
) -> np.ndarray:
    """Return True where a point lies in another street, not in its community's street.

    A point on a shared boundary lies in both streets: it is not outside its own. ``st``:
    each point's street (:func:`polygon_of_points`), when known.
    """
    if st is None:
        st = polygon_of_points(lon, lat, streets)
    street_at = np.where(st >= 0, streets["code"].to_numpy()[np.clip(st, 0, None)], "")
    own = communities["street"].to_numpy()[np.clip(idx, 0, None)]
    wrong = (idx >= 0) & (st >= 0) & (own != street_at)
    cand = np.flatnonzero(wrong)
    if cand.size:
        points = shapely.points(lon[cand], lat[cand])
        p, g = shapely.STRtree(streets.geometry.values).query(points, predicate="intersects")
        holds = set(zip(p.tolist(), streets["code"].to_numpy()[g].tolist(), strict=True))
        wrong[cand] = [(k, own[c]) not in holds for k, c in enumerate(cand)]
    return wrong


def _prefer_street(
    lon: np.ndarray,
    lat: np.ndarray,
    idx: np.ndarray,
    communities: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    st: np.ndarray | None = None,
) -> np.ndarray:
    """Return each point's community, preferring one of the street it lies in.

    Where overlapping communities of two streets hold a point, the one of the street whose
    polygon holds the point wins (file order decides only within a street). ``st``: each
    point's street, when known.
    """
    if st is None:
        st = polygon_of_points(lon, lat, streets)
    wrong = _outside_own_street(lon, lat, idx, communities, streets, st)
    if not wrong.any():
        return idx
    idx = idx.copy()
    cand = np.flatnonzero(wrong)
    points = shapely.points(lon[cand], lat[cand])
    street_at = streets["code"].to_numpy()[st[cand]]
    p, c = shapely.STRtree(communities.geometry.values).query(points, predicate="intersects")
    fits = communities["street"].to_numpy()[c] == street_at[p]
    p, c = p[fits], c[fits]
    first = np.unique(p, return_index=True)[1]
    idx[cand[p[first]]] = c[first]
    return idx


def _by_street(
    cells: pd.DataFrame,
    idx: np.ndarray,
    communities: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    record: RunRecord,
    source: str,
) -> np.ndarray:
    """Return each cell's community, preferring one of the street its centre lies in."""
    lon, lat = cells["lon"].to_numpy(), cells["lat"].to_numpy()
    st = polygon_of_points(lon, lat, streets)
    idx = _prefer_street(lon, lat, idx, communities, streets, st)
    wrong = _outside_own_street(lon, lat, idx, communities, streets, st)
    if wrong.any():
        street_at = np.where(st >= 0, streets["code"].to_numpy()[np.clip(st, 0, None)], "")
        _moved_between_streets(cells, idx, street_at, wrong, communities, record, source)
    return idx


def _moved_between_streets(
    cells: pd.DataFrame,
    idx: np.ndarray,
    street_at: np.ndarray,
    wrong: np.ndarray,
    communities: gpd.GeoDataFrame,
    record: RunRecord,
    source: str,
) -> None:
    """Warn (or refuse, above :data:`MOVED_SHARE`) cells counted in another street."""
    res = cells["residents"].to_numpy()
    moved = pd.DataFrame(
        {
            "community": communities["code"].to_numpy()[idx[wrong]],
            "street": communities["street"].to_numpy()[idx[wrong]],
            "lies_in": street_at[wrong],
            "residents": res[wrong],
            "older": cells["older_residents"].to_numpy()[wrong],
        }
    )
    per = moved.groupby(["community", "street", "lies_in"], sort=False).sum().reset_index()
    per = per.sort_values("residents", ascending=False)
    own = pd.Series(res).groupby(street_at).sum()
    share = per.groupby("lies_in")["residents"].sum() / own.reindex(per["lies_in"].unique())
    top = per.iloc[0]
    n = int(wrong.sum())
    text = (
        f"{source}: {counted(n, 'populated cell')} ({moved['residents'].sum():,.0f} residents, "
        f"{moved['older'].sum():,.0f} older) {verb(n, 'lies', 'lie')} in a community that "
        f"reaches beyond its street, inside another street's boundary (e.g. "
        f"{top['residents']:,.0f} residents of community {top['community']} of street "
        f"{top['street']} lie in street {top['lies_in']})"
    )
    if float(share.max()) > MOVED_SHARE:
        raise InputDataError(
            f"{text}: that is {float(share.max()):.0%} of street {share.idxmax()}'s residents, "
            "moved to another street; clip the communities to their streets (QGIS: "
            "Vector ▸ Geoprocessing ▸ Clip) or fix their street column"
        )
    record.warn(f"{text}; they count for the community's street: clip the communities to fit")


def snap_facilities(
    fac: pd.DataFrame, index: EdgeIndex, to_metric: Transformer, study: Study, record: RunRecord
) -> tuple[pd.DataFrame, Snapped]:
    """Snap facilities to the network; those beyond ``max_snap_m`` are excluded with a reason.

    Parameters
    ----------
    fac : pd.DataFrame
        The facilities.
    index : EdgeIndex
        Nearest-edge index of the network.
    to_metric : Transformer
        Lon/lat to the study's metric CRS.
    study : Study
        The study.
    record : RunRecord
        Run record receiving warnings.
    """
    fx, fy = to_metric.transform(fac["lon"].to_numpy(), fac["lat"].to_numpy())
    snapped = index.snap(fx, fy, max_distance_m=study.max_snap_m)
    fac = fac.assign(snap_distance_m=np.round(snapped.distance, 1))
    too_far = ~snapped.ok
    fac["excluded_reason"] = np.where(
        too_far, f"farther than max_snap_m = {study.max_snap_m:g} m from the walking network", ""
    )
    if too_far.any():
        n = int(too_far.sum())
        record.warn(
            f"{counted(n, 'facility', 'facilities')} {verb(n, 'is', 'are')} farther "
            f"than {study.max_snap_m:g} m "
            f"from the walking network and {verb(n, 'serves', 'serve')} no one: "
            + ", ".join(fac.loc[too_far, "id"].head(10))
        )
        record.exclude(
            "facilities",
            cast(  # the column names are str
                list[dict[str, Any]],
                fac.loc[too_far, ["id", "name", "excluded_reason"]]
                .rename(columns={"excluded_reason": "reason"})
                .to_dict("records"),
            ),
        )
    fac["counts_for_circle"] = fac["type"].isin(study.profile.circle_types) & snapped.ok
    return fac, snapped


def check_network_extent(
    c_snap: Snapped,
    cells: pd.DataFrame,
    study: Study,
    record: RunRecord,
    centre: tuple[float, float] = (np.nan, np.nan),
) -> None:
    """Warn when the network reaches fewer than half of the populated cells; none: an error.

    Parameters
    ----------
    c_snap : Snapped
        The population cells snapped to the network.
    cells : pd.DataFrame
        The population cells.
    study : Study
        The study.
    record : RunRecord
        Run record receiving warnings.
    centre : tuple[float, float], default (np.nan, np.nan)
        Lon/lat of the study area's centre, named in the message.
    """
    share = float(c_snap.ok.mean()) if c_snap.ok.size else 1.0
    record.counts["cells_within_max_snap_share"] = round(share, 4)
    if c_snap.ok.size and share == 0.0:
        where = study.network or "the downloaded network"
        network_lon, network_lat = centre
        raise InputDataError(
            f"{where}: no populated cell lies within max_snap_m = {study.max_snap_m:g} m of "
            f"the walking network (network around lon {network_lon:.3f}, lat "
            f"{network_lat:.3f}; population around lon {cells['lon'].median():.3f}, lat "
            f"{cells['lat'].median():.3f}): it covers another area than the boundaries; give "
            "the network of this study area"
        )
    if share < 0.5:
        where = study.network.name if study.network else "the downloaded network"
        record.warn(
            f"{where}: only {share:.0%} of the populated cells lie within "
            f"max_snap_m = {study.max_snap_m:g} m of the walking network; the network "
            "probably covers a smaller area than the population raster: use an OSM "
            "extract of the whole study area"
        )
    lost = cells.loc[~c_snap.ok, "older_residents"].sum()
    if lost > 0:
        n = int((~c_snap.ok).sum())
        record.warn(
            f"{counted(n, 'populated cell')} ({lost:,.0f} older residents) "
            f"{verb(n, 'is', 'are')} farther than {study.max_snap_m:g} m from the "
            "walking network: "
            "counted as unreachable (not covered)"
        )
