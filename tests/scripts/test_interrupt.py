"""Ctrl-C: the CLI names the stage, exits 130 in one line and keeps the previous outputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from carecircle.analysis.stages import StageInterrupted
from carecircle.scripts import commands
from carecircle.scripts.cli import main

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def sigint_handled() -> Iterator[None]:
    """Let children answer SIGINT even when the tests run as a background job: such a job
    ignores SIGINT and a child inherits an ignored signal, but not a handled one."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_interrupt_message_names_the_stage_and_exit_code_is_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise StageInterrupted("write maps", 3.25)

    monkeypatch.setattr(commands, "run_audit", interrupted)
    code = main(["audit", str(tmp_path / "study.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130
    assert len(err) == 1
    assert err[0].startswith("已中断 interrupted during write maps (after 3.2 s)")


def _previous_output(out: Path) -> Path:
    out.mkdir(parents=True)
    old = out / "coverage_by_street.csv"
    old.write_text("previous run\n", encoding="utf-8")
    return old


@pytest.mark.usefixtures("sigint_handled")
def test_ctrl_c_is_answered_when_the_main_thread_is_stuck(tmp_path: Path) -> None:
    """A main thread that never sees the interrupt (as inside a long C call) is stopped."""
    out = tmp_path / "out"
    old = _previous_output(out)
    script = textwrap.dedent(
        """
        import logging, os, signal, sys, time
        from pathlib import Path
        from carecircle.analysis.files import staging_folder
        from carecircle.scripts.interrupts import answer_interrupts

        out = Path(sys.argv[1])
        with answer_interrupts(out, 0.5):
            staging_folder(out).mkdir()
            (staging_folder(out) / "half.csv").write_text("partial")
            logging.basicConfig(level=logging.INFO, format="%(message)s")
            logging.getLogger("carecircle").info("▶ %s", "slow step")
            signal.signal(signal.SIGINT, lambda *a: None)  # Python never raises
            print("ready", flush=True)
            time.sleep(60)
        print("not stopped", flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    stdout, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "not stopped" not in stdout
    assert err.strip().splitlines()[0] == "▶ slow step"
    message = err.strip().splitlines()[1:]
    assert len(message) == 1
    assert message[0].startswith("已中断 interrupted during slow step (after ")
    assert old.read_text(encoding="utf-8") == "previous run\n"
    assert not list(out.glob(".carecircle-staging-*"))


def _district(folder: Path) -> Path:
    """A small generated city (benchmarks/_city.py) with its study file."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _city import write_city
        from _city_layout import CitySpec
    finally:
        sys.path.remove(str(BENCHMARKS))
    write_city(folder, CitySpec("district", 20_000, 20_000, 4, 20, seed=3))
    return folder / "study.toml"


@pytest.mark.usefixtures("sigint_handled")
def test_ctrl_c_during_a_stage_of_a_generated_city(tmp_path: Path) -> None:
    """End to end: SIGINT once routing starts; the stage it hits is not printed as done."""
    study = _district(tmp_path / "city")
    out = tmp_path / "out"
    old = _previous_output(out)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "carecircle.scripts.cli", "audit", str(study), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if line.startswith("▶ route"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    lines += err.splitlines()
    assert proc.returncode == 130, "\n".join(lines)
    message = [line for line in lines if line.startswith("已中断 interrupted")]
    assert len(message) == 1
    assert "Traceback" not in err
    if message[0].startswith("已中断 interrupted during "):  # not between two stages
        stage = message[0].removeprefix("已中断 interrupted during ").split(" (after")[0]
        assert any(line == f"▶ {stage}" for line in lines)
        assert not [line for line in lines if line.startswith(f"  {stage}: ")]
    assert old.read_text(encoding="utf-8") == "previous run\n"
    assert not list(out.glob(".carecircle-staging-*"))
    assert sorted(p.name for p in out.iterdir()) == ["coverage_by_street.csv"]


@pytest.mark.usefixtures("sigint_handled")
def test_ctrl_c_does_not_wait_for_a_pools_running_task(tmp_path: Path) -> None:
    """The console command leaves at once after Ctrl-C (``cli.run`` → ``leave_now``): it
    does not wait at exit for a process pool's running task (concurrent.futures joins its
    pools when the interpreter exits) and stops the worker, which ignores Ctrl-C."""
    script = textwrap.dedent(
        """
        import multiprocessing, signal, sys, time
        from concurrent.futures import ProcessPoolExecutor
        from carecircle.scripts import cli, commands

        def ignore():
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        def slow(_):
            time.sleep(60)

        def audit(*_args, **_kwargs):
            fork = multiprocessing.get_context("fork")
            pool = ProcessPoolExecutor(1, mp_context=fork, initializer=ignore)
            future = pool.submit(slow, 0)
            time.sleep(0.5)
            print("ready", *[p.pid for p in multiprocessing.active_children()], flush=True)
            try:
                future.result()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # running task keeps running
                raise

        commands.run_audit = audit
        sys.argv = ["carecircle", "audit", sys.argv[1], "--out", sys.argv[2]]
        cli.run()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "s.toml"), str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready = proc.stdout.readline().split()
    assert ready[0] == "ready" and len(ready) >= 2, ready
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)  # a normal exit would wait the task's 60 s
    assert proc.returncode == 130, err
    assert [line for line in err.splitlines() if line.startswith("已中断")] != []
    for pid in map(int, ready[1:]):  # the worker was stopped, not left running
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        assert not _alive(pid), f"worker {pid} still running"


def _alive(pid: int) -> bool:
    """Whether a process runs (not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
