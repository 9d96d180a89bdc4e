"""End-to-end audit of the hand-built lattice district, checked against hand formulas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from carecircle.analysis.audit import Audit, audit_study
from carecircle.config import load_study

from mini_district import TO_LOCAL, MiniDistrict, MiniRun, write_mini_study


def _audit(folder: Path, district: MiniDistrict | None = None) -> Audit:
    return audit_study(load_study(write_mini_study(folder, district)))


@pytest.fixture(scope="module")
def mini(mini_run: MiniRun) -> Audit:
    return mini_run.audit


def expected_distance(
    lon: np.ndarray, lat: np.ndarray, nodes: list[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Snap to the nearest lattice line, then Manhattan distance to the nearest node."""
    x, y = TO_LOCAL.transform(lon, lat)
    gx, gy = np.round(x / 100) * 100, np.round(y / 100) * 100
    dx, dy = np.abs(x - gx), np.abs(y - gy)
    on_vertical = dx < dy
    sx, sy = np.where(on_vertical, gx, x), np.where(on_vertical, y, gy)
    snap = np.minimum(dx, dy)
    best = np.min([np.abs(sx - fx) + np.abs(sy - fy) for fx, fy in nodes], axis=0)
    return snap + best, np.abs(dx - dy) > 1e-3


def test_cell_distances_equal_snap_plus_manhattan(mini: Audit) -> None:
    cells = mini.cells
    want, unambiguous = expected_distance(
        cells["lon"].to_numpy(), cells["lat"].to_numpy(), [(200.0, 200.0), (800.0, 900.0)]
    )
    got = cells["distance_m"].to_numpy()
    within = want <= 2 * 600 - 1  # the search limit is twice the circle
    check = unambiguous & within
    assert check.sum() > 100
    np.testing.assert_allclose(got[check], want[check], atol=0.06)
    assert np.isnan(got[~within & unambiguous]).all()


def test_health_station_does_not_count_for_the_circle(mini: Audit) -> None:
    fac = mini.facilities.set_index("id")
    assert not fac.loc["H1", "counts_for_circle"]
    assert fac.loc["F1", "counts_for_circle"]
    assert fac.loc["F1", "snap_distance_m"] == pytest.approx(0.0, abs=0.01)
    assert set(mini.cells["nearest_facility"]) <= {"F1", "F2", ""}


def test_coverage_shares_follow_the_distances(mini: Audit) -> None:
    cells = mini.cells
    want, _ = expected_distance(
        cells["lon"].to_numpy(), cells["lat"].to_numpy(), [(200.0, 200.0), (800.0, 900.0)]
    )
    covered = want <= 600.0
    for code in ("W", "E"):
        in_street = (cells["street"] == code).to_numpy()
        older = cells["older_residents"].to_numpy()[in_street]
        share = older[covered[in_street]].sum() / older.sum()
        row = mini.by_street.set_index("code").loc[code]
        assert row["older_covered_share"] == pytest.approx(share, abs=1e-9)
        assert 0.5 < share < 1.0


def test_population_is_conserved_through_every_table(mini: Audit) -> None:
    raster = mini.totals.older
    assert mini.by_street["older_residents"].sum() == pytest.approx(raster, rel=1e-9)
    assert mini.by_community["older_residents"].sum() == pytest.approx(raster, rel=1e-9)
    assert mini.district["residents"].iloc[0] == pytest.approx(mini.totals.residents, rel=1e-9)
    assert mini.totals.nodata_cells == 1
    per_street = mini.by_community.groupby("street")["older_covered"].sum()
    assert per_street.to_dict() == pytest.approx(
        mini.by_street.set_index("code")["older_covered"].to_dict()
    )


def test_floor_area_per_thousand_counts_profile_types_only(mini: Audit) -> None:
    by = mini.by_street.set_index("code")
    assert by.loc["W", "floor_area_m2"] == 300.0  # F1; the health station H1 does not count
    assert by.loc["E", "floor_area_m2"] == 500.0
    assert by.loc["W", "floor_area_per_1000"] == pytest.approx(
        300.0 / by.loc["W", "residents"] * 1000
    )
    gap = 50.0 * by.loc["E", "residents"] / 1000 - 500.0
    assert by.loc["E", "s2_gap"] == pytest.approx(max(gap, 0.0), abs=0.1)


def test_switching_profile_flips_s2(tmp_path: Path, mini: Audit) -> None:
    w = mini.by_street.set_index("code").loc["W"]
    assert 50.0 <= w["s2_value"] < 100.0
    assert w["s2_met"]
    jinan = _audit(tmp_path, MiniDistrict(profile="jinan"))
    w2 = jinan.by_street.set_index("code").loc["W"]
    assert w2["s2_value"] == pytest.approx(w["s2_value"])
    assert not w2["s2_met"]
    assert w2["s2_target"] == 100.0


def test_adding_a_facility_never_lowers_coverage(tmp_path: Path, mini: Audit) -> None:
    more = MiniDistrict()
    more.facilities = [
        *more.facilities,
        {
            "id": "F3",
            "name": "新站",
            "type": "service_station",
            "x": 700.0,
            "y": 200.0,
            "floor_area_m2": 150,
            "beds": 0,
            "nursing_beds": 0,
        },
    ]
    after = _audit(tmp_path, more)
    before_d = mini.cells["distance_m"].fillna(np.inf).to_numpy()
    after_d = after.cells["distance_m"].fillna(np.inf).to_numpy()
    assert (after_d <= before_d + 1e-9).all()
    assert (after_d < before_d).any()
    assert after.district["older_covered"].iloc[0] > mini.district["older_covered"].iloc[0]


def test_underserved_lists_failing_communities_ranked(mini: Audit) -> None:
    under = mini.underserved
    table = mini.indicators["community"]
    met = table[[c for c in table.columns if c.endswith("_met")]]
    failing = table.index[met.eq(False).any(axis=1)]
    assert set(under["code"]) == set(failing)
    assert "S8" in under.set_index("code").loc["W-S", "failed"]  # no meal point at all
    assert list(under["older_uncovered"]) == sorted(under["older_uncovered"], reverse=True)
    assert under["reason_zh"].str.contains("S1 15分钟养老服务圈覆盖率").any()
    assert under["reason_en"].str.contains("S1 older residents within the service circle").any()


def test_service_area_follows_streets_not_straight_lines(mini: Audit) -> None:
    area = mini.service_area.to_crs(mini.crs).geometry.iloc[0]
    # (0, 700) is 538 m from F1 in a straight line but a 700 m walk: outside the 600 m area;
    # (200, 780) is a 580 m walk: inside.
    assert not area.contains(shapely.Point(0.0, 700.0))
    assert area.contains(shapely.Point(200.0, 780.0))
    assert area.area < area.convex_hull.area
