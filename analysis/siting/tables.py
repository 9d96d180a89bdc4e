"""Turn a siting solution into planner tables: ranked sites and street before/after.

The notes and the infeasible cells are built in ``notes`` (re-exported here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import Transformer

from carecircle.analysis.audit import Audit
from carecircle.analysis.siting.notes import (
    SitingData,
    assumed_area_note,
    capacity_warning,
    infeasible_cells,
    low_gain_note,
)
from carecircle.analysis.siting.request import SitingRequest, SitingResult
from carecircle.analysis.siting.solve import OPTIMAL_MEANS, Solution
from carecircle.geo.assign import polygon_of_points
from carecircle.geo.crs import wgs84_to_gcj02

__all__ = [
    "SitingData",
    "assumed_area_note",
    "build_tables",
    "capacity_warning",
    "infeasible_cells",
    "low_gain_note",
]


def _rank(
    reach: sp.csr_array, chosen: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order chosen sites by marginal gain; return order, marginal and standalone gains."""
    rows = reach[chosen].tocsr()
    pattern = sp.csr_array((np.ones(rows.nnz), rows.indices, rows.indptr), shape=rows.shape)
    alone = np.array(
        [
            weight[pattern.indices[pattern.indptr[i] : pattern.indptr[i + 1]]].sum()
            for i in range(chosen.size)
        ]
    )
    left = weight.copy()
    order: list[int] = []
    marginal = np.zeros(chosen.size)
    for _ in range(chosen.size):
        gains = pattern @ left
        gains[order] = -1.0
        i = int(np.argmax(gains))
        order.append(i)
        marginal[i] = gains[i]
        left[pattern.indices[pattern.indptr[i] : pattern.indptr[i + 1]]] = 0.0
    return np.asarray(order, dtype=np.int64), marginal, alone


def _shares(audit: Audit, covered: np.ndarray) -> pd.Series:
    cells = audit.cells
    inside = (cells["community"] != "").to_numpy()
    older = cells["older_residents"].to_numpy()
    frame = pd.DataFrame(
        {
            "street": cells["street"].to_numpy()[inside],
            "older": older[inside],
            "cov": np.where(covered, older, 0.0)[inside],
        }
    )
    sums = frame.groupby("street")[["older", "cov"]].sum()
    share = sums["cov"] / sums["older"]
    share["district"] = frame["cov"].sum() / frame["older"].sum()
    return share


def _floor(audit: Audit, added: pd.Series) -> tuple[pd.Series, pd.Series]:
    table = audit.indicators["street"]
    district = audit.indicators["district"]
    residents = pd.concat([table["residents"], district["residents"]])
    area = pd.concat([table["floor_area_m2"], district["floor_area_m2"]])
    # unknown floor area (S2 not assessed) stays unknown after the new sites
    after = area + added.reindex(area.index, fill_value=0.0)
    return area / residents * 1000.0, after / residents * 1000.0


