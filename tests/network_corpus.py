"""Bad-input cases of networks: road centreline layers (issue 17) that are not roads, lines
that never meet, centreline options used wrongly; an OSM file with its ways first; and street
codes that collide as file names.

A centreline layer of the mini lattice that reads correctly is checked against the unbroken
mini district (the same street table as from its OSM file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from corpus_tools import Case, edit

from mini_district import SIZE, SPACING, MiniDistrict, lonlat, write_mini_study


def _lattice_lines() -> gpd.GeoDataFrame:
    """The mini lattice as one line per row and column, in WGS84, with a road class."""
    xs = np.arange(0.0, SIZE + SPACING / 2, SPACING)
    lines = []
    for k in xs:
        for x, y in ((xs, np.full_like(xs, k)), (np.full_like(xs, k), xs)):
            lon, lat = lonlat(x, y)
            lines.append(shapely.LineString(np.column_stack([lon, lat])))
    return gpd.GeoDataFrame({"fclass": ["residential"] * len(lines)}, geometry=lines, crs=4326)


def _network_layer(
    frame: Callable[[], gpd.GeoDataFrame], extra: str = ""
) -> Callable[[Path], None]:
    """Write ``frame()`` as network.gpkg and point the study at it (plus ``extra`` TOML)."""

    def run(folder: Path) -> None:
        frame().to_file(folder / "network.gpkg", driver="GPKG")
        edit("study.toml", '"network.osm"', '"network.gpkg"')(folder)
        if extra:
            with (folder / "study.toml").open("a", encoding="utf-8") as f:
                f.write(f"[network]\n{extra}\n")

    return run


def _points() -> gpd.GeoDataFrame:
    lon, lat = lonlat(np.array([0.0, 500.0]), np.array([0.0, 500.0]))
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _apart() -> gpd.GeoDataFrame:
    """Ten short lines 100 m apart that never meet."""
    lines = []
    for k in range(10):
        lon, lat = lonlat(np.array([k * 100.0, k * 100.0 + 40.0]), np.array([0.0, 0.0]))
        lines.append(shapely.LineString(np.column_stack([lon, lat])))
    return gpd.GeoDataFrame(geometry=lines, crs=4326)


def _osm_option(folder: Path) -> None:
    with (folder / "study.toml").open("a", encoding="utf-8") as f:
        f.write("[network]\nsnap_tolerance_m = 2\n")


def _overpass_order(folder: Path) -> None:
    """Ways before nodes (Overpass `out body; >; out skel qt;`), at OSM's 7 decimals, so
    libosmium reads it (not the parser of finer coordinates)."""
    import re

    lines = (folder / "network.osm").read_text(encoding="utf-8").splitlines()
    nodes = [re.sub(r'(\.\d{7})\d+"', r'\1"', line) for line in lines if "<node " in line]
    ways = [line for line in lines if "<way " in line]
    text = "\n".join([*lines[:2], *ways, *nodes, "</osm>"])
    (folder / "network.osm").write_text(text, encoding="utf-8")


def _same_street_table(out: Path) -> None:
    """The centreline layer gives the street table of the lattice's OSM file."""
    reference = out.parent / "reference"
    study = write_mini_study(reference / "in", MiniDistrict())
    from carecircle.scripts.cli import main

    assert main(["-q", "audit", str(study), "--out", str(reference / "out")]) == 0
    ours = pd.read_csv(out / "coverage_by_street.csv")
    theirs = pd.read_csv(reference / "out" / "coverage_by_street.csv")
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, atol=0.6)


NETWORK_CASES = [
    Case(
        "osm-overpass-order",
        "OSM file listing its ways before its nodes (an Overpass export) is read correctly",
        _overpass_order,
        0,
        (),
        absent=("unknown layout", "warning"),
        verify=_same_street_table,
    ),
    Case(
        "centreline-lattice",
        "road centreline layer (GeoPackage) of the same streets as the OSM file",
        _network_layer(_lattice_lines),
        0,
        (),
        absent=("warning",),
        verify=_same_street_table,
    ),
    Case(
        "centreline-points",
        "road layer of points, not lines",
        _network_layer(_points),
        2,
        ("has no line geometry", "not points or polygons"),
    ),
    Case(
        "centreline-never-meet",
        "road lines that never meet (every piece tiny)",
        _network_layer(_apart),
        2,
        ("the road lines do not meet", "snap_tolerance_m"),
    ),
    Case(
        "centreline-option-on-osm",
        "`snap_tolerance_m` given for an OSM network",
        _osm_option,
        2,
        ("snap_tolerance_m applies to road centreline layers",),
    ),
    Case(
        "centreline-tolerance-nan",
        "`snap_tolerance_m = nan`",
        _network_layer(_lattice_lines, "snap_tolerance_m = nan"),
        2,
        ("snap_tolerance_m = nan", "is not a finite number"),
    ),
    Case(
        "centreline-class-column-unknown",
        "`class_column` that is not a column of the road layer",
        _network_layer(_lattice_lines, 'class_column = "kind"\ndrop_classes = ["motorway"]'),
        2,
        ("class_column 'kind' is not a column of the layer",),
    ),
    Case(
        "centreline-drop-class-absent",
        "`drop_classes` value that does not occur in the layer",
        _network_layer(_lattice_lines, 'class_column = "fclass"\ndrop_classes = ["高速"]'),
        2,
        ("do not occur in column 'fclass'",),
    ),
]


def _colliding_codes(folder: Path) -> None:
    """Streets coded ``X/1`` and ``X_1`` (the same file name once made safe), and a third,
    ``X:1``, north of the district with no community."""
    rename = {"W": "X/1", "E": "X_1"}
    streets = gpd.read_file(folder / "streets.gpkg")
    lon, lat = lonlat(
        np.array([0.0, SIZE, SIZE, 0.0]), np.array([SIZE, SIZE, SIZE + 200.0, SIZE + 200.0])
    )
    extra = gpd.GeoDataFrame(
        {"code": ["X:1"], "name": ["空街道"]},
        geometry=[shapely.Polygon(np.column_stack([lon, lat]))],
        crs=4326,
    )
    streets["code"] = streets["code"].map(rename)
    pd.concat([streets, extra], ignore_index=True).to_file(folder / "streets.gpkg", driver="GPKG")
    com = gpd.read_file(folder / "communities.gpkg")
    com["street"] = com["street"].map(rename)
    com.to_file(folder / "communities.gpkg", driver="GPKG")
    fac = pd.read_csv(folder / "facilities.csv", dtype=str, keep_default_na=False)
    if "street" in fac:
        fac["street"] = fac["street"].map(lambda s: rename.get(s, s))
        fac.to_csv(folder / "facilities.csv", index=False)


def _three_linked_maps(out: Path) -> None:
    """Three distinct street maps, each linked from the overview."""
    maps = sorted(p.name for p in (out / "maps").glob("*.html") if "gcj02" not in p.name)
    street_maps = [m for m in maps if m != "index.html"]
    assert len(street_maps) == 3, maps
    index = (out / "maps" / "index.html").read_text(encoding="utf-8")
    for name in street_maps:
        assert name in index, name
    assert "空街道" in "".join((out / "maps" / m).read_text(encoding="utf-8") for m in street_maps)


BOUNDARY_CASES = [
    Case(
        "street-codes-collide",
        "street codes `X/1`, `X_1`, `X:1` (one file name once made safe), one street without "
        "communities",
        _colliding_codes,
        0,
        (),
        absent=("internal error",),
        verify=_three_linked_maps,
    ),
]
