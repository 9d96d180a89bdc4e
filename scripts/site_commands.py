"""``carecircle site``: its parser, the run (audit, site, write) and the terminal summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from carecircle.scripts.common import OFFLINE_HELP, listing
from carecircle.scripts.plan_commands import PER_YEAR_HELP
from carecircle.vocabulary import facility_types_text

if TYPE_CHECKING:
    from carecircle.analysis.audit import Audit
    from carecircle.analysis.siting import SitingResult


def add_site_command(sub: Any) -> None:
    """Add ``site STUDY --out OUT (--add K | --add-per-year … | --target SHARE)``.

    Parameters
    ----------
    sub : _CommonSubparsers
        The parser's sub-command collection (adds the common options to each).
    """
    site = sub.add_parser(
        "site",
        help="新增设施选址 / site new facilities",
        description="在审计之后选择新增设施位置（保留现有设施）。After the audit, choose new "
        "sites (existing facilities stay): --add K sites, or --target SHARE with the fewest "
        "sites.",
    )
    site.add_argument("study", type=Path, help="研究区文件 / the study .toml file")
    site.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")
    site.add_argument(
        "--type",
        dest="facility_type",
        default="service_station",
        metavar="TYPE",
        help="设施类型，代码或中文名 / facility type to add, as a code or its "
        "Chinese name (default service_station): " + facility_types_text(),
    )
    how = site.add_mutually_exclusive_group(required=True)
    how.add_argument("--add", type=int, help="新增数量 / number of new sites")
    how.add_argument("--add-per-year", metavar="YEAR:K,...", help=PER_YEAR_HELP)
    how.add_argument(
        "--target",
        type=float,
        help="目标覆盖率 0–1，求最少站点 / coverage share to reach with fewest sites",
    )
    site.add_argument(
        "--objective",
        choices=("coverage", "capacitated", "equity"),
        default="coverage",
        help="目标函数 / objective (default coverage)",
    )
    site.add_argument(
        "--candidates",
        type=Path,
        help="候选点文件 / candidate sites (id, lon, lat[, floor_area_m2])",
    )
    site.add_argument(
        "--candidates-crs",
        default="EPSG:4326",
        help="候选点坐标系 / CRS of the candidates: EPSG:4326, GCJ-02 or BD-09",
    )
    site.add_argument(
        "--exclude", type=Path, help="禁止选址范围 / polygons where no automatic candidate may go"
    )
    site.add_argument(
        "--spacing",
        type=float,
        default=150.0,
        help="自动候选点间距(米) / automatic candidate spacing in m (default 150)",
    )
    site.add_argument(
        "--floor-area",
        type=float,
        help="新设施面积(m²) / floor area of a new site when candidates give none",
    )
    site.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        help="求解时限(秒) / solver time limit in seconds (default 30)",
    )
    site.add_argument("--offline", action="store_true", help=OFFLINE_HELP)


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
    from carecircle import api
    from carecircle.analysis.files import check_out_folder
    from carecircle.config import load_study

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
    lines += listing(paths, out)
    return "\n".join(lines)
