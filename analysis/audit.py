"""The audit pipeline: inputs → walking network → coverage → indicators, for one study."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from carecircle.analysis.coverage import (
    coverage_by_community,
    coverage_by_street,
    coverage_of_district,
)
from carecircle.analysis.indicators import with_indicators
from carecircle.analysis.stages import RunRecord
from carecircle.analysis.underserved import underserved_communities
from carecircle.config import Study
from carecircle.geo.assign import polygon_of_cells, polygon_of_points
from carecircle.geo.boundaries import read_communities, read_streets
from carecircle.geo.facilities import read_all_facilities
from carecircle.geo.network import WalkNetwork
from carecircle.geo.network_io import NetworkSource, load_network
from carecircle.geo.population import RasterTotals, cell_polygons, cells_from_rasters
from carecircle.geo.routing import NodeDistances, nearest_source_distances, point_distances
from carecircle.geo.service_area import reached_segments, service_area_polygon
from carecircle.geo.snap import EdgeIndex, Snapped

log = logging.getLogger(__name__)


@dataclass
class Audit:
    """Everything one audit produced, for reports and maps."""

    study: Study
    crs: CRS
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    facilities: pd.DataFrame
    cells: pd.DataFrame
    cell_squares: np.ndarray
    network: WalkNetwork
    node_distances: NodeDistances
    service_area: gpd.GeoDataFrame
    by_community: pd.DataFrame
    by_street: pd.DataFrame
    district: pd.DataFrame
    underserved: pd.DataFrame
    totals: RasterTotals
    record: RunRecord


def place_facilities(fac: pd.DataFrame, streets: gpd.GeoDataFrame,
                     communities: gpd.GeoDataFrame, record: RunRecord) -> pd.DataFrame:
    """Add ``street`` and ``community`` codes from each facility's location.

    The street is the street of the community a facility lies in (so street totals equal
    the sum of their communities); outside every community, the street polygon decides.
    Facilities outside every street still serve coverage but count for no floor area.
    """
    com = polygon_of_points(fac["lon"], fac["lat"], communities)
    st = polygon_of_points(fac["lon"], fac["lat"], streets)
    fac = fac.copy()
    fac["community"] = np.where(com >= 0, communities["code"].to_numpy()[np.clip(com, 0, None)],
                                "")
    street_of_com = communities["street"].to_numpy()[np.clip(com, 0, None)]
    street_own = streets["code"].to_numpy()[np.clip(st, 0, None)]
    fac["street"] = np.where(com >= 0, street_of_com, np.where(st >= 0, street_own, ""))
    outside = fac["street"] == ""
    if outside.any():
        record.warn(f"{int(outside.sum())} facilities lie outside every street/town; they serve "
                    "coverage but count for no street's floor area: "
                    + ", ".join(fac.loc[outside, "id"].head(10)))
    given = fac["community_given"].astype(str)
    differs = (given != "") & (given != fac["community"])
    if differs.any():
        record.warn(f"{int(differs.sum())} facilities name a community other than the one they "
                    "lie in; the location is used (e.g. "
                    + ", ".join(fac.loc[differs, "id"].head(5)) + ")")
    return fac


def place_cells(cells: pd.DataFrame, squares: np.ndarray, communities: gpd.GeoDataFrame,
                record: RunRecord) -> pd.DataFrame:
    """Add ``community`` and ``street`` to each cell (centre, else largest overlap)."""
    idx, by_overlap = polygon_of_cells(cells["lon"], cells["lat"], squares, communities)
    cells = cells.copy()
    safe = np.clip(idx, 0, None)
    cells["community"] = np.where(idx >= 0, communities["code"].to_numpy()[safe], "")
    cells["street"] = np.where(idx >= 0, communities["street"].to_numpy()[safe], "")
    record.counts["cells_assigned_by_overlap"] = int(by_overlap.sum())
    outside = idx < 0
    if outside.any():
        lost = cells[outside]
        record.warn(f"{int(outside.sum())} populated cells ({lost['residents'].sum():,.0f} "
                    f"residents, {lost['older_residents'].sum():,.0f} older) lie outside every "
                    "community; they are excluded from the tables")
        record.exclude("cells", [{"cell_id": int(c), "reason": "outside every community"}
                                 for c in lost["cell_id"].head(1000)])
    return cells


def _snap_facilities(fac: pd.DataFrame, index: EdgeIndex, to_metric: Transformer,
                     study: Study, record: RunRecord) -> tuple[pd.DataFrame, Snapped]:
    fx, fy = to_metric.transform(fac["lon"].to_numpy(), fac["lat"].to_numpy())
    snapped = index.snap(fx, fy, max_distance_m=study.max_snap_m)
    fac = fac.assign(snap_distance_m=np.round(snapped.distance, 1))
    too_far = ~snapped.ok
    fac["excluded_reason"] = np.where(
        too_far, f"farther than max_snap_m = {study.max_snap_m:g} m from the walking network", "")
    if too_far.any():
        record.warn(f"{int(too_far.sum())} facilities are farther than {study.max_snap_m:g} m "
                    "from the walking network and serve no one: "
                    + ", ".join(fac.loc[too_far, "id"].head(10)))
        record.exclude("facilities", fac.loc[too_far, ["id", "name", "excluded_reason"]]
                       .rename(columns={"excluded_reason": "reason"}).to_dict("records"))
    fac["counts_for_circle"] = fac["type"].isin(study.profile.circle_types) & snapped.ok
    return fac, snapped


def _check_network_extent(c_snap: Snapped, cells: pd.DataFrame, study: Study,
                          record: RunRecord) -> None:
    """Warn when the network reaches fewer than half of the populated cells."""
    share = float(c_snap.ok.mean()) if c_snap.ok.size else 1.0
    record.counts["cells_within_max_snap_share"] = round(share, 4)
    if share < 0.5:
        where = study.network.name if study.network else "the downloaded network"
        record.warn(f"{where}: only {share:.0%} of the populated cells lie within "
                    f"max_snap_m = {study.max_snap_m:g} m of the walking network; the network "
                    "probably covers a smaller area than the population raster: use an OSM "
                    "extract of the whole study area")
    lost = cells.loc[~c_snap.ok, "older_residents"].sum()
    if lost > 0:
        record.warn(f"{int((~c_snap.ok).sum())} populated cells ({lost:,.0f} older residents) "
                    f"are farther than {study.max_snap_m:g} m from the walking network: "
                    "counted as unreachable (not covered)")


def _subset(snapped: Snapped, mask: np.ndarray) -> Snapped:
    return Snapped(snapped.edge[mask], snapped.t[mask], snapped.distance[mask],
                   snapped.x[mask], snapped.y[mask])


def audit_study(study: Study) -> Audit:
    """Run the audit of one study: coverage of the service circle and indicators.

    Parameters
    ----------
    study : Study
        The validated study.

    Returns
    -------
    Audit
        Tables, geometries and the run record.
    """
    rec = RunRecord()
    with rec.stage("read boundaries"):
        streets = read_streets(study.streets)
        communities = read_communities(study.communities, streets)
    with rec.stage("read facilities"):
        fac = read_all_facilities([(s.path, s.crs) for s in study.facilities])
        fac = place_facilities(fac, streets, communities, rec)
    with rec.stage("read population"):
        cells, totals = cells_from_rasters(study.residents, study.older_residents)
        squares = gpd.GeoSeries(cell_polygons(cells), crs=cells.attrs["crs"]).to_crs(4326).array
        cells = place_cells(cells, np.asarray(squares), communities, rec)
    with rec.stage("build walking network"):
        source = NetworkSource(study.network, study.network_place, study.network_bbox)
        network, net_meta = load_network(source, crs=study.crs,
                                         include_private=study.include_private,
                                         cache_dir=study.cache_dir)
        crs = network.crs
        to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    with rec.stage("snap"):
        index = EdgeIndex(network)
        fac, f_snap = _snap_facilities(fac, index, to_metric, study, rec)
        cx, cy = to_metric.transform(cells["lon"].to_numpy(), cells["lat"].to_numpy())
        c_snap = index.snap(cx, cy, max_distance_m=study.max_snap_m)
        _check_network_extent(c_snap, cells, study, rec)
    with rec.stage("route"):
        circle = fac["counts_for_circle"].to_numpy()
        sources = _subset(f_snap, circle)
        nd = nearest_source_distances(network, sources, limit_m=2.0 * study.radius_m)
        dist, src = point_distances(network, c_snap, nd, sources)
        circle_ids = fac["id"].to_numpy()[circle]
        cells["snap_distance_m"] = np.round(np.where(c_snap.ok, c_snap.distance, np.nan), 1)
        cells["distance_m"] = np.round(np.where(np.isfinite(dist), dist, np.nan), 1)
        cells["nearest_facility"] = np.where(src >= 0, circle_ids[np.clip(src, 0, None)]
                                             if circle_ids.size else "", "")
        cells["unreachable"] = ~c_snap.ok
        cells["covered"] = np.isfinite(dist) & (dist <= study.radius_m + 1e-9)
    with rec.stage("indicators"):
        inside = cells[cells["community"] != ""]
        by_community = with_indicators(
            coverage_by_community(inside, fac, communities, study.profile), study.profile)
        by_street = with_indicators(
            coverage_by_street(inside, fac, streets, study.profile), study.profile)
        district = with_indicators(
            coverage_of_district(inside, fac, study.name, study.profile), study.profile)
        underserved = underserved_communities(by_community)
    with rec.stage("service areas"):
        segs = reached_segments(network, nd.distance, study.radius_m, sources=sources)
        area = service_area_polygon(segs)
        service_area = gpd.GeoDataFrame(
            {"minutes": [study.minutes], "facility_types": [",".join(study.profile.circle_types)]},
            geometry=[area], crs=crs).to_crs(4326)
    rec.counts.update({
        "facilities": len(fac), "facilities_counting_for_circle": int(circle.sum()),
        "facilities_excluded": int((fac["excluded_reason"] != "").sum()),
        "cells": len(cells), "cells_covered": int(cells["covered"].sum()),
        "cells_unreachable": int(cells["unreachable"].sum()),
        "cells_outside_communities": int((cells["community"] == "").sum()),
        "network_nodes": network.n_nodes, "network_edges": network.n_edges,
        "network_dropped_nodes": network.dropped_nodes,
        "network_dropped_components": network.dropped_components,
        "osm_ways_with_highway": net_meta["ways_read"],
        "osm_ways_walkable": net_meta["ways_walkable"],
        "osm_segments_missing_nodes": net_meta["missing_refs"],
        "network_format": net_meta["format"], "network_from_cache": net_meta["from_cache"],
        "streets": len(streets), "communities": len(communities),
    })
    return Audit(study, crs, streets, communities, fac, cells, np.asarray(squares), network, nd,
                 service_area, by_community, by_street, district, underserved, totals, rec)
