"""Run ``carecircle audit`` in its own process and measure it: wall, stages, peak RSS, outputs.

The child's stderr is read line by line (the ``▶ stage`` / ``stage: 1.23 s`` log), its
process tree's resident memory sampled every 0.2 s from /proc, and its own peak taken from
``os.wait4``. A run over the time or memory cap gets SIGINT (as Ctrl-C), and the seconds it
takes to stop are recorded; SIGKILL follows after 30 s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

STAGE_START = re.compile(r"^▶ (.+)$")
STAGE_END = re.compile(r"^  (.+): ([0-9.]+) s$")
PAGE = os.sysconf("SC_PAGE_SIZE")


def carecircle_command() -> list[str]:
    """The ``carecircle`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("carecircle")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "carecircle.scripts.cli"]


@dataclass
class Run:
    """What one audit process did."""

    status: str = "done"  # done | error | timeout | memory | interrupted
    exit_code: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0  # user + system seconds of the process and the children it waited for
    peak_rss_mib: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    stopped_in: str = ""
    interrupt_s: float | None = None
    last_lines: list[str] = field(default_factory=list)
    stages_unfinished: dict[str, float] = field(default_factory=dict)
    #: of a Ctrl-C run: seconds into ``stopped_in`` when SIGINT was sent, the stage's own
    #: "interrupted during" line printed, and a stage end line printed after the signal
    signalled_after_s: float | None = None
    said_interrupted: bool | None = None
    finished_after_signal: list[str] = field(default_factory=list)


def _resident(pid: int) -> int:
    """Proportional resident bytes of a process (PSS: a page shared by n processes counts 1/n).

    Forked workers share the parent's pages until written; their RSS would count every shared
    page again. Falls back to RSS where ``smaps_rollup`` is missing.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


def _tree_rss(pid: int) -> int:
    """Resident bytes (PSS) of a process and all its descendants (0 once gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += _resident(p)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


class _StderrLog(threading.Thread):
    """Reads the child's stderr: stage starts and ends, the last lines."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream, self.current, self.stages, self.lines = stream, "", {}, []
        self.started = 0.0
        self.signalled = False
        self.ended_after_signal: list[str] = []

    def run(self) -> None:
        for raw in self.stream:
            line = raw.rstrip("\n")
            self.lines = [*self.lines, line][-8:]
            if m := STAGE_START.match(line):
                self.current, self.started = m.group(1), time.perf_counter()
            elif (m := STAGE_END.match(line)) and m.group(1) == self.current:
                self.stages[self.current] = float(m.group(2))
                if self.signalled:
                    self.ended_after_signal.append(self.current)
                self.current = ""


def run_audit(
    study: Path,
    out: Path,
    *,
    timeout_s: float,
    max_rss_gib: float,
    env: dict[str, str],
    interrupt_at: tuple[str, float] | None = None,
) -> Run:
    """Run ``carecircle audit STUDY --out OUT --offline`` and measure it.

    Parameters
    ----------
    study : Path
        The study file.
    out : Path
        Output folder (emptied first).
    timeout_s : float
        Wall-time cap; the run is interrupted (SIGINT) past it.
    max_rss_gib : float
        Memory cap of the process tree; interrupted past it (protects the shared machine).
    env : dict
        Environment of the child.
    interrupt_at : (str, float), optional
        Send SIGINT (Ctrl-C) once the named stage has run this many seconds (a Ctrl-C run:
        its status is ``interrupted``, ``interrupt_s`` the seconds the process took to exit).

    Returns
    -------
    Run
        The measurements; stage seconds from run.json when the run finished.
    """
    shutil.rmtree(out, ignore_errors=True)
    cmd = [*carecircle_command(), "audit", str(study), "--out", str(out), "--offline"]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    log = _StderrLog(proc.stderr)
    log.start()
    run, peak, signalled = Run(), 0, None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss(proc.pid))
        elapsed = time.perf_counter() - start
        in_stage = time.perf_counter() - log.started
        asked = (
            interrupt_at is not None
            and log.current == interrupt_at[0]
            and in_stage >= interrupt_at[1]
        )
        if signalled is None and (asked or elapsed > timeout_s or peak > max_rss_gib * 2**30):
            run.status = "interrupted" if asked else "timeout" if elapsed > timeout_s else "memory"
            run.stopped_in = log.current
            run.signalled_after_s = round(in_stage, 2)
            run.stages_unfinished = {log.current: round(elapsed - (log.started - start), 1)}
            log.signalled = True
            proc.send_signal(signal.SIGINT)
            signalled = time.perf_counter()
        elif signalled is not None and time.perf_counter() - signalled > 30:
            proc.kill()
        time.sleep(0.05 if signalled is not None or interrupt_at is not None else 0.2)
    end = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.join(timeout=5)
    run.exit_code = proc.returncode
    run.wall_s = round(end - start, 2)
    run.cpu_s = round(usage.ru_utime + usage.ru_stime, 2)
    if signalled is not None:
        run.interrupt_s = round(end - signalled, 2)
    elif proc.returncode != 0:
        run.status, run.stopped_in = "error", log.current
    run.peak_rss_mib = round(max(peak, usage.ru_maxrss * 1024) / 2**20, 1)
    run.stages = dict(log.stages)
    run.last_lines = log.lines
    if signalled is not None:
        run.said_interrupted = any(
            "interrupted during" in line and run.stopped_in in line for line in log.lines
        )
        run.finished_after_signal = list(log.ended_after_signal)
    summary = out / "run.json"
    if run.status == "done" and summary.is_file():
        run.stages = json.loads(summary.read_text(encoding="utf-8"))["stages_seconds"]
    return run


def run_counts(out: Path) -> dict[str, int]:
    """Sizes of the study as the audit saw them (from run.json)."""
    summary = out / "run.json"
    if not summary.is_file():
        return {}
    counts = json.loads(summary.read_text(encoding="utf-8"))["counts"]
    keys = ("network_nodes", "network_edges", "cells", "facilities", "streets", "communities")
    return {k: counts[k] for k in keys if k in counts}


def output_sizes(out: Path) -> dict[str, float]:
    """MiB of the outputs: largest street map, overview, each GeoPackage, everything."""
    mib = 2**20
    maps = out / "maps"
    street_maps = [p for p in maps.glob("*.html") if p.name != "index.html"]
    sizes = {
        "largest_street_map_mib": max((p.stat().st_size for p in street_maps), default=0) / mib,
        "overview_mib": (maps / "index.html").stat().st_size / mib
        if (maps / "index.html").is_file()
        else 0.0,
        "street_maps": len(street_maps),
        "total_mib": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / mib,
    }
    for gpkg in sorted(out.glob("*.gpkg")):
        sizes[f"{gpkg.stem}_gpkg_mib"] = gpkg.stat().st_size / mib
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in sizes.items()}
