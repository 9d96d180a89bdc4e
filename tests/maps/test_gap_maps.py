"""Gap maps without a browser: file names, empty streets, popups, merged cells, the pool."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from carecircle.analysis.audit import Audit
from carecircle.geo.crs import wgs84_to_gcj02
from carecircle.maps.base import base_map, stable_html
from carecircle.maps.codec import ALPHABET, SCALE, encode
from carecircle.maps.gap_maps import render_maps
from carecircle.maps.geojson import GeoJsonSpec, geojson_spec
from carecircle.maps.layers import community_spec, service_area_specs
from carecircle.maps.patches import uncovered_patches
from carecircle.maps.street_jobs import street_box
from carecircle.maps.style import map_file_stems
from carecircle.scripts.cli import main

from mini_district import MiniRun, lonlat, write_mini_study

CODES = {"W": "X/1", "E": "X_1"}
EMPTY = "X:1"  # a third street east of the district: no community, no cell


def _colliding_study(folder: Path) -> Path:
    """The mini district with codes that collide once made file names, and an empty street."""
    study = write_mini_study(folder)
    streets = gpd.read_file(folder / "streets.gpkg")
    streets["code"] = streets["code"].map(CODES)
    lon, lat = lonlat(np.array([1000.0, 1300.0, 1300.0, 1000.0]), np.array([0, 0, 1000, 1000.0]))
    extra = gpd.GeoDataFrame(
        {"code": [EMPTY], "name": ["空街道"]},
        geometry=[shapely.Polygon(np.column_stack([lon, lat]))],
        crs=streets.crs,
    )
    gpd.pd.concat([streets, extra], ignore_index=True).to_file(folder / "streets.gpkg")
    com = gpd.read_file(folder / "communities.gpkg")
    com["street"] = com["street"].map(CODES)
    com.to_file(folder / "communities.gpkg")
    return study


@pytest.fixture(scope="module")
def colliding(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("colliding")
    study = _colliding_study(folder / "in")
    assert main(["-q", "audit", str(study), "--out", str(folder / "out"), "--offline"]) == 0
    return folder / "out"


def test_colliding_codes_get_distinct_stable_file_names() -> None:
    stems = map_file_stems(["X/1", "X_1", "X:1", "320199001", "index", "a", "A"])
    assert stems["X_1"] == "X_1"  # already a safe name: kept
    assert stems["320199001"] == "320199001"
    assert re.fullmatch(r"X_1-[0-9a-f]{8}", stems["X/1"])
    assert re.fullmatch(r"X_1-[0-9a-f]{8}", stems["X:1"])
    assert len({s.lower() for s in stems.values()}) == len(stems)
    assert stems["index"] != "index"  # the overview keeps its name
    assert stems["a"].lower() != stems["A"].lower()  # Windows/macOS ignore case
    # alone, a code gets its safe name; the hash depends on the code alone
    assert map_file_stems(["X/1"])["X/1"] == "X_1"
    assert map_file_stems(["X/1", "X:1"]) == {"X/1": stems["X/1"], "X:1": stems["X:1"]}


def test_each_street_has_its_own_maps_and_the_overview_links_them(colliding: Path) -> None:
    stems = map_file_stems([*CODES.values(), EMPTY])
    maps = colliding / "maps"
    overview = (maps / "index.html").read_text(encoding="utf-8")
    report = (colliding / "report.html").read_text(encoding="utf-8")
    for code, stem in stems.items():
        for name in (f"{stem}.html", f"{stem}_gcj02.html"):
            html = (maps / name).read_text(encoding="utf-8")
            assert f"({code})" in html  # the title panel names this street's code
        assert f'href="{stem}.html"' in overview
        assert f'href="maps/{stem}.html"' in report
    assert len(list(maps.glob("*.html"))) == 2 * len(stems) + 1


def test_a_street_without_communities_gets_a_map(colliding: Path) -> None:
    stem = map_file_stems([*CODES.values(), EMPTY])[EMPTY]
    html = (colliding / "maps" / f"{stem}.html").read_text("utf-8")
    assert "空街道" in html
    assert "社区覆盖率 Communities by S1 share" not in html


@pytest.fixture(scope="module")
def mini(mini_run: MiniRun) -> Audit:
    return mini_run.audit


def _decode(text: str) -> list[int]:
    """The integers of the map encoding, read back as the page's ``ccShapes`` reads them."""
    values, value, weight = [], 0, 1
    for char in text:
        c = ALPHABET.index(char)
        value += (c & 31) * weight
        weight *= 32
        if c < 32:
            values.append(-(value + 1) // 2 if value % 2 else value // 2)
            value, weight = 0, 1
    return values


def _features(spec: GeoJsonSpec, datum: str = "wgs84") -> list[dict]:
    """The GeoJSON features of a layer's data, decoded as the page decodes them."""
    data = json.loads(str(spec.data(datum)))
    steps = iter(_decode(data["c"]))
    x = y = 0
    rings = iter(data["n"])
    polygons = iter(data["r"])
    features = []
    for props, n_polygons in zip(data["p"], data["f"], strict=True):
        polys = []
        for _ in range(n_polygons):
            poly = []
            for _ in range(next(polygons)):
                ring = []
                for _ in range(next(rings)):
                    x, y = x + next(steps), y + next(steps)
                    lon, lat = x / SCALE, y / SCALE
                    if data.get("g"):  # a GCJ-02 page shifts what it decodes (ccGcj02)
                        lon, lat = (float(v) for v in wgs84_to_gcj02(lon, lat))
                    ring.append([lon, lat])
                poly.append(ring)
            polys.append(poly)
        geometry = (
            {"type": "Polygon", "coordinates": polys[0]}
            if len(polys) == 1
            else {"type": "MultiPolygon", "coordinates": polys}
        )
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    assert next(steps, None) is None  # every vertex read
    return features


def test_popups_show_every_indicator(mini: Audit) -> None:
    """Every indicator of the profile shows in the popup (a registered S10 too:
    tests/test_registry.py)."""
    table = mini.indicators["community"]
    spec = community_spec(mini, list(table.index))
    assert spec is not None
    html = _features(spec)[0]["properties"]["html"]
    shown = set(re.findall(r"<br>([A-Z]+\d+) ", html))
    expected = {d.id for d in mini.definitions if f"{d.prefix}status" in table.columns}
    assert len(expected) >= 10
    assert shown == expected


def test_uncovered_cells_merge_into_patches_of_the_same_area_and_residents(mini: Audit) -> None:
    cells = mini.cells
    mask = (~cells["covered"] & (cells["older_residents"] > 0)).to_numpy()
    assert mask.sum() > 3
    patches = uncovered_patches(cells[mask], mini.cell_squares[mask], mini.cell_crs)
    assert len(patches.geometry) < mask.sum()
    squares = shapely.union_all(mini.cell_squares[mask])
    merged = shapely.union_all(patches.geometry)
    assert merged.area == pytest.approx(squares.area, rel=1e-9)
    assert shapely.symmetric_difference(merged, squares).area < 1e-6 * squares.area
    assert patches.older.sum() == pytest.approx(cells.loc[mask, "older_residents"].sum())
    assert patches.cells.sum() == mask.sum()
    # each patch is one connected piece: its cells' squares touch one another
    for geom in patches.geometry:
        assert shapely.get_num_geometries(geom) == 1


def test_service_areas_are_cut_to_the_street_map(mini: Audit) -> None:
    _, wide = street_box(mini, "W")
    layers = service_area_specs(mini, wide)
    assert layers and layers[0].options["show"]  # the circle, shown
    box = shapely.box(*wide).buffer(1e-9)
    for layer in layers:
        for feature in _features(layer):
            assert box.covers(shapely.geometry.shape(feature["geometry"]))
    circle = shapely.union_all(
        [shapely.geometry.shape(f["geometry"]) for f in _features(layers[0])]
    )
    whole = mini.service_area.geometry.iloc[0]
    assert circle.area == pytest.approx(whole.intersection(shapely.box(*wide)).area, rel=0.02)


def test_maps_written_by_a_pool_are_byte_identical(mini: Audit, tmp_path: Path) -> None:
    one = render_maps(mini, tmp_path / "one", offline=True, workers=1)
    two = render_maps(mini, tmp_path / "two", offline=True, workers=2)
    assert [p.relative_to(tmp_path / "one") for p in one] == [
        p.relative_to(tmp_path / "two") for p in two
    ]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_layer_data_decodes_to_the_rounded_shapes_in_either_datum(mini: Audit) -> None:
    code = "W"
    _, wide = street_box(mini, code)
    table = mini.indicators["community"]
    specs = [
        community_spec(mini, list(table.index[table["street"] == code])),
        *service_area_specs(mini, wide),
    ]
    for spec in specs:
        assert spec is not None
        geoms = spec.geoms[~shapely.is_empty(spec.geoms)]
        for datum in ("wgs84", "gcj02"):
            features = _features(spec, datum)
            assert [f["properties"] for f in features] == [
                p for p, g in zip(spec.props, spec.geoms, strict=True) if not g.is_empty
            ]
            shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
            xy = np.round(shapely.get_coordinates(geoms), 5)  # as encoded: WGS84, ~1 m
            if datum == "gcj02":  # then shifted by the page
                xy = np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
                assert np.abs(xy - shapely.get_coordinates(geoms)).max() > 1e-4  # shifted
            assert np.array_equal(shapely.get_coordinates(shapes), xy)
            assert shapely.get_num_geometries(shapes).tolist() == (
                shapely.get_num_geometries(geoms).tolist()
            )
            assert shapely.get_num_interior_rings(shapes).sum() == (
                shapely.get_num_interior_rings(shapely.get_parts(geoms)).sum()
            )


def test_the_encoding_keeps_any_integer() -> None:
    values = np.array([0, 1, -1, 15, 16, -16, -17, 31, 32, 1000, -100000, 11_419_434, -(2**33)])
    assert _decode(encode(values)) == values.tolist()
    assert set(encode(values)) <= set(ALPHABET)
    with pytest.raises(ValueError, match="out of range"):
        encode(np.array([2**40]))


def test_stable_html_renumbers_ids_but_leaves_the_data_as_it_is() -> None:
    label = "name_0123456789abcdef0123456789abcdef"  # looks like a folium id
    spec = geojson_spec(
        np.array([shapely.box(114.0, 30.0, 114.01, 30.01)]), [{"label": label}], name="x", style={}
    )
    pages = []
    for _ in range(2):
        box = (114.0, 30.0, 114.01, 30.01)
        fmap = base_map(box, offline=True, datum="wgs84", title="t", padding=((0, 0), (0, 0)))
        spec.layer("wgs84").add_to(fmap)
        pages.append(stable_html(fmap))
    assert pages[0] == pages[1]  # the random ids are numbered in order
    assert label in pages[0]
    assert "cc-data:" not in pages[0]  # every placeholder filled
    assert re.search(r"var geo_json_layer_\d{8}_data = \{\"p\":", pages[0])


@pytest.mark.parametrize("module", ["carecircle.api", "carecircle.maps.street_jobs"])
def test_folium_is_imported_only_when_a_map_is_drawn(module: str) -> None:
    # every command imports the API and the static maps import the street jobs: neither
    # pays for folium (~0.3 s) until an HTML map is made
    code = f"import sys, {module}; print('folium' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    code = f"import sys, {module}, carecircle.maps.gap_maps; print('folium' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
