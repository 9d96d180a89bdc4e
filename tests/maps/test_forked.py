"""Forked map workers: files in task order, a worker's error raised, a dead worker noticed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from carecircle.maps.forked import run_forked, start_forked


def _write(shared: dict[str, str], task: str) -> list[Path]:
    if task == "bad":
        raise ValueError("boom in a worker")
    if task == "die":
        os._exit(3)
    return [Path(shared["prefix"] + task), Path(shared["prefix"] + task + "2")]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_files_come_back_in_task_order_whoever_wrote_them(workers: int) -> None:
    tasks = list("abcdefg")
    done: list[str] = []
    paths = run_forked({"prefix": "x-"}, tasks, _write, workers=workers, on_done=done.append)
    assert paths == [Path(f"x-{t}{s}") for t in tasks for s in ("", "2")]
    assert sorted(done) == tasks


def test_an_error_in_a_worker_is_raised_here() -> None:
    with pytest.raises(ValueError, match="boom in a worker"):
        run_forked({"prefix": ""}, ["a", "bad", "c", "d"], _write, workers=2, on_done=print)


def test_a_worker_that_dies_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="died"):
        run_forked({"prefix": ""}, ["a", "die", "c", "d"], _write, workers=2, on_done=print)


def _slow_last(shared: dict[str, float], task: int) -> int:
    if task == 2:
        import time

        time.sleep(shared["sleep"])
    return task * 10


def test_wait_for_returns_once_the_first_tasks_are_done() -> None:
    import time

    with start_forked({"sleep": 3.0}, [0, 1, 2], _slow_last, workers=1) as run:
        start = time.monotonic()
        run.wait_for(2)
        assert time.monotonic() - start < 2.5  # not waiting for task 2's 3 s
        run.wait_for(0)
        assert run.collect() == [0, 10, 20]


def _where(shared: dict[str, float], task: str) -> list[Path]:
    """Write nothing; name the task and the process that ran it (after a short wait)."""
    import time

    if task == "bad":
        raise ValueError("boom while busy")
    time.sleep(shared["sleep"])
    return [Path(f"{task}:{os.getpid()}")]


def _ran(paths: list[Path]) -> list[tuple[str, int]]:
    return [(task, int(pid)) for task, pid in (p.name.split(":") for p in paths)]


def test_while_busy_every_task_runs_here_in_order() -> None:
    tasks = list("abcdef")
    done: list[str] = []
    checks: list[int] = []

    def busy() -> bool:
        checks.append(1)
        return True

    paths = run_forked({"sleep": 0.0}, tasks, _where, workers=2, on_done=done.append, busy=busy)
    assert _ran(paths) == [(t, os.getpid()) for t in tasks]
    assert done == tasks  # one after another, here
    assert len(checks) == len(tasks) - 2  # asked after each task that leaves two or more


def test_once_not_busy_a_worker_shares_what_is_left() -> None:
    tasks = [f"t{k}" for k in range(12)]
    answers = iter([True, True])  # busy after the first two tasks, then no longer

    paths = run_forked(
        {"sleep": 0.05}, tasks, _where, workers=2, on_done=lambda t: None,
        busy=lambda: next(answers, False),
    )  # fmt: skip
    ran = _ran(paths)
    assert [t for t, _ in ran] == tasks  # in task order, whoever ran them
    here = [t for t, pid in ran if pid == os.getpid()]
    assert here[:3] == ["t0", "t1", "t2"]  # before the worker was forked
    assert len(here) < len(tasks)  # the worker ran some of the rest
    assert len({pid for _, pid in ran}) == 2  # this process and one worker


def test_an_error_while_busy_is_raised_here() -> None:
    with pytest.raises(ValueError, match="boom while busy"):
        run_forked(
            {"sleep": 0.0}, ["a", "bad", "c"], _where, workers=2, on_done=print,
            busy=lambda: True,
        )  # fmt: skip


def test_finished_reads_what_is_done_without_waiting() -> None:
    import time

    with start_forked({"sleep": 1.0}, [0, 1, 2], _slow_last, workers=1) as run:
        start = time.monotonic()
        assert not run.finished()
        assert time.monotonic() - start < 0.5  # did not wait for task 2's 1 s
        deadline = time.monotonic() + 20
        while not run.finished() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.finished()
        assert run.collect() == [0, 10, 20]


def _fails_in_a_worker(shared: dict[str, int], task: int) -> list[Path]:
    import time

    if os.getpid() != shared["parent"]:
        raise ValueError(f"boom in the worker, task {task}")
    time.sleep(0.1)
    return [Path(str(task))]


def test_an_error_in_a_worker_forked_midway_is_raised_at_once() -> None:
    done: list[int] = []
    with pytest.raises(ValueError, match="boom in the worker"):
        run_forked(
            {"parent": os.getpid()}, list(range(40)), _fails_in_a_worker, workers=2,
            on_done=done.append, busy=lambda: False,
        )  # fmt: skip
    assert len(done) < 20  # raised while tasks were left, not after this process ran them all
