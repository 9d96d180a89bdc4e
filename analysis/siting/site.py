"""Site new facilities after an audit: candidates, reach, model, and the before/after tables."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from carecircle.analysis.audit import Audit
from carecircle.analysis.circles import subset, walk_to_types
from carecircle.analysis.siting.candidates import auto_candidates
from carecircle.analysis.siting.instance import SitingInstance, build_instance
from carecircle.analysis.siting.reach import reach_pattern
from carecircle.analysis.siting.request import (
    DEFAULT_FLOOR_AREA,
    SitingRequest,
    SitingResult,
    checked_request,
)
from carecircle.analysis.siting.solve import (
    Solution,
    solve_capacitated,
    solve_equity,
    solve_fewest,
    solve_mclp,
)
from carecircle.analysis.siting.tables import SitingData, build_tables
from carecircle.analysis.walks import own_minute_walks, walk_radius_m
from carecircle.errors import InputDataError
from carecircle.geo.assign import polygon_of_points
from carecircle.geo.snap import Snapped

log = logging.getLogger(__name__)


def _circle_of(audit: Audit, ftype: str) -> tuple[np.ndarray, float, str]:
    """Cells already covered for this type's circle, its radius (m) and the indicator."""
    study, profile = audit.study, audit.study.profile
    if ftype in profile.circle_types:
        return audit.cells["covered"].to_numpy(), study.radius_m, "S1"
    for definition, spec, walk in own_minute_walks(study):  # e.g. meal points' own walk
        if ftype in spec.facility_types:
            radius = walk_radius_m(definition, spec, walk, study)
            return audit.cells[walk.column(definition.id)].to_numpy(), radius, definition.id
    dist = walk_to_types(
        audit.network,
        audit.facilities,
        audit.facility_snap,
        audit.cell_snap,
        (ftype,),
        limit_m=study.radius_m,
    )
    return dist <= study.radius_m, study.radius_m, ftype


def _snap_candidates(audit: Audit, cand: pd.DataFrame) -> tuple[Snapped, np.ndarray]:
    to_metric = Transformer.from_crs("EPSG:4326", audit.crs, always_xy=True)
    x, y = to_metric.transform(cand["lon"].to_numpy(), cand["lat"].to_numpy())
    snap = audit.edge_index.snap(x, y, max_distance_m=audit.study.max_snap_m)
    street = polygon_of_points(cand["lon"], cand["lat"], audit.streets)
    if not (street >= 0).any():
        raise InputDataError(
            "the candidate sites all lie outside the study area's streets; "
            "check their coordinates (WGS84 lon/lat, or give --candidates-crs)"
        )
    return snap, street


