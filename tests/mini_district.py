"""A hand-built mini district with known answers: a 1 km lattice of streets every 100 m.

Local metres (x east, y north) map to lon/lat through a transverse Mercator centred on the
district, and the study computes in that same CRS, so distances are exact: a cell's walking
distance to a facility on a lattice node is its snap distance to the nearest street plus the
Manhattan distance from the snap point to the node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer

if TYPE_CHECKING:
    from carecircle.analysis.audit import Audit

LOCAL = "+proj=tmerc +lat_0=32.04 +lon_0=118.78 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
TO_LONLAT = Transformer.from_crs(LOCAL, "EPSG:4326", always_xy=True)
TO_LOCAL = Transformer.from_crs("EPSG:4326", LOCAL, always_xy=True)
CELL = 1.0 / 1200.0
SPACING = 100.0
SIZE = 1000.0


@dataclass
class MiniDistrict:
    """Knobs of the mini district; defaults give a valid study."""

    facilities: list[dict[str, object]] = field(
        default_factory=lambda: [
            {
                "id": "F1",
                "name": "幸福养老服务站",
                "type": "service_station",
                "x": 200.0,
                "y": 200.0,
                "floor_area_m2": 300,
                "beds": 0,
                "nursing_beds": 0,
            },
            {
                "id": "F2",
                "name": "东区日间照料中心",
                "type": "day_care",
                "x": 800.0,
                "y": 900.0,
                "floor_area_m2": 500,
                "beds": 10,
                "nursing_beds": 5,
            },
            {
                "id": "H1",
                "name": "卫生服务站",
                "type": "health_station",
                "x": 500.0,
                "y": 500.0,
                "floor_area_m2": 200,
                "beds": 0,
                "nursing_beds": 0,
            },
        ]
    )
    residents_per_cell: float = 100.0
    older_share: float = 0.25
    profile: str = "shanghai"
    minutes: float = 10.0
    raster_crs: str | None = "EPSG:4326"
    facility_columns: tuple[str, ...] = (
        "id",
        "name",
        "type",
        "lon",
        "lat",
        "floor_area_m2",
        "beds",
        "nursing_beds",
        "street",
        "community",
    )


def lonlat(x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Local metres to WGS84."""
    lon, lat = TO_LONLAT.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def write_osm(path: Path) -> None:
    """Write the lattice as OSM XML: one way per row and column, split at every node."""
    n = int(SIZE / SPACING) + 1
    ids = np.arange(n * n).reshape(n, n) + 1  # ids[row(y), col(x)]
    xs = np.arange(n) * SPACING
    gx, gy = np.meshgrid(xs, xs)
    lon, lat = lonlat(gx.ravel(), gy.ravel())
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [
        f'  <node id="{i}" lat="{la:.9f}" lon="{lo:.9f}"/>'
        for i, lo, la in zip(ids.ravel(), lon, lat, strict=True)
    ]
    way = 1
    for k in range(n):
        for refs in (ids[k, :], ids[:, k]):
            nds = "".join(f'<nd ref="{r}"/>' for r in refs)
            lines.append(f'  <way id="{way}">{nds}<tag k="highway" v="residential"/></way>')
            way += 1
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")


