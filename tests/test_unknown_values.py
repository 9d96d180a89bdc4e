"""Unknown values (no floor-area data) read as "not assessed" in every output, never nan."""

from __future__ import annotations

import json
from pathlib import Path

from carecircle.scripts.cli import main

from mini_district import MiniDistrict, write_mini_study


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"bare {constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def test_no_floor_area_column_shows_not_assessed_in_maps_report_and_json(tmp_path: Path) -> None:
    columns = tuple(c for c in MiniDistrict().facility_columns if c != "floor_area_m2")
    study = write_mini_study(tmp_path / "in", MiniDistrict(facility_columns=columns))
    out = tmp_path / "out"
    assert main(["-q", "audit", str(study), "--out", str(out), "--offline"]) == 0
    run = _strict((out / "run.json").read_text(encoding="utf-8"))
    assert run["district"]["floor_area_per_1000"] is None
    pages = [out / "report.html", out / "maps" / "index.html", out / "maps" / "W.html"]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "未评估 not assessed" in html, page.name
        for shown in ("<b>nan</b>", ": nan", ">nan<", "nan m²"):
            assert shown not in html, (page.name, shown)
