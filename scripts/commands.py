"""The planner-facing commands: each parses nothing itself, calls analysis, writes, reports."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import pandas as pd

from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.files import (
    check_out_folder,
    input_files,
    input_record,
    staged_outputs,
)
from carecircle.analysis.indicators import failed_indicators
from carecircle.analysis.reports import write_run_json, write_tables
from carecircle.analysis.siting import SitingResult
from carecircle.config import load_study
from carecircle.maps.charts import render_report
from carecircle.maps.gap_maps import render_maps
from carecircle.maps.report_docx import render_report_docx

log = logging.getLogger("carecircle")


def run_audit(
    study_path: Path, out: Path, *, offline: bool = False, progress: bool = False
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

    Returns
    -------
    audit : Audit
        The results.
    paths : list of Path
        Files written.
    """
    study = load_study(study_path)
    check_out_folder(out)  # before the analysis, not after it
    inputs = input_record(study)  # the files as they are read, not as they are at the end
    audit = audit_study(study, progress=progress)
    extra: dict[str, float] = {}
    with staged_outputs(out, "audit", input_files(study)) as stage:
        start = time.perf_counter()
        paths = write_tables(stage, audit)
        extra["write tables"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        paths += render_maps(audit, stage / "maps", offline=offline, progress=progress)
        paths += render_report(audit, stage)
        paths += render_report_docx(audit, stage, inputs=inputs, progress=progress)
        extra["write maps"] = round(time.perf_counter() - start, 3)
        paths.append(write_run_json(stage / "run.json", audit, extra, inputs=inputs))
    return audit, [out / p.relative_to(stage) for p in paths]


def summary_text(audit: Audit, paths: list[Path], out: Path) -> str:
    """Return the terminal summary: a row per street, the district, warnings and files."""
    lines = [
        f"{audit.study.name} · profile {audit.study.profile.name} · "
        f"{audit.study.minutes:g} min × {audit.study.walk_speed_m_s:g} m/s = "
        f"{audit.study.radius_m:,.0f} m",
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
            failed = failed_ids[code] or "—"
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
    for r in not_assessed.itertuples(index=False):
        lines.append(f"{r.id} {r.district_status}")
    lines.append("")
    lines.append(f"under-served communities 未达标社区: {len(audit.underserved)}")
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
    from carecircle.analysis.indicators import INDICATOR_INFO
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
    p = load_profile(name, base=Path.cwd())
    lines = [
        f"{p.name}: {p.title}",
        f"plan: {p.plan}",
        f"circle: {p.minutes:g} min × {p.walk_speed_m_s:g} m/s, older age {p.older_age}+, "
        f"types {', '.join(p.circle_types)}",
        "",
    ]
    for indicator_id, (zh, en, unit, _) in INDICATOR_INFO.items():
        spec = p.indicator(indicator_id)
        state = f"target {spec.target:g} {unit}" if spec.enabled else "off"
        extra = ", ".join(f"{k}={v}" for k, v in spec.params.items())
        lines.append(f"{indicator_id:<3} {zh} / {en}: {state}" + (f" ({extra})" if extra else ""))
        if spec.source:
            lines.append(f"    {spec.source}")
    if action == "check":
        lines.append("")
        lines.append(f"{name}: valid profile")
    return "\n".join(lines)


def run_site(args: argparse.Namespace) -> tuple[Audit, SitingResult, list[Path]]:
    """Audit the study, site new facilities, write the proposal and the updated maps.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``carecircle site`` arguments.

    Returns
    -------
    audit : Audit
        The audit.
    result : SitingResult
        The proposal.
    paths : list of Path
        Files written.
    """
    import geopandas as gpd

    from carecircle.analysis.siting import SitingRequest, site_facilities
    from carecircle.analysis.siting.candidates import read_candidates
    from carecircle.analysis.siting.outputs import write_siting
    from carecircle.analysis.siting.request import checked_request
    from carecircle.errors import InputDataError, InputFileError
    from carecircle.geo.tables import read_table

    request = checked_request(
        SitingRequest(
            facility_type=args.facility_type,
            add=args.add,
            target=args.target,
            objective=args.objective,
            time_limit_s=args.time_limit,
            spacing_m=args.spacing,
            floor_area_m2=args.floor_area,
        )
    )  # a wrong --type stops before the audit
    for option, path in (("--candidates", args.candidates), ("--exclude", args.exclude)):
        if path is not None and not path.is_file():  # before the audit, not after it
            raise InputFileError(f"{path}: 文件不存在 / file not found; check the {option} path")
    candidates = read_candidates(args.candidates, args.candidates_crs) if args.candidates else None
    if candidates is not None and request.add is not None and request.add > len(candidates):
        raise InputDataError(
            f"--add {request.add} is more than the {len(candidates)} candidate sites in "
            f"{args.candidates}; lower --add or give more candidates"
        )
    exclude = None
    if args.exclude:
        exclude = read_table(args.exclude)
        if not isinstance(exclude, gpd.GeoDataFrame) or exclude.crs is None:
            raise InputDataError(f"{args.exclude}: exclusion areas must be polygons with a CRS")
    check_out_folder(args.out)
    study = load_study(args.study)
    audit = audit_study(study, progress=not args.quiet)
    result = site_facilities(audit, request, candidates, exclude, progress=not args.quiet)
    inputs = [*input_files(study), *(p for p in (args.candidates, args.exclude) if p)]
    with staged_outputs(args.out, "site", inputs) as stage:
        paths = write_siting(stage, result)
        paths += render_maps(
            audit,
            stage / "maps",
            proposals=result.sites,
            offline=args.offline,
            progress=not args.quiet,
        )
        paths += render_report_docx(
            audit,
            stage,
            inputs=input_record(study),
            sites=result.sites,
            siting_summary=result.summary,
            progress=not args.quiet,
        )
    return audit, result, [args.out / p.relative_to(stage) for p in paths]


def siting_text(audit: Audit, result: SitingResult, paths: list[Path], out: Path) -> str:
    """Return the terminal summary of a siting run."""
    s = result.summary
    lines = [
        f"{audit.study.name} · site {s['type']} · {s['model']} · {s['sites']} new sites",
        f"status {s['status']} ({s['method']}): objective {s['objective_value']:,.1f}, "
        f"best bound {s['best_bound']:,.1f}, gap {s['gap']:.2%}",
        f"district {s['circle']} share {s['district_before']:.1%} → "
        f"{s['district_after']:.1%} (+{s['older_newly_covered']:,.0f} older residents)",
        "",
    ]
    lines.append(f"{'rank':<5} {'id':<7} {'street':<12} {'community':<14} {'gain':>8}")
    for r in result.sites.itertuples(index=False):
        lines.append(
            f"{r.rank:<5} {r.id:<7} {r.street:<12} {r.community:<14} {r.marginal_gain:>8,.0f}"
        )
    lines += [n if n.startswith("警告") else f"note: {n}" for n in s["notes"]]
    lines += ["", f"written to {out}:"]
    lines += _listing(paths, out)
    return "\n".join(lines)


def to_postgis(audit: Audit, url: str, schema: str) -> list[str]:
    """Write every output table of an audit to PostGIS, replacing them in one transaction."""
    from carecircle.analysis.reports import database_tables
    from carecircle.geo.postgis import write_tables

    return write_tables(url, schema, database_tables(audit))


def run_batch_command(args: argparse.Namespace) -> tuple[pd.DataFrame, list[Path]]:
    """Run ``carecircle batch``: audits on Dask, then the combined summary and overview map."""
    from carecircle.analysis.reports import write_csv
    from carecircle.analysis.xlsx import write_xlsx
    from carecircle.maps.batch_map import batch_overview
    from carecircle.scripts.batch import run_batch

    result = run_batch(
        args.studies,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        retries=args.retries,
        offline=args.offline,
        progress=not args.quiet,
        dask_log_level=logging.ERROR if args.quiet else logging.WARNING,
    )
    summary = result.summary
    paths = [
        write_csv(args.out / "batch_summary.csv", summary),
        write_xlsx(args.out / "batch_summary.xlsx", [("批量 batch", summary)]),
        batch_overview(summary, args.out, offline=args.offline),
    ]
    return summary, paths


def batch_text(summary: pd.DataFrame, paths: list[Path], out: Path) -> str:
    """Return the terminal summary of a batch."""
    lines = [f"{'study':<28} {'status':<7} {'S1':>7} {'S2':>7}  note"]
    for r in summary.itertuples(index=False):
        share = getattr(r, "older_covered_share", None)
        area = getattr(r, "floor_area_per_1000", None)
        done = r.status == "done"
        # S2 is unknown (not assessed) when the facilities give no floor area
        figures = (f"{share:>7.1%} " if done and pd.notna(share) else f"{'—':>7} ") + (
            f"{area:>7.1f}" if done and pd.notna(area) else f"{'—':>7}"
        )
        lines.append(
            f"{Path(r.study).parent.name + '/' + Path(r.study).name:<28} "
            f"{r.status:<7} {figures}  {r.error}"
        )
    lines += ["", f"written to {out}:", *_listing(paths, out)]
    return "\n".join(lines)
