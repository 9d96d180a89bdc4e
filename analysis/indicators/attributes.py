"""Facility-attribute indicators A1–A6, aggregated per street/town and for the district."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecircle.analysis.indicators.base import (
    IndicatorContext,
    mark_unknown,
    needs_columns,
    result,
)
from carecircle.analysis.indicators.registry import Indicator, Param
from carecircle.profiles import IndicatorSpec


def _older(ctx: IndicatorContext, level: str) -> pd.Series:
    older = ctx.cells["older_residents"].groupby(ctx.key(ctx.cells, level)).sum()
    return older.reindex(ctx.units(level), fill_value=0.0)


def a1_nursing_beds(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame | None:
    """A1: nursing-type beds as a share of institution beds; gap: nursing beds missing.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    if level == "community":
        return None
    missing = needs_columns(ctx, spec, level, "beds", "nursing_beds")
    if missing is not None:
        return missing
    beds = ctx.sum_of("beds", spec.facility_types, level)
    nursing = ctx.sum_of("nursing_beds", spec.facility_types, level)
    share = (nursing / beds).where(beds > 0)
    target = float(spec.target or 0.0)
    gap = np.maximum(np.ceil(target * beds - nursing - 1e-9), 0.0)
    out = result(share.index, share, target, share >= target - 1e-9, gap, applicable=beds > 0)
    return mark_unknown(ctx, out, level, ("beds", "nursing_beds"), spec.facility_types)


