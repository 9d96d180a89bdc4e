"""Spatial indicators S1–S9: they need the network, the cells or the unit polygons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecircle.analysis.indicators.base import (
    IndicatorContext,
    mark_unknown,
    needs_columns,
    not_assessed,
    result,
)
from carecircle.analysis.indicators.registry import CellWalk, FacilityWalk, Indicator, Param
from carecircle.profiles import IndicatorSpec


def _older_share(
    ctx: IndicatorContext, level: str, column: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Older residents, those covered by ``column`` and the share, per unit."""
    cells = ctx.cells
    key = ctx.key(cells, level)
    older = cells["older_residents"].groupby(key).sum()
    covered = cells["older_residents"].where(cells[column], 0.0).groupby(key).sum()
    units = ctx.units(level)
    older = older.reindex(units, fill_value=0.0)
    covered = covered.reindex(units, fill_value=0.0)
    share = (covered / older).where(older > 0)
    return older, covered, share


def _share_indicator(
    ctx: IndicatorContext, spec: IndicatorSpec, level: str, column: str
) -> pd.DataFrame:
    older, covered, share = _older_share(ctx, level, column)
    target = float(spec.target if spec.target is not None else 1.0)
    gap = np.maximum(np.ceil(target * older - covered - 1e-6), 0.0)
    return result(
        older.index,
        share,
        target,
        share.isna() | (share >= target - 1e-9),
        gap,
        applicable=older > 0,
    )


