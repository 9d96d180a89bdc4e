"""Facility tables as planners export them: title rows, Chinese headers, empty rows, unknowns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from facility_files import HEADER, ROWS, write_csv

from carecircle.errors import InputDataError
from carecircle.geo.facilities import (
    read_facilities,
    read_facility_table,
    read_facility_tables,
)


def write_xlsx(path: Path, lines: list[str], *, title: bool) -> Path:
    """The CSV lines as a sheet, optionally below a title row (as planners' exports have)."""
    grid = [line.split(",") for line in lines]
    if title:
        grid = [["示范区养老设施清单 2025"] + [""] * (len(grid[0]) - 1), *grid]
    pd.DataFrame(grid).to_excel(path, index=False, header=False)
    return path


BAD_THIRD = [HEADER, ROWS[0], ROWS[1], "F3,丙,day_care,121.5,31.18,约300,0,0"]


@pytest.mark.parametrize(
    ("suffix", "title", "row"),
    [("csv", False, 4), ("csv", True, 5), ("xlsx", False, 4), ("xlsx", True, 5)],
)
def test_errors_name_the_row_the_planner_sees(
    tmp_path: Path, suffix: str, title: bool, row: int
) -> None:
    # the third facility is on line/row 4 below the header, row 5 below a title row too
    if suffix == "csv":
        path = write_csv(tmp_path / "fac.csv", ["示范区养老设施清单 2025"] * title + BAD_THIRD)
    else:
        path = write_xlsx(tmp_path / "fac.xlsx", BAD_THIRD, title=title)
    with pytest.raises(
        InputDataError,
        match=rf"fac\.{suffix}: row {row} column floor_area_m2 = "
        r"'约300' is not a number",
    ):
        read_facilities(path, "EPSG:4326")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_source_rows_follow_a_title_row(
    tmp_path: Path, suffix: str, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [HEADER, *ROWS]
    path = (
        write_csv(tmp_path / "fac.csv", ["设施清单,,,,,,,", *lines])
        if suffix == "csv"
        else write_xlsx(tmp_path / "fac.xlsx", lines, title=True)
    )
    df = read_facilities(path, "EPSG:4326")
    assert df["id"].tolist() == ["F1", "F2", "F3"]
    np.testing.assert_array_equal(df["source_row"], [3, 4, 5])
    assert f"fac.{suffix}: header found on row 2" in caplog.text


def test_excel_csv_with_empty_rows_and_trailing_commas(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    empty = "," * 9
    lines = [HEADER + ",,", ROWS[0] + ",,", empty, ROWS[1] + ",,", "", ROWS[2] + ",,", empty]
    with caplog.at_level("INFO"):
        df = read_facilities(write_csv(tmp_path / "fac.csv", lines), "EPSG:4326")
    assert df["id"].tolist() == ["F1", "F2", "F3"]
    np.testing.assert_array_equal(df["source_row"], [2, 4, 6])  # the file's lines
    assert "fac.csv: skipped 3 empty rows and 2 empty columns without a header" in caplog.text
    assert "Unnamed" not in caplog.text
    assert "not used by carecircle" not in caplog.text


def test_error_below_an_empty_row_names_the_files_line(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fac.csv",
        [HEADER, ROWS[0], ",,,,,,,", "", "F2,乙,institution,121.5,31.18,900,-5,0"],
    )
    with pytest.raises(InputDataError, match=r"fac\.csv: row 5 column beds = -5 is negative"):
        read_facilities(path, "EPSG:4326")


def test_headerless_column_with_values_is_named_by_its_letter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [HEADER + ",", ROWS[0] + ",备注", ROWS[1] + ","]
    read_facilities(write_xlsx(tmp_path / "fac.xlsx", lines, title=False), "EPSG:4326")
    assert "columns not used by carecircle are ignored: column I (no header)" in caplog.text


CHINESE = "编号,名称,类型,经度,纬度,建筑面积,床位数,护理床位数"


def test_chinese_headers_are_read_as_columns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_csv(tmp_path / "fac.csv", [CHINESE, *ROWS])
    with caplog.at_level("INFO"):
        table = read_facility_table(path, "EPSG:4326")
        df = table.frame
    assert df["id"].tolist() == ["F1", "F2", "F3"]
    assert df["type"].tolist() == ["comprehensive_centre", "day_care", "service_station"]
    np.testing.assert_array_equal(df["floor_area_m2"], [1200.0, 300.0, 80.0])
    np.testing.assert_array_equal(df["nursing_beds"], [30.0, 0.0, 0.0])
    assert (
        "fac.csv: 表头识别 headers read as columns: 编号 → id, 名称 → name, 类型 → type, "
        "经度 → lon, 纬度 → lat, 建筑面积 → floor_area_m2, 床位数 → beds, "
        "护理床位数 → nursing_beds"
    ) in caplog.text
    assert list(table.attribute_columns) == ["floor_area_m2", "beds", "nursing_beds"]


def test_english_and_unit_headers_are_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fac.csv",
        [
            "序号,设施名称,Facility Type,Longitude,Latitude,面积（㎡）,床位,护理型床位,街道,社区",
            "1,甲,长者食堂,121.5,31.18,150,0,0,周家渡街道,上南一村",
        ],
    )
    df = read_facilities(path, "EPSG:4326")
    assert df.iloc[0][
        ["id", "name", "type", "lon", "floor_area_m2", "street_given", "community_given"]
    ].tolist() == ["1", "甲", "meal_point", 121.5, 150.0, "周家渡街道", "上南一村"]


def test_own_column_name_wins_over_an_alias(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_csv(tmp_path / "fac.csv", ["序号," + HEADER, "1," + ROWS[0], "2," + ROWS[1]])
    df = read_facilities(path, "EPSG:4326")
    assert df["id"].tolist() == ["F1", "F2"]
    assert "columns not used by carecircle are ignored: 序号" in caplog.text


def test_title_row_above_chinese_headers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "fac.xlsx", [CHINESE, *ROWS], title=True)
    df = read_facilities(path, "EPSG:4326")
    assert df["name"].tolist()[0] == "周家渡街道综合为老服务中心"
    np.testing.assert_array_equal(df["source_row"], [3, 4, 5])


def test_every_missing_column_is_named_at_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", ["name,typ,lon", "甲,day_care,121.5"])
    with pytest.raises(
        InputDataError,
        match=r"^[^;]*fac\.csv: columns 'id', 'type', 'lat' are "
        r"missing for facilities; rename 'typ' to 'type'; add 'id', 'lat' "
        r"\(the file has name, typ, lon\)$",
    ):
        read_facilities(path, "EPSG:4326")


def test_rows_without_coordinates_are_counted_and_named(tmp_path: Path) -> None:
    rows = [f"F{i},甲{i},day_care,,31.18,1,0,0" for i in range(1, 8)]
    path = write_csv(tmp_path / "fac.csv", [HEADER, ROWS[1].replace("F2", "F0"), *rows])
    with pytest.raises(
        InputDataError,
        match=r"fac\.csv: 7 rows have no valid lon/lat: rows 3, 4, "
        r"5, 6, 7, … \(7 rows\) \(row 3: '', '31\.18'\); give decimal degrees",
    ):
        read_facilities(path, "EPSG:4326")


def test_rows_without_ids_are_counted(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fac.csv",
        [HEADER, ROWS[0], "," + ROWS[1].split(",", 1)[1], "," + ROWS[2].split(",", 1)[1]],
    )
    with pytest.raises(
        InputDataError,
        match=r"fac\.csv: 2 rows have an empty id: rows 3, 4; "
        r"give every facility an id",
    ):
        read_facilities(path, "EPSG:4326")


@pytest.mark.parametrize(
    "label",
    [
        "助餐点/社区长者食堂",
        "助餐点／社区长者食堂",
        "长者食堂",
        "社区食堂",
        "老年助餐点",
        "社区长者食堂",
        "助餐点、长者食堂",
        "Meal_Point",
    ],
)
def test_meal_point_labels_map_to_the_meal_point_type(tmp_path: Path, label: str) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, f"F1,甲,{label},121.5,31.18,1,0,0"])
    assert read_facilities(path, "EPSG:4326")["type"].tolist() == ["meal_point"]


