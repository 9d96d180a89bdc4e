"""Facility tables: encodings, column and value errors naming file/row/column, CRS conversion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from facility_files import HEADER, ROWS, write_csv

from carecircle.errors import InputDataError
from carecircle.geo.crs import gcj02_to_wgs84, to_wgs84
from carecircle.geo.facilities import FACILITY_COLUMNS, read_all_facilities, read_facilities


def test_utf8_bom_and_gbk_read_identically(tmp_path: Path) -> None:
    bom = write_csv(tmp_path / "bom" / "fac.csv", [HEADER, *ROWS], "utf-8-sig")
    gbk = write_csv(tmp_path / "gbk" / "fac.csv", [HEADER, *ROWS], "gbk")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    a = read_facilities(bom, "EPSG:4326")
    b = read_facilities(gbk, "EPSG:4326")
    pd.testing.assert_frame_equal(a, b)
    assert a["name"].tolist() == [
        "周家渡街道综合为老服务中心",
        "上南路日间照料中心",
        "“家门口”养老服务站",
    ]
    assert list(a.columns) == list(FACILITY_COLUMNS)


def test_values_are_parsed(tmp_path: Path) -> None:
    df = read_facilities(write_csv(tmp_path / "fac.csv", [HEADER, *ROWS]), "EPSG:4326")
    assert df["id"].tolist() == ["F1", "F2", "F3"]
    assert df["type"].tolist() == ["comprehensive_centre", "day_care", "service_station"]
    np.testing.assert_array_equal(df["floor_area_m2"], [1200.0, 300.0, 80.0])
    np.testing.assert_array_equal(df["beds"], [50.0, 0.0, 0.0])  # blank reads as 0
    np.testing.assert_array_equal(df["nursing_beds"], [30.0, 0.0, 0.0])
    np.testing.assert_array_equal(df["lon"], [121.5, 121.51, 121.52])
    np.testing.assert_array_equal(df["source_row"], [2, 3, 4])
    assert (df["source_file"] == "fac.csv").all()


def test_missing_type_column_names_file_and_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", ["id,name,lon,lat", "F1,甲,121.5,31.18"])
    with pytest.raises(
        InputDataError,
        match=r"fac\.csv: column 'type' is missing for facilities; "
        r"add the column \(the file has id, name, lon, lat\)",
    ):
        read_facilities(path, "EPSG:4326")


def test_misnamed_column_suggests_the_closest_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", ["id,name,types,lon,lat", "F1,甲,day_care,121.5,31.18"])
    with pytest.raises(
        InputDataError,
        match=r"fac\.csv: column 'type' is missing for facilities; "
        r"the file has 'types': rename it to 'type'",
    ):
        read_facilities(path, "EPSG:4326")


def test_unknown_type_suggests_the_closest(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, ROWS[0], "F2,乙,day_cares,121.5,31.18,1,0,0"])
    with pytest.raises(
        InputDataError,
        match=r"fac\.csv: row 3 column type = 'day_cares' is not a "
        r"known facility type \(did you mean 'day_care'\?\)",
    ):
        read_facilities(path, "EPSG:4326")


def test_non_numeric_floor_area_names_row_and_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fac.csv", [HEADER, ROWS[0], ROWS[1], "F3,丙,day_care,121.5,31.18,约300,0,0"]
    )
    with pytest.raises(
        InputDataError,
        match=r"fac\.csv: row 4 column floor_area_m2 = '约300' is "
        r"not a number",
    ):
        read_facilities(path, "EPSG:4326")


def test_thousands_separator_is_accepted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, 'F1,甲,day_care,121.5,31.18,"1,200",0,0'])
    assert read_facilities(path, "EPSG:4326")["floor_area_m2"].tolist() == [1200.0]


def test_negative_beds_are_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, "F1,甲,institution,121.5,31.18,900,-5,0"])
    with pytest.raises(InputDataError, match=r"fac\.csv: row 2 column beds = -5 is negative"):
        read_facilities(path, "EPSG:4326")


def test_nursing_beds_above_beds_are_refused(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fac.csv", [HEADER, ROWS[0], "F2,乙,institution,121.5,31.18,900,20,30"]
    )
    with pytest.raises(InputDataError, match=r"fac\.csv: row 3 nursing_beds 30 exceed beds 20"):
        read_facilities(path, "EPSG:4326")


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fac.csv", [HEADER, ROWS[0], ROWS[1], ROWS[2].replace("F3", "F1", 1)]
    )
    with pytest.raises(InputDataError, match=r"fac\.csv: row 4 repeats id 'F1'"):
        read_facilities(path, "EPSG:4326")


def test_ids_repeated_across_files_are_refused(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [HEADER, ROWS[0]])
    b = write_csv(tmp_path / "b.csv", [HEADER, ROWS[1], ROWS[0]])
    with pytest.raises(InputDataError, match=r"b\.csv: row 3 id 'F1' is also used"):
        read_all_facilities([(a, "EPSG:4326"), (b, "EPSG:4326")])


def test_gcj02_input_is_converted_to_wgs84(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, ROWS[0], ROWS[1]])
    df = read_facilities(path, "GCJ-02")
    want_lon, want_lat = gcj02_to_wgs84([121.5, 121.51], [31.18, 31.19])
    np.testing.assert_allclose(df["lon"], want_lon, rtol=0, atol=1e-12)
    np.testing.assert_allclose(df["lat"], want_lat, rtol=0, atol=1e-12)
    # the shift is hundreds of metres: about 0.0045° west and 0.002° north in Shanghai
    assert df["lon"].iloc[0] == pytest.approx(121.5 - 0.00443, abs=2e-4)
    assert df["lat"].iloc[0] == pytest.approx(31.18 + 0.00212, abs=2e-4)


def test_bd09_input_is_converted_to_wgs84(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, ROWS[0]])
    df = read_facilities(path, "BD-09")
    want_lon, want_lat = to_wgs84([121.5], [31.18], "BD-09")
    np.testing.assert_allclose(df["lon"], want_lon, rtol=0, atol=1e-12)
    np.testing.assert_allclose(df["lat"], want_lat, rtol=0, atol=1e-12)


def test_swapped_lon_lat_are_reported(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, "F1,甲,day_care,31.18,121.5,1,0,0"])
    with pytest.raises(InputDataError, match=r"row 2 lon/lat \(31\.18, 121\.5\) look swapped"):
        read_facilities(path, "EPSG:4326")


def test_chinese_type_names_map_to_codes(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fac.csv",
        [HEADER, "F1,甲,长者食堂,121.5,31.18,1,0,0", "F2,乙,养老院,121.5,31.18,1,10,5"],
    )
    assert read_facilities(path, "EPSG:4326")["type"].tolist() == ["meal_point", "institution"]
