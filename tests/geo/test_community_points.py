"""Community points (居委会) partitioned within their streets: hand-computable Voronoi cases."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from carecircle.errors import InputDataError
from carecircle.geo.boundaries import read_community_layer
from carecircle.geo.community_points import (
    communities_from_points,
    communities_from_streets,
    voronoi_partition,
)
from carecircle.geo.crs import wgs84_to_gcj02


def test_two_points_in_a_rectangle_split_at_the_midline() -> None:
    street = shapely.box(0.0, 0.0, 100.0, 50.0)
    xy = np.array([[10.0, 25.0], [60.0, 25.0]])  # midline x = 35
    west, east = voronoi_partition(xy, np.array([0, 0]), np.array([street]))
    assert west.area == pytest.approx(35.0 * 50.0, abs=1e-9)
    assert east.area == pytest.approx(65.0 * 50.0, abs=1e-9)
    assert west.bounds == pytest.approx((0.0, 0.0, 35.0, 50.0))
    assert shapely.union(west, east).symmetric_difference(street).area == pytest.approx(0.0)


def test_each_street_is_partitioned_alone_and_a_lone_point_takes_its_street() -> None:
    a, b, c = (
        shapely.box(0, 0, 100, 100),
        shapely.box(100, 0, 200, 100),
        shapely.box(200, 0, 300, 100),
    )
    # street a: 3 points on a line (cuts at x = 20 and 60); street c: one point; b: none
    xy = np.array([[10, 50], [30, 50], [90, 50], [250, 10]], dtype=float)
    out = voronoi_partition(xy, np.array([0, 0, 0, 2]), np.array([a, b, c]))
    assert [g.area for g in out] == pytest.approx([2000.0, 4000.0, 4000.0, 10000.0])
    # the point of street a nearest street b does not reach into street b
    assert out[2].bounds[2] == pytest.approx(100.0)


def test_points_in_an_unordered_street_order() -> None:
    a, b = shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)
    xy = np.array([[15, 2], [2, 5], [15, 8], [8, 5]], dtype=float)
    out = voronoi_partition(xy, np.array([1, 0, 1, 0]), np.array([a, b]))
    assert [g.area for g in out] == pytest.approx([50.0, 50.0, 50.0, 50.0])
    assert out[0].bounds == pytest.approx((10, 0, 20, 5))
    assert out[1].bounds == pytest.approx((0, 0, 5, 10))


def _streets() -> gpd.GeoDataFrame:
    """Two streets of 0.01° × 0.01° at 31 N, 121 E."""
    return gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["甲街道", "乙街道"]},
        geometry=[
            shapely.box(121.0, 31.0, 121.01, 31.01),
            shapely.box(121.01, 31.0, 121.02, 31.01),
        ],
        crs="EPSG:4326",
    )


def test_from_points_tiles_every_street_and_keeps_a_street_without_points() -> None:
    df = pd.DataFrame(
        {
            "code": ["A1", "A2"],
            "name": ["一社区", "二社区"],
            "lon": [121.0025, 121.0075],
            "lat": [31.005, 31.005],
        }
    )
    frame, warnings = communities_from_points(df, _streets(), "com.csv")
    assert list(frame["code"]) == ["A1", "A2", "B-all"]
    assert list(frame["street"]) == ["A", "A", "B"]
    assert "1 street without any community point (B)" in warnings[0]
    area = frame.to_crs(32651).area.to_numpy()
    street_area = _streets().to_crs(32651).area.to_numpy()
    assert area[0] + area[1] == pytest.approx(street_area[0], rel=1e-9)
    assert area[0] == pytest.approx(area[1], rel=1e-3)  # the midline of a near-square
    assert area[2] == pytest.approx(street_area[1], rel=1e-9)


def test_points_outside_every_street_are_named() -> None:
    df = pd.DataFrame(
        {"code": ["A1", "X9"], "name": ["一", "九"], "lon": [121.005, 122.0], "lat": [31.005, 31.0]}
    )
    with pytest.raises(InputDataError, match=r"1 community point outside every street \(X9\)"):
        communities_from_points(df, _streets(), "com.csv")


def test_a_point_layer_in_gcj02_is_read_as_points(tmp_path: Path) -> None:
    lon, lat = np.array([121.005, 121.015]), np.array([31.005, 31.005])
    glon, glat = wgs84_to_gcj02(lon, lat)
    layer = gpd.GeoDataFrame(
        {"code": ["A1", "B1"], "name": ["一", "二"], "kind": ["社区", "村"]},
        geometry=gpd.points_from_xy(glon, glat),
        crs="EPSG:4326",
    ).to_crs(3857)
    layer.to_file(tmp_path / "points.gpkg", driver="GPKG")
    frame, mode, _ = read_community_layer(tmp_path / "points.gpkg", _streets(), datum="GCJ-02")
    assert mode == "points"
    assert list(frame["street"]) == ["A", "B"]
    assert list(frame["kind"]) == ["urban", "rural"]
    # one point per street: each community is its whole street
    assert frame.geometry.iloc[0].symmetric_difference(_streets().geometry.iloc[0]).area < 1e-12


def test_no_communities_gives_one_per_street() -> None:
    frame, mode, warnings = read_community_layer(None, _streets())
    assert mode == "streets" and warnings == []
    assert list(frame["code"]) == list(frame["street"]) == ["A", "B"]
    assert frame.geometry.equals(communities_from_streets(_streets()).geometry)
