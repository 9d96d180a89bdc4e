"""The generated benchmark city: deterministic, the sizes asked for, few river crossings."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from _city import write_city  # noqa: E402
from _city_layout import CitySpec, Frame  # noqa: E402
from _city_network import street_network  # noqa: E402

SPEC = CitySpec("tiny", nodes=8_000, cells=6_000, streets=4, communities=12, seed=5)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("city")
    return folder, write_city(folder, SPEC)


def test_same_seed_same_files(city: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    folder, _ = city
    write_city(tmp_path, SPEC)
    for name in ("network.osm", "facilities.csv", "study.toml"):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name
    for name in ("residents.tif", "older.tif"):
        with rasterio.open(tmp_path / name) as a, rasterio.open(folder / name) as b:
            assert np.array_equal(a.read(1), b.read(1))


def test_sizes_are_the_ones_asked_for(city: tuple[Path, dict[str, object]]) -> None:
    folder, info = city
    with rasterio.open(folder / "residents.tif") as src:
        assert int((src.read(1) > 0).sum()) == SPEC.cells
    assert info["populated_cells"] == SPEC.cells
    assert abs(int(info["osm_nodes"]) - SPEC.nodes) < 0.15 * SPEC.nodes
    streets = pyogrio.read_dataframe(folder / "streets.gpkg")
    communities = pyogrio.read_dataframe(folder / "communities.gpkg")
    assert (len(streets), len(communities)) == (SPEC.streets, SPEC.communities)
    # the communities tile the streets: same area, each inside the street it names
    area = shapely.area
    assert area(communities.geometry.array).sum() == pytest.approx(
        area(streets.geometry.array).sum(), rel=1e-9
    )
    inside = communities.merge(streets[["code", "geometry"]], left_on="street", right_on="code")
    assert shapely.covers(
        shapely.buffer(inside["geometry_y"].array, 1e-9), inside["geometry_x"].array
    ).all()


def test_river_is_crossed_only_by_bridges() -> None:
    rng = np.random.default_rng(SPEC.seed)
    frame = Frame.of(SPEC, rng)
    ways = street_network(SPEC, frame, rng)
    index = np.searchsorted(ways.node_id, ways.refs)
    u, v = frame.plan(ways.lon[index], ways.lat[index])
    side = np.sign(v - frame.river_v(u))
    way_of = np.repeat(np.arange(ways.offsets.size - 1), np.diff(ways.offsets))
    crosses = np.zeros(ways.offsets.size - 1, dtype=bool)
    step = (side[1:] != side[:-1]) & (way_of[1:] == way_of[:-1])
    crosses[way_of[1:][step]] = True
    assert crosses.any()
    assert ways.bridge[crosses].all()
    assert set(np.unique(ways.highway)) >= {"primary", "secondary", "residential", "footway"}
    assert (ways.name != "").mean() > 0.3
