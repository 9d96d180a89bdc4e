"""Siting on the demo district: the reported gain is real, and the compound gap is handled."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from carecircle.scripts.cli import main


def test_five_new_stations_raise_s1_by_the_reported_amount(demo_run: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(demo_run / "inputs", inputs)
    assert (
        main(
            [
                "-q",
                "site",
                str(inputs / "study.toml"),
                "--out",
                str(tmp_path / "site"),
                "--type",
                "service_station",
                "--add",
                "5",
            ]
        )
        == 0
    )
    summary = json.loads((tmp_path / "site" / "siting.json").read_text(encoding="utf-8"))
    assert summary["sites"] == 5
    assert summary["gap"] <= 0.01
    assert summary["district_after"] > summary["district_before"] + 0.01
    table = pd.read_csv(tmp_path / "site" / "before_after_by_street.csv", dtype={"code": str})
    # audit again with the five sites added as facilities
    shutil.copy(tmp_path / "site" / "proposed_facilities.csv", inputs / "proposed.csv")
    text = (inputs / "study.toml").read_text(encoding="utf-8")
    text = text.replace(
        'facilities = ["facilities.csv", "meal_points_amap.csv"]',
        'facilities = ["facilities.csv", "meal_points_amap.csv", "proposed.csv"]',
    )
    text = text.replace(
        'facilities_crs = ["EPSG:4326", "GCJ-02"]',
        'facilities_crs = ["EPSG:4326", "GCJ-02", "EPSG:4326"]',
    )
    (inputs / "study.toml").write_text(text, encoding="utf-8")
    assert main(["-q", "audit", str(inputs / "study.toml"), "--out", str(tmp_path / "after")]) == 0
    after = pd.read_csv(tmp_path / "after" / "coverage_by_street.csv", dtype={"code": str})
    merged = table.merge(after, on="code")
    assert merged["s1_after"].to_numpy() == pytest.approx(
        merged["older_covered_share"].to_numpy(), abs=1e-9
    )


def test_gated_compound_gap_is_closed_or_named_infeasible(demo_run: Path, tmp_path: Path) -> None:
    gaps = json.loads((demo_run / "inputs" / "gaps.json").read_text(encoding="utf-8"))
    community = gaps["gated_compound"]["community"]
    assert (
        main(
            [
                "-q",
                "site",
                str(demo_run / "inputs" / "study.toml"),
                "--out",
                str(tmp_path / "site"),
                "--type",
                "service_station",
                "--target",
                "1.0",
                "--time-limit",
                "20",
            ]
        )
        == 0
    )
    sites = pd.read_csv(tmp_path / "site" / "proposed_sites.csv", dtype={"community": str})
    infeasible = pd.read_csv(tmp_path / "site" / "infeasible_cells.csv", dtype={"community": str})
    reasons = infeasible["reason"].str.extract(
        r"/ (farther than 500 m from the walking "
        r"network|no candidate within the 900 m walk)$"
    )[0]
    assert reasons.notna().all()
    closed = community in set(sites["community"])
    named = community in set(infeasible.loc[reasons.str.startswith("no candidate"), "community"])
    assert closed or named
