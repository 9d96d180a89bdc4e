"""Probe (not part of ``make bench``): time service areas and maps on a synthetic city.

A jittered lattice network (streets every 120 m, shape nodes every 24 m) is handed to the
audit directly (no OSM file), with a population raster, square streets and communities and
about one facility per 25 ha (none in a random 40 % of 2 km blocks, so that gaps exist).
Prints the audit's stage seconds, the map-writing seconds and the largest map sizes.

Usage: ``python benchmarks/_maps_probe.py district|mid|city [--workers N]``
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from pyproj import CRS, Transformer
from rasterio import Affine

import carecircle.analysis.audit as audit_module
from carecircle.analysis.audit import audit_study
from carecircle.config import load_study
from carecircle.geo.network import network_from_segments
from carecircle.geo.segments import NetworkSegments
from carecircle.maps.charts import render_report
from carecircle.maps.gap_maps import render_maps

CRS_M = "EPSG:32650"
X0, Y0 = 450_000.0, 3_500_000.0
SIZES = {  # nodes, raster side (cells), streets per side, communities per street (cols, rows)
    "district": (50_000, 224, (5, 2), (5, 2)),
    "mid": (300_000, 500, (8, 5), (6, 3)),
    "city": (1_000_000, 1000, (10, 10), (5, 4)),
}
SPACING, STEP = 120.0, 24.0
TYPES = ["service_station", "day_care", "comprehensive_centre", "embedded_care", "meal_point"]


def lattice(nodes: int, rng: np.random.Generator) -> tuple[NetworkSegments, float]:
    """A jittered street lattice of about ``nodes`` nodes; return it and its side (m)."""
    side = float(np.sqrt(nodes * SPACING * STEP / 2.0))
    m = int(side / STEP)
    k = int(SPACING / STEP)
    ii, jj = np.mgrid[0 : m + 1, 0 : m + 1]
    on = (ii % k == 0) | (jj % k == 0)
    index = np.full(on.shape, -1, dtype=np.int64)
    index[on] = np.arange(int(on.sum()))
    x = jj[on] * STEP
    y = ii[on] * STEP
    corner = (ii[on] % k == 0) & (jj[on] % k == 0)
    jitter = rng.uniform(-6.0, 6.0, (2, x.size)) * ~corner
    x, y = X0 + x + jitter[0], Y0 + y + jitter[1]
    lon, lat = Transformer.from_crs(CRS_M, 4326, always_xy=True).transform(x, y)
    rows = ii[:, :-1] % k == 0
    h_u, h_v = index[:, :-1][rows], index[:, 1:][rows]
    cols = jj[:-1, :] % k == 0
    v_u, v_v = index[:-1, :][cols], index[1:, :][cols]
    u, v = np.concatenate([h_u, v_u]), np.concatenate([h_v, v_v])
    seg = NetworkSegments(
        np.arange(x.size, dtype=np.int64),
        np.asarray(lon),
        np.asarray(lat),
        u,
        v,
        np.zeros(u.size, dtype=np.int64),
        2 * (m // k + 1),
        2 * (m // k + 1),
    )
    return seg, m * STEP


def boxes(side: float, nx: int, ny: int, x0: float = X0, y0: float = Y0) -> list[shapely.Polygon]:
    """``nx`` × ``ny`` boxes tiling a square (row by row)."""
    w, h = side / nx, side / ny
    return [
        shapely.box(x0 + i * w, y0 + j * h, x0 + (i + 1) * w, y0 + (j + 1) * h)
        for j in range(ny)
        for i in range(nx)
    ]


def write_inputs(folder: Path, size: str, side: float, rng: np.random.Generator) -> Path:
    """Rasters, boundaries, facilities and the study TOML; return the study path."""
    _, cells, (snx, sny), (cnx, cny) = SIZES[size]
    folder.mkdir(parents=True, exist_ok=True)
    cell = side / cells
    res = rng.poisson(12.0, (cells, cells)).astype(np.float32) + 1
    old = np.floor(res * 0.22).astype(np.float32)
    for name, data in (("residents.tif", res), ("older.tif", old)):
        with rasterio.open(
            folder / name,
            "w",
            driver="GTiff",
            height=cells,
            width=cells,
            count=1,
            dtype="float32",
            crs=CRS_M,
            nodata=-1.0,
            transform=Affine(cell, 0.0, X0, 0.0, -cell, Y0 + side),
        ) as dst:
            dst.write(data, 1)
    streets = boxes(side, snx, sny)
    codes = [f"S{i:03d}" for i in range(len(streets))]
    gpd.GeoDataFrame(
        {"code": codes, "name": [f"街道{i}" for i in range(len(streets))]},
        geometry=streets,
        crs=CRS_M,
    ).to_file(folder / "streets.gpkg")
    com_geom, com_code, com_street = [], [], []
    for code, street in zip(codes, streets, strict=True):
        sx0, sy0, sx1, _ = street.bounds
        for i, g in enumerate(boxes(sx1 - sx0, cnx, cny, sx0, sy0)):
            com_geom.append(g.intersection(street))
            com_code.append(f"{code}-{i:02d}")
            com_street.append(code)
    gpd.GeoDataFrame(
        {
            "code": com_code,
            "name": [f"社区{c}" for c in com_code],
            "street": com_street,
            "kind": ["urban"] * len(com_code),
        },
        geometry=com_geom,
        crs=CRS_M,
    ).to_file(folder / "communities.gpkg")
    n_fac = int(side * side / 250_000)
    fx, fy = rng.uniform(0, side, n_fac), rng.uniform(0, side, n_fac)
    blocks = rng.random((int(side // 2000) + 1,) * 2) < 0.4
    keep = ~blocks[(fy // 2000).astype(int), (fx // 2000).astype(int)]
    lon, lat = Transformer.from_crs(CRS_M, 4326, always_xy=True).transform(
        X0 + fx[keep], Y0 + fy[keep]
    )
    lines = ["id,name,type,lon,lat,floor_area_m2,beds,nursing_beds"]
    for i, (lo, la) in enumerate(zip(lon, lat, strict=True)):
        lines.append(f"F{i},设施{i},{TYPES[i % len(TYPES)]},{lo:.7f},{la:.7f},300,10,2")
    (folder / "facilities.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    study = folder / "study.toml"
    study.write_text(
        f'[study]\nname = "Probe {size}"\ncrs = "{CRS_M}"\n[inputs]\nnetwork = "none.osm"\n'
        'facilities = "facilities.csv"\nresidents = "residents.tif"\n'
        'older_residents = "older.tif"\nstreets = "streets.gpkg"\n'
        'communities = "communities.gpkg"\n[circle]\nminutes = 15\nwalk_speed_m_s = 1.0\n'
        'max_snap_m = 500\n[standards]\nprofile = "generic"\n',
        encoding="utf-8",
    )
    (folder / "none.osm").write_text("<osm/>", encoding="utf-8")
    return study


def main() -> None:
    """Build the inputs, run the audit with the lattice, time the maps."""
    parser = argparse.ArgumentParser()
    parser.add_argument("size", choices=list(SIZES))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--reuse", action="store_true", help="reuse the last audit (pickled)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    start = time.perf_counter()
    segments, side = lattice(SIZES[args.size][0], rng)
    network = network_from_segments(segments, CRS.from_user_input(CRS_M))
    meta = {
        "format": "synthetic",
        "sha256": "",
        "from_cache": False,
        "ways_read": 0,
        "ways_walkable": 0,
        "missing_refs": 0,
    }
    audit_module.load_network = lambda *a, **k: (network, meta)
    folder = Path(tempfile.gettempdir()) / f"carecircle-maps-probe-{args.size}"
    study = write_inputs(folder / "in", args.size, side, rng)
    print(
        f"{args.size}: {network.n_nodes:,} nodes, {network.n_edges:,} edges, "
        f"side {side / 1000:.1f} km, inputs {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    cached = folder / "audit.pickle"
    if args.reuse and cached.exists():
        audit = pickle.loads(cached.read_bytes())
    else:
        audit = audit_study(load_study(study), progress=True)
        cached.write_bytes(pickle.dumps(audit))
    print(json.dumps(audit.record.stages), flush=True)
    out = folder / "out"
    cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    start = time.perf_counter()
    kwargs = {} if args.workers is None else {"workers": args.workers}
    paths = render_maps(audit, out / "maps", offline=True, **kwargs)
    maps_s = time.perf_counter() - start
    cpu = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"maps: {maps_s:.1f} s wall; CPU: this process {cpu[0].ru_utime - cpu0:.1f} s, "
        f"workers {cpu[1].ru_utime:.1f} s",
        flush=True,
    )
    start = time.perf_counter()
    render_report(audit, out)
    report_s = time.perf_counter() - start
    html = [p for p in paths if p.suffix == ".html"]
    street = max((p for p in html if p.name != "index.html"), key=lambda p: p.stat().st_size)
    index = out / "maps" / "index.html"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"cells {len(audit.cells):,}, streets {len(audit.streets)}, communities "
        f"{len(audit.communities):,}, facilities {len(audit.facilities):,}\n"
        f"service areas {audit.record.stages['service areas']:.1f} s, maps {maps_s:.1f} s "
        f"({len(html)} files), report {report_s:.1f} s; largest street map "
        f"{street.stat().st_size / 1e6:.2f} MB ({street.name}), overview "
        f"{index.stat().st_size / 1e6:.2f} MB; peak RSS {rss:,.0f} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())
