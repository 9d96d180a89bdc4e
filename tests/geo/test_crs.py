"""GCJ-02 / BD-09 against published coordinate pairs, and the metric CRS choice."""

from __future__ import annotations

import numpy as np
import pytest

from carecircle.errors import InputDataError
from carecircle.geo.crs import (
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    metric_crs,
    to_wgs84,
    utm_crs,
    wgs84_to_gcj02,
)

# (wgsLat, wgsLng, gcjLat, gcjLng), published reference pairs
GCJ_PAIRS = [
    pytest.param(31.1774276, 121.5272106, 31.17530398364597, 121.531541859215, id="shanghai"),
    pytest.param(22.543847, 113.912316, 22.540796131694766, 113.9171764808363, id="shenzhen"),
    pytest.param(39.911954, 116.377817, 39.91334545536069, 116.38404722455657, id="beijing"),
]
# (bdLat, bdLng, wgsLat, wgsLng) from eviltransform's tests. eviltransform's bd2gcj uses
# sin(y * pi) where Baidu's formula has sin(y * pi * 3000 / 180), so these pairs are 1e-4° to
# 4e-4° (10-40 m) off the real BD-09; they are kept to show carecircle does not follow them.
EVILTRANSFORM_BD_PAIRS = [
    pytest.param(29.199786, 120.019809, 29.196131605295484, 120.00877901149691, id="bd-1"),
    pytest.param(29.210504, 120.036455, 29.206795749156136, 120.0253853970846, id="bd-2"),
]
# coordtransform (wandergis) README: bd09togcj02 / gcj02tobd09 of (116.404, 39.915)
BD_TO_GCJ = (116.404, 39.915, 116.39762729119315, 39.90865673957631)
GCJ_TO_BD = (116.404, 39.915, 116.41036949371029, 39.92133699351022)


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), GCJ_PAIRS)
def test_wgs84_to_gcj02_matches_published_pairs(
    w_lat: float, w_lon: float, g_lat: float, g_lon: float
) -> None:
    lon, lat = wgs84_to_gcj02(w_lon, w_lat)
    assert float(lon) == pytest.approx(g_lon, abs=1e-9)
    assert float(lat) == pytest.approx(g_lat, abs=1e-9)


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), GCJ_PAIRS)
def test_gcj02_to_wgs84_inverts_the_published_pairs(
    w_lat: float, w_lon: float, g_lat: float, g_lon: float
) -> None:
    lon, lat = gcj02_to_wgs84(g_lon, g_lat)
    assert float(lon) == pytest.approx(w_lon, abs=1e-8)
    assert float(lat) == pytest.approx(w_lat, abs=1e-8)
    back_lon, back_lat = wgs84_to_gcj02(lon, lat)
    assert float(back_lon) == pytest.approx(g_lon, abs=1e-9)
    assert float(back_lat) == pytest.approx(g_lat, abs=1e-9)


def test_gcj02_shift_is_hundreds_of_metres_in_eastern_china() -> None:
    lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)
    east_m = (float(lon) - 121.5272106) * 111_320 * np.cos(np.radians(31.18))
    north_m = (float(lat) - 31.1774276) * 110_574
    assert 300 < np.hypot(east_m, north_m) < 600


def test_gcj02_works_on_arrays() -> None:
    lon, lat = wgs84_to_gcj02([121.5272106, 113.912316], [31.1774276, 22.543847])
    np.testing.assert_allclose(lon, [121.531541859215, 113.9171764808363], atol=1e-9)
    np.testing.assert_allclose(lat, [31.17530398364597, 22.540796131694766], atol=1e-9)


def test_bd09_to_gcj02_matches_published_pair() -> None:
    lon, lat = bd09_to_gcj02(BD_TO_GCJ[0], BD_TO_GCJ[1])
    assert float(lon) == pytest.approx(BD_TO_GCJ[2], abs=1e-9)
    assert float(lat) == pytest.approx(BD_TO_GCJ[3], abs=1e-9)


def test_gcj02_to_bd09_matches_published_pair() -> None:
    lon, lat = gcj02_to_bd09(GCJ_TO_BD[0], GCJ_TO_BD[1])
    assert float(lon) == pytest.approx(GCJ_TO_BD[2], abs=1e-9)
    assert float(lat) == pytest.approx(GCJ_TO_BD[3], abs=1e-9)


@pytest.mark.parametrize(("b_lat", "b_lon", "w_lat", "w_lon"), EVILTRANSFORM_BD_PAIRS)
def test_bd09_to_wgs84_inverts_wgs84_to_bd09(
    b_lat: float, b_lon: float, w_lat: float, w_lon: float
) -> None:
    bd_lon, bd_lat = gcj02_to_bd09(*wgs84_to_gcj02(w_lon, w_lat))
    lon, lat = to_wgs84(bd_lon, bd_lat, "BD-09")
    # BD-09's published inverse is approximate to about 1e-6° (10 cm)
    assert float(lon) == pytest.approx(w_lon, abs=1e-6)
    assert float(lat) == pytest.approx(w_lat, abs=1e-6)


