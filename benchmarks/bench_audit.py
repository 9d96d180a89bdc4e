"""Whole-audit benchmark (issue 13): ``carecircle audit`` on generated cities and real Wuhan.

Sizes: district ≈ 50k network nodes / 50k populated cells / 10 streets / 100 communities;
mid ≈ 300k / 250k / 40 / 700; city ≈ 1M / 1M / 100 / 2,000 (:mod:`_city`, cached under
``benchmarks/.cache/cities``); wuhan = the central-Wuhan road centrelines converted to OSM
with generated people (:mod:`_wuhan`). Runs per size: ``cold`` (network cache emptied,
``.osm.pbf``), ``cold-osm`` (the same with ``.osm`` XML) and ``warm`` (network ``.npz``
cache present). Each run is its own process; rows go to ``benchmarks/results.json``
(``method`` ``audit/SIZE/RUN``; a ``ctrl-c`` run interrupts one warm audit per stage, as
Ctrl-C would, and measures how long the command takes to stop) and the ``<!-- audit -->``
section of RESULTS.md.

Run: ``make bench`` or ``python benchmarks/bench_audit.py [--sizes district,mid]
[--runs cold,warm,ctrl-c] [--timeout 900] [--max-rss-gib 10]``; ``--report`` only rewrites
RESULTS.md from results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from _audit_report import PREFIX, split, table
from _audit_run import output_sizes, run_audit, run_counts
from _city import city_study
from _city_layout import SIZES
from _results import replace_rows, replace_section
from _routing_report import machine

HERE = Path(__file__).resolve().parent
RUNS = ("cold-osm", "cold", "warm", "ctrl-c")  # in this order: warm reuses the cold run's cache
#: the stages a ``ctrl-c`` run interrupts (one audit each, warm cache but for the network's
#: build, interrupted with the cache emptied: the OSM read), and the seconds into the stage
#: at which SIGINT is sent
CTRL_C_STAGES = (
    "read population",
    "build walking network",
    "snap",
    "route",
    "indicators",
    "service areas",
    "write outputs",
)
CTRL_C_AFTER_S = 0.5


#: The benchmarks' own result files: a change to them alone does not make the code "dirty".
_RESULT_FILES = (":(top,exclude)benchmarks/RESULTS.md", ":(top,exclude)benchmarks/results.json")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(HERE), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _commit() -> str:
    """Return the short commit, ``-dirty`` when tracked code (not the result files) changed."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        changed = _git("status", "--porcelain", "--untracked-files=no", "--", ":/", *_RESULT_FILES)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if changed else commit


def _study_folder(size: str) -> Path | None:
    if size == "wuhan":
        from _wuhan import wuhan_study

        return wuhan_study()
    return city_study(SIZES[size])


def _info(folder: Path) -> dict:
    import ast

    return ast.literal_eval((folder / "complete").read_text(encoding="utf-8"))


