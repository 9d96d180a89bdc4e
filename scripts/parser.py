"""The ``carecircle`` argument parser: its sub-commands, with bilingual headings and help."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from carecircle import __version__
from carecircle.scripts.batch_commands import add_batch_command
from carecircle.scripts.common import OFFLINE_HELP
from carecircle.scripts.input_commands import add_input_commands
from carecircle.scripts.plan_commands import add_plan_commands
from carecircle.scripts.site_commands import add_site_command

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

    add_site_command(sub)
    add_batch_command(sub)

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
