"""The facility-type vocabulary of the plans, with Chinese and English labels."""

from __future__ import annotations

import re

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
    "综合为老服务中心": "comprehensive_centre",
    "综合养老服务中心": "comprehensive_centre",
    "区域性养老服务中心": "comprehensive_centre",
    "日间照护中心": "day_care",
    "家门口养老服务站": "service_station",
    "养老服务站点": "service_station",
    "嵌入式养老机构": "embedded_care",
    "助餐点": "meal_point",
    "长者食堂": "meal_point",
    "老年食堂": "meal_point",
    "互助养老睦邻点": "rural_mutual_aid",
    "养老院": "institution",
    "敬老院": "institution",
    "护理院": "institution",
    "认知症照护专区": "dementia_unit",
    "助餐点/社区长者食堂": "meal_point",
    "社区长者食堂": "meal_point",
    "社区食堂": "meal_point",
    "老年助餐点": "meal_point",
    "老年人助餐点": "meal_point",
    "社区助餐点": "meal_point",
    "助餐服务点": "meal_point",
    "长者饭堂": "meal_point",
    "老年人食堂": "meal_point",
}

#: Carecircle's facility columns -> other headers planners use for them (Chinese, English,
#: Amap/Excel exports), in order of preference when a file has several of them. The first
#: alias is the Chinese header suggested when a Chinese table lacks the column.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "设施编号", "序号", "code", "facility_id"),
    "name": ("名称", "设施名称", "机构名称", "站点名称", "facility_name"),
    "type": ("类型", "设施类型", "机构类型", "facility_type", "category"),
    "lon": ("经度", "longitude", "lng", "long"),  # no bare x/y: GIS exports hold metres there
    "lat": ("纬度", "latitude"),
    "floor_area_m2": ("建筑面积", "面积", "服务面积", "floor_area", "area", "area_m2"),
    "beds": ("床位数", "床位", "床位数量", "总床位", "bed"),
    "nursing_beds": ("护理床位数", "护理床位", "护理型床位", "护理型床位数", "nursing_bed"),
    "street": ("街道", "街道/镇", "街镇", "所属街道", "乡镇"),
    "community": ("社区", "社区/村", "村居", "所属社区", "居委会"),
    "social_workers": ("社工", "社工人数", "社会工作者", "社会工作者人数"),
    "meals_per_day": ("日供餐", "日供餐量", "日均供餐", "供餐能力"),
    "medical_care": ("医养结合", "医疗服务"),
    "rating": ("等级", "星级", "评定等级", "等级评定"),
}

#: Community kinds: urban community (社区) or rural village (村).
COMMUNITY_KINDS: dict[str, tuple[str, str]] = {
    "urban": ("社区", "urban community"),
    "rural": ("村", "rural village"),
}


#: Other words for the community kinds -> kind.
KIND_ALIASES: dict[str, str] = {
    "社区": "urban",
    "居委会": "urban",
    "居民区": "urban",
    "城市": "urban",
    "城镇": "urban",
    "村": "rural",
    "村委会": "rural",
    "农村": "rural",
    "行政村": "rural",
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


def facility_type_code(name: str) -> str | None:
    """Return the type code a facility table's type cell means, or None when unknown.

    Accepts the codes in any case (``Service_Station``, ``service station``), the Chinese
    labels and :data:`TYPE_ALIASES` (half- or full-width slashes, spaces around them), and
    compound labels whose parts all mean one type (``助餐点、长者食堂``).

    Parameters
    ----------
    name : str
        The cell, e.g. ``"助餐点／社区长者食堂"``.

    Returns
    -------
    str or None
        A key of :data:`FACILITY_TYPES`, e.g. ``"meal_point"``.
    """
    text = re.sub(r"\s*[/／]\s*", "/", str(name).strip())
    code = re.sub(r"[\s\-]+", "_", text.lower())
    if code in FACILITY_TYPES:
        return code
    if text in TYPE_ALIASES:
        return TYPE_ALIASES[text]
    parts = {TYPE_ALIASES.get(part.strip()) for part in re.split(r"[/、,，]", text)}
    return parts.pop() if len(parts) == 1 and None not in parts else None


def facility_types_text() -> str:
    """Return the allowed facility types, Chinese label then code: ``养老服务站 service_station``.

    Returns
    -------
    str
        Comma-separated, in vocabulary order.
    """
    return ", ".join(f"{zh} {code}" for code, (zh, _) in FACILITY_TYPES.items())


#: Verdicts of the ``*_status`` columns -> Chinese; ``not assessed: <reason>`` by its prefix.
STATUS_ZH: dict[str, str] = {
    "met": "达标",
    "not met": "未达标",
    "not applicable": "不适用",
    "not assessed": "未评估",
    "disabled in the profile": "未启用",
}


def status_label(status: str) -> str:
    """Return an indicator verdict in Chinese and English, e.g. ``未达标 not met``.

    Parameters
    ----------
    status : str
        A ``<id>_status`` value: ``met``, ``not met``, ``not applicable``,
        ``not assessed: <reason>`` or ``disabled in the profile``.

    Returns
    -------
    str
        ``"<Chinese> <English>"``; the text itself when it is not a known verdict.
    """
    head = status.split(":", 1)[0]
    zh = STATUS_ZH.get(head)
    return f"{zh} {status}" if zh else status


def kind_label(kind: str) -> str:
    """Return a community kind in Chinese and English: ``社区 urban`` or ``村 rural``."""
    zh = COMMUNITY_KINDS.get(kind, ("", ""))[0]
    return f"{zh} {kind}" if zh else kind
