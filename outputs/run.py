"""Write every registered output of a run into ``--out``: staged, then moved in place."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path

from carecircle.analysis.files import check_out_folder, input_files, staged_outputs
from carecircle.outputs.registry import WriteJob, WriterRegistry


def write_outputs(
    job: WriteJob, out: Path, writers: WriterRegistry, *, protect: Iterable[Path] = ()
) -> list[Path]:
    """Run the writers of ``job.kind`` into a staging folder, then move their files into ``out``.

    Consecutive writers of one stage are timed together in the audit's run record
    (``write tables``, ``write maps``), and each writer on its own (``writers_seconds``); the
    manifest ``.carecircle-manifest.json`` is written by the move
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
    import dataclasses

    out = check_out_folder(Path(out))
    rec = job.audit.record
    inputs = [*input_files(job.audit.study), *protect]
    paths: list[Path] = []
    with staged_outputs(out, job.manifest_kind, inputs) as stage:
        staged = dataclasses.replace(job, folder=stage)
        for name, group in itertools.groupby(writers.for_kind(job.kind), key=lambda w: w.stage):
            with rec.stage(name) if name else nullcontext():
                for writer in group:
                    start = time.perf_counter()
                    paths += writer.write(staged)
                    rec.writers[writer.name] = round(time.perf_counter() - start, 3)
    return [out / p.relative_to(stage) for p in paths]
