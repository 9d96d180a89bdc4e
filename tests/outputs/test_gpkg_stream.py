"""The cells' GeoPackage layer written in batches: the same layer as one write, and stoppable."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from carecircle.geo.vector_io import write_gpkg
from carecircle.outputs import gpkg
from carecircle.outputs.gpkg import geometry_type, write_layer


def _cells(n: int) -> gpd.GeoDataFrame:
    i = np.arange(n)
    x, y = 114.0 + (i % 7) * 0.001, 30.0 + (i // 7) * 0.001
    return gpd.GeoDataFrame(
        {
            "cell_id": i,
            "residents": np.where(i % 5 == 0, np.nan, i * 1.5),
            "nearest_facility": [None if k % 3 == 0 else f"站{k}" for k in i],
            "covered": i % 2 == 0,
            "empty": [None] * n,  # an all-null column (null type in Arrow)
        },
        geometry=shapely.box(x, y, x + 0.001, y + 0.001),
        crs="EPSG:4326",
    )


def test_batched_layer_reads_back_as_the_one_call_layer(tmp_path: Path) -> None:
    cells = _cells(95)
    write_gpkg(cells, tmp_path / "once.gpkg", "cells")
    write_layer(cells, tmp_path / "batched.gpkg", "cells", rows=10)  # 10 batches
    once = pyogrio.read_dataframe(tmp_path / "once.gpkg")
    batched = pyogrio.read_dataframe(tmp_path / "batched.gpkg")
    pd.testing.assert_frame_equal(batched, once)
    assert batched["nearest_facility"].iloc[:4].isna().tolist() == [True, False, False, True]
    info = pyogrio.read_info(tmp_path / "batched.gpkg")
    assert info["geometry_type"] == "Polygon" and info["features"] == 95
    assert info["crs"] == "EPSG:4326"
    assert [n for n, _ in pyogrio.list_layers(tmp_path / "batched.gpkg")] == ["cells"]


def test_batched_layer_is_reproducible(tmp_path: Path) -> None:
    cells = _cells(40)
    write_layer(cells, tmp_path / "a.gpkg", "cells", rows=7)
    write_layer(cells, tmp_path / "b.gpkg", "cells", rows=7)
    assert (tmp_path / "a.gpkg").read_bytes() == (tmp_path / "b.gpkg").read_bytes()


def test_mixed_geometries_are_written_at_once(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"n": [1, 2]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.MultiPolygon([shapely.box(2, 2, 3, 3)])],
        crs="EPSG:4326",
    )
    assert geometry_type(frame.geometry.to_numpy()) is None
    write_layer(frame, tmp_path / "m.gpkg", "mixed")
    assert pyogrio.read_dataframe(tmp_path / "m.gpkg")["n"].tolist() == [1, 2]


def test_ctrl_c_between_batches_stops_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    to_wkb = shapely.to_wkb

    def interrupted(geoms: np.ndarray) -> np.ndarray:
        calls.append(len(geoms))
        if len(calls) == 3:
            raise KeyboardInterrupt  # what Python raises on Ctrl-C between two batches
        return to_wkb(geoms)

    monkeypatch.setattr(gpkg.shapely, "to_wkb", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_layer(_cells(100), tmp_path / "stopped.gpkg", "cells", rows=10)
    assert calls == [10, 10, 10]  # stopped at the third batch, not after the tenth
