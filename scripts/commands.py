"""The planner-facing commands: each parses nothing itself, calls analysis, writes, reports."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.reports import write_run_json, write_tables
from carecircle.config import load_study
from carecircle.maps.gap_maps import render_maps

log = logging.getLogger("carecircle")


def run_audit(study_path: Path, out: Path) -> tuple[Audit, list[Path]]:
    """Audit one study and write every output into ``out``.

    Parameters
    ----------
    study_path : Path
        The study TOML file.
    out : Path
        Output folder (created).

    Returns
    -------
    audit : Audit
        The results.
    paths : list of Path
        Files written.
    """
    study = load_study(study_path)
    audit = audit_study(study)
    extra: dict[str, float] = {}
    start = time.perf_counter()
    paths = write_tables(out, audit)
    extra["write tables"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    paths += render_maps(audit, out / "maps")
    extra["write maps"] = round(time.perf_counter() - start, 3)
    paths.append(write_run_json(out / "run.json", audit, extra))
    return audit, paths


def summary_text(audit: Audit, paths: list[Path], out: Path) -> str:
    """Return the terminal summary: a row per street, the district, warnings and files."""
    lines = [f"{audit.study.name} · profile {audit.study.profile.name} · "
             f"{audit.study.minutes:g} min × {audit.study.walk_speed_m_s:g} m/s = "
             f"{audit.study.radius_m:,.0f} m", ""]
    head = f"{'code':<12} {'街道/镇 street':<16} {'S1 share':>9} {'S2 m²/千人':>11}  failed"
    lines += [head, "-" * len(head)]
    table = audit.by_street
    met_cols = [c for c in ("s1_met", "s2_met") if c in table]
    for _, r in table.iterrows():
        failed = " ".join(c[:2].upper() for c in met_cols if not r[c]) or "—"
        lines.append(f"{r['code']:<12} {r['name']:<16} {r['older_covered_share']:>9.1%} "
                     f"{r['floor_area_per_1000']:>11.1f}  {failed}")
    d = audit.district.iloc[0]
    lines += ["-" * len(head),
              f"{'district':<12} {'全区':<16} {d['older_covered_share']:>9.1%} "
              f"{d['floor_area_per_1000']:>11.1f}", ""]
    lines.append(f"under-served communities 未达标社区: {len(audit.underserved)}")
    for kind, items in audit.record.excluded.items():
        lines.append(f"excluded {kind}: {len(items)} (reasons in run.json)")
    for warning in audit.record.warnings:
        lines.append(f"warning: {warning}")
    lines.append("")
    lines.append(f"written to {out}:")
    lines += [f"  {p.relative_to(out) if p.is_relative_to(out) else p}" for p in paths]
    return "\n".join(lines)


def run_demo(out: Path, *, seed: int) -> tuple[Audit, list[Path]]:
    """Generate the demo district into ``out/inputs`` and audit it into ``out``.

    Parameters
    ----------
    out : Path
        Output folder.
    seed : int
        Generator seed.

    Returns
    -------
    audit : Audit
        The results.
    paths : list of Path
        Files written.
    """
    from carecircle.data.demo import write_demo_inputs

    start = time.perf_counter()
    study_path = write_demo_inputs(out / "inputs", seed=seed)
    log.info("demo inputs generated in %.1f s: %s", time.perf_counter() - start, study_path)
    return run_audit(study_path, out)
