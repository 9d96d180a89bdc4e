"""Outputs in one home: every output is a registered writer, run by ``cc.write`` and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import carecircle as cc
from carecircle.outputs import WRITERS, WriteJob, Writer, WriterRegistry, register_writer
from carecircle.scripts.cli import main

from mini_district import write_mini_study

#: Every file of an audit outside maps/ and charts/ (the README's table of outputs).
AUDIT_FILES = {
    "coverage_by_street.csv",
    "coverage_by_community.csv",
    "underserved_communities.csv",
    "indicators_by_street.csv",
    "indicators_by_community.csv",
    "indicator_catalogue.csv",
    "underserved_communities.xlsx",
    "indicators.xlsx",
    "cells.gpkg",
    "indicators.gpkg",
    "report.html",
    "report.docx",
    "run.json",
    "charts/s1_by_community.png",
    "charts/s2_by_street.png",
}


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, cc.AuditResult]:
    study = write_mini_study(tmp_path_factory.mktemp("mini"))
    return study, cc.audit(study)


def summary_writer(job: WriteJob) -> list[Path]:
    """An extra output defined here alone: one line per street with its S1 share."""
    path = job.folder / "extra" / "s1.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = job.audit.by_street[["code", "older_covered_share"]].itertuples(index=False)
    path.write_text("".join(f"{c} {s:.4f}\n" for c, s in rows), encoding="utf-8")
    return [path]


def _files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(("maps/", "."))
    }


def test_builtin_writers_write_the_documented_files(
    mini: tuple[Path, cc.AuditResult], tmp_path: Path
) -> None:
    _, result = mini
    paths = cc.write(result, tmp_path / "out")
    assert _files(tmp_path / "out") == AUDIT_FILES
    assert {p.relative_to(tmp_path / "out").as_posix() for p in paths} >= AUDIT_FILES
    assert paths[-1].name == "run.json"  # last: it records the seconds of the stages before
    assert {w.name for w in WRITERS.for_kind("site")} == {
        "siting tables",
        "maps",
        "static maps",
        "report.docx",
    }
    # each layer written once: the cells only in cells.gpkg
    import pyogrio

    assert [n for n, _ in pyogrio.list_layers(tmp_path / "out" / "indicators.gpkg")] == [
        "streets",
        "communities",
        "facilities",
    ]


def test_a_writer_registered_here_runs_in_write_and_the_cli(
    mini: tuple[Path, cc.AuditResult], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study, result = mini
    expected = "".join(
        f"{r.code} {r.older_covered_share:.4f}\n" for r in result.by_street.itertuples()
    )
    with register_writer(Writer(name="s1 summary", write=summary_writer, stage="write extra")):
        assert "s1 summary" in WRITERS
        paths = cc.write(result, tmp_path / "api")
        assert main(["-q", "audit", str(study), "--out", str(tmp_path / "cli")]) == 0
    assert "s1 summary" not in WRITERS  # unregistered at the end of the block
    for out in (tmp_path / "api", tmp_path / "cli"):
        assert (out / "extra" / "s1.txt").read_text(encoding="utf-8") == expected
        manifest = json.loads((out / ".carecircle-manifest.json").read_text(encoding="utf-8"))
        assert "extra/s1.txt" in manifest["runs"]["audit"]
    assert tmp_path / "api" / "extra" / "s1.txt" in paths
    assert "extra/s1.txt" in capsys.readouterr().out  # listed by the CLI
    run = json.loads((tmp_path / "cli" / "run.json").read_text(encoding="utf-8"))
    assert "write extra" in run["stages_seconds"]  # ordered before run.json (order 50 < 100)
    # each writer timed on its own too; the stage of a group is the sum of its writers
    writers = run["writers_seconds"]
    assert {"tables", "workbooks", "geopackages", "maps", "static maps"} <= set(writers)
    assert "run.json" not in writers  # it writes the record: its own time is not in it
    group = writers["tables"] + writers["workbooks"] + writers["geopackages"]
    assert group == pytest.approx(run["stages_seconds"]["write tables"], abs=0.05)
    # the next run without it removes its file (the manifest's own, unchanged)
    cc.write(result, tmp_path / "api")
    assert not (tmp_path / "api" / "extra" / "s1.txt").exists()


def test_a_site_writer_does_not_run_for_an_audit(
    mini: tuple[Path, cc.AuditResult], tmp_path: Path
) -> None:
    _, result = mini
    calls: list[str] = []

    def record(job: WriteJob) -> list[Path]:
        calls.append(job.kind)
        return []

    with register_writer(Writer(name="site only", write=record, kinds=frozenset({"site"}))):
        cc.write(result, tmp_path / "out")
    assert calls == []


def test_registry_refuses_duplicates_and_unknown_kinds() -> None:
    registry = WriterRegistry()
    first = Writer(name="a", write=summary_writer, order=60)
    registry.register(first)
    registry.register(Writer(name="b", write=summary_writer, order=10))
    assert [w.name for w in registry] == ["b", "a"]
    with pytest.raises(ValueError, match="registered already"):
        registry.register(first)
    with pytest.raises(ValueError, match="kinds"):
        Writer(name="c", write=summary_writer, kinds=frozenset({"batch"}))
    registry.unregister("a")
    assert [w.name for w in registry] == ["b"]


def test_site_checks_live_in_one_place(mini: tuple[Path, cc.AuditResult], tmp_path: Path) -> None:
    """cc.site and carecircle site refuse the same requests through cc.site_inputs."""
    import pandas as pd

    from carecircle.api import site_inputs
    from carecircle.errors import InputDataError, InputFileError

    _, result = mini
    candidates = pd.DataFrame({"id": ["C1", "C2"], "lon": [118.78, 118.781], "lat": [32.04] * 2})
    with pytest.raises(InputDataError, match="--add 3 is more than the 2 candidate sites"):
        cc.site(result, "service_station", add=3, candidates=candidates)
    with pytest.raises(InputFileError, match="check the --exclude path"):
        site_inputs("service_station", add=1, exclude=tmp_path / "missing.gpkg")
    with pytest.raises(InputDataError, match="exclusion areas must be polygons with a CRS"):
        site_inputs("service_station", add=1, exclude=pd.DataFrame({"a": [1]}))  # type: ignore[arg-type]
    checked = site_inputs("养老服务站", add=1, candidates=candidates)
    assert checked.request.facility_type == "service_station"
    assert checked.candidates is candidates and checked.files == ()


def test_the_results_are_left_out_of_collections_while_written_and_only_then(
    mini: tuple[Path, cc.AuditResult], tmp_path: Path
) -> None:
    import gc

    frozen: list[int] = []

    def count(job: WriteJob) -> list[Path]:
        frozen.append(gc.get_freeze_count())
        return []

    before = gc.get_freeze_count()
    with register_writer(Writer(name="freeze count", write=count)):
        cc.write(mini[1], tmp_path / "out")
    assert frozen and frozen[0] > before + 1000  # the results, at least
    assert gc.get_freeze_count() == before
