"""Batch audits on Dask: same results as one by one, failures reported, lost workers survived."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
from shared_runs import once_per_run

from carecircle.scripts.batch import NO_DASHBOARD, audit_task, quiet_dask, run_batch
from carecircle.scripts.batch_commands import batch_text
from carecircle.scripts.cli import main

from mini_district import MiniDistrict, write_mini_study

MINUTES = (8, 10, 12, 14)


def _write_studies(folder: Path) -> None:
    """Four mini districts (8-14 minutes) and a copy of the first whose network is missing."""
    for k, minutes in enumerate(MINUTES):
        write_mini_study(folder / f"district{k}", MiniDistrict(minutes=minutes))
    first = folder / "district0"
    broken = folder / "broken"
    broken.mkdir()
    (broken / "study.toml").write_text(
        (first / "study.toml")
        .read_text(encoding="utf-8")
        .replace('network = "network.osm"', 'network = "missing.osm"'),
        encoding="utf-8",
    )
    for path in first.iterdir():
        if path.name != "study.toml":
            (broken / path.name).write_bytes(path.read_bytes())


@pytest.fixture(scope="session")
def study_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The studies, written once for every xdist worker (the tests only read them)."""
    return once_per_run(tmp_path_factory, "batch-studies", _write_studies)


@pytest.fixture(scope="session")
def studies(study_folder: Path) -> list[Path]:
    return [study_folder / f"district{k}" / "study.toml" for k in range(len(MINUTES))]


class BatchRun(NamedTuple):
    """The batch of the four studies and the broken one, run once: code, stdout, out."""

    code: int
    stdout: str
    out: Path


@pytest.fixture(scope="session")
def batch_run(tmp_path_factory: pytest.TempPathFactory, study_folder: Path) -> BatchRun:
    """One batch for the tests that read its results (a local cluster costs seconds)."""

    def run(folder: Path) -> None:
        studies = [study_folder / f"district{k}" / "study.toml" for k in range(len(MINUTES))]
        args = ["-q", "batch", *map(str, studies), str(study_folder / "broken" / "study.toml")]
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            code = main([*args, "--out", str(folder / "batch")])
        (folder / "code.txt").write_text(str(code), encoding="utf-8")
        (folder / "stdout.txt").write_text(stdout.getvalue(), encoding="utf-8")

    folder = once_per_run(tmp_path_factory, "batch-run", run)
    return BatchRun(
        int((folder / "code.txt").read_text(encoding="utf-8")),
        (folder / "stdout.txt").read_text(encoding="utf-8"),
        folder / "batch",
    )


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(folder / name)
        for name in (
            "indicators_by_street.csv",
            "indicators_by_community.csv",
            "underserved_communities.csv",
        )
    }


def test_batch_reports_failures(batch_run: BatchRun) -> None:
    assert batch_run.code == 3  # one study failed
    summary = pd.read_csv(batch_run.out / "batch_summary.csv")
    assert list(summary["status"]) == ["done"] * 4 + ["failed"]
    assert "missing.osm" in summary["error"].iloc[-1]
    assert (batch_run.out / "index.html").is_file()
    assert "failed" in batch_run.stdout


@pytest.mark.parametrize("k", range(len(MINUTES)))
def test_batch_equals_one_by_one(
    batch_run: BatchRun, studies: list[Path], tmp_path: Path, k: int
) -> None:
    alone = tmp_path / f"alone{k}"
    assert main(["-q", "audit", str(studies[k]), "--out", str(alone)]) == 0
    together = batch_run.out / f"district{k}"
    for name, frame in _tables(alone).items():
        pd.testing.assert_frame_equal(frame, _tables(together)[name], obj=name)


