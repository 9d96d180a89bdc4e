"""Standards indicators, one function per ID (STANDARDS.md), registered under that ID."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from carecircle.profiles import IndicatorSpec, Profile

IndicatorFn = Callable[[pd.DataFrame, IndicatorSpec], pd.DataFrame]

#: Indicator ID -> function adding ``<id>_value, <id>_target, <id>_met, <id>_gap`` columns.
INDICATORS: dict[str, IndicatorFn] = {}


def indicator(indicator_id: str) -> Callable[[IndicatorFn], IndicatorFn]:
    """Register an indicator function under its STANDARDS.md ID."""

    def register(fn: IndicatorFn) -> IndicatorFn:
        INDICATORS[indicator_id] = fn
        return fn

    return register


@indicator("S1")
def s1_service_circle(table: pd.DataFrame, spec: IndicatorSpec) -> pd.DataFrame:
    """S1: share of older residents within the walk of community elder-care (15分钟养老服务圈).

    Value: ``older_covered_share``; gap: older residents to add to the circle to reach the
    target. Units where nobody older lives meet it trivially.

    Parameters
    ----------
    table : DataFrame
        A coverage table (:mod:`carecircle.analysis.coverage`).
    spec : IndicatorSpec
        The profile's S1 target (a share, 0–1).

    Returns
    -------
    DataFrame
        ``s1_value, s1_target, s1_met, s1_gap_older``.
    """
    target = float(spec.target or 1.0)
    value = table["older_covered_share"]
    needed = np.ceil(target * table["older_residents"] - table["older_covered"] - 1e-6)
    return pd.DataFrame({
        "s1_value": value,
        "s1_target": target,
        "s1_met": value.isna() | (value >= target - 1e-9),
        "s1_gap_older": np.maximum(needed, 0.0),
    }, index=table.index)


@indicator("S2")
def s2_floor_area(table: pd.DataFrame, spec: IndicatorSpec) -> pd.DataFrame:
    """S2: community elder-care floor area per 1,000 residents (m²).

    Value: ``floor_area_per_1000``; gap: floor area missing to reach the target (m²).

    Parameters
    ----------
    table : DataFrame
        A coverage table.
    spec : IndicatorSpec
        The profile's S2 target (m² per 1,000 residents).

    Returns
    -------
    DataFrame
        ``s2_value, s2_target, s2_met, s2_gap_m2``.
    """
    target = float(spec.target or 0.0)
    value = table["floor_area_per_1000"]
    missing = target * table["residents"] / 1000.0 - table["floor_area_m2"]
    return pd.DataFrame({
        "s2_value": value,
        "s2_target": target,
        "s2_met": value.isna() | (value >= target - 1e-9),
        "s2_gap_m2": np.maximum(missing, 0.0).round(1),
    }, index=table.index)


def with_indicators(table: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Add the columns of every indicator the profile enables.

    Parameters
    ----------
    table : DataFrame
        A coverage table.
    profile : Profile
        The standards profile.

    Returns
    -------
    DataFrame
        ``table`` with the indicator columns appended.
    """
    parts = [table]
    for indicator_id, fn in INDICATORS.items():
        spec = profile.indicator(indicator_id)
        if spec.enabled:
            parts.append(fn(table, spec))
    return pd.concat(parts, axis=1)
