"""What a siting run tells the planner besides the tables: infeasible cells and notes.

The arrays a run worked on (``SitingData``), the cells no candidate can cover with their
reason, and the notes on capacity, assumed floor areas and sites that add almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from carecircle.analysis.audit import Audit
from carecircle.analysis.siting.request import SitingRequest
from carecircle.geo.snap import Snapped
from carecircle.text import counted, verb

#: Most sites named in the over-capacity warning (the rest are counted).
NAMED_SITES = 10


@dataclass(frozen=True)
class SitingData:
    """The arrays a siting run worked on, for its tables.

    Attributes
    ----------
    candidates : DataFrame
        All candidate sites (``id, lon, lat, floor_area_m2``).
    c_snap : Snapped
        Candidates snapped to the network.
    c_street : ndarray
        Street position of each candidate (-1 outside).
    reach : csr_array
        Candidate × open-cell reach within the walk.
    open_cells : ndarray
        Cells (positions in ``audit.cells``) not yet covered.
    covered : ndarray of bool
        Cells covered before, for this type's circle.
    unreachable : ndarray of bool
        Open cells no candidate reaches.
    area : ndarray
        Floor area of each candidate (m²).
    circle_id : str
        ``S1``, ``S8`` or the facility type whose circle is sited.
    off_network : ndarray of int64
        Uncovered cells (positions in ``audit.cells``) with older residents that lie farther
        than ``max_snap_m`` from the walking network: no site can ever reach them.
    radius_m : float
        The walk sited (m).
    """

    candidates: pd.DataFrame
    c_snap: Snapped
    c_street: np.ndarray
    reach: sp.csr_array
    open_cells: np.ndarray
    covered: np.ndarray
    unreachable: np.ndarray
    area: np.ndarray
    circle_id: str
    off_network: np.ndarray
    radius_m: float


def infeasible_cells(audit: Audit, data: SitingData) -> pd.DataFrame:
    """Uncovered cells no candidate can cover, each with its reason (Chinese / English).

    Parameters
    ----------
    audit : Audit
        The audit.
    data : SitingData
        The siting arrays.

    Returns
    -------
    DataFrame
        ``cell_id, lon, lat, community, street, residents, older_residents, reason``: first the
        cells farther than ``max_snap_m`` from the walking network, then the cells on it that
        no candidate reaches within the walk.
    """
    cells = audit.cells
    lost = data.open_cells[data.unreachable]
    snap_m, walk_m = audit.study.max_snap_m, data.radius_m
    reasons = np.concatenate(
        [
            np.full(
                data.off_network.size,
                f"距步行路网超过{snap_m:g}米 / farther than {snap_m:g} m from the walking network",
                dtype=object,
            ),
            np.full(
                lost.size,
                f"步行{walk_m:,.0f}米内无候选点 / no candidate within the {walk_m:,.0f} m walk",
                dtype=object,
            ),
        ]
    )
    rows = np.concatenate([data.off_network, lost]).astype(np.int64)
    frame = cells.iloc[rows][
        ["cell_id", "lon", "lat", "community", "street", "residents", "older_residents"]
    ].reset_index(drop=True)
    frame["reason"] = reasons
    return frame


def capacity_warning(sites: pd.DataFrame, request: SitingRequest) -> str | None:
    """Warn of sites covering more residents than their capacity (uncapacitated models).

    Parameters
    ----------
    sites : DataFrame
        The proposed sites with ``id, floor_area_m2, capacity_use``.
    request : SitingRequest
        The checked request. No warning when the capacitated model ran: ``--objective
        capacitated`` with ``--add`` (a target with it is refused by ``checked_request``,
        since a target always runs the uncapacitated fewest-sites model).

    Returns
    -------
    str or None
        The warning, or None when every site is within capacity.
    """
    over = sites[sites["capacity_use"] > 1.0].sort_values(
        "capacity_use", ascending=False, kind="stable"
    )
    capacitated = request.objective == "capacitated" and request.target is None
    if capacitated or over.empty:
        return None
    named = ", ".join(
        f"{r.id} {r.capacity_use:.1f}× ({r.floor_area_m2:g} m²)"
        for r in over.head(NAMED_SITES).itertuples(index=False)
    )
    more = f" and {len(over) - NAMED_SITES} more" if len(over) > NAMED_SITES else ""
    fix = (
        "--add K --objective capacitated"
        if request.target is not None
        else "--objective capacitated"
    )
    return (
        f"警告 warning: {len(over)} of {counted(len(sites), 'proposed site')} "
        f"{verb(len(over), 'covers', 'cover')} more residents "
        f"than their capacity (floor_area_m2 × 1000 / S2 target): "
        f"{named}{more}; see capacity_use in proposed_sites.csv, and use {fix} or a larger "
        "--floor-area"
    )


def assumed_area_note(
    audit: Audit, request: SitingRequest, data: SitingData, chosen: np.ndarray
) -> str | None:
    """Say when the sites' capacity rests on the default floor area of the type.

    Parameters
    ----------
    audit : Audit
        The audit (its district floor area is NaN when S2 is not assessed).
    request : SitingRequest
        The request (``floor_area_m2`` from ``--floor-area``).
    data : SitingData
        The siting arrays (``candidates["floor_area_m2"]`` NaN where none was given).
    chosen : ndarray of int64
        The proposed sites (candidate positions).

    Returns
    -------
    str or None
        The note, or None when ``--floor-area`` was given, every proposed site has its own
        floor area, or the study's floor areas are known.
    """
    given = data.candidates["floor_area_m2"].to_numpy(dtype=float)[chosen]
    known = np.isfinite(audit.indicators["district"]["floor_area_m2"].to_numpy(dtype=float))
    if request.floor_area_m2 is not None or np.isfinite(given).all() or known.all():
        return None
    default = float(data.area[chosen][~np.isfinite(given)][0])
    return (
        f"新站点面积未知 / floor area unknown: the study's facility floor areas are unknown "
        f"(S2 not assessed) and no --floor-area was given, so capacity_residents and "
        f"capacity_use of {counted(int((~np.isfinite(given)).sum()), 'proposed site')} "
        "assume the "
        f"default {default:g} m² for {request.facility_type}; give --floor-area M2 (or "
        "floor_area_m2 in --candidates) to check capacity"
    )


def low_gain_note(
    request: SitingRequest, marginal: np.ndarray, before: float, total: float
) -> str | None:
    """Name the proposed sites that each newly cover fewer than one older resident.

    Parameters
    ----------
    request : SitingRequest
        The request (the advice differs for ``--target`` and ``--add``).
    marginal : ndarray
        Marginal gain (older residents) of each proposed site, in rank order.
    before : float
        Older residents covered before, in the sited circle.
    total : float
        Older residents in the study area.

    Returns
    -------
    str or None
        The note, or None when every site adds at least one older resident.
    """
    low = marginal < 1.0
    if not low.any():
        return None
    head = (
        f"{int(low.sum())} of {counted(marginal.size, 'proposed site')} each newly "
        f"{verb(int(low.sum()), 'covers', 'cover')} fewer than 1 "
        "older resident (marginal_gain in proposed_sites.csv)"
    )
    if request.target is None:
        return f"{head}; fewer sites cover almost as many: try a smaller --add"
    keep = marginal[~low].sum()
    share = np.floor((before + keep) / total * 1000.0) / 1000.0 if total > 0 else 0.0
    lower = (
        f"e.g. --target {share:.3f} needs {int((~low).sum())} sites"
        if (~low).any() and share < request.target
        else ""
    )
    return f"{head}; they only chase the last residents of the target: try a lower --target" + (
        f" ({lower})" if lower else ""
    )
