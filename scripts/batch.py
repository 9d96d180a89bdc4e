"""Batch audits of many studies (one per district) on Dask: local cluster or an existing one."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm import tqdm

from carecircle.analysis.files import check_out_folder
from carecircle.analysis.reports import json_number
from carecircle.errors import CarecircleError, InputDataError, InputFileError
from carecircle.maps.style import safe_filename

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger("carecircle")


@contextlib.contextmanager
def quiet_dask(level: int = logging.WARNING) -> Iterator[None]:
    """Raise the ``distributed`` loggers to ``level`` for the block, then restore them.

    Importing ``distributed`` sets its loggers to INFO, so the scheduler and nanny report
    every start, connection and close ("State start", "Scheduler at", "Lost all workers").

    Parameters
    ----------
    level : int, default logging.WARNING
        Lowest level shown (``logging.ERROR`` with ``-q``).

    Yields
    ------
    None
        While the loggers are raised; their levels are put back afterwards.
    """
    import distributed  # noqa: F401 - its import sets the levels this block raises

    manager = logging.Logger.manager
    names = [
        "distributed",
        *(
            n
            for n, lg in manager.loggerDict.items()
            if n.startswith("distributed.") and isinstance(lg, logging.Logger)
        ),
    ]
    loggers = [logging.getLogger(n) for n in names]
    saved = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            if lg.name == "distributed" or lg.level != logging.NOTSET:
                lg.setLevel(max(lg.level, level))
        yield
    finally:
        for lg, old in zip(loggers, saved, strict=True):
            lg.setLevel(old)


#: Scheduler options: no dashboard, and its HTTP server (metrics) on a free port, not on 8787
#: (taken when another batch runs on the same machine).
NO_DASHBOARD = {"dashboard": False, "dashboard_address": ":0"}

#: Errors worth another attempt (a full memory, a file server that hiccuped); any other error
#: in the audit is deterministic: the same input fails the same way on every worker.
TRANSIENT_ERRORS = (MemoryError, OSError)


class _QuietFailedAudits(logging.Filter):
    """Drop the worker's "Compute Failed" traceback for audit tasks: the batch reports it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Return False for the failure record of an ``audit-…`` task."""
        key = record.args[0] if isinstance(record.args, tuple) and record.args else ""
        return not (str(record.msg).startswith("Compute Failed") and str(key).startswith("audit-"))


def _quiet_worker_log() -> None:
    """Install :class:`_QuietFailedAudits` on this worker's logger (once per process)."""
    logger = logging.getLogger("distributed.worker")
    if not any(isinstance(f, _QuietFailedAudits) for f in logger.filters):
        logger.addFilter(_QuietFailedAudits())


def one_line(text: str) -> str:
    """Return ``text`` on one line (a summary row per study)."""
    return " ".join(str(text).split())


def audit_task(study: str, out: str, offline: bool) -> dict[str, Any]:
    """Audit one study into ``out`` (runs on a Dask worker); report what happened.

    An input problem, or any deterministic error, is reported as a failed study without a
    retry: the same input fails the same way everywhere. Only transient errors
    (:data:`TRANSIENT_ERRORS`) raise, so that Dask retries the task; a lost worker is
    retried by Dask too.

    Parameters
    ----------
    study : str
        The study file.
    out : str
        Output folder of the study.
    offline : bool
        Maps that need no internet (Leaflet copied beside them).
    """
    from carecircle import api  # not scripts.batch_commands: that imports this module

    _quiet_worker_log()
    try:
        result = api.audit(Path(study))
        audit, paths = result.audit, api.write(result, Path(out), offline=offline)
    except CarecircleError as exc:
        return {"study": study, "status": "failed", "error": one_line(str(exc)), "out": out}
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:  # noqa: BLE001 - a defect: reported in one line, not retried
        return {
            "study": study,
            "status": "failed",
            "error": one_line(
                f"内部错误 internal error: {type(exc).__name__}: {exc} (not retried: the "
                f"same input fails the same way; run carecircle audit {study} --debug "
                "and report the output)"
            ),
            "out": out,
        }
    d = audit.indicators["district"].iloc[0]
    bounds = audit.streets.total_bounds
    return {
        "study": study,
        "status": "done",
        "error": "",
        "out": out,
        "name": audit.study.name,
        "residents": float(d["residents"]),
        "older_residents": float(d["older_residents"]),
        "older_covered_share": json_number(d["older_covered_share"]),
        "floor_area_per_1000": json_number(d["floor_area_per_1000"]),  # None: S2 not assessed
        "underserved_communities": len(audit.underserved),
        "files": len(paths),
        "west": float(bounds[0]),
        "south": float(bounds[1]),
        "east": float(bounds[2]),
        "north": float(bounds[3]),
    }


