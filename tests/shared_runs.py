"""A folder built once per test run and shared by every pytest-xdist worker."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created when missing) while the block runs."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder ``build`` fills, built once per run and shared by every xdist worker.

    Without xdist it is a fresh temporary folder. Under xdist the workers' temporary folders
    share a parent: the first worker to ask builds the folder there under a file lock, the
    others wait for it and reuse it. Only for folders no test changes.

    Parameters
    ----------
    tmp_path_factory : pytest.TempPathFactory
        The session's factory.
    name : str
        The folder's name.
    build : callable
        Fills the (empty, existing) folder.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        out = tmp_path_factory.mktemp(name)
        build(out)
        return out
    root = tmp_path_factory.getbasetemp().parent
    out, done = root / name, root / f"{name}.done"
    with _locked(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # left by a worker that failed
            out.mkdir()
            build(out)
            done.touch()
    return out
