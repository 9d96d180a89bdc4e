"""Which facilities an audit counts: those open by ``--year``, or the existing ones.

Without ``--year`` an audit counts the facilities that exist now (status 已建 existing, or no
status column at all): facilities under construction or planned are left out, each listed in
run.json (``excluded.facilities_not_open``) with its status and opening year. With
``--year Y`` it counts the facilities open by the end of Y (:func:`open_by`).
"""

from __future__ import annotations

import logging
from typing import Any, cast

import pandas as pd

from carecircle.analysis.circles import subset
from carecircle.analysis.indicators import REGISTRY
from carecircle.analysis.stages import RunRecord
from carecircle.config import Study
from carecircle.errors import InputDataError, ProfileError
from carecircle.geo.facility_status import (
    check_plan_years,
    has_status,
    not_open_reason,
    open_by,
)
from carecircle.geo.snap import Snapped
from carecircle.profiles import Profile
from carecircle.text import counted, verb

log = logging.getLogger(__name__)


def check_plan(profile: Profile) -> None:
    """Refuse yearly indicator targets for indicators the registry or the profile lacks.

    Parameters
    ----------
    profile : Profile
        A profile with an optional ``[plan]``.

    Raises
    ------
    ProfileError
        Naming the indicator and the fix.
    """
    plan = profile.yearly
    if plan is None:
        return
    for target in plan.indicators:
        where = f"{profile.path}: [plan.indicators.{target.indicator}]"
        if target.indicator not in REGISTRY.ids():
            raise ProfileError(f"{where}: unknown indicator; allowed: {', '.join(REGISTRY.ids())}")
        if not profile.indicator(target.indicator).enabled:
            raise ProfileError(
                f"{where}: indicator {target.indicator} is off in this profile; enable "
                f"[indicators.{target.indicator}] or remove its yearly targets"
            )


def check_year(profile: Profile, year: int | None) -> None:
    """Refuse a ``--year`` outside the profile's plan (baseline year to last plan year).

    Parameters
    ----------
    profile : Profile
        The study's profile.
    year : int or None
        The year asked for.

    Raises
    ------
    InputDataError
        When the profile has a plan and the year is not in it.
    """
    plan = profile.yearly
    if year is None or plan is None:
        return
    if not plan.baseline_year <= year <= plan.years[-1]:
        raise InputDataError(
            f"--year {year} is outside the plan of profile {profile.name}: baseline "
            f"{plan.baseline_year}, plan years {plan.years[0]}–{plan.years[-1]}; give one of "
            f"these years"
        )


def counting_rule(fac: pd.DataFrame, year: int | None) -> str:
    """Return what the audit counts, in words (run.json and the terminal summary).

    Parameters
    ----------
    fac : DataFrame
        The facilities of the tables (``status`` and ``open_year`` when they have them).
    year : int or None
        The audit year (``--year``); None when none was given.
    """
    if not has_status(fac):
        return (
            "all facilities (the tables have no status/open_year columns: all existing)"
            if year is None
            else f"all facilities: the tables have no status/open_year columns, so --year {year} "
            "changes nothing"
        )
    if year is None:
        return "existing facilities only (已建; no --year given: 在建/规划 not counted)"
    return f"facilities open by the end of {year} (已建, and 在建/规划 with open_year ≤ {year})"


def keep_open(
    fac: pd.DataFrame, snap: Snapped, study: Study, year: int | None, rec: RunRecord
) -> tuple[pd.DataFrame, Snapped]:
    """Keep the facilities open by ``year`` (None: the existing ones); record the others.

    Parameters
    ----------
    fac : DataFrame
        Every facility read, placed and snapped.
    snap : Snapped
        Their snap points, in the same order.
    study : Study
        The study (its profile's plan years check the opening years).
    year : int or None
        The plan year of the audit.
    rec : RunRecord
        Gets ``counts.audit_year``, ``counts.facilities_counted`` (the rule),
        ``counts.facilities_not_open`` and ``excluded.facilities_not_open``.

    Returns
    -------
    facilities : DataFrame
        The open facilities (index reset).
    snap : Snapped
        Their snap points.
    """
    plan = study.profile.yearly
    if plan is not None:
        check_plan_years(fac, plan.years, f"profile {study.profile.name}")
    open_ = open_by(fac, year)
    reasons = not_open_reason(fac, year)
    rec.counts["audit_year"] = year
    rec.counts["facilities_counted"] = counting_rule(fac, year)
    rec.counts["facilities_in_tables"] = len(fac)
    rec.counts["facilities_not_open"] = int((~open_).sum())
    if year is not None and not has_status(fac):
        rec.warn(rec.counts["facilities_counted"])
    if open_.all():
        return fac, snap
    left = fac.loc[~open_, ["id", "name", "type", "status", "open_year"]].assign(
        reason=reasons[~open_]
    )
    rec.exclude("facilities_not_open", cast("list[dict[str, Any]]", left.to_dict("records")))
    n = int((~open_).sum())
    shown = ", ".join(left["id"].head(10))
    rec.counts["facilities_not_open_ids"] = list(left["id"])
    message = (
        f"{counted(n, 'facility', 'facilities')} {verb(n, 'is', 'are')} not counted "
        f"({rec.counts['facilities_counted']}): {shown}"
    )
    if year is None:
        rec.warn(message + "; give --year to audit a plan year")
    else:
        log.info("%s", message)
    return fac[open_].reset_index(drop=True), subset(snap, open_)
