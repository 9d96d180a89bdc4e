"""Demo variants of the population modes, audited end to end through the command line.

Each variant is built from the demo's own inputs and outputs: counts and shares summed per
community from the demo's rasters, buildings from the demo's cells. The audit must conserve
the given totals and, where the demand is the same, give the demo's tables.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from carecircle.scripts.cli import main

pytestmark = pytest.mark.slow

RASTER_LINE = 'older_residents = "older.tif"\n'


def _variant(demo_run: Path, tmp_path: Path, section: str, *, residents: bool = True) -> Path:
    """Copy the demo's inputs and write a study with ``[population]`` ``section``."""
    folder = tmp_path / "in"
    shutil.copytree(demo_run / "inputs", folder)
    text = (folder / "study.toml").read_text(encoding="utf-8").replace(RASTER_LINE, "")
    if not residents:
        text = text.replace('residents = "residents.tif"\n', "")
    study = folder / "variant.toml"
    study.write_text(text + "\n[population]\n" + section, encoding="utf-8")
    return study


def _audit(study: Path, out: Path) -> dict:
    assert main(["-q", "audit", str(study), "--out", str(out)]) == 0
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def _table(folder: Path, name: str = "coverage_by_community.csv") -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype={"code": str}).set_index("code")


@pytest.fixture(scope="session")  # not module: the three variants may run on any worker
def demo_counts(demo_run: Path) -> pd.DataFrame:
    """Residents and older residents per community, summed from the demo's rasters."""
    return _table(demo_run)[["residents", "older_residents"]]


@pytest.mark.parametrize("raster", [True, False], ids=["dasymetric", "uniform"])
def test_demo_counts_variant(
    demo_run: Path, tmp_path: Path, demo_counts: pd.DataFrame, raster: bool
) -> None:
    census = demo_counts.reset_index()
    study = _variant(demo_run, tmp_path, 'mode = "counts"\nfile = "census.csv"\n', residents=raster)
    census.to_csv(study.parent / "census.csv", index=False, float_format="%.17g")
    run = _audit(study, tmp_path / "out")
    assert run["counts"]["population_mode"] == "counts"
    got = _table(tmp_path / "out")
    for column in ("residents", "older_residents"):
        np.testing.assert_allclose(got[column], demo_counts[column], rtol=1e-9, atol=1e-9)
        district = _table(tmp_path / "out", "coverage_by_street.csv")[column].sum()
        assert district == pytest.approx(census[column].sum(), rel=1e-9)
    acc = run["accounting"]
    assert acc["communities_residents"] == pytest.approx(census["residents"].sum(), abs=0.01)
    assert acc["excluded_cells_residents"] == 0.0
    if raster:  # the demo's own rasters as weights: the same cells, the same coverage
        np.testing.assert_allclose(
            got["residents_covered"], _table(demo_run)["residents_covered"], rtol=1e-9
        )
    else:  # a 100 m grid in the UTM zone: other cells than the raster's
        assert run["counts"]["cells"] > 0
        assert run["accounting"]["cells_older_residents"] == pytest.approx(
            census["older_residents"].sum(), abs=0.01
        )


def test_demo_share_variant(demo_run: Path, tmp_path: Path, demo_counts: pd.DataFrame) -> None:
    shares = (demo_counts["older_residents"] / demo_counts["residents"]).rename("older_share")
    study = _variant(demo_run, tmp_path, 'mode = "share"\nfile = "shares.csv"\n')
    shares.reset_index().to_csv(study.parent / "shares.csv", index=False, float_format="%.17g")
    run = _audit(study, tmp_path / "out")
    assert run["counts"]["population_mode"] == "share"
    got = _table(tmp_path / "out")
    np.testing.assert_allclose(got["residents"], demo_counts["residents"], rtol=1e-12)
    np.testing.assert_allclose(got["older_residents"], demo_counts["older_residents"], rtol=1e-9)
    np.testing.assert_allclose(got["older_residents"] / got["residents"], shares, rtol=1e-9)


def test_demo_buildings_variant(demo_run: Path, tmp_path: Path) -> None:
    """The demo's cells as building polygons: the same demand, so the same tables."""
    cells = gpd.read_file(demo_run / "cells.gpkg")
    study = _variant(demo_run, tmp_path, 'mode = "buildings"\nfile = "buildings.gpkg"\n')
    text = study.read_text(encoding="utf-8").replace('residents = "residents.tif"\n', "")
    study.write_text(text, encoding="utf-8")
    cells[["residents", "older_residents", "geometry"]].to_file(study.parent / "buildings.gpkg")
    run = _audit(study, tmp_path / "out")
    assert run["counts"]["population_mode"] == "buildings"
    for name in ("coverage_by_community.csv", "coverage_by_street.csv"):
        a, b = _table(demo_run, name), _table(tmp_path / "out", name)
        numbers = [c for c in a.columns if a[c].dtype.kind == "f"]
        np.testing.assert_allclose(b[numbers], a[numbers], rtol=1e-9, atol=1e-9)
    got = gpd.read_file(tmp_path / "out" / "cells.gpkg")
    assert len(got) == len(cells)
    assert (tmp_path / "out" / "maps" / "index.html").is_file()
    assert (
        main(["-q", "site", str(study), "--out", str(tmp_path / "site"), "--add", "2", "--offline"])
        == 0
    )
