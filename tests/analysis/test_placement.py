"""Cells decided by community and street: overlaps, and residents carried across streets."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from carecircle.analysis.placement import place_cells
from carecircle.analysis.stages import RunRecord
from carecircle.errors import InputDataError

STREETS = gpd.GeoDataFrame(
    {"code": ["A", "B"], "name": ["甲", "乙"]},
    geometry=[shapely.box(0, 0, 0.01, 0.01), shapely.box(0.01, 0, 0.02, 0.01)],
    crs=4326,
)


def _communities(a_east: float, b_west: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["a", "b"], "name": ["a", "b"], "street": ["A", "B"], "kind": "urban"},
        geometry=[shapely.box(0, 0, a_east, 0.01), shapely.box(b_west, 0, 0.02, 0.01)],
        crs=4326,
    )


def _cells(xs: list[float], residents: list[float]) -> tuple[pd.DataFrame, np.ndarray]:
    half = 0.00025
    cells = pd.DataFrame(
        {
            "cell_id": range(len(xs)),
            "lon": xs,
            "lat": 0.005,
            "residents": residents,
            "older_residents": [r / 4 for r in residents],
        }
    )
    squares = shapely.box(cells["lon"] - half, 0.005 - half, cells["lon"] + half, 0.005 + half)
    return cells, np.asarray(squares)


def test_overlap_of_two_streets_goes_to_the_street_holding_the_cell() -> None:
    # a reaches 0.002° into B over b: the cell at 0.011 lies in both communities
    cells, squares = _cells([0.005, 0.011, 0.015], [100.0, 100.0, 100.0])
    rec = RunRecord()
    with rec.capture_warnings():
        placed = place_cells(cells, squares, _communities(0.012, 0.01), rec, streets=STREETS)
    assert placed["community"].tolist() == ["a", "b", "b"]
    assert placed["street"].tolist() == ["A", "B", "B"]
    assert rec.warnings == []


def test_a_few_residents_carried_into_another_street_are_warned() -> None:
    # b gives up the strip 0.010–0.012 to a: the cell at 0.011 (10 of B's 510) moves to A
    cells, squares = _cells([0.005, 0.011, 0.015], [100.0, 10.0, 500.0])
    rec = RunRecord()
    with rec.capture_warnings():
        placed = place_cells(cells, squares, _communities(0.012, 0.012), rec, streets=STREETS)
    assert placed["street"].tolist() == ["A", "A", "B"]
    assert len(rec.warnings) == 1
    assert "1 populated cell (10 residents, 2 older) lies in a community" in rec.warnings[0]
    assert "10 residents of community a of street A lie in street B" in rec.warnings[0]


def test_many_residents_carried_into_another_street_are_refused() -> None:
    cells, squares = _cells([0.005, 0.011, 0.015], [100.0, 100.0, 500.0])
    with pytest.raises(InputDataError, match=r"that is 17% of street B's residents"):
        place_cells(cells, squares, _communities(0.012, 0.012), RunRecord(), streets=STREETS)
