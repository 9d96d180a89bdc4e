"""The outputs of plans: ``carecircle progress`` and ``carecircle site --add-per-year``.

Two writers of the ``progress`` kind (``cc.write`` of a :class:`PlanProgress`): the progress
tables (CSV, workbook, ``progress.json``) and one chart per indicator and new-facility type.
One writer of the ``site-per-year`` kind (``cc.write`` of a ``YearlyPlan``): the sites and
summaries of every year; its maps are the gap maps' writer's (``outputs.builtin``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from carecircle.analysis.progress_outputs import write_progress_tables
from carecircle.maps.plan_charts import render_progress_charts
from carecircle.outputs.registry import WriteJob, Writer

if TYPE_CHECKING:
    from carecircle.analysis.progress import PlanProgress


def _plans(job: WriteJob) -> PlanProgress:
    """Return the plan progress of a ``progress`` job (the registry runs no other kind here)."""
    if job.plans is None:
        raise ValueError(f"a {job.kind} job has no plan progress to write")
    return job.plans


def write_plan_tables(job: WriteJob) -> list[Path]:
    """Write ``plan_progress.csv``, ``plan_progress_by_year.csv``, the workbook and the JSON."""
    return write_progress_tables(job.folder, _plans(job))


def write_plan_charts(job: WriteJob) -> list[Path]:
    """Write ``charts/progress_<ID>.png`` per indicator, ``progress_new_<type>.png`` per type."""
    return render_progress_charts(_plans(job).by_year, job.folder / "charts")


_PROGRESS = frozenset({"progress"})

PLAN_WRITERS = (
    Writer(
        name="progress tables",
        write=write_plan_tables,
        kinds=_PROGRESS,
        order=10,
        files="plan_progress.csv, plan_progress_by_year.csv, plan_progress.xlsx, progress.json",
    ),
    Writer(
        name="progress charts",
        write=write_plan_charts,
        kinds=_PROGRESS,
        order=50,
        files="charts/progress_<ID>.png, charts/progress_new_<type>.png",
    ),
)


def write_yearly_tables(job: WriteJob) -> list[Path]:
    """Write ``proposed_sites.csv``, ``siting_by_year.csv``, before/after and ``siting.json``."""
    from carecircle.analysis.siting.yearly import write_yearly_siting

    if job.yearly is None:
        raise ValueError(f"a {job.kind} job has no sites per year to write")
    return write_yearly_siting(job.folder, job.yearly)


YEARLY_WRITERS = (
    Writer(
        name="siting per year tables",
        write=write_yearly_tables,
        kinds=frozenset({"site-per-year"}),
        order=5,
        files="proposed_sites.csv (column year), siting_by_year.csv, "
        "before_after_by_street.csv (column year), siting.json",
    ),
)
