"""Bad-input cases of issue 18 item 2 (plans year by year): status, open_year, yearly targets.

Each case runs ``carecircle audit`` on the mini district with status/open_year columns and a
profile with a ``[plan]`` for 2024–2025 (tests/plans_fixtures.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from corpus_tools import Case, set_cell
from plans_fixtures import PLAN, plan_district, plan_profile_text


def _with_plan(
    change: Callable[[Path], None] | None = None, plan: str = PLAN
) -> Callable[[Path], None]:
    """Write the plan profile beside the study, then apply ``change``."""

    def run(folder: Path) -> None:
        (folder / "plan.toml").write_text(plan_profile_text(plan), encoding="utf-8")
        if change is not None:
            change(folder)

    return run


UNKNOWN_TYPE_PLAN = PLAN + "\n[plan.new_facilities.meal_station]\n2025 = 3\n"

PLAN_CASES = [
    Case(
        "plan-status-unknown",
        "a facility status carecircle does not know (`status` = 待定)",
        _with_plan(set_cell(2, "status", "待定")),
        2,
        ("row 4 (P1) status = '待定' is not a known facility status", "planned (规划)"),
        district=plan_district,
    ),
    Case(
        "plan-open-year-outside",
        "a planned facility opening after the plan's last year (open_year 2027, plan 2024–2025)",
        _with_plan(set_cell(2, "open_year", "2027")),
        2,
        ("row 4 (P1) open_year = 2027 is outside the plan years 2024–2025",),
        district=plan_district,
    ),
    Case(
        "plan-target-unknown-type",
        "a yearly target for an unknown facility type ([plan.new_facilities.meal_station])",
        _with_plan(plan=UNKNOWN_TYPE_PLAN),
        2,
        ("[plan.new_facilities.meal_station]: 'meal_station' is not a known facility type",),
        district=plan_district,
    ),
    Case(
        "plan-planned-without-year",
        "a planned (规划) facility without open_year",
        _with_plan(set_cell(2, "open_year", "")),
        2,
        ("row 4 (P1) is 规划 planned but has no open_year",),
        district=plan_district,
    ),
    Case(
        "plan-existing-only-by-default",
        "facilities under construction or planned, audited without --year (existing only)",
        _with_plan(),
        0,
        ("3 facilities are not counted (existing facilities only", "give --year"),
        district=plan_district,
    ),
]
