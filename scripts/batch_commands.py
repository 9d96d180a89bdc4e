"""``carecircle batch``: its parser, the run on Dask and the terminal summary."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from carecircle.scripts.common import OFFLINE_HELP, listing

if TYPE_CHECKING:
    import pandas as pd


def add_batch_command(sub: Any) -> None:
    """Add ``batch STUDY… --out OUT [--scheduler …] [--workers N] [--retries N]``.

    Parameters
    ----------
    sub : _CommonSubparsers
        The parser's sub-command collection (adds the common options to each).
    """
    batch = sub.add_parser(
        "batch",
        help="批量审计 / audit many studies on Dask",
        description="每个研究区一个任务，失败不影响其他。One Dask task per "
        "study; a failure is reported and does not stop the others.",
    )
    batch.add_argument("studies", type=Path, nargs="+", help="研究区文件 / study .toml files")
    batch.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")
    batch.add_argument(
        "--scheduler",
        default="local",
        help="local（默认）或调度器地址 / local (default) or a scheduler address "
        "such as tcp://10.0.0.5:8786",
    )
    batch.add_argument(
        "--workers", type=int, default=2, help="本地工作进程数 / local worker processes (default 2)"
    )
    batch.add_argument(
        "--retries", type=int, default=2, help="失败重试次数 / retries of a failed task (default 2)"
    )
    batch.add_argument("--offline", action="store_true", help=OFFLINE_HELP)


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
    import pandas as pd

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
    lines += ["", f"written to {out}:", *listing(paths, out)]
    return "\n".join(lines)
