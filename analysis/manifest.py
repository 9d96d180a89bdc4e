"""What a run wrote into ``--out``: replace the previous run's own files, never anyone else's.

``.carecircle-manifest.json`` lists, per command (``audit``, ``site``), every file the last run
of that command moved into the folder, with its size and modification time. The next run of
the same command removes the files of that list it did not write again (the map of a street
that is gone), but only those still exactly as carecircle left them; a file the planner added,
edited or replaced, and any file another command listed, stays.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from carecircle.errors import OutputError
from carecircle.text import counted

log = logging.getLogger(__name__)

MANIFEST = ".carecircle-manifest.json"
STAGING_PREFIX = ".carecircle-staging-"

FileStamps = dict[str, list[int]]


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (another user's counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # e.g. an id out of range: no such process
        return False
    return True


def remove_dead_staging(out: Path) -> list[Path]:
    """Remove staging folders of runs that were killed (``kill -9``) before cleaning up.

    Only ``.carecircle-staging-PID`` folders whose process no longer runs; a live run's
    folder (another run into the same ``--out``) is left alone.

    Parameters
    ----------
    out : Path
        The output folder.

    Returns
    -------
    list of Path
        The folders removed.
    """
    removed = []
    for folder in sorted(out.glob(STAGING_PREFIX + "*")):
        pid = folder.name.removeprefix(STAGING_PREFIX)
        if not folder.is_dir() or folder.is_symlink() or not pid.isdigit():
            continue
        if int(pid) == os.getpid() or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    if removed:
        log.info(
            "removed %s left in %s by an interrupted run (stopped before it could clean up)",
            counted(len(removed), "staging folder"),
            out,
        )
    return removed


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def read_manifest(out: Path) -> dict[str, FileStamps]:
    """Return the manifest of ``out`` (command -> relative path -> [size, mtime_ns]).

    A missing or unreadable manifest is empty: then nothing is removed.
    """
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        runs = data["runs"]
        return {
            str(kind): {str(k): [int(v[0]), int(v[1])] for k, v in files.items()}
            for kind, files in runs.items()
        }
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return {}


def _write_manifest(out: Path, runs: dict[str, FileStamps]) -> None:
    from carecircle.files import write_text_atomic

    text = json.dumps({"version": 1, "runs": runs}, ensure_ascii=False, indent=1, sort_keys=True)
    write_text_atomic(out / MANIFEST, text + "\n")


def _ours(out: Path, relative: str, stamp: list[int]) -> Path | None:
    """Return ``out/relative`` if it lies inside ``out`` and is as carecircle left it."""
    path = out / relative
    if Path(relative).is_absolute() or ".." in Path(relative).parts:
        return None
    try:
        if path.is_symlink() or not path.is_file():
            return None
        if not path.resolve().is_relative_to(out.resolve()):
            return None
        return path if _stamp(path) == stamp else None
    except OSError:
        return None


def _remove_empty_parents(path: Path, out: Path) -> None:
    folder = path.parent
    while folder != out and folder.is_relative_to(out):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            return
        folder = folder.parent


def replace_outputs(out: Path, stage: Path, kind: str, inputs: Iterable[Path] = ()) -> list[Path]:
    """Move the staged files into ``out``; remove the previous ``kind`` run's files not rewritten.

    Parameters
    ----------
    out : Path
        The output folder.
    stage : Path
        The staging folder inside it, holding this run's files.
    kind : str
        The command (``audit``, ``site``).
    inputs : iterable of Path, optional
        The run's input files: never overwritten nor removed.

    Returns
    -------
    list of Path
        The earlier files removed.

    Raises
    ------
    OutputError
        Before anything is moved, when an output would replace one of ``inputs``.
    """
    runs = read_manifest(out)
    protected = {p.resolve() for p in inputs}
    staged = sorted(p for p in stage.rglob("*") if p.is_file())
    clash = [
        p.relative_to(stage) for p in staged if (out / p.relative_to(stage)).resolve() in protected
    ]
    if clash:
        raise OutputError(
            f"--out {out}: 输出会覆盖输入 / writing {clash[0]} would replace an input file of "
            "this study; nothing was replaced: choose another --out folder"
        )
    written: FileStamps = {}
    for src in staged:
        relative = src.relative_to(stage)
        dst = out / relative
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        written[relative.as_posix()] = _stamp(dst)
    others = {name for k, files in runs.items() if k != kind for name in files}
    removed = []
    for name, stamp in runs.get(kind, {}).items():
        if name in written or name in others:
            continue
        path = _ours(out, name, stamp)
        if path is None or path.resolve() in protected:
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
            _remove_empty_parents(path, out)
    if removed:
        names = sorted(p.relative_to(out).as_posix() for p in removed)
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        log.info(
            "removed %s of the previous run that this run does not write (%s)",
            counted(len(removed), "file"),
            shown,
        )
    runs[kind] = written
    _write_manifest(out, runs)
    return removed
