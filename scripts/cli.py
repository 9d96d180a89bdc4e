"""`carecircle` command line: demo, demo-data and audit, with planner-readable errors."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from carecircle import __version__
from carecircle.errors import CarecircleError

DESCRIPTION = """\
carecircle — 15分钟养老服务圈 检查与补缺 / check and fix the 15-minute elder-care circle.

命令 commands:
  demo       生成示范区并完成全流程审计 / generate the demo district and audit it
  demo-data  只生成示范区输入数据 / only generate the demo district's inputs
  audit      对一个研究区（study.toml）做审计 / audit one study (study.toml)
  profiles   标准配置：list | show NAME | check FILE / standards profiles

示例 examples:
  carecircle demo --out out/demo
  carecircle audit inputs/study.toml --out out/audit
"""

DEMO_SEED = 2026


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="carecircle", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"carecircle {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="出错时显示完整调用栈 / show the full traceback on errors")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="只显示警告和结果 / show only warnings and the summary")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="生成示范区并审计 / generate the demo district and audit it",
                          description="生成示范区输入到 OUT/inputs 并把审计结果写到 OUT。"
                          " Generate the demo inputs into OUT/inputs and write the audit into OUT.")
    demo.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")
    demo.add_argument("--seed", type=int, default=DEMO_SEED,
                      help=f"随机种子 / generator seed (default {DEMO_SEED})")

    data = sub.add_parser("demo-data", help="只生成示范区输入 / only generate the demo inputs",
                          description="生成示范区的路网、人口栅格、边界、设施和 study.toml。"
                          " Write the demo district's network, rasters, boundaries, facilities "
                          "and study.toml.")
    data.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")
    data.add_argument("--seed", type=int, default=DEMO_SEED,
                      help=f"随机种子 / generator seed (default {DEMO_SEED})")

    audit = sub.add_parser("audit", help="审计一个研究区 / audit one study",
                           description="读取 study.toml，计算15分钟圈覆盖和指标，写出表格、地图和"
                           " run.json。Read a study file, compute coverage and indicators, write "
                           "tables, maps and run.json.")
    audit.add_argument("study", type=Path, help="研究区文件 / the study .toml file")
    audit.add_argument("--out", type=Path, required=True, help="输出文件夹 / output folder")

    prof = sub.add_parser("profiles", help="标准配置 / standards profiles",
                          description="列出、显示或检查标准配置。List, show or check standards "
                          "profiles (targets with the plan line behind each).")
    prof.add_argument("action", choices=("list", "show", "check"),
                      help="list | show NAME | check FILE")
    prof.add_argument("name", nargs="?", help="配置名或文件 / profile name or .toml file")
    return parser


def _configure_logging(*, quiet: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    for noisy in ("fiona", "pyogrio", "rasterio", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _dispatch(args: argparse.Namespace) -> int:
    from carecircle.scripts import commands

    if args.command == "profiles":
        print(commands.profiles_text(args.action, args.name))
        return 0
    if args.command == "demo-data":
        from carecircle.data.demo import write_demo_inputs

        study = write_demo_inputs(args.out, seed=args.seed)
        print(f"demo inputs written; study file: {study}")
        return 0
    if args.command == "demo":
        audit, paths = commands.run_demo(args.out, seed=args.seed)
    else:
        audit, paths = commands.run_audit(args.study, args.out)
    print(commands.summary_text(audit, paths, args.out))
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
        return _dispatch(args)
    except CarecircleError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"错误 error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断 interrupted: outputs already written are complete; files being written "
              "were discarded and earlier versions kept", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: no traceback for planners
        if args.debug:
            traceback.print_exc()
        print(f"内部错误 internal error: {type(exc).__name__}: {exc}. Run again with --debug "
              "and report the output.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
