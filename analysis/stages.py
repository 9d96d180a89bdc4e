"""Stage timing, progress, and the accounting record that ends up in run.json."""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger("carecircle")

T = TypeVar("T")

#: a stage shows its elapsed time on a terminal once it has run this long (seconds)
TICKER_DELAY_S = 2.0


class StageInterrupted(KeyboardInterrupt):
    """Ctrl-C during a stage: which stage, and how long it had run.

    A ``KeyboardInterrupt``, so everything that handles Ctrl-C handles it.

    Parameters
    ----------
    stage : str
        The stage that was running.
    seconds : float
        How long it had run.
    """

    def __init__(self, stage: str, seconds: float) -> None:
        super().__init__(stage, seconds)
        self.stage, self.seconds = stage, seconds

    def __str__(self) -> str:
        return f"during {self.stage} (after {self.seconds:.1f} s)"


def show_progress(progress: bool) -> bool:
    """Whether to draw progress: asked for (not ``-q``) and stderr is a terminal."""
    try:
        return progress and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


class _Ticker:
    """The elapsed time of a running stage, drawn on a terminal after two seconds.

    Drawn from a thread, so a stage spent in one long library call still shows that it is
    alive; replaced by a real bar when the stage reports steps (:meth:`RunRecord.steps`).
    """

    def __init__(self, name: str) -> None:
        self._name, self._stop = name, threading.Event()
        self._bar: tqdm[Any] | None = None
        self._started = time.time()  # tqdm's clock
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from tqdm import tqdm

        if self._stop.wait(TICKER_DELAY_S):
            return
        with self._lock:
            if self._stop.is_set():
                return
            bar = tqdm(
                desc=f"  {self._name}",
                bar_format="{desc} … {elapsed}",
                leave=False,
                file=sys.stderr,
                delay=TICKER_DELAY_S,  # no first line before the stage's start is set
            )
            bar.start_t = self._started  # the stage's time, not the line's
            bar.refresh()
            self._bar = bar
        while not self._stop.wait(0.5):
            with self._lock:
                if self._bar is not None:
                    self._bar.refresh()

    def close(self) -> None:
        """Stop drawing and clear the line."""
        with self._lock:
            self._stop.set()
            if self._bar is not None:
                self._bar.close()
                self._bar = None
        self._thread.join(timeout=1.0)


@dataclass
class RunRecord:
    """What a run did: seconds per stage, counts, and every excluded input with its reason.

    Attributes
    ----------
    progress : bool
        Draw progress on a terminal (the command line's default; off with ``-q``).
    digests : dict
        SHA-256 of input files already hashed during the run (path → hex), so run.json
        does not read a large network file a second time.
    writers : dict
        Seconds of each output writer (``tables``, ``maps``, ``static maps``, …), within the
        ``write tables`` / ``write maps`` stages; run.json's ``writers_seconds``.
    """

    stages: dict[str, float] = field(default_factory=dict)
    writers: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    excluded: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    progress: bool = False
    digests: dict[str, str] = field(default_factory=dict)
    _ticker: _Ticker | None = field(default=None, repr=False, compare=False)
    #: Seconds of stages whose first part ran (``stage(name, continues=True)``), not done yet.
    _begun: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    @contextmanager
    def stage(self, name: str, *, continues: bool = False) -> Iterator[None]:
        """Time a stage and log it; an interrupted or failed stage is not recorded as done.

        Ctrl-C inside the stage is re-raised as :class:`StageInterrupted` naming the stage.
        A stage may run in parts with other stages between them (work left running in the
        background, e.g. the service areas drawn from the cells' snap to the indicators): each
        part but the last with ``continues=True``, logged as begun (then continued), not as
        done; the stage is recorded, with the seconds of all its parts, when its last part
        ends.

        Parameters
        ----------
        name : str
            The stage, e.g. ``"route"``.
        continues : bool, default False
            This is the stage's first part: keep its seconds for the part that ends it.
        """
        log.info("▶ %s", name)
        before = self._begun.pop(name, 0.0)
        start = time.perf_counter()
        self._stop_ticker()  # an enclosing stage's line gives way to this one
        self._ticker = _Ticker(name) if show_progress(self.progress) else None
        try:
            yield
        except StageInterrupted:
            raise
        except KeyboardInterrupt:
            raise StageInterrupted(name, before + time.perf_counter() - start) from None
        finally:
            self._stop_ticker()
        seconds = before + time.perf_counter() - start
        if continues:
            self._begun[name] = seconds
            state = "continued" if before else "begun"  # a stage may run in several parts
            log.info("  %s: %s (%.2f s so far)", name, state, seconds)
            return
        self.stages[name] = round(seconds, 3)
        log.info("  %s: %.2f s", name, self.stages[name])

    def steps(self, items: Iterable[T], *, total: int, unit: str, desc: str = "") -> Iterator[T]:
        """Iterate ``items`` with a progress bar (on a terminal, not with ``-q``).

        Inside a stage the bar replaces the stage's elapsed-time line.

        Parameters
        ----------
        items : iterable
            The steps.
        total : int
            How many.
        unit : str
            What one step is (``"layer"``, ``"row"``).
        desc : str, optional
            Label of the bar.
        """
        if not show_progress(self.progress):
            yield from items
            return
        from tqdm import tqdm

        self._stop_ticker()
        yield from tqdm(items, total=total, unit=unit, desc=f"  {desc}", leave=False)

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.close()
            self._ticker = None

    def exclude(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Record excluded inputs of a kind (facility, community, cell) with their reasons.

        Parameters
        ----------
        kind : str
            What is excluded (``facilities``, ``cells``, ...).
        items : list[dict[str, Any]]
            One record per excluded item (id, reason, ...).
        """
        if items:
            self.excluded.setdefault(kind, []).extend(items)

    def warn(self, message: str) -> None:
        """Log a warning (kept for run.json by :func:`capture_warnings`)."""
        log.warning("%s", message)

    @contextmanager
    def capture_warnings(self) -> Iterator[None]:
        """Keep every warning logged by carecircle during the block in ``warnings``.

        The warnings go to the record of the audit running in the same thread / context
        (a context variable), so two audits in one process (threads, a notebook) keep their
        own; one filter-free handler is attached to the ``carecircle`` logger for the block
        and removed when no audit is capturing any more.
        """
        token = _CAPTURING.set(self)
        with _HANDLER_LOCK:
            _KEEPER.users += 1
            if _KEEPER.users == 1:
                log.addHandler(_KEEPER)
        try:
            yield
        finally:
            _CAPTURING.reset(token)
            with _HANDLER_LOCK:
                _KEEPER.users -= 1
                if _KEEPER.users == 0:
                    log.removeHandler(_KEEPER)


#: The record capturing warnings in the current thread / context (None: none).
_CAPTURING: contextvars.ContextVar[RunRecord | None] = contextvars.ContextVar(
    "carecircle_run_record", default=None
)


class _Keeper(logging.Handler):
    """Append each warning to the record of the context that logged it."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.users = 0

    def emit(self, entry: logging.LogRecord) -> None:
        record = _CAPTURING.get()
        if record is not None:
            record.warnings.append(entry.getMessage())


_KEEPER = _Keeper()
_HANDLER_LOCK = threading.Lock()
