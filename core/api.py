"""carecircle's Python API: ``cc.audit``, ``cc.site``, ``cc.write`` (see docs/api.md).

This is the top of the layer cake: it calls analysis and maps, and the command line
(``carecircle.scripts``) is a thin layer over it. ``import carecircle`` stays light: the
package's ``__getattr__`` imports this module on first use of one of its names (PEP 562), the
one documented exception to "core imports nothing above it" (tests/test_architecture.py).

Examples
--------
>>> import carecircle as cc
>>> study = cc.Study.from_toml("study.toml")
>>> result = cc.audit(study)
>>> result.by_street                      # DataFrame
>>> plan = cc.site(result, facility_type="service_station", add=5)
>>> cc.write(result, "out/")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.files import check_out_folder, input_files, input_record, staged_outputs
from carecircle.analysis.progress import PlanProgress, plan_progress
from carecircle.analysis.reports import cells_frame, write_run_json, write_tables
from carecircle.analysis.siting import SitingRequest, SitingResult, site_facilities
from carecircle.analysis.siting.request import checked_request
from carecircle.config import Study, load_study
from carecircle.errors import InputDataError
from carecircle.maps.charts import render_report
from carecircle.maps.gap_maps import overview_map, render_maps, street_map
from carecircle.maps.report_docx import render_report_docx
from carecircle.maps.style import map_file_stems

__all__ = [
    "AuditResult",
    "PlanProgress",
    "SitingPlan",
    "Study",
    "audit",
    "progress",
    "site",
    "write",
]


@dataclass(frozen=True)
class AuditResult:
    """The result of :func:`audit`: tables as DataFrames, cells as a GeoDataFrame.

    Attributes
    ----------
    audit : Audit
        Everything the audit produced (network, snapping, run record); internal, may change.
    inputs : mapping
        The input files with their SHA-256 as they were read (before the analysis), for
        ``run.json``.
    """

    audit: Audit
    inputs: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)

    @property
    def study(self) -> Study:
        """The study audited (with its profile checked against the indicator registry)."""
        return self.audit.study

    @property
    def by_street(self) -> pd.DataFrame:
        """Coverage and the circle/floor-area figures per street (``coverage_by_street.csv``)."""
        return self.audit.by_street

    @property
    def by_community(self) -> pd.DataFrame:
        """The same per community (``coverage_by_community.csv``)."""
        return self.audit.by_community

    @property
    def district(self) -> pd.DataFrame:
        """The same for the whole district (one row)."""
        return self.audit.district

    def indicators(self, level: str = "street") -> pd.DataFrame:
        """Return every indicator's columns at ``community``, ``street`` or ``district`` level."""
        return self.audit.indicators[level].reset_index()

    @property
    def catalogue(self) -> pd.DataFrame:
        """One row per indicator (``indicator_catalogue.csv``)."""
        return self.audit.catalogue

    @property
    def underserved(self) -> pd.DataFrame:
        """The ranked under-served communities (``underserved_communities.csv``)."""
        return self.audit.underserved

    @property
    def cells(self) -> gpd.GeoDataFrame:
        """Every population cell with its coverage, as squares (EPSG:4326, ``cells.gpkg``)."""
        return cells_frame(self.audit)

    @property
    def warnings(self) -> list[str]:
        """The warnings of this audit (as in run.json)."""
        return list(self.audit.record.warnings)

    def explore(self, street: str | None = None, *, offline: bool = False) -> folium.Map:
        """Return the district overview map, or one street's gap map (shows in Jupyter).

        Parameters
        ----------
        street : str, optional
            A street/town code; default the district overview.
        offline : bool, default False
            Blank basemap and local Leaflet, as ``--offline``.

        Returns
        -------
        folium.Map
            The map.
        """
        if street is None:  # links as cc.write names the street maps (maps/<code>.html)
            stems = map_file_stems(list(self.audit.streets["code"]))
            links = {c: f"{stem}.html" for c, stem in stems.items()}
            return overview_map(self.audit, links, offline=offline)
        return street_map(self.audit, street, offline=offline)


@dataclass(frozen=True)
class SitingPlan:
    """The result of :func:`site`: the proposal and the audit it improves.

    Attributes
    ----------
    result : AuditResult
        The audit.
    siting : SitingResult
        The proposal with its certificate (internal, may change).
    """

    result: AuditResult
    siting: SitingResult

    @property
    def sites(self) -> pd.DataFrame:
        """The proposed sites, ranked (``proposed_sites.csv``)."""
        return self.siting.sites

    @property
    def summary(self) -> dict:
        """Model, status, objective, bound and before/after shares."""
        return self.siting.summary


def audit(
    study: Study | str | Path, *, progress: bool = False, year: int | None = None
) -> AuditResult:
    """Audit a study: coverage of the service circle and every indicator of its profile.

    Parameters
    ----------
    study : Study or path
        The study, or its TOML file.
    progress : bool, default False
        Progress bars on long steps (on a terminal only).
    year : int, optional
        Count the facilities open by the end of this year (``status``, ``open_year``;
        docs/plans.md); default the existing ones.

    Returns
    -------
    AuditResult
        Tables and cells.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    inputs = input_record(study)  # the files as they are read, not as they are at the end
    return AuditResult(audit_study(study, progress=progress, year=year), inputs)


def progress(study: Study | str | Path, *, progress: bool = False) -> PlanProgress:
    """Audit the baseline and every plan year of the profile's ``[plan]`` (docs/plans.md).

    Parameters
    ----------
    study : Study or path
        The study, or its TOML file; its profile must have a ``[plan]``.
    progress : bool, default False
        Progress bars (on a terminal only).

    Returns
    -------
    PlanProgress
        ``summary`` (one row per indicator / facility type: baseline, each year, target, met)
        and ``by_year``; :func:`write` writes them with one chart each.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    return plan_progress(study, progress=progress)


