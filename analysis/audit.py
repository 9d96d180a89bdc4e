"""The audit pipeline: inputs → walking network → coverage → indicators, for one study."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from tqdm import tqdm

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
from carecircle.analysis.inputs import read_inputs
from carecircle.analysis.stages import RunRecord
from carecircle.analysis.underserved import underserved_communities
from carecircle.config import Study
from carecircle.geo.network import WalkNetwork
from carecircle.geo.network_io import NETWORK_COUNTERS
from carecircle.geo.population import RasterTotals
from carecircle.geo.routing import NodeDistances, nearest_source_distances, point_distances
from carecircle.geo.service_area import bands_in_parallel, grid_for, reached_segments
from carecircle.geo.snap import EdgeIndex, Snapped
from carecircle.geo.tiles import tiled_point_distances
from carecircle.profiles import IndicatorSpec

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

    def _coverage(self, level: str) -> pd.DataFrame:
        table = self.indicators[level].reset_index()
        keep = [
            c
            for c in table.columns
            if c in ("code", "name", "street", "kind", *COVERAGE_COLUMNS)
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
) -> tuple[NodeDistances, Snapped]:
    """Route the main circle: distance, nearest facility and coverage of every cell."""
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
    cells["snap_distance_m"] = np.round(np.where(c_snap.ok, c_snap.distance, np.nan), 1)
    cells["distance_m"] = np.round(np.where(np.isfinite(dist), dist, np.nan), 1)
    cells["nearest_facility"] = (
        circle_ids[np.clip(src, 0, None)] if circle_ids.size else np.full(len(cells), "")
    )
    cells.loc[src < 0, "nearest_facility"] = ""
    cells["unreachable"] = ~c_snap.ok
    cells["covered"] = np.isfinite(dist) & (dist <= study.radius_m + 1e-9)
    return nd, sources


def _further_circles(
    network: WalkNetwork,
    fac: pd.DataFrame,
    f_snap: Snapped,
    c_snap: Snapped,
    cells: pd.DataFrame,
    study: Study,
) -> pd.DataFrame:
    """Run the walks the enabled indicators declare (registry); return the facilities.

    A :class:`CellWalk` writes ``cells["covered_<ID>"]`` (within the indicator's minutes, or
    the circle's); a :class:`ScoreWalk` a score per cell; a :class:`FacilityWalk` adds a
    distance column to the facilities.
    """
    profile = study.profile
    fac = fac.copy()
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
    return fac


def walk_radius_m(
    definition: Indicator, spec: IndicatorSpec, walk: CellWalk, study: Study
) -> float:
    """Return the walking distance (m) of an indicator's cell walk.

    Parameters
    ----------
    definition : Indicator
        The indicator's definition.
    spec : IndicatorSpec
        Its profile entry.
    walk : CellWalk
        One of its walks.
    study : Study
        The study (the circle's minutes and walking speed).

    Returns
    -------
    float
        Minutes × 60 × walking speed.
    """
    minutes = (
        study.minutes if walk.minutes_param is None else definition.param(spec, walk.minutes_param)
    )
    return float(minutes) * 60.0 * study.walk_speed_m_s


def own_minute_walks(study: Study) -> Iterator[tuple[Indicator, IndicatorSpec, CellWalk]]:
    """Yield the enabled indicators' cell walks that have their own minutes (not the circle's).

    Parameters
    ----------
    study : Study
        The study with its checked profile.

    Yields
    ------
    tuple
        ``(definition, spec, walk)``, in registry order.
    """
    for definition in REGISTRY:
        spec = study.profile.indicator(definition.id)
        for walk in definition.walks:
            if spec.enabled and isinstance(walk, CellWalk) and walk.minutes_param is not None:
                yield definition, spec, walk


def _service_areas(
    network: WalkNetwork,
    fac: pd.DataFrame,
    f_snap: Snapped,
    nd: NodeDistances,
    sources: Snapped,
    study: Study,
    *,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Service areas (display only): the circle and one per facility type that has any.

    Each is rasterised once on the network's grid and returned as non-overlapping pieces
    (one set per 1-2 km tile, geo/service_area.py); a street map takes the pieces near it.
    A type walks its own minutes when an enabled indicator declares a walk for it (S8's
    meal points), else the circle's.
    """
    groups = [("circle", study.minutes, nd.distance, study.radius_m, sources)]
    own: dict[str, float] = {}  # facility type -> minutes; the first declaring indicator wins
    for definition, spec, walk in own_minute_walks(study):
        for ftype in spec.facility_types:
            own.setdefault(ftype, float(definition.param(spec, walk.minutes_param or "")))
    for ftype in dict.fromkeys((*study.profile.circle_types, *own)):
        mask = (fac["type"] == ftype).to_numpy() & f_snap.ok
        if not mask.any():
            continue
        minutes = own[ftype] if ftype not in study.profile.circle_types else study.minutes
        radius = minutes * 60.0 * study.walk_speed_m_s
        groups.append((ftype, minutes, None, radius, subset(f_snap, mask)))
    grid = grid_for((network.x.min(), network.y.min(), network.x.max(), network.y.max()))
    bar = tqdm(
        total=len(groups),
        desc="service areas 服务范围",
        unit="layer",
        disable=None if progress else True,
    )
    segment_sets = (  # routed one by one while the pool rasterises the previous ones
        reached_segments(
            network,
            nearest_source_distances(network, src, limit_m=radius, with_source=False).distance
            if dist is None
            else dist,
            radius,
            sources=src,
        )
        for _, _, dist, radius, src in groups
    )
    names, minutes_of, pieces = [], [], []
    with bar:
        for (group, minutes, *_), band in zip(
            groups, bands_in_parallel(segment_sets, grid), strict=True
        ):
            names += [group] * band.size
            minutes_of += [minutes] * band.size
            pieces.append(band)
            bar.update(1)
    return gpd.GeoDataFrame(
        {"group": names, "minutes": minutes_of},
        geometry=np.concatenate(pieces),
        crs=network.crs,
    ).to_crs(4326)


def _indicators(
    cells: pd.DataFrame,
    fac: pd.DataFrame,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    study: Study,
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
    if "floor_area_m2" not in fac.attrs.get("attribute_columns", ()):
        for table in coverage.values():
            table[["floor_area_m2", "floor_area_per_1000"]] = np.nan
    ctx = IndicatorContext(
        cells=inside,
        facilities=fac,
        communities=pd.DataFrame(communities.drop(columns="geometry")),
        streets=pd.DataFrame(streets.drop(columns="geometry")),
        coverage={k: v.set_index("code") for k, v in coverage.items()},
        attribute_columns=frozenset(fac.attrs.get("attribute_columns", ())),
    )
    tables = indicator_tables(ctx, study.profile)
    return tables, indicator_catalogue(study.profile, ctx, tables["district"])


def audit_study(study: Study, *, progress: bool = False) -> Audit:
    """Run the audit of one study: coverage of the service circle and every indicator.

    Parameters
    ----------
    study : Study
        The validated study.
    progress : bool, default False
        Show progress bars for long steps (tiled routing; on a terminal only).

    Returns
    -------
    Audit
        Tables, geometries and the run record.
    """
    study = dataclasses.replace(study, profile=checked_profile(study.profile))
    rec = RunRecord(progress=progress)
    with rec.capture_warnings():
        return _audit(study, rec, progress=progress)


def _audit(study: Study, rec: RunRecord, *, progress: bool) -> Audit:
    """Run the stages of :func:`audit_study`, with warnings captured in ``rec``."""
    inp = read_inputs(study, rec)
    network, net_meta, fac = inp.network, inp.network_meta, inp.facilities
    cells, streets, communities = inp.cells, inp.streets, inp.communities
    f_snap, c_snap, squares, totals = inp.facility_snap, inp.cell_snap, inp.cell_squares, inp.totals
    attribute_columns, index = inp.attribute_columns, inp.edge_index
    with rec.stage("route"):
        nd, sources = _route_circle(network, fac, f_snap, c_snap, cells, study, progress=progress)
        fac = _further_circles(network, fac, f_snap, c_snap, cells, study)
        fac.attrs["attribute_columns"] = attribute_columns
    with rec.stage("indicators"):
        tables, catalogue = _indicators(cells, fac, streets, communities, study)
        underserved = underserved_communities(tables["community"].reset_index())
    with rec.stage("service areas"):
        areas = _service_areas(network, fac, f_snap, nd, sources, study, progress=progress)
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
    return Audit(
        study,
        network.crs,
        streets,
        communities,
        fac,
        cells,
        np.asarray(squares),
        network,
        nd,
        areas,
        tables,
        catalogue,
        underserved,
        totals,
        rec,
        index,
        f_snap,
        c_snap,
        definitions=tuple(d for d in REGISTRY if study.profile.indicator(d.id).enabled),
    )
