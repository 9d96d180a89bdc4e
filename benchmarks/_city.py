"""Generated benchmark cities: every input a study needs, cached by size and seed.

``city_study(spec)`` returns the folder of a generated city (built once, then reused from
``benchmarks/.cache/cities``): ``network.osm``, ``network.osm.pbf``, ``residents.tif``,
``older.tif`` (EPSG:4326, float32, nodata −1), ``streets.gpkg``, ``communities.gpkg``,
``facilities.csv`` (WGS84) and two study files, ``study.toml`` (the PBF network) and
``study_osm.toml`` (the XML network). Formats as the demo's; the generator is not the demo's.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
from _city_layout import CELL_DEG, CitySpec, Frame, boundaries, cell_metres, place_name
from _city_network import Ways, street_network, write_osm_pbf, write_osm_xml
from affine import Affine

from carecircle.data.district.population import write_raster

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "cities"
GENERATOR_VERSION = 1
HA_PER_FACILITY = 25.0

#: facility type -> (share, id prefix, floor area range m², beds range)
FACILITY_MIX = {
    "service_station": (0.40, "ST", (120, 400), (0, 0)),
    "day_care": (0.18, "DC", (300, 1200), (5, 30)),
    "meal_point": (0.14, "MP", (60, 250), (0, 0)),
    "health_station": (0.10, "HS", (80, 200), (0, 0)),
    "health_centre": (0.03, "HC", (800, 3000), (0, 20)),
    "comprehensive_centre": (0.04, "CC", (1000, 3000), (20, 80)),
    "embedded_care": (0.03, "EC", (400, 1500), (10, 50)),
    "institution": (0.03, "IN", (2000, 8000), (50, 300)),
    "rehab_rental": (0.02, "RR", (50, 150), (0, 0)),
    "dementia_unit": (0.01, "DU", (300, 900), (10, 40)),
    "rural_mutual_aid": (0.02, "RM", (100, 300), (0, 10)),
}
ZH = {
    "service_station": "养老服务站",
    "day_care": "日间照料中心",
    "meal_point": "长者食堂",
    "health_station": "社区卫生服务站",
    "health_centre": "社区卫生服务中心",
    "comprehensive_centre": "综合为老服务中心",
    "embedded_care": "长者照护之家",
    "institution": "养老院",
    "rehab_rental": "康复辅具租赁点",
    "dementia_unit": "认知障碍照护单元",
    "rural_mutual_aid": "农村幸福院",
}

STUDY = """[study]
name = "{title}"
data_date = "2026-01-01"

[inputs]
network = "{network}"
facilities = "facilities.csv"
residents = "residents.tif"
older_residents = "older.tif"
streets = "streets.gpkg"
communities = "communities.gpkg"

[network]
cache_dir = "cache"

[circle]
minutes = 15
walk_speed_m_s = 1.0
max_snap_m = 500

