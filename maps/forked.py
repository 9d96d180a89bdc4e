"""Jobs run by forked worker processes that inherit what they read instead of receiving it.

A process pool pickles every job to its worker: for the street maps that is each street's
part of the audit (megabytes of cells, squares, service areas), pickled by the parent one
after the other while the workers wait. Here the workers are forked with the whole result
already in their memory (copy-on-write: nothing is copied or pickled); each takes the next
task number from a shared counter, runs that task and sends back its (small) result. The
results are returned in task order, so the output does not depend on which worker finished
first. A failure in a worker is raised in the parent; Ctrl-C stops the workers at once.

:func:`start_forked` returns at once (the parent goes on with other work while the workers
run) and :meth:`ForkedRun.collect` waits for the results; :func:`run_forked` does both. Given
``busy`` (another process uses the other core: the output writers' side lane), ``run_forked``
runs the tasks in this process while it lasts and forks workers only for what is left then.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any, Generic, TypeVar

Shared = TypeVar("Shared")
Task = TypeVar("Task")
Result = TypeVar("Result")
#: Seconds between checks that the workers are alive, while waiting for their results.
POLL_S = 0.5


def _ignore(_task: object) -> None:
    """Default ``on_done``: nothing."""


class ForkedRun(Generic[Task, Result]):
    """Forked workers running tasks; :meth:`collect` their results, :meth:`stop` them.

    Made with no worker; :meth:`fork` adds them, and this process may run tasks itself
    (:meth:`run_here`), taken from the same counter. :func:`start_forked` forks them at
    once. Use it as a context manager to stop the workers when the block is left (by an
    error or Ctrl-C too).

    Parameters
    ----------
    tasks : sequence
        The tasks (only their numbers are shared).
    on_done : callable
        Called in this process with each task once it is done (progress bar).
    what : str
        What the workers make, for the error message of a dead worker.
    """

    def __init__(self, tasks: Sequence[Task], on_done: Callable[[Task], object], what: str) -> None:
        self._tasks, self._on_done, self._what = tasks, on_done, what
        # Held while the workers run: ``Process.start`` drops its arguments, and a freed
        # counter's shared memory would be handed to the next run's counter.
        self._counter: Synchronized[int] = multiprocessing.get_context("fork").Value("i", 0)
        self._procs: list[BaseProcess] = []
        self._done: dict[int, Result] = {}
        self._open: dict[Connection, BaseProcess] = {}  # the pipes still open, their workers

    def collect(self) -> list[Result]:
        """Wait for every task; return the results in task order.

        Raises what a task raised, or RuntimeError naming ``what`` when a worker died.
        """
        self.wait_for(len(self._tasks))
        return [self._done[k] for k in range(len(self._tasks))]

    def fork(self, shared: Any, work: Callable[[Any, Task], Result], n: int) -> None:
        """Fork ``n`` workers taking the next tasks (all stopped if one cannot start).

        Parameters
        ----------
        shared : object
            What every task reads (inherited by the workers, never pickled).
        work : callable
            Runs one task in a worker and returns its result.
        n : int
            How many workers to fork.
        """
        context = multiprocessing.get_context("fork")
        try:
            for _ in range(n):
                receive, send = context.Pipe(duplex=False)
                args = (shared, self._tasks, work, self._counter, send)
                proc = context.Process(target=_work, args=args, daemon=True)
                self._procs.append(proc)  # before its start: a Ctrl-C right after stops it
                self._open[receive] = proc
                proc.start()
                send.close()
        except BaseException:
            self.stop()
            raise

    def run_here(self, shared: Any, work: Callable[[Any, Task], Result]) -> int | None:
        """Run the next task in this process; return its number (``None`` when none is left).

        The task is taken from the counter the workers share, so no worker runs it too.

        Parameters
        ----------
        shared : object
            What the task reads.
        work : callable
            Runs one task and returns its result (kept for :meth:`collect`).
        """
        k = _take(self._counter)
        if k >= len(self._tasks):
            return None
        self._done[k] = work(shared, self._tasks[k])
        self._on_done(self._tasks[k])
        return k

    @property
    def left(self) -> int:
        """How many tasks no process has taken yet."""
        return max(0, len(self._tasks) - int(self._counter.value))

    @property
    def forked(self) -> int:
        """How many workers were forked."""
        return len(self._procs)

    def finished(self) -> bool:
        """Return whether every task is done, reading the results sent so far.

        It waits for no task: only for a worker that has closed its pipe to exit. Raises what
        a task raised, as :meth:`collect` does.
        """
        while ready := wait(list(self._open), timeout=0):
            for pipe in ready:
                assert isinstance(pipe, Connection)
                self._receive(pipe)
        return len(self._done) == len(self._tasks)

    def wait_for(self, count: int) -> None:
        """Wait until the first ``count`` tasks are done (a single worker does them in order).

        Parameters
        ----------
        count : int
            How many of the first tasks must be done.

        Raises
        ------
        Exception
            What a task raised, or RuntimeError naming ``what`` when a worker died.
        """
        while any(k not in self._done for k in range(min(count, len(self._tasks)))):
            if not self._open:
                raise RuntimeError(f"the {self._what} workers stopped before finishing")
            for pipe in wait(list(self._open), timeout=POLL_S):
                assert isinstance(pipe, Connection)
                self._receive(pipe)

    def _receive(self, pipe: Connection) -> None:
        """Read one message of a worker: a result, an error (raised), or its end."""
        try:
            kind, k, value = pipe.recv()
        except EOFError:  # the worker has exited: every result of it was read before
            proc = self._open.pop(pipe)
            proc.join(timeout=2)
            if proc.exitcode not in (0, None):
                code = proc.exitcode
                raise RuntimeError(f"a {self._what} worker died (exit code {code})") from None
            return
        if kind == "error":
            raise value
        self._done[k] = value
        self._on_done(self._tasks[k])

    def stop(self) -> None:
        """Terminate the workers still running and reap them."""
        started = [worker for worker in self._procs if worker.pid is not None]
        for worker in started:
            if worker.is_alive():
                worker.terminate()
        for worker in started:
            worker.join(timeout=2)

    def __enter__(self) -> ForkedRun[Task, Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_forked(
    shared: Shared,
    tasks: Sequence[Task],
    work: Callable[[Shared, Task], Result],
    *,
    workers: int,
    on_done: Callable[[Task], object] = _ignore,
    what: str = "map",
) -> ForkedRun[Task, Result]:
    """Fork ``workers`` processes running ``work(shared, task)`` for every task; return at once.

    Parameters
    ----------
    shared : object
        What every task reads (inherited by the forked workers, never pickled).
    tasks : sequence
        The tasks (only their numbers are shared; each result is pickled back).
    work : callable
        Runs one task in a worker and returns its result.
    workers : int
        Worker processes (at least 1, at most one per task).
    on_done : callable, optional
        Called in this process with each task once it is done (progress bar), by ``collect``.
    what : str, default "map"
        What the workers make, for the error message of a dead worker.

    Returns
    -------
    ForkedRun
        The running workers.
    """
    run: ForkedRun[Task, Result] = ForkedRun(tasks, on_done, what)
    run.fork(shared, work, max(1, min(workers, len(tasks))))
    return run


def run_forked(
    shared: Shared,
    tasks: Sequence[Task],
    write: Callable[[Shared, Task], list[Path]],
    *,
    workers: int,
    on_done: Callable[[Task], object],
    busy: Callable[[], bool] | None = None,
) -> list[Path]:
    """Run ``write(shared, task)`` for every task; return the files in task order.

    Parameters
    ----------
    shared : object
        What every task reads (inherited by the forked workers, never pickled).
    tasks : sequence
        The tasks (small: each is sent to no one, only its number is shared).
    write : callable
        Writes one task's files and returns their paths.
    workers : int
        Worker processes (1: all in this process).
    on_done : callable
        Called in this process with each task once it is done (progress bar).
    busy : callable, optional
        Whether another process uses the other core now (the output writers' side lane,
        ``outputs.run``). While it does, this process runs the tasks itself, one after the
        other: a forked worker would only take turns with the two busy processes, at the
        cost of the pages it copies. Once it returns False, ``workers - 1`` workers are
        forked to share the tasks left (when two or more are) with this process.

    Returns
    -------
    list of Path
        The files written, task by task.
    """
    if workers <= 1 or len(tasks) <= 1:
        paths: list[Path] = []
        for task in tasks:
            paths += write(shared, task)
            on_done(task)
        return paths
    if busy is None:
        with start_forked(shared, tasks, write, workers=workers, on_done=on_done) as run:
            return [path for paths in run.collect() for path in paths]
    here: ForkedRun[Task, list[Path]] = ForkedRun(tasks, on_done, "map")
    with here:
        while here.run_here(shared, write) is not None:
            if here.forked:
                here.finished()  # a worker's error is raised now, not after the last task
            elif here.left >= 2 and not busy():
                here.fork(shared, write, min(workers - 1, here.left))
        return [path for paths in here.collect() for path in paths]


def _take(counter: Synchronized[int]) -> int:
    """Return the next task number of a run (shared by its processes) and count it taken."""
    with counter.get_lock():
        k = counter.value
        counter.value += 1
    return int(k)


def _work(
    shared: Any,
    tasks: Sequence[Any],
    work: Callable[[Any, Any], Any],
    counter: Synchronized[int],
    send: Connection,
) -> None:
    """Take the next task number until none is left; send back its result or its error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent answers Ctrl-C and stops us
    while (k := _take(counter)) < len(tasks):
        try:
            send.send(("done", k, work(shared, tasks[k])))
        except BaseException as error:  # noqa: BLE001 - sent to the parent, raised there
            try:
                send.send(("error", k, error))
            except Exception:  # noqa: BLE001 - an error that cannot be pickled
                send.send(("error", k, RuntimeError(f"{type(error).__name__}: {error}")))
            break
    send.close()
