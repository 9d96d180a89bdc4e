"""Studies without community polygons, through the command line and the API.

- The demo without its communities file (a demo *variant*): the street table equals the
  demo's for every street-level indicator; S4/S5 (shares of communities) read "not assessed:
  communities not given"; the under-served list lists the streets and every output says so.
- The mini district with its communities as centre points: the Voronoi partition gives back
  the four polygons, so the tables equal the polygon study's (plus ``boundary_approx``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from corpus_bounds import community_points

from carecircle.scripts.cli import main

from mini_district import write_mini_study

#: Indicators that count communities: not assessed when there are none.
COMMUNITY_SHARES = ("s4_", "s5_")


@pytest.mark.slow
def test_demo_without_communities_matches_the_demo_street_table(
    demo_run: Path, tmp_path: Path
) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(demo_run / "inputs", inputs)
    (inputs / "communities.gpkg").unlink()
    study = inputs / "study.toml"
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace('communities = "communities.gpkg"\n', ""), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "audit", str(study), "--out", str(out), "--offline"]) == 0

    demo = pd.read_csv(demo_run / "indicators_by_street.csv", dtype={"code": str})
    mine = pd.read_csv(out / "indicators_by_street.csv", dtype={"code": str})
    assert list(mine.columns) == list(demo.columns)
    same = [c for c in demo.columns if not c.startswith(COMMUNITY_SHARES)]
    pd.testing.assert_frame_equal(mine[same], demo[same])
    for prefix in COMMUNITY_SHARES:
        assert (mine[f"{prefix}status"] == "not assessed: communities not given").all()

    # the under-served list lists streets, and says so
    under = pd.read_csv(out / "underserved_communities.csv", dtype={"code": str})
    assert set(under["code"]) <= set(demo["code"]) and len(under) > 0
    assert under["boundary_note"].str.startswith("社区边界未提供 communities not given").all()
    # every cell is in a street (the demo's cells outside communities are outside streets too)
    com = pd.read_csv(out / "coverage_by_community.csv", dtype={"code": str})
    assert com["older_residents"].sum() == pytest.approx(mine["older_residents"].sum())
    # workbooks, report and maps say it
    book = openpyxl.load_workbook(out / "indicators.xlsx", read_only=True)
    assert "社区村 communities" in book.sheetnames
    note = "社区边界未提供 communities not given"
    assert note in (out / "report.html").read_text(encoding="utf-8")
    legend = json.dumps(note)[1:-1]  # the legend is written as a JavaScript string
    assert legend in (out / "maps" / "index.html").read_text(encoding="utf-8")
    street_map = out / "maps" / f"{demo['code'].iloc[0]}.html"
    assert legend in street_map.read_text(encoding="utf-8")
    assert (out / "report.docx").is_file()


def test_mini_district_points_give_back_the_polygon_tables(tmp_path: Path) -> None:
    outs = {}
    for mode in ("polygons", "points"):
        folder = tmp_path / mode
        study = write_mini_study(folder)
        if mode == "points":
            community_points()(folder)
            (folder / "communities.gpkg").unlink()
        outs[mode] = tmp_path / f"out-{mode}"
        assert main(["-q", "audit", str(study), "--out", str(outs[mode])]) == 0
    poly, pts = (
        pd.read_csv(outs[m] / "indicators_by_community.csv", dtype={"code": str})
        for m in ("polygons", "points")
    )
    assert pts["boundary_approx"].all()
    pd.testing.assert_frame_equal(pts.drop(columns="boundary_approx"), poly)
    street_poly, street_pts = (
        pd.read_csv(outs[m] / "indicators_by_street.csv", dtype={"code": str})
        for m in ("polygons", "points")
    )
    pd.testing.assert_frame_equal(street_pts, street_poly)
    under = pd.read_csv(outs["points"] / "underserved_communities.csv")
    assert under.empty or under["boundary_approx"].all()