def build_tables(
    audit: Audit, request: SitingRequest, solution: Solution, data: SitingData, chosen: np.ndarray
) -> SitingResult:
    """Build the proposed-sites table, the before/after table and the summary.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    request : SitingRequest
        What was asked for.
    solution : Solution
        The solver's solution.
    data : SitingData
        The siting inputs.
    chosen : np.ndarray
        Candidate rows chosen by the solver.
    """
    candidates, c_snap, c_street, reach = data.candidates, data.c_snap, data.c_street, data.reach
    open_cells, covered, unreachable, area = (
        data.open_cells,
        data.covered,
        data.unreachable,
        data.area,
    )
    circle_id = data.circle_id
    cells = audit.cells
    older = cells["older_residents"].to_numpy()
    order, marginal, alone = _rank(reach, chosen, older[open_cells])
    chosen = chosen[order]
    marginal, alone = marginal[order], alone[order]
    # The site is the candidate's own point, not where it meets the network: its reach was
    # walked from there (snap distance included), and an audit of proposed_facilities.csv
    # snaps the same point the same way, so it reproduces s1_after. Writing the snapped
    # point instead let the audit walk from the network itself (0.8094 vs 0.8138).
    lon = np.round(candidates["lon"].to_numpy(dtype=float)[chosen], 9)
    lat = np.round(candidates["lat"].to_numpy(dtype=float)[chosen], 9)
    to_wgs = Transformer.from_crs(audit.crs, "EPSG:4326", always_xy=True)
    net_lon, net_lat = to_wgs.transform(c_snap.x[chosen], c_snap.y[chosen])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    community = polygon_of_points(lon, lat, audit.communities)
    com_codes = audit.communities["code"].to_numpy()
    street_codes = audit.streets["code"].to_numpy()
    capacity = area[chosen] * 1000.0 / (audit.study.profile.indicator("S2").target or 50.0)
    res_open = cells["residents"].to_numpy()[open_cells]
    served_res = np.array([res_open[reach[[j]].indices].sum() for j in chosen])
    sites = pd.DataFrame(
        {
            "rank": np.arange(1, chosen.size + 1),
            "id": [f"NEW-{i + 1:02d}" for i in range(chosen.size)],
            "candidate": candidates["id"].to_numpy()[chosen],
            "type": request.facility_type,
            "lon": lon,
            "lat": lat,
            "lon_gcj02": np.round(g_lon, 9),
            "lat_gcj02": np.round(g_lat, 9),
            "snap_distance_m": np.round(c_snap.distance[chosen], 1),
            "lon_network": np.round(np.asarray(net_lon, dtype=float), 9),
            "lat_network": np.round(np.asarray(net_lat, dtype=float), 9),
            "street": np.where(
                c_street[chosen] >= 0, street_codes[np.clip(c_street[chosen], 0, None)], ""
            ),
            "community": np.where(community >= 0, com_codes[np.clip(community, 0, None)], ""),
            "older_newly_covered": np.round(alone, 1),
            "marginal_gain": np.round(marginal, 1),
            "floor_area_m2": area[chosen],
            "capacity_residents": np.round(capacity, 0),
            "capacity_use": np.round(np.minimum(served_res / np.maximum(capacity, 1e-9), 9.99), 3),
        }
    )
    after = covered.copy()
    reached = np.unique(reach[chosen].indices) if chosen.size else np.zeros(0, dtype=np.int64)
    after[open_cells[reached]] = True
    before_share, after_share = _shares(audit, audit.cells["covered"].to_numpy()), None
    in_circle = circle_id == "S1"
    after_share = _shares(audit, after) if in_circle else before_share
    s2_types = audit.study.profile.indicator("S2").facility_types
    added = (
        sites.groupby("street")["floor_area_m2"].sum()
        if request.facility_type in s2_types
        else pd.Series(dtype=float)
    )
    if len(added):
        added["district"] = added[added.index != ""].sum()
    s2_before, s2_after = _floor(audit, added)
    names = dict(zip(audit.streets["code"], audit.streets["name"], strict=True))
    names["district"] = audit.study.name
    codes = [*audit.streets["code"], "district"]
    table = pd.DataFrame(
        {
            "code": codes,
            "name": [names[c] for c in codes],
            "s1_before": before_share.reindex(codes).to_numpy(),
            "s1_after": after_share.reindex(codes).to_numpy(),
            "s2_before": s2_before.reindex(codes).to_numpy(),
            "s2_after": s2_after.reindex(codes).to_numpy(),
        }
    )
    if not in_circle:
        own_before, own_after = _shares(audit, covered), _shares(audit, after)
        key = circle_id.lower()
        table[f"{key}_before"] = own_before.reindex(codes).to_numpy()
        table[f"{key}_after"] = own_after.reindex(codes).to_numpy()
    infeasible = infeasible_cells(audit, data)
    inside = (cells["community"] != "").to_numpy()
    notes = [
        assumed_area_note(audit, request, data, chosen),
        capacity_warning(sites, request),  # printed once, with the notes
        low_gain_note(
            request, marginal, float(older[inside & covered].sum()), float(older[inside].sum())
        ),
    ]
    solution.notes.extend(n for n in notes if n)
    attainable = covered.copy()
    attainable[open_cells[~unreachable]] = True
    far = older[data.off_network].sum()
    lost = older[open_cells[unreachable]].sum()
    summary: dict[str, object] = {
        "type": request.facility_type,
        "objective": request.objective,
        "model": "fewest sites (LSCP)" if request.target is not None else request.objective,
        "add": request.add,
        "target": request.target,
        "sites": int(chosen.size),
        "status": solution.status,
        "method": solution.method,
        "objective_value": solution.objective,
        "best_bound": solution.bound,
        "gap": solution.gap,
        "optimal_means": OPTIMAL_MEANS,
        "reductions": solution.reductions,
        "circle": circle_id,
        "district_before": float(
            table.iloc[-1][f"{circle_id.lower()}_before"]
            if not in_circle
            else table.iloc[-1]["s1_before"]
        ),
        "district_after": float(
            table.iloc[-1][f"{circle_id.lower()}_after"]
            if not in_circle
            else table.iloc[-1]["s1_after"]
        ),
        "older_newly_covered": float(older[open_cells[reached]].sum()),
        "district_attainable": float(older[inside & attainable].sum() / older[inside].sum()),
        "infeasible_cells": len(infeasible),
        "infeasible_older": float(far + lost),
        "infeasible_off_network_cells": int(data.off_network.size),
        "infeasible_off_network_older": float(far),
        "infeasible_no_candidate_cells": int(unreachable.sum()),
        "infeasible_no_candidate_older": float(lost),
        "notes": solution.notes,
        "seconds": {k: round(v, 3) for k, v in solution.seconds.items()},
    }
    return SitingResult(request, solution, sites, table, infeasible, summary)
