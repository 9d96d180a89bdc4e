"""Stage timing and the accounting record that ends up in run.json."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("carecircle")


@dataclass
class RunRecord:
    """What a run did: seconds per stage, counts, and every excluded input with its reason."""

    stages: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    excluded: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage and log it."""
        log.info("▶ %s", name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = round(time.perf_counter() - start, 3)
            log.info("  %s: %.2f s", name, self.stages[name])

    def exclude(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Record excluded inputs of a kind (facility, community, cell) with their reasons."""
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
