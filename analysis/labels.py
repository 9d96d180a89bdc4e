"""Bilingual column labels (Chinese first, English second) for tables and spreadsheets."""

from __future__ import annotations

#: Column -> (Chinese, English, number format for XLSX).
COLUMN_LABELS: dict[str, tuple[str, str, str]] = {
    "rank": ("排序", "rank", "0"),
    "code": ("代码", "code", "@"),
    "name": ("名称", "name", "@"),
    "street": ("所属街道/镇", "street/town", "@"),
    "kind": ("类型", "kind", "@"),
    "residents": ("常住人口", "residents", "#,##0"),
    "older_residents": ("老年人口", "older residents", "#,##0"),
    "older_covered": ("圈内老年人", "older residents covered", "#,##0"),
    "older_covered_share": ("老年人覆盖率", "older covered share", "0.0%"),
    "residents_covered": ("圈内人口", "residents covered", "#,##0"),
    "residents_covered_share": ("人口覆盖率", "residents covered share", "0.0%"),
    "older_uncovered": ("未覆盖老年人", "older residents not covered", "#,##0"),
    "older_unreachable": ("无法到达路网的老年人", "older residents off the network", "#,##0"),
    "circle_facilities": ("社区养老设施数", "community elder-care facilities", "0"),
    "floor_area_m2": ("养老设施面积(m²)", "elder-care floor area (m²)", "#,##0"),
    "floor_area_per_1000": ("每千人面积(m²)", "floor area per 1,000 residents (m²)", "0.0"),
    "s1_value": ("S1 15分钟圈覆盖率", "S1 circle share", "0.0%"),
    "s1_target": ("S1 目标", "S1 target", "0%"),
    "s1_met": ("S1 达标", "S1 met", "@"),
    "s1_gap_older": ("S1 差距(老年人)", "S1 gap (older residents)", "#,##0"),
    "s2_value": ("S2 每千人面积", "S2 m² per 1,000", "0.0"),
    "s2_target": ("S2 目标", "S2 target", "0"),
    "s2_met": ("S2 达标", "S2 met", "@"),
    "s2_gap_m2": ("S2 缺口(m²)", "S2 gap (m²)", "#,##0"),
    "failed": ("未达标指标", "failed indicators", "@"),
    "reason_zh": ("原因", "reason (Chinese)", "@"),
    "reason_en": ("Reason", "reason (English)", "@"),
}


def label(column: str) -> tuple[str, str, str]:
    """Return (Chinese, English, number format) of a column; the name itself when unknown."""
    return COLUMN_LABELS.get(column, (column, column, "General"))
