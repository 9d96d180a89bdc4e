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

#: Community kinds: urban community (社区) or rural village (村).
COMMUNITY_KINDS: dict[str, tuple[str, str]] = {
    "urban": ("社区", "urban community"),
    "rural": ("村", "rural village"),
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
