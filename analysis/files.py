"""Staged outputs: a run's files moved into ``--out`` together (atomic writers: carecircle.files).

Also the checks around it: ``--out`` writable before the analysis, a full disk reported as
such, spreadsheet cells that cannot run as formulas, and the inputs hashed as they were read.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from carecircle.errors import CarecircleError, OutputError
from carecircle.files import atomic_path, inside, write_atomic, write_text_atomic
from carecircle.text import formula_safe

if TYPE_CHECKING:
    from carecircle.config import Study


def staging_folder(out: Path) -> Path:
    """Return the folder inside ``out`` where this process stages a run's outputs."""
    return out / f".carecircle-staging-{os.getpid()}"


@contextmanager
def staged_outputs(out: Path, kind: str = "audit", inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Write a run's outputs into a staging folder, then move them into ``out`` together.

    If the block fails or is interrupted (Ctrl-C), the staging folder is removed and every
    previous output in ``out`` stays as it was; no partial file is left behind. A full disk
    is reported as such. Once moved, the files of the previous ``kind`` run that this run did
    not write again (a removed street's map) are removed: only files listed in the manifest
    ``.carecircle-manifest.json`` and unchanged since (see ``analysis.manifest``).
    Staging folders of runs killed before they could clean up are removed first.

    Parameters
    ----------
    out : Path
        The output folder.
    kind : str, default "audit"
        The command writing (``audit``, ``site``): each replaces only its own earlier files.
    inputs : iterable of Path, optional
        The study's input files: an output that would replace one stops the run first.

    Yields
    ------
    Path
        The staging folder to write into (same relative layout as ``out``).

    Raises
    ------
    OutputError
        When the disk is full or the folder cannot be written; earlier outputs are kept.
    """
    import shutil

    from carecircle.analysis.manifest import remove_dead_staging, replace_outputs

    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_dead_staging(out)
        stage = staging_folder(out)
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir()
    except OSError as exc:
        raise _write_failure(out, out, exc, moving=False) from None
    try:
        try:
            yield stage
        except Exception as exc:  # only write failures are reworded, the rest re-raised
            failure = _write_failure(out, stage, exc, moving=False)
            if failure is exc:
                raise
            raise failure from None
        try:
            replace_outputs(out, stage, kind, inputs)
        except Exception as exc:  # only write failures are reworded, the rest re-raised
            failure = _write_failure(out, stage, exc, moving=True)
            if failure is exc:
                raise
            raise failure from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


_DISK_FULL_TEXT = "No space left on device"
#: Write failures reported as an output problem (any other OSError is a defect to report).
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO)


def _write_failure(out: Path, stage: Path, exc: BaseException, *, moving: bool) -> BaseException:
    """Return the error to raise for ``exc`` while writing (or moving) the outputs.

    A full disk or a refused write becomes an :class:`OutputError` saying so; anything else
    (a defect, or a planner's error already worded) is returned as it is.
    """
    if isinstance(exc, CarecircleError):
        return exc
    if not isinstance(exc, OSError):
        if _DISK_FULL_TEXT not in str(exc):  # GDAL and others report a full disk as text
            return exc
        exc = OSError(errno.ENOSPC, _DISK_FULL_TEXT)
    if exc.errno not in _WRITE_ERRNOS:
        return exc
    name = Path(exc.filename) if exc.filename else None
    if name is not None and name.is_relative_to(stage):
        name = name.relative_to(stage)
    where = f" ({name})" if name else ""
    kept = (
        "files not yet moved keep their previous version"
        if moving
        else "the previous outputs there are unchanged"
    )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(
            f"{out}: 磁盘已满 / the disk is full (no space left on device){where}; {kept}: "
            "free some space or choose another --out"
        )
    return OutputError(
        f"{out}: 无法写入 / cannot write the outputs ({exc.strerror or exc}){where}; {kept}: "
        "close the file if it is open in Excel or QGIS, check the folder, or choose another --out"
    )


def check_out_folder(out: Path) -> Path:
    """Check, before any analysis, that ``out`` is (or can become) a folder one can write to.

    A folder that had to be created for the check is removed again, so a run stopped later
    by an input error leaves nothing behind.

    Parameters
    ----------
    out : Path
        The ``--out`` folder.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    OutputError
        Naming the folder: a file in its place, or no permission to create or write it.
    """
    import tempfile

    if out.exists() and not out.is_dir():
        raise OutputError(
            f"--out {out}: 这是文件不是文件夹 / is a file, not a folder; give a folder"
        )
    missing = [p for p in (out, *out.parents) if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=".carecircle-write-check-"):
            pass
    except OSError as exc:
        raise OutputError(
            f"--out {out}: 无法写入此文件夹 / cannot write into this folder "
            f"({exc.strerror or exc}); choose a folder you can write to"
        ) from None
    finally:
        for folder in missing:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
    return out


def input_files(study: Study) -> list[Path]:
    """Return the study file and every input file of ``study`` (database sources left out)."""
    return [study.path, *(p for p in study.input_paths().values() if isinstance(p, Path))]


def input_record(study: Study) -> dict[str, dict[str, str | None]]:
    """Return run.json's ``inputs``: each file with its SHA-256 as it is now, before reading.

    Call it before the analysis: a file changed while the run reads it is then recorded as
    it was read, not as it is at the end.

    Parameters
    ----------
    study : Study
        The study.

    Returns
    -------
    dict
        Role -> ``{"file", "sha256"}`` (``sha256`` None for a file that cannot be read
        now, which the reader then reports) or ``{"database"}``.
    """
    from carecircle.geo.network_io import file_sha256

    record: dict[str, dict[str, str | None]] = {}
    for role, source in study.input_paths().items():
        if isinstance(source, Path):
            try:
                digest: str | None = file_sha256(source)
            except OSError:
                digest = None
            record[role] = {"file": str(source.name), "sha256": digest}
        else:
            record[role] = {"database": source.describe()}
    return record


def csv_cell(value: object) -> object:
    """Return a CSV cell that no spreadsheet runs as a formula and no reader splits.

    Formula-safe (:func:`carecircle.text.formula_safe`); a carriage return inside text
    becomes a line feed, since Python's CSV writer quotes a field holding a line feed but
    not one holding a bare carriage return, which readers take for the end of the row.
    """
    value = formula_safe(value)
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def formula_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with every text cell and header made safe for a CSV (:func:`csv_cell`).

    Every CSV writer goes through this (XLSX cells through ``analysis.xlsx``): a name such
    as ``=HYPERLINK(…)`` or ``@cmd`` stays text with a leading quote; number columns are
    untouched, so a negative number stays a number.

    Parameters
    ----------
    df : DataFrame
        The table to write.

    Returns
    -------
    DataFrame
        ``df`` itself when nothing needed escaping, else an escaped copy.
    """
    text_columns = [
        c
        for c in df.columns
        if pd.api.types.is_object_dtype(df[c])
        or pd.api.types.is_string_dtype(df[c])
        or isinstance(df[c].dtype, pd.CategoricalDtype)
    ]
    changed = {}
    for column in text_columns:
        values = df[column].astype(object).tolist()
        cells = [csv_cell(v) for v in values]
        if any(new is not old for new, old in zip(cells, values, strict=True)):
            changed[column] = pd.Series(cells, index=df.index, dtype=object)
    headers = [csv_cell(c) for c in df.columns]
    if not changed and headers == list(df.columns):
        return df
    out = df.copy()
    for column, cells_series in changed.items():
        out[column] = cells_series
    out.columns = headers
    return out


__all__ = [
    "atomic_path",
    "check_out_folder",
    "csv_cell",
    "formula_safe_frame",
    "input_files",
    "input_record",
    "inside",
    "staged_outputs",
    "staging_folder",
    "write_atomic",
    "write_text_atomic",
]
