"""The generated demo district: deterministic, realistic, and with its planted gaps found."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

from carecircle.data.district import write_demo_inputs
from carecircle.geo.crs import gcj02_to_wgs84, utm_crs
from carecircle.geo.network import network_from_segments
from carecircle.geo.osm import segments_from_osm_xml
from carecircle.vocabulary import FACILITY_TYPES

BYTE_FILES = (
    "network.osm",
    "facilities.csv",
    "meal_points_amap.csv",
    "residents.tif",
    "older.tif",
    "study.toml",
    "gaps.json",
    "README.md",
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("district")
    write_demo_inputs(folder, seed=2026)
    return folder


def test_same_seed_same_files(inputs: Path, tmp_path: Path) -> None:
    write_demo_inputs(tmp_path, seed=2026)
    for name in BYTE_FILES:
        assert (inputs / name).read_bytes() == (tmp_path / name).read_bytes(), name
    for name in ("streets.gpkg", "communities.gpkg"):
        a, b = gpd.read_file(inputs / name), gpd.read_file(tmp_path / name)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb())
    other = tmp_path / "other"
    write_demo_inputs(other, seed=7)
    assert (other / "facilities.csv").read_bytes() != (inputs / "facilities.csv").read_bytes()


def test_streets_and_communities_tile_exactly(inputs: Path) -> None:
    streets = gpd.read_file(inputs / "streets.gpkg").to_crs(utm_crs(118.8, 32.0))
    com = gpd.read_file(inputs / "communities.gpkg").to_crs(streets.crs)
    assert len(streets) >= 6
    assert (streets["kind"] == "street").sum() >= 4
    assert (streets["kind"] == "town").sum() >= 2
    assert len(com) >= 40
    assert set(com["kind"]) == {"urban", "rural"}
    for code, street in streets.set_index("code").geometry.items():
        parts = com[com["street"] == code].geometry
        assert parts.area.sum() == pytest.approx(street.area, rel=1e-6)
        assert shapely.union_all(parts.array).symmetric_difference(street).area < 1e-3 * street.area
    tree = shapely.STRtree(com.geometry.array)
    a, b = tree.query(com.geometry.array, predicate="intersects")
    overlap = shapely.area(
        shapely.intersection(com.geometry.array[a[a < b]], com.geometry.array[b[a < b]])
    )
    assert overlap.max() < 1e-5 * com.area.min()  # neighbours share edges only


def test_population_rasters_like_worldpop(inputs: Path) -> None:
    with rasterio.open(inputs / "residents.tif") as res, rasterio.open(inputs / "older.tif") as old:
        assert res.crs.to_epsg() == 4326
        assert res.res == pytest.approx((1 / 1200, 1 / 1200))
        assert res.dtypes[0] == "float32"
        assert res.nodata == -1
        r, o = res.read(1, masked=True), old.read(1, masked=True)
    assert 300_000 < r.sum() < 600_000
    assert 0.18 < o.sum() / r.sum() < 0.30
    assert (r == 0).sum() > 100  # river, parks and roads hold no one


def test_every_facility_type_and_a_gcj02_file(inputs: Path) -> None:
    fac = pd.read_csv(inputs / "facilities.csv")
    meals = pd.read_csv(inputs / "meal_points_amap.csv")
    assert set(fac["type"]) | set(meals["type"]) == set(FACILITY_TYPES)
    assert not set(fac["id"]) & set(meals["id"])
    net = network_from_segments(segments_from_osm_xml(inputs / "network.osm"), utm_crs(118.8, 32.0))
    from pyproj import Transformer

    from carecircle.geo.snap import EdgeIndex

    to_m = Transformer.from_crs(4326, net.crs, always_xy=True)
    index = EdgeIndex(net)
    as_given = index.snap(*to_m.transform(meals["lon"], meals["lat"]), max_distance_m=5000)
    converted = index.snap(
        *to_m.transform(*gcj02_to_wgs84(meals["lon"], meals["lat"])), max_distance_m=5000
    )
    assert np.median(converted.distance) < 40
    assert np.median(as_given.distance) > 2 * np.median(converted.distance)


def test_network_has_one_small_stray_fragment(inputs: Path) -> None:
    segments = segments_from_osm_xml(inputs / "network.osm")
    net = network_from_segments(segments, utm_crs(118.8, 32.0))
    assert net.dropped_components == 1
    assert 0 < net.dropped_nodes < 10
    assert segments.lines_kept < segments.lines_read + 1
    text = (inputs / "network.osm").read_text(encoding="utf-8")
    for tag in ('v="gate"', 'k="oneway"', 'k="bridge"', 'k="waterway"', 'v="track"'):
        assert tag in text


def test_demo_writes_every_output_fast(demo_run: Path) -> None:
    for name in (
        "coverage_by_street.csv",
        "coverage_by_community.csv",
        "underserved_communities.csv",
        "underserved_communities.xlsx",
        "cells.gpkg",
        "maps/index.html",
        "run.json",
        "indicators.xlsx",
        "report.html",
        "inputs/study.toml",
    ):
        assert (demo_run / name).is_file(), name
    run = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    audit_seconds = sum(v for k, v in run["stages_seconds"].items() if not k.startswith("write"))
    assert audit_seconds < 30
    streets = pd.read_csv(demo_run / "coverage_by_street.csv", dtype={"code": str})
    for code in streets["code"]:
        assert (demo_run / "maps" / f"{code}.html").is_file()
        assert (demo_run / "maps" / f"{code}.html").stat().st_size < 5 * 2**20
    assert (demo_run / "maps" / "index.html").stat().st_size < 2 * 2**20


def test_demo_conserves_population_and_facilities(demo_run: Path) -> None:
    run = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    acc = run["accounting"]
    for who in ("residents", "older_residents"):
        raster = acc[f"raster_{who}"]
        assert acc[f"streets_{who}"] == pytest.approx(raster, rel=1e-4)
        assert acc[f"communities_{who}"] == pytest.approx(raster, rel=1e-4)
    fac = pd.read_csv(demo_run / "inputs" / "facilities.csv")
    meals = pd.read_csv(demo_run / "inputs" / "meal_points_amap.csv")
    assert {f["id"] for f in run["facilities"]} == set(fac["id"]) | set(meals["id"])


def _gaps(demo_run: Path) -> dict:
    return json.loads((demo_run / "inputs" / "gaps.json").read_text(encoding="utf-8"))


def test_planted_gaps_show_under_the_right_indicator(demo_run: Path) -> None:
    gaps = _gaps(demo_run)
    streets = pd.read_csv(demo_run / "indicators_by_street.csv", dtype={"code": str}).set_index(
        "code"
    )
    assert not streets.loc[gaps["no_comprehensive_centre"]["street"], "s3_met"]
    assert streets["s3_met"].sum() == len(streets) - 1
    low = gaps["low_floor_area"]["street"]
    assert streets.loc[low, "s2_value"] < 50
    assert (streets.drop(index=low)["s2_value"] > 50).all()
    com = pd.read_csv(demo_run / "indicators_by_community.csv", dtype={"code": str}).set_index(
        "code"
    )
    river = gaps["cut_off_by_river"]["community"]
    assert com.loc[river, "s1_value"] < 0.5
    assert not com.loc[river, "s1_met"]
    under = pd.read_csv(demo_run / "underserved_communities.csv", dtype={"code": str})
    assert river in set(under["code"])


def test_gated_compound_is_far_on_foot_but_near_in_a_straight_line(demo_run: Path) -> None:
    gaps = _gaps(demo_run)["gated_compound"]
    west, south, east, north = gaps["bbox_lonlat"]
    cells = gpd.read_file(demo_run / "cells.gpkg")
    centre = cells.geometry.representative_point()
    inside = (
        (centre.x > west)
        & (centre.x < east)
        & (centre.y > south)
        & (centre.y < north)
        & (cells["older_residents"] > 0)
    ).to_numpy()
    assert inside.sum() >= 10
    fac = pd.read_csv(demo_run / "inputs" / "facilities.csv").set_index("id")
    station = fac.loc[gaps["station"]]
    crs = utm_crs(118.8, 32.0)
    pts = gpd.GeoSeries(centre[inside], crs=4326).to_crs(crs)
    st = gpd.GeoSeries(gpd.points_from_xy([station["lon"]], [station["lat"]]), crs=4326).to_crs(crs)
    straight = pts.distance(st.iloc[0]).to_numpy()
    assert np.median(straight) == pytest.approx(400, abs=80)
    assert (straight <= 900).all()  # a straight-line buffer would cover every resident
    covered = cells.loc[inside, "covered"].astype(bool).to_numpy()
    assert covered.mean() < 0.1  # on foot, through the only gate, almost none is
    assert (cells.loc[inside, "distance_m"].fillna(np.inf) > 900).mean() > 0.9


def test_every_seed_gives_a_layout() -> None:
    """Village placement restarts when it runs out of room (seed 12 once looped forever)."""
    from carecircle.data.district.layout import make_layout

    for seed in range(60):
        layout = make_layout(np.random.default_rng(seed))
        assert len(layout.communities) == 50