def test_a_killed_worker_loses_no_study(studies: list[Path], tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs=NO_DASHBOARD,
        ) as cluster,
        Client(cluster) as client,
    ):
        killed: list[str] = []

        def kill_one() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                busy = [w for w, tasks in client.processing().items() if tasks]
                if busy:
                    killed.append(busy[0])
                    with contextlib.suppress(Exception):  # its connection dies with it
                        client.run(os._exit, 1, workers=[busy[0]])
                    return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_one)
        killer.start()
        result = run_batch(
            studies * 2, tmp_path / "out", scheduler=cluster.scheduler_address, retries=2
        )
        killer.join()
    assert killed
    summary = result.summary
    assert len(summary) == len(studies) * 2
    assert set(summary["status"]) <= {"done", "failed"}
    assert (summary["status"] == "done").sum() >= len(studies) * 2 - 1


def test_quiet_batch_prints_no_dask_log_and_no_bar_and_a_second_batch_does_not_collide(
    studies: list[Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A quiet batch while port 8787 is taken, as another batch's scheduler would take it.

    One batch (its local cluster costs seconds) checks both: nothing of Dask's own log
    and no bar with -q, and no collision with a second batch on the machine.
    """
    import socket

    import distributed  # noqa: F401 - its import sets the levels: compare with those

    # the CLI's logging set-up quiets `distributed` to WARNING before any command runs (so the
    # level before depends on whether an earlier test in this process ran the CLI): start
    # from that level; -q raises it to ERROR during the batch, which must then put it back
    logging.getLogger("distributed").setLevel(logging.WARNING)
    before = {
        n: logging.getLogger(n).level
        for n in ("distributed", "distributed.scheduler", "distributed.client")
    }
    holder = socket.socket()
    try:
        holder.bind(("0.0.0.0", 8787))  # as another batch's scheduler would
        holder.listen()
    except OSError:
        pass  # already taken by another process on this machine: the same situation
    try:
        assert main(["batch", str(studies[0]), "--out", str(tmp_path / "b"), "-q"]) == 0
    finally:
        holder.close()
    captured = capfd.readouterr()
    for noise in ("State start", "Scheduler at", "dashboard at", "Lost all workers", "Start Nanny"):
        assert noise not in captured.err
    assert "done" in captured.out
    assert "already in use" not in captured.err
    # levels are put back for the code that runs after the batch
    assert {n: logging.getLogger(n).level for n in before} == before


def test_quiet_dask_restores_levels() -> None:
    import distributed  # noqa: F401

    logger = logging.getLogger("distributed")
    old = logger.level
    with quiet_dask(logging.ERROR):
        assert logger.level == logging.ERROR
        assert not logging.getLogger("distributed.scheduler").isEnabledFor(logging.WARNING)
    assert logger.level == old


def test_unknown_floor_area_is_null_and_a_dash(tmp_path: Path) -> None:
    columns = ("id", "name", "type", "lon", "lat", "beds", "nursing_beds", "street", "community")
    study = write_mini_study(tmp_path / "in", MiniDistrict(facility_columns=columns))
    row = audit_task(str(study), str(tmp_path / "out"), False)
    assert row["status"] == "done"
    assert row["floor_area_per_1000"] is None
    text = json.dumps(row, allow_nan=False)  # valid JSON: no bare NaN
    assert json.loads(text)["floor_area_per_1000"] is None
    summary = pd.DataFrame([row])
    line = batch_text(summary, [], tmp_path).splitlines()[1]
    share = f"{row['older_covered_share']:.1%}"
    assert line.split() == ["in/study.toml", "done", share, "—"]


@pytest.fixture
def threads_cluster():
    """A cluster in this process, so that monkeypatched functions reach its workers."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs=NO_DASHBOARD,
    ) as cluster:
        yield cluster.scheduler_address


def _failing_audit(monkeypatch: pytest.MonkeyPatch, errors: dict[str, list[BaseException]]):
    """Make the audit raise the queued errors per study folder, then run for real."""
    from carecircle import api

    real = api.audit
    calls: dict[str, int] = {}

    def run(study, **kwargs):
        name = Path(study).parent.name
        calls[name] = calls.get(name, 0) + 1
        queued = errors.get(name, [])
        if queued:
            raise queued.pop(0)
        return real(study, **kwargs)

    monkeypatch.setattr(api, "audit", run)
    return calls


def test_deterministic_errors_are_not_retried_and_print_no_traceback(
    studies: list[Path],
    tmp_path: Path,
    threads_cluster: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from carecircle.errors import InputDataError

    calls = _failing_audit(
        monkeypatch,
        {
            "district0": [TypeError("Cannot convert fill_value nan to dtype int16")],
            "district1": [InputDataError("facilities.csv: row 3 is bad\nsecond line")],
            "district2": [OSError("file server hiccup")],  # transient: retried, then done
        },
    )
    args = ["batch", *map(str, studies[:3]), "--out", str(tmp_path / "b")]
    assert main([*args, "--scheduler", threads_cluster, "--retries", "2"]) == 3
    assert calls == {"district0": 1, "district1": 1, "district2": 2}
    captured = capfd.readouterr()
    for noise in ("Traceback", "Compute Failed"):
        assert noise not in captured.err
        assert noise not in captured.out
    lines = {line.split()[0]: line for line in captured.out.splitlines()[1:4]}
    assert lines["district0/study.toml"].split()[1] == "failed"
    assert (
        "internal error: TypeError: Cannot convert fill_value nan" in lines["district0/study.toml"]
    )
    assert "not retried" in lines["district0/study.toml"]
    assert "row 3 is bad second line" in lines["district1/study.toml"]  # one line per study
    assert lines["district2/study.toml"].split()[1] == "done"
    summary = pd.read_csv(tmp_path / "b" / "batch_summary.csv", keep_default_na=False)
    assert list(summary["status"]) == ["failed", "failed", "done"]


def test_transient_errors_are_retried_then_reported_in_one_line(
    studies: list[Path], tmp_path: Path, threads_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _failing_audit(monkeypatch, {"district0": [MemoryError("x")] * 5})
    result = run_batch(studies[:1], tmp_path / "b", scheduler=threads_cluster, retries=1)
    assert calls == {"district0": 2}
    row = result.summary.iloc[0]
    assert row["status"] == "failed"
    assert row["error"].startswith("内部错误 internal error after 2 attempts: MemoryError")
    assert "\n" not in row["error"]


@pytest.mark.parametrize(
    ("option", "words"),
    [(["--workers", "0"], "--workers 0"), (["--retries", "-1"], "--retries -1")],
)
def test_batch_options_are_checked_before_any_study(
    studies: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], option, words
) -> None:
    assert main(["batch", str(studies[0]), "--out", str(tmp_path / "b"), *option]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误 error: " + words)
    assert not (tmp_path / "b").exists()


def test_batch_summary_names_are_no_formulas(tmp_path: Path, threads_cluster: str) -> None:
    from openpyxl import load_workbook

    study = write_mini_study(tmp_path / "evil")
    study.write_text(
        study.read_text(encoding="utf-8").replace(
            'name = "小区 Mini district"', 'name = "=HYPERLINK(\\"http://x\\",\\"y\\")"'
        ),
        encoding="utf-8",
    )
    out = tmp_path / "b"
    assert main(["-q", "batch", str(study), "--out", str(out), "--scheduler", threads_cluster]) == 0
    ws = load_workbook(out / "batch_summary.xlsx").active
    cells = [c for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert '\'=HYPERLINK("http://x","y")' in {c.value for c in cells}
    summary = pd.read_csv(out / "batch_summary.csv")
    assert summary["name"].tolist() == ['\'=HYPERLINK("http://x","y")']


def test_a_malformed_scheduler_address_is_a_clear_error(
    studies: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["batch", str(studies[0]), "--out", str(tmp_path / "b"), "--scheduler", "foo"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误 error: --scheduler foo: 无法连接调度器 / cannot connect")
    assert "missing port number" in err
