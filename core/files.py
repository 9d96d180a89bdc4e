"""Atomic file writing: a low layer that analysis, maps and the outputs all use.

Every output goes to a temporary name beside the final one and is renamed when complete, so
an interrupted run leaves no partial file.
"""

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
    """Write UTF-8 text atomically.

    Parameters
    ----------
    path : Path
        The file.
    text : str
        The text to write.
    """
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def inside(base: Path, path: Path) -> Path:
    """Return ``path`` if it lies inside ``base``; refuse anything that would escape it.

    Parameters
    ----------
    base : Path
        The folder ``path`` must lie in.
    path : Path
        The file.

    Raises
    ------
    OutputError
        When ``path`` resolves outside ``base`` (e.g. a name with ``../``).
    """
    resolved = path.resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise OutputError(f"{path}: refusing to write outside the output folder {base}")
    return path