[standards]
profile = "generic"
"""


def _grid(frame: Frame) -> tuple[Affine, int, int]:
    """The raster grid covering the warped square (3″ cells)."""
    half = frame.side / 2 + 50.0
    edge = np.linspace(-half, half, 64)
    u = np.concatenate([edge, edge, np.full(64, -half), np.full(64, half)])
    v = np.concatenate([np.full(64, -half), np.full(64, half), edge, edge])
    lon, lat = frame.lonlat(u, v)
    west = np.floor(lon.min() / CELL_DEG) * CELL_DEG
    north = np.ceil(lat.max() / CELL_DEG) * CELL_DEG
    cols = int(np.ceil((lon.max() - west) / CELL_DEG))
    rows = int(np.ceil((north - lat.min()) / CELL_DEG))
    return Affine(CELL_DEG, 0.0, west, 0.0, -CELL_DEG, north), rows, cols


def population(
    spec: CitySpec, frame: Frame, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, Affine]:
    """Residents and older residents per cell: a few centres, noise, river and parks empty.

    Exactly ``spec.cells`` cells are populated (when the grid has that many).
    """
    transform, rows, cols = _grid(frame)
    lon = transform.c + (np.arange(cols) + 0.5) * CELL_DEG
    lat = transform.f - (np.arange(rows) + 0.5) * CELL_DEG
    glon, glat = np.meshgrid(lon, lat)
    u, v = frame.plan(glon.ravel(), glat.ravel())
    side = frame.side
    density = np.full(u.size, 0.15)
    for cu, cv, s in rng.uniform([-0.4, -0.4, 0.08], [0.4, 0.4, 0.25], (6, 3)) * [side, side, side]:
        density += np.exp(-((u - cu) ** 2 + (v - cv) ** 2) / (2 * s * s))
    residents = 60.0 * density * rng.lognormal(0.0, 0.5, u.size)
    outside = (np.abs(u) > side / 2) | (np.abs(v) > side / 2) | frame.in_river(u, v)
    residents[outside] = 0.0
    populated = np.flatnonzero(residents > 0)
    surplus = populated.size - spec.cells
    if surplus > 0:  # parks and squares
        residents[rng.choice(populated, surplus, replace=False)] = 0.0
    residents = np.round(residents, 1)
    older = np.round(residents * rng.uniform(0.14, 0.30, u.size), 1)
    shape = (rows, cols)
    return (
        residents.reshape(shape).astype(np.float32),
        older.reshape(shape).astype(np.float32),
        transform,
    )


def write_facilities(
    path: Path, residents: np.ndarray, transform: Affine, rng: np.random.Generator
) -> int:
    """About one facility per 25 ha of populated land, placed where people live; return count."""
    cell_ha = np.prod(cell_metres()) / 10_000.0
    flat = residents.ravel().astype(np.float64)
    count = max(20, round(np.count_nonzero(flat) * cell_ha / HA_PER_FACILITY))
    where = rng.choice(flat.size, count, p=flat / flat.sum())
    row, col = np.divmod(where, residents.shape[1])
    lon = transform.c + (col + rng.random(count)) * CELL_DEG
    lat = transform.f - (row + rng.random(count)) * CELL_DEG
    types = list(FACILITY_MIX)
    share = np.array([FACILITY_MIX[t][0] for t in types])
    kind = rng.choice(len(types), count, p=share / share.sum())
    lines = ["id,name,type,lon,lat,floor_area_m2,beds,nursing_beds,street,community"]
    for k, (t, lo, la) in enumerate(zip(kind.tolist(), lon.tolist(), lat.tolist(), strict=True)):
        ftype = types[t]
        _, prefix, (a0, a1), (b0, b1) = FACILITY_MIX[ftype]
        beds = int(rng.integers(b0, b1 + 1))
        lines.append(
            f"{prefix}{k + 1:06d},{place_name(k, ZH[ftype])},{ftype},{lo:.7f},{la:.7f},"
            f"{int(rng.integers(a0, a1 + 1))},{beds},{beds // 3},,"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return count


def write_city(
    folder: Path, spec: CitySpec, *, ways: Ways | None = None, river: bool = True
) -> dict[str, object]:
    """Write every input of a city into ``folder``; return what was written (counts, seconds).

    Parameters
    ----------
    folder : Path
        Output folder (created).
    spec : CitySpec
        Size and seed.
    ways : Ways, optional
        A network to use instead of generating one (the real-network row).
    river : bool, default True
        Generate the river (no population in it, few bridges).
    """
    from carecircle.geo.vector_io import write_gpkg

    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seed)
    frame = Frame.of(spec, rng, river=river)
    streets, communities = boundaries(spec, frame)
    write_gpkg(streets, folder / "streets.gpkg", "streets")
    write_gpkg(communities, folder / "communities.gpkg", "communities")
    residents, older, transform = population(spec, frame, rng)
    write_raster(folder / "residents.tif", residents, transform)
    write_raster(folder / "older.tif", older, transform)
    facilities = write_facilities(folder / "facilities.csv", residents, transform, rng)
    if ways is None:
        ways = street_network(spec, frame, rng)
    write_osm_xml(folder / "network.osm", ways)
    write_osm_pbf(folder / "network.osm.pbf", ways)
    title = f"基准城市 Benchmark {spec.name}"
    for name, network in (("study.toml", "network.osm.pbf"), ("study_osm.toml", "network.osm")):
        (folder / name).write_text(STUDY.format(title=title, network=network), encoding="utf-8")
    return {
        "osm_nodes": int(ways.node_id.size),
        "osm_ways": int(ways.offsets.size - 1),
        "populated_cells": int(np.count_nonzero(residents)),
        "facilities": facilities,
        "streets": len(streets),
        "communities": len(communities),
        "generate_s": round(time.perf_counter() - start, 2),
    }


def city_study(spec: CitySpec, *, cache: Path = CACHE) -> Path:
    """Return the folder of the generated city ``spec``, generating it when not cached."""
    folder = cache / f"{spec.name}-seed{spec.seed}-v{GENERATOR_VERSION}"
    if (folder / "complete").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    info = write_city(tmp, spec)
    (tmp / "complete").write_text(repr(info) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder
