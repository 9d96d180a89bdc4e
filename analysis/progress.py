"""Plan progress year by year: the baseline and each plan year audited, against the targets.

``carecircle progress STUDY.toml`` audits the study once for the baseline year and once per
plan year of its profile's ``[plan]``, each time counting the facilities open by the end of
that year (status, open_year) and judging every indicator against that year's target (the
plan's yearly target where it sets one, else the profile's). New facilities are counted per
type and year from the facility tables' ``open_year`` and compared with the plan's counts.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from tqdm import tqdm

from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.year_filter import check_plan
from carecircle.config import Study
from carecircle.errors import ProfileError
from carecircle.plan_config import PlanTargets
from carecircle.profiles import Profile
from carecircle.vocabulary import FACILITY_TYPES

if TYPE_CHECKING:
    from pandas.api.typing import NAType

log = logging.getLogger(__name__)

#: Columns of the long table (one row per indicator or facility type and year).
BY_YEAR_COLUMNS = (
    "kind",
    "id",
    "name_zh",
    "name_en",
    "unit",
    "year",
    "stage",
    "value",
    "target",
    "target_from",
    "met",
    "status",
    "new_in_year",
    "new_since_baseline",
    "source",
)


@dataclass(frozen=True)
class PlanProgress:
    """The audits of the baseline and the plan years, and the progress tables.

    Attributes
    ----------
    study : Study
        The study.
    plan : PlanTargets
        Its profile's plan.
    audits : dict
        Year -> the audit counting the facilities open by then (baseline first); made
        without service areas (display only, ``Audit.service_areas`` empty): to map a year,
        audit it with ``cc.audit(study, year=...)``.
    by_year : DataFrame
        One row per indicator (and per facility type with new facilities or a count target)
        and year: :data:`BY_YEAR_COLUMNS`.
    summary : DataFrame
        One row per indicator / facility type: the baseline, each plan year's value, target
        and verdict, and ``verdict`` in words (``met in 2026 only``).
    """

    study: Study
    plan: PlanTargets
    audits: dict[int, Audit]
    by_year: pd.DataFrame
    summary: pd.DataFrame


def plan_of(profile: Profile) -> PlanTargets:
    """Return the profile's plan, or refuse a profile without one."""
    if profile.yearly is None:
        raise ProfileError(
            f"{profile.path or profile.name}: the profile has no [plan] section; add the plan "
            "years and yearly targets (docs/plans.md), e.g. [plan] years = [2024, 2025, 2026]"
        )
    return profile.yearly


def profile_for_year(profile: Profile, year: int) -> Profile:
    """Return the profile with each indicator's target replaced by the plan's for ``year``.

    Parameters
    ----------
    profile : Profile
        A profile with a ``[plan]``.
    year : int
        A plan year (the baseline keeps the profile's targets).

    Returns
    -------
    Profile
        The same profile; indicators with a yearly target for ``year`` carry it.
    """
    plan = plan_of(profile)
    specs = dict(profile.indicators)
    for target in plan.indicators:
        value = target.target(year)
        if value is not None and target.indicator in specs:
            specs[target.indicator] = dataclasses.replace(specs[target.indicator], target=value)
    return dataclasses.replace(profile, indicators=specs)


def plan_progress(study: Study, *, progress: bool = False) -> PlanProgress:
    """Audit the baseline and every plan year; compare with the yearly targets.

    Parameters
    ----------
    study : Study
        A study whose profile has a ``[plan]``.
    progress : bool, default False
        A bar over the years (and the audits' own bars), on a terminal.

    Returns
    -------
    PlanProgress
        The audits and the tables.
    """
    plan = plan_of(study.profile)
    check_plan(study.profile)
    years = (plan.baseline_year, *plan.years)
    audits: dict[int, Audit] = {}
    for year in tqdm(years, desc="plan years 规划年份", disable=None if progress else True):
        profile = (
            study.profile if year == plan.baseline_year else profile_for_year(study.profile, year)
        )
        audits[year] = audit_study(  # no maps are drawn of a plan year: no service areas
            dataclasses.replace(study, profile=profile),
            progress=progress,
            year=year,
            with_service_areas=False,
        )
    by_year = pd.concat(
        [indicator_rows(audits, plan), facility_rows(audits, plan)], ignore_index=True
    )
    return PlanProgress(study, plan, audits, by_year, summary_table(by_year, plan))


