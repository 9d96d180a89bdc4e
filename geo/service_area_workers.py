"""Service-area layers drawn by forked workers while the caller goes on with other work.

The workers are forked when :meth:`BandWorkers.start` is called, with the network, the
layers and the grid already in their memory (copy-on-write: nothing is pickled to them).
Each takes the next layer number from a shared counter, routes it (a facility type's own
walk), rasterises and outlines it (:func:`band_pieces`) and reprojects its pieces
(:func:`pieces_in_wgs84`). A layer that needs a route the caller has not finished yet (the
audit's circle) is added later with :meth:`BandWorkers.add`, which forks one more worker
for it: so the other layers are drawn meanwhile, on the core the caller leaves idle. A
worker sends its results back once it has no layer left, so that it never waits on a busy
caller that is not reading yet. :meth:`BandWorkers.results` returns them in layer order
(the same pieces whichever worker drew which layer); a worker's error is raised there.
Leaving the ``with`` block early (an error or Ctrl-C in the caller) terminates the workers
at once.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from types import TracebackType

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer

from carecircle.geo.network import WalkNetwork
from carecircle.geo.routing import nearest_source_distances
from carecircle.geo.service_area import band_pieces, reached_segments
from carecircle.geo.service_area_grid import AreaGrid
from carecircle.geo.snap import Snapped

ObjectArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Seconds between checks that the workers are alive, while waiting for their results.
POLL_S = 0.5


@dataclass(frozen=True, eq=False)
class Layer:
    """One service area: the streets within ``radius_m`` walking distance of ``sources``.

    Attributes
    ----------
    radius_m : float
        Walking distance (m).
    sources : Snapped
        The facilities it walks from, snapped.
    node_distance : ndarray, optional
        Distance (m) from the nearest source to each node when routed already (the
        circle's, from the route stage); None to route it within ``radius_m``.
    """

    radius_m: float
    sources: Snapped
    node_distance: npt.NDArray[np.float64] | None = None


def layer_pieces(
    network: WalkNetwork, layer: Layer, grid: AreaGrid, *, crs: CRS | None = None
) -> ObjectArray:
    """Return the band of one layer as pieces (:func:`band_pieces`), routed first if need be.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    layer : Layer
        The layer.
    grid : AreaGrid
        The grid of every layer.
    crs : pyproj.CRS, optional
        The grid's CRS: the pieces are then returned in WGS84 (EPSG:4326).

    Returns
    -------
    ndarray of shapely geometries
        Non-overlapping pieces whose union is the band.
    """
    distance = layer.node_distance
    if distance is None:
        distance = nearest_source_distances(
            network, layer.sources, limit_m=layer.radius_m, with_source=False
        ).distance
    segments = reached_segments(network, distance, layer.radius_m, sources=layer.sources)
    pieces = band_pieces(segments, grid)
    if crs is None:
        return pieces
    return pieces_in_wgs84(pieces, grid, crs)


#: Spacing (pixels) of the grid nodes projected exactly; the points between are interpolated.
LATTICE_PX = 32
#: Largest error (degrees, ~1 cm) of the interpolation; beyond it every point is projected.
LATTICE_TOLERANCE_DEG = 1e-7


def pieces_in_wgs84(pieces: ObjectArray, grid: AreaGrid, crs: CRS) -> ObjectArray:
    """Return the pieces reprojected from the grid's ``crs`` to WGS84 (EPSG:4326).

    Only the nodes of a coarse lattice over the grid (every :data:`LATTICE_PX` pixels) are
    projected; each point is interpolated bilinearly between the four nodes around it (5-10×
    fewer projections for a city's millions of outline points). The error is measured at
    the middle of every lattice cell, where bilinear interpolation errs most: beyond
    :data:`LATTICE_TOLERANCE_DEG` (a projection curving fast over the lattice's ~0.5 km)
    every point is projected instead.

    Parameters
    ----------
    pieces : ndarray of shapely geometries
        Within the grid, in ``crs``.
    grid : AreaGrid
        The grid.
    crs : pyproj.CRS
        The grid's CRS.

    Returns
    -------
    ndarray of shapely geometries
        The same pieces in WGS84.
    """
    to_wgs84 = Transformer.from_crs(crs, 4326, always_xy=True)
    step = LATTICE_PX * grid.cell_m
    nx = math.ceil(grid.width / LATTICE_PX) + 1
    ny = math.ceil(grid.height / LATTICE_PX) + 1
    node_x = grid.left + step * np.arange(nx, dtype=np.float64)
    node_y = grid.top - step * np.arange(ny, dtype=np.float64)
    lon, lat = to_wgs84.transform(*np.meshgrid(node_x, node_y))
    mid_x, mid_y = np.meshgrid(node_x[:-1] + step / 2, node_y[:-1] - step / 2)
    mid_lon, mid_lat = to_wgs84.transform(mid_x, mid_y)
    err = max(
        np.abs(_mean_of_corners(lon) - mid_lon).max(initial=0.0),
        np.abs(_mean_of_corners(lat) - mid_lat).max(initial=0.0),
    )
    xy = shapely.get_coordinates(pieces)
    if not err <= LATTICE_TOLERANCE_DEG:  # (NaN too: a node outside the projection's area)
        out_x, out_y = to_wgs84.transform(xy[:, 0], xy[:, 1])
        projected = np.column_stack([out_x, out_y])
        return shapely.set_coordinates(pieces.copy(), projected)
    fx = (xy[:, 0] - grid.left) / step
    fy = (grid.top - xy[:, 1]) / step
    i = np.clip(np.floor(fx).astype(np.int64), 0, nx - 2)
    j = np.clip(np.floor(fy).astype(np.int64), 0, ny - 2)
    u, v = fx - i, fy - j
    out = np.column_stack([_bilinear(lon, i, j, u, v), _bilinear(lat, i, j, u, v)])
    return shapely.set_coordinates(pieces.copy(), out)


def _mean_of_corners(values: FloatArray) -> FloatArray:
    """Return the mean of the four corners of each cell of a lattice of values."""
    return (values[:-1, :-1] + values[:-1, 1:] + values[1:, :-1] + values[1:, 1:]) / 4.0


def _bilinear(
    values: FloatArray, i: IntArray, j: IntArray, u: FloatArray, v: FloatArray
) -> FloatArray:
    """Return ``values`` interpolated at column ``i + u``, row ``j + v`` of the lattice."""
    top = values[j, i] * (1.0 - u) + values[j, i + 1] * u
    bottom = values[j + 1, i] * (1.0 - u) + values[j + 1, i + 1] * u
    return top * (1.0 - v) + bottom * v


@dataclass(frozen=True)
class _Job:
    """What every worker reads (inherited at the fork)."""

    network: WalkNetwork
    layers: Sequence[Layer]
    grid: AreaGrid
    crs: CRS | None


class BandWorkers:
    """The pieces of each layer, drawn by forked workers from :meth:`start` on.

    With ``workers`` 1, inside a worker process (a batch) or off Linux, nothing runs in the
    background: :meth:`results` draws every layer here, one after the other.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    layers : sequence of Layer
        The layers, largest first (the circle) so the workers end close together.
    grid : AreaGrid
        The grid of every layer.
    crs : pyproj.CRS, optional
        The grid's CRS: the pieces are returned in WGS84 (reprojected by the workers).
    workers : int, default 2
        Worker processes (at most one per layer; 1: none, every layer drawn here).
    """

    def __init__(
        self,
        network: WalkNetwork,
        layers: Sequence[Layer],
        grid: AreaGrid,
        *,
        crs: CRS | None = None,
        workers: int = 2,
    ) -> None:
        self._job = _Job(network, tuple(layers), grid, crs)
        self.workers = workers
        self.background = not (
            self.workers <= 1
            or multiprocessing.parent_process() is not None  # a batch worker: no pool of its own
            or "fork" not in multiprocessing.get_all_start_methods()
        )
        self._procs: list[BaseProcess] = []
        self._pipes: list[Connection] = []
        self._counter: Synchronized[int] | None = None  # the next shared layer, once forked
        self._shared = 0  # the layers the workers share (those given before start)

    def __enter__(self) -> BandWorkers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def start(self, workers: int | None = None) -> None:
        """Fork the workers (nothing when the layers are drawn here).

        Parameters
        ----------
        workers : int, optional
            Fork only this many now (at most ``workers`` of the constructor, at most one per
            layer), e.g. one while this process routes and another with :meth:`add`.
        """
        if not self.background or self._counter is not None:
            return
        context = multiprocessing.get_context("fork")
        self._counter = context.Value("i", 0)
        self._shared = len(self._job.layers)
        count = self.workers if workers is None else min(workers, self.workers)
        # the workers share the caller's memory as it is at the fork (copy-on-write; the
        # audit forks before it snaps the cells, and after its route with add). (gc.freeze()
        # around this fork, to keep the workers' collector off the inherited objects, made
        # the rest of the audit slower: mid 16 -> 18.5 s, the maps' workers 1.2 s; once the
        # analysis is done, cc.write freezes them for its writers, outputs/run.py.)
        for _ in range(min(count, self._shared)):
            self._fork(None)

    def add(self, layer: Layer) -> None:
        """Add a layer that was not ready at :meth:`start` (it needed a route first).

        Once started in the background, one more worker is forked for it: it draws this
        layer first, then helps with those still left. Otherwise the layer is drawn with
        the others.

        Parameters
        ----------
        layer : Layer
            The layer; its pieces come last in :meth:`results`.
        """
        self._job = dataclasses.replace(self._job, layers=(*self._job.layers, layer))
        if self._counter is not None:
            self._fork(len(self._job.layers) - 1)

    def _fork(self, first: int | None) -> None:
        """Fork one worker: ``first`` (a layer number) drawn first, then the shared ones."""
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        args = (self._job, self._counter, self._shared, first, send)
        proc = context.Process(target=_work, args=args, daemon=True)
        self._procs.append(proc)  # before the start: Ctrl-C right after it still stops it
        self._pipes.append(receive)
        proc.start()
        send.close()

    def results(self, on_done: Callable[[int], object] | None = None) -> list[ObjectArray]:
        """Return the pieces of every layer, in layer order (waits for the workers).

        Parameters
        ----------
        on_done : callable, optional
            Called with each layer's number once it is drawn (progress).

        Returns
        -------
        list of ndarray
            The pieces of each layer.
        """
        job = self._job
        if not self.background:
            out = []
            for k, layer in enumerate(job.layers):
                out.append(layer_pieces(job.network, layer, job.grid, crs=job.crs))
                if on_done is not None:
                    on_done(k)
            return out
        self.start()
        done = _collect(len(job.layers), self._procs, self._pipes, on_done)
        self.close()
        return [done[k] for k in range(len(job.layers))]

    def close(self) -> None:
        """Terminate the workers still running (all of them once their results are in)."""
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self._procs:
            if proc.pid is not None:  # started (Ctrl-C may come before a start)
                proc.join(timeout=2)
        for pipe in self._pipes:
            pipe.close()
        self._procs, self._pipes = [], []


def _collect(
    n_layers: int,
    procs: list[BaseProcess],
    pipes: list[Connection],
    on_done: Callable[[int], object] | None,
) -> dict[int, ObjectArray]:
    """Receive every layer's pieces; raise what a worker raised or died of."""
    done: dict[int, ObjectArray] = {}
    open_pipes = dict(zip(pipes, procs, strict=True))
    while len(done) < n_layers:
        if not open_pipes:
            raise RuntimeError("the service-area workers stopped before drawing every layer")
        for pipe in wait(list(open_pipes), timeout=POLL_S):
            assert isinstance(pipe, Connection)
            try:
                kind, value = pipe.recv()
            except EOFError:  # the worker has exited: its results were read before
                proc = open_pipes.pop(pipe)
                proc.join(timeout=2)
                if proc.exitcode not in (0, None):
                    raise RuntimeError(
                        f"a service-area worker died (exit code {proc.exitcode})"
                    ) from None
                continue
            if kind == "error":
                raise value
            for k, pieces in value.items():
                done[k] = pieces
                if on_done is not None:
                    on_done(k)
    return done


def _work(
    job: _Job, counter: Synchronized[int], shared: int, first: int | None, send: Connection
) -> None:
    """Draw ``first`` (if any), then the next shared layer until none is left; send them all."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent answers Ctrl-C and stops us
    drawn: dict[int, ObjectArray] = {}
    try:
        if first is not None:
            drawn[first] = layer_pieces(job.network, job.layers[first], job.grid, crs=job.crs)
        while True:
            with counter.get_lock():
                k = counter.value
                counter.value += 1
            if k >= shared:
                break
            drawn[k] = layer_pieces(job.network, job.layers[k], job.grid, crs=job.crs)
    except BaseException as error:  # noqa: BLE001 - sent to the parent, raised there
        try:
            send.send(("error", error))
        except Exception:  # noqa: BLE001 - an error that cannot be pickled
            send.send(("error", RuntimeError(f"{type(error).__name__}: {error}")))
    else:
        send.send(("done", drawn))
    send.close()
