"""Stage timing and the accounting record that ends up in run.json."""

from __future__ import annotations

import logging
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
        """Keep every warning logged by carecircle during the block in ``warnings``."""
        record = self

        class _Keep(logging.Handler):
            def emit(self, entry: logging.LogRecord) -> None:
                record.warnings.append(entry.getMessage())

        handler = _Keep(level=logging.WARNING)
        log.addHandler(handler)
        try:
            yield
        finally:
            log.removeHandler(handler)
