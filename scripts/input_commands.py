"""The ``check`` and ``init`` sub-commands: their parsers and how they run."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_input_commands(sub: Any) -> None:
    """Add ``check STUDY`` and ``init FOLDER [--force]`` to the sub-command parsers.

    Parameters
    ----------
    sub : _CommonSubparsers
        parser.py's sub-command collection (adds the common options to each).
    """
    check = sub.add_parser(
        "check",
        help="只检查输入，不审计 / check every input without running the audit",
        description="用审计的读取和检查读入 study.toml 的每个输入（不计算路径、不写输出）。"
        " Read and check every input of a study with the audit's own readers and checks;"
        " nothing is routed or written. Exit 0 when the audit would start cleanly, 2 with"
        " the audit's error otherwise.",
    )
    check.add_argument("study", type=Path, help="研究区文件 / the study .toml file")

    init = sub.add_parser(
        "init",
        help="从文件夹生成 study.toml / write a study.toml from a folder of files",
        description="识别文件夹中每个文件的用途、坐标系、编码和列，写出带注释的 study.toml 和"
        " init_report.txt。Guess each file's role, CRS/datum, encoding and columns; write a"
        " commented study.toml and init_report.txt into the folder.",
    )
    init.add_argument("folder", type=Path, help="输入文件夹 / the folder of input files")
    init.add_argument(
        "--force",
        action="store_true",
        help="覆盖已有 study.toml / overwrite an existing study.toml",
    )


def run_input_command(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """Run ``check`` (read every input as the audit does) or ``init`` (write a study file).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : callable
        Prints a text to stdout.

    Returns
    -------
    int
        0; input problems raise :class:`carecircle.errors.CarecircleError`.
    """
    if args.command == "check":
        from carecircle.analysis.check import check_study, check_text
        from carecircle.config import load_study

        out(check_text(check_study(load_study(args.study))))
        return 0
    from carecircle.scripts.init import run_init

    study, report = run_init(args.folder, force=args.force)
    out(f"{report}\nstudy file written: {study}; next: carecircle check {study}")
    return 0
