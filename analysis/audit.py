"""The audit pipeline: inputs → walking network → coverage → indicators, for one study."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from carecircle.analysis.boundary_notes import NOTE_COLUMNS, mark_community_tables
from carecircle.analysis.circles import nearest_health_distance, subset, walk_to_types
from carecircle.analysis.coverage import (
    COVERAGE_COLUMNS,
    coverage_by_community,
    coverage_by_street,
    coverage_of_district,
)
from carecircle.analysis.indicators import (
    REGISTRY,
    CellWalk,
    Indicator,
    IndicatorContext,
    ScoreWalk,
    WalkData,
    checked_profile,
    indicator_catalogue,
    indicator_tables,
)
from carecircle.analysis.indicators.shared_matrix import SharedMatrices
from carecircle.analysis.inputs import read_inputs
from carecircle.analysis.stages import RunRecord
from carecircle.analysis.underserved import underserved_communities
from carecircle.analysis.walks import ServiceAreas, no_service_areas, walk_radius_m
from carecircle.analysis.year_filter import check_plan, check_year, keep_open
from carecircle.config import Study
from carecircle.geo.community_points import NOTES
from carecircle.geo.network import WalkNetwork
from carecircle.geo.network_io import NETWORK_COUNTERS
from carecircle.geo.population import RasterTotals
from carecircle.geo.routing import NodeDistances, nearest_source_distances, point_distances
from carecircle.geo.snap import EdgeIndex, Snapped
from carecircle.geo.tiles import tiled_point_distances

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, eq=False)
class Audit:
    """Everything one audit produced, for reports and maps (immutable, built by keyword).

    The frames are the audit's own: the stages build new frames and never change one they
    were given, and nothing changes them afterwards (outputs copy what they reshape).
    ``attribute_columns`` says which facility columns (floor area, beds, A3-A6 attributes)
    any facility file gave: an indicator counting one of the others is ``not assessed``.
    """

    study: Study
    crs: CRS
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    facilities: pd.DataFrame
    cells: pd.DataFrame
    cell_squares: np.ndarray
    cell_crs: str  # the CRS (WKT) of the cells' grid corners x0, y0, x1, y1
    network: WalkNetwork
    node_distances: NodeDistances
    service_areas: gpd.GeoDataFrame
    indicators: dict[str, pd.DataFrame]
    catalogue: pd.DataFrame
    underserved: pd.DataFrame
    totals: RasterTotals
    record: RunRecord
    edge_index: EdgeIndex
    facility_snap: Snapped
    cell_snap: Snapped
    #: The definitions of the profile's enabled indicators, in table order (for maps).
    definitions: tuple[Indicator, ...] = ()
    #: The facility columns (numeric and A3-A6 attributes) any facility file gave.
    attribute_columns: frozenset[str] = frozenset()
    #: Communities given as ``polygons``, ``points`` or not at all (``streets``, see NOTES).
    boundary_mode: str = "polygons"

    @property
    def boundary_note(self) -> str:
        """Text for legends and reports when communities are approximate or absent, else ''."""
        return NOTES.get(self.boundary_mode, "")

    def _coverage(self, level: str) -> pd.DataFrame:
        table = self.indicators[level].reset_index()
        keep = [
            c
            for c in table.columns
            if c in ("code", "name", "street", "kind", *COVERAGE_COLUMNS, *NOTE_COLUMNS)
            or c.startswith(("s1_", "s2_"))
        ]
        return table[keep]

    @property
    def by_community(self) -> pd.DataFrame:
        """Coverage and S1/S2 per community (``coverage_by_community.csv``)."""
        return self._coverage("community")

    @property
    def by_street(self) -> pd.DataFrame:
        """Coverage and S1/S2 per street/town (``coverage_by_street.csv``)."""
        return self._coverage("street")

    @property
    def district(self) -> pd.DataFrame:
        """Coverage and S1/S2 of the whole district (one row)."""
        return self._coverage("district")

    @property
    def service_area(self) -> gpd.GeoDataFrame:
        """The service area of the circle (all facility types that count), as one geometry."""
        return self.service_areas[self.service_areas["group"] == "circle"].dissolve("group")


def _route_circle(
    network: WalkNetwork,
    fac: pd.DataFrame,
    f_snap: Snapped,
    c_snap: Snapped,
    cells: pd.DataFrame,
    study: Study,
    *,
    progress: bool = False,
) -> tuple[pd.DataFrame, NodeDistances, Snapped]:
    """Route the main circle; return the cells with their distance, nearest facility, coverage.

    ``cells`` is left as it is: the columns go to a new frame (sharing the unchanged ones).
    """
    circle = fac["counts_for_circle"].to_numpy()
    sources = subset(f_snap, circle)
    nd = nearest_source_distances(network, sources, limit_m=2.0 * study.radius_m)
    if study.tile_km > 0:
        dist, src = tiled_point_distances(
            network,
            c_snap,
            sources,
            limit_m=2.0 * study.radius_m,
            tile_m=study.tile_km * 1000.0,
            progress=progress,
        )
    else:
        dist, src = point_distances(network, c_snap, nd, sources)
    circle_ids = fac["id"].to_numpy()[circle]
    nearest = circle_ids[np.clip(src, 0, None)] if circle_ids.size else np.full(len(cells), "")
    out = cells.copy(deep=False)  # new columns only: the caller's frame stays as it was
    out["snap_distance_m"] = np.round(np.where(c_snap.ok, c_snap.distance, np.nan), 1)
    out["distance_m"] = np.round(np.where(np.isfinite(dist), dist, np.nan), 1)
    out["nearest_facility"] = np.where(src < 0, "", nearest).astype(object)
    out["unreachable"] = ~c_snap.ok
    out["covered"] = np.isfinite(dist) & (dist <= study.radius_m + 1e-9)
    return out, nd, sources


def _shared_matrices(
    network: WalkNetwork, fac: pd.DataFrame, f_snap: Snapped, c_snap: Snapped, study: Study
) -> SharedMatrices:
    """Return the matrices the enabled score walks share (their facility types, snapped)."""
    types: set[str] = set()
    for definition in REGISTRY:
        spec = study.profile.indicator(definition.id)
        if spec.enabled and any(isinstance(w, ScoreWalk) for w in definition.walks):
            types |= set(spec.facility_types)
    rows = fac["type"].isin(sorted(types)).to_numpy() & f_snap.ok
    return SharedMatrices(network, f_snap, c_snap, rows)


def _further_circles(
    network: WalkNetwork,
    fac: pd.DataFrame,
    f_snap: Snapped,
    c_snap: Snapped,
    cells: pd.DataFrame,
    study: Study,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the walks the enabled indicators declare (registry); return cells and facilities.

    A :class:`CellWalk` adds ``covered_<ID>`` to the cells (within the indicator's minutes,
    or the circle's); a :class:`ScoreWalk` a score per cell; a :class:`FacilityWalk` adds a
    distance column to the facilities. All are new frames: the ones given stay as they were.
    """
    profile = study.profile
    fac = fac.copy()
    cells = cells.copy(deep=False)
    matrices = _shared_matrices(network, fac, f_snap, c_snap, study)
    for definition in REGISTRY:
        spec = profile.indicator(definition.id)
        if not spec.enabled:
            continue
        for walk in definition.walks:
            if isinstance(walk, CellWalk):
                radius = walk_radius_m(definition, spec, walk, study)
                dist = walk_to_types(
                    network, fac, f_snap, c_snap, spec.facility_types or ("none",), limit_m=radius
                )
                cells[walk.column(definition.id)] = dist <= radius + 1e-9
            elif isinstance(walk, ScoreWalk):
                data = WalkData(
                    network,
                    fac,
                    f_snap,
                    c_snap,
                    cells,
                    study.minutes,
                    study.walk_speed_m_s,
                    profile.path,
                    matrices,
                )
                cells[walk.column(definition.id)] = walk.run(data, definition, spec)
            else:
                fac[walk.column] = nearest_health_distance(
                    network,
                    fac,
                    f_snap,
                    spec.facility_types,
                    tuple(definition.param(spec, walk.to_types_param)),
                    threshold_m=float(definition.param(spec, walk.threshold_param)),
                )
    return cells, fac


