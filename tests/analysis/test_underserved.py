"""The under-served list: ranking and reasons with units in Chinese and English."""

from __future__ import annotations

import pandas as pd

from carecircle.analysis.underserved import underserved_communities


def _communities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["A", "B", "C"],
            "name": ["甲社区", "乙村", "丙社区"],
            "street": ["S01", "S01", "S02"],
            "kind": ["urban", "rural", "urban"],
            "older_residents": [4668.7, 900.0, 1000.0],
            "older_uncovered": [3311.3, 0.0, 0.0],
            "older_covered_share": [0.2907, 1.0, 1.0],
            "floor_area_per_1000": [21.1, 80.0, 60.0],
            "s1_value": [0.2907, 1.0, 1.0],
            "s1_target": 1.0,
            "s1_met": [False, True, True],
            "s1_gap": [3311.6, 0.0, 0.0],
            "s2_value": [21.1, 80.0, 60.0],
            "s2_target": 50.0,
            "s2_met": [False, True, True],
            "s2_gap": [462.9, 0.0, 0.0],
            "s7_value": [0.0, 0.5, 1.0],
            "s7_target": 1.0,
            "s7_met": [False, False, True],
            "s7_gap": [1.0, 2.0, 0.0],
        }
    )


def test_reasons_give_the_gap_with_its_unit_in_both_languages() -> None:
    under = underserved_communities(_communities()).set_index("code")
    assert list(under.index) == ["A", "B"]  # C meets every target
    assert under.loc["A", "reason_zh"] == (
        "S1 15分钟养老服务圈覆盖率 29.1%（目标 100.0%，差 3,312 名老年人）；"
        "S2 每千人社区养老设施面积 21.1（目标 50.0，差 463 m²）；"
        "S7 医养结合(同址或邻近) 0.0%（目标 100.0%，差 1 个站点）"
    )
    assert under.loc["A", "reason_en"] == (
        "S1 older residents within the service circle 29.1% (target 100.0%; "
        "3,312 older residents short); "
        "S2 elder-care floor area per 1,000 residents 21.1 (target 50.0; 463 m² short); "
        "S7 elder-care sites next to a health facility 0.0% (target 100.0%; 1 site short)"
    )


def test_plural_gap_keeps_the_plural_noun() -> None:
    under = underserved_communities(_communities()).set_index("code")
    assert under.loc["B", "reason_zh"].endswith("差 2 个站点）")
    assert under.loc["B", "reason_en"].endswith("(target 100.0%; 2 sites short)")
    assert under.loc["B", "failed"] == "S7"
    assert under.loc["A", "rank"] == 1
    assert under.loc["B", "rank"] == 2
