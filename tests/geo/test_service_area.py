"""Service areas drawn from a raster of the reached stretches, against the exact buffer."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from network_cases import make_network
from scipy import ndimage

from carecircle.geo import service_area_raster
from carecircle.geo.routing import nearest_source_distances
from carecircle.geo.service_area import (
    SIMPLIFY_PX,
    AreaGrid,
    disc_dilation,
    grid_for,
    mask_pieces,
    mask_polygon,
    reached_mask,
    reached_segments,
    service_area_polygon,
)
from carecircle.geo.snap import Snapped

BUFFER = 40.0
SIMPLIFY = 5.0
AREA_TOLERANCE = 0.65  # relative area error per (cell / buffer), as geo/service_area.py states

CASES = {
    "one street": [[[0, 0], [500, 0]]],
    "corner, diagonal and a stub": [
        [[0, 0], [500, 0]],
        [[500, 0], [500, 300]],
        [[0, 0], [300, 400]],
        [[100, -200], [137, -263]],
        [[-300, -300], [-280, -290]],
    ],
    "thirty crossing streets": np.random.default_rng(1).uniform(-400, 500, (30, 2, 2)),
}


def _exact(segments: np.ndarray) -> shapely.Geometry:
    return shapely.buffer(shapely.multilinestrings(shapely.linestrings(segments)), BUFFER)


@pytest.mark.parametrize("cell", [5.0, 10.0, 16.0])
@pytest.mark.parametrize("name", list(CASES))
def test_band_matches_the_exact_buffer_within_the_tolerance(name: str, cell: float) -> None:
    segments = np.asarray(CASES[name], dtype=np.float64)
    area = service_area_polygon(segments, cell_m=cell, simplify_m=SIMPLIFY)
    exact = _exact(segments)
    assert shapely.is_valid(area)
    # no reached stretch outside the drawn area
    assert shapely.covers(area, shapely.linestrings(segments)).all()
    # the boundary within 1.5 cells (plus the simplification) of the exact one
    tolerance = 1.5 * cell + SIMPLIFY
    assert shapely.covers(exact.buffer(tolerance), area)
    assert shapely.covers(area, exact.buffer(-tolerance))
    # a band parallel to the grid gains or loses up to half a pixel on each side
    assert area.area == pytest.approx(exact.area, rel=AREA_TOLERANCE * cell / BUFFER)


def test_one_street_has_the_hand_computed_area() -> None:
    # 500 m × 80 m band plus two half discs of 40 m: 40,000 + 5,026.5 m²
    area = service_area_polygon(np.array([[[0.0, 0.0], [500.0, 0.0]]]), cell_m=10.0)
    assert area.area == pytest.approx(40_000 + np.pi * 40**2, rel=AREA_TOLERANCE * 10 / BUFFER)


def test_partly_reached_edge_is_cut_at_the_remaining_distance() -> None:
    # 0 —400 m— 1 —400 m— 2; a facility at node 0 and a 600 m radius: the stretch ends at 600
    net = make_network([(0, 0), (400, 0), (800, 0)], [(0, 1), (1, 2)])
    source = Snapped(
        edge=np.array([0]),
        t=np.array([0.0]),
        distance=np.array([0.0]),
        x=np.zeros(1),
        y=np.zeros(1),
    )
    dist = nearest_source_distances(net, source, limit_m=1200.0, with_source=False).distance
    segments = reached_segments(net, dist, 600.0, sources=source)
    assert segments[:, :, 0].max() == pytest.approx(600.0)
    area = service_area_polygon(segments, cell_m=10.0)
    assert area.contains(shapely.Point(600.0, 0.0))
    assert area.contains(shapely.Point(615.0, 0.0))  # inside the 40 m cap
    assert not area.intersects(shapely.Point(665.0, 0.0))  # beyond cap + tolerance
    assert not area.intersects(shapely.Point(300.0, 65.0))  # beside the band


def test_nothing_reached_gives_an_empty_area() -> None:
    assert service_area_polygon(np.zeros((0, 2, 2))).is_empty


def test_a_window_holds_only_the_band_near_it() -> None:
    segments = np.array([[[0.0, 0.0], [2000.0, 0.0]]])
    grid = grid_for((0.0, 0.0, 2000.0, 0.0))
    mask = reached_mask(segments, grid)
    part = mask_polygon(mask, grid, bounds=(500.0, -100.0, 1000.0, 100.0))
    minx, _, maxx, _ = part.bounds
    assert 490.0 <= minx <= 500.0 and 1000.0 <= maxx <= 1010.0
    assert part.area == pytest.approx(500 * 80, rel=AREA_TOLERANCE * grid.cell_m / BUFFER)
    assert mask_polygon(mask, grid, bounds=(0.0, 500.0, 100.0, 600.0)).is_empty


def test_grid_grows_within_its_budget_and_stays_fine_enough() -> None:
    assert grid_for((0.0, 0.0, 1000.0, 1000.0)).cell_m == 10.0
    city = grid_for((0.0, 0.0, 40_000.0, 40_000.0), max_pixels=6e6)
    assert 10.0 < city.cell_m <= BUFFER / 2.5
    assert city.width * city.height <= 6.2e6 or city.cell_m == BUFFER / 2.5
    with pytest.raises(ValueError, match="too coarse"):
        reached_mask(np.zeros((0, 2, 2)), AreaGrid(0.0, 0.0, 20.0, 10, 10))


@pytest.mark.parametrize(
    ("shape", "share", "radius"),
    [((300, 200), 0.01, 3.8), ((40, 7), 0.1, 3.8), ((64, 64), 0.02, 6.25), ((1, 9), 0.3, 3.2)],
)
def test_disc_dilation_equals_scipy_with_the_disc(
    shape: tuple[int, int], share: float, radius: float
) -> None:
    seeds = np.random.default_rng(7).random(shape) < share
    r = int(radius)
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    disc = dx * dx + dy * dy <= radius * radius + 1e-9
    expected = ndimage.binary_dilation(seeds, structure=disc)
    assert expected.sum() > seeds.sum()
    np.testing.assert_array_equal(disc_dilation(seeds, radius), expected)


def _crossing_band(tile_px: int) -> tuple[np.ndarray, AreaGrid]:
    segments = np.random.default_rng(3).uniform(0, 3000, (40, 2, 2))
    grid = grid_for((0.0, 0.0, 3000.0, 3000.0))
    assert grid.width > 3 * tile_px  # several tiles each way
    return reached_mask(segments, grid), grid


def test_tiles_outlined_in_one_batch_equal_tiles_outlined_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mask, grid = _crossing_band(64)
    together = mask_pieces(mask, grid, tile_px=64)
    monkeypatch.setattr(service_area_raster, "_TILES_AT_ONCE", 1)
    alone = mask_pieces(mask, grid, tile_px=64)
    assert together.size == alone.size > 25
    assert list(shapely.to_wkb(together)) == list(shapely.to_wkb(alone))


def test_pieces_of_neighbouring_tiles_neither_overlap_nor_leave_gaps() -> None:
    mask, grid = _crossing_band(64)
    pieces = mask_pieces(mask, grid, tile_px=64)
    whole = mask_pieces(mask, grid, tile_px=grid.width + grid.height)  # one tile
    assert whole.size < pieces.size
    union = shapely.union_all(pieces)
    assert sum(p.area for p in pieces) == pytest.approx(union.area, rel=1e-9)
    # each tile simplifies its own outline: the union differs from one tile's only there
    assert union.area == pytest.approx(shapely.union_all(whole).area, rel=2e-3)
    assert shapely.covers(union.buffer(SIMPLIFY_PX * grid.cell_m + 1e-6), shapely.union_all(whole))
