"""Write every registered output of a run into ``--out``: staged, then moved in place.

The writers marked ``concurrent`` (the tables, workbooks, GeoPackages, charts, report.html,
static PNG maps and report.docx of an audit) run one after another in a forked process while
this process draws the HTML maps: on two cores the tables no longer wait for the maps, nor
the maps for the tables. The maps fork workers of their own only once that process is done,
for the streets left then (``WriteJob.beside``). A writer left in this process that reads
their files (``Writer.reads``) waits for those, which the forked process writes first. They
then share one stage, ``write outputs``, whose seconds are the wall time of both lanes
together; each writer's own seconds (run.json ``writers_seconds``) are measured in its lane,
so those of the two lanes overlap.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import multiprocessing
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

from carecircle.analysis.files import check_out_folder, input_files, staged_outputs
from carecircle.maps.forked import ForkedRun, start_forked
from carecircle.outputs.registry import WriteJob, Writer, WriterRegistry

#: The one stage of the writers when the concurrent ones run in their own process.
LANE_STAGE = "write outputs"


def write_outputs(
    job: WriteJob, out: Path, writers: WriterRegistry, *, protect: Iterable[Path] = ()
) -> list[Path]:
    """Run the writers of ``job.kind`` into a staging folder, then move their files into ``out``.

    Consecutive writers of one stage are timed together in the audit's run record
    (``write tables``, ``write maps``; ``write outputs`` when the concurrent writers run in a
    process of their own, see :func:`side_lane`), and each writer on its own
    (``writers_seconds``); the manifest ``.carecircle-manifest.json`` is written by the move
    (``analysis.files.staged_outputs``), listing what the writers wrote.

    Parameters
    ----------
    job : WriteJob
        The results; its ``folder`` is replaced by the staging folder.
    out : Path
        The output folder.
    writers : WriterRegistry
        The outputs (``carecircle.outputs.WRITERS``).
    protect : iterable of Path, optional
        Further input files no output may replace (the study's own always are).

    Returns
    -------
    list of Path
        The files written, under ``out``, in the writers' order.
    """
    out = check_out_folder(Path(out))
    rec = job.audit.record
    inputs = [*input_files(job.audit.study), *protect]
    ordered = writers.for_kind(job.kind)
    side = side_lane(ordered, job)
    written: dict[str, list[Path]] = {}
    with _results_frozen(), staged_outputs(out, job.manifest_kind, inputs) as stage:
        staged = dataclasses.replace(job, folder=stage)
        main = [w for w in ordered if w not in side]
        for name, group in itertools.groupby(main, key=lambda w: _stage(w, side)):
            with rec.stage(name) if name else nullcontext():
                lane = _start(staged, side) if name == LANE_STAGE else None
                here = staged if lane is None else _beside(staged, lane)
                try:
                    for writer in group:
                        if lane is not None:
                            lane.wait_for(_waits_for(writer, side))
                        start = time.perf_counter()
                        written[writer.name] = writer.write(here)
                        rec.writers[writer.name] = round(time.perf_counter() - start, 3)
                    results = lane.collect() if lane else []
                finally:
                    if lane:
                        lane.stop()
                for writer, (paths, seconds) in zip(side, results, strict=False):
                    written[writer.name] = paths
                    rec.writers[writer.name] = seconds
    return [out / p.relative_to(stage) for w in ordered for p in written[w.name]]


@contextmanager
def _results_frozen() -> Iterator[None]:
    """Keep Python's cycle collector off the objects that exist already, for the block.

    The results (~160,000 tracked objects at district size) are only read while the outputs
    are written; a full collection would go through all of them, in this process and in
    each forked writer, touching (and so copying) the pages they share. ``gc.freeze``
    leaves them out of every collection until the block ends (``gc.unfreeze``: the caller's
    process collects as before). Alternating A/B pairs of ``carecircle audit``: write
    outputs 1.10 -> 1.05 s at district size (4 of 5 pairs), 3.54 -> 3.40-3.50 s at mid size,
    unchanged at city size. A caller that froze objects itself keeps them frozen: then
    nothing is done here.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def side_lane(ordered: Sequence[Writer], job: WriteJob | None = None) -> list[Writer]:
    """Return the writers to run in a process of their own, beside the others (maybe none).

    The ``concurrent`` writers, when this process can fork (Linux) and is not itself a
    worker process (a batch worker writes everything itself), and when the writers with a
    stage left to run beside them come one after another (they make the one stage that
    waits for the concurrent ones) and are timed in the concurrent writers' stages (a writer
    registered with a stage of its own, ``write extra``, keeps that stage: then every
    writer runs in this process, one after another, each group in its own stage). A
    concurrent writer that ``reads`` the files of one left here stays here too (the lane
    waits for nothing of this process). The side lane writes first those that a writer left
    here reads, so that it waits for them as little as can be; then the others, in order.

    Parameters
    ----------
    ordered : sequence of Writer
        The writers of the run, in run order.
    job : WriteJob, optional
        The run's job (for writers whose ``concurrent`` depends on it).
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return []
    if multiprocessing.parent_process() is not None:
        return []
    side = [w for w in ordered if w.is_concurrent(job) and w.stage]
    while stays := [w for w in side if w.reads & {m.name for m in ordered if m not in side}]:
        side = [w for w in side if w not in stays]  # reads files written here: stays here too
    main = [w for w in ordered if w not in side]
    if any(w.stage and w.stage not in {s.stage for s in side} for w in main):
        return []  # a writer timed in a stage of its own keeps it: all run here, in order
    timed = [bool(w.stage) for w in main]
    runs = [flag for flag, _ in itertools.groupby(timed) if flag]
    if len(runs) != 1:
        return []  # the others in one stage (that waits for them)
    # first those whose files a writer of this process reads (it waits for them), in order
    needed = {name for w in main for name in w.reads}
    for w in reversed(side):  # and what those read in turn
        if w.name in needed:
            needed |= w.reads
    return [w for w in side if w.name in needed] + [w for w in side if w.name not in needed]


def _waits_for(writer: Writer, side: list[Writer]) -> int:
    """Return how many of the side lane's first writers must be done before ``writer`` runs."""
    return max((k + 1 for k, w in enumerate(side) if w.name in writer.reads), default=0)


def _stage(writer: Writer, side: list[Writer]) -> str | None:
    """Return the stage a writer of the main lane is timed in."""
    return LANE_STAGE if side and writer.stage else writer.stage


def _start(job: WriteJob, side: list[Writer]) -> ForkedRun[Writer, tuple[list[Path], float]]:
    """Fork the process writing ``side`` in order (no progress bars: the maps draw theirs)."""
    quiet = dataclasses.replace(job, progress=False)
    return start_forked(quiet, side, _run_writer, workers=1, what="output writer")


def _beside(job: WriteJob, lane: ForkedRun[Writer, tuple[list[Path], float]]) -> WriteJob:
    """Return the job of this process's writers: told whether the side lane still runs.

    The maps draw in this process while it does, and fork their workers for the streets
    left once it is done (``maps.forked.run_forked``'s ``busy``). On two cores, forking them
    at once put four processes on the two (this one waiting), and each worker copied the
    pages it touched. With the PNG maps and report.docx in the side lane too, alternating
    pairs of ``carecircle audit``: district write outputs 1.05-1.13 -> 0.94-1.00 s (6 pairs),
    mid 3.47-3.57 -> 3.25-3.34 s, city 10.2 -> 9.6 s.
    """
    return dataclasses.replace(job, beside=lambda: not lane.finished())


def _run_writer(job: WriteJob, writer: Writer) -> tuple[list[Path], float]:
    """Run one writer (in the forked process); return its files and seconds."""
    start = time.perf_counter()
    paths = writer.write(job)
    return paths, round(time.perf_counter() - start, 3)
