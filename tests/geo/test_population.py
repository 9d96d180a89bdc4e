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


def _write(path: Path, bands: list[np.ndarray], dtype: str, nodata: float | None) -> Path:
    rows, cols = bands[0].shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=rows,
        width=cols,
        count=len(bands),
        dtype=dtype,
        crs="EPSG:4326",
        transform=Affine(CELL, 0.0, WEST, 0.0, -CELL, NORTH),
        nodata=nodata,
    ) as dst:
        for i, band in enumerate(bands):
            dst.write(band.astype(dtype), i + 1)
    return path


def test_int16_raster_with_nodata_is_read(tmp_path: Path) -> None:
    res = _write(tmp_path / "r.tif", [np.array([[10, -32768], [4, 0]])], "int16", -32768)
    old = _write(tmp_path / "o.tif", [np.array([[2, -32768], [1, 0]])], "int16", -32768)
    cells, totals = cells_from_rasters(res, old)
    assert (totals.residents, totals.older, totals.nodata_cells) == (14.0, 3.0, 1)
    assert sorted(cells["residents"]) == [4.0, 10.0]


def test_multi_band_raster_needs_a_band_and_reads_it(tmp_path: Path) -> None:
    res, old = np.array([[100.0, 40.0]]), np.array([[25.0, 10.0]])
    pop = _write(tmp_path / "pop.tif", [res, old], "float32", -1.0)
    with pytest.raises(InputDataError, match=r"pop\.tif: the raster has 2 bands .*band = 2 \}"):
        cells_from_rasters(pop, pop)
    with pytest.raises(InputDataError, match=r"band 3 asked for, but the raster has 2 bands"):
        cells_from_rasters(pop, pop, bands=(1, 3))
    with pytest.raises(InputDataError, match=r"the same band of the same file"):
        cells_from_rasters(pop, pop, bands=(1, 1))
    cells, totals = cells_from_rasters(pop, pop, bands=(1, 2))
    assert (totals.residents, totals.older) == (140.0, 35.0)
    assert cells["older_residents"].tolist() == [25.0, 10.0]


def test_older_above_residents_everywhere_is_an_error(tmp_path: Path) -> None:
    res = write_tif(tmp_path / "r.tif", np.array([[25.0, 10.0]]))
    old = write_tif(tmp_path / "o.tif", np.array([[100.0, 40.0]]))
    with pytest.raises(InputDataError, match=r"2 cells of 2 populated cells hold more older"):
        cells_from_rasters(res, old)


def test_older_above_residents_in_one_cell_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    values = np.full((5, 5), 100.0)
    older = np.full((5, 5), 20.0)
    older[2, 3] = 130.0
    res = write_tif(tmp_path / "r.tif", values)
    old = write_tif(tmp_path / "o.tif", older)
    cells, _ = cells_from_rasters(res, old)
    assert len(cells) == 25
    assert "1 cell of 25 populated cells holds more older residents" in caplog.text
    assert "row 3 column 4: 130.0 older, 100.0 residents" in caplog.text


def test_nodata_in_one_raster_only_is_reported(
    rasters: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    cells_from_rasters(*rasters)
    # OLDER[1, 1] is nodata where residents hold 4; RESIDENTS[0, 2] where older hold 3
    assert "older.tif: 1 nodata cell holds 4 persons in residents.tif" in caplog.text
    assert "residents.tif: 1 nodata cell holds 3 persons in older.tif" in caplog.text


def test_a_raster_far_larger_than_the_boundaries_is_read_by_window(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    values = rng.integers(0, 50, (60, 80)).astype(np.float32)
    res = write_tif(tmp_path / "r.tif", values)
    old = write_tif(tmp_path / "o.tif", values / 4)
    full, _ = cells_from_rasters(res, old)
    west, north = WEST + 30 * CELL, NORTH - 20 * CELL
    bounds = (west + 0.2 * CELL, north - 9.8 * CELL, west + 9.8 * CELL, north - 0.2 * CELL)
    part, totals = cells_from_rasters(res, old, bounds=bounds)
    # the window is the 10 × 10 cells under the bounds plus a margin, on the full grid's ids
    assert part["cell_id"].isin(full["cell_id"]).all()
    inner = full[full["row"].between(20, 29) & full["col"].between(30, 39)]
    assert set(inner["cell_id"]) <= set(part["cell_id"])
    assert len(part) <= 14 * 14
    merged = part.merge(full, on="cell_id", suffixes=("", "_full"))
    assert np.allclose(merged["residents"], merged["residents_full"])
    assert np.allclose(merged[["lon", "lat"]], merged[["lon_full", "lat_full"]])
    assert totals.residents == pytest.approx(part["residents"].sum())


def test_a_window_too_large_to_hold_names_the_file_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carecircle.geo import population

    monkeypatch.setattr(population, "MAX_CELLS", 4)
    res = write_tif(tmp_path / "r.tif", np.ones((3, 3)))
    with pytest.raises(InputDataError, match=r"r\.tif: .* 9 cells .* clip it to the study area"):
        cells_from_rasters(res, write_tif(tmp_path / "o.tif", np.ones((3, 3))))


def test_nobody_under_the_boundaries_of_a_large_raster_says_so(tmp_path: Path) -> None:
    values = np.zeros((40, 40))
    values[35:, 35:] = 10.0  # people only in the far corner
    res = write_tif(tmp_path / "r.tif", values)
    old = write_tif(tmp_path / "o.tif", values / 4)
    bounds = (WEST + 2 * CELL, NORTH - 8 * CELL, WEST + 8 * CELL, NORTH - 2 * CELL)
    with pytest.raises(InputDataError, match=r"r\.tif: every cell over the boundaries is nodata"):
        cells_from_rasters(res, old, bounds=bounds)