def _indicators(
    cells: pd.DataFrame,
    fac: pd.DataFrame,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    study: Study,
    attribute_columns: frozenset[str],
    boundary_mode: str = "polygons",
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Coverage tables per level, every indicator on them, and the indicator catalogue."""
    inside = cells[cells["community"] != ""]
    coverage = {
        "community": coverage_by_community(inside, fac, communities, study.profile),
        "street": coverage_by_street(inside, fac, streets, study.profile),
        "district": coverage_of_district(inside, fac, study.name, study.profile),
    }
    # units with an S2-counted facility of unknown area are NaN already (coverage.py); no
    # table has the column: unknown everywhere, as S2 reads "not assessed" everywhere
    if "floor_area_m2" not in attribute_columns:
        for table in coverage.values():
            table[["floor_area_m2", "floor_area_per_1000"]] = np.nan
    ctx = IndicatorContext(
        cells=inside,
        facilities=fac,
        communities=pd.DataFrame(communities.drop(columns="geometry")),
        streets=pd.DataFrame(streets.drop(columns="geometry")),
        coverage={k: v.set_index("code") for k, v in coverage.items()},
        attribute_columns=attribute_columns,
        boundary_mode=boundary_mode,
    )
    tables = indicator_tables(ctx, study.profile)
    return tables, indicator_catalogue(study.profile, ctx, tables["district"])


def audit_study(
    study: Study,
    *,
    progress: bool = False,
    digests: Mapping[str, str] | None = None,
    year: int | None = None,
    with_service_areas: bool = True,
) -> Audit:
    """Run the audit of one study: coverage of the service circle and every indicator.

    Parameters
    ----------
    study : Study
        The validated study.
    progress : bool, default False
        Show progress bars for long steps (tiled routing; on a terminal only).
    digests : mapping, optional
        SHA-256 of input files hashed already (path -> hex, as ``analysis.files.input_record``
        takes them before the analysis): the network file is then not read a second time
        for its cache key.
    year : int, optional
        Count the facilities open by the end of this plan year (status, open_year); default
        the existing ones (analysis/year_filter.py).
    with_service_areas : bool, default True
        Make the service areas (display only, for the maps); False leaves them empty and
        skips the stage (a plan year's audit, whose maps are not drawn). No number depends
        on them.

    Returns
    -------
    Audit
        Tables, geometries and the run record.
    """
    study = dataclasses.replace(study, profile=checked_profile(study.profile))
    check_plan(study.profile)
    check_year(study.profile, year)
    rec = RunRecord(progress=progress, digests=dict(digests or {}))
    with rec.capture_warnings():
        return _audit(
            study, rec, progress=progress, year=year, with_service_areas=with_service_areas
        )


def _audit(
    study: Study,
    rec: RunRecord,
    *,
    progress: bool,
    year: int | None = None,
    with_service_areas: bool = True,
) -> Audit:
    """Run the stages of :func:`audit_study`, with warnings captured in ``rec``."""
    with contextlib.ExitStack() as background:  # the service areas' workers, stopped on leaving
        started: list[tuple[pd.DataFrame, Snapped, ServiceAreas | None]] = []

        def open_facilities(network: WalkNetwork, every: pd.DataFrame, snaps: Snapped) -> None:
            """Keep the facilities open by ``year`` once snapped; start their service areas.

            ``check`` keeps them there too; the service areas need no cell, so they are drawn
            in the background while the cells are snapped.
            """
            fac, f_snap = keep_open(every, snaps, study, year, rec)
            drawing = None
            if with_service_areas:  # drawn by forked workers from the cells' snap on
                with rec.stage("service areas", continues=True):
                    drawing = background.enter_context(ServiceAreas(network, fac, f_snap, study))
                    drawing.start(workers=1)  # the types' layers, on a core left idle
            started.append((fac, f_snap, drawing))

        inp = read_inputs(study, rec, facilities_snapped=open_facilities)
        fac, f_snap, drawing = started[0]
        network, net_meta = inp.network, inp.network_meta
        cells, streets, communities = inp.cells, inp.streets, inp.communities
        c_snap, squares, totals = inp.cell_snap, inp.cell_squares, inp.totals
        attribute_columns, index = frozenset(inp.attribute_columns), inp.edge_index
        with rec.stage("route"):
            cells, nd, sources = _route_circle(
                network, fac, f_snap, c_snap, cells, study, progress=progress
            )
            cells, fac = _further_circles(network, fac, f_snap, c_snap, cells, study)
        if drawing is not None:
            with rec.stage("service areas", continues=True):
                drawing.add_circle(nd, sources)  # the circle's layer: one more worker
        with rec.stage("indicators"):
            tables, catalogue = _indicators(
                cells, fac, streets, communities, study, attribute_columns, inp.boundary_mode
            )
            underserved = underserved_communities(tables["community"].reset_index())
            underserved = mark_community_tables(tables, underserved, inp.boundary_mode)
        if drawing is not None:
            with rec.stage("service areas"):  # the wait for the workers, added to the start
                areas = drawing.frame(progress=progress)
        else:  # display only: not made for an audit whose maps are never drawn
            areas = no_service_areas()
    rec.counts.update(
        {
            "facilities": len(fac),
            "facilities_counting_for_circle": int(fac["counts_for_circle"].sum()),
            "facilities_excluded": int((fac["excluded_reason"] != "").sum()),
            "cells": len(cells),
            "cells_covered": int(cells["covered"].sum()),
            "cells_unreachable": int(cells["unreachable"].sum()),
            "cells_outside_communities": int((cells["community"] == "").sum()),
            "network_nodes": network.n_nodes,
            "network_edges": network.n_edges,
            "network_dropped_nodes": network.dropped_nodes,
            "network_dropped_components": network.dropped_components,
            "network_lines_read": net_meta["lines_read"],
            "network_lines_kept": net_meta["lines_kept"],
            **{f"network_{k}": v for k, v in net_meta.items() if k in NETWORK_COUNTERS},
            "network_format": net_meta["format"],
            "network_from_cache": net_meta["from_cache"],
            "streets": len(streets),
            "communities": len(communities),
        }
    )
    if inp.boundary_mode != "polygons":
        rec.counts["community_boundaries"] = inp.boundary_mode
    return Audit(
        study=study,
        crs=network.crs,
        streets=streets,
        communities=communities,
        facilities=fac,
        cells=cells,
        cell_squares=np.asarray(squares),
        cell_crs=inp.cell_crs,
        network=network,
        node_distances=nd,
        service_areas=areas,
        indicators=tables,
        catalogue=catalogue,
        underserved=underserved,
        totals=totals,
        record=rec,
        edge_index=index,
        facility_snap=f_snap,
        cell_snap=c_snap,
        definitions=tuple(d for d in REGISTRY if study.profile.indicator(d.id).enabled),
        attribute_columns=attribute_columns,
        boundary_mode=inp.boundary_mode,
    )
