"""Prepare the central-Wuhan example: district polygons and **made-up** facilities.

Run from anywhere (the paths are relative to the repository)::

    python docs/examples/wuhan/prepare.py
    carecircle audit docs/examples/wuhan/study.toml --out out/wuhan

Reads ``../shared/data`` beside the repository (see its README) and writes, into
``docs/examples/wuhan/inputs/`` (not tracked):

- ``districts.gpkg``: four central districts of the OSM district layer (江汉, 硚口, 江岸,
  武昌) as the study's street level (``code`` = OSM relation id, ``name`` = Chinese name);
  no 街道 or 社区 polygons exist offline, so the study gives no communities.
- ``facilities_MADE_UP.csv``: **invented facilities** (no public list of Wuhan's elder-care
  facilities exists): drawn at random, with a fixed seed, on road-layer vertices inside each
  district, at invented densities and floor areas. Every name starts with ``虚构 MADE-UP``.
  The coverage figures of this example describe these invented facilities, not Wuhan.

The output is the same on every run (fixed seed, sorted inputs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SHARED = REPO.parent / "shared" / "data"
ROADS = SHARED / "wuhan-central-roads-osm" / "wuhan_central_roads.shp"
DISTRICTS = SHARED / "wuhan-central-roads-osm" / "wuhan_districts_osm.shp"
#: OSM relation ids of the districts in the example (the street level)
CHOSEN = {3077256: "江汉区", 3077257: "硚口区", 3077255: "江岸区", 3076297: "武昌区"}
SEED = 17
#: invented facility types: (type, Chinese label, facilities per km², floor area range m²)
MADE_UP = (
    ("comprehensive_centre", "综合为老服务中心", 0.02, (1500, 3000)),
    ("day_care", "日间照料中心", 0.12, (400, 900)),
    ("service_station", "养老服务站", 0.35, (120, 300)),
    ("meal_point", "长者食堂", 0.25, (80, 200)),
    ("health_centre", "社区卫生服务中心", 0.06, (1000, 2500)),
    ("rehab_rental", "康复辅具租赁点", 0.02, (60, 120)),
)


def districts() -> gpd.GeoDataFrame:
    """Return the chosen districts as ``code, name, geometry`` (EPSG:4326), by code."""
    frame = gpd.read_file(DISTRICTS, engine="pyogrio")
    frame = frame[frame["id"].astype(int).isin(list(CHOSEN))].copy()
    frame["code"] = frame["id"].astype(int).astype(str)
    frame["name"] = frame["id"].astype(int).map(CHOSEN)
    return frame[["code", "name", "geometry"]].sort_values("code").reset_index(drop=True)


def made_up_facilities(units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Invent facilities on road vertices inside each district (fixed seed)."""
    lines = pyogrio.read_dataframe(ROADS).geometry.array
    xy = np.unique(np.round(shapely.get_coordinates(lines), 7), axis=0)  # sorted vertices
    rng = np.random.default_rng(SEED)
    km2 = units.to_crs(32650).area.to_numpy() / 1e6
    rows = []
    for ftype, label, per_km2, (low, high) in MADE_UP:
        for unit, area in zip(units.itertuples(), km2, strict=True):
            inside = xy[shapely.contains_xy(unit.geometry, xy[:, 0], xy[:, 1])]
            n = max(1, round(per_km2 * area))
            picks = inside[rng.choice(len(inside), size=min(n, len(inside)), replace=False)]
            for lon, lat in picks:
                k = len(rows) + 1
                residential = ftype in ("comprehensive_centre", "day_care")
                beds = int(rng.integers(10, 40)) if residential else 0
                rows.append(
                    {
                        "id": f"WH{k:04d}",
                        "name": f"虚构 MADE-UP {unit.name}{label}{k:04d}",
                        "type": ftype,
                        "lon": f"{lon:.7f}",
                        "lat": f"{lat:.7f}",
                        "floor_area_m2": int(rng.integers(low, high + 1)),
                        "beds": beds,
                        "nursing_beds": beds // 2,
                    }
                )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Write ``districts.gpkg`` and ``facilities_MADE_UP.csv``; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "inputs")
    args = parser.parse_args(argv)
    if not ROADS.is_file() or not DISTRICTS.is_file():
        parser.error(f"{SHARED} is not beside the repository (see docs/examples/wuhan/README.md)")
    args.out.mkdir(parents=True, exist_ok=True)
    units = districts()
    units.to_file(args.out / "districts.gpkg", driver="GPKG", engine="pyogrio")
    fac = made_up_facilities(units)
    fac.to_csv(args.out / "facilities_MADE_UP.csv", index=False, encoding="utf-8")
    print(f"{len(units)} districts, {len(fac)} MADE-UP facilities written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
