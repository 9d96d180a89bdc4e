"""``carecircle progress`` and ``site --add-per-year``: parsers and runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carecircle.scripts.common import listing, siting_options

if TYPE_CHECKING:
    from pandas.api.typing import NAType

PER_YEAR_HELP = (
    "逐年新增数量，后一年以前一年的新址为现状 / sites per year, each year given the earlier "
    "years' sites, e.g. 2024:35,2025:40,2026:43"
)


def add_plan_commands(sub: Any) -> None:
    """Add ``progress STUDY --out OUT`` to the sub-command parsers.

    Parameters
    ----------
    sub : _CommonSubparsers
        parser.py's sub-command collection (adds the common options to each).
    """
    progress = sub.add_parser(
        "progress",
        help="规划逐年进度 / plan progress year by year",
        description="按标准配置的 [plan] 逐年审计（基期和每个规划年，只计入当年底已开放的设施），"
        "写出每个指标和新增设施的进度表和图。Audit the baseline and every plan year of the "
        "profile's [plan] (facilities open by each year) and write a table and a chart per "
        "indicator and new-facility type: baseline, each year, target, met or not.",
    )
    progress.add_argument("study", type=Path, help="研究区文件 / the study .toml file")
    progress.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")


def plan_lines(profile: Any) -> list[str]:
    """Return the ``[plan]`` of a profile for ``carecircle profiles show`` (empty without)."""
    plan = profile.yearly
    if plan is None:
        return []
    lines = ["", f"plan {plan.years[0]}–{plan.years[-1]} (baseline {plan.baseline_year})"]
    for t in plan.new_facilities:
        years = ", ".join(f"{y}: +{n}" for y, n in t.by_year)
        lines.append(f"  new {t.facility_type} ({t.counting}): {years}")
    for t in plan.indicators:
        lines.append(f"  {t.indicator}: " + ", ".join(f"{y}: {v:g}" for y, v in t.by_year))
    return lines


def _cell(value: float | NAType | None, unit: str) -> str:
    import pandas as pd

    if value is pd.NA or pd.isna(value):
        return "—"
    return f"{float(value):.1%}" if unit == "share" else f"{float(value):,.4g}"


def _mark(met: bool | NAType) -> str:
    import pandas as pd

    return "?" if met is pd.NA or pd.isna(met) else "✓" if bool(met) else "✗"


def progress_text(result: Any, paths: list[Path], out: Path) -> str:
    """Return the terminal summary of ``carecircle progress``: a row per indicator and type.

    Parameters
    ----------
    result : PlanProgress
        What ``api.progress`` returned (study, plan, the audits and the summary table).
    paths : list of Path
        The files written.
    out : Path
        The output folder.
    """
    plan = result.plan
    counted = {y: len(a.facilities) for y, a in result.audits.items()}
    lines = [
        f"{result.study.name} · profile {result.study.profile.name} · plan "
        f"{plan.years[0]}–{plan.years[-1]} (baseline {plan.baseline_year})",
        "facilities counted 计入设施 (open by the end of each year): "
        + ", ".join(f"{y}: {n}" for y, n in counted.items()),
        "",
        f"{'id':<16} {'base':>8} "
        + " ".join(f"{y:>16}" for y in plan.years)
        + "  verdict (value / target ✓ met ✗ not met)",
    ]
    for r in result.summary.to_dict("records"):
        unit = str(r["unit"])
        cells = []
        for y in plan.years:
            value = r[f"{y}_value"] if r["kind"] == "indicator" else r.get(f"{y}_new")
            cells.append(
                f"{_cell(value, unit if r['kind'] == 'indicator' else '')}/"
                f"{_cell(r[f'{y}_target'], unit if r['kind'] == 'indicator' else '')}"
                f"{_mark(r[f'{y}_met'])}"
            )
        base = _cell(r[f"baseline_{plan.baseline_year}"], unit)
        label = r["id"] if r["kind"] == "indicator" else f"+{r['id']}"
        lines.append(
            f"{label:<16} {base:>8} " + " ".join(f"{c:>16}" for c in cells) + f"  {r['verdict']}"
        )
    return "\n".join([*lines, "", f"written to {out}:", *listing(paths, out)])


def run_plan_command(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """Run ``carecircle progress``, or ``site --add-per-year`` (:func:`run_site_per_year`).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : callable
        Prints a text to stdout.

    Returns
    -------
    int
        0; problems raise :class:`carecircle.errors.CarecircleError`.
    """
    if args.command == "site":
        return run_site_per_year(args, out)
    from carecircle import api
    from carecircle.analysis.files import check_out_folder
    from carecircle.analysis.progress import plan_of
    from carecircle.config import load_study

    study = load_study(args.study)
    plan_of(study.profile)  # a profile without [plan] stops before any audit
    check_out_folder(args.out)
    result = api.progress(study, progress=not args.quiet)
    paths = api.write(result, args.out)
    out(progress_text(result, paths, args.out))
    return 0


def run_site_per_year(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """Run ``carecircle site STUDY --add-per-year 2024:35,2025:40``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``site`` command line.
    out : callable
        Prints a text to stdout.

    Returns
    -------
    int
        0; problems raise :class:`carecircle.errors.CarecircleError`.
    """
    from carecircle import api
    from carecircle.analysis.files import check_out_folder
    from carecircle.analysis.siting.yearly import parse_per_year

    parse_per_year(args.add_per_year)  # a malformed value stops before anything is read
    check_out_folder(args.out)  # before the analysis, not after it
    plan = api.site_per_year(
        args.study,
        args.add_per_year,
        args.facility_type,
        **siting_options(args),
        progress=not args.quiet,
    )
    paths = api.write(plan, args.out, offline=args.offline, progress=not args.quiet)
    request = next(iter(plan.yearly.results.values())).request  # as asked, but for `add`
    lines = [
        f"{plan.study.name} · site {request.facility_type} per year · {request.objective}",
        "",
    ]
    lines.append(
        f"{'year':<6} {'sites':>5} {'status':<10} {'before':>8} {'after':>8} {'+older':>9}"
    )
    for r in plan.by_year.itertuples(index=False):
        lines.append(
            f"{r.year:<6} {r.sites:>5} {r.status!s:<10} {r.district_before:>8.1%} "
            f"{r.district_after:>8.1%} {r.older_newly_covered:>9,.0f}"
        )
    lines += ["", f"written to {args.out}:", *listing(paths, args.out)]
    out("\n".join(lines))
    return 0
