"""Numbers as planners type them: units, full-width digits, sheets, two header rows, x/y."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from facility_files import HEADER, ROWS, write_csv
from pyproj import Transformer

from carecircle.errors import InputDataError, InputFileError
from carecircle.geo.facilities import read_facilities
from carecircle.geo.tables import read_table
from carecircle.geo.units import header_unit, parse_numbers


@pytest.mark.parametrize(
    ("header", "unit", "factor"),
    [
        ("建筑面积（万平方米）", "万平方米", 10_000.0),
        ("建筑面积(㎡)", "㎡", 1.0),
        ("面积/m²", "m²", 1.0),
        ("建筑面积（亩）", "亩", 10_000.0 / 15.0),
        ("建筑面积（平方英尺）", "平方英尺", None),
        ("建筑面积（含附属）", "", 1.0),
        ("floor_area_m2", "", 1.0),
    ],
)
def test_header_unit(header: str, unit: str, factor: float | None) -> None:
    assert header_unit(header) == (unit, factor)


def test_cells_with_units_and_full_width_digits() -> None:
    cells = pd.Series(
        ["１２０", "120㎡", "0.05万平方米", "1,200 平方米", "0.3亩", "", "约300", "inf"]
    )
    values, blank, with_unit = parse_numbers(
        cells, units={"m2": 1.0, "万平方米": 1e4, "平方米": 1.0, "亩": 1e4 / 15}
    )
    assert values[:5].tolist() == pytest.approx([120.0, 120.0, 500.0, 1200.0, 200.0])
    assert values[5] == 0.0 and blank[5]
    assert np.isnan(values[6]) and np.isinf(values[7])
    assert with_unit.tolist() == [False, True, True, True, True, False, False, False]


def test_header_in_wan_m2_is_converted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    header = HEADER.replace("floor_area_m2", "建筑面积（万平方米）")
    rows = [
        r.replace(",1200,", ",0.12,").replace(",300,", ",0.03,").replace(",80,", ",0.008,")
        for r in ROWS
    ]
    fac = read_facilities(write_csv(tmp_path / "f.csv", [header, *rows]), "EPSG:4326")
    assert fac["floor_area_m2"].tolist() == pytest.approx([1200.0, 300.0, 80.0])
    assert "is in 万平方米: floor areas multiplied by 10,000" in caplog.text


def test_unknown_unit_in_header_is_refused(tmp_path: Path) -> None:
    header = HEADER.replace("floor_area_m2", "建筑面积（平方英尺）")
    with pytest.raises(InputDataError, match=r"is in 平方英尺, a unit carecircle does not convert"):
        read_facilities(write_csv(tmp_path / "f.csv", [header, *ROWS]), "EPSG:4326")


def test_beds_with_zhang_are_read(tmp_path: Path) -> None:
    rows = [ROWS[0].replace(",50,30", ",50张,30张"), *ROWS[1:]]
    fac = read_facilities(write_csv(tmp_path / "f.csv", [HEADER, *rows]), "EPSG:4326")
    assert fac[["beds", "nursing_beds"]].iloc[0].tolist() == [50.0, 30.0]


def _workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    with pd.ExcelWriter(path) as writer:
        for name, grid in sheets.items():
            pd.DataFrame(grid).to_excel(writer, sheet_name=name, index=False, header=False)
    return path


def test_notes_sheet_is_passed_over_and_a_named_sheet_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    grid = [HEADER.split(","), *(r.split(",") for r in ROWS)]
    path = _workbook(tmp_path / "f.xlsx", {"说明": [["本表说明"]], "设施": grid})
    assert read_facilities(path, "EPSG:4326")["id"].tolist() == ["F1", "F2", "F3"]
    assert "read sheet '设施' of 2 ('说明', '设施')" in caplog.text
    assert read_facilities(path, "EPSG:4326", "设施")["id"].tolist() == ["F1", "F2", "F3"]
    with pytest.raises(
        InputFileError, match=r"no sheet '设备' in the workbook; its sheets: '说明', '设施'"
    ):
        read_facilities(path, "EPSG:4326", "设备")


def test_two_header_rows_are_read_as_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    top = ["编号", "名称", "类型", "位置", "", "规模", "", ""]
    below = ["", "", "", "经度", "纬度", "建筑面积", "床位数", "护理床位数"]
    rows = [r.split(",") for r in ROWS]
    fac = read_facilities(
        _workbook(tmp_path / "f.xlsx", {"设施": [top, below, *rows]}), "EPSG:4326"
    )
    assert fac["floor_area_m2"].tolist() == [1200.0, 300.0, 80.0]
    assert fac["source_row"].tolist() == [3, 4, 5]
    assert "two header rows (1 and 2) read as one" in caplog.text


@pytest.mark.parametrize("epsg", [4547, 4490])
def test_any_epsg_code_gives_the_same_places(tmp_path: Path, epsg: int) -> None:
    wgs = read_facilities(write_csv(tmp_path / "w.csv", [HEADER, *ROWS]), "EPSG:4326")
    to = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    x, y = to.transform(wgs["lon"].to_numpy(), wgs["lat"].to_numpy())
    cols = "x,y" if epsg == 4547 else "lon,lat"
    lines = [HEADER.replace("lon,lat", cols)] + [
        ",".join(
            [
                *r.split(",")[:3],
                f"{a:.4f}",
                f"{b:.9f}" if epsg == 4490 else f"{b:.4f}",
                *r.split(",")[5:],
            ]
        )
        for r, a, b in zip(ROWS, x, y, strict=True)
    ]
    fac = read_facilities(write_csv(tmp_path / "p.csv", lines), f"EPSG:{epsg}")
    # 1e-4 m in x/y, 1e-4° (11 m) in lon for 4490 at 4 decimals: compare to 1e-4°
    assert np.allclose(fac["lon"], wgs["lon"], atol=1.1e-4)
    assert np.allclose(fac["lat"], wgs["lat"], atol=1e-6)


def test_projected_crs_with_degrees_is_refused(tmp_path: Path) -> None:
    lines = [HEADER.replace("lon,lat", "x,y"), *ROWS]
    with pytest.raises(
        InputDataError,
        match=r"look like degrees \(e.g. row 2: 121.5, 31.18\), not x/y metres of "
        r"facilities_crs = EPSG:4547",
    ):
        read_facilities(write_csv(tmp_path / "p.csv", lines), "EPSG:4547")


def test_gbk_shapefile_without_cpg_is_read_as_gb18030(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["W"], "name": ["周家渡街道"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326
    )
    frame.to_file(tmp_path / "s.shp", engine="pyogrio", encoding="gbk")
    (tmp_path / "s.cpg").unlink(missing_ok=True)
    assert read_table(tmp_path / "s.shp")["name"].tolist() == ["周家渡街道"]
    assert "no .cpg file: the text was read as GBK/GB18030" in caplog.text
    frame.to_file(tmp_path / "u.shp", engine="pyogrio", encoding="utf-8")
    (tmp_path / "u.cpg").unlink(missing_ok=True)
    assert read_table(tmp_path / "u.shp")["name"].tolist() == ["周家渡街道"]
