"""The concurrent writers (tables, workbooks, GeoPackages, charts, report.html, PNG maps,
report.docx) in a lane of their own beside the HTML maps: same files as one after another,
errors raised, lane stopped; a writer here that reads the lane's files waits for them, a
concurrent one that reads files written here stays here."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import carecircle as cc
from carecircle.outputs import WRITERS, WriteJob, Writer, register_writer
from carecircle.outputs import run as output_run

from mini_district import write_mini_study

#: The side lane's writers, in the registry's order (nothing left here reads their files).
CONCURRENT = [
    "tables", "workbooks", "geopackages", "charts", "report.html", "static maps", "report.docx"
]  # fmt: skip


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> cc.AuditResult:
    return cc.audit(write_mini_study(tmp_path_factory.mktemp("mini")))


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_the_concurrent_writers_run_beside_the_maps_in_one_stage() -> None:
    ordered = WRITERS.for_kind("audit")
    assert [w.name for w in output_run.side_lane(ordered)] == CONCURRENT
    # a writer timed in a stage of its own: every writer in this process, stages kept
    extra = Writer(name="extra", write=lambda job: [], stage="write extra")
    assert output_run.side_lane([*ordered, extra]) == []
    # the siting run: the PNG maps and the report beside the HTML maps
    site = WRITERS.for_kind("site")
    assert [w.name for w in output_run.side_lane(site)] == ["static maps", "report.docx"]


def test_a_concurrent_writer_reading_files_written_here_stays_here() -> None:
    def nothing(job: WriteJob) -> list[Path]:
        return []

    here = Writer(name="here", write=nothing, stage="write maps", order=1)
    a = Writer(name="a", write=nothing, stage="write maps", concurrent=True, order=2)
    b = Writer(
        name="b", write=nothing, stage="write maps", concurrent=True, order=3,
        reads=frozenset({"here"}),
    )  # fmt: skip
    c = Writer(
        name="c", write=nothing, stage="write maps", concurrent=True, order=4,
        reads=frozenset({"b"}),
    )  # fmt: skip
    assert [w.name for w in output_run.side_lane([here, a, b, c])] == ["a"]  # c reads b
    # the PNG maps kept here (not concurrent): the report that reads them stays with them
    static = dataclasses.replace(WRITERS["static maps"], concurrent=False)
    ordered = [static if w.name == "static maps" else w for w in WRITERS.for_kind("audit")]
    lane = [w.name for w in output_run.side_lane(ordered)]
    assert lane == [n for n in CONCURRENT if n not in {"static maps", "report.docx"}]


def test_what_a_writer_here_reads_is_written_first_in_the_lane() -> None:
    def nothing(job: WriteJob) -> list[Path]:
        return []

    a = Writer(name="a", write=nothing, stage="write tables", concurrent=True, order=1)
    b = Writer(name="b", write=nothing, stage="write tables", concurrent=True, order=2)
    c = Writer(
        name="c", write=nothing, stage="write tables", concurrent=True, order=3,
        reads=frozenset({"b"}),
    )  # fmt: skip
    here = Writer(name="here", write=nothing, stage="write tables", order=4, reads=frozenset("c"))
    lane = output_run.side_lane([a, b, c, here])
    assert [w.name for w in lane] == ["b", "c", "a"]  # c reads b: b before it
    assert output_run._waits_for(here, lane) == 2
    assert output_run._waits_for(a, lane) == 0


def test_a_writer_here_waits_for_the_lane_files_it_reads(
    mini: cc.AuditResult, tmp_path: Path
) -> None:
    seen: list[bool] = []

    def slow(job: WriteJob) -> list[Path]:  # in the lane: written late
        time.sleep(1.5)
        path = job.folder / "slow.txt"
        path.write_text("done")
        return [path]

    def reader(job: WriteJob) -> list[Path]:
        seen.append((job.folder / "slow.txt").is_file())
        return []

    lane = Writer(name="slow", write=slow, stage="write tables", concurrent=True, order=0)
    here = Writer(
        name="reader", write=reader, stage="write maps", order=1, reads=frozenset({"slow"})
    )
    with register_writer(lane), register_writer(here):
        cc.write(mini, tmp_path / "out")
    assert seen == [True]
    assert (tmp_path / "out" / "slow.txt").read_text() == "done"


def _lane_in_child(send: multiprocessing.connection.Connection) -> None:
    send.send([w.name for w in output_run.side_lane(WRITERS.for_kind("audit"))])


def test_a_worker_process_writes_everything_itself() -> None:
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_lane_in_child, args=(send,))
    child.start()
    assert receive.recv() == []  # a batch worker: no lane of its own
    child.join()


def test_same_files_as_one_after_another_in_registry_order(
    mini: cc.AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = cc.write(mini, tmp_path / "lane")
    run = json.loads((tmp_path / "lane" / "run.json").read_text(encoding="utf-8"))
    assert "write outputs" in run["stages_seconds"]
    assert "write tables" not in run["stages_seconds"]
    assert "write maps" not in run["stages_seconds"]
    assert set(CONCURRENT) | {"maps", "static maps", "report.docx"} <= set(run["writers_seconds"])
    names = [p.relative_to(tmp_path / "lane").as_posix() for p in paths]
    first = [
        names.index(n)
        for n in (
            "coverage_by_street.csv",
            "indicators.xlsx",
            "cells.gpkg",
            "maps/index.html",
            "charts/s1_by_community.png",
            "report.html",
            "report.docx",
            "run.json",
        )
    ]
    assert first == sorted(first)  # the writers' order, whichever lane wrote first

    monkeypatch.setattr(output_run, "side_lane", lambda ordered, job=None: [])
    serial = cc.write(mini, tmp_path / "serial")
    run = json.loads((tmp_path / "serial" / "run.json").read_text(encoding="utf-8"))
    assert {"write tables", "write maps"} <= set(run["stages_seconds"])
    assert [p.relative_to(tmp_path / "serial").as_posix() for p in serial] == names
    lane, one = _tree(tmp_path / "lane"), _tree(tmp_path / "serial")
    assert set(lane) == set(one)
    same = [n for n in lane if n.endswith((".csv", ".html")) and not n.startswith("maps/")]
    assert len(same) >= 7
    for name in same:
        assert lane[name] == one[name], name


def _fails(job: WriteJob) -> list[Path]:
    raise ValueError("boom: the lane's writer failed")


def test_an_error_in_the_lane_is_raised_and_nothing_is_moved(
    mini: cc.AuditResult, tmp_path: Path
) -> None:
    broken = Writer(name="broken", write=_fails, stage="write tables", concurrent=True)
    with register_writer(broken), pytest.raises(ValueError, match="boom"):
        cc.write(mini, tmp_path / "out")
    assert not (tmp_path / "out" / "coverage_by_street.csv").exists()


def test_the_lane_is_stopped_when_a_writer_here_fails(mini: cc.AuditResult, tmp_path: Path) -> None:
    pid_file = tmp_path / "lane.pid"

    def slow(job: WriteJob) -> list[Path]:  # runs in the lane (forked: a closure is fine)
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)
        return []

    def fails_once_the_lane_runs(job: WriteJob) -> list[Path]:
        deadline = time.monotonic() + 20
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise RuntimeError("a map writer failed")

    lane = Writer(name="slow", write=slow, stage="write tables", concurrent=True, order=0)
    here = Writer(name="fails", write=fails_once_the_lane_runs, stage="write maps", order=1)
    start = time.monotonic()
    with register_writer(lane), register_writer(here), pytest.raises(RuntimeError, match="map"):
        cc.write(mini, tmp_path / "out")
    assert time.monotonic() - start < 20  # not waiting for the lane's 60 s
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # terminated and reaped


def test_the_writers_here_are_told_while_the_lane_runs(
    mini: cc.AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    busy_given: list[object] = []

    def slow(job: WriteJob) -> list[Path]:  # in the lane: still running when the probe asks
        time.sleep(1.5)
        return []

    def probe(job: WriteJob) -> list[Path]:
        assert job.beside is not None
        seen.append(job.beside())
        deadline = time.monotonic() + 20
        while job.beside() and time.monotonic() < deadline:
            time.sleep(0.05)
        seen.append(job.beside())
        return []

    from carecircle.maps import gap_maps, static_maps

    def recording(real: Callable[..., list[Path]]) -> Callable[..., list[Path]]:
        def run(*args: Any, **kwargs: Any) -> list[Path]:
            busy_given.append(kwargs.get("busy"))
            return real(*args, **kwargs)

        return run

    monkeypatch.setattr(gap_maps, "run_forked", recording(gap_maps.run_forked))
    monkeypatch.setattr(static_maps, "run_forked", recording(static_maps.run_forked))
    lane = Writer(name="slow", write=slow, stage="write tables", concurrent=True, order=0)
    here = Writer(name="probe", write=probe, stage="write maps", order=1)
    with register_writer(lane), register_writer(here):
        cc.write(mini, tmp_path / "out")
    assert seen == [True, False]  # busy while the lane ran, then no longer
    # the HTML maps were drawn here, told of the lane; the PNG maps not here (in the lane)
    assert len(busy_given) == 1
    assert callable(busy_given[0])