def test_unknown_type_lists_the_types_in_chinese_and_code(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, "F1,甲,老年活动室,121.5,31.18,1,0,0"])
    with pytest.raises(InputDataError) as err:
        read_facilities(path, "EPSG:4326")
    text = str(err.value)
    assert text.startswith(f"{path}: row 2 column type = '老年活动室' is not a known facility")
    assert "allowed: 综合为老服务中心 comprehensive_centre, 日间照料中心 day_care, " in text
    assert "助餐点/长者食堂 meal_point" in text


def test_close_chinese_type_suggests_label_and_code(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, "F1,甲,日间照料中, 121.5,31.18,1,0,0"])
    with pytest.raises(InputDataError, match=r"\(did you mean '日间照料中心' = day_care\?\)"):
        read_facilities(path, "EPSG:4326")


def test_missing_numeric_column_is_unknown_not_zero(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_csv(
        tmp_path / "fac.csv",
        ["id,name,type,lon,lat,beds,nursing_beds", "F1,甲,day_care,121.5,31.18,10,5"],
    )
    table = read_facility_table(path, "EPSG:4326")
    df = table.frame
    assert np.isnan(df["floor_area_m2"]).all()
    assert list(table.attribute_columns) == ["beds", "nursing_beds"]
    assert (
        "fac.csv: no floor_area_m2 column: floor_area_m2 unknown for its 1 facility "
        "(day_care); indicators counting them (S2) are not assessed in the "
        "streets/communities holding them; add the column to assess them"
    ) in caplog.text


def test_blank_floor_area_cells_stay_assessed_as_zero(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER, "F1,甲,day_care,121.5,31.18,,0,0"])
    table = read_facility_table(path, "EPSG:4326")
    df = table.frame
    assert df["floor_area_m2"].tolist() == [0.0]
    assert "floor_area_m2" in table.attribute_columns
    assert "fac.csv: 1 blank floor_area_m2 values read as 0" in caplog.text


