"""`carecircle` command line: runs the parsed sub-command, with planner-readable errors.

The parser is :mod:`carecircle.scripts.parser`; the commands are in ``commands`` (demo,
audit, profiles), ``site_commands``, ``batch_commands``, ``plan_commands`` and
``input_commands``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from carecircle.errors import CarecircleError
from carecircle.scripts.common import siting_options
from carecircle.scripts.input_commands import run_input_command
from carecircle.scripts.interrupts import (
    INTERRUPT_GRACE_S,
    answer_interrupts,
    interrupted_text,
    leave_now,
)
from carecircle.scripts.parser import build_parser
from carecircle.scripts.plan_commands import run_plan_command


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
    from carecircle.scripts import batch_commands, commands, site_commands

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
        summary, paths = batch_commands.run_batch_command(
            args.studies,
            args.out,
            scheduler=args.scheduler,
            workers=args.workers,
            retries=args.retries,
            offline=args.offline,
            quiet=args.quiet,
        )
        _out(batch_commands.batch_text(summary, paths, args.out))
        return 0 if (summary["status"] == "done").all() else 3
    if args.command == "site":
        audit, result, paths = site_commands.run_site(
            args.study,
            args.out,
            facility_type=args.facility_type,
            add=args.add,
            target=args.target,
            **siting_options(args),
            offline=args.offline,
            progress=not args.quiet,
        )
        _out(site_commands.siting_text(audit, result, paths, args.out))
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


def run() -> None:
    """Run the ``carecircle`` console command: :func:`main`, then exit with its code.

    After Ctrl-C (130) the process leaves at once (:func:`leave_now`), without waiting for
    the running tasks of worker pools; ``main`` itself returns (tests call it in-process).
    """
    code = main()
    if code == 130:
        leave_now(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
