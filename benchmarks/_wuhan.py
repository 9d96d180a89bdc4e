"""The real-network benchmark row: central Wuhan's road centrelines as OSM, generated people.

The shapefile (``../shared/data/wuhan-central-roads-osm`` beside the repository) has no
tags: each polyline becomes one ``highway=residential`` way; vertices at the same coordinate
(to 1e-7°) become one node, so the noded intersections join. Population, boundaries and
facilities are generated over the network's extent (:mod:`_city`), without the generated
river.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
from _city import CACHE, GENERATOR_VERSION, write_city
from _city_layout import CitySpec
from _city_network import Ways

#: the shared real data beside the repository (``../shared/data``), as the tests read it
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ROADS = Path(
    os.environ.get(
        "CARECIRCLE_WUHAN_ROADS",
        str(SHARED_DATA / "wuhan-central-roads-osm" / "wuhan_central_roads.shp"),
    )
)
WUHAN = CitySpec("wuhan", nodes=0, cells=70_000, streets=12, communities=345, seed=7)


def shapefile_ways(path: Path) -> Ways:
    """Read road centrelines into OSM-like nodes and ways (shared vertices → one node)."""
    import pyogrio
    import shapely

    frame = pyogrio.read_dataframe(path)
    lines = shapely.get_parts(frame.geometry.array)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    keys = np.round(coords * 1e7).astype(np.int64)
    unique, node_of = np.unique(keys, axis=0, return_inverse=True)
    refs = node_of.ravel().astype(np.int64) + 1
    # drop repeated consecutive vertices (a way may not visit a node twice in a row)
    keep = np.ones(refs.size, dtype=bool)
    keep[1:] = ~((refs[1:] == refs[:-1]) & (line_of[1:] == line_of[:-1]))
    refs, line_of = refs[keep], line_of[keep]
    counts = np.bincount(line_of, minlength=len(lines))
    ok = counts >= 2
    refs = refs[ok[line_of]]
    counts = counts[ok]
    n = int(ok.sum())
    return Ways(
        node_id=np.arange(1, unique.shape[0] + 1, dtype=np.int64),
        lon=unique[:, 0] / 1e7,
        lat=unique[:, 1] / 1e7,
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        refs=refs,
        highway=np.full(n, "residential"),
        name=np.full(n, ""),
        bridge=np.zeros(n, dtype=bool),
    )


def wuhan_study(*, cache: Path = CACHE) -> Path | None:
    """Return the folder of the Wuhan study (built once), or None without the shapefile."""
    if not ROADS.is_file():
        return None
    folder = cache / f"wuhan-seed{WUHAN.seed}-v{GENERATOR_VERSION}"
    if (folder / "complete").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    info = write_city(tmp, WUHAN, ways=shapefile_ways(ROADS), river=False)
    (tmp / "complete").write_text(repr(info) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder
