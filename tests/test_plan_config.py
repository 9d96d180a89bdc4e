"""The profile's [plan]: yearly counts of new facilities and indicator targets."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from plans_fixtures import PLAN, plan_profile_text

from carecircle.analysis.year_filter import check_plan
from carecircle.errors import ProfileError
from carecircle.plan_config import plan_from_dict
from carecircle.profiles import load_profile

P = Path("plan.toml")


def _plan(text: str):
    return plan_from_dict(tomllib.loads(text)["plan"], path=P)


def test_plan_is_read_with_chinese_type_names(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(plan_profile_text(), encoding="utf-8")
    profile = load_profile("p.toml", base=tmp_path)
    plan = profile.yearly
    assert plan.years == (2024, 2025) and plan.baseline_year == 2023
    meal = next(t for t in plan.new_facilities if t.facility_type == "meal_point")  # 助餐点
    assert meal.counting == "cumulative" and meal.by_year == ((2025, 2),)
    station = next(t for t in plan.new_facilities if t.facility_type == "service_station")
    assert station.target(2024) == 1 and station.target(2023) is None
    assert plan.indicator("S1").by_year == ((2024, 0.3), (2025, 0.5))
    assert hash(profile)  # the profile stays hashable (frozen) with its plan
    check_plan(profile)


def test_profiles_without_plan_are_unchanged() -> None:
    assert load_profile("generic").yearly is None
    assert load_profile("yangzhou").yearly.new_facilities[0].by_year == (
        (2024, 35),
        (2025, 40),
        (2026, 43),
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "[plan]\nyears = [2024, 2025]\n[plan.new_facilities.meal_station]\n2024 = 3\n",
            "'meal_station' is not a known facility type",
        ),
        (
            "[plan]\nyears = [2024, 2025]\n[plan.new_facilities.meal_point]\n2027 = 3\n",
            "[plan.new_facilities.meal_point] 2027 is outside the plan years 2024–2025",
        ),
        ("[plan]\nyears = [2025, 2024]\n", "must be distinct and ascending"),
        ("[plan]\nyear = [2025]\n", "unknown key 'year' (did you mean 'years'?)"),
        (
            "[plan]\nyears = [2024]\n[plan.new_facilities.meal_point]\n2024 = 2.5\n",
            "2024 = 2.5 must be a whole number",
        ),
        (
            "[plan]\nyears = [2024]\n[plan.new_facilities.meal_point]\n2024 = 2\n"
            "counting = 'total'\n",
            "counting = 'total'; allowed: per_year",
        ),
        ("[plan]\nyears = [2024]\nbaseline_year = 2024\n", "must be before the first plan year"),
    ],
)
def test_bad_plans_are_refused(text: str, words: str) -> None:
    with pytest.raises(ProfileError) as err:
        _plan(text)
    assert words in str(err.value)
    assert str(err.value).startswith("plan.toml: ")


def test_indicator_targets_need_a_known_enabled_indicator(tmp_path: Path) -> None:
    for extra, words in (
        ("[plan.indicators.S99]\n2024 = 1\n", "[plan.indicators.S99]: unknown indicator"),
        ("[plan.indicators.S5]\n2024 = 0.5\n", "indicator S5 is off in this profile"),
    ):
        (tmp_path / "p.toml").write_text(plan_profile_text(PLAN + extra), encoding="utf-8")
        with pytest.raises(ProfileError, match=words.replace("[", r"\[").replace("]", r"\]")):
            check_plan(load_profile("p.toml", base=tmp_path))