def _met(status: str) -> bool | NAType:
    return True if status == "met" else False if status == "not met" else pd.NA


def indicator_rows(audits: dict[int, Audit], plan: PlanTargets) -> pd.DataFrame:
    """Return one row per enabled indicator and year: district value, target and verdict.

    Parameters
    ----------
    audits : dict of int to Audit
        The audit of each year (baseline year first, then the plan years).
    plan : PlanTargets
        The profile's ``[plan]``: the baseline year and the yearly indicator targets.
    """
    rows = []
    for year, audit in audits.items():
        for r in audit.catalogue.itertuples(index=False):
            if not r.enabled:
                continue
            yearly = plan.indicator(cast(str, r.id))
            own = yearly.target(year) if yearly is not None else None
            rows.append(
                {
                    "kind": "indicator",
                    "id": r.id,
                    "name_zh": r.name_zh,
                    "name_en": r.name_en,
                    "unit": r.unit,
                    "year": year,
                    "stage": "baseline 基期" if year == plan.baseline_year else "plan 规划年",
                    "value": r.district_value,
                    "target": r.target,
                    "target_from": "plan 年度目标" if own is not None else "profile 配置",
                    "met": _met(cast(str, r.district_status)),
                    "status": r.district_status,
                    "new_in_year": np.nan,
                    "new_since_baseline": np.nan,
                    "source": yearly.source if yearly is not None and own is not None else "",
                }
            )
    return pd.DataFrame(rows, columns=list(BY_YEAR_COLUMNS))


def new_facility_counts(audits: dict[int, Audit], plan: PlanTargets) -> pd.DataFrame:
    """Count facilities per type and year: open by then, new in the year, new since baseline.

    A facility is new in the year it opens (``open_year``), whatever its status; one
    without an open_year existed before the plan. Counted from the last year's audit, which
    holds every facility open by the end of the plan (also those too far from the network to
    serve anyone: they are built, so they count).

    Parameters
    ----------
    audits : dict of int to Audit
        The audit of each year (baseline year first, then the plan years).
    plan : PlanTargets
        The profile's ``[plan]``: the baseline year and the new-facility counts per type.

    Returns
    -------
    DataFrame
        ``type, year, open, new_in_year, new_since_baseline`` for every type with a count
        target or a new facility, and every year (baseline first).
    """
    fac = audits[max(audits)].facilities
    years = (
        fac["open_year"].to_numpy(dtype=float) if "open_year" in fac else np.full(len(fac), np.nan)
    )
    kinds = [t.facility_type for t in plan.new_facilities]
    new_in_plan = np.isfinite(years) & (years > plan.baseline_year)
    kinds += [
        t for t in FACILITY_TYPES if t in set(fac.loc[new_in_plan, "type"]) and t not in kinds
    ]
    rows = []
    for ftype in kinds:
        of_type = (fac["type"] == ftype).to_numpy()
        for year in audits:
            opened = of_type & (years == year) if year != plan.baseline_year else of_type & False
            since = of_type & new_in_plan & (years <= year)
            rows.append(
                {
                    "type": ftype,
                    "year": year,
                    "open": int((audits[year].facilities["type"] == ftype).sum()),
                    "new_in_year": int(opened.sum()),
                    "new_since_baseline": int(since.sum()),
                }
            )
    return pd.DataFrame(rows, columns=["type", "year", "open", "new_in_year", "new_since_baseline"])


