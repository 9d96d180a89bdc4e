"""Determinism (two demo runs, same bytes) and interrupted runs (old outputs kept)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl import load_workbook

from carecircle.scripts.cli import main


def _digest(folder: Path, suffixes: tuple[str, ...]) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.suffix in suffixes and "inputs" not in p.parts
    }


def _xlsx(path: Path) -> list[list[object]]:
    book = load_workbook(path, read_only=True)
    return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book]


def test_two_demo_runs_are_identical(demo_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert main(["-q", "demo", "--out", str(again), "--offline"]) == 0
    for suffixes in ((".csv",), (".html",), (".png",), (".gpkg",)):
        assert _digest(demo_run, suffixes) == _digest(again, suffixes), suffixes
    for name in ("indicators.xlsx", "underserved_communities.xlsx"):
        assert _xlsx(demo_run / name) == _xlsx(again / name)
    for name, layers in (
        ("cells.gpkg", ["cells"]),
        ("indicators.gpkg", ["streets", "communities", "facilities"]),
    ):
        for layer in layers:
            a = gpd.read_file(demo_run / name, layer=layer)
            b = gpd.read_file(again / name, layer=layer)
            pd.testing.assert_frame_equal(
                pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
            )
            assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb())

    def run_json(folder: Path) -> dict:
        data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        data.pop("stages_seconds")
        data.pop("writers_seconds")
        data["counts"].pop("network_from_cache")
        return data

    assert run_json(demo_run) == run_json(again)


def test_interrupted_run_keeps_previous_outputs(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["-q", "audit", str(demo_run / "inputs" / "study.toml"), "--out", str(out)]) == 0
    before = _digest(out, (".csv", ".html", ".json", ".xlsx", ".gpkg", ".png"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "carecircle.scripts.cli",
            "-q",
            "audit",
            str(demo_run / "inputs" / "study.toml"),
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(out.glob(".carecircle-staging-*")) and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    # interrupt once the staging folder holds a file: a fixed wait here let a fast (idle)
    # machine finish the run before the signal came
    while (
        not any(p.is_file() for p in out.glob(".carecircle-staging-*/**/*"))
        and proc.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert _digest(out, (".csv", ".html", ".json", ".xlsx", ".gpkg", ".png")) == before
    assert not list(out.glob(".carecircle-staging-*"))
    assert not [p for p in out.rglob("*") if ".partial" in p.name]
