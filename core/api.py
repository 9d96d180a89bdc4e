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
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.files import input_record
from carecircle.analysis.progress import PlanProgress, plan_progress
from carecircle.analysis.reports import cells_frame
from carecircle.analysis.siting import SitingResult, site_facilities
from carecircle.analysis.siting.site_inputs import SiteInputs, site_inputs
from carecircle.api_yearly import YearlyPlan, site_per_year
from carecircle.config import Study, load_study
from carecircle.maps.style import map_file_stems
from carecircle.outputs import WRITERS, WriteJob, write_outputs

if TYPE_CHECKING:  # folium is imported by explore(), the one call that draws a map
    import folium

__all__ = [
    "AuditResult",
    "PlanProgress",
    "SiteInputs",
    "SitingPlan",
    "Study",
    "YearlyPlan",
    "audit",
    "progress",
    "site",
    "site_inputs",
    "site_per_year",
    "write",
]


@dataclass(frozen=True, kw_only=True, eq=False)
class AuditResult:
    """The result of :func:`audit`: tables as DataFrames, cells as a GeoDataFrame (immutable).

    Built by keyword (:meth:`from_audit`); assigning a field raises
    ``dataclasses.FrozenInstanceError``.

    Attributes
    ----------
    study : Study
        The study audited (with its profile checked against the indicator registry).
    by_street, by_community, district : DataFrame
        Coverage and S1/S2 per street/town, community, and the district (one row):
        ``coverage_by_street.csv``, ``coverage_by_community.csv``.
    indicator_tables : mapping
        ``community``, ``street``, ``district`` -> every indicator's columns
        (``indicators_by_*.csv``); see :meth:`indicators`.
    catalogue : DataFrame
        One row per indicator (``indicator_catalogue.csv``).
    underserved : DataFrame
        The ranked under-served communities (``underserved_communities.csv``).
    cells : GeoDataFrame
        Every population cell with its coverage, as squares in EPSG:4326 (``cells.gpkg``).
    attribute_columns : frozenset of str
        The facility columns any facility file gave (``floor_area_m2``, ``beds``, …): an
        indicator counting a column outside it is ``not assessed``.
    warnings : tuple of str
        The warnings of the audit (as in run.json).
    inputs : mapping
        The input files with their SHA-256 as they were read (before the analysis), for
        ``run.json`` and the report.
    audit : Audit
        Everything else the audit produced (network, snapping, run record); internal, may
        change.
    """

    study: Study
    by_street: pd.DataFrame
    by_community: pd.DataFrame
    district: pd.DataFrame
    indicator_tables: Mapping[str, pd.DataFrame]
    catalogue: pd.DataFrame
    underserved: pd.DataFrame
    cells: gpd.GeoDataFrame
    attribute_columns: frozenset[str]
    warnings: tuple[str, ...]
    audit: Audit
    inputs: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)

    @classmethod
    def from_audit(
        cls, audit: Audit, inputs: Mapping[str, Mapping[str, str | None]] | None = None
    ) -> AuditResult:
        """Return the result of an :class:`Audit`, its tables and cells built once.

        Parameters
        ----------
        audit : Audit
            The audit.
        inputs : mapping, optional
            ``analysis.files.input_record`` of the study, taken before the analysis.

        Returns
        -------
        AuditResult
            The result.
        """
        return cls(
            study=audit.study,
            by_street=audit.by_street,
            by_community=audit.by_community,
            district=audit.district,
            indicator_tables={k: v.reset_index() for k, v in audit.indicators.items()},
            catalogue=audit.catalogue,
            underserved=audit.underserved,
            cells=cells_frame(audit),
            attribute_columns=audit.attribute_columns,
            warnings=tuple(audit.record.warnings),
            audit=audit,
            inputs=dict(inputs or {}),
        )

    def indicators(self, level: str = "street") -> pd.DataFrame:
        """Return every indicator's columns at ``community``, ``street`` or ``district`` level."""
        return self.indicator_tables[level]

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
        from carecircle.maps.gap_maps import overview_map, street_map  # folium: ~0.6 s to import

        if street is None:  # links as cc.write names the street maps (maps/<code>.html)
            stems = map_file_stems(list(self.audit.streets["code"]))
            links = {c: f"{stem}.html" for c, stem in stems.items()}
            return overview_map(self.audit, links, offline=offline)
        return street_map(self.audit, street, offline=offline)


@dataclass(frozen=True, kw_only=True, eq=False)
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
    digests = {  # hashed once: the network's cache key reuses its digest
        str(source): digest
        for role, source in study.input_paths().items()
        if isinstance(source, Path) and (digest := inputs[role].get("sha256"))
    }
    audited = audit_study(study, progress=progress, digests=digests, year=year)
    return AuditResult.from_audit(audited, inputs)


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
    candidates: pd.DataFrame | Path | None = None,
    exclude: gpd.GeoDataFrame | Path | None = None,
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
    candidates : DataFrame or Path, optional
        ``id, lon, lat[, floor_area_m2]`` (WGS84), or a file of them; default: automatic
        network points.
    exclude : GeoDataFrame or Path, optional
        Polygons (with a CRS) where no automatic candidate may go, or their file.
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
    checked = site_inputs(
        facility_type,
        add=add,
        target=target,
        objective=objective,
        candidates=candidates,
        exclude=exclude,
        spacing_m=spacing_m,
        floor_area_m2=floor_area_m2,
        time_limit_s=time_limit_s,
    )
    siting = site_facilities(
        result.audit, checked.request, checked.candidates, checked.exclude, progress=progress
    )
    return SitingPlan(result=result, siting=siting)


def write(
    result: AuditResult | SitingPlan | PlanProgress | YearlyPlan,
    out: str | Path,
    *,
    offline: bool = False,
    progress: bool = False,
    protect: Iterable[Path] = (),
) -> list[Path]:
    """Write every output of an audit (or a siting plan) into ``out``, as the CLI does.

    Runs the writers registered in :data:`carecircle.outputs.WRITERS` for ``audit`` (or
    ``site``, ``progress``), in order.

    Parameters
    ----------
    result : AuditResult, SitingPlan, PlanProgress or YearlyPlan
        An audit: tables, workbooks, GeoPackages, maps, charts, report and run.json. A plan:
        the proposal tables and the maps with the proposed sites. A plan progress: its
        tables, progress.json and one chart per indicator and facility type. Sites per year
        (:func:`site_per_year`): their tables and the maps with every year's sites.
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
    if isinstance(result, YearlyPlan):
        job = result.write_job(Path(out), offline=offline, progress=progress)
        files = [*protect, *result.files]
        return write_outputs(job, Path(out), WRITERS, protect=files)
    if isinstance(result, PlanProgress):
        baseline = result.audits[result.plan.baseline_year]
        job = WriteJob(
            folder=Path(out),
            audit=baseline,
            cells=cells_frame(baseline),
            plans=result,
            offline=offline,
            progress=progress,
        )
        return write_outputs(job, Path(out), WRITERS, protect=protect)
    if isinstance(result, SitingPlan):
        audited, siting = result.result, result.siting
    else:
        audited, siting = result, None
    job = WriteJob(
        folder=Path(out),
        audit=audited.audit,
        cells=audited.cells,
        inputs=dict(audited.inputs) or None,
        siting=siting,
        offline=offline,
        progress=progress,
    )
    return write_outputs(job, Path(out), WRITERS, protect=protect)