def facility_rows(audits: dict[int, Audit], plan: PlanTargets) -> pd.DataFrame:
    """Return one row per facility type and year: new facilities against the plan's count.

    Parameters
    ----------
    audits : dict of int to Audit
        The audit of each year (baseline year first, then the plan years).
    plan : PlanTargets
        The profile's ``[plan]``: the baseline year and the new-facility counts per type
        (counted per year or cumulatively).
    """
    counts = new_facility_counts(audits, plan)
    targets = {t.facility_type: t for t in plan.new_facilities}
    rows = []
    for r in counts.itertuples(index=False):
        goal = targets.get(cast(str, r.type))
        target = goal.target(cast(int, r.year)) if goal is not None else None
        cumulative = goal is not None and goal.counting == "cumulative"
        got = cast(int, r.new_since_baseline if cumulative else r.new_in_year)
        met = pd.NA if target is None else bool(got >= target)
        label = FACILITY_TYPES[cast(str, r.type)]
        rows.append(
            {
                "kind": "new_facilities",
                "id": r.type,
                "name_zh": f"新增{label[0]}",
                "name_en": f"new {label[1]}",
                "unit": "new since baseline 累计新增" if cumulative else "new in year 当年新增",
                "year": r.year,
                "stage": "baseline 基期" if r.year == plan.baseline_year else "plan 规划年",
                "value": float(cast(int, r.open)),
                "target": np.nan if target is None else float(target),
                "target_from": "" if target is None else "plan 年度目标",
                "met": met,
                "status": "no target" if target is None else "met" if met else "not met",
                "new_in_year": r.new_in_year,
                "new_since_baseline": r.new_since_baseline,
                "source": goal.source if goal is not None else "",
            }
        )
    return pd.DataFrame(rows, columns=list(BY_YEAR_COLUMNS))


def verdict(met: dict[int, bool | np.bool_ | NAType]) -> str:
    """Return the verdict over the plan years in words (``met in 2026 only 仅2026年达标``).

    Parameters
    ----------
    met : dict
        Plan year -> True, False or NA (no target / not assessed).

    Returns
    -------
    str
        Bilingual text.
    """
    judged = {
        y: bool(m)
        for y, m in met.items()
        if m is not pd.NA and not pd.isna(m)  # type: ignore[arg-type]  # stubs omit numpy.bool_
    }
    if not judged:
        return "no yearly verdict 无年度结论"
    hit = [y for y, m in judged.items() if m]
    if not hit:
        return "not met in any plan year 各年均未达标"
    if len(hit) == len(judged) == len(met):
        return "met in every plan year 各年均达标"
    if len(hit) == len(judged):
        shown = ", ".join(map(str, hit))
        return f"met in {shown}, every year with a target 有目标的年份均达标"
    if len(hit) == 1:
        return f"met in {hit[0]} only 仅{hit[0]}年达标"
    return f"met in {', '.join(map(str, hit))} 达标年份 {'、'.join(map(str, hit))}"


def summary_table(by_year: pd.DataFrame, plan: PlanTargets) -> pd.DataFrame:
    """Return one row per indicator / facility type: baseline, each year, target, verdict.

    Parameters
    ----------
    by_year : DataFrame
        The long table (:data:`BY_YEAR_COLUMNS`): :func:`indicator_rows` and
        :func:`facility_rows` together.
    plan : PlanTargets
        The profile's ``[plan]``: the baseline year and the plan years (one set of columns each).
    """
    rows = []
    for (kind, key), group in by_year.groupby(["kind", "id"], sort=False):
        at = group.set_index("year")
        row = {
            "kind": kind,
            "id": key,
            "name_zh": at["name_zh"].iloc[0],
            "name_en": at["name_en"].iloc[0],
            "unit": at["unit"].iloc[0],
            f"baseline_{plan.baseline_year}": at.loc[plan.baseline_year, "value"],
        }
        for year in plan.years:
            new = kind == "new_facilities"
            row[f"{year}_value"] = at.loc[year, "value"]
            if new:
                row[f"{year}_new"] = at.loc[year, "new_in_year"]
            row[f"{year}_target"] = at.loc[year, "target"]
            row[f"{year}_met"] = at.loc[year, "met"]
        row["verdict"] = verdict(
            {y: cast("bool | np.bool_ | NAType", at.loc[y, "met"]) for y in plan.years}
        )
        rows.append(row)
    return pd.DataFrame(rows)