@dataclass
class BatchResult:
    """One row per study: status, error and the district figures."""

    summary: pd.DataFrame


def _names(studies: Sequence[Path]) -> list[str]:
    """Output folder per study: its file's folder name, made unique and safe."""
    names: list[str] = []
    for path in studies:
        base = safe_filename(path.resolve().parent.name if path.name == "study.toml" else path.stem)
        name, k = base, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return names


def run_batch(
    studies: Sequence[Path],
    out: Path,
    *,
    scheduler: str = "local",
    workers: int = 2,
    retries: int = 2,
    offline: bool = False,
    progress: bool = False,
    dask_log_level: int = logging.WARNING,
) -> BatchResult:
    """Audit every study with Dask, each into ``out/<name>/``; failures do not stop the rest.

    Parameters
    ----------
    studies : sequence of Path
        Study files.
    out : Path
        Output folder.
    scheduler : str, default "local"
        ``local`` starts a ``LocalCluster``; otherwise the address of a running scheduler.
    workers : int, default 2
        Worker processes of the local cluster.
    retries : int, default 2
        Times a task is retried after an unexpected error or a lost worker.
    offline : bool, default False
        Offline maps.
    progress : bool, default False
        Show the progress bar over the studies (on a terminal only; off with ``-q``).
    dask_log_level : int, default logging.WARNING
        Lowest level of Dask's own log lines during the batch (restored afterwards).

    Returns
    -------
    BatchResult
        The summary, also written as ``batch_summary.csv`` by the command.
    """
    for path in studies:
        if not path.is_file():
            raise InputFileError(
                f"{path}: study file not found; every batch argument must be a study .toml file"
            )
    if workers < 1:
        raise InputDataError(f"--workers {workers}: 至少 1 / must be at least 1")
    if retries < 0:
        raise InputDataError(f"--retries {retries}: 不能为负 / must be 0 or more")
    check_out_folder(out)  # before any study runs
    out.mkdir(parents=True, exist_ok=True)
    with quiet_dask(dask_log_level):
        rows = _run_on_dask(
            studies,
            _names(studies),
            out,
            scheduler=scheduler,
            workers=workers,
            retries=retries,
            offline=offline,
            progress=progress,
        )
    ordered = [rows[str(p)] for p in studies]
    return BatchResult(pd.DataFrame(ordered))


def _run_on_dask(
    studies: Sequence[Path],
    names: list[str],
    out: Path,
    *,
    scheduler: str,
    workers: int,
    retries: int,
    offline: bool,
    progress: bool,
) -> dict[str, dict[str, Any]]:
    """Submit one audit task per study and collect the rows, keyed by the study path."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs=NO_DASHBOARD,  # a second batch on the machine must not collide
        )
        client = Client(cluster)
    else:
        client = _connect(scheduler)
    rows: dict[str, dict[str, Any]] = {}
    try:
        futures = {
            client.submit(
                audit_task,
                str(path.resolve()),
                str(out / name),
                offline,
                retries=retries,
                pure=False,
                key=f"audit-{name}",
            ): str(path)
            for path, name in zip(studies, names, strict=True)
        }
        with tqdm(
            total=len(futures), desc="batch 批量", unit="study", disable=None if progress else True
        ) as bar:
            for future in as_completed(futures):
                study = futures[future]
                try:
                    rows[study] = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost study is reported, not raised
                    rows[study] = {
                        "study": study,
                        "status": "failed",
                        "out": "",
                        "error": _failure_text(exc, retries),
                    }
                bar.update(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return rows


def _failure_text(exc: BaseException, retries: int) -> str:
    """One line for a task that raised after its retries: a lost worker or a transient error."""
    attempts = f"{retries + 1} attempts" if retries else "1 attempt"
    if type(exc).__name__ == "KilledWorker":
        return (
            f"工作进程丢失 worker lost: the worker running this study died ({attempts}); "
            "often out of memory: run fewer --workers or audit this study alone"
        )
    return one_line(
        f"内部错误 internal error after {attempts}: {type(exc).__name__}: {exc}; run "
        "carecircle audit on this study with --debug and report the output"
    )


def _connect(scheduler: str) -> Client:
    """Return a Dask client of a running scheduler, or a planner's error naming the address.

    Raises
    ------
    InputDataError
        When the address is malformed or nothing answers there within 10 s.
    """
    from distributed import Client

    try:
        return Client(scheduler, timeout="10s")
    except (OSError, ValueError, TypeError) as exc:
        raise InputDataError(
            f"--scheduler {scheduler}: 无法连接调度器 / cannot connect to the Dask scheduler "
            f"({one_line(str(exc))}); give its address such as tcp://10.0.0.5:8786, "
            "or --scheduler local"
        ) from None