def measure(size: str, run: str, folder: Path, args: argparse.Namespace) -> dict:
    """One audit run of one size; return its results.json row."""
    study = folder / ("study_osm.toml" if run == "cold-osm" else "study.toml")
    out = Path(args.out_root) / f"{size}-{run}"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if run != "warm":
        shutil.rmtree(folder / "cache", ignore_errors=True)
    elif not any((folder / "cache").glob("network-*.npz")):
        print(f"  {size} warm: filling the network cache first (not measured)", flush=True)
        run_audit(study, out, timeout_s=args.timeout, max_rss_gib=args.max_rss_gib, env=env)
    print(f"  {size} {run}: carecircle audit {study.name} …", flush=True)
    result = run_audit(study, out, timeout_s=args.timeout, max_rss_gib=args.max_rss_gib, env=env)
    analysis, presentation = split(result.stages)
    row = {
        "method": f"{PREFIX}/{size}/{run}",
        "size": size,
        "run": run,
        "network_file": "network.osm" if run == "cold-osm" else "network.osm.pbf",
        **_info(folder),
        **asdict(result),
        "timeout_s": args.timeout,
        "max_rss_gib": args.max_rss_gib,
        "analysis_s": analysis,
        "presentation_s": presentation,
        "counts": run_counts(out),
        "network_from_cache": _from_cache(out),
        "writers": _writers(out),
        "outputs": output_sizes(out) if result.status == "done" else {},
        "commit": _commit(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_1min": round(os.getloadavg()[0], 2),
        "machine": f"{machine()['cores']} cores, {machine()['ram']}, {machine()['cpu']}",
    }
    print(
        f"    {result.status}: wall {result.wall_s:.1f} s, peak {result.peak_rss_mib:,.0f} MiB, "
        f"analysis {analysis:.1f} s, presentation {presentation:.1f} s"
        + (f", stopped in {result.stopped_in}" if result.stopped_in else ""),
        flush=True,
    )
    if result.status == "error":
        print("    " + "\n    ".join(result.last_lines), flush=True)
    return row


def measure_ctrl_c(size: str, folder: Path, args: argparse.Namespace) -> list[dict]:
    """Interrupt one audit per stage of :data:`CTRL_C_STAGES`; return their rows."""
    study, env = folder / "study.toml", {**os.environ, "PYTHONHASHSEED": "0"}
    rows = []
    for stage in CTRL_C_STAGES:
        out = Path(args.out_root) / f"{size}-ctrl-c"
        if stage == "build walking network":  # cold: the OSM file is read and parsed
            shutil.rmtree(folder / "cache", ignore_errors=True)
        elif not any((folder / "cache").glob("network-*.npz")):
            run_audit(study, out, timeout_s=args.timeout, max_rss_gib=args.max_rss_gib, env=env)
        print(f"  {size} ctrl-c: Ctrl-C {CTRL_C_AFTER_S:g} s into {stage} …", flush=True)
        result = run_audit(
            study,
            out,
            timeout_s=args.timeout,
            max_rss_gib=args.max_rss_gib,
            env=env,
            interrupt_at=(stage, CTRL_C_AFTER_S),
        )
        row = {
            "method": f"{PREFIX}/{size}/ctrl-c/{stage}",
            "size": size,
            "run": "ctrl-c",
            "stage": stage,
            **asdict(result),
            "commit": _commit(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_1min": round(os.getloadavg()[0], 2),
        }
        print(
            f"    {result.status} in {result.stopped_in or '?'} after "
            f"{result.signalled_after_s} s: exit {result.exit_code}, answered in "
            f"{result.interrupt_s} s",
            flush=True,
        )
        rows.append(row)
    return rows


def _writers(out: Path) -> dict[str, float]:
    """Seconds of each output writer (run.json's ``writers_seconds``), when the run finished."""
    summary = out / "run.json"
    if not summary.is_file():
        return {}
    return dict(json.loads(summary.read_text(encoding="utf-8")).get("writers_seconds", {}))


def _from_cache(out: Path) -> bool | None:
    summary = out / "run.json"
    if not summary.is_file():
        return None
    return bool(json.loads(summary.read_text(encoding="utf-8"))["counts"]["network_from_cache"])


def superseded(size: str, run: str, found: list[dict]) -> Callable[[dict], bool]:
    """Return which stored rows the new ``found`` rows of ``size`` and ``run`` replace.

    A row of the same method; for a Ctrl-C round also every earlier Ctrl-C row of the size,
    so a stage that no longer exists (renamed, merged) leaves no row behind.
    """
    methods = {row["method"] for row in found}
    stale = f"{PREFIX}/{size}/ctrl-c/" if run == "ctrl-c" else None

    def replaced(row: dict) -> bool:
        method = str(row.get("method", ""))
        return method in methods or (stale is not None and method.startswith(stale))

    return replaced


def report() -> str:
    """Rewrite the RESULTS.md section from results.json; return the table."""
    path = HERE / "results.json"
    rows = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    text = table([r for r in rows if str(r.get("method", "")).startswith(f"{PREFIX}/")])
    replace_section(PREFIX, text)
    return text


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sizes and runs, then publish the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="district,mid,city,wuhan")
    parser.add_argument(
        "--runs",
        default=None,
        help=f"of {', '.join(RUNS)}; default: all but ctrl-c, and ctrl-c at city size",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--max-rss-gib", type=float, default=10.0)
    parser.add_argument("--out-root", default=str(Path(tempfile.gettempdir()) / "carecircle-bench"))
    parser.add_argument("--report", action="store_true", help="only rewrite RESULTS.md")
    args = parser.parse_args(argv)
    # a shell's background job ignores SIGINT, and so would every child: restore it, so
    # that a run over its cap can be stopped as Ctrl-C stops it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not args.report:
        sizes = [s for s in args.sizes.split(",") if s]
        runs = [r for r in (args.runs or ",".join(RUNS)).split(",") if r]
        unknown = [s for s in sizes if s not in (*SIZES, "wuhan")] + [
            r for r in runs if r not in RUNS
        ]
        if unknown:
            parser.error(f"unknown size or run: {', '.join(unknown)}")
        for size in sizes:
            start = time.perf_counter()
            folder = _study_folder(size)
            if folder is None:
                print(f"  {size}: input data not found, skipped", flush=True)
                continue
            print(f"{size}: inputs ready in {time.perf_counter() - start:.1f} s: {folder}")
            for run in (r for r in RUNS if r in runs):
                if run == "ctrl-c" and args.runs is None and size != "city":
                    continue
                if run == "ctrl-c":
                    found = measure_ctrl_c(size, folder, args)
                else:
                    found = [measure(size, run, folder, args)]
                replace_rows(superseded(size, run, found), found)
                report()  # after every run, so a long benchmark leaves its figures behind
    print(report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