def a2_9073(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame | None:
    """A2 (9073): institution beds ≥ 3 % of older residents and community care places ≥ 7 %.

    Value: institution beds per older resident; extra columns ``community_value`` and
    ``community_target`` give the community places; met only when both are; gap: institution
    beds missing.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    if level == "community":
        return None
    missing = needs_columns(ctx, spec, level, "beds")
    if missing is not None:
        return missing
    older = _older(ctx, level)
    beds = ctx.sum_of("beds", spec.facility_types, level)
    community_types = spec.param("community_types")
    places = ctx.sum_of("beds", tuple(community_types), level)
    target = float(spec.target or 0.03)
    c_target = float(spec.param("community_target"))
    share = (beds / older).where(older > 0)
    c_share = (places / older).where(older > 0)
    met = (share >= target - 1e-12) & (c_share >= c_target - 1e-12)
    out = result(
        share.index,
        share,
        target,
        met,
        np.maximum(np.ceil(target * older - beds - 1e-9), 0.0),
        applicable=older > 0,
    )
    out["community_value"] = c_share
    out["community_target"] = c_target
    return mark_unknown(ctx, out, level, ("beds",), (*spec.facility_types, *community_types))


def a3_social_workers(
    ctx: IndicatorContext, spec: IndicatorSpec, level: str
) -> pd.DataFrame | None:
    """A3: social workers per 1,000 older residents, per 100 beds, or share of staffed sites.

    ``per`` = older_1000 | beds_100 | facility (share of institutions/complexes with ≥ 1).

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    if level == "community":
        return None
    per = spec.param("per")
    missing = needs_columns(
        ctx, spec, level, "social_workers", *(("beds",) if per == "beds_100" else ())
    )
    if missing is not None:
        return missing
    target = float(spec.target or 1.0)
    workers = ctx.sum_of("social_workers", spec.facility_types, level)
    if per == "older_1000":
        base = _older(ctx, level) / 1000.0
    elif per == "beds_100":
        base = ctx.sum_of("beds", spec.facility_types, level) / 100.0
    else:
        fac = ctx.facilities[ctx.facilities["type"].isin(spec.facility_types)]
        staffed = (fac["social_workers"].fillna(0) >= 1).groupby(ctx.key(fac, level)).sum()
        workers = staffed.reindex(ctx.units(level), fill_value=0).astype(float)
        base = ctx.count(spec.facility_types, level)
    value = (workers / base).where(base > 0)
    gap = np.maximum(np.ceil(target * base - workers - 1e-9), 0.0)
    out = result(value.index, value, target, value >= target - 1e-9, gap, applicable=base > 0)
    return (
        mark_unknown(ctx, out, level, ("beds",), spec.facility_types) if per == "beds_100" else out
    )


def _share_of_institutions(
    ctx: IndicatorContext, spec: IndicatorSpec, level: str, flag: pd.Series
) -> pd.DataFrame:
    fac = ctx.facilities[ctx.facilities["type"].isin(spec.facility_types)]
    key = ctx.key(fac, level)
    n = fac.groupby(key).size().reindex(ctx.units(level), fill_value=0)
    ok = flag.loc[fac.index].groupby(key).sum().reindex(ctx.units(level), fill_value=0)
    share = (ok / n).where(n > 0)
    target = float(spec.target or 1.0)
    gap = np.maximum(np.ceil(target * n - 1e-9) - ok, 0.0)
    return result(share.index, share, target, share >= target - 1e-9, gap, applicable=n > 0)


def a4_medical_care(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame | None:
    """A4: share of institutions offering medical care (医养结合); needs ``medical_care``.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    if level == "community":
        return None
    missing = needs_columns(ctx, spec, level, "medical_care")
    if missing is not None:
        return missing
    return _share_of_institutions(ctx, spec, level, ctx.facilities["medical_care"].fillna(0.0) > 0)


def a5_meal_capacity(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame | None:
    """A5: meals per day of the meal points, per ``scope`` (street or district).

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    if level == "community" or level != spec.param("scope"):
        return None
    missing = needs_columns(ctx, spec, level, "meals_per_day")
    if missing is not None:
        return missing
    meals = ctx.sum_of("meals_per_day", spec.facility_types, level)
    target = float(spec.target or 0.0)
    return result(meals.index, meals, target, meals >= target, np.maximum(target - meals, 0))


#: Rating cells that mean "no rating" (lower case, spaces removed).
UNRATED = frozenset(
    {"", "nan", "none", "无", "未评级", "未评定", "暂无", "无星级", "0星", "-", "—", "0"}
)


def a6_rated_institutions(
    ctx: IndicatorContext, spec: IndicatorSpec, level: str
) -> pd.DataFrame | None:
    """A6: share of institutions with a grade or star rating (``rating`` not in :data:`UNRATED`).

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    if level == "community":
        return None
    missing = needs_columns(ctx, spec, level, "rating")
    if missing is not None:
        return missing
    text = ctx.facilities["rating"].astype(str).str.replace(r"\s+", "", regex=True).str.lower()
    return _share_of_institutions(ctx, spec, level, ~text.isin(UNRATED))


_SHARE = (0.0, 1.0)
_TYPES = Param("facility_types", "types")
_INSTITUTIONS = ("institution",)

#: The facility-attribute indicators, in table order.
ATTRIBUTES: tuple[Indicator, ...] = (
    Indicator(
        "A1",
        "护理型床位占比",
        "nursing-type share of institution beds",
        "share",
        "nursing beds",
        a1_nursing_beds,
        default_types=_INSTITUTIONS,
        params=(_TYPES,),
        target_range=_SHARE,
        needs_columns=("beds", "nursing_beds"),
        display="share",
    ),
    Indicator(
        "A2",
        "9073 机构床位占老年人比例",
        "institution beds per older resident (9073)",
        "share",
        "beds",
        a2_9073,
        default_types=_INSTITUTIONS,
        params=(
            _TYPES,
            Param("community_target", "number", 0.07, 0.0, 1.0),
            Param(
                "community_types", "types", ("day_care", "embedded_care", "comprehensive_centre")
            ),
        ),
        target_range=_SHARE,
        needs_columns=("beds",),
        display="share",
    ),
    Indicator(
        "A3",
        "社会工作者配备",
        "social workers",
        "per unit",
        "social workers",
        a3_social_workers,
        default_types=("institution", "comprehensive_centre", "embedded_care"),
        params=(
            Param("per", "choice", "older_1000", choices=("older_1000", "beds_100", "facility")),
            _TYPES,
        ),
        needs_columns=("social_workers",),
    ),
    Indicator(
        "A4",
        "养老机构医养结合覆盖率",
        "institutions offering medical care",
        "share",
        "institutions",
        a4_medical_care,
        default_types=_INSTITUTIONS,
        params=(_TYPES,),
        target_range=_SHARE,
        needs_columns=("medical_care",),
        display="share",
    ),
    Indicator(
        "A5",
        "助餐日供餐能力",
        "meal capacity per day",
        "meals/day",
        "meals/day",
        a5_meal_capacity,
        default_types=("meal_point",),
        params=(_TYPES, Param("scope", "choice", "district", choices=("street", "district"))),
        needs_columns=("meals_per_day",),
    ),
    Indicator(
        "A6",
        "养老机构等级评定覆盖率",
        "rated institutions",
        "share",
        "institutions",
        a6_rated_institutions,
        default_types=_INSTITUTIONS,
        params=(_TYPES,),
        target_range=_SHARE,
        needs_columns=("rating",),
        display="share",
    ),
)
