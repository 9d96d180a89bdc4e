"""Bilingual column labels (Chinese first, English second) for tables and spreadsheets."""

from __future__ import annotations

from carecircle.analysis.indicators import REGISTRY
from carecircle.text import plural
from carecircle.vocabulary import STATUS_ZH, kind_label, status_label  # noqa: F401 - re-exported

#: Column -> (Chinese, English, number format for XLSX).
COLUMN_LABELS: dict[str, tuple[str, str, str]] = {
    "rank": ("排序", "rank", "0"),
    "code": ("代码", "code", "@"),
    "name": ("名称", "name", "@"),
    "street": ("街道/镇代码", "street/town code", "@"),
    "street_name": ("所属街道/镇", "street/town", "@"),
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
    "failed": ("未达标指标", "failed indicators", "@"),
    "failed_count": ("未达标指标数", "number of failed indicators", "0"),
    "id": ("指标", "indicator", "@"),
    "name_zh": ("指标名称", "name (Chinese)", "@"),
    "name_en": ("Indicator", "name (English)", "@"),
    "unit": ("单位", "unit", "@"),
    "enabled": ("启用", "enabled", "@"),
    "target": ("目标", "target", "General"),
    "district_value": ("全区数值", "district value", "0.000"),
    "district_status": ("全区状态", "district status", "@"),
    "facility_types": ("计入设施类型", "facility types counted", "@"),
    "params": ("参数", "settings", "@"),
    "source": ("依据", "plan line", "@"),
    "type": ("设施类型", "facility type", "@"),
    "lon": ("经度", "longitude", "0.000000"),
    "lat": ("纬度", "latitude", "0.000000"),
    "reason_zh": ("原因", "reason (Chinese)", "@"),
    "reason_en": ("Reason", "reason (English)", "@"),
}


_PART_LABELS = {
    "value": ("", "", ""),
    "target": ("目标", "target", ""),
    "met": ("达标", "met", "@"),
    "gap": ("差距", "gap", "#,##0"),
    "status": ("状态", "status", "@"),
    "community_value": ("社区养老床位占比", "community places share", "0.0%"),
    "community_target": ("社区目标", "community target", "0%"),
}


def _indicator_label(column: str) -> tuple[str, str, str] | None:
    """Labels of ``<id>_<part>`` indicator columns, e.g. ``s4_gap``."""
    head, _, part = column.partition("_")
    ind = head.upper()
    if ind not in REGISTRY or part not in _PART_LABELS:
        return None
    definition = REGISTRY[ind]
    zh, en, unit, gap_unit = (
        definition.name_zh,
        definition.name_en,
        definition.unit,
        definition.gap_unit,
    )
    number = "0.0%" if definition.display == "share" else "#,##0.0"
    pzh, pen, fmt = _PART_LABELS[part]
    if part == "value":
        return f"{ind} {zh}", f"{ind} {en} ({unit})", number
    if part == "target":
        return f"{ind} {pzh}", f"{ind} {pen}", number
    if part == "gap":
        return f"{ind} {pzh}", f"{ind} {pen} ({gap_unit})", fmt
    return f"{ind} {pzh}", f"{ind} {pen}", fmt


def label(column: str) -> tuple[str, str, str]:
    """Return (Chinese, English, number format) of a column; the name itself when unknown."""
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    return _indicator_label(column) or (column, column, "General")


#: English unit of an indicator's gap -> (singular, Chinese measure word and noun).
GAP_UNITS: dict[str, tuple[str, str]] = {
    "older residents": ("older resident", "名老年人"),
    "m²": ("m²", "m²"),
    "centres": ("centre", "个中心"),
    "communities": ("community", "个社区"),
    "villages": ("village", "个村"),
    "points": ("point", "个租赁点"),
    "sites": ("site", "个站点"),
    "units": ("unit", "个照护单元"),
    "nursing beds": ("nursing bed", "张护理型床位"),
    "beds": ("bed", "张床位"),
    "social workers": ("social worker", "名社会工作者"),
    "institutions": ("institution", "家机构"),
    "meals/day": ("meal/day", "份餐/日"),
}


def gap_text(count: str, unit: str) -> tuple[str, str]:
    """Return an indicator's gap with its unit in Chinese and English.

    Parameters
    ----------
    count : str
        The gap as shown, e.g. ``"3,312"``.
    unit : str
        The English unit of the gap (plural), as in the indicator's ``gap_unit``, e.g. ``"sites"``.

    Returns
    -------
    tuple of str
        E.g. ``("3,312 名老年人", "3,312 older residents")``, ``("1 个站点", "1 site")``.
    """
    singular, zh = GAP_UNITS.get(unit, (unit, unit))
    return f"{count} {zh}", plural(count, singular, unit)
