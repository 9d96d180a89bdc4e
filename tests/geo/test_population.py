"""Population rasters to populated cells: totals, nodata, cell centres and the errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from carecircle.errors import InputDataError, InputFileError
from carecircle.geo.population import cell_polygons, cells_from_rasters

CELL = 1.0 / 1200.0
WEST, NORTH = 118.75, 32.05
NODATA = -1.0

RESIDENTS = np.array([[10.0, 0.0, -1.0], [2.5, 4.0, 0.0]], dtype=np.float32)
OLDER = np.array([[2.0, 0.0, 3.0], [0.0, -1.0, 0.0]], dtype=np.float32)


def write_tif(
    path: Path,
    values: np.ndarray,
    *,
    crs: str | None = "EPSG:4326",
    west: float = WEST,
    north: float = NORTH,
    cell: float = CELL,
) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(cell, 0.0, west, 0.0, -cell, north),
        nodata=NODATA,
    ) as dst:
        dst.write(values.astype(np.float32), 1)
    return path


@pytest.fixture
def rasters(tmp_path: Path) -> tuple[Path, Path]:
    return (
        write_tif(tmp_path / "residents.tif", RESIDENTS),
        write_tif(tmp_path / "older.tif", OLDER),
    )


def test_totals_exclude_nodata_and_count_nodata_cells(rasters: tuple[Path, Path]) -> None:
    _cells, totals = cells_from_rasters(*rasters)
    assert totals.residents == 16.5  # 10 + 2.5 + 4
    assert totals.older == 5.0  # 2 + 3
    assert totals.nodata_cells == 2  # (0, 2) in residents, (1, 1) in older


def test_cell_sums_equal_raster_totals(rasters: tuple[Path, Path]) -> None:
    cells, totals = cells_from_rasters(*rasters)
    assert cells["residents"].sum() == totals.residents
    assert cells["older_residents"].sum() == totals.older


def test_empty_cells_are_dropped_and_nodata_reads_as_zero(rasters: tuple[Path, Path]) -> None:
    cells, _ = cells_from_rasters(*rasters)
    # populated: (0,0) both; (0,2) older only (residents nodata); (1,0), (1,1) residents only
    assert list(zip(cells["row"], cells["col"], strict=True)) == [(0, 0), (0, 2), (1, 0), (1, 1)]
    np.testing.assert_array_equal(cells["cell_id"], [0, 2, 3, 4])
    np.testing.assert_array_equal(cells["residents"], [10.0, 0.0, 2.5, 4.0])
    np.testing.assert_array_equal(cells["older_residents"], [2.0, 3.0, 0.0, 0.0])


def test_cell_centres_and_corners(rasters: tuple[Path, Path]) -> None:
    cells, _ = cells_from_rasters(*rasters)
    cols, rows = cells["col"].to_numpy(), cells["row"].to_numpy()
    np.testing.assert_allclose(cells["lon"], WEST + (cols + 0.5) * CELL, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cells["lat"], NORTH - (rows + 0.5) * CELL, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cells["x0"], WEST + cols * CELL, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cells["x1"], WEST + (cols + 1) * CELL, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cells["y0"], NORTH - rows * CELL, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cells["y1"], NORTH - (rows + 1) * CELL, rtol=0, atol=1e-12)
    squares = cell_polygons(cells)
    np.testing.assert_allclose(shapely.area(squares), CELL * CELL, rtol=1e-9)
    assert shapely.contains_xy(squares[0], cells["lon"].iloc[0], cells["lat"].iloc[0])


def test_projected_raster_centres_are_converted_to_wgs84(tmp_path: Path) -> None:
    values = np.array([[5.0]], dtype=np.float32)
    # one 100 m cell of UTM 50N whose centre is (500050, 3545050)
    res = write_tif(
        tmp_path / "r.tif", values, crs="EPSG:32650", west=500_000.0, north=3_545_100.0, cell=100.0
    )
    old = write_tif(
        tmp_path / "o.tif", values, crs="EPSG:32650", west=500_000.0, north=3_545_100.0, cell=100.0
    )
    cells, _ = cells_from_rasters(res, old)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True).transform(
        500_050.0, 3_545_050.0
    )
    assert cells["lon"].iloc[0] == pytest.approx(lon, abs=1e-9)
    assert cells["lat"].iloc[0] == pytest.approx(lat, abs=1e-9)
    assert cells["lon"].iloc[0] == pytest.approx(117.0005, abs=1e-3)  # central meridian 117°E
    assert cells["x0"].iloc[0] == 500_000.0


def test_raster_without_crs_is_refused_naming_the_file(tmp_path: Path) -> None:
    res = write_tif(tmp_path / "no_crs.tif", RESIDENTS, crs=None)
    old = write_tif(tmp_path / "older.tif", OLDER)
    with pytest.raises(InputDataError, match=r"no_crs\.tif: the raster has no CRS"):
        cells_from_rasters(res, old)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"west": WEST + CELL}, id="shifted origin"),
        pytest.param({"cell": CELL / 2}, id="other cell size"),
        pytest.param({"crs": "EPSG:4490"}, id="other crs"),
    ],
)
def test_mismatched_grids_are_refused(tmp_path: Path, kwargs: dict) -> None:
    res = write_tif(tmp_path / "residents.tif", RESIDENTS)
    old = write_tif(tmp_path / "older.tif", OLDER, **kwargs)
    with pytest.raises(InputDataError, match=r"older\.tif: grid differs from residents\.tif"):
        cells_from_rasters(res, old)


def test_different_shapes_are_refused(tmp_path: Path) -> None:
    res = write_tif(tmp_path / "residents.tif", RESIDENTS)
    old = write_tif(tmp_path / "older.tif", OLDER[:, :2])
    with pytest.raises(InputDataError, match="grid differs"):
        cells_from_rasters(res, old)


def test_all_nodata_raster_is_refused(tmp_path: Path) -> None:
    res = write_tif(tmp_path / "residents.tif", np.full((2, 3), NODATA, dtype=np.float32))
    old = write_tif(tmp_path / "older.tif", OLDER)
    with pytest.raises(InputDataError, match=r"residents\.tif: every cell is nodata or zero"):
        cells_from_rasters(res, old)


def test_all_zero_older_raster_is_refused(tmp_path: Path) -> None:
    res = write_tif(tmp_path / "residents.tif", RESIDENTS)
    old = write_tif(tmp_path / "older.tif", np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(InputDataError, match=r"older\.tif: every cell is nodata or zero"):
        cells_from_rasters(res, old)


def test_negative_values_that_are_not_nodata_are_refused(tmp_path: Path) -> None:
    res = write_tif(tmp_path / "residents.tif", np.array([[5.0, -2.0]], dtype=np.float32))
    old = write_tif(tmp_path / "older.tif", np.array([[1.0, 0.0]], dtype=np.float32))
    with pytest.raises(InputDataError, match=r"residents\.tif: the raster has negative values"):
        cells_from_rasters(res, old)


def test_missing_and_unreadable_rasters(tmp_path: Path) -> None:
    old = write_tif(tmp_path / "older.tif", OLDER)
    with pytest.raises(InputFileError, match=r"absent\.tif: population raster not found"):
        cells_from_rasters(tmp_path / "absent.tif", old)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff")
    with pytest.raises(InputFileError, match=r"junk\.tif: not a readable raster"):
        cells_from_rasters(junk, old)
