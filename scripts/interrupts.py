"""Ctrl-C for the command line: answered within two seconds, naming the stage it stopped."""
# (the command's process leaves with :func:`leave_now`: no wait for worker pools)

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from carecircle.analysis.files import staging_folder
from carecircle.analysis.stages import StageInterrupted

INTERRUPT_GRACE_S = 1.2  # Ctrl-C: seconds the running step gets to stop before a forced exit


def leave_now(code: int, *, flush: bool = True) -> None:
    """End the process at once with ``code``: stop its worker processes, flush, ``os._exit``.

    After Ctrl-C, the normal interpreter exit would wait for every process pool's running
    tasks to finish (``concurrent.futures`` joins its pools at exit: 3.7 s in the service-area
    stage of a city, measured) and forked workers ignore Ctrl-C (the parent stops them). The
    command has nothing left to write: its staging folder is removed already.

    Parameters
    ----------
    code : int
        The exit code (130 after Ctrl-C).
    flush : bool, default True
        Flush stdout and stderr first. Not from the watcher thread: the stuck main thread
        may hold a stream's lock (writing to a full pipe), and the flush would wait forever.
    """
    import multiprocessing

    for child in multiprocessing.active_children():
        child.terminate()
    for stream in (sys.stdout, sys.stderr) if flush else ():
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


class _CurrentStage(logging.Filter):
    """Remembers the stage being run, from the ``▶ stage`` lines (not seen with ``-q``)."""

    def __init__(self) -> None:
        super().__init__()
        self.name, self.started = "", 0.0

    def filter(self, record: logging.LogRecord) -> bool:
        """Note a stage's start; keep every record."""
        if record.msg == "▶ %s" and isinstance(record.args, tuple) and record.args:
            self.name, self.started = str(record.args[0]), time.perf_counter()
        elif record.msg == "  %s: %.2f s":
            self.name = ""  # the stage ended
        return True

    def interrupted(self) -> StageInterrupted | None:
        """Return the running stage as an interrupt, or None when none is known."""
        if not self.name:
            return None
        return StageInterrupted(self.name, time.perf_counter() - self.started)


def interrupted_text(exc: BaseException | None) -> str:
    """Return the one line printed after Ctrl-C, naming the stage that was running."""
    where = f" {exc}" if isinstance(exc, StageInterrupted) else ""
    return (
        f"已中断 interrupted{where}: the output folder keeps the previous run's files "
        "(a run moves its outputs in only when it completes)"
    )


@contextlib.contextmanager
def answer_interrupts(out: Path | None, grace_s: float = INTERRUPT_GRACE_S) -> Iterator[None]:
    """Make sure Ctrl-C is answered within ``grace_s`` seconds, even inside a library call.

    Python raises ``KeyboardInterrupt`` only between bytecodes, so a long C call (shapely,
    GDAL, scipy) would keep the planner waiting. The C-level signal handler writes to a
    wake-up pipe at once; a watcher thread reading it gives the main thread ``grace_s`` to
    stop by itself, then prints the message, removes this run's staging folder and exits
    with 130. Previous outputs are never touched: a run writes into a staging folder first.

    Parameters
    ----------
    out : Path or None
        The run's output folder (its staging folder is removed on a forced stop).
    grace_s : float
        Seconds the main thread gets to stop cleanly.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    finished = threading.Event()
    stage = _CurrentStage()
    logging.getLogger("carecircle").addFilter(stage)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)

    def watch() -> None:
        while not finished.is_set():
            try:
                data = os.read(read_fd, 16)
            except OSError:
                return
            if not data:
                return
            if signal.SIGINT in data and not finished.wait(grace_s):
                clear = "\r\x1b[K" if sys.stderr.isatty() else ""  # a progress line
                print(clear + interrupted_text(stage.interrupted()), file=sys.stderr, flush=True)
                if out is not None:
                    shutil.rmtree(staging_folder(Path(out)), ignore_errors=True)
                leave_now(130, flush=False)  # the message was flushed as printed

    watcher = threading.Thread(target=watch, name="carecircle-interrupt", daemon=True)
    watcher.start()
    try:
        yield
    except KeyboardInterrupt as exc:
        # Ctrl-C landing between the lines of a stage's own bookkeeping still names it
        known = None if isinstance(exc, StageInterrupted) else stage.interrupted()
        if known is not None:
            raise known from None
        raise
    finally:
        finished.set()
        logging.getLogger("carecircle").removeFilter(stage)
        signal.set_wakeup_fd(previous)
        os.close(write_fd)  # the watcher's read returns: end of file
        watcher.join(timeout=1.0)
        os.close(read_fd)
