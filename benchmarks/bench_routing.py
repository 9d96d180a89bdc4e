"""Routing benchmark: carecircle against networkx, raw scipy and pandana on the same inputs.

Run with ``make bench`` (or ``python benchmarks/bench_routing.py``). The parent process prepares
the inputs (irregular synthetic street lattices of 250k and 1M nodes, written once as carecircle
``.npz`` network caches, and the two OSM files of ``../shared/data``), runs every measured case
in its own subprocess (``--case NAME --method M --json``) so that each peak RSS is that case's
own, checks that all methods return the same distances, and writes ``benchmarks/results.json``
and ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _routing_cases import (
    ALL_METHODS,
    CASES,
    CHILD_TIMEOUT_S,
    HERE,
    OSM_FILES,
    ROUNDS,
    RUN,
    SHARED,
    Case,
    load_graph,
    prepare,
)
from _routing_checks import VerificationError, verify_matrix, verify_pipeline, verify_routing
from _routing_measure import peak_mib, run_routing, vm_hwm_mib
from _routing_pipeline import run_matrix, run_pipeline
from _routing_report import write_results

from carecircle.geo.snap import EdgeIndex

# --------------------------------------------------------------------------- parent


def child(case_name: str, method: str) -> dict[str, Any]:
    """Run one case and method in this process; return its row with this process's peak RSS."""
    case = next((c for c in CASES if c.name == case_name), None)
    if case is None:
        raise SystemExit(f"unknown case {case_name!r}; known: {', '.join(c.name for c in CASES)}")
    if case.kind == "routing":
        row = run_routing(case, method)
    elif case.kind == "pipeline":
        row = run_pipeline(case)
    else:
        row = run_matrix(case)
    hwm = vm_hwm_mib()
    peak = {
        "peak_mib": round(peak_mib(), 1),
        **({"vm_hwm_mib": round(hwm, 1)} if hwm is not None else {}),
    }
    return {
        "case": case.name,
        "method": method,
        **peak,
        **row,
        "load_1min": round(os.getloadavg()[0], 2),
    }


def pandana_status() -> str | None:
    """None when pandana imports, else why not (it is never a project dependency)."""
    if importlib.util.find_spec("pandana") is None:
        return (
            "pandana: not installed in this environment (optional comparison; "
            "`.venv/bin/python -m pip install pandana` to include it)"
        )
    return None


