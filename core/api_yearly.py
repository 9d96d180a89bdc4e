"""``cc.site_per_year``: new sites year by year, each year given the earlier years' sites.

The Python side of ``carecircle site STUDY --add-per-year 2024:35,2025:40`` (docs/plans.md):
each year is audited with the facilities open by its end (``status``, ``open_year``), the
earlier years' proposed sites added, and sited; :func:`carecircle.api.write` writes the
result through the output registry (kind ``site-per-year``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.reports import cells_frame
from carecircle.analysis.siting.site_inputs import site_inputs
from carecircle.analysis.siting.yearly import YearlySiting, parse_per_year
from carecircle.analysis.siting.yearly import site_per_year as site_years
from carecircle.config import Study, load_study
from carecircle.geo.facility_status import has_status
from carecircle.outputs import WriteJob

__all__ = ["YearlyPlan", "site_per_year"]


@dataclass(frozen=True, kw_only=True, eq=False)
class YearlyPlan:
    """The result of :func:`site_per_year`: the sites of every year and the audits behind.

    Attributes
    ----------
    study : Study
        The study.
    yearly : YearlySiting
        Sites, summaries and the audit of each year (internal, may change).
    final : Audit
        The last year's audit (its facilities; the maps draw the proposed sites apart).
    files : tuple of Path
        The candidate and exclusion files read, which no output may replace.
    """

    study: Study
    yearly: YearlySiting
    final: Audit
    files: tuple[Path, ...] = ()

    @property
    def sites(self) -> pd.DataFrame:
        """Every proposed site, ``year`` first, ``rank`` within its year."""
        return self.yearly.sites

    @property
    def by_year(self) -> pd.DataFrame:
        """One row per year: sites, status, district share before and after."""
        return self.yearly.by_year

    def write_job(self, folder: Path, *, offline: bool, progress: bool) -> WriteJob:
        """Return the job of the output registry (kind ``site-per-year``).

        Parameters
        ----------
        folder : Path
            The output folder.
        offline : bool
            Maps that need no internet.
        progress : bool
            Progress bars.

        Returns
        -------
        WriteJob
            The job.
        """
        return WriteJob(
            folder=folder,
            audit=self.final,
            cells=cells_frame(self.final),
            yearly=self.yearly,
            offline=offline,
            progress=progress,
        )


def _per_year(per_year: Mapping[int, int] | str) -> tuple[tuple[int, int], ...]:
    """Read ``{2024: 35, 2025: 40}`` or ``"2024:35,2025:40"``, checked as the CLI checks it."""
    if isinstance(per_year, str):
        return parse_per_year(per_year)
    return parse_per_year(",".join(f"{y}:{n}" for y, n in per_year.items()))


def site_per_year(  # noqa: PLR0913 - one keyword per `carecircle site` option
    study: Study | str | Path,
    per_year: Mapping[int, int] | str,
    facility_type: str = "service_station",
    *,
    objective: str = "coverage",
    candidates: pd.DataFrame | Path | None = None,
    candidates_crs: str = "EPSG:4326",
    exclude: gpd.GeoDataFrame | Path | None = None,
    spacing_m: float = 150.0,
    floor_area_m2: float | None = None,
    time_limit_s: float = 30.0,
    progress: bool = False,
) -> YearlyPlan:
    """Site new facilities year by year (as ``carecircle site --add-per-year``).

    Parameters
    ----------
    study : Study or path
        The study, or its TOML file.
    per_year : mapping of int to int, or str
        Sites per year, ascending years: ``{2024: 35, 2025: 40}`` or ``"2024:35,2025:40"``.
    facility_type : str, default "service_station"
        Type to add, as a code or its Chinese name.
    objective : {"coverage", "capacitated", "equity"}
        The model.
    candidates : DataFrame or Path, optional
        ``id, lon, lat[, floor_area_m2]`` (WGS84), or their file; a site chosen in one year is
        no candidate in later years. Default: automatic network points.
    candidates_crs : str, default "EPSG:4326"
        CRS of a candidates table's ``lon``/``lat`` (e.g. ``"GCJ-02"`` for Amap points).
    exclude : GeoDataFrame or Path, optional
        Polygons where no automatic candidate may go, or their file.
    spacing_m : float, default 150
        Spacing of automatic candidates.
    floor_area_m2 : float, optional
        Floor area of a new site when the candidates give none.
    time_limit_s : float, default 30
        Solver time limit per year.
    progress : bool, default False
        Progress bars.

    Returns
    -------
    YearlyPlan
        The sites of every year; :func:`carecircle.api.write` writes them with the maps.
    """
    years = _per_year(per_year)
    checked = site_inputs(  # a wrong type or a missing file stops before any audit
        facility_type,
        add=years[0][1],
        objective=objective,
        candidates=candidates,
        candidates_crs=candidates_crs,
        exclude=exclude,
        spacing_m=spacing_m,
        floor_area_m2=floor_area_m2,
        time_limit_s=time_limit_s,
    )
    if not isinstance(study, Study):
        study = load_study(study)
    audits: dict[int, Audit] = {}

    def audit_for(year: int) -> Audit:
        first = next(iter(audits.values()), None)
        if first is not None and not has_status(first.facilities):
            return first  # tables without status/open_year: the same facilities every year
        if year not in audits:  # maps show the last year (or the first, when it is the only)
            draw = year in (years[0][0], years[-1][0])
            audits[year] = audit_study(study, progress=progress, year=year, with_service_areas=draw)
        return audits[year]

    yearly = site_years(
        audit_for,
        checked.request,
        years,
        checked.candidates,
        exclude=checked.exclude,
        progress=progress,
    )
    final = audit_for(years[-1][0])
    return YearlyPlan(study=study, yearly=yearly, final=final, files=tuple(checked.files))