def site(  # noqa: PLR0913 - one keyword per `carecircle site` option
    result: AuditResult,
    facility_type: str = "service_station",
    *,
    add: int | None = None,
    target: float | None = None,
    objective: str = "coverage",
    candidates: pd.DataFrame | None = None,
    exclude: gpd.GeoDataFrame | None = None,
    spacing_m: float = 150.0,
    floor_area_m2: float | None = None,
    time_limit_s: float = 30.0,
    progress: bool = False,
) -> SitingPlan:
    """Choose new facility sites that close the gaps best (as ``carecircle site``).

    Parameters
    ----------
    result : AuditResult
        The audit of the study.
    facility_type : str, default "service_station"
        Type to add, as a code or its Chinese name.
    add : int, optional
        Number of new sites (exactly one of ``add`` and ``target``).
    target : float, optional
        Coverage share (0–1) to reach with the fewest sites.
    objective : {"coverage", "capacitated", "equity"}
        The model.
    candidates : DataFrame, optional
        ``id, lon, lat[, floor_area_m2]`` (WGS84); default: automatic network points.
    exclude : GeoDataFrame, optional
        Polygons (with a CRS) where no automatic candidate may go.
    spacing_m : float, default 150
        Spacing of automatic candidates.
    floor_area_m2 : float, optional
        Floor area of a new site when the candidates give none.
    time_limit_s : float, default 30
        Solver time limit.
    progress : bool, default False
        Progress bar over the coverage matrix.

    Returns
    -------
    SitingPlan
        The proposal.
    """
    request = checked_request(
        SitingRequest(
            facility_type=facility_type,
            add=add,
            target=target,
            objective=objective,
            time_limit_s=time_limit_s,
            spacing_m=spacing_m,
            floor_area_m2=floor_area_m2,
        )
    )
    if exclude is not None and (not isinstance(exclude, gpd.GeoDataFrame) or exclude.crs is None):
        raise InputDataError("exclusion areas must be polygons with a CRS")
    siting = site_facilities(result.audit, request, candidates, exclude, progress=progress)
    return SitingPlan(result, siting)


def write(
    result: AuditResult | SitingPlan | PlanProgress,
    out: str | Path,
    *,
    offline: bool = False,
    progress: bool = False,
    protect: Iterable[Path] = (),
) -> list[Path]:
    """Write every output of an audit (or a siting plan) into ``out``, as the CLI does.

    Parameters
    ----------
    result : AuditResult or SitingPlan
        An audit: tables, workbooks, GeoPackages, maps, charts, report and run.json. A plan:
        the proposal tables and the maps with the proposed sites. A plan progress: its
        tables, progress.json and one chart per indicator and facility type.
    out : str or Path
        Output folder (written in a staging folder, then moved in place; the previous run's
        own files that this run does not write again are removed).
    offline : bool, default False
        Maps that need no internet.
    progress : bool, default False
        Progress bars.
    protect : iterable of Path, optional
        Further input files (candidates, exclusion areas) that no output may replace; the
        study's own inputs are always protected.

    Returns
    -------
    list of Path
        Files written.
    """
    out = check_out_folder(Path(out))
    if isinstance(result, PlanProgress):
        from carecircle.analysis.progress_outputs import write_progress_tables
        from carecircle.maps.plan_charts import render_progress_charts

        with staged_outputs(out, "progress", [*input_files(result.study), *protect]) as stage:
            paths = write_progress_tables(stage, result)
            paths += render_progress_charts(result.by_year, stage / "charts")
        return [out / p.relative_to(stage) for p in paths]
    if isinstance(result, SitingPlan):
        from carecircle.analysis.siting.outputs import write_siting

        audit_ = result.result.audit
        inputs = [*input_files(audit_.study), *protect]
        with staged_outputs(out, "site", inputs) as stage:
            paths = write_siting(stage, result.siting)
            paths += render_maps(
                audit_,
                stage / "maps",
                proposals=result.siting.sites,
                offline=offline,
                progress=progress,
            )
            paths += render_report_docx(
                audit_,
                stage,
                inputs=dict(result.result.inputs) or None,
                sites=result.siting.sites,
                siting_summary=result.siting.summary,
                progress=progress,
            )
        return [out / p.relative_to(stage) for p in paths]
    audit_, rec = result.audit, result.audit.record
    with staged_outputs(out, "audit", [*input_files(audit_.study), *protect]) as stage:
        with rec.stage("write tables"):
            paths = write_tables(stage, audit_)
        with rec.stage("write maps"):
            paths += render_maps(audit_, stage / "maps", offline=offline, progress=progress)
            paths += render_report(audit_, stage)
            paths += render_report_docx(
                audit_, stage, inputs=dict(result.inputs) or None, progress=progress
            )
        paths.append(
            write_run_json(stage / "run.json", audit_, {}, inputs=dict(result.inputs) or None)
        )
    return [out / p.relative_to(stage) for p in paths]
