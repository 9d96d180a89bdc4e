"""The facility-type vocabulary of the plans, with Chinese and English labels."""

from __future__ import annotations

#: Facility type code -> (Chinese label, English label).
FACILITY_TYPES: dict[str, tuple[str, str]] = {
    "comprehensive_centre": ("综合为老服务中心", "comprehensive elder-care centre"),
    "day_care": ("日间照料中心", "day-care centre"),
    "service_station": ("养老服务站", "neighbourhood elder-care station"),
    "embedded_care": ("长者照护之家", "embedded residential care"),
    "meal_point": ("助餐点/长者食堂", "meal point / elder canteen"),
    "rural_mutual_aid": ("农村幸福院", "rural mutual-aid home"),
    "institution": ("养老机构", "residential care institution"),
    "rehab_rental": ("康复辅具租赁点", "assistive-device rental point"),
    "dementia_unit": ("认知障碍照护单元", "dementia care unit"),
    "health_centre": ("社区卫生服务中心", "community health centre"),
    "health_station": ("社区卫生服务站", "community health station"),
}

#: Other names planners use for the types (Chinese labels, common synonyms) -> type code.
TYPE_ALIASES: dict[str, str] = {
    **{zh: code for code, (zh, _) in FACILITY_TYPES.items()},
    "综合为老服务中心": "comprehensive_centre", "综合养老服务中心": "comprehensive_centre",
    "区域性养老服务中心": "comprehensive_centre", "日间照护中心": "day_care",
    "家门口养老服务站": "service_station", "养老服务站点": "service_station",
    "嵌入式养老机构": "embedded_care", "助餐点": "meal_point", "长者食堂": "meal_point",
    "老年食堂": "meal_point", "互助养老睦邻点": "rural_mutual_aid", "养老院": "institution",
    "敬老院": "institution", "护理院": "institution", "认知症照护专区": "dementia_unit",
}

#: Community kinds: urban community (社区) or rural village (村).
COMMUNITY_KINDS: dict[str, tuple[str, str]] = {
    "urban": ("社区", "urban community"),
    "rural": ("村", "rural village"),
}


#: Other words for the community kinds -> kind.
KIND_ALIASES: dict[str, str] = {
    "社区": "urban", "居委会": "urban", "居民区": "urban", "城市": "urban", "城镇": "urban",
    "村": "rural", "村委会": "rural", "农村": "rural", "行政村": "rural",
}


def facility_label(code: str) -> str:
    """Return the bilingual label of a facility type, e.g. ``养老服务站 neighbourhood ...``.

    Parameters
    ----------
    code : str
        A key of :data:`FACILITY_TYPES`.

    Returns
    -------
    str
        ``"<Chinese> <English>"``, or the code itself when it is not in the vocabulary.
    """
    zh, en = FACILITY_TYPES.get(code, (code, ""))
    return f"{zh} {en}".strip()
