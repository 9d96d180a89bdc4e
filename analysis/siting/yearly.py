"""Multi-year siting: each year's new sites placed given the earlier years' (``--add-per-year``).

``carecircle site STUDY --add-per-year 2024:35,2025:40,2026:43`` audits the study for 2024
(the facilities open by then, status/open_year), sites 35 facilities on the existing solve
path (:func:`carecircle.analysis.siting.site_facilities`), then audits 2025, adds the 2024
sites to it as existing facilities (they cover their cells), sites 40, and so on. The siting
models are not changed: each year is one ordinary siting run on an audit that already holds
the earlier years' sites.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from carecircle.analysis.audit import Audit
from carecircle.analysis.circles import walk_to_types
from carecircle.analysis.reports import write_csv
from carecircle.analysis.siting.request import SitingRequest, SitingResult
from carecircle.analysis.siting.site import site_facilities
from carecircle.analysis.walks import own_minute_walks, walk_radius_m
from carecircle.errors import InputDataError
from carecircle.files import write_text_atomic
from carecircle.geo.snap import Snapped

_ITEM = re.compile(r"^\s*(\d{4})\s*[:：=]\s*(\d+)\s*$")


@dataclass(frozen=True)
class YearlySiting:
    """Sites per year, each chosen given the earlier years'.

    Attributes
    ----------
    per_year : tuple of (int, int)
        ``(year, sites)`` as asked.
    results : dict
        Year -> the siting run of that year.
    audits : dict
        Year -> the audit the year's sites were chosen on (facilities open by that year plus
        the earlier years' sites).
    sites : DataFrame
        Every proposed site, ``year`` first, ``rank`` within its year.
    by_year : DataFrame
        One row per year: sites, status, district share before and after, older residents
        newly covered.
    """

    per_year: tuple[tuple[int, int], ...]
    results: dict[int, SitingResult]
    audits: dict[int, Audit]
    sites: pd.DataFrame
    by_year: pd.DataFrame


def parse_per_year(text: str) -> tuple[tuple[int, int], ...]:
    """Read ``2024:35,2025:40,2026:43`` into ``((2024, 35), (2025, 40), (2026, 43))``.

    Parameters
    ----------
    text : str
        The ``--add-per-year`` value.

    Returns
    -------
    tuple of (int, int)
        Years ascending, each with at least one site.

    Raises
    ------
    InputDataError
        For an item that is not ``YEAR:COUNT``, a repeated or unordered year, or a count of 0.
    """
    items = []
    for part in str(text).replace("，", ",").split(","):
        match = _ITEM.match(part)
        if match is None:
            raise InputDataError(
                f"--add-per-year {text}: '{part.strip()}' is not YEAR:COUNT; write e.g. "
                "--add-per-year 2024:35,2025:40,2026:43"
            )
        year, count = int(match.group(1)), int(match.group(2))
        if count < 1:
            raise InputDataError(f"--add-per-year {text}: {year} adds {count} sites; give ≥ 1")
        items.append((year, count))
    years = [y for y, _ in items]
    if years != sorted(set(years)):
        raise InputDataError(
            f"--add-per-year {text}: years must be distinct and ascending, e.g. "
            "2024:35,2025:40,2026:43"
        )
    return tuple(items)


def _walk_columns(audit: Audit, ftype: str) -> list[tuple[str, float]]:
    """Return the cell columns a facility of ``ftype`` covers, with their walk (m)."""
    study = audit.study
    columns = [("covered", study.radius_m)] if ftype in study.profile.circle_types else []
    for definition, spec, walk in own_minute_walks(study):
        if ftype in spec.facility_types:
            columns.append(
                (walk.column(definition.id), walk_radius_m(definition, spec, walk, study))
            )
    return columns


def with_sites(audit: Audit, sites: pd.DataFrame, ftype: str) -> Audit:
    """Return the audit with ``sites`` added as existing facilities of ``ftype``.

    The sites join the facility table (so a later siting run of a type without a circle of
    its own walks from them too) and the cells they reach within the type's walk become
    covered in the columns the siting reads (``covered``, ``covered_S8``).

    Parameters
    ----------
    audit : Audit
        An audit.
    sites : DataFrame
        Proposed sites with ``id, lon, lat`` (WGS84).
    ftype : str
        Their type code.

    Returns
    -------
    Audit
        A copy; the argument is unchanged.
    """
    if sites.empty:
        return audit
    to_metric = Transformer.from_crs("EPSG:4326", audit.crs, always_xy=True)
    x, y = to_metric.transform(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    snap = audit.edge_index.snap(x, y, max_distance_m=audit.study.max_snap_m)
    new = pd.DataFrame(
        {
            "id": sites["id"].astype(str).to_numpy(),
            "name": "proposed " + sites["id"].astype(str),
            "type": ftype,
            "lon": sites["lon"].to_numpy(),
            "lat": sites["lat"].to_numpy(),
            "street": sites.get("street", pd.Series("", index=sites.index)).to_numpy(),
            "community": sites.get("community", pd.Series("", index=sites.index)).to_numpy(),
            "counts_for_circle": ftype in audit.study.profile.circle_types,
            "excluded_reason": "",
            "snap_distance_m": np.round(snap.distance, 1),
        }
    )
    cells = audit.cells.copy()
    for column, radius in _walk_columns(audit, ftype):
        dist = walk_to_types(audit.network, new, snap, audit.cell_snap, (ftype,), limit_m=radius)
        cells[column] = cells[column].to_numpy() | (dist <= radius + 1e-9)
    fac = pd.concat([audit.facilities, new], ignore_index=True)
    old = audit.facility_snap
    both = Snapped(
        *(
            np.concatenate([getattr(old, k), getattr(snap, k)])
            for k in ("edge", "t", "distance", "x", "y")
        )
    )
    return dataclasses.replace(audit, cells=cells, facilities=fac, facility_snap=both)


def site_per_year(
    audit_for: Callable[[int], Audit],
    request: SitingRequest,
    per_year: tuple[tuple[int, int], ...],
    candidates: pd.DataFrame | None = None,
    **kwargs: object,
) -> YearlySiting:
    """Site each year's facilities given the earlier years' sites.

    Parameters
    ----------
    audit_for : callable
        Year -> the audit counting the facilities open by then (``audit_study(study,
        year=...)``).
    request : SitingRequest
        Type, objective, spacing, …; ``add`` is replaced by each year's count.
    per_year : tuple of (int, int)
        ``(year, sites)`` ascending (:func:`parse_per_year`).
    candidates : DataFrame, optional
        Candidate sites; a site chosen in one year is no candidate in later years.
    **kwargs
        Passed on to :func:`site_facilities` (``exclude``, ``progress``).

    Returns
    -------
    YearlySiting
        Sites and summaries per year.
    """
    chosen: list[pd.DataFrame] = []
    results: dict[int, SitingResult] = {}
    audits: dict[int, Audit] = {}
    left = candidates
    for year, count in per_year:
        audit = audit_for(year)
        for (before, _), earlier in zip(per_year, chosen, strict=False):
            ids = [f"{before}-{i}" for i in earlier["id"]]  # auto candidates repeat ids
            audit = with_sites(audit, earlier.assign(id=ids), request.facility_type)
        result = site_facilities(
            audit,
            dataclasses.replace(request, add=count, target=None),
            left,
            **kwargs,  # type: ignore[arg-type]
        )
        results[year], audits[year] = result, audit
        chosen.append(result.sites)
        if left is not None:
            left = left[~left["id"].astype(str).isin(result.sites["id"].astype(str))]
    table = pd.concat(
        [
            s.assign(year=y, id=[f"{y}-{i}" for i in s["id"]])
            for s, (y, _) in zip(chosen, per_year, strict=True)
        ],
        ignore_index=True,
    )
    table = table[["year", *[c for c in table.columns if c != "year"]]]
    return YearlySiting(per_year, results, audits, table, _by_year(results))


def _by_year(results: dict[int, SitingResult]) -> pd.DataFrame:
    rows = []
    for year, result in results.items():
        s = result.summary
        rows.append(
            {
                "year": year,
                "sites": s.get("sites"),
                "status": s.get("status"),
                "circle": s.get("circle"),
                "district_before": s.get("district_before"),
                "district_after": s.get("district_after"),
                "older_newly_covered": s.get("older_newly_covered"),
                "gap": s.get("gap"),
            }
        )
    return pd.DataFrame(rows)


def _json_ready(value: object) -> object:
    if isinstance(value, np.floating | float):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_yearly_siting(folder: Path, result: YearlySiting) -> list[Path]:
    """Write the sites (column ``year``), the summary and before/after of every year.

    Files: ``proposed_sites.csv``, ``siting_by_year.csv``, ``before_after_by_street.csv``
    (column ``year``) and ``siting.json`` (one summary per year).

    Parameters
    ----------
    folder : Path
        Output (staging) folder.
    result : YearlySiting
        The multi-year proposal.

    Returns
    -------
    list of Path
        The files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    before_after = pd.concat(
        [r.before_after.assign(year=y) for y, r in result.results.items()], ignore_index=True
    )
    summary = {
        str(y): {k: _json_ready(v) for k, v in r.summary.items()} for y, r in result.results.items()
    }
    return [
        write_csv(folder / "proposed_sites.csv", result.sites),
        write_csv(folder / "siting_by_year.csv", result.by_year),
        write_csv(folder / "before_after_by_street.csv", before_after),
        write_text_atomic(
            folder / "siting.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
        ),
    ]
