"""The Python API: the docs/api.md example runs and writes the same tables as the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest

from carecircle.scripts.cli import main

from mini_district import write_mini_study

REPO = Path(__file__).resolve().parents[1]


def _example() -> str:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]


@pytest.fixture(scope="module")
def api_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("api")
    write_mini_study(folder)
    mp = pytest.MonkeyPatch()
    mp.chdir(folder)
    names: dict = {}
    try:
        exec(compile(_example(), "docs/api.md", "exec"), names)
    finally:
        mp.undo()
    return folder, names


def test_example_gives_the_cli_tables(api_run: tuple[Path, dict], tmp_path: Path) -> None:
    folder, _ = api_run
    cli_out = tmp_path / "cli"
    assert main(["-q", "audit", str(folder / "study.toml"), "--out", str(cli_out)]) == 0
    csvs = sorted(p.relative_to(cli_out) for p in cli_out.rglob("*.csv"))
    assert len(csvs) >= 6
    for rel in csvs:
        assert (folder / "out" / rel).read_bytes() == (cli_out / rel).read_bytes(), rel
    assert (folder / "out" / "indicators.gpkg").is_file()
    assert (folder / "out" / "site" / "proposed_sites.csv").is_file()


def test_result_properties(api_run: tuple[Path, dict]) -> None:
    folder, names = api_run
    result, plan = names["result"], names["plan"]
    assert isinstance(result.by_street, pd.DataFrame)
    assert isinstance(result.cells, gpd.GeoDataFrame)
    assert result.cells.crs is not None and result.cells.crs.to_epsg() == 4326
    assert len(result.cells) == len(result.audit.cells)
    assert isinstance(names["fmap"], folium.Map)
    assert isinstance(result.explore(result.by_street["code"].iloc[0]), folium.Map)
    cli = pd.read_csv(folder / "out" / "coverage_by_street.csv")
    assert result.by_street["older_residents"].sum() == pytest.approx(cli["older_residents"].sum())
    assert 1 <= len(plan.sites) <= 5


def test_import_is_light() -> None:
    code = (
        "import sys, carecircle; "
        "heavy = [m for m in ('pandas', 'geopandas', 'folium', 'carecircle.api') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = "import carecircle as cc; print(cc.audit.__module__, cc.Study.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["carecircle.api", "Study"]
