"""Jobs run by forked worker processes that inherit what they read instead of receiving it.

A process pool pickles every job to its worker: for the street maps that is each street's
part of the audit (megabytes of cells, squares, service areas), pickled by the parent one
after the other while the workers wait. Here the workers are forked with the whole result
already in their memory (copy-on-write: nothing is copied or pickled); each takes the next
task number from a shared counter, writes that task's files and sends back their paths. The
paths are returned in task order, so the output does not depend on which worker finished
first. A failure in a worker is raised in the parent; Ctrl-C stops the workers at once.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import TypeVar

Shared = TypeVar("Shared")
Task = TypeVar("Task")
#: Seconds between checks that the workers are alive, while waiting for their results.
POLL_S = 0.5


def run_forked(
    shared: Shared,
    tasks: Sequence[Task],
    write: Callable[[Shared, Task], list[Path]],
    *,
    workers: int,
    on_done: Callable[[Task], object],
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
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    procs: list[BaseProcess] = []
    pipes: list[Connection] = []
    try:
        for _ in range(min(workers, len(tasks))):
            receive, send = context.Pipe(duplex=False)
            proc = context.Process(
                target=_work, args=(shared, tasks, write, counter, send), daemon=True
            )
            proc.start()
            send.close()
            procs.append(proc)
            pipes.append(receive)
        done = _collect(tasks, procs, pipes, on_done)
    finally:
        for worker in procs:
            if worker.is_alive():
                worker.terminate()
        for worker in procs:
            worker.join(timeout=2)
    return [path for k in range(len(tasks)) for path in done[k]]


def _collect(
    tasks: Sequence[Task],
    procs: list[BaseProcess],
    pipes: list[Connection],
    on_done: Callable[[Task], object],
) -> dict[int, list[Path]]:
    """Receive every task's paths from the workers; raise what a worker raised or died of."""
    done: dict[int, list[Path]] = {}
    open_pipes = dict(zip(pipes, procs, strict=True))
    while len(done) < len(tasks):
        if not open_pipes:
            raise RuntimeError("the map workers stopped before writing every map")
        for pipe in wait(list(open_pipes), timeout=POLL_S):
            assert isinstance(pipe, Connection)
            try:
                kind, k, value = pipe.recv()
            except EOFError:  # the worker has exited: every result of it was read before
                proc = open_pipes.pop(pipe)
                proc.join(timeout=2)
                if proc.exitcode not in (0, None):
                    raise RuntimeError(f"a map worker died (exit code {proc.exitcode})") from None
                continue
            if kind == "error":
                raise value
            done[k] = value
            on_done(tasks[k])
    return done


def _work(
    shared: Shared,
    tasks: Sequence[Task],
    write: Callable[[Shared, Task], list[Path]],
    counter: Synchronized[int],
    send: Connection,
) -> None:
    """Take the next task number until none is left; send back its paths or its error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent answers Ctrl-C and stops us
    while True:
        with counter.get_lock():
            k = counter.value
            counter.value += 1
        if k >= len(tasks):
            break
        try:
            send.send(("done", k, write(shared, tasks[k])))
        except BaseException as error:  # noqa: BLE001 - sent to the parent, raised there
            try:
                send.send(("error", k, error))
            except Exception:  # noqa: BLE001 - an error that cannot be pickled
                send.send(("error", k, RuntimeError(f"{type(error).__name__}: {error}")))
            break
    send.close()
