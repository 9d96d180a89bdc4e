"""Facility status and open_year: read from a table, checked, and who is open when."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carecircle.errors import InputDataError
from carecircle.geo.facilities import read_all_facilities, read_facilities
from carecircle.geo.facility_status import check_plan_years, not_open_reason, open_by

HEAD = "id,name,type,lon,lat"


def _table(tmp_path: Path, header: str, rows: list[str], name: str = "f.csv") -> Path:
    path = tmp_path / name
    lines = [f"{HEAD},{header}"] + [
        f"F{i},站{i},service_station,{118.78 + i * 0.001:.4f},32.04,{r}" for i, r in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_chinese_headers_and_values(tmp_path: Path) -> None:
    path = _table(tmp_path, "建设状态,投用年份", ["已建,", "在建,2025", "规划,2026年", "现状,2019"])
    fac = read_facilities(path, "EPSG:4326")
    assert list(fac["status"]) == ["existing", "under_construction", "planned", "existing"]
    np.testing.assert_array_equal(fac["open_year"], [np.nan, 2025, 2026, 2019])
    assert list(open_by(fac, None)) == [True, False, False, True]
    assert list(open_by(fac, 2025)) == [True, True, False, True]
    assert list(open_by(fac, 2026)) == [True, True, True, True]
    assert list(open_by(fac, 2018)) == [True, False, False, False]  # F3 opened in 2019
    reasons = not_open_reason(fac, 2025)
    assert reasons[2] == "规划 planned, opens 2026 (not open by 2025)"
    assert reasons[0] == ""


def test_table_without_status_is_all_existing(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text(f"{HEAD}\nA,站,service_station,118.79,32.05\n", encoding="utf-8")
    fac = read_facilities(plain, "EPSG:4326")
    assert "status" not in fac.columns
    assert open_by(fac, 2030).all() and open_by(fac, None).all()
    both = read_all_facilities(
        [
            (plain, "EPSG:4326"),
            (_table(tmp_path, "status,open_year", ["planned,2026"]), "EPSG:4326"),
        ]
    )
    assert list(both["status"]) == ["existing", "planned"]
    assert list(open_by(both, None)) == [True, False]


@pytest.mark.parametrize(
    ("header", "row", "words"),
    [
        (
            "status",
            "新建",
            [
                "row 2 (F0) status = '新建' is not a known facility status",
                "does not say whether it is built",
            ],
        ),
        ("status", "done", ["status = 'done' is not a known facility status", "planned (规划)"]),
        ("status,open_year", "规划,", ["row 2 (F0) is 规划 planned but has no open_year"]),
        ("status,open_year", "在建,next year", ["open_year = 'next year' is not a year"]),
    ],
)
def test_bad_values_are_refused(tmp_path: Path, header: str, row: str, words: list[str]) -> None:
    with pytest.raises(InputDataError) as err:
        read_facilities(_table(tmp_path, header, [row]), "EPSG:4326")
    for w in words:
        assert w in str(err.value)


def test_blank_status_counts_as_existing_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fac = read_facilities(_table(tmp_path, "status,open_year", ["planned,2026", ","]), "EPSG:4326")
    assert fac["status"].tolist() == ["planned", "existing"]
    assert "row 3 has no status: counted as existing" in caplog.text


def test_open_years_outside_the_plan(tmp_path: Path) -> None:
    fac = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "status": ["existing", "planned", "planned"],
            "open_year": [2010.0, 2025.0, 2027.0],
            "source_file": "f.csv",
            "source_row": [2, 3, 4],
        }
    )
    check_plan_years(fac.iloc[:2], (2023, 2024, 2025, 2026), "profile x")  # fine
    with pytest.raises(
        InputDataError, match=r"row 4 \(C\) open_year = 2027 is outside the plan years 2023–2026"
    ):
        check_plan_years(fac, (2023, 2024, 2025, 2026), "profile x")
    late = fac.assign(status="existing", open_year=[2010.0, 2025.0, 2030.0])
    with pytest.raises(InputDataError, match="2030 is outside"):
        check_plan_years(late, (2023, 2024, 2025, 2026), "profile x")
