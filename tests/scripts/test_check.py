"""``carecircle check``: every input read and checked as the audit does, nothing routed."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from bad_inputs import CASES

from carecircle.data.district import write_demo_inputs
from carecircle.scripts.cli import main

from mini_district import write_mini_study

# one broken input per stage of reading: study file, boundaries, facilities, population,
# network, snapping
BROKEN = (
    "study-unknown-key",
    "community-unknown-street",
    "swapped-lon-lat",
    "raster-grid-differs",
    "osm-not-xml",
    "network-far-away",
)


def _run(argv: list[str]) -> tuple[int, str, str]:
    """Run the command line; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _first_error(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if line.startswith("错误 error"))


def test_demo_study_passes_with_its_counts(tmp_path: Path) -> None:
    study = write_demo_inputs(tmp_path / "demo")
    code, out, err = _run(["check", str(study)])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("streets 街道: streets.gpkg: 6 streets, EPSG:4326")
    assert lines[1].startswith("communities 社区: communities.gpkg: 50 communities")
    assert "facilities 设施: facilities.csv: 97 facilities, coordinates EPSG:4326" in lines
    assert "facilities 设施: meal_points_amap.csv: 20 facilities, coordinates GCJ-02" in lines
    network = next(line for line in lines if line.startswith("network 路网"))
    assert "osm, 2,326 nodes, 3,670 edges" in network
    assert any("older residents 老年人口: older.tif" in line for line in lines)
    assert lines[-1].startswith("通过 OK")
    # the audit's warnings, in the audit's words
    assert any(line.startswith("警告 warning: walking network: kept the largest") for line in lines)
    assert not (tmp_path / "demo" / "run.json").exists()


def test_check_writes_nothing_and_routes_nothing(tmp_path: Path) -> None:
    study = write_mini_study(tmp_path / "in")
    before = sorted(p.name for p in (tmp_path / "in").iterdir())
    code, _, err = _run(["check", str(study), "-q"])
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == before


@pytest.mark.parametrize("case_id", BROKEN)
def test_broken_input_gives_the_audits_first_error(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    study = write_mini_study(tmp_path / "in", case.district())
    case.mutate(tmp_path / "in")
    a_code, _, a_err = _run(["audit", str(study), "--out", str(tmp_path / "out"), "-q"])
    c_code, c_out, c_err = _run(["check", str(study), "-q"])
    assert a_code == c_code == 2, (a_err, c_err)
    assert _first_error(c_err) == _first_error(a_err)
    assert "Traceback" not in c_err
    assert "通过 OK" not in c_out