def run_child(case: Case, method: str) -> dict[str, Any]:
    """Run one case and method in a fresh interpreter and parse its result row."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--case",
        case.name,
        "--method",
        method,
        "--json",
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False, cwd=HERE.parent
    )
    # C++ extensions (pandana) print progress without a final newline: search the lines.
    rows = [
        line.split("BENCH_ROW ", 1)[1] for line in proc.stdout.splitlines() if "BENCH_ROW " in line
    ]
    if proc.returncode != 0 or not rows:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{case.name}/{method} failed (exit {proc.returncode}): {tail}")
    return json.loads(rows[-1])


def skipped(case: Case, method: str, note: str) -> dict[str, Any]:
    """A row for a case or method that could not run here."""
    return {"case": case.name, "method": method, "seconds": None, "peak_mib": None, "note": note}


def prepare_all(cases: list[Case]) -> dict[str, dict[str, Any]]:
    """Write the lattice caches and every case's snapped inputs; return per-case info."""
    info: dict[str, dict[str, Any]] = {}
    for graph in dict.fromkeys(c.graph for c in cases):
        t0 = time.perf_counter()
        net = load_graph(graph)
        index = EdgeIndex(net)
        for case in (c for c in cases if c.graph == graph):
            info[case.name] = prepare(case, net, index)
        print(
            f"prepared {graph}: {net.n_nodes:,} nodes, {net.n_edges:,} edges "
            f"({time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
        del net, index
        gc.collect()
    return info


def merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from the rounds of a case and method.

    The best round gives the row (and its stage times); with repeated calls, ``seconds`` and
    ``cpu_seconds`` are the best calls of all rounds and ``seconds_median`` the median of all
    calls; ``peak_mib`` is the largest of the rounds.
    """
    row = dict(min(rounds, key=lambda r: r["seconds"]))
    wall = [t for r in rounds for t in r.get("times", [])]
    cpu = [t for r in rounds for t in r.get("cpu_times", [])]
    row.pop("times", None)
    row.pop("cpu_times", None)
    if wall:
        row |= {
            "seconds": min(wall),
            "seconds_median": statistics.median(wall),
            "cpu_seconds": min(cpu),
            "repeats": len(wall),
        }
    row |= {
        "rounds": len(rounds),
        "round_seconds": [round(r["seconds"], 4) for r in rounds],
        "peak_mib": max(r["peak_mib"] for r in rounds),
        "load_1min": [r.get("load_1min") for r in rounds],
    }
    for key in (k for k in row if k.startswith("stage_")):
        row[key] = min(r[key] for r in rounds)
    if "stage_total_s" in row:  # keep the in-process pair from one round
        pair = min(rounds, key=lambda r: r["stage_total_s"] / r["stage_raw_scipy_s"])
        row["stage_total_s"], row["stage_raw_scipy_s"] = (
            pair["stage_total_s"],
            pair["stage_raw_scipy_s"],
        )
    return row


def run_cases(
    cases: list[Case], info: dict[str, dict[str, Any]], pandana_note: str | None
) -> list[dict[str, Any]]:
    """Run every (case, method) in its own subprocess, with a plain progress line each.

    Every case runs its methods in alternating rounds (carecircle, scipy, networkx, then
    again), so that a burst of load from other processes does not fall on one method only;
    pandana (minutes of preprocessing) runs once.
    """
    jobs = [
        (c, m, k)
        for c in cases
        for k in range(ROUNDS)
        for m in c.methods
        if k == 0 or m != "pandana"
    ]
    done: dict[tuple[str, str], list[dict[str, Any]]] = {}
    rows = []
    for i, (case, method, k) in enumerate(jobs, 1):
        label = f"[{i:2d}/{len(jobs)}] {case.name:<20} {method:<10}"
        if method == "pandana" and pandana_note:
            rows.append(skipped(case, method, pandana_note))
            print(f"{label} skipped ({pandana_note})", flush=True)
            continue
        print(f"{label} round {k + 1} ...", end=" ", flush=True)
        t0 = time.perf_counter()
        try:
            row = run_child(case, method)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            if method != "pandana":
                raise
            rows.append(skipped(case, method, f"pandana failed here: {exc}"))
            print(f"failed: {exc}", flush=True)
            continue
        done.setdefault((case.name, method), []).append(row)
        print(
            f"{row['seconds']:.3f} s, peak {row['peak_mib']:.0f} MiB "
            f"(process {time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    for case in cases:
        for method in case.methods:
            if (case.name, method) in done:
                row = merge_rounds(done[case.name, method])
                extra = {k: v for k, v in info[case.name].items() if k not in row}
                rows.append({"case": case.name, "method": method, **extra, **row})
    order = {(c.name, m): i for i, c in enumerate(cases) for m in c.methods}
    return sorted(rows, key=lambda r: order[r["case"], r["method"]])


def verify_all(cases: list[Case], rows: list[dict[str, Any]]) -> list[str]:
    """Run every check; raise :class:`VerificationError` on the first wrong result."""
    lines: list[str] = []
    ran = {(r["case"], r["method"]) for r in rows if r["seconds"] is not None}
    for graph in dict.fromkeys(c.graph for c in cases):
        net = load_graph(graph)
        for case in (c for c in cases if c.graph == graph):
            methods = [m for m in case.methods if (case.name, m) in ran]
            if case.kind == "routing":
                lines += verify_routing(case, net, methods)
            elif case.kind == "pipeline":
                lines += verify_pipeline(case, net)
            else:
                lines += verify_matrix(case, net)
        print(f"verified {graph}", flush=True)
    return lines


def run_step(flag: str, cases: list[Case]) -> None:
    """Run the prepare or verify step in its own process (keeps the parent's RSS small)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), flag, ",".join(c.name for c in cases)]
    proc = subprocess.run(cmd, check=False, cwd=HERE.parent, timeout=CHILD_TIMEOUT_S)
    if proc.returncode != 0:
        raise SystemExit(f"{flag.lstrip('-')} step failed (exit {proc.returncode})")


def select(names: str | None) -> list[Case]:
    """Cases by comma-separated names (all when None)."""
    if names is None:
        return list(CASES)
    wanted = names.split(",")
    unknown = set(wanted) - {c.name for c in CASES}
    if unknown:
        raise SystemExit(f"unknown cases: {', '.join(sorted(unknown))}")
    return [c for c in CASES if c.name in wanted]


def run_all(cases: list[Case], *, partial: bool) -> int:
    """Prepare, measure, verify and report; return the exit code."""
    started = datetime.now(UTC)
    shutil.rmtree(RUN, ignore_errors=True)
    RUN.mkdir(parents=True)
    pandana_note = pandana_status()
    rows: list[dict[str, Any]] = []
    if not SHARED.is_dir():
        note = f"skipped: {SHARED} is absent"
        rows += [skipped(c, m, note) for c in cases if c.graph in OSM_FILES for m in c.methods]
        cases = [c for c in cases if c.graph not in OSM_FILES]
    checks: list[str] = []
    if cases:
        run_step("--prepare", cases)
        info = json.loads((RUN / "info.json").read_text())
        rows += run_cases(cases, info, pandana_note)
        (RUN / "rows.json").write_text(json.dumps(rows))
        run_step("--verify", cases)
        checks = json.loads((RUN / "checks.json").read_text())
    text = write_results(rows, checks, partial, pandana_note, started)
    print()
    print(text.split("### What is measured")[0].strip())
    print(
        f"\nwrote {HERE / 'RESULTS.md'} and {HERE / 'results.json'} "
        f"({(datetime.now(UTC) - started).total_seconds():.0f} s)"
    )
    return 0


def report_again() -> int:
    """Rewrite RESULTS.md and results.json from the last full run's rows and checks."""
    rows_file, checks_file = RUN / "rows.json", RUN / "checks.json"
    if not (rows_file.is_file() and checks_file.is_file()):
        raise SystemExit(f"no finished run in {RUN}: run the benchmark first")
    rows = json.loads(rows_file.read_text())
    started = datetime.fromtimestamp(rows_file.stat().st_mtime, UTC)
    partial = {r["case"] for r in rows} != {c.name for c in CASES}
    write_results(rows, json.loads(checks_file.read_text()), partial, pandana_status(), started)
    print(f"rewrote {HERE / 'RESULTS.md'} from {rows_file}")
    return 0


def one_case(case: str, method: str, *, profile: bool, as_json: bool) -> int:
    """Run one case and method in this process and print its row (optionally profiled)."""
    if profile:
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            row = child(case, method)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(20)
    else:
        row = child(case, method)
    print(("\nBENCH_ROW " + json.dumps(row)) if as_json else row)
    return 0


def verify_step(names: str) -> int:
    """Check the last run's results against each other; write checks.json (exit 1 if wrong)."""
    rows = json.loads((RUN / "rows.json").read_text())
    try:
        checks = verify_all(select(names), rows)
    except VerificationError as exc:
        print(f"VERIFICATION FAILED: {exc}", file=sys.stderr)
        return 1
    (RUN / "checks.json").write_text(json.dumps(checks))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: the whole benchmark, or one case and method (``--case``/``--method``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--case", help="run one case in this process")
    parser.add_argument("--method", default="carecircle", choices=ALL_METHODS)
    parser.add_argument("--json", action="store_true", help="print the row as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="with --case: print a cProfile of the run to stderr"
    )
    parser.add_argument("--cases", help="comma-separated subset of cases for a full run")
    parser.add_argument(
        "--report",
        action="store_true",
        help="rewrite RESULTS.md from the last run's measurements (benchmarks/.cache/run)",
    )
    parser.add_argument("--prepare", metavar="CASES", help=argparse.SUPPRESS)
    parser.add_argument("--verify", metavar="CASES", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        return one_case(args.case, args.method, profile=args.profile, as_json=args.json)
    if args.report:
        return report_again()
    if args.prepare is not None:
        info = prepare_all(select(args.prepare))
        (RUN / "info.json").write_text(json.dumps(info))
        return 0
    if args.verify is not None:
        return verify_step(args.verify)
    return run_all(select(args.cases), partial=args.cases is not None)


if __name__ == "__main__":
    sys.exit(main())