def test_file_without_a_numeric_column_gives_its_facilities_unknown_values(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [HEADER + ",social_workers", ROWS[0] + ",2"])
    b = write_csv(
        tmp_path / "b.csv",
        ["id,name,type,lon,lat,floor_area_m2", "M1,长者食堂,meal_point,121.5,31.18,80"],
    )
    table = read_facility_tables([(a, "EPSG:4326"), (b, "EPSG:4326")])
    allf = table.frame
    assert list(table.attribute_columns) == [
        "floor_area_m2",
        "beds",
        "nursing_beds",
        "social_workers",
    ]
    np.testing.assert_array_equal(allf["floor_area_m2"], [1200.0, 80.0])
    np.testing.assert_array_equal(allf["beds"], [50.0, np.nan])
    np.testing.assert_array_equal(allf["nursing_beds"], [30.0, np.nan])
    np.testing.assert_array_equal(allf["source_row"], [2, 2])


def _layer(path: Path, extra: dict[str, list[float]]) -> Path:
    import geopandas as gpd
    import shapely

    layer = gpd.GeoDataFrame(
        {"id": ["F1", "F2"], "name": ["甲", "乙"], "type": ["service_station", "day_care"]},
        geometry=[shapely.Point(118.78, 32.04), shapely.Point(118.79, 32.05)],
        crs=4326,
    ).to_crs(4547)
    for col, values in extra.items():
        layer[col] = values
    layer.to_file(path, layer="f")
    return path


@pytest.mark.parametrize(
    "extra",
    [
        {"经度": [118.785, 118.795], "纬度": [32.038, 32.048]},
        {"longitude": [1.0, 2.0], "latitude": [3.0, 4.0]},
    ],
)
def test_point_layer_keeps_its_geometry_over_coordinate_columns(
    tmp_path: Path, extra: dict[str, list[float]], caplog: pytest.LogCaptureFixture
) -> None:
    df = read_facilities(_layer(tmp_path / "fac.gpkg", extra), "EPSG:4326")
    np.testing.assert_allclose(df["lon"], [118.78, 118.79])
    np.testing.assert_allclose(df["lat"], [32.04, 32.05])
    assert f"columns not used by carecircle are ignored: {', '.join(extra)}" in caplog.text


def test_bare_x_y_columns_are_not_read_as_lon_lat(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", ["id,name,type,x,y", "F1,甲,day_care,121.5,31.18"])
    with pytest.raises(InputDataError, match=r"columns 'lon', 'lat' are missing"):
        read_facilities(path, "EPSG:4326")


@pytest.mark.parametrize(
    ("header", "value", "col", "wanted"),
    [
        ("area", "浦东", "floor_area_m2", "a number"),
        ("医疗服务", "内设医务室", "medical_care", "yes/no (是/否)"),
        ("日供餐", "2人", "meals_per_day", "a number"),
    ],
)
def test_aliased_column_that_does_not_parse_is_ignored_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, header: str, value: str, col: str, wanted: str
) -> None:
    lines = [
        f"id,name,type,lon,lat,{header}",
        f"F1,甲,day_care,121.5,31.18,{value}",
        "F2,乙,day_care,121.5,31.18,12",
    ]
    table = read_facility_table(write_csv(tmp_path / "fac.csv", lines), "EPSG:4326")
    df = table.frame
    assert df[col].isna().all()
    assert col not in table.attribute_columns
    warning = (
        f"fac.csv: column '{header}' is ignored (not read as {col}): row 2 holds "
        f"'{value}', not {wanted}; to use it, rename it to {col} and correct the values"
    )
    assert caplog.text.count(warning) == 1
    assert caplog.text.count(f"'{header}'") == 1


