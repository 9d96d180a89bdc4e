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
