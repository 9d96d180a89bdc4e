"""Service-area layers drawn by forked workers: the same pieces as drawn here, errors, Ctrl-C."""

from __future__ import annotations

import _thread
import multiprocessing
import signal
import threading
import time
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pytest
import shapely
from network_cases import make_network

from carecircle.geo import service_area_workers
from carecircle.geo.network import WalkNetwork
from carecircle.geo.routing import nearest_source_distances
from carecircle.geo.service_area import grid_for, reached_segments, service_area_polygon
from carecircle.geo.service_area_workers import BandWorkers, Layer, layer_pieces, pieces_in_wgs84
from carecircle.geo.snap import Snapped

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="forked workers: Linux"
)


def _lattice(n: int = 24, step: float = 100.0) -> WalkNetwork:
    """An n × n street lattice with jittered crossings (m)."""
    rng = np.random.default_rng(5)
    xy = [
        (i * step + rng.uniform(-20, 20), j * step + rng.uniform(-20, 20))
        for i in range(n)
        for j in range(n)
    ]
    edges = [(i * n + j, i * n + j + 1) for i in range(n) for j in range(n - 1)]
    edges += [(i * n + j, (i + 1) * n + j) for i in range(n - 1) for j in range(n)]
    return make_network(xy, edges)


def _sources(edges: list[int], t: list[float], net: WalkNetwork) -> Snapped:
    e = np.asarray(edges, dtype=np.int64) % net.n_edges
    return Snapped(e, np.asarray(t), np.zeros(e.size), np.zeros(e.size), np.zeros(e.size))


def _layers(net: WalkNetwork) -> list[Layer]:
    first = _sources([10, 300, 700], [0.5, 0.2, 0.9], net)
    routed = nearest_source_distances(net, first, limit_m=600.0, with_source=False).distance
    return [
        Layer(600.0, first, routed),  # routed already (the circle's)
        Layer(400.0, _sources([50], [0.3], net)),
        Layer(900.0, _sources([800, 1000], [0.0, 1.0], net)),
        Layer(250.0, _sources([5, 900], [0.7, 0.1], net)),
    ]


def _wkb(pieces: np.ndarray) -> list[bytes]:
    return list(shapely.to_wkb(pieces))


