"""Tiled routing equals untiled routing exactly (mini district and demo district)."""

from __future__ import annotations

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


@pytest.mark.parametrize("km", [0.15, 0.4])
def test_tiled_mini_district_equals_untiled(tmp_path: Path, km: float) -> None:
    study = write_mini_study(tmp_path / "in")
    assert main(["-q", "audit", str(study), "--out", str(tmp_path / "a")]) == 0
    assert main(["-q", "audit", str(_tile(study, km)), "--out", str(tmp_path / "b")]) == 0
    for name in ("coverage_by_community.csv", "indicators_by_street.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(tmp_path / "a" / name), pd.read_csv(tmp_path / "b" / name)
        )


def test_tiled_demo_equals_untiled(demo_run: Path, tmp_path: Path) -> None:
    import geopandas as gpd

    study = demo_run / "inputs" / "study.toml"
    assert main(["-q", "audit", str(_tile(study, 2.0)), "--out", str(tmp_path / "t")]) == 0
    a = gpd.read_file(demo_run / "cells.gpkg")
    b = gpd.read_file(tmp_path / "t" / "cells.gpkg")
    np.testing.assert_array_equal(a["distance_m"].fillna(-1), b["distance_m"].fillna(-1))
    np.testing.assert_array_equal(a["nearest_facility"], b["nearest_facility"])
    pd.testing.assert_frame_equal(
        pd.read_csv(demo_run / "indicators_by_community.csv"),
        pd.read_csv(tmp_path / "t" / "indicators_by_community.csv"),
    )
