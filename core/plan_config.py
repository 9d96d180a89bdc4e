"""Yearly plan targets of a standards profile: the ``[plan]`` section.

A three-year action plan sets targets year by year: new facilities of a type per year
(Yangzhou, seed 004: +35 meal points in 2024, +40 in 2025, +43 in 2026) or by a year
(Zhoujiadu, seed 002: +10 meal points by 2025), and indicator values per year (nursing-bed
share ≥ 70 % in 2024, ≥ 72 % in 2025)::

    [plan]
    years = [2024, 2025, 2026]
    baseline_year = 2023            # optional; default the year before the first
    source = "seed 004 任务分解表"

    [plan.new_facilities.meal_point]
    2024 = 35
    2025 = 40
    2026 = 43
    counting = "per_year"           # or "cumulative": new since the baseline, by that year
    source = "seed 004 lines 221-226"

    [plan.indicators.A1]
    2024 = 0.70
    2025 = 0.72
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecircle._validate import closest
from carecircle.errors import ProfileError
from carecircle.vocabulary import FACILITY_TYPES, facility_type_code

COUNTINGS = ("per_year", "cumulative")
_PLAN_KEYS = ("years", "baseline_year", "source", "new_facilities", "indicators")
_TARGET_KEYS = ("source", "counting")


@dataclass(frozen=True)
class CountTarget:
    """New facilities of one type the plan asks for, by year.

    Attributes
    ----------
    facility_type : str
        Type code (``meal_point``).
    by_year : tuple of (int, int)
        ``(year, count)`` in year order.
    counting : {"per_year", "cumulative"}
        ``per_year``: new in that year; ``cumulative``: new since the baseline, by that year.
    source : str
        The plan line behind the numbers.
    """

    facility_type: str
    by_year: tuple[tuple[int, int], ...]
    counting: str = "per_year"
    source: str = ""

    def target(self, year: int) -> int | None:
        """Return the target of ``year`` (None when the plan sets none for it)."""
        return dict(self.by_year).get(year)


@dataclass(frozen=True)
class IndicatorTarget:
    """Indicator values the plan asks for, by year.

    Attributes
    ----------
    indicator : str
        Indicator ID (``S8``, ``A1``).
    by_year : tuple of (int, float)
        ``(year, target)`` in year order, in the indicator's unit.
    source : str
        The plan line behind the numbers.
    """

    indicator: str
    by_year: tuple[tuple[int, float], ...]
    source: str = ""

    def target(self, year: int) -> float | None:
        """Return the target of ``year`` (None when the plan sets none for it)."""
        return dict(self.by_year).get(year)


@dataclass(frozen=True)
class PlanTargets:
    """A profile's ``[plan]``: its years and the yearly targets.

    Attributes
    ----------
    years : tuple of int
        The plan years, ascending (2024, 2025, 2026).
    baseline_year : int
        The state before the plan (default: the year before the first plan year).
    new_facilities : tuple of CountTarget
        New facilities per type and year.
    indicators : tuple of IndicatorTarget
        Indicator targets per year.
    source : str
        The plan document.
    """

    years: tuple[int, ...]
    baseline_year: int
    new_facilities: tuple[CountTarget, ...] = ()
    indicators: tuple[IndicatorTarget, ...] = ()
    source: str = ""

    def indicator(self, indicator_id: str) -> IndicatorTarget | None:
        """Return the yearly targets of one indicator, or None."""
        return next((t for t in self.indicators if t.indicator == indicator_id), None)


def _year(value: Any, where: str, path: Path) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100:
        return value
    raise ProfileError(f"{path}: {where} = {value!r} is not a year; give four digits, e.g. 2025")


def _years(table: Mapping[str, Any], path: Path) -> tuple[int, ...]:
    value = table.get("years")
    if not isinstance(value, list) or not value:
        raise ProfileError(f"{path}: [plan] needs years, e.g. years = [2024, 2025, 2026]")
    years = tuple(_year(v, "[plan] years", path) for v in value)
    if list(years) != sorted(set(years)):
        raise ProfileError(
            f"{path}: [plan] years = {list(years)} must be distinct and ascending, "
            "e.g. years = [2024, 2025, 2026]"
        )
    return years


def _by_year(
    table: Mapping[str, Any], where: str, years: tuple[int, ...], path: Path
) -> dict[int, Any]:
    """Return the ``<year> = value`` entries of a target table, refusing non-plan years."""
    out: dict[int, Any] = {}
    for key, value in table.items():
        if key in _TARGET_KEYS:
            continue
        year = int(key) if key.isdigit() and len(key) == 4 else None
        if year is None:
            raise ProfileError(
                f"{path}: {where} has key '{key}'; give one target per plan year "
                f"({', '.join(map(str, years))} = number), source and counting"
            )
        if year not in years:
            raise ProfileError(
                f"{path}: {where} {key} is outside the plan years "
                f"{years[0]}–{years[-1]} ([plan] years); give targets for plan years only, "
                "or add the year to [plan] years"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ProfileError(f"{path}: {where} {key} = {value!r} must be a number ≥ 0")
        out[year] = value
    if not out:
        raise ProfileError(f"{path}: {where} sets no target; add e.g. {years[-1]} = 10")
    return out


def _count_target(name: str, table: Any, years: tuple[int, ...], path: Path) -> CountTarget:
    where = f"[plan.new_facilities.{name}]"
    code = facility_type_code(name) if isinstance(name, str) else None
    if code is None:
        raise ProfileError(
            f"{path}: {where}: '{name}' is not a known facility type"
            f"{closest(name, FACILITY_TYPES)}; allowed: {', '.join(FACILITY_TYPES)}"
        )
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: {where} must be a table of <year> = count")
    counts = _by_year(table, where, years, path)
    for year, value in counts.items():
        if not float(value).is_integer():
            raise ProfileError(f"{path}: {where} {year} = {value!r} must be a whole number")
    counting = table.get("counting", "per_year")
    if counting not in COUNTINGS:
        raise ProfileError(
            f"{path}: {where} counting = {counting!r}; allowed: per_year (new in that year), "
            "cumulative (new since the baseline, by that year)"
        )
    return CountTarget(
        code,
        tuple((y, int(counts[y])) for y in sorted(counts)),
        counting,
        str(table.get("source", "")),
    )


def _indicator_target(
    indicator_id: str, table: Any, years: tuple[int, ...], path: Path
) -> IndicatorTarget:
    where = f"[plan.indicators.{indicator_id}]"
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: {where} must be a table of <year> = target")
    if "counting" in table:
        raise ProfileError(f"{path}: {where} counting applies to new_facilities only; remove it")
    values = _by_year(table, where, years, path)
    return IndicatorTarget(
        indicator_id,
        tuple((y, float(values[y])) for y in sorted(values)),
        str(table.get("source", "")),
    )


def plan_from_dict(data: Any, *, path: Path) -> PlanTargets | None:
    """Validate a profile's ``[plan]`` table (None when the profile has none).

    Parameters
    ----------
    data : Any
        The parsed ``[plan]`` table, or None.
    path : Path
        The profile file, for messages.

    Returns
    -------
    PlanTargets or None
        The plan years and targets.

    Raises
    ------
    ProfileError
        For an unknown key or facility type, a year outside the plan years, or a bad number.
        Indicator IDs are checked against the indicator registry with the rest of the
        profile (``carecircle.analysis.indicators``).
    """
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: [plan] must be a table: write [plan]")
    unknown = [k for k in data if k not in _PLAN_KEYS]
    if unknown:
        raise ProfileError(
            f"{path}: [plan] has unknown key '{unknown[0]}'{closest(unknown[0], _PLAN_KEYS)}; "
            f"allowed: {', '.join(_PLAN_KEYS)}"
        )
    years = _years(data, path)
    baseline = (
        _year(data["baseline_year"], "[plan] baseline_year", path)
        if "baseline_year" in data
        else years[0] - 1
    )
    if baseline >= years[0]:
        raise ProfileError(
            f"{path}: [plan] baseline_year = {baseline} must be before the first plan year "
            f"{years[0]}"
        )
    counts, indicators = data.get("new_facilities", {}), data.get("indicators", {})
    for key, value in (("new_facilities", counts), ("indicators", indicators)):
        if not isinstance(value, dict):
            raise ProfileError(f"{path}: [plan] {key} must be a table of [plan.{key}.<name>]")
    new = tuple(_count_target(k, v, years, path) for k, v in counts.items())
    types = [t.facility_type for t in new]
    if len(set(types)) < len(types):
        dup = next(t for t in types if types.count(t) > 1)
        raise ProfileError(f"{path}: [plan.new_facilities] names type {dup} twice; merge them")
    return PlanTargets(
        years,
        baseline,
        new,
        tuple(_indicator_target(k, v, years, path) for k, v in indicators.items()),
        str(data.get("source", "")),
    )
