"""The planner-facing commands: each parses nothing itself, calls analysis, writes, reports."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import cast

import pandas as pd

from carecircle import api
from carecircle.analysis.audit import Audit
from carecircle.analysis.files import check_out_folder
from carecircle.analysis.indicators import failed_indicators
from carecircle.analysis.siting import SitingResult
from carecircle.config import load_study

log = logging.getLogger("carecircle")


def run_audit(
    study_path: Path,
    out: Path,
    *,
    offline: bool = False,
    progress: bool = False,
    year: int | None = None,
) -> tuple[Audit, list[Path]]:
    """Audit one study and write every output into ``out``.

    Parameters
    ----------
    study_path : Path
        The study TOML file.
    out : Path
        Output folder (created).
    offline : bool, default False
        Write maps that need no internet.
    progress : bool, default False
        Show progress bars on a terminal (the command line's default; off with ``-q``).
    year : int, optional
        Count the facilities open by the end of this year (``--year``).

    Returns
    -------
    audit : Audit
        The results.
    paths : list of Path
        Files written.
    """
    study = load_study(study_path)
    check_out_folder(out)  # before the analysis, not after it
    result = api.audit(study, progress=progress, year=year)
    return result.audit, api.write(result, out, offline=offline, progress=progress)


def summary_text(audit: Audit, paths: list[Path], out: Path) -> str:
    """Return the terminal summary: a row per street, the district, warnings and files.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    paths : list[Path]
        The files written.
    out : Path
        Output folder.
    """
    lines = [
        f"{audit.study.name} · profile {audit.study.profile.name} · "
        f"{audit.study.minutes:g} min × {audit.study.walk_speed_m_s:g} m/s = "
        f"{audit.study.radius_m:,.0f} m",
        *(
            []
            if audit.study.population.is_raster
            else [audit.study.population.describe(raster=audit.study.residents is not None)]
        ),
        f"counted 计入设施: {audit.record.counts.get('facilities_counted', 'all facilities')}",
        "",
    ]
    head = f"{'code':<12} {'街道/镇 street':<16} {'S1 share':>9} {'S2 m²/千人':>11}  failed"
    lines += [head, "-" * len(head)]
    for level in ("street", "district"):
        table = audit.indicators[level]
        failed_ids = failed_indicators(table)
        if level == "district":
            lines.append("-" * len(head))
        for code, r in table.iterrows():
            failed = failed_ids[cast(str, code)] or "—"
            name = "全区 district" if level == "district" else r["name"]
            share, area = r["older_covered_share"], r["floor_area_per_1000"]
            lines.append(
                f"{code:<12} {name:<16} "
                + (f"{share:>9.1%} " if pd.notna(share) else f"{'— 无人口':>9} ")
                + (f"{area:>11.1f}" if pd.notna(area) else f"{'—':>11}")
                + f"  {failed}"
            )
    not_assessed = audit.catalogue[
        audit.catalogue["district_status"].str.startswith("not assessed")
    ]
    for item in not_assessed.itertuples(index=False):
        lines.append(f"{item.id} {item.district_status}")
    lines.append("")
    lines.append(f"under-served communities 未达标社区: {len(audit.underserved)}")
    if audit.boundary_note:
        lines.append(audit.boundary_note)
    for kind, items in audit.record.excluded.items():
        lines.append(f"excluded {kind}: {len(items)} (reasons in run.json)")
    for warning in audit.record.warnings:
        lines.append(f"warning: {warning}")
    lines.append("")
    lines.append(f"written to {out}:")
    lines += _listing(paths, out)
    return "\n".join(lines)


def _listing(paths: list[Path], out: Path) -> list[str]:
    """File list for the terminal; the offline Leaflet copy in maps/lib is one line."""
    shown = [p.relative_to(out) if p.is_relative_to(out) else p for p in paths]
    lib = [p for p in shown if p.parts[:2] == ("maps", "lib")]
    lines = [f"  {p}" for p in shown if p not in lib]
    if lib:
        lines.append(f"  maps/lib/ ({len(lib)} files: Leaflet for offline use)")
    return lines


def run_demo(
    out: Path, *, seed: int, offline: bool = False, progress: bool = False
) -> tuple[Audit, list[Path]]:
    """Generate the demo district into ``out/inputs`` and audit it into ``out``.

    Parameters
    ----------
    out : Path
        Output folder.
    seed : int
        Generator seed.
    offline : bool, default False
        Write maps that need no internet.
    progress : bool, default False
        Show progress bars on a terminal.

    Returns
    -------
    audit : Audit
        The results.
    paths : list of Path
        Files written.
    """
    from carecircle.data.district import write_demo_inputs

    check_out_folder(out)  # before generating anything
    start = time.perf_counter()
    study_path = write_demo_inputs(out / "inputs", seed=seed)
    log.info("demo inputs generated in %.1f s: %s", time.perf_counter() - start, study_path)
    return run_audit(study_path, out, offline=offline, progress=progress)


def profiles_text(action: str, name: str | None) -> str:
    """Return the text of ``carecircle profiles list|show NAME|check FILE``.

    Parameters
    ----------
    action : str
        ``list``, ``show`` or ``check``.
    name : str or None
        Profile name (show) or file (check).

    Returns
    -------
    str
        What to print.

    Raises
    ------
    ProfileError
        For an unknown or invalid profile, or a missing name.
    """
    from carecircle.analysis.indicators import REGISTRY, checked_profile
    from carecircle.errors import ProfileError
    from carecircle.profiles import builtin_profile_names, load_profile

    if action == "list":
        rows = []
        for n in builtin_profile_names():
            p = load_profile(n)
            rows.append(f"{n:<16} {p.title}")
        return "\n".join(rows)
    if not name:
        raise ProfileError(
            f"carecircle profiles {action} needs a profile name or file, e.g. "
            f"carecircle profiles {action} shanghai"
        )
    if action == "check" and not name.endswith(".toml"):
        raise ProfileError(f"{name}: give the path of a .toml profile to check")
    p = checked_profile(load_profile(name, base=Path.cwd()))
    lines = [
        f"{p.name}: {p.title}",
        f"plan: {p.plan}",
        f"circle: {p.minutes:g} min × {p.walk_speed_m_s:g} m/s, older age {p.older_age}+, "
        f"types {', '.join(p.circle_types)}",
        "",
    ]
    for definition in REGISTRY:
        indicator_id, zh, en = definition.id, definition.name_zh, definition.name_en
        spec = p.indicator(indicator_id)
        state = f"target {spec.target:g} {definition.unit}" if spec.enabled else "off"
        extra = ", ".join(f"{k}={v}" for k, v in spec.params.items())
        lines.append(f"{indicator_id:<3} {zh} / {en}: {state}" + (f" ({extra})" if extra else ""))
        if spec.source:
            lines.append(f"    {spec.source}")
    from carecircle.scripts.plan_commands import plan_lines

    lines += plan_lines(p)
    if action == "check":
        lines.append("")
        lines.append(f"{name}: valid profile")
    return "\n".join(lines)


def run_site(  # noqa: PLR0913 - one keyword per `carecircle site` option
    study_path: Path,
    out: Path,
    *,
    facility_type: str,
    add: int | None = None,
    target: float | None = None,
    objective: str = "coverage",
    candidates: Path | None = None,
    candidates_crs: str = "EPSG:4326",
    exclude: Path | None = None,
    spacing_m: float = 150.0,
    floor_area_m2: float | None = None,
    time_limit_s: float = 30.0,
    offline: bool = False,
    progress: bool = False,
) -> tuple[Audit, SitingResult, list[Path]]:
    """Audit the study, site new facilities, write the proposal and the updated maps.

    Parameters
    ----------
    study_path : Path
        The study TOML file.
    out : Path
        Output folder.
    facility_type, add, target, objective, spacing_m, floor_area_m2, time_limit_s
        As for :func:`carecircle.site`.
    candidates : Path, optional
        Candidate sites file (``id, lon, lat[, floor_area_m2]``).
    candidates_crs : str, default "EPSG:4326"
        Their coordinate system (or ``GCJ-02``, ``BD-09``).
    exclude : Path, optional
        Polygons where no automatic candidate may go.
    offline : bool, default False
        Maps that need no internet.
    progress : bool, default False
        Progress bars on a terminal.

    Returns
    -------
    audit : Audit
        The audit.
    result : SitingResult
        The proposal.
    paths : list of Path
        Files written.
    """
    checked = api.site_inputs(  # a wrong --type or a missing file stops before the audit
        facility_type,
        add=add,
        target=target,
        objective=objective,
        candidates=candidates,
        candidates_crs=candidates_crs,
        exclude=exclude,
        spacing_m=spacing_m,
        floor_area_m2=floor_area_m2,
        time_limit_s=time_limit_s,
    )
    check_out_folder(out)  # before the analysis, not after it
    result = api.audit(load_study(study_path), progress=progress)
    plan = api.site(
        result,
        facility_type,
        add=add,
        target=target,
        objective=objective,
        candidates=checked.candidates,
        exclude=checked.exclude,
        spacing_m=spacing_m,
        floor_area_m2=floor_area_m2,
        time_limit_s=time_limit_s,
        progress=progress,
    )
    paths = api.write(plan, out, offline=offline, progress=progress, protect=checked.files)
    return result.audit, plan.siting, paths


def siting_text(audit: Audit, result: SitingResult, paths: list[Path], out: Path) -> str:
    """Return the terminal summary of a siting run.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    result : SitingResult
        The siting result.
    paths : list[Path]
        The files written.
    out : Path
        Output folder.
    """
    s = result.summary
    lines = [
        f"{audit.study.name} · site {s['type']} · {s['model']} · {s['sites']} new sites",
        f"status {s['status']} ({s['method']}): objective {s['objective_value']:,.1f}, "
        f"best bound {s['best_bound']:,.1f}, gap {s['gap']:.2%}",
        f"optimal = {s['optimal_means']}; reductions (exact for this model) in siting.json",
        f"district {s['circle']} share {s['district_before']:.1%} → "
        f"{s['district_after']:.1%} (+{s['older_newly_covered']:,.0f} older residents)",
        "",
    ]
    lines.append(f"{'rank':<5} {'id':<7} {'street':<12} {'community':<14} {'gain':>8}")
    for r in result.sites.itertuples(index=False):
        lines.append(
            f"{r.rank:<5} {r.id:<7} {r.street:<12} {r.community:<14} {r.marginal_gain:>8,.0f}"
        )
    notes = cast(list[str], s["notes"])
    lines += [n if n.startswith("警告") else f"note: {n}" for n in notes]
    lines += ["", f"written to {out}:"]
    lines += _listing(paths, out)
    return "\n".join(lines)


def to_postgis(audit: Audit, url: str, schema: str) -> list[str]:
    """Write every output table of an audit to PostGIS, replacing them in one transaction.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    url : str
        ``postgresql://`` URL.
    schema : str
        PostgreSQL schema to write into.
    """
    from carecircle.analysis.reports import database_tables
    from carecircle.geo.postgis import write_tables

    return write_tables(url, schema, database_tables(audit))


def run_batch_command(
    studies: list[Path],
    out: Path,
    *,
    scheduler: str = "local",
    workers: int = 2,
    retries: int = 2,
    offline: bool = False,
    quiet: bool = False,
) -> tuple[pd.DataFrame, list[Path]]:
    """Run ``carecircle batch``: audits on Dask, then the combined summary and overview map.

    Parameters
    ----------
    studies : list of Path
        Study TOML files.
    out : Path
        Output folder (one subfolder per study).
    scheduler, workers, retries
        As for :func:`carecircle.scripts.batch.run_batch`.
    offline : bool, default False
        Maps that need no internet.
    quiet : bool, default False
        No progress bars, Dask errors only.

    Returns
    -------
    summary : DataFrame
        One row per study.
    paths : list of Path
        Files written.
    """
    from carecircle.analysis.reports import write_csv
    from carecircle.analysis.xlsx import write_xlsx
    from carecircle.maps.batch_map import batch_overview
    from carecircle.scripts.batch import run_batch

    result = run_batch(
        studies,
        out,
        scheduler=scheduler,
        workers=workers,
        retries=retries,
        offline=offline,
        progress=not quiet,
        dask_log_level=logging.ERROR if quiet else logging.WARNING,
    )
    summary = result.summary
    paths = [
        write_csv(out / "batch_summary.csv", summary),
        write_xlsx(out / "batch_summary.xlsx", [("批量 batch", summary)]),
        batch_overview(summary, out, offline=offline),
    ]
    return summary, paths


def batch_text(summary: pd.DataFrame, paths: list[Path], out: Path) -> str:
    """Return the terminal summary of a batch.

    Parameters
    ----------
    summary : pd.DataFrame
        One row per study of the batch.
    paths : list[Path]
        The files written.
    out : Path
        Output folder.
    """
    lines = [f"{'study':<28} {'status':<7} {'S1':>7} {'S2':>7}  note"]
    for r in summary.itertuples(index=False):
        share = getattr(r, "older_covered_share", None)
        area = getattr(r, "floor_area_per_1000", None)
        done = r.status == "done"
        # S2 is unknown (not assessed) when the facilities give no floor area
        figures = (f"{share:>7.1%} " if done and pd.notna(share) else f"{'—':>7} ") + (
            f"{area:>7.1f}" if done and pd.notna(area) else f"{'—':>7}"
        )
        study = Path(cast(str, r.study))
        lines.append(
            f"{study.parent.name + '/' + study.name:<28} {r.status:<7} {figures}  {r.error}"
        )
    lines += ["", f"written to {out}:", *_listing(paths, out)]
    return "\n".join(lines)
