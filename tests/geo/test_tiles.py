"""Tiled routing equals untiled routing exactly (mini district and demo district)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carecircle.scripts.cli import main

from mini_district import write_mini_study


def _tile(study: Path, km: float) -> Path:
    text = study.read_text(encoding="utf-8").replace("[circle]", f"[circle]\ntile_km = {km}")
    tiled = study.with_name("tiled.toml")
    tiled.write_text(text, encoding="utf-8")
    return tiled


@pytest.fixture(scope="module")
def untiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The mini district's study and its untiled audit, run once for both tile sizes."""
    folder = tmp_path_factory.mktemp("untiled")
    study = write_mini_study(folder / "in")
    assert main(["-q", "audit", str(study), "--out", str(folder / "a")]) == 0
    return study, folder / "a"


@pytest.mark.parametrize("km", [0.15, 0.4])
def test_tiled_mini_district_equals_untiled(
    untiled: tuple[Path, Path], tmp_path: Path, km: float
) -> None:
    study, a = untiled
    inputs = tmp_path / "in"
    shutil.copytree(study.parent, inputs)
    tiled = _tile(inputs / study.name, km)
    assert main(["-q", "audit", str(tiled), "--out", str(tmp_path / "b")]) == 0
    for name in ("coverage_by_community.csv", "indicators_by_street.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(a / name), pd.read_csv(tmp_path / "b" / name))


def test_tiled_demo_equals_untiled(demo_run: Path, tmp_path: Path) -> None:
    import geopandas as gpd

    inputs = tmp_path / "inputs"  # a copy: the demo run is shared and never changed
    shutil.copytree(demo_run / "inputs", inputs)
    study = inputs / "study.toml"
    assert main(["-q", "audit", str(_tile(study, 2.0)), "--out", str(tmp_path / "t")]) == 0
    a = gpd.read_file(demo_run / "cells.gpkg")
    b = gpd.read_file(tmp_path / "t" / "cells.gpkg")
    np.testing.assert_array_equal(a["distance_m"].fillna(-1), b["distance_m"].fillna(-1))
    np.testing.assert_array_equal(a["nearest_facility"], b["nearest_facility"])
    pd.testing.assert_frame_equal(
        pd.read_csv(demo_run / "indicators_by_community.csv"),
        pd.read_csv(tmp_path / "t" / "indicators_by_community.csv"),
    )
