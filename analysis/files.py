"""Atomic file writing: every output goes to a temporary name and is renamed when complete."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from carecircle.errors import OutputError


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    An interrupted run leaves the previous ``path`` untouched and no partial file.

    Parameters
    ----------
    path : Path
        The final file.

    Yields
    ------
    Path
        Where to write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except PermissionError as exc:
        raise OutputError(
            f"{path}: cannot write ({exc.strerror}); close the file if it is open "
            "in Excel or QGIS, or choose another --out folder"
        ) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomic(path: Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp)`` and rename the result onto ``path``.

    Parameters
    ----------
    path : Path
        The final file.
    writer : callable
        Writes the file at the path it is given.

    Returns
    -------
    Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        writer(tmp)
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def staging_folder(out: Path) -> Path:
    """Return the folder inside ``out`` where this process stages a run's outputs."""
    return out / f".carecircle-staging-{os.getpid()}"


@contextmanager
def staged_outputs(out: Path) -> Iterator[Path]:
    """Write a run's outputs into a staging folder, then move them into ``out`` together.

    If the block fails or is interrupted (Ctrl-C), the staging folder is removed and every
    previous output in ``out`` stays as it was; no partial file is left behind.

    Parameters
    ----------
    out : Path
        The output folder.

    Yields
    ------
    Path
        The staging folder to write into (same relative layout as ``out``).
    """
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    stage = staging_folder(out)
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    try:
        yield stage
        for src in sorted(p for p in stage.rglob("*") if p.is_file()):
            dst = out / src.relative_to(stage)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def inside(base: Path, path: Path) -> Path:
    """Return ``path`` if it lies inside ``base``; refuse anything that would escape it.

    Raises
    ------
    OutputError
        When ``path`` resolves outside ``base`` (e.g. a name with ``../``).
    """
    resolved = path.resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise OutputError(f"{path}: refusing to write outside the output folder {base}")
    return path
