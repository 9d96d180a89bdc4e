"""Reading and checking every input of a study: the audit's first stages, shared by ``check``.

The audit (:mod:`carecircle.analysis.audit`) and ``carecircle check`` both call
:func:`read_inputs`, so a study that passes ``check`` starts the audit cleanly and a broken
input gives the same one-line error in both commands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from carecircle.analysis.checks import (
    check_boundaries,
    check_datum,
    check_facilities_in_area,
    check_older_share,
    check_populated_communities,
    check_raster_overlap,
    check_swapped_coordinates,
)
from carecircle.analysis.placement import (
    check_network_extent,
    place_cells,
    place_facilities,
    snap_facilities,
)
from carecircle.analysis.population_modes import Population, population_from_options
from carecircle.analysis.stages import RunRecord
from carecircle.config import Study, check_input_files
from carecircle.errors import StudyFileError
from carecircle.geo.boundaries import read_community_layer, read_streets
from carecircle.geo.community_points import NOTES, POLYGONS, STREETS
from carecircle.geo.facilities import read_facility_tables
from carecircle.geo.network import WalkNetwork
from carecircle.geo.network_io import NetworkSource, load_network
from carecircle.geo.population import RasterTotals, cell_polygons, cells_from_rasters, raster_grid
from carecircle.geo.snap import EdgeIndex, Snapped
from carecircle.text import counted


@dataclass(frozen=True, kw_only=True, eq=False)
class Inputs:
    """Every input of a study, read, checked, placed in its polygons and snapped."""

    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    facilities: pd.DataFrame
    #: The facility columns (numeric and A3-A6 attributes) any facility file gave.
    attribute_columns: list[str]
    cells: pd.DataFrame
    cell_squares: np.ndarray
    #: The CRS of the cells' corners ``x0, y0, x1, y1`` (the population grid's, as WKT).
    cell_crs: str
    totals: RasterTotals
    network: WalkNetwork
    network_meta: dict[str, Any]
    crs: CRS
    edge_index: EdgeIndex
    facility_snap: Snapped
    cell_snap: Snapped
    #: how the communities were given: polygons, points (approximate) or streets (none)
    boundary_mode: str = POLYGONS


def read_inputs(
    study: Study,
    rec: RunRecord,
    *,
    facilities_snapped: Callable[[WalkNetwork, pd.DataFrame, Snapped], object] | None = None,
) -> Inputs:
    """Read and check boundaries, facilities, population and network; snap to the network.

    Parameters
    ----------
    study : Study
        The validated study.
    rec : RunRecord
        Run record receiving stage times and warnings.
    facilities_snapped : callable, optional
        Called with the network, the facilities and their snap points once the facilities
        are snapped, before the cells are (between two parts of the ``snap`` stage): the
        audit and ``check`` keep the facilities open by the audit's year there (so both
        find a broken input in the same order), and the audit starts drawing the service
        areas, which need no cell, in the background.

    Returns
    -------
    Inputs
        The read inputs; nothing is routed and nothing is written.
    """
    check_input_files(study)
    with rec.stage("read boundaries"):
        streets = read_streets(study.streets, datum=study.boundaries_crs)
        communities, mode, notes = read_community_layer(
            study.communities, streets, datum=study.boundaries_crs
        )
        for note in notes + ([NOTES[mode]] if NOTES[mode] else []):
            rec.warn(note)
        check_boundaries(streets, communities, rec)
    with rec.stage("read facilities"):
        table = read_facility_tables([(s.path, s.crs, s.sheet) for s in study.facilities])
        fac, attribute_columns = table.frame, list(table.attribute_columns)
        if mode == STREETS:  # no community to compare a facility's named community with
            fac["community_given"] = ""
        check_swapped_coordinates(fac, streets)
        fac = place_facilities(fac, streets, communities, rec)
        check_facilities_in_area(fac, streets)
    with rec.stage("read population"):
        population = _population(study, streets, communities, rec, mode)
    with rec.stage("build walking network"):
        network, net_meta = _network(study, rec)
        to_metric = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    cells = population.cells
    with rec.stage("snap", continues=True):  # the facilities, then (after the call) the cells
        index = EdgeIndex(network)
        fac, f_snap = snap_facilities(fac, index, to_metric, study, rec)
    if facilities_snapped is not None:
        facilities_snapped(network, fac, f_snap)
    with rec.stage("snap"):
        c_snap = _snap_cells(study, rec, cells, fac, index, network, to_metric)
    return Inputs(
        streets=streets,
        communities=communities,
        facilities=fac,
        attribute_columns=attribute_columns,
        cells=cells,
        cell_squares=population.squares,
        cell_crs=population.crs,
        totals=population.totals,
        network=network,
        network_meta=net_meta,
        crs=network.crs,
        edge_index=index,
        facility_snap=f_snap,
        cell_snap=c_snap,
        boundary_mode=mode,
    )


def _snap_cells(
    study: Study,
    rec: RunRecord,
    cells: pd.DataFrame,
    fac: pd.DataFrame,
    index: EdgeIndex,
    network: WalkNetwork,
    to_metric: Transformer,
) -> Snapped:
    """Snap the cells to the network; check its extent and the facilities' datum."""
    cx, cy = to_metric.transform(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    c_snap = index.snap(cx, cy, max_distance_m=study.max_snap_m)
    centre = (float(np.median(network.lon)), float(np.median(network.lat)))
    check_network_extent(c_snap, cells, study, rec, centre)
    wgs = {s.path.name for s in study.facilities if s.crs == "EPSG:4326"}
    check_datum(fac, fac["source_file"].isin(wgs).to_numpy(), index, network, rec)
    return c_snap


def _population(
    study: Study,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    rec: RunRecord,
    mode: str = POLYGONS,
) -> Population:
    """Read the rasters into cells placed in their communities, and check them."""
    if not study.population.is_raster:  # counts, shares or buildings (docs/population.md)
        return population_from_options(study, streets, communities, rec)
    if study.residents is None or study.older_residents is None:  # the study file checks this
        raise StudyFileError("population mode raster needs both residents and older_residents")
    cells, totals = cells_from_rasters(
        study.residents,
        study.older_residents,
        bands=(study.residents_band, study.older_residents_band),
        bounds=cast(tuple[float, float, float, float], tuple(communities.total_bounds)),
    )
    crs = raster_grid(study.residents, study.residents_band).crs_wkt  # the older raster's too
    squares: Any = cell_polygons(cells)
    if not CRS.from_user_input(crs).equals(CRS.from_epsg(4326)):
        # a WGS84 raster's squares are already in lon/lat: the transform would copy them
        squares = gpd.GeoSeries(squares, crs=crs).to_crs(4326).array
    cells = place_cells(
        cells,
        np.asarray(squares),
        communities,
        rec,
        streets=streets,
        source=str(study.communities or study.streets),
        unit="street/town" if mode == STREETS else "community",
    )
    check_raster_overlap(cells, str(study.residents))
    check_populated_communities(cells, communities, str(study.residents), rec)
    check_older_share(cells, str(study.older_residents), rec)
    return Population(cells, totals, np.asarray(squares), crs)


def _network(study: Study, rec: RunRecord) -> tuple[WalkNetwork, dict[str, Any]]:
    """Load the walking network (from the cache when it is there); warn about dropped parts."""
    source = NetworkSource(study.network, study.network_place, study.network_bbox)
    network, net_meta = load_network(
        source,
        crs=study.crs,
        include_private=study.include_private,
        cache_dir=study.cache_dir,
        centreline=study.centreline,
        file_digest=rec.digests.get(str(source.path)) if source.path is not None else None,
    )
    if source.path is not None:  # hashed once: the input record's digest, or this one
        rec.digests[str(source.path)] = net_meta["file_sha256"]
    if network.dropped_nodes:
        rec.warn(
            f"walking network: kept the largest connected part ({network.n_nodes:,} "
            f"nodes); {counted(network.dropped_nodes, 'node')} in "
            f"{counted(network.dropped_components, 'separate piece')} were left out, "
            "and points near them snap to the main part"
        )
    return network, net_meta