def write_boundaries(folder: Path) -> None:
    """Two streets (west, east) of two communities each (south, north)."""
    half = SIZE / 2
    boxes = {
        "W-S": (0, 0, half, half),
        "W-N": (0, half, half, SIZE),
        "E-S": (half, 0, SIZE, half),
        "E-N": (half, half, SIZE, SIZE),
    }

    def poly(b: tuple[float, float, float, float]) -> shapely.Polygon:
        x0, y0, x1, y1 = b
        xs = np.array([x0, x1, x1, x0, x0])
        ys = np.array([y0, y0, y1, y1, y0])
        lon, lat = lonlat(xs, ys)
        return shapely.Polygon(np.stack([lon, lat], 1))

    com = gpd.GeoDataFrame(
        {
            "code": list(boxes),
            "name": ["西南社区", "西北社区", "东南社区", "东北社区"],
            "street": ["W", "W", "E", "E"],
            "kind": ["urban", "urban", "urban", "rural"],
        },
        geometry=[poly(b) for b in boxes.values()],
        crs="EPSG:4326",
    )
    streets = gpd.GeoDataFrame(
        {"code": ["W", "E"], "name": ["西街道", "东镇"]},
        geometry=[poly((0, 0, half, SIZE)), poly((half, 0, SIZE, SIZE))],
        crs="EPSG:4326",
    )
    com.to_file(folder / "communities.gpkg", driver="GPKG")
    streets.to_file(folder / "streets.gpkg", driver="GPKG")


def raster_grid() -> tuple[float, float, int, int]:
    """Origin (west, north) and shape of a raster whose cell centres lie inside the lattice."""
    lon0, lat0 = lonlat(15.0, 15.0)
    lon1, lat1 = lonlat(SIZE - 15.0, SIZE - 15.0)
    cols = int((lon1 - lon0) / CELL)
    rows = int((lat1 - lat0) / CELL)
    return float(lon0), float(lat0) + rows * CELL, rows, cols


def write_rasters(folder: Path, district: MiniDistrict) -> None:
    """Uniform residents and older residents; cell centres inside the lattice."""
    west, north, rows, cols = raster_grid()
    res = np.full((rows, cols), district.residents_per_cell, dtype=np.float32)
    res[0, 0] = -1.0  # one nodata cell
    old = np.where(res >= 0, res * district.older_share, -1.0).astype(np.float32)
    for name, data in (("residents.tif", res), ("older.tif", old)):
        profile = {
            "driver": "GTiff",
            "height": rows,
            "width": cols,
            "count": 1,
            "dtype": "float32",
            "nodata": -1.0,
            "transform": Affine(CELL, 0.0, west, 0.0, -CELL, north),
        }
        if district.raster_crs:
            profile["crs"] = district.raster_crs
        with rasterio.open(folder / name, "w", **profile) as dst:
            dst.write(data, 1)


def write_facilities(folder: Path, district: MiniDistrict) -> None:
    """Facilities CSV (WGS84) with the chosen columns."""
    rows = []
    for f in district.facilities:
        lon, lat = lonlat(f["x"], f["y"])
        record = {
            **f,
            "lon": f"{float(lon):.9f}",
            "lat": f"{float(lat):.9f}",
            "street": "",
            "community": "",
        }
        rows.append(",".join(str(record.get(c, "")) for c in district.facility_columns))
    text = ",".join(district.facility_columns) + "\n" + "\n".join(rows) + "\n"
    (folder / "facilities.csv").write_text(text, encoding="utf-8")


def write_mini_study(folder: Path, district: MiniDistrict | None = None) -> Path:
    """Write every input and the study TOML; return the study path."""
    district = district or MiniDistrict()
    folder.mkdir(parents=True, exist_ok=True)
    write_osm(folder / "network.osm")
    write_boundaries(folder)
    write_rasters(folder, district)
    write_facilities(folder, district)
    study = folder / "study.toml"
    study.write_text(
        f"""[study]
name = "小区 Mini district"
crs = "{LOCAL}"
[inputs]
network = "network.osm"
facilities = "facilities.csv"
residents = "residents.tif"
older_residents = "older.tif"
streets = "streets.gpkg"
communities = "communities.gpkg"
[circle]
minutes = {district.minutes}
walk_speed_m_s = 1.0
max_snap_m = 500
[standards]
profile = "{district.profile}"
""",
        encoding="utf-8",
    )
    return study


class MiniRun(NamedTuple):
    """The default mini district audited (conftest's ``mini_run``): its inputs and audit."""

    inputs: Path
    audit: Audit