@pytest.mark.parametrize(("b_lat", "b_lon", "w_lat", "w_lon"), EVILTRANSFORM_BD_PAIRS)
def test_bd09_does_not_follow_eviltransform_pi_formula(
    b_lat: float, b_lon: float, w_lat: float, w_lon: float
) -> None:
    lon, lat = to_wgs84(b_lon, b_lat, "BD-09")
    # within 0.0004° (about 40 m), but not within 1e-5°: carecircle uses Baidu's pi * 3000 / 180
    assert abs(float(lon) - w_lon) < 4e-4
    assert abs(float(lat) - w_lat) < 4e-4
    assert max(abs(float(lon) - w_lon), abs(float(lat) - w_lat)) > 3e-5


@pytest.mark.parametrize(("b_lat", "b_lon", "w_lat", "w_lon"), EVILTRANSFORM_BD_PAIRS)
def test_bd09_gcj02_round_trip(b_lat: float, b_lon: float, w_lat: float, w_lon: float) -> None:
    g_lon, g_lat = bd09_to_gcj02(b_lon, b_lat)
    back_lon, back_lat = gcj02_to_bd09(g_lon, g_lat)
    assert float(back_lon) == pytest.approx(b_lon, abs=1e-6)
    assert float(back_lat) == pytest.approx(b_lat, abs=1e-6)


@pytest.mark.parametrize(
    ("lon", "lat"), [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688)]
)
def test_no_shift_outside_china(lon: float, lat: float) -> None:
    assert not in_china(lon, lat)
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = convert(lon, lat)
        assert float(out_lon) == lon
        assert float(out_lat) == lat


def test_in_china_box() -> None:
    np.testing.assert_array_equal(
        in_china([118.78, 72.0, 138.0, 118.78], [32.04, 32.0, 32.0, 56.0]),
        [True, False, False, False],
    )


@pytest.mark.parametrize("name", ["EPSG:4326", "WGS84", "wgs84"])
def test_wgs84_input_is_returned_unchanged(name: str) -> None:
    lon, lat = to_wgs84([118.78], [32.04], name)
    np.testing.assert_array_equal(lon, [118.78])
    np.testing.assert_array_equal(lat, [32.04])


def test_gcj02_name_is_case_insensitive() -> None:
    assert to_wgs84(121.531541859215, 31.17530398364597, "gcj-02")[0] == pytest.approx(
        121.5272106, abs=1e-8
    )


def test_unknown_coordinate_system_is_refused() -> None:
    with pytest.raises(InputDataError, match="unknown coordinate system 'EPSG:1'"):
        to_wgs84(1.0, 2.0, "EPSG:1")
    with pytest.raises(InputDataError, match="unknown coordinate system 'WGS-84'"):
        to_wgs84(1.0, 2.0, "WGS-84")


def test_any_epsg_code_is_converted_by_pyproj() -> None:
    # web mercator x/y of (121.5, 31.2): the inverse gives the point back
    lon, lat = to_wgs84(13525318.1314, 3658750.2803, "EPSG:3857")
    assert (float(lon), float(lat)) == pytest.approx((121.5, 31.2), abs=1e-6)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (118.78, 32.04, 32650),  # Nanjing
        (121.47, 31.23, 32651),  # Shanghai
        (116.40, 39.90, 32650),  # Beijing
        (113.26, 23.13, 32649),  # Guangzhou
        (151.21, -33.87, 32756),  # Sydney, southern hemisphere
    ],
)
def test_utm_zone(lon: float, lat: float, epsg: int) -> None:
    assert utm_crs(lon, lat).to_epsg() == epsg


def test_metric_crs_auto_is_the_utm_zone() -> None:
    assert metric_crs("auto", 118.78, 32.04).to_epsg() == 32650


def test_metric_crs_accepts_a_projected_metric_crs() -> None:
    assert metric_crs("EPSG:4547", 118.78, 32.04).to_epsg() == 4547


def test_metric_crs_refuses_geographic_crs() -> None:
    with pytest.raises(InputDataError, match=r"'EPSG:4326' is not a projected CRS in metres"):
        metric_crs("EPSG:4326", 118.78, 32.04)


def test_metric_crs_refuses_unknown_crs() -> None:
    with pytest.raises(InputDataError, match=r"'EPSG:999999' is not a known CRS"):
        metric_crs("EPSG:999999", 118.78, 32.04)
