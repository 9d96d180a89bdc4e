"""Every indicator on the hand-built mini district, with values worked out by hand.

Lattice 1 km × 1 km, streets every 100 m. Street W (x < 500) has urban communities W-S and
W-N; street E has urban E-S and rural village E-N. Walk: 10 minutes at 1 m/s = 600 m.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.indicators import REGISTRY, IndicatorContext
from carecircle.config import load_study
from carecircle.profiles import IndicatorSpec

from mini_district import TO_LOCAL, MiniDistrict, write_mini_study

COLUMNS = (
    "id",
    "name",
    "type",
    "lon",
    "lat",
    "floor_area_m2",
    "beds",
    "nursing_beds",
    "social_workers",
    "meals_per_day",
    "medical_care",
    "rating",
)


def fac(fid: str, ftype: str, x: float, y: float, **kw: object) -> dict[str, object]:
    base = {
        "id": fid,
        "name": fid,
        "type": ftype,
        "x": x,
        "y": y,
        "floor_area_m2": 100,
        "beds": 0,
        "nursing_beds": 0,
        "social_workers": 0,
        "meals_per_day": 0,
        "medical_care": "no",
        "rating": "",
    }
    return {**base, **kw}


FACILITIES = [
    fac("C1", "comprehensive_centre", 100, 100, social_workers=1),
    fac("ST1", "service_station", 200, 900),
    fac("DC1", "day_care", 900, 300, beds=20),
    fac("R1", "rural_mutual_aid", 800, 800),
    fac("RR1", "rehab_rental", 600, 100),
    fac("H1", "health_station", 100, 300),
    fac("H2", "health_centre", 900, 400),
    fac("M1", "meal_point", 400, 600, meals_per_day=300),
    fac("D1", "dementia_unit", 300, 300),
    fac("I1", "institution", 400, 100, beds=100, nursing_beds=60, medical_care="是", rating="三级"),
    fac("I2", "institution", 900, 100, beds=50, nursing_beds=40, social_workers=2),
]


def _audit(folder: Path, profile: str, columns: tuple[str, ...] = COLUMNS) -> Audit:
    district = MiniDistrict(facilities=FACILITIES, profile=profile, facility_columns=columns)
    return audit_study(load_study(write_mini_study(folder, district)))


@pytest.fixture(scope="module")
def shanghai(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    return _audit(tmp_path_factory.mktemp("sh"), "shanghai")


@pytest.fixture(scope="module")
def jinan(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    return _audit(tmp_path_factory.mktemp("jn"), "jinan")


def row(audit: Audit, level: str, code: str) -> pd.Series:
    return audit.indicators[level].loc[code]


def test_s3_comprehensive_centre_per_street(shanghai: Audit) -> None:
    assert row(shanghai, "street", "W")["s3_value"] == 1
    assert row(shanghai, "street", "W")["s3_met"]
    assert row(shanghai, "street", "E")["s3_value"] == 0
    assert not row(shanghai, "street", "E")["s3_met"]
    assert row(shanghai, "street", "E")["s3_gap"] == 1
    d = row(shanghai, "district", "district")
    assert (d["s3_value"], d["s3_gap"], d["s3_met"]) == (0.5, 1, False)
    assert row(shanghai, "community", "W-S")["s3_status"] == "not applicable"


def test_s4_station_inside_or_within_walk_of_half_the_older(shanghai: Audit) -> None:
    # W-N holds ST1, E-S holds DC1; W-S holds none, and ST1 at (200, 900) and DC1 at
    # (900, 300) each reach a triangle of ~16 % of it; E-N is a village and does not count.
    com = shanghai.indicators["community"]
    assert com.loc["W-N", "s4_value"] == 1.0
    assert com.loc["E-S", "s4_value"] == 1.0
    assert com.loc["W-S", "s4_value"] == 0.0
    assert com.loc["E-N", "s4_status"] == "not applicable"
    assert row(shanghai, "street", "W")["s4_value"] == 0.5
    assert row(shanghai, "street", "W")["s4_gap"] == 1
    assert row(shanghai, "street", "E")["s4_value"] == 1.0
    assert row(shanghai, "district", "district")["s4_value"] == pytest.approx(2 / 3)


def test_s5_rural_homes_in_villages(jinan: Audit) -> None:
    assert row(jinan, "community", "E-N")["s5_value"] == 1.0
    assert row(jinan, "street", "E")["s5_value"] == 1.0
    assert row(jinan, "street", "E")["s5_met"]  # jinan target 80 %
    assert row(jinan, "street", "W")["s5_status"] == "not applicable"  # no villages in W


def test_s6_rental_point_per_street(shanghai: Audit) -> None:
    assert not row(shanghai, "street", "W")["s6_met"]
    assert row(shanghai, "street", "E")["s6_met"]


def test_s7_colocation_by_network_distance(shanghai: Audit) -> None:
    # C1 -> H1: 200 m (co-located); ST1 -> H1: 700 m; DC1 -> H2: 100 m.
    fac = shanghai.facilities.set_index("id")
    assert fac.loc["C1", "health_distance_m"] == pytest.approx(200.0, abs=0.01)
    assert fac.loc["DC1", "health_distance_m"] == pytest.approx(100.0, abs=0.01)
    assert np.isinf(fac.loc["ST1", "health_distance_m"])
    assert np.isnan(fac.loc["I1", "health_distance_m"])  # not an elder-care station type
    assert row(shanghai, "street", "W")["s7_value"] == 0.5
    assert row(shanghai, "street", "W")["s7_gap"] == 1
    assert row(shanghai, "street", "E")["s7_value"] == 1.0
    assert row(shanghai, "district", "district")["s7_value"] == pytest.approx(2 / 3)


def test_s8_meal_walk_share_matches_hand_formula(shanghai: Audit) -> None:
    cells = shanghai.cells
    x, y = TO_LOCAL.transform(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    gx, gy = np.round(x / 100) * 100, np.round(y / 100) * 100
    dx, dy = np.abs(x - gx), np.abs(y - gy)
    vertical = dx < dy
    sx, sy = np.where(vertical, gx, x), np.where(vertical, y, gy)
    walk = np.minimum(dx, dy) + np.abs(sx - 400) + np.abs(sy - 600)  # M1, 10 min = 600 m
    older = cells["older_residents"].to_numpy()
    want = older[walk <= 600].sum() / older.sum()
    assert row(shanghai, "district", "district")["s8_value"] == pytest.approx(want, abs=0.002)


def test_s9_dementia_unit_in_the_district(shanghai: Audit) -> None:
    d = row(shanghai, "district", "district")
    assert (d["s9_value"], d["s9_met"]) == (1, True)
    assert row(shanghai, "street", "W")["s9_status"] == "not applicable"


def test_a1_nursing_bed_share(shanghai: Audit) -> None:
    w, e = row(shanghai, "street", "W"), row(shanghai, "street", "E")
    assert (w["a1_value"], w["a1_met"], w["a1_gap"]) == (0.6, False, 10)  # target 70 %
    assert (e["a1_value"], e["a1_met"]) == (0.8, True)
    d = row(shanghai, "district", "district")
    assert d["a1_value"] == pytest.approx(100 / 150)
    assert d["a1_gap"] == 5  # ceil(0.7 × 150 − 100)


def test_a2_9073_beds_against_older_residents(shanghai: Audit) -> None:
    w = row(shanghai, "street", "W")
    assert w["a2_value"] == pytest.approx(100 / w["older_residents"])
    assert w["a2_community_value"] == pytest.approx(0.0)  # W has no community care places
    assert not w["a2_met"]
    e = row(shanghai, "street", "E")
    assert e["a2_community_value"] == pytest.approx(20 / e["older_residents"])  # DC1


def test_a3_social_workers_per_site_for_shanghai(shanghai: Audit) -> None:
    # types institution, comprehensive_centre, embedded_care: W has C1 (1) and I1 (0)
    assert row(shanghai, "street", "W")["a3_value"] == 0.5
    assert row(shanghai, "street", "E")["a3_value"] == 1.0


def test_a3_per_thousand_older_for_jinan(jinan: Audit) -> None:
    e = row(jinan, "street", "E")
    assert e["a3_value"] == pytest.approx(2 / e["older_residents"] * 1000)


def test_a4_and_a6_share_of_institutions(jinan: Audit) -> None:
    w, e = row(jinan, "street", "W"), row(jinan, "street", "E")
    assert (w["a4_value"], e["a4_value"]) == (1.0, 0.0)
    assert (w["a6_value"], e["a6_value"]) == (1.0, 0.0)
    assert row(jinan, "district", "district")["a6_value"] == 0.5


def test_a5_meal_capacity_per_street_for_shanghai(shanghai: Audit) -> None:
    w, e = row(shanghai, "street", "W"), row(shanghai, "street", "E")
    assert (w["a5_value"], w["a5_gap"], w["a5_met"]) == (300, 700, False)
    assert (e["a5_value"], e["a5_gap"]) == (0, 1000)


def test_missing_optional_column_is_not_assessed(tmp_path: Path) -> None:
    audit = _audit(
        tmp_path,
        "shanghai",
        tuple(c for c in COLUMNS if c not in ("social_workers", "meals_per_day")),
    )
    w = row(audit, "street", "W")
    assert w["a3_status"] == "not assessed: the facility tables have no social_workers column"
    assert pd.isna(w["a3_met"])
    assert w["a5_status"].startswith("not assessed")
    cat = audit.catalogue.set_index("id")
    assert cat.loc["A3", "district_status"].startswith("not assessed")


def test_missing_floor_area_column_leaves_s2_not_assessed(tmp_path: Path) -> None:
    audit = _audit(tmp_path, "shanghai", tuple(c for c in COLUMNS if c != "floor_area_m2"))
    reason = "not assessed: the facility tables have no floor_area_m2 column"
    for level in ("community", "street", "district"):
        table = audit.indicators[level]
        assert (table["s2_status"] == reason).all(), level
        assert table["s2_met"].isna().all()
        assert table["s2_value"].isna().all()
        assert table["floor_area_per_1000"].isna().all(), level  # unknown, not 0 m²
    assert audit.catalogue.set_index("id").loc["S2", "district_status"] == reason
    assert "S2" not in " ".join(audit.underserved["failed"])
    # S1 and the other indicators are still assessed
    assert row(audit, "street", "W")["s1_status"] in ("met", "not met")


def test_missing_bed_columns_leave_a1_and_a2_not_assessed(tmp_path: Path) -> None:
    audit = _audit(
        tmp_path, "shanghai", tuple(c for c in COLUMNS if c not in ("beds", "nursing_beds"))
    )
    w = row(audit, "street", "W")
    assert w["a1_status"] == "not assessed: the facility tables have no beds or nursing_beds column"
    assert w["a2_status"] == "not assessed: the facility tables have no beds column"
    assert w["s2_status"] in ("met", "not met")  # floor area is still there


def test_missing_nursing_beds_column_leaves_only_a1_not_assessed(tmp_path: Path) -> None:
    audit = _audit(tmp_path, "shanghai", tuple(c for c in COLUMNS if c != "nursing_beds"))
    d = row(audit, "district", "district")
    assert d["a1_status"] == "not assessed: the facility tables have no nursing_beds column"
    assert d["a2_value"] == pytest.approx(150 / d["older_residents"])


def test_disabled_indicators_are_absent(shanghai: Audit) -> None:
    assert "s5_value" not in shanghai.indicators["street"]  # S5 is off in the shanghai plan
    cat = shanghai.catalogue.set_index("id")
    assert cat.loc["S5", "district_status"] == "disabled in the profile"


def test_underserved_rows_name_every_failed_indicator(shanghai: Audit) -> None:
    under = shanghai.underserved.set_index("code")
    ws = under.loc["W-S"]
    assert set(ws["failed"].split()) >= {"S4", "S8"}
    assert "S4 城市社区养老站点覆盖率" in ws["reason_zh"]
    assert "S4 urban communities with a station or day care" in ws["reason_en"]
    assert ws["failed_count"] == len(ws["failed"].split())


def _two_files(folder: Path, moved: tuple[str, ...], drop: tuple[str, ...]) -> Audit:
    """The shanghai audit with the ``moved`` facilities in a second file lacking ``drop``."""
    study = write_mini_study(
        folder, MiniDistrict(facilities=FACILITIES, profile="shanghai", facility_columns=COLUMNS)
    )
    table = pd.read_csv(folder / "facilities.csv", dtype=str, keep_default_na=False)
    second = table["id"].isin(moved)
    table[~second].to_csv(folder / "facilities.csv", index=False)
    table[second].drop(columns=list(drop)).to_csv(folder / "more.csv", index=False)
    text = study.read_text(encoding="utf-8").replace(
        'facilities = "facilities.csv"', 'facilities = ["facilities.csv", "more.csv"]'
    )
    study.write_text(text, encoding="utf-8")
    return audit_study(load_study(study))


def _columns(audit: Audit, level: str, *prefixes: str) -> pd.DataFrame:
    table = audit.indicators[level]
    return table[[c for c in table.columns if c.startswith(prefixes)]]


def test_meal_point_file_without_beds_leaves_a1_and_a2_as_they_were(
    shanghai: Audit, tmp_path: Path
) -> None:
    audit = _two_files(tmp_path, ("M1",), ("beds", "nursing_beds"))
    assert audit.facilities.set_index("id").loc["M1", ["beds", "nursing_beds"]].isna().all()
    for level in ("street", "district"):
        pd.testing.assert_frame_equal(
            _columns(audit, level, "a1_", "a2_"), _columns(shanghai, level, "a1_", "a2_")
        )
    assert row(audit, "district", "district")["a1_value"] == pytest.approx(100 / 150)


def test_institution_of_unknown_beds_leaves_only_its_street_not_assessed(
    shanghai: Audit, tmp_path: Path
) -> None:
    audit = _two_files(tmp_path, ("I2",), ("beds", "nursing_beds"))
    e, w = row(audit, "street", "E"), row(audit, "street", "W")
    assert e["a1_status"] == (
        "not assessed: beds or nursing_beds unknown for 1 facility "
        "(more.csv has no beds or nursing_beds column)"
    )
    assert pd.isna(e["a1_value"]) and pd.isna(e["a1_met"]) and pd.isna(e["a1_gap"])
    assert (
        e["a2_status"] == "not assessed: beds unknown for 1 facility (more.csv has no beds column)"
    )
    assert pd.isna(e["a2_community_value"])
    assert (w["a1_value"], w["a1_met"], w["a1_gap"]) == (0.6, False, 10)
    assert w["a2_value"] == row(shanghai, "street", "W")["a2_value"]
    assert row(audit, "district", "district")["a1_status"].startswith("not assessed: beds")


def test_meal_point_of_unknown_area_leaves_s2_not_assessed_where_it_counts(
    shanghai: Audit, tmp_path: Path
) -> None:
    audit = _two_files(tmp_path, ("M1",), ("floor_area_m2",))
    com = audit.indicators["community"]
    where = com.loc[com["s2_status"].str.startswith("not assessed")].index.tolist()
    assert where == ["W-N"]  # M1 at (400, 600)
    assert com.loc["W-N", "s2_status"] == (
        "not assessed: floor_area_m2 unknown for 1 facility (more.csv has no floor_area_m2 column)"
    )
    assert pd.isna(com.loc["W-N", "floor_area_m2"])  # unknown, not 0 m²
    assert pd.isna(com.loc["W-N", "floor_area_per_1000"])
    before = shanghai.indicators["community"]
    assert com.loc["W-S", "s2_value"] == before.loc["W-S", "s2_value"]
    assert com.loc["W-S", "floor_area_m2"] == before.loc["W-S", "floor_area_m2"] == 100.0  # C1
    assert row(audit, "street", "E")["s2_value"] == row(shanghai, "street", "E")["s2_value"]
    assert pd.isna(row(audit, "street", "W")["s2_value"])
    assert row(audit, "district", "district")["s2_status"].startswith("not assessed")


@pytest.mark.parametrize(
    "unrated",
    ["", "无", "None", "未评级", "未评定", "暂无", "无星级", "0星", "-", "—", "0", " 未评级 "],
)
def test_a6_unrated_words_do_not_count_as_a_rating(unrated: str) -> None:
    fac = pd.DataFrame(
        {"type": "institution", "street": "W", "community": "W-S", "rating": ["三星级", unrated]}
    )
    ctx = IndicatorContext(
        cells=pd.DataFrame(),
        facilities=fac,
        communities=pd.DataFrame(),
        streets=pd.DataFrame(),
        coverage={"street": pd.DataFrame(index=pd.Index(["W"]))},
        attribute_columns=frozenset({"rating"}),
    )
    spec = IndicatorSpec("A6", True, 1.0, ("institution",))
    out = REGISTRY["A6"].formula(ctx, spec, "street")
    assert (out.loc["W", "value"], out.loc["W", "gap"]) == (0.5, 1.0)