def s1_service_circle(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame:
    """S1: share of older residents within the walk of community elder-care (15分钟养老服务圈).

    Gap: older residents to bring into the circle. Units with no older residents: not
    applicable.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    return _share_indicator(ctx, spec, level, "covered")


def s2_floor_area(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame:
    """S2: community elder-care floor area per 1,000 residents (m²); gap in m² missing.

    Not assessed when the facility tables have no ``floor_area_m2`` column, and in the units
    holding a counted facility of unknown floor area (its table lacks the column).

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    missing = needs_columns(ctx, spec, level, "floor_area_m2")
    if missing is not None:
        return missing
    residents = ctx.cells["residents"].groupby(ctx.key(ctx.cells, level)).sum()
    residents = residents.reindex(ctx.units(level), fill_value=0.0)
    area = ctx.sum_of("floor_area_m2", spec.facility_types, level)
    per_1000 = (area / residents * 1000.0).where(residents > 0)
    target = float(spec.target or 0.0)
    gap = np.maximum(target * residents / 1000.0 - area, 0.0).round(1)
    out = result(
        residents.index, per_1000, target, per_1000 >= target - 1e-9, gap, applicable=residents > 0
    )
    return mark_unknown(ctx, out, level, ("floor_area_m2",), spec.facility_types)


def _per_street_count(
    ctx: IndicatorContext, spec: IndicatorSpec, level: str
) -> pd.DataFrame | None:
    """At least ``target`` facilities of the types per street; the district: share of streets."""
    target = float(spec.target or 1.0)
    if level == "community":
        return None
    per_street = ctx.count(spec.facility_types, "street")
    if level == "street":
        return result(
            per_street.index,
            per_street,
            target,
            per_street >= target,
            np.maximum(target - per_street, 0.0),
        )
    ok = (per_street >= target).to_numpy()
    share = ok.mean() if ok.size else np.nan
    return result(ctx.units("district"), [share], 1.0, [bool(ok.all())], [float((~ok).sum())])


def s3_comprehensive_centre(
    ctx: IndicatorContext, spec: IndicatorSpec, level: str
) -> pd.DataFrame | None:
    """S3: each street/town has ≥ 1 comprehensive centre.

    The district value is the share of streets that have one, the gap the streets without.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    return _per_street_count(ctx, spec, level)


def s6_rental_point(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame | None:
    """S6: each street/town has ≥ 1 assistive-device rental point (康复辅具租赁点).

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    return _per_street_count(ctx, spec, level)


def _community_share(
    ctx: IndicatorContext, spec: IndicatorSpec, level: str, kind: str, served: pd.Series
) -> pd.DataFrame:
    """Share of communities of ``kind`` that are ``served`` (a boolean per community)."""
    if ctx.boundary_mode == "streets":  # each street stands for one community: no share
        return not_assessed(ctx.units(level), float(spec.target or 1.0), "communities not given")
    com = ctx.communities.set_index("code")
    mask = (com["kind"] == kind).reindex(served.index, fill_value=False)
    target = float(spec.target or 1.0)
    if level == "community":
        return result(
            served.index,
            served.astype(float),
            1.0,
            served,
            (~served).astype(float),
            applicable=mask,
        )
    key = com["street"] if level == "street" else pd.Series("district", index=com.index)
    frame = pd.DataFrame({"unit": key, "served": served & mask, "n": mask})
    sums = frame.groupby("unit")[["served", "n"]].sum().reindex(ctx.units(level), fill_value=0)
    share = (sums["served"] / sums["n"]).where(sums["n"] > 0)
    gap = np.maximum(np.ceil(target * sums["n"] - 1e-9) - sums["served"], 0.0)
    return result(share.index, share, target, share >= target - 1e-9, gap, applicable=sums["n"] > 0)


def s4_urban_stations(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame:
    """S4: share of urban communities with a station or day-care centre.

    A community counts when one lies inside it, or when at least ``min_share`` (default 50 %)
    of its older residents are within the walk of one.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    inside = ctx.count(spec.facility_types, "community") > 0
    _, _, share = _older_share(ctx, "community", "covered_S4")
    served = inside | (share.fillna(0.0) >= float(spec.param("min_share")))
    return _community_share(ctx, spec, level, "urban", served)


def s5_rural_homes(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame:
    """S5: share of villages with a rural mutual-aid home (农村幸福院) inside.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    served = ctx.count(spec.facility_types, "community") > 0
    return _community_share(ctx, spec, level, "rural", served)


def s7_health_colocation(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame:
    """S7: share of elder-care stations/centres next to a health centre or station.

    Next to: within ``threshold_m`` (default 300 m) of walking distance; gap: sites without.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    fac = ctx.facilities[
        ctx.facilities["type"].isin(spec.facility_types)
        & ctx.facilities["health_distance_m"].notna()
    ]
    near = fac["health_distance_m"] <= float(spec.param("threshold_m"))
    key = ctx.key(fac, level)
    n = fac.groupby(key).size().reindex(ctx.units(level), fill_value=0)
    ok = near.groupby(key).sum().reindex(ctx.units(level), fill_value=0)
    share = (ok / n).where(n > 0)
    target = float(spec.target or 1.0)
    gap = np.maximum(np.ceil(target * n - 1e-9) - ok, 0.0)
    return result(share.index, share, target, share >= target - 1e-9, gap, applicable=n > 0)


def s8_meal_walk(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame:
    """S8: share of older residents within the meal-point walk (default 10 minutes).

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    return _share_indicator(ctx, spec, level, "covered_S8")


def s9_dementia_care(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame | None:
    """S9: at least ``target`` (default 1) dementia care units in the district.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators.
    spec : IndicatorSpec
        The indicator's settings in the profile.
    level : str
        ``community``, ``street`` or ``district``.
    """
    if level != "district":
        return None
    count = ctx.count(spec.facility_types, "district")
    target = float(spec.target or 1.0)
    return result(count.index, count, target, count >= target, np.maximum(target - count, 0))


_SHARE = (0.0, 1.0)
_TYPES = Param("facility_types", "types")

#: The spatial indicators, in table order.
SPATIAL: tuple[Indicator, ...] = (
    Indicator(
        "S1",
        "15分钟养老服务圈覆盖率",
        "older residents within the service circle",
        "share",
        "older residents",
        s1_service_circle,
        counts_types=False,
        target_range=_SHARE,
        display="share",
    ),
    Indicator(
        "S2",
        "每千人社区养老设施面积",
        "elder-care floor area per 1,000 residents",
        "m²/1,000",
        "m²",
        s2_floor_area,
        params=(_TYPES,),
        needs_columns=("floor_area_m2",),
    ),
    Indicator(
        "S3",
        "街道/镇综合为老服务中心",
        "comprehensive centre in the street/town",
        "centres",
        "centres",
        s3_comprehensive_centre,
        default_types=("comprehensive_centre",),
        params=(_TYPES,),
    ),
    Indicator(
        "S4",
        "城市社区养老站点覆盖率",
        "urban communities with a station or day care",
        "share",
        "communities",
        s4_urban_stations,
        default_types=("service_station", "day_care"),
        params=(_TYPES, Param("min_share", "number", 0.5, 0.0, 1.0)),
        target_range=_SHARE,
        walks=(CellWalk(),),
        display="share",
    ),
    Indicator(
        "S5",
        "农村幸福院覆盖率",
        "villages with a rural mutual-aid home",
        "share",
        "villages",
        s5_rural_homes,
        default_types=("rural_mutual_aid",),
        params=(_TYPES,),
        target_range=_SHARE,
        display="share",
    ),
    Indicator(
        "S6",
        "康复辅具租赁点",
        "assistive-device rental point in the street/town",
        "points",
        "points",
        s6_rental_point,
        default_types=("rehab_rental",),
        params=(_TYPES,),
    ),
    Indicator(
        "S7",
        "医养结合(同址或邻近)",
        "elder-care sites next to a health facility",
        "share",
        "sites",
        s7_health_colocation,
        default_types=("comprehensive_centre", "day_care", "service_station"),
        params=(
            _TYPES,
            Param("health_types", "types", ("health_centre", "health_station")),
            Param("threshold_m", "number", 300.0, 0.0, 5000.0),
        ),
        target_range=_SHARE,
        walks=(FacilityWalk("health_distance_m", "health_types", "threshold_m"),),
        display="share",
    ),
    Indicator(
        "S8",
        "助餐服务覆盖率",
        "older residents within the meal-point walk",
        "share",
        "older residents",
        s8_meal_walk,
        default_types=("meal_point",),
        params=(_TYPES, Param("minutes", "number", 10.0, 0.0, 120.0)),
        target_range=_SHARE,
        walks=(CellWalk("minutes"),),
        display="share",
    ),
    Indicator(
        "S9",
        "认知障碍照护机构",
        "dementia care units in the district",
        "units",
        "units",
        s9_dementia_care,
        default_types=("dementia_unit",),
        params=(_TYPES,),
    ),
)
