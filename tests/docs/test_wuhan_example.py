"""The central-Wuhan example (docs/examples/wuhan) end to end, maps included.

Real road centrelines, real WorldPop 60+/20+ rasters, real district polygons as the street
level, no communities, and MADE-UP facilities from the example's own deterministic generator.
Needs ``../shared/data`` beside the repository; skipped (with the reason) without it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from carecircle.scripts.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "wuhan"


def _prepare():  # the example's script, imported by path (it is not a package module)
    sys.path.insert(0, str(EXAMPLE))
    try:
        import prepare
    finally:
        sys.path.remove(str(EXAMPLE))
    return prepare


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.suffix == ".csv"
    }


@pytest.mark.slow
@pytest.mark.shared_data
def test_wuhan_example_audits_end_to_end(shared_data: Path, tmp_path: Path) -> None:
    prepare = _prepare()
    assert prepare.main([]) == 0  # into docs/examples/wuhan/inputs (not tracked)
    assert prepare.main(["--out", str(tmp_path / "again")]) == 0
    assert _digest(EXAMPLE / "inputs") == _digest(tmp_path / "again")  # deterministic
    facilities = pd.read_csv(EXAMPLE / "inputs" / "facilities_MADE_UP.csv")
    assert facilities["name"].str.startswith("虚构 MADE-UP").all()

    out = tmp_path / "out"
    start = time.perf_counter()
    code = main(["-q", "audit", str(EXAMPLE / "study.toml"), "--out", str(out), "--offline"])
    seconds = time.perf_counter() - start
    print(f"Wuhan example audit: {seconds:.1f} s")
    assert code == 0

    streets = pd.read_csv(out / "coverage_by_street.csv", dtype={"code": str})
    assert sorted(streets["name"]) == sorted(prepare.CHOSEN.values())
    assert streets["older_covered_share"].between(0.05, 0.95).all()
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    acc = run["accounting"]
    assert run["counts"]["community_boundaries"] == "streets"
    assert run["counts"]["network_format"] == "centreline"
    assert run["counts"]["facilities"] == len(facilities)
    for who in ("residents", "older_residents"):  # every cell in a district or excluded
        assert acc[f"streets_{who}"] + acc[f"excluded_cells_{who}"] == pytest.approx(
            acc[f"raster_{who}"]
        )
        assert streets[who].sum() == pytest.approx(acc[f"streets_{who}"])
    indicators = pd.read_csv(out / "indicators_by_street.csv", dtype={"code": str})
    assert (indicators["s4_status"] == "not assessed: communities not given").all()
    # the made-up facilities and the missing communities are said in the outputs
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "MADE-UP" in report and "社区边界未提供 communities not given" in report
    for code in streets["code"]:
        assert (out / "maps" / f"{code}.html").is_file()
    assert (out / "maps" / "index.html").is_file()