@pytest.fixture
def ctrl_c_answered() -> Iterator[None]:
    """Python's own Ctrl-C handler, even when the tests run where SIGINT is ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_workers_draw_the_same_pieces_as_this_process() -> None:
    net = _lattice()
    layers = _layers(net)
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    with BandWorkers(net, layers, grid, workers=1) as here:
        assert not here.background
        serial = here.results()
    done: list[int] = []
    with BandWorkers(net, layers, grid, workers=2) as pool:
        assert pool.background
        pool.start()
        assert len(multiprocessing.active_children()) >= 2
        forked = pool.results(on_done=done.append)
    assert sorted(done) == [0, 1, 2, 3]
    assert [p.size for p in forked] == [p.size for p in serial]
    assert all(p.size > 0 for p in serial)
    assert [_wkb(p) for p in forked] == [_wkb(p) for p in serial]
    # each layer is the band of its own walk: the union equals the polygon drawn at once
    for layer, pieces in zip(layers, serial, strict=True):
        dist = layer.node_distance
        if dist is None:
            dist = nearest_source_distances(
                net, layer.sources, limit_m=layer.radius_m, with_source=False
            ).distance
        segments = reached_segments(net, dist, layer.radius_m, sources=layer.sources)
        whole = service_area_polygon(segments, cell_m=grid.cell_m)
        assert shapely.union_all(pieces).area == pytest.approx(whole.area, rel=5e-3)


def test_a_layer_added_after_the_start_gets_its_own_worker() -> None:
    # the audit starts one worker on the types' layers before it snaps the cells, then adds
    # the circle's layer (routed by then): the same pieces as all drawn here, in add order
    net = _lattice()
    routed, *others = _layers(net)
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    with BandWorkers(net, [*others, routed], grid, workers=1) as here:
        serial = here.results()
    done: list[int] = []
    with BandWorkers(net, others, grid, workers=2) as pool:
        pool.start(workers=1)
        assert len(multiprocessing.active_children()) == 1
        pool.add(routed)
        assert len(multiprocessing.active_children()) == 2
        forked = pool.results(on_done=done.append)
    assert sorted(done) == [0, 1, 2, 3]
    assert [_wkb(p) for p in forked] == [_wkb(p) for p in serial]
    assert multiprocessing.active_children() == []


def test_a_layer_added_with_no_other_layer_is_drawn() -> None:
    # no facility type snapped: no shared layer, the added one still gets its worker
    net = _lattice(8)
    routed = _layers(net)[0]
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    expected = layer_pieces(net, routed, grid)
    with BandWorkers(net, [], grid, workers=2) as pool:
        assert pool.background
        pool.start(workers=1)
        assert multiprocessing.active_children() == []  # nothing to draw yet
        pool.add(routed)
        got = pool.results()
    assert len(got) == 1 and _wkb(got[0]) == _wkb(expected)


def test_pieces_are_reprojected_to_wgs84_when_the_crs_is_given() -> None:
    net = _lattice(8)
    layer = _layers(net)[0]
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    pieces = layer_pieces(net, layer, grid, crs=net.crs)
    minx, miny, maxx, maxy = shapely.total_bounds(pieces)
    # UTM zone 50N near its origin: longitudes ~112.5° E, latitudes ~0° (metres from it)
    assert 112.0 < minx < maxx < 113.0 and -0.01 < miny < maxy < 0.03


def test_a_batch_worker_draws_its_layers_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    net = _lattice(8)
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    monkeypatch.setattr(multiprocessing, "parent_process", object)
    workers = BandWorkers(net, _layers(net), grid, workers=2)
    assert not workers.background
    workers.start()
    assert multiprocessing.active_children() == []  # nothing forked
    assert len(workers.results()) == 4


def _fails(network: WalkNetwork, layer: Layer, *args: object, **kwargs: object) -> np.ndarray:
    raise ValueError(f"layer of {layer.radius_m:g} m cannot be drawn")


def test_an_error_in_a_worker_is_raised_here(monkeypatch: pytest.MonkeyPatch) -> None:
    net = _lattice(8)
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    monkeypatch.setattr(service_area_workers, "layer_pieces", _fails)  # the workers inherit it
    with (
        pytest.raises(ValueError, match=r"layer of \d+ m cannot be drawn"),
        BandWorkers(net, _layers(net), grid, workers=2) as pool,
    ):
        pool.start()
        pool.results()
    assert multiprocessing.active_children() == []


def _slow(network: WalkNetwork, layer: Layer, *args: object, **kwargs: object) -> np.ndarray:
    time.sleep(60)
    return np.empty(0, dtype=object)


def test_leaving_early_stops_the_workers_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    net = _lattice(8)
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    monkeypatch.setattr(service_area_workers, "layer_pieces", _slow)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), BandWorkers(net, _layers(net), grid) as pool:
        pool.start()
        assert len(multiprocessing.active_children()) == 2
        raise KeyboardInterrupt  # Ctrl-C while the caller does other work
    assert multiprocessing.active_children() == []
    assert time.perf_counter() - start < 3.0


@pytest.mark.usefixtures("ctrl_c_answered")
def test_ctrl_c_while_waiting_for_the_workers_is_answered_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    net = _lattice(8)
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    monkeypatch.setattr(service_area_workers, "layer_pieces", _slow)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), BandWorkers(net, _layers(net), grid) as pool:
        pool.start()
        timer.start()
        pool.results()
    timer.join()
    assert multiprocessing.active_children() == []
    assert time.perf_counter() - start < 3.0


def test_pieces_interpolated_to_wgs84_lie_within_a_centimetre_of_the_projection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    net = _lattice()
    layer = _layers(net)[2]
    grid = grid_for((net.x.min(), net.y.min(), net.x.max(), net.y.max()))
    local = layer_pieces(net, layer, grid)
    exact = gpd.GeoSeries(local, crs=net.crs).to_crs(4326).to_numpy()
    fast = pieces_in_wgs84(local, grid, net.crs)
    assert shapely.get_num_coordinates(fast).sum() == shapely.get_num_coordinates(exact).sum()
    gap = np.abs(shapely.get_coordinates(fast) - shapely.get_coordinates(exact)).max()
    assert 0.0 < gap <= service_area_workers.LATTICE_TOLERANCE_DEG  # interpolated, ~1 cm
    assert list(shapely.to_wkb(layer_pieces(net, layer, grid, crs=net.crs))) == list(
        shapely.to_wkb(fast)
    )
    # a projection curving beyond the tolerance: every point is projected
    monkeypatch.setattr(service_area_workers, "LATTICE_TOLERANCE_DEG", 0.0)
    projected = pieces_in_wgs84(local, grid, net.crs)
    assert list(shapely.to_wkb(projected)) == list(shapely.to_wkb(exact))
