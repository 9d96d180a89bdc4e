"""Cells to communities: by centre, else by overlap when mostly inside."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from carecircle.geo.assign import polygon_of_cells


def _cells(centres: list[tuple[float, float]], side: float = 1.0) -> tuple:
    xy = np.asarray(centres, dtype=float)
    squares = shapely.box(
        xy[:, 0] - side / 2, xy[:, 1] - side / 2, xy[:, 0] + side / 2, xy[:, 1] + side / 2
    )
    return xy[:, 0], xy[:, 1], squares


def test_centre_in_a_sliver_goes_to_the_larger_overlap_and_border_cells_stay_out() -> None:
    # two communities with a 0.2-wide sliver between them at x = 4.9 … 5.1
    polygons = gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[shapely.box(0, 0, 4.9, 10), shapely.box(5.1, 0, 10, 10)]
    )
    lon, lat, squares = _cells(
        [
            (2.0, 2.0),  # centre inside A
            (4.95, 5.0),  # centre in the sliver: 0.45 in A, 0.35 in B -> A
            (10.3, 5.0),  # border cell: 0.2 of it inside B -> outside
            (10.1, 5.0),  # border cell: 0.4 inside B -> still outside
            (20.0, 20.0),  # far away
        ]
    )
    index, by_overlap = polygon_of_cells(lon, lat, squares, polygons)
    assert index.tolist() == [0, 0, -1, -1, -1]
    assert by_overlap.tolist() == [False, True, False, False, False]
