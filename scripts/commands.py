"""``demo``, ``audit`` and ``profiles``: each parses nothing itself, calls the API, reports.

``site`` is in :mod:`carecircle.scripts.site_commands`, ``batch`` in
:mod:`carecircle.scripts.batch_commands`, ``progress`` in :mod:`carecircle.scripts.plan_commands`.
"""

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
from carecircle.config import load_study
from carecircle.scripts.common import listing

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
    lines += listing(paths, out)
    return "\n".join(lines)


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
