"""Street maps written one street per job, in worker processes where that helps.

A street's map draws only its part of the audit (:func:`street_part`: its cells, the
facilities and service areas near it, the tables), not the network or the whole city. The
HTML maps (and the static maps) cut each part in forked workers that inherit the audit
(:mod:`carecircle.maps.forked`), from the tasks of :func:`street_maps`. Jobs write their own
files; the list of files keeps the streets' order, so the output does not depend on which
worker finished first.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit
    from carecircle.analysis.indicators import Indicator

#: Degrees added around a street for what its map draws (facilities, service areas).
MARGIN_DEG = 0.01
#: Below this many streets a pool costs more (start-up, hand-over) than it saves.
MIN_STREETS_FOR_POOL = 8


Bounds = tuple[float, float, float, float]


#: what a street's part leaves out (the maps read none of it; the part goes to a worker)
_NOT_DRAWN: dict[str, Any] = dict.fromkeys(
    ("record", "network", "node_distances", "edge_index", "facility_snap", "cell_snap")
)


def score_columns(audit: Audit) -> list[tuple[Indicator, str]]:
    """Return the enabled indicators that have a score per cell, with the cells' column.

    Parameters
    ----------
    audit : Audit
        The audit's results (its ``definitions`` are the profile's enabled indicators).

    Returns
    -------
    list of (Indicator, str)
        In table order; only those whose column is in ``audit.cells``.
    """
    return [
        (definition, column)
        for definition in audit.definitions
        for column in definition.score_columns()
        if column in audit.cells.columns
    ]


def street_box(audit: Audit, code: str) -> tuple[Bounds, Bounds]:
    """Return a street's bounds and the wider box its map draws (lon/lat).

    Parameters
    ----------
    audit : Audit
        The audit's results.
    code : str
        The street's code.
    """
    geom = audit.streets.geometry.to_numpy()[(audit.streets["code"] == code).to_numpy()][0]
    minx, miny, maxx, maxy = geom.bounds
    m = MARGIN_DEG
    return (minx, miny, maxx, maxy), (minx - m, miny - m, maxx + m, maxy + m)


def street_part(
    audit: Audit,
    code: str,
    cell_rows: np.ndarray,
    *,
    box: Bounds | None = None,
    service_areas: bool = True,
) -> Audit:
    """Return the audit cut to what the map of street ``code`` draws.

    Parameters
    ----------
    audit : Audit
        The whole audit.
    code : str
        Street/town code.
    cell_rows : ndarray of int
        Positions of the street's cells in ``audit.cells``.
    box : tuple of float, optional
        The lon/lat box the map shows; by default the street's wide box (:func:`street_box`),
        and never less than it.
    service_areas : bool, default True
        Keep the service-area pieces near the street (False: none, for maps without them).

    Returns
    -------
    Audit
        The street's communities, indicator rows and uncovered cells (all its populated
        cells when an accessibility score is drawn),
        the facilities and service-area pieces within its map's box (cut to it), the tables
        of streets and the district; no network, snapping results or run record.
    """
    _, (minx, miny, maxx, maxy) = street_box(audit, code)
    if box is not None:
        minx, miny = min(minx, box[0]), min(miny, box[1])
        maxx, maxy = max(maxx, box[2]), max(maxy, box[3])
    fac = audit.facilities
    lon, lat = fac["lon"].to_numpy(), fac["lat"].to_numpy()
    near = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    areas = audit.service_areas
    if service_areas:
        areas = areas.iloc[np.sort(areas.sindex.query(shapely.box(minx, miny, maxx, maxy)))]
        areas = areas.set_geometry(
            shapely.clip_by_rect(areas.geometry.to_numpy(), minx, miny, maxx, maxy)
        )
    else:
        areas = areas.iloc[:0]
    cells = audit.cells.iloc[cell_rows]
    # the uncovered cells; every populated cell when a score layer draws them
    scored = bool(score_columns(audit))
    drawn = ((~cells["covered"] | scored) & (cells["older_residents"] > 0)).to_numpy()
    table = audit.indicators["community"]
    mine = (table["street"] == code).to_numpy()
    codes = set(table.index[mine])
    return replace(
        audit,
        communities=audit.communities[audit.communities["code"].isin(codes).to_numpy()],
        indicators={**audit.indicators, "community": table[mine]},
        underserved=audit.underserved[audit.underserved["code"].isin(codes).to_numpy()],
        cells=cells[drawn],
        cell_squares=audit.cell_squares[cell_rows[drawn]],
        facilities=fac[near],
        service_areas=areas[~shapely.is_empty(areas.geometry.to_numpy())],
        **_NOT_DRAWN,
    )


@dataclass(frozen=True)
class StreetMaps:
    """One street's two maps (WGS84 and GCJ-02): the street and where to write them."""

    code: str
    wgs84_name: str
    gcj02_name: str


def street_maps(links: dict[str, str]) -> list[StreetMaps]:
    """Return the task of each street, in the streets' order.

    Parameters
    ----------
    links : dict[str, str]
        Street code -> map file name.
    """
    return [
        StreetMaps(code, name, name.replace(".html", "_gcj02.html")) for code, name in links.items()
    ]


#: The cell columns the HTML maps read (with the score columns): coverage, grid, walk.
MAP_CELL_COLUMNS = (
    "street",
    "covered",
    "older_residents",
    "distance_m",
    "row",
    "col",
    "x0",
    "y0",
    "x1",
    "y1",
)


def map_cells(audit: Audit) -> Audit:
    """Return the audit with only the cell columns the HTML maps read (cheaper to cut).

    Parameters
    ----------
    audit : Audit
        The audit's results.
    """
    cells = audit.cells
    keep = [*MAP_CELL_COLUMNS, *(column for _, column in score_columns(audit))]
    slim = cells[[c for c in cells.columns if c in keep]]
    slim.attrs = dict(cells.attrs)
    return replace(audit, cells=slim)


def street_cells(audit: Audit) -> dict[str, np.ndarray]:
    """Return each street's cell positions in ``audit.cells`` (:func:`street_part`'s rows).

    Parameters
    ----------
    audit : Audit
        The audit's results.
    """
    rows = audit.cells.groupby("street", sort=False).indices
    empty = np.empty(0, dtype=np.int64)
    return {code: np.asarray(rows.get(code, empty)) for code in audit.streets["code"]}


def pool_size(workers: int | None, n_streets: int) -> int:
    """Worker processes to use: 1 (no pool) for few streets or inside a worker process.

    Parameters
    ----------
    workers : int | None
        Workers asked for; None for the machine's cores.
    n_streets : int
        Number of street maps to write.
    """
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if n_streets >= MIN_STREETS_FOR_POOL else 1
    if multiprocessing.parent_process() is not None:  # a batch worker: its own pool is enough
        return 1
    return max(1, min(workers, n_streets))
