"""The files of ``carecircle progress``: the tables (CSV, XLSX) and ``progress.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from carecircle.analysis.progress import PlanProgress
from carecircle.analysis.reports import write_csv
from carecircle.analysis.xlsx import write_xlsx
from carecircle.files import write_text_atomic


def _jsonable(value: Any) -> Any:
    if value is pd.NA or (isinstance(value, float) and value != value):  # noqa: PLR0124
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def progress_record(result: PlanProgress) -> dict[str, Any]:
    """Return what ``progress.json`` holds: the plan, per year what was counted, the verdicts.

    Parameters
    ----------
    result : PlanProgress
        The progress run.

    Returns
    -------
    dict
        ``study, profile, plan, years`` (per year: the counting rule, facilities counted and
        the ids left out as not yet open) and ``summary`` (the summary table's rows).
    """
    plan = result.plan
    years = {}
    for year, audit in result.audits.items():
        counts = audit.record.counts
        years[str(year)] = {
            "stage": "baseline" if year == plan.baseline_year else "plan year",
            "facilities_counted": counts.get("facilities_counted"),
            "facilities": counts.get("facilities"),
            "facilities_not_open": counts.get("facilities_not_open", 0),
            "not_open_ids": counts.get("facilities_not_open_ids", []),
            "warnings": list(audit.record.warnings),
        }
    summary = [
        {k: _jsonable(v) for k, v in row.items()} for row in result.summary.to_dict("records")
    ]
    return {
        "study": str(result.study.path),
        "profile": result.study.profile.name,
        "plan": {
            "years": list(plan.years),
            "baseline_year": plan.baseline_year,
            "source": plan.source,
            "new_facilities": [
                {
                    "type": t.facility_type,
                    "counting": t.counting,
                    "by_year": {str(y): n for y, n in t.by_year},
                    "source": t.source,
                }
                for t in plan.new_facilities
            ],
            "indicators": [
                {"id": t.indicator, "by_year": {str(y): v for y, v in t.by_year}}
                for t in plan.indicators
            ],
        },
        "years": years,
        "summary": summary,
    }


def write_progress_tables(folder: Path, result: PlanProgress) -> list[Path]:
    """Write ``plan_progress.csv`` / ``plan_progress_by_year.csv``, the workbook, the JSON.

    Parameters
    ----------
    folder : Path
        The output folder (a staging folder).
    result : PlanProgress
        The progress run.

    Returns
    -------
    list of Path
        The files written.
    """
    record = json.dumps(progress_record(result), ensure_ascii=False, indent=2, allow_nan=False)
    return [
        write_csv(folder / "plan_progress.csv", result.summary),
        write_csv(folder / "plan_progress_by_year.csv", result.by_year),
        write_xlsx(
            folder / "plan_progress.xlsx",
            [("规划进度 progress", result.summary), ("逐年 by year", result.by_year)],
        ),
        write_text_atomic(folder / "progress.json", record + "\n"),
    ]
