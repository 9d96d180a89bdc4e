"""Facilities listed twice: exact duplicates refused, near ones warned with the m² they add."""

from __future__ import annotations

from pathlib import Path

import pytest
from facility_files import write_csv

from carecircle.errors import InputDataError
from carecircle.geo.facilities import read_all_facilities

HEADER = "id,name,type,lon,lat,floor_area_m2,beds,nursing_beds"
#: 1e-5° of latitude is 1.1 m; of longitude at 31° 0.95 m
BASE = [
    "F1,甲站,service_station,121.50000,31.18000,300,0,0",
    "F2,乙站,service_station,121.51000,31.19000,200,0,0",
]


def _read(tmp_path: Path, rows: list[str]) -> None:
    read_all_facilities([(write_csv(tmp_path / "fac.csv", [HEADER, *rows]), "EPSG:4326")])


def test_exact_duplicate_names_both_rows(tmp_path: Path) -> None:
    rows = [*BASE, "F9,甲站（复制）,service_station,121.500005,31.18000,300,0,0"]
    with pytest.raises(
        InputDataError,
        match=r"fac\.csv: row 4 \(F9\) repeats row 2 \(F1\): same type service_station "
        r"0\.5 m apart with the same floor area and beds",
    ):
        _read(tmp_path, rows)


def test_near_duplicate_is_warned_with_the_area_it_adds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 5 m apart, another floor area: maybe a second entry, maybe a neighbour
    rows = [*BASE, "F9,丙站,service_station,121.50000,31.180045,250,0,0"]
    _read(tmp_path, rows)
    assert "1 pair of facilities look like the same facility" in caplog.text
    assert "fac.csv row 2 (F1) / fac.csv row 4 (F9) (5 m apart)" in caplog.text
    assert "adds 250 m² of floor area" in caplog.text


def test_same_name_nearby_is_warned_far_away_is_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    near = [*BASE, "F9,甲站,service_station,121.503,31.18000,100,0,0"]  # 286 m east
    _read(tmp_path, near)
    assert "row 2 (F1) / fac.csv row 4 (F9) (286 m apart)" in caplog.text
    caplog.clear()
    far = [*BASE, "F9,甲站,service_station,121.55,31.18000,100,0,0"]  # 4.8 km east
    _read(tmp_path / "far", far)
    assert "look like the same facility" not in caplog.text


def test_other_types_at_one_point_are_not_duplicates(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [*BASE, "H1,甲站,health_station,121.50000,31.18000,300,0,0"]
    _read(tmp_path, rows)
    assert "look like the same facility" not in caplog.text
