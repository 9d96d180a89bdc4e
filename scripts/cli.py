"""`carecircle` command line: demo, demo-data and audit, with planner-readable errors."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from carecircle import __version__
from carecircle.errors import CarecircleError
from carecircle.scripts.input_commands import add_input_commands, run_input_command
from carecircle.scripts.interrupts import INTERRUPT_GRACE_S, answer_interrupts, interrupted_text
from carecircle.scripts.plan_commands import PER_YEAR_HELP, add_plan_commands, run_plan_command
from carecircle.vocabulary import facility_types_text

DESCRIPTION = """\
carecircle — 15分钟养老服务圈 检查与补缺 / check and fix the 15-minute elder-care circle.

命令 commands:
  demo       生成示范区并完成全流程审计 / generate the demo district and audit it
  demo-data  只生成示范区输入数据 / only generate the demo district's inputs
  audit      对一个研究区（study.toml）做审计 / audit one study (study.toml)
  site       新增设施选址 / site new facilities where they close the gaps best
  batch      多个研究区批量审计（Dask）/ audit many studies at once on Dask
  progress   规划逐年进度 / plan progress year by year (profile [plan])
  profiles   标准配置：list | show NAME | check FILE / standards profiles

示例 examples:
  carecircle demo --out out/demo
  carecircle audit inputs/study.toml --out out/audit
  carecircle site inputs/study.toml --out out/site --type service_station --add 10
"""

DEMO_SEED = 2026
OFFLINE_HELP = (
    "地图离线可用：复制 Leaflet 到 maps/lib，默认空白底图 / maps for an intranet with "
    "no internet: Leaflet copied into maps/lib, blank basemap by default"
)


class _BilingualFormatter(argparse.RawDescriptionHelpFormatter):
    """Help text whose usage line reads 用法 usage."""

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        """Add the usage line with a bilingual prefix."""
        super().add_usage(usage, actions, groups, "用法 usage: " if prefix is None else prefix)


def _bilingual(parser: argparse.ArgumentParser) -> None:
    """Give argparse's own headings and the -h line their Chinese names too."""
    parser.formatter_class = _BilingualFormatter
    parser._positionals.title = "参数 positional arguments"
    parser._optionals.title = "选项 options"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = "显示帮助并退出 / show this help and exit"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with its sub-commands."""
    parser = _new_parser()
    for sub_parser in {id(p): p for p in _subparsers(parser)}.values():
        _bilingual(sub_parser)
    _bilingual(parser)
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Return the parsers of the sub-commands."""
    return [
        p
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for p in action.choices.values()
    ]


def _add_common(parser: argparse.ArgumentParser, default: object) -> None:
    """Add ``--debug`` and ``-q`` to a parser, with the given default."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="出错时显示完整调用栈 / show the full traceback on errors",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default,
        help="只显示警告和结果 / show only warnings and the summary",
    )


def _new_parser() -> argparse.ArgumentParser:
    """Build the parser and its sub-commands (headings made bilingual by the caller)."""
    parser = argparse.ArgumentParser(
        prog="carecircle",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"carecircle {__version__}")
    _add_common(parser, False)
    # the same options after the command; SUPPRESS keeps a value given before the command
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, argparse.SUPPRESS)
    sub = _CommonSubparsers(parser.add_subparsers(dest="command", metavar="COMMAND"), common)

    demo = sub.add_parser(
        "demo",
        help="生成示范区并审计 / generate the demo district and audit it",
        description="生成示范区输入到 OUT/inputs 并把审计结果写到 OUT。"
        " Generate the demo inputs into OUT/inputs and write the audit into OUT.",
    )
    demo.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")
    demo.add_argument(
        "--seed",
        type=int,
        default=DEMO_SEED,
        help=f"随机种子 / generator seed (default {DEMO_SEED})",
    )
    demo.add_argument("--offline", action="store_true", help=OFFLINE_HELP)

    data = sub.add_parser(
        "demo-data",
        help="只生成示范区输入 / only generate the demo inputs",
        description="生成示范区的路网、人口栅格、边界、设施和 study.toml。"
        " Write the demo district's network, rasters, boundaries, facilities "
        "and study.toml.",
    )
    data.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")
    data.add_argument(
        "--seed",
        type=int,
        default=DEMO_SEED,
        help=f"随机种子 / generator seed (default {DEMO_SEED})",
    )

    audit = sub.add_parser(
        "audit",
        help="审计一个研究区 / audit one study",
        description="读取 study.toml，计算15分钟圈覆盖和指标，写出表格、地图和"
        " run.json。Read a study file, compute coverage and indicators, write "
        "tables, maps and run.json.",
    )
    audit.add_argument("study", type=Path, help="研究区文件 / the study .toml file")
    audit.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")
    audit.add_argument("--offline", action="store_true", help=OFFLINE_HELP)
    audit.add_argument(
        "--to-postgis",
        metavar="URL",
        help="同时写入 PostGIS / also write the tables to PostGIS, e.g. postgresql://user@host/db",
    )
    audit.add_argument(
        "--year",
        type=int,
        help="规划年份：只计入到该年底已开放的设施 / count the facilities open by the end of "
        "this year (status, open_year); default the existing ones",
    )
    audit.add_argument(
        "--schema",
        default="carecircle",
        help="PostGIS 模式名 / schema for --to-postgis (default carecircle)",
    )

    add_input_commands(sub)
    add_plan_commands(sub)

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

    prof = sub.add_parser(
        "profiles",
        help="标准配置 / standards profiles",
        description="列出、显示或检查标准配置。List, show or check standards "
        "profiles (targets with the plan line behind each).",
    )
    prof.add_argument(
        "action", choices=("list", "show", "check"), help="list | show NAME | check FILE"
    )
    prof.add_argument("name", nargs="?", help="配置名或文件 / profile name or .toml file")
    return parser


class _CommonSubparsers:
    """Adds sub-commands that all accept the common options (``-q``, ``--debug``)."""

    def __init__(self, action: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
        self._action, self._common = action, common

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """Add the sub-command ``name`` with the common options as a parent."""
        return self._action.add_parser(name, parents=[self._common], **kwargs)


def _configure_logging(*, quiet: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    for noisy in ("fiona", "pyogrio", "rasterio", "matplotlib", "PIL", "numexpr", "distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _StdoutClosedError(Exception):
    """Standard output's reader went away (``carecircle profiles show x | head``)."""


