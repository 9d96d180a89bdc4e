"""Plausibility checks across inputs: files present, facilities and rasters of this area."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from carecircle.analysis.audit import audit_study
from carecircle.config import load_study
from carecircle.errors import InputDataError, InputFileError

from mini_district import MiniDistrict, lonlat, write_mini_study


def test_every_missing_input_file_is_named_at_once(tmp_path: Path) -> None:
    study = write_mini_study(tmp_path)
    (tmp_path / "older.tif").unlink()
    (tmp_path / "network.osm").unlink()
    with pytest.raises(InputFileError) as exc:
        audit_study(load_study(study))
    text = str(exc.value)
    assert "input files not found" in text
    assert "network.osm ([inputs] network)" in text
    assert "older.tif ([inputs] older_residents)" in text


def test_facilities_of_another_area_are_refused(tmp_path: Path) -> None:
    district = MiniDistrict()
    for f in district.facilities:  # 100 km east: another city's list
        f["x"] = float(f["x"]) + 100_000.0
    study = write_mini_study(tmp_path, district)
    with pytest.raises(InputDataError) as exc:
        audit_study(load_study(study))
    text = str(exc.value)
    assert text.startswith("facilities.csv: none of its 3 facilities lies in the study's")
    lon, _ = lonlat(100_500.0, 500.0)
    assert f"lon {float(lon):.2f}" in text  # where they are, for the planner to see


def test_a_facility_inside_keeps_the_file_accepted(tmp_path: Path) -> None:
    district = MiniDistrict()
    district.facilities[0]["x"] = 100_200.0  # only one lies elsewhere: a warning, not an error
    audit = audit_study(load_study(write_mini_study(tmp_path, district)))
    assert any("1 facility lies outside every street/town" in w for w in audit.record.warnings)


def test_communities_the_raster_misses_are_named(tmp_path: Path) -> None:
    study = write_mini_study(tmp_path)
    for name in ("residents.tif", "older.tif"):
        with rasterio.open(tmp_path / name, "r+") as dst:
            data = dst.read(1)
            data[:, data.shape[1] // 2 - 1 :] = -1.0  # the east half has no data
            dst.write(data, 1)
    audit = audit_study(load_study(study))
    warning = next(w for w in audit.record.warnings if "have no populated raster cell" in w)
    assert "2 of 4 communities" in warning
    assert "东南社区 (E-S)" in warning and "东北社区 (E-N)" in warning
    east = audit.indicators["community"].loc[["E-S", "E-N"]]
    assert np.all(east["residents"] == 0)


def test_boundaries_drawn_on_amap_are_read_with_boundaries_crs(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    from carecircle.geo.crs import wgs84_to_gcj02

    base = audit_study(load_study(write_mini_study(tmp_path / "base")))
    study = write_mini_study(tmp_path / "amap")
    for name in ("streets.gpkg", "communities.gpkg"):  # as if traced on Amap (GCJ-02)
        frame = gpd.read_file(tmp_path / "amap" / name)
        shifted = shapely.transform(
            frame.geometry.array, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        )
        frame.set_geometry(shifted, crs="EPSG:4326").to_file(tmp_path / "amap" / name)
    text = study.read_text(encoding="utf-8")
    shifted_run = audit_study(load_study(study))
    study.write_text(
        text.replace(
            'communities = "communities.gpkg"',
            'communities = "communities.gpkg"\nboundaries_crs = "GCJ-02"',
        ),
        encoding="utf-8",
    )
    fixed = audit_study(load_study(study))
    want = base.indicators["community"]["older_covered_share"]
    got = fixed.indicators["community"]["older_covered_share"]
    np.testing.assert_allclose(got.loc[want.index], want, atol=1e-9)
    # without the setting the shifted boundaries lose cells at the edge of the district
    assert any("outside every community" in w for w in shifted_run.record.warnings)


def test_one_facility_just_outside_the_district_is_only_a_warning(tmp_path: Path) -> None:
    study = write_mini_study(tmp_path)
    neighbour = tmp_path / "neighbours.csv"  # a station 100 m east of the district
    lon, lat = lonlat(1100.0, 500.0)
    neighbour.write_text(
        "id,name,type,lon,lat,floor_area_m2,beds,nursing_beds\n"
        f"N1,邻区站,service_station,{float(lon):.9f},{float(lat):.9f},200,0,0\n",
        encoding="utf-8",
    )
    text = study.read_text(encoding="utf-8")
    study.write_text(
        text.replace(
            'facilities = "facilities.csv"', 'facilities = ["facilities.csv", "neighbours.csv"]'
        ),
        encoding="utf-8",
    )
    audit = audit_study(load_study(study))
    assert any("1 facility lies outside every street/town" in w for w in audit.record.warnings)
