"""The outputs of ``carecircle progress`` (``cc.write`` of a :class:`PlanProgress`).

Two writers of the ``progress`` kind: the progress tables (CSV, workbook, ``progress.json``)
and one chart per indicator and new-facility type.
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