@pytest.mark.parametrize(
    ("col", "value"),
    [("medical_care", "内设医务室"), ("meals_per_day", "2人"), ("floor_area_m2", "浦东")],
)
def test_exactly_named_column_that_does_not_parse_stops(
    tmp_path: Path, col: str, value: str
) -> None:
    lines = [f"id,name,type,lon,lat,{col}", f"F1,甲,day_care,121.5,31.18,{value}"]
    with pytest.raises(InputDataError, match=rf"row 2 column {col} = '{value}'"):
        read_facilities(write_csv(tmp_path / "fac.csv", lines), "EPSG:4326")


@pytest.mark.parametrize("label", ["合计", "总计", "小 计", "合计："])
def test_excel_totals_row_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, label: str
) -> None:
    lines = [HEADER, ROWS[0], ROWS[1], f",{label},,,,1500,50,30"]
    df = read_facilities(write_xlsx(tmp_path / "fac.xlsx", lines, title=False), "EPSG:4326")
    assert df["id"].tolist() == ["F1", "F2"]
    np.testing.assert_array_equal(df["source_row"], [2, 3])
    assert "fac.xlsx: row 4 skipped: a totals row (合计/总计/小计) is not a facility" in caplog.text


def test_facility_named_like_a_total_is_not_skipped(tmp_path: Path) -> None:
    df = read_facilities(
        write_csv(tmp_path / "fac.csv", [HEADER, "合计,合计,day_care,121.5,31.18,1,0,0"]),
        "EPSG:4326",
    )
    assert df["id"].tolist() == ["合计"]


def test_chinese_table_missing_columns_suggests_chinese_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fac.csv", ["名称,类型,建筑面积", "甲,day_care,100"])
    with pytest.raises(
        InputDataError,
        match=r"columns 'id', 'lon', 'lat' are missing for "
        r"facilities; add 'id' \(编号\), 'lon' \(经度\), 'lat' \(纬度\) "
        r"\(the file has name, type, floor_area_m2\)$",
    ):
        read_facilities(path, "EPSG:4326")
    one = write_csv(tmp_path / "one.csv", ["编号,名称,经度,纬度", "F1,甲,121.5,31.18"])
    with pytest.raises(
        InputDataError,
        match=r"column 'type' is missing for facilities; add "
        r"the column as '类型' or 'type' \(the file has",
    ):
        read_facilities(one, "EPSG:4326")


def test_one_empty_row_and_column_are_counted_in_the_singular(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_csv(tmp_path / "fac.csv", [HEADER + ",", ROWS[0] + ",", ",,,,,,,,", ROWS[1] + ","])
    with caplog.at_level("INFO"):
        read_facilities(path, "EPSG:4326")
    assert "fac.csv: skipped 1 empty row and 1 empty column without a header" in caplog.text


def test_one_bad_cell_under_a_chinese_header_is_an_error_not_a_dropped_column(
    tmp_path: Path,
) -> None:
    rows = [
        CHINESE,
        "F1,甲,service_station,121.5,31.18,300,0,0",
        "F2,乙,day_care,121.51,31.19,约120,0,0",
        "F3,丙,day_care,121.52,31.2,250,0,0",
    ]
    with pytest.raises(InputDataError, match=r"row 3 column floor_area_m2 = '约120' is not a"):
        read_facilities(write_csv(tmp_path / "f.csv", rows), "EPSG:4326")


def test_read_tables_return_their_rows_and_headers_explicitly(tmp_path: Path) -> None:
    """Row numbers and the file's headers come back as values, nothing in pandas' attrs."""
    from carecircle.geo.facilities import is_facility_header
    from carecircle.geo.headers import rename_aliased_columns
    from carecircle.geo.tables import read_table_rows
    from carecircle.vocabulary import COLUMN_ALIASES

    path = write_csv(tmp_path / "fac.csv", ["设施清单,,,,,,,", HEADER, "", *ROWS])
    df, rows = read_table_rows(path, is_header=is_facility_header)
    assert df.attrs == {} and rows.word == "row"
    np.testing.assert_array_equal(rows.numbers, [4, 5, 6])  # title, header, an empty line
    chinese = pd.DataFrame(columns=["编号", "名称", "经度"])
    renamed, headers = rename_aliased_columns(chinese, path, COLUMN_ALIASES)
    assert list(renamed.columns) == ["id", "name", "lon"]
    assert headers == {"id": "编号", "name": "名称", "lon": "经度"} and renamed.attrs == {}
    kept = rows.with_headers(headers).keep(np.array([False, True, True]))
    assert kept.header("lon") == "经度" and kept.header("type") is None
    assert kept.one(0) == "row 5"
    assert read_facilities(path, "EPSG:4326").attrs == {}
