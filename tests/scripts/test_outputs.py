"""The output folder: checked before the analysis, a full disk reported, earlier runs replaced."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from carecircle.analysis.manifest import MANIFEST, read_manifest
from carecircle.scripts.cli import main

from mini_district import write_mini_study


def _audit(study: Path, out: Path, *extra: str) -> int:
    return main(["-q", "audit", str(study), "--out", str(out), *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def first_run(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """A study audited once into ``out``: the study, ``out`` and its files' bytes."""
    study = write_mini_study(tmp_path / "in")
    out = tmp_path / "out"
    assert _audit(study, out) == 0
    return study, out, _snapshot(out)


def _disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_is_reported_as_such_and_earlier_outputs_stay(
    first_run: tuple[Path, Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    study, out, before = first_run
    capsys.readouterr()
    monkeypatch.setattr(pd.DataFrame, "to_csv", _disk_full)
    assert _audit(study, out) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"错误 error: {out}: 磁盘已满 / the disk is full")
    assert "previous outputs there are unchanged" in err
    assert "internal error" not in err
    assert _snapshot(out) == before  # intact, and no staging folder or partial file left


def test_full_disk_in_a_gdal_writer_is_reported_as_such(
    first_run: tuple[Path, Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from carecircle.outputs import tables

    def gdal_full(*args: object, **kwargs: object) -> None:
        raise RuntimeError(
            "sqlite3_exec(COMMIT) failed: database or disk is full: No space left on device"
        )

    study, out, before = first_run
    capsys.readouterr()
    monkeypatch.setattr(tables, "write_gpkg", gdal_full)
    assert _audit(study, out) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert _snapshot(out) == before


def test_out_not_writable_stops_before_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tempfile

    from carecircle.analysis import audit

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the analysis ran")

    study = write_mini_study(tmp_path / "in")
    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    monkeypatch.setattr(audit, "audit_study", never)
    out = tmp_path / "new" / "out"
    assert main(["audit", str(study), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"错误 error: --out {out}: 无法写入此文件夹 / cannot write into this folder" in err
    assert "Permission denied" in err
    assert not (tmp_path / "new").exists()  # the folders made for the check are gone


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_read_only_out_folder_is_refused(tmp_path: Path, capsys) -> None:
    study = write_mini_study(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert _audit(study, out) == 2
    finally:
        out.chmod(0o700)
    assert "cannot write into this folder" in capsys.readouterr().err


def test_run_json_hashes_the_inputs_as_they_were_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carecircle import api

    study = write_mini_study(tmp_path / "in")
    facilities = tmp_path / "in" / "facilities.csv"
    read = hashlib.sha256(facilities.read_bytes()).hexdigest()
    real = api.audit_study

    def audit_then_edit(*args: object, **kwargs: object):
        result = real(*args, **kwargs)
        facilities.write_text(facilities.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        return result

    monkeypatch.setattr(api, "audit_study", audit_then_edit)
    assert _audit(study, tmp_path / "out") == 0
    inputs = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["inputs"]
    assert hashlib.sha256(facilities.read_bytes()).hexdigest() != read  # it did change
    assert inputs["facilities[0]"] == {"file": "facilities.csv", "sha256": read}
    for role in ("residents", "older_residents", "streets", "communities", "network"):
        assert len(inputs[role]["sha256"]) == 64


def _without_street_e(folder: Path) -> None:
    """The study with street E and its communities merged into W (E's map is no longer made)."""
    for name in ("streets.gpkg", "communities.gpkg"):
        frame = gpd.read_file(folder / name)
        for column in ("code", "street"):
            if column in frame:
                frame[column] = frame[column].replace({"E": "W"})
        if name == "streets.gpkg":
            frame = frame.dissolve(by="code", as_index=False)
        frame.to_file(folder / name, driver="GPKG")


def test_edited_or_foreign_files_of_an_earlier_run_stay(
    first_run: tuple[Path, Path, dict[str, bytes]],
) -> None:
    study, out, before = first_run
    listed = read_manifest(out)["audit"]
    assert set(listed) == set(before) - {MANIFEST}
    _without_street_e(study.parent)
    stale = sorted(p for p in listed if p.startswith("maps/") and "E" in Path(p).stem)
    assert stale, listed
    edited = out / stale[0]
    edited.write_text("my notes on the old map", encoding="utf-8")
    (out / "mine.csv").write_text("a,b\n", encoding="utf-8")
    assert _audit(study, out) == 0
    assert edited.read_text(encoding="utf-8") == "my notes on the old map"
    assert (out / "mine.csv").is_file()
    for name in stale[1:]:
        assert not (out / name).exists(), name
    assert set(read_manifest(out)["audit"]) == set(_snapshot(out)) - {
        MANIFEST,
        "mine.csv",
        stale[0],
    }


def test_site_and_audit_into_one_folder_keep_each_others_files(
    first_run: tuple[Path, Path, dict[str, bytes]],
) -> None:
    study, out, before = first_run
    assert main(["-q", "site", str(study), "--out", str(out), "--add", "1"]) == 0
    assert (out / "proposed_sites.csv").is_file()
    for name in before:
        assert (out / name).is_file(), name  # the audit's tables stay
    assert _audit(study, out) == 0
    assert (out / "proposed_sites.csv").is_file()  # and the site's files stay
    runs = read_manifest(out)
    assert set(runs) == {"audit", "site"}


def test_a_tampered_manifest_removes_nothing_outside(
    first_run: tuple[Path, Path, dict[str, bytes]],
) -> None:
    study, out, _ = first_run
    outside = out.parent / "precious.txt"
    outside.write_text("keep", encoding="utf-8")
    stamp = [outside.stat().st_size, outside.stat().st_mtime_ns]
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    data["runs"]["audit"] |= {"../precious.txt": stamp, str(outside): stamp}
    (out / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    assert _audit(study, out) == 0
    assert outside.read_text(encoding="utf-8") == "keep"
    (out / MANIFEST).write_text("{not json", encoding="utf-8")
    assert _audit(study, out) == 0  # an unreadable manifest: nothing removed, a new one
    assert "audit" in read_manifest(out)


def test_a_file_locked_while_moving_is_named_with_the_fix(
    first_run: tuple[Path, Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from carecircle.analysis import manifest

    study, out, before = first_run
    real = os.replace

    def locked(src: Path, dst: Path) -> None:
        # open in Excel on Windows: the move into --out fails, not the write into the stage
        if Path(dst).name == "indicators.xlsx" and ".carecircle-staging" not in str(dst):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(src))
        real(src, dst)

    monkeypatch.setattr(manifest.os, "replace", locked)
    capsys.readouterr()
    assert _audit(study, out) == 2
    err = capsys.readouterr().err
    assert "cannot write the outputs (Permission denied) (indicators.xlsx)" in err
    assert "files not yet moved keep their previous version" in err
    assert "close the file if it is open in Excel" in err
    assert (out / "indicators.xlsx").read_bytes() == before["indicators.xlsx"]
    assert not list(out.glob(".carecircle-staging-*"))
