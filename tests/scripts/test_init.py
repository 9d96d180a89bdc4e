"""``carecircle init FOLDER``: roles, datums, encodings and columns guessed; a study that audits."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bad_inputs import CHINESE_HEADERS

from carecircle.analysis.study_guess import guess_roles
from carecircle.scripts.cli import main

# the demo's inputs under names that say nothing about their role
RENAMED = {
    "network.osm": "walk_2025.osm",
    "residents.tif": "grid_a.tif",
    "older.tif": "grid_b.tif",
    "streets.gpkg": "layer1.gpkg",
    "communities.gpkg": "layer2.gpkg",
    "facilities.csv": "list1.csv",
}


def _run(argv: list[str]) -> tuple[int, str, str]:
    """Run the command line; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _planner_folder(inputs: Path, folder: Path) -> Path:
    """The demo's inputs renamed, the Amap (GCJ-02) table in GBK with Chinese headers."""
    folder.mkdir()
    for old, new in RENAMED.items():
        shutil.copy(inputs / old, folder / new)
    meals = pd.read_csv(inputs / "meal_points_amap.csv", dtype=str, keep_default_na=False)
    assert list(meals.columns) == list(CHINESE_HEADERS)
    meals.rename(columns=CHINESE_HEADERS).to_csv(folder / "表2.csv", index=False, encoding="gbk")
    return folder


def test_init_study_audits_to_the_demos_tables(demo_run: Path, tmp_path: Path) -> None:
    folder = _planner_folder(demo_run / "inputs", tmp_path / "planner")
    code, out, err = _run(["-q", "init", str(folder)])
    assert code == 0, err
    study = (folder / "study.toml").read_text(encoding="utf-8")
    assert 'older_residents = "grid_b.tif"' in study  # the smaller total
    assert 'residents = "grid_a.tif"' in study
    assert 'streets = "layer1.gpkg"' in study  # fewer features; layer2 refers to its codes
    assert 'communities = "layer2.gpkg"' in study
    assert 'facilities_crs = ["EPSG:4326", "GCJ-02"]' in study  # decided on the network
    report = (folder / "init_report.txt").read_text(encoding="utf-8")
    assert "表2.csv (20 rows, encoding GB18030)" in report
    assert "编号 → id" in report and "经度 → lon" in report and "建筑面积 → floor_area_m2" in report
    assert "missing 缺少: nothing" in report
    assert report.strip() in out
    code, out, err = _run(["-q", "check", str(folder / "study.toml")])
    assert code == 0, err
    assert "facilities 设施: 表2.csv: 20 facilities, coordinates GCJ-02" in out
    notes = [line for line in out.splitlines() if line.startswith("note 说明: ")]
    assert any("表2.csv: read as gb18030" in n for n in notes)
    assert any("编号 → id" in n and "经度 → lon" in n for n in notes)
    assert "read as gb18030" not in err  # -q: the reader's notes are kept, not logged
    code, _, err = _run(["-q", "audit", str(folder / "study.toml"), "--out", str(tmp_path / "o")])
    assert code == 0, err
    for name in ("coverage_by_street.csv", "indicators_by_street.csv"):
        ours = pd.read_csv(tmp_path / "o" / name)
        demo = pd.read_csv(demo_run / name)
        pd.testing.assert_frame_equal(ours, demo)


def test_init_never_overwrites_a_study_without_force(demo_run: Path, tmp_path: Path) -> None:
    folder = _planner_folder(demo_run / "inputs", tmp_path / "planner")
    (folder / "study.toml").write_text("# mine\n", encoding="utf-8")
    code, _, err = _run(["-q", "init", str(folder)])
    assert code == 2
    assert err.startswith("错误 error: ") and "--force" in err
    assert (folder / "study.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (folder / "init_report.txt").exists()
    code, _, err = _run(["-q", "init", str(folder), "--force"])
    assert code == 0, err
    assert 'network = "walk_2025.osm"' in (folder / "study.toml").read_text(encoding="utf-8")


def test_name_hint_beats_totals_and_missing_roles_are_said(demo_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    # named older (60+) although it is the residents raster: the name decides, and the
    # report says its total is the larger
    shutil.copy(demo_run / "inputs" / "residents.tif", folder / "人口60+.tif")
    shutil.copy(demo_run / "inputs" / "older.tif", folder / "b.tif")
    shutil.copy(demo_run / "inputs" / "streets.gpkg", folder / "s.gpkg")
    guess = guess_roles(folder)
    assert guess.older is not None and guess.older.path.name == "人口60+.tif"
    assert guess.residents is not None and guess.residents.path.name == "b.tif"
    assert any("holds more people" in u for u in guess.uncertain)
    assert guess.missing() == ["network", "communities", "facilities"]
    code, _, err = _run(["-q", "init", str(folder)])
    assert code == 0, err
    study = (folder / "study.toml").read_text(encoding="utf-8")
    assert "# network = ???" in study and "# communities = ???" in study
    code, _, err = _run(["-q", "check", str(folder / "study.toml")])
    assert code == 2 and err.startswith("错误 error: ")


@pytest.mark.parametrize("hint", ["older", "老年", "pop60"])
def test_older_name_hints(hint: str, demo_run: Path, tmp_path: Path) -> None:
    shutil.copy(demo_run / "inputs" / "older.tif", tmp_path / f"{hint}.tif")
    shutil.copy(demo_run / "inputs" / "residents.tif", tmp_path / "all.tif")
    guess = guess_roles(tmp_path)
    assert guess.older is not None and guess.older.path.name == f"{hint}.tif"
    assert not guess.uncertain


def test_shapefile_sidecars_and_unusual_coordinate_columns(demo_run: Path, tmp_path: Path) -> None:
    import geopandas as gpd

    gpd.read_file(demo_run / "inputs" / "streets.gpkg").to_file(tmp_path / "jd.shp")
    pd.DataFrame(
        {"name": ["a", "b"], "bd09_lng": [118.8, 118.81], "bd09_lat": [32.04, 32.05]}
    ).to_csv(tmp_path / "list.csv", index=False)
    guess = guess_roles(tmp_path)
    assert guess.streets is not None and guess.streets.path.name == "jd.shp"
    assert [f.path.name for f in guess.unused] == ["list.csv"]  # no .dbf/.shx/.prj/.cpg
    assert guess.facilities == []
    hint = next(u for u in guess.uncertain if u.startswith("list.csv"))
    assert "bd09_lng (BD-09)" in hint and "rename it lon/lat" in hint
