"""Batch audits of many studies (one per district) on Dask: local cluster or an existing one."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from carecircle.errors import CarecircleError, InputFileError
from carecircle.maps.style import safe_filename

log = logging.getLogger("carecircle")


def audit_task(study: str, out: str, offline: bool) -> dict[str, Any]:
    """Audit one study into ``out`` (runs on a Dask worker); report what happened.

    Input problems are reported as a failed study; anything else raises so that Dask retries
    the task (for instance on another worker when one died).
    """
    from carecircle.scripts.commands import run_audit

    try:
        audit, paths = run_audit(Path(study), Path(out), offline=offline)
    except CarecircleError as exc:
        return {"study": study, "status": "failed", "error": str(exc), "out": out}
    d = audit.indicators["district"].iloc[0]
    bounds = audit.streets.total_bounds
    return {
        "study": study, "status": "done", "error": "", "out": out, "name": audit.study.name,
        "residents": float(d["residents"]), "older_residents": float(d["older_residents"]),
        "older_covered_share": float(d["older_covered_share"]),
        "floor_area_per_1000": float(d["floor_area_per_1000"]),
        "underserved_communities": len(audit.underserved), "files": len(paths),
        "west": float(bounds[0]), "south": float(bounds[1]), "east": float(bounds[2]),
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
        base = safe_filename(path.resolve().parent.name if path.name == "study.toml"
                             else path.stem)
        name, k = base, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return names


def run_batch(studies: Sequence[Path], out: Path, *, scheduler: str = "local",
              workers: int = 2, retries: int = 2, offline: bool = False) -> BatchResult:
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

    Returns
    -------
    BatchResult
        The summary, also written as ``batch_summary.csv`` by the command.
    """
    from distributed import Client, LocalCluster, as_completed

    for path in studies:
        if not path.is_file():
            raise InputFileError(f"{path}: study file not found; every batch argument must be "
                                 "a study .toml file")
    out.mkdir(parents=True, exist_ok=True)
    names = _names(studies)
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    rows: dict[str, dict[str, Any]] = {}
    try:
        futures = {client.submit(audit_task, str(path.resolve()), str(out / name), offline,
                                 retries=retries, pure=False, key=f"audit-{name}"): str(path)
                   for path, name in zip(studies, names, strict=True)}
        with tqdm(total=len(futures), desc="batch 批量", unit="study", disable=None) as bar:
            for future in as_completed(futures):
                study = futures[future]
                try:
                    rows[study] = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost study is reported, not raised
                    rows[study] = {"study": study, "status": "failed", "out": "",
                                   "error": f"{type(exc).__name__}: {exc}"}
                bar.update(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    ordered = [rows[str(p)] for p in studies]
    return BatchResult(pd.DataFrame(ordered))