def _out(text: str) -> None:
    """Print to stdout; a broken pipe there (and only there) becomes ``_StdoutClosedError``."""
    try:
        print(text, flush=True)
    except BrokenPipeError as exc:
        raise _StdoutClosedError from exc


def _dispatch(args: argparse.Namespace) -> int:
    from carecircle.scripts import commands

    if args.command == "profiles":
        _out(commands.profiles_text(args.action, args.name))
        return 0
    if args.command in ("check", "init", "progress") or getattr(args, "add_per_year", None):
        own = run_input_command if args.command in ("check", "init") else run_plan_command
        return own(args, _out)
    if args.command == "demo-data":
        from carecircle.analysis.files import check_out_folder
        from carecircle.data.district import write_demo_inputs

        study = write_demo_inputs(check_out_folder(args.out), seed=args.seed)
        _out(f"demo inputs written; study file: {study}")
        return 0
    if args.command == "batch":
        summary, paths = commands.run_batch_command(
            args.studies,
            args.out,
            scheduler=args.scheduler,
            workers=args.workers,
            retries=args.retries,
            offline=args.offline,
            quiet=args.quiet,
        )
        _out(commands.batch_text(summary, paths, args.out))
        return 0 if (summary["status"] == "done").all() else 3
    if args.command == "site":
        audit, result, paths = commands.run_site(
            args.study,
            args.out,
            facility_type=args.facility_type,
            add=args.add,
            target=args.target,
            objective=args.objective,
            candidates=args.candidates,
            candidates_crs=args.candidates_crs,
            exclude=args.exclude,
            spacing_m=args.spacing,
            floor_area_m2=args.floor_area,
            time_limit_s=args.time_limit,
            offline=args.offline,
            progress=not args.quiet,
        )
        _out(commands.siting_text(audit, result, paths, args.out))
        return 0
    if args.command == "demo":
        audit, paths = commands.run_demo(
            args.out, seed=args.seed, offline=args.offline, progress=not args.quiet
        )
    else:
        if args.to_postgis:
            from carecircle.geo.postgis import checked_schema, checked_url

            checked_url(args.to_postgis)  # a bad URL or schema name stops before the audit
            checked_schema(args.schema)
        audit, paths = commands.run_audit(
            args.study, args.out, offline=args.offline, progress=not args.quiet, year=args.year
        )
        if args.to_postgis:
            tables = commands.to_postgis(audit, args.to_postgis, args.schema)
            _out(f"PostGIS: {len(tables)} tables in schema {args.schema}")
    _out(commands.summary_text(audit, paths, args.out))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for input problems, 1 for internal errors, 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _configure_logging(quiet=args.quiet, debug=args.debug)
    try:
        # a local Dask cluster needs longer to shut down than one process
        grace = 10.0 if args.command == "batch" else INTERRUPT_GRACE_S
        with answer_interrupts(getattr(args, "out", None), grace):
            return _dispatch(args)
    except CarecircleError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"错误 error: {exc}", file=sys.stderr)
        return exc.exit_code
    except _StdoutClosedError:
        # the reader went away: stop quietly, as cat does (any other broken pipe is an error)
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):  # stdout may have no descriptor
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:
        print(interrupted_text(exc), file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: no traceback for planners
        return _internal_error(exc, debug=args.debug)


def _internal_error(exc: BaseException, *, debug: bool) -> int:
    """Report an unexpected error in one line (the traceback with ``--debug``); return 1."""
    if debug:
        traceback.print_exception(exc)
    print(
        f"内部错误 internal error: {type(exc).__name__}: {exc}. Run again with --debug "
        "and report the output.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
