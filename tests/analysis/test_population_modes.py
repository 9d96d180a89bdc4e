"""Counts, share and buildings modes on the hand-built mini district, against hand sums.

The mini district has four 500 m communities (W-S, W-N of street W; E-S, E-N of street E).
Each test gives known counts, shares or buildings and checks what the audit makes of them:
totals conserved to 1e-9, each cell's share of its community equal to its raster weight
(dasymetric) or its area (uniform), older shares applied exactly.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

from carecircle.analysis.audit import Audit, audit_study
from carecircle.config import load_study
from carecircle.geo.population_counts import spread

from mini_district import lonlat, write_mini_study

COUNTS = {"W-S": (1000.0, 200.0), "W-N": (2000.5, 500.25), "E-S": (3000.0, 600.0), "E-N": (0, 0)}


def _study(folder: Path, section: str, *, residents: bool = True) -> Path:
    """The mini study without the older raster (and the residents raster), with a section."""
    study = write_mini_study(folder)
    text = study.read_text(encoding="utf-8").replace('older_residents = "older.tif"\n', "")
    if not residents:
        text = text.replace('residents = "residents.tif"\n', "")
    study.write_text(text + "[population]\n" + section, encoding="utf-8")
    return study


def _write_census(folder: Path, counts: dict[str, tuple[float, float]]) -> None:
    rows = [f"{code},{res!r},{old!r}" for code, (res, old) in counts.items()]
    text = "社区代码,人口,老年人口\n" + "\n".join(rows) + "\n"
    (folder / "census.csv").write_text(text, encoding="utf-8")


def _vary_raster(folder: Path, zero: tuple[int, int] | None = None) -> np.ndarray:
    """Give the residents raster uneven values (1..7); zero columns ``zero`` in the north."""
    with rasterio.open(folder / "residents.tif") as src:
        data, profile = src.read(1), dict(src.profile)
    rows, cols = np.indices(data.shape)
    values = (1 + (rows * 3 + cols * 5) % 7).astype(np.float32)
    values[data < 0] = -1.0
    if zero is not None:
        values[: data.shape[0] // 2, zero[0] : zero[1]] = 0.0
    with rasterio.open(folder / "residents.tif", "w", **profile) as dst:
        dst.write(values, 1)
    return values


def _community_sums(audit: Audit, column: str) -> pd.Series:
    return audit.by_community.set_index("code")[column]


def test_spread_by_weight_by_hand() -> None:
    unit = np.array(["a", "a", "b", "c"])
    got = spread(unit, np.array([1.0, 3.0, 2.0, 5.0]), pd.Series({"a": 8.0, "b": 5.0}))
    np.testing.assert_allclose(got, [2.0, 6.0, 5.0, 0.0])


def _counts_study(folder: Path) -> Path:
    section = (
        'mode = "counts"\nfile = "census.csv"\ncode_column = "社区代码"\n'
        'residents_column = "人口"\nolder_column = "老年人口"\n'
    )
    study = _study(folder, section)
    _write_census(folder, COUNTS)
    return study


def test_counts_dasymetric_conserve_totals_and_follow_the_raster(tmp_path: Path) -> None:
    study = _counts_study(tmp_path)
    raster = _vary_raster(tmp_path)
    audit = audit_study(load_study(study))
    cells = audit.cells
    for code, (res, old) in COUNTS.items():
        assert _community_sums(audit, "residents")[code] == pytest.approx(res, abs=1e-9)
        assert _community_sums(audit, "older_residents")[code] == pytest.approx(old, abs=1e-9)
        mine = cells[cells["community"] == code]
        if res == 0:
            assert mine.empty  # nobody counted: no demand cell
            continue
        weight = raster[mine["row"], mine["col"]].astype(float)
        np.testing.assert_allclose(mine["residents"], res * weight / weight.sum(), rtol=1e-12)
        np.testing.assert_allclose(mine["older_residents"], old * weight / weight.sum())
    district = audit.district.iloc[0]
    assert district["residents"] == pytest.approx(sum(r for r, _ in COUNTS.values()), abs=1e-9)
    assert district["older_residents"] == pytest.approx(
        sum(o for _, o in COUNTS.values()), abs=1e-9
    )
    assert audit.record.counts["population_mode"] == "counts"


def test_counts_community_without_raster_residents_spread_by_area(tmp_path: Path) -> None:
    study = _counts_study(tmp_path)
    counts = {**COUNTS, "E-N": (400.0, 80.0)}
    _write_census(tmp_path, counts)
    with rasterio.open(tmp_path / "residents.tif") as src:
        cols = src.width
    _vary_raster(tmp_path, zero=(cols // 2, cols))  # the north-east quarter holds no one
    audit = audit_study(load_study(study))
    assert any("E-N" in w and "uniformly" in w for w in audit.record.warnings)
    mine = audit.cells[audit.cells["community"] == "E-N"]
    assert mine["residents"].sum() == pytest.approx(400.0, abs=1e-9)
    assert mine["older_residents"].sum() == pytest.approx(80.0, abs=1e-9)
    assert audit.district.iloc[0]["residents"] == pytest.approx(6400.5, abs=1e-9)
    assert len(set(audit.cells["cell_id"])) == len(audit.cells)


def test_counts_uniform_without_raster_follow_the_area(tmp_path: Path) -> None:
    study = _study(tmp_path, 'mode = "counts"\ncell_m = 50\n', residents=False)
    com = gpd.read_file(tmp_path / "communities.gpkg")
    com["residents"], com["older_residents"] = [100.0, 200.0, 300.0, 400.0], [10, 20, 30, 40]
    com.to_file(tmp_path / "communities.gpkg")
    audit = audit_study(load_study(study))
    squares = audit.cell_squares
    geom = dict(zip(com["code"], com.geometry, strict=True))
    for code, res in zip(com["code"], com["residents"], strict=True):
        rows = (audit.cells["community"] == code).to_numpy()
        got = audit.cells.loc[rows, "residents"].to_numpy()
        assert got.sum() == pytest.approx(res, abs=1e-9)
        area = shapely.area(shapely.intersection(squares[rows], geom[code]))
        np.testing.assert_allclose(got / area, res / area.sum(), rtol=1e-9)
    assert audit.totals.residents == pytest.approx(1000.0)
    # the grid's own CRS: the UTM zone of the district (the cells' corners are in metres)
    from pyproj import CRS

    assert CRS.from_wkt(audit.cell_crs).to_epsg() == 32650
    assert audit.cells.attrs == {}


def test_counts_per_street_split_by_the_raster(tmp_path: Path) -> None:
    study = _study(tmp_path, 'mode = "counts"\nlevel = "street"\nfile = "census.csv"\n')
    (tmp_path / "census.csv").write_text(
        "code,residents,older_residents\nW,3000,600\nE,5000,1000\n", encoding="utf-8"
    )
    audit = audit_study(load_study(study))
    streets = audit.by_street.set_index("code")
    assert streets.loc["W", "residents"] == pytest.approx(3000.0, abs=1e-9)
    assert streets.loc["E", "older_residents"] == pytest.approx(1000.0, abs=1e-9)
    raster = audit.cells.groupby("community").size()  # uniform raster: split by cell count
    com = _community_sums(audit, "residents")
    assert com["W-S"] == pytest.approx(3000.0 * raster["W-S"] / (raster["W-S"] + raster["W-N"]))


def test_share_applies_to_the_residents_raster(tmp_path: Path) -> None:
    study = _study(tmp_path, 'mode = "share"\nfile = "shares.csv"\n')
    shares = {"W-S": 0.1, "W-N": 0.2, "E-S": 0.3, "E-N": 0.45}
    (tmp_path / "shares.csv").write_text(
        "code,older_share\n" + "".join(f"{k},{v}\n" for k, v in shares.items()), encoding="utf-8"
    )
    audit = audit_study(load_study(study))
    res, old = _community_sums(audit, "residents"), _community_sums(audit, "older_residents")
    # 100 per cell; W-S lost its nodata cell (row 0, column 0 of the raster)
    counts = audit.cells.groupby("community").size()
    for code, share in shares.items():
        assert res[code] == pytest.approx(100.0 * counts[code], abs=1e-9)
        assert old[code] == pytest.approx(share * res[code], abs=1e-9)
    assert audit.totals.older == pytest.approx(float(old.sum()), abs=1e-9)


def _write_buildings(folder: Path, polygons: bool, **columns: list[float]) -> None:
    xs, ys = np.array([100.0, 300, 700, 900, 450]), np.array([100.0, 700, 300, 800, 450])
    lon, lat = lonlat(xs, ys)
    geometry = gpd.points_from_xy(lon, lat)
    if polygons:
        geometry = geometry.buffer(0.0002, cap_style="square")
    frame = gpd.GeoDataFrame(columns, geometry=geometry, crs=4326)
    frame.to_file(folder / "buildings.gpkg")


@pytest.mark.parametrize("polygons", [False, True], ids=["points", "polygons"])
def test_buildings_are_the_demand_points(tmp_path: Path, polygons: bool) -> None:
    study = _study(tmp_path, 'mode = "buildings"\nfile = "buildings.gpkg"\n', residents=False)
    _write_buildings(
        tmp_path,
        polygons,
        residents=[100.0, 200, 300, 400, 50],
        older_residents=[10.0, 25, 30, 40, 5],
    )
    audit = audit_study(load_study(study))
    res, old = _community_sums(audit, "residents"), _community_sums(audit, "older_residents")
    assert res.to_dict() == pytest.approx({"W-S": 150.0, "W-N": 200.0, "E-S": 300.0, "E-N": 400.0})
    assert old.to_dict() == pytest.approx({"W-S": 15.0, "W-N": 25.0, "E-S": 30.0, "E-N": 40.0})
    assert audit.district.iloc[0]["older_residents"] == pytest.approx(110.0, abs=1e-9)
    kinds = set(shapely.get_type_id(audit.cell_squares))
    assert kinds == ({3} if polygons else {0})
    assert audit.cell_crs == "EPSG:4326" and audit.cells.attrs == {}


def test_buildings_with_an_older_share(tmp_path: Path) -> None:
    section = 'mode = "buildings"\nfile = "buildings.gpkg"\nolder_share = 0.2\n'
    study = _study(tmp_path, section, residents=False)
    _write_buildings(tmp_path, False, residents=[100.0, 200, 300, 400, 50])
    audit = audit_study(load_study(study))
    old = _community_sums(audit, "older_residents")
    assert old.to_dict() == pytest.approx({"W-S": 30.0, "W-N": 40.0, "E-S": 60.0, "E-N": 80.0})


def test_buildings_with_a_share_column(tmp_path: Path) -> None:
    section = 'mode = "buildings"\nfile = "buildings.gpkg"\nshare_column = "share60"\n'
    study = _study(tmp_path, section, residents=False)
    _write_buildings(
        tmp_path, False, residents=[100.0, 200, 300, 400, 50], share60=[0.1, 0.2, 0.3, 0.4, 0.5]
    )
    audit = audit_study(load_study(study))
    old = _community_sums(audit, "older_residents")
    assert old.to_dict() == pytest.approx({"W-S": 35.0, "W-N": 40.0, "E-S": 90.0, "E-N": 160.0})


def test_buildings_take_the_rasters_older_share(tmp_path: Path) -> None:
    """Older share 0.1 in the west half of the rasters, 0.3 in the east; one point off them."""
    study = write_mini_study(tmp_path)
    text = study.read_text(encoding="utf-8")
    section = '[population]\nmode = "buildings"\nfile = "buildings.gpkg"\n'
    study.write_text(text + section, encoding="utf-8")
    with rasterio.open(tmp_path / "residents.tif") as src:
        res, profile = src.read(1), dict(src.profile)
    west_lon = float(lonlat(500.0, 500.0)[0])
    lons = profile["transform"].c + profile["transform"].a * (np.arange(res.shape[1]) + 0.5)
    share = np.where(lons < west_lon, 0.1, 0.3)[None, :]
    with rasterio.open(tmp_path / "older.tif", "w", **profile) as dst:
        dst.write(np.where(res >= 0, res * share, -1.0).astype(np.float32), 1)
    xs, ys = np.array([100.0, 300, 700, 900, 3.0]), np.array([100.0, 700, 300, 800, 3.0])
    lon, lat = lonlat(xs, ys)
    gpd.GeoDataFrame(
        {"residents": [100.0, 200, 300, 400, 50]}, geometry=gpd.points_from_xy(lon, lat), crs=4326
    ).to_file(tmp_path / "buildings.gpkg")
    audit = audit_study(load_study(study))
    old = _community_sums(audit, "older_residents")
    # the fifth point lies off the rasters, in W-S: it takes W-S's raster share, 0.1
    assert old.to_dict() == pytest.approx({"W-S": 15.0, "W-N": 20.0, "E-S": 90.0, "E-N": 120.0})
    assert any(
        "1 building lies on raster cells without residents" in w for w in audit.record.warnings
    )
