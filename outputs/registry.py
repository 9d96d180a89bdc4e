"""The registry of outputs: one :class:`Writer` per output, run in order by ``cc.write``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from carecircle.analysis.audit import Audit
    from carecircle.analysis.progress import PlanProgress
    from carecircle.analysis.siting import SitingResult
    from carecircle.analysis.siting.yearly import YearlySiting

#: The commands that write outputs: an audit, a siting run (the proposal), plan progress, and
#: a siting run year by year (``site --add-per-year``).
KINDS = ("audit", "site", "progress", "site-per-year")


@dataclass(frozen=True, kw_only=True, eq=False)
class WriteJob:
    """What a writer is given: the staging folder and the results to write.

    Attributes
    ----------
    folder : Path
        The staging folder (the outputs' layout inside ``--out``); writers write below it.
    audit : Audit
        The audit (of a plan progress: its baseline year's).
    cells : GeoDataFrame
        Every population cell of ``audit`` as a square, EPSG:4326 (``AuditResult.cells``).
    inputs : mapping, optional
        run.json's ``inputs``: each input file with its SHA-256 as read.
    siting : SitingResult, optional
        The proposal of a ``site`` run (None for an audit).
    plans : PlanProgress, optional
        The years audited against the plan, of a ``progress`` run.
    yearly : YearlySiting, optional
        The sites year by year of a ``site --add-per-year`` run (``audit`` is then the last
        year's).
    offline : bool
        Maps that need no internet.
    progress : bool
        Progress bars on a terminal.
    beside : callable, optional
        Whether writers still run in a process beside this one (the side lane of
        ``outputs.run``): while it returns True, the maps are drawn in this process, and
        their workers are forked only for the streets left once it returns False.
    """

    folder: Path
    audit: Audit
    cells: gpd.GeoDataFrame
    inputs: Mapping[str, Mapping[str, str | None]] | None = None
    siting: SitingResult | None = None
    plans: PlanProgress | None = None
    yearly: YearlySiting | None = None
    offline: bool = False
    progress: bool = False
    beside: Callable[[], bool] | None = None

    def __post_init__(self) -> None:
        given = [self.siting, self.plans, self.yearly]
        if sum(x is not None for x in given) > 1:
            raise ValueError(
                "a write job is one of a siting run, a plan progress or a siting per year"
            )

    @property
    def kind(self) -> str:
        """The command: ``site``, ``progress``, ``site-per-year`` (per year) or ``audit``."""
        if self.yearly is not None:
            return "site-per-year"
        if self.plans is not None:
            return "progress"
        return "audit" if self.siting is None else "site"

    @property
    def manifest_kind(self) -> str:
        """The run kind in the output folder's manifest (a siting run per year is a ``site`` run).

        Its files then replace those of an earlier ``site --add`` run in the same folder,
        and the other way round.
        """
        return "site" if self.kind == "site-per-year" else self.kind

    @property
    def proposals(self) -> pd.DataFrame | None:
        """The proposed sites drawn on the maps (of a siting run, per year or not), or None."""
        if self.yearly is not None:
            return self.yearly.sites
        return None if self.siting is None else self.siting.sites


@dataclass(frozen=True, kw_only=True)
class Writer:
    """One output: its name, the files it writes, and when it runs.

    Attributes
    ----------
    name : str
        Unique name, e.g. ``"tables"`` or ``"report.docx"``.
    write : callable
        ``write(job) -> list[Path]``: writes its files below ``job.folder``, returns them.
    kinds : frozenset of str
        The commands it writes for (``audit``, ``site``, ``progress``).
    stage : str, optional
        The run-record stage it is timed in (``"write tables"``, ``"write maps"``); None:
        untimed (run.json, written after every timed stage).
    order : int, default 50
        Writers run by ascending order, then in registration order (built-ins 10-80, run.json
        100: it records the seconds of the stages before it).
    files : str
        What it writes, for the docs (``coverage_by_*.csv, …``).
    concurrent : bool or callable, default False
        May run in a forked process beside the maps (``outputs.run.side_lane``): it reads
        only the job and writes only its own files; the concurrent writers run one after
        another, in order (so report.html finds the charts). Needs a ``stage``. A function
        of the job decides it run by run.
    reads : frozenset of str, default empty
        The writers whose files it reads (``report.docx``: the static maps). It
        runs after them: when they are concurrent and it is not, it waits for them, and the
        forked process writes them first; when it is concurrent and they are not, it is
        run in this process too, after them.
    """

    name: str
    write: Callable[[WriteJob], list[Path]]
    kinds: frozenset[str] = field(default=frozenset({"audit"}))
    stage: str | None = None
    order: int = 50
    files: str = ""
    concurrent: bool | Callable[[WriteJob], bool] = False
    reads: frozenset[str] = field(default=frozenset())

    def is_concurrent(self, job: WriteJob | None = None) -> bool:
        """Return whether it may run beside the maps in this run (``concurrent``).

        Parameters
        ----------
        job : WriteJob, optional
            The run's job, for a writer whose ``concurrent`` is a function of it (without
            one, such a writer runs in this process).
        """
        if isinstance(self.concurrent, bool):
            return self.concurrent
        return job is not None and bool(self.concurrent(job))

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"writer {self.name}: kinds must be among {KINDS}, not {unknown}")
        if self.concurrent and not self.stage:
            raise ValueError(f"writer {self.name}: a concurrent writer needs a stage")


class Registration:
    """Handle of a registered writer: ``remove()``, or use it as a context manager."""

    def __init__(self, registry: WriterRegistry, writer: Writer) -> None:
        self.registry, self.writer = registry, writer

    def remove(self) -> None:
        """Unregister the writer."""
        self.registry.unregister(self.writer.name)

    def __enter__(self) -> Writer:
        return self.writer

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


class WriterRegistry:
    """The writers, by name; iterated in run order (``order``, then registration)."""

    def __init__(self, writers: Iterable[Writer] = ()) -> None:
        self._items: dict[str, Writer] = {}
        for writer in writers:
            self.register(writer)

    def register(self, writer: Writer) -> Registration:
        """Add a writer; refused when its name is taken.

        Parameters
        ----------
        writer : Writer
            The output.

        Returns
        -------
        Registration
            Handle whose ``remove()`` (or ``with`` exit) unregisters it.
        """
        if writer.name in self._items:
            raise ValueError(f"writer {writer.name!r} is registered already")
        self._items[writer.name] = writer
        return Registration(self, writer)

    def unregister(self, name: str) -> None:
        """Remove a writer (no error when absent)."""
        self._items.pop(name, None)

    def __getitem__(self, name: str) -> Writer:
        return self._items[name]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[Writer]:
        return iter(sorted(self._items.values(), key=lambda w: w.order))

    def __len__(self) -> int:
        return len(self._items)

    def for_kind(self, kind: str) -> list[Writer]:
        """Return the writers of one command (``audit``, ``site``, ``progress``), in run order."""
        return [w for w in self if kind in w.kinds]
