"""``carecircle check`` refuses what the audit refuses: opening years outside the plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from plans_fixtures import write_plan_study

from carecircle.scripts.cli import main


def test_check_refuses_an_open_year_outside_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_plan_study(tmp_path)
    table = tmp_path / "facilities.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(",规划,2025", ",规划,2027"), "utf-8")
    assert main(["check", str(study)]) == 2
    err = capsys.readouterr().err
    assert "row 4 (P1) open_year = 2027 is outside the plan years 2024–2025" in err


def test_check_says_planned_facilities_are_not_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(write_plan_study(tmp_path))]) == 0
    assert "3 facilities are not counted (existing facilities only" in capsys.readouterr().out