def site_facilities(
    audit: Audit,
    request: SitingRequest,
    candidates: pd.DataFrame | None = None,
    exclude: gpd.GeoDataFrame | None = None,
    *,
    progress: bool = False,
) -> SitingResult:
    """Choose new facility sites that close the coverage gaps best, keeping existing ones.

    Parameters
    ----------
    audit : Audit
        The audit of the study (existing facilities count as covering).
    request : SitingRequest
        Type, number of sites or target share, objective, time limit.
    candidates : DataFrame, optional
        ``id, lon, lat, floor_area_m2``; default: network points in under-served communities.
    exclude : GeoDataFrame, optional
        Areas where no automatic candidate may go.
    progress : bool, default False
        Show a progress bar over the coverage matrix (on a terminal only).

    Returns
    -------
    SitingResult
        The proposal with its certificate.

    Raises
    ------
    InputDataError
        For impossible requests (more sites than candidates, nothing to cover, …).
    """
    request = checked_request(request)
    cells = audit.cells
    covered, radius, circle_id = _circle_of(audit, request.facility_type)
    inside = (cells["community"] != "").to_numpy()
    older = cells["older_residents"].to_numpy()
    uncovered = inside & ~covered & (older > 0)
    open_cells = np.flatnonzero(uncovered & audit.cell_snap.ok)
    off_network = np.flatnonzero(uncovered & ~audit.cell_snap.ok)
    if candidates is None:
        need_codes = sorted(set(cells["community"].to_numpy()[open_cells]))
        candidates = auto_candidates(
            audit.network,
            audit.communities,
            need_codes,
            spacing_m=request.spacing_m,
            exclude=exclude,
        )
    if len(candidates) == 0 or open_cells.size == 0:
        raise InputDataError(
            "nothing to site: every reachable older resident is already within the walk"
            if open_cells.size == 0
            else "no candidate site: give --candidates FILE"
        )
    c_snap, c_street = _snap_candidates(audit, candidates)
    if request.add is not None and request.add > int(c_snap.ok.sum()):
        raise InputDataError(
            f"--add {request.add} is more than the {int(c_snap.ok.sum())} "
            "candidate sites on the network; lower --add or give more candidates"
        )
    reach = reach_pattern(
        audit.network,
        c_snap,
        subset(audit.cell_snap, open_cells),
        radius_m=radius,
        progress=progress,
    )
    street_codes = {c: i for i, c in enumerate(audit.streets["code"])}
    cell_street = np.asarray(
        cells["street"].map(street_codes).fillna(-1).astype(np.int64), dtype=np.int64
    )
    standard = audit.study.profile.indicator("S2").target or 50.0
    area = (
        candidates["floor_area_m2"]
        .fillna(request.floor_area_m2 or DEFAULT_FLOOR_AREA.get(request.facility_type, 200.0))
        .to_numpy()
    )
    capacity = area * 1000.0 / standard if request.objective == "capacitated" else None
    inst, unreachable = build_instance(
        reach,
        older[open_cells],
        cells["residents"].to_numpy()[open_cells],
        cell_street[open_cells],
        capacity=capacity,
    )
    if inst.n_candidates == 0:
        raise InputDataError(
            "no candidate site reaches any uncovered older resident within "
            f"{radius:,.0f} m; give candidates nearer the gaps"
        )
    solution = _run(audit, request, inst, covered, older, inside, cell_street)
    solution.reductions = [*inst.reductions, *solution.reductions]
    data = SitingData(
        candidates,
        c_snap,
        c_street,
        reach,
        open_cells,
        covered,
        unreachable,
        area,
        circle_id,
        off_network=off_network,
        radius_m=radius,
    )
    if off_network.size or unreachable.any():
        solution.notes.append(_infeasible_note(audit, data))
    chosen = inst.candidates[solution.rows]
    return build_tables(audit, request, solution, data, chosen)


def _infeasible_note(audit: Audit, data: SitingData) -> str:
    """Say how many uncovered older residents no candidate can cover, and why."""
    older = audit.cells["older_residents"].to_numpy()
    far = older[data.off_network]
    lost = older[data.open_cells[data.unreachable]]
    why = [
        f"{part.size:,} cells ({part.sum():,.0f}) {reason}"
        for part, reason in (
            (far, f"farther than {audit.study.max_snap_m:g} m from the walking network"),
            (lost, f"with no candidate within the {data.radius_m:,.0f} m walk"),
        )
        if part.size
    ]
    return (
        f"{far.size + lost.size:,} uncovered cells ({far.sum() + lost.sum():,.0f} older "
        f"residents) cannot be covered by any candidate: {', '.join(why)}; listed in "
        "infeasible_cells.csv"
    )


def _run(
    audit: Audit,
    request: SitingRequest,
    inst: SitingInstance,
    covered: np.ndarray,
    older: np.ndarray,
    inside: np.ndarray,
    cell_street: np.ndarray,
) -> Solution:
    """Dispatch to the model the request names."""
    limit = request.time_limit_s
    k = request.add
    if request.target is not None:
        total = older[inside].sum()
        need = request.target * total - older[inside & covered].sum()
        attainable = float(inst.weight.sum())
        notes = []
        if need > attainable + 1e-6:
            share = (older[inside & covered].sum() + attainable) / total
            notes.append(
                f"target {request.target:.0%} cannot be reached with these candidates: "
                f"at most {share:.2%}; the other {1 - share:.2%} are the older residents "
                "of the infeasible cells (infeasible_cells.csv); sites chosen to reach "
                f"{share:.2%}"
            )
            need = attainable
        solution = solve_fewest(inst, max(need, 0.0), time_limit=limit)
        solution.notes += notes
        return solution
    if k is None:  # checked_request: either add or target
        raise InputDataError("give either --add K (how many new sites) or --target SHARE")
    if request.objective == "capacitated":
        return solve_capacitated(inst, k, time_limit=limit)
    if request.objective == "equity":
        n = len(audit.streets)
        mask = inside & (cell_street >= 0)
        cov = np.bincount(cell_street[mask & covered], weights=older[mask & covered], minlength=n)
        tot = np.bincount(cell_street[mask], weights=older[mask], minlength=n)
        return solve_equity(inst, cov, tot, k, time_limit=limit)
    return solve_mclp(inst, k, time_limit=limit)
