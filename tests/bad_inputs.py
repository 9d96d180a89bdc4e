"""The bad-input corpus: each case breaks one input of the mini district in one way.

Run as a script to print the README section "Common input problems" from the real messages:
``python tests/bad_inputs.py``.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from corpus_access import ACCESS_CASES
from corpus_bounds import BOUNDS_CASES
from corpus_plans import PLAN_CASES
from corpus_population import POPULATION_CASES
from corpus_tools import Case, csv_frame, edit, gpkg, raster, remove, set_cell, write_bytes
from input_cases import INPUT_CASES
from network_corpus import BOUNDARY_CASES, NETWORK_CASES

from carecircle.scripts.cli import main

from mini_district import MiniDistrict, lonlat, write_mini_study


def _swap(df: pd.DataFrame) -> pd.DataFrame:
    df["lon"], df["lat"] = df["lat"].copy(), df["lon"].copy()
    return df


def _gcj(df: pd.DataFrame) -> pd.DataFrame:
    from carecircle.geo.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(df["lon"].astype(float), df["lat"].astype(float))
    df["lon"], df["lat"] = [f"{v:.7f}" for v in lon], [f"{v:.7f}" for v in lat]
    return df


def _bd(df: pd.DataFrame) -> pd.DataFrame:
    from carecircle.geo.crs import gcj02_to_bd09, wgs84_to_gcj02

    lon, lat = gcj02_to_bd09(*wgs84_to_gcj02(df["lon"].astype(float), df["lat"].astype(float)))
    df["lon"], df["lat"] = [f"{v:.7f}" for v in lon], [f"{v:.7f}" for v in lat]
    return df


def _xlsx_with_title(
    folder: Path, change: Callable[[pd.DataFrame], pd.DataFrame] = lambda d: d
) -> None:
    df = change(pd.read_csv(folder / "facilities.csv", dtype=str, keep_default_na=False))
    with pd.ExcelWriter(folder / "facilities.xlsx") as writer:
        pd.DataFrame([["示范区养老设施清单 2025"] + [""] * (len(df.columns) - 1)]).to_excel(
            writer, index=False, header=False, startrow=0
        )
        df.to_excel(writer, index=False, startrow=1)
    edit("study.toml", 'facilities = "facilities.csv"', 'facilities = "facilities.xlsx"')(folder)


def _with_cell(row: int, col: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df

    return change


def _csv_title_row(folder: Path) -> None:
    set_cell(1, "floor_area_m2", "约300")(folder)
    path = folder / "facilities.csv"
    path.write_text(
        "示范区养老设施清单 2025\n" + path.read_text(encoding="utf-8"), encoding="utf-8"
    )


def _excel_csv(folder: Path) -> None:
    """As Excel saves a sheet with stray formatting: trailing ``,,`` and empty rows."""
    path = folder / "facilities.csv"
    lines = [line + ",," for line in path.read_text(encoding="utf-8").splitlines()]
    empty = "," * lines[0].count(",")
    path.write_text(
        "\n".join([*lines[:2], empty, *lines[2:], empty, empty]) + "\n", encoding="utf-8"
    )


CHINESE_HEADERS = {
    "id": "编号",
    "name": "名称",
    "type": "类型",
    "lon": "经度",
    "lat": "纬度",
    "floor_area_m2": "建筑面积",
    "beds": "床位数",
    "nursing_beds": "护理床位数",
    "street": "街道",
    "community": "社区",
}


def _bowtie(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = frame.geometry.iloc[0].bounds
    frame.loc[0, "geometry"] = shapely.Polygon(
        [(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy), (minx, miny)]
    )
    return frame


def _grow(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame.loc[0, "geometry"] = frame.geometry.iloc[0].buffer(0.001)
    return frame


def _far_away(data: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
    from affine import Affine

    t = profile["transform"]
    profile["transform"] = Affine(t.a, t.b, 114.30, t.d, t.e, 30.60)  # Wuhan
    return data, profile


def _projected(folder: Path) -> None:
    for name in ("residents.tif", "older.tif"):
        with rasterio.open(folder / name) as src:
            data, profile = src.read(1), dict(src.profile)
            from rasterio.warp import transform_bounds

            west, south, east, north = transform_bounds(src.crs, "EPSG:3857", *src.bounds)
        from affine import Affine

        profile.update(
            crs="EPSG:3857",
            transform=Affine(
                (east - west) / data.shape[1], 0, west, 0, -(north - south) / data.shape[0], north
            ),
        )
        with rasterio.open(folder / name, "w", **profile) as dst:
            dst.write(data, 1)


def _network_halves(folder: Path) -> None:
    lon, lat = lonlat(np.array([300.0, 350.0, 400.0]), np.array([1200.0, 1200.0, 1200.0]))
    extra = "".join(
        f'<node id="{9001 + i}" lat="{la:.9f}" lon="{lo:.9f}"/>'
        for i, (lo, la) in enumerate(zip(lon, lat, strict=True))
    )
    extra += (
        '<way id="9001"><nd ref="9001"/><nd ref="9002"/><nd ref="9003"/>'
        '<tag k="highway" v="footway"/></way>'
    )
    edit("network.osm", "</osm>", extra + "</osm>")(folder)


def _small_network(folder: Path) -> None:
    text = (folder / "network.osm").read_text(encoding="utf-8")
    ways = re.findall(r'  <way id="\d+">.*?</way>', text)
    (folder / "network.osm").write_text(text.replace("\n".join(ways), ways[0]), encoding="utf-8")
    edit("study.toml", "max_snap_m = 500", "max_snap_m = 100")(folder)


def _hostile_names() -> MiniDistrict:
    d = MiniDistrict()
    d.facilities[0] = {**d.facilities[0], "name": "<script>alert(1)</script>"}
    return d


def _bad_street_code(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame.loc[frame["code"] == "W", "code"] = "../../evil"
    return frame


def _evil_street(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame.loc[frame["street"] == "W", "street"] = "../../evil"
    return frame


def _relabel_street(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame.loc[frame["code"] == "W-S", "street"] = "E"
    return frame


CASES = [
    # --- facility tables ---
    Case(
        "missing-type-column",
        "facility table without a `type` column",
        csv_frame(lambda d: d.drop(columns="type")),
        2,
        ("facilities.csv", "column 'type' is missing", "add the column"),
    ),
    Case(
        "misnamed-column",
        "misnamed column (`typ`)",
        csv_frame(lambda d: d.rename(columns={"type": "typ"})),
        2,
        ("the file has 'typ': rename it to 'type'",),
    ),
    Case(
        "missing-lat",
        "no `lat` column",
        csv_frame(lambda d: d.drop(columns="lat")),
        2,
        ("'lat' is missing",),
    ),
    Case(
        "extra-column",
        "extra columns are ignored (warning)",
        csv_frame(lambda d: d.assign(备注="x")),
        0,
        ("not used by carecircle are ignored",),
    ),
    Case(
        "empty-file",
        "empty facility file",
        write_bytes("facilities.csv", b""),
        2,
        ("facilities.csv", "empty"),
    ),
    Case(
        "header-only",
        "header row but no facilities",
        csv_frame(lambda d: d.iloc[0:0]),
        2,
        ("no rows",),
    ),
    Case(
        "wrong-file-type",
        "facility file of another type (.pdf)",
        lambda f: (
            write_bytes("facilities.pdf", b"%PDF-1.4")(f),
            edit("study.toml", '"facilities.csv"', '"facilities.pdf"')(f),
        ),
        2,
        ("unsupported file type", "CSV, XLSX"),
    ),
    Case(
        "utf8-bom",
        "CSV saved as UTF-8 with BOM is read correctly",
        csv_frame(lambda d: d, encoding="utf-8-sig"),
        0,
        (),
    ),
    Case(
        "gbk",
        "CSV saved by Chinese Excel (GBK) is read correctly",
        csv_frame(lambda d: d, encoding="gbk"),
        0,
        (),
    ),
    Case(
        "gb18030",
        "CSV in GB18030 is read correctly",
        csv_frame(lambda d: d, encoding="gb18030"),
        0,
        (),
    ),
    Case(
        "xlsx-title-row",
        "XLSX with a title row above the header",
        _xlsx_with_title,
        0,
        ("header found on row",),
    ),
    Case(
        "xlsx-title-row-error-row",
        "XLSX with a title row: errors name the Excel row",
        lambda f: _xlsx_with_title(f, _with_cell(1, "floor_area_m2", "约300")),
        2,
        ("facilities.xlsx: row 4 column floor_area_m2",),
    ),
    Case(
        "csv-title-row-error-row",
        "CSV with a title line: errors name the line in the file",
        _csv_title_row,
        2,
        ("header found on row 2", "facilities.csv: row 4 column floor_area_m2"),
    ),
    Case(
        "excel-csv-empty-columns",
        "CSV saved by Excel with trailing `,,` and empty rows",
        _excel_csv,
        0,
        ("skipped 3 empty rows and 2 empty columns",),
        absent=("Unnamed", "not used by carecircle"),
    ),
    Case(
        "chinese-headers",
        "Chinese column headers (编号, 名称, 类型, 经度, 纬度, …)",
        csv_frame(lambda d: d.rename(columns=CHINESE_HEADERS)),
        0,
        ("headers read as columns: 编号 → id, 名称 → name, 类型 → type",),
    ),
    Case(
        "several-missing-columns",
        "several required columns missing",
        csv_frame(lambda d: d.drop(columns=["id", "type", "lat"])),
        2,
        ("columns 'id', 'type', 'lat' are missing for facilities",),
    ),
    Case(
        "no-floor-area-column",
        "no `floor_area_m2` column: S2 not assessed (warning)",
        csv_frame(lambda d: d.drop(columns="floor_area_m2")),
        0,
        ("no floor_area_m2 column", "are not assessed"),
    ),
    Case(
        "non-numeric-area",
        "non-numeric floor area (`约300`)",
        set_cell(1, "floor_area_m2", "约300"),
        2,
        ("row 3", "floor_area_m2", "not a number"),
    ),
    Case("negative-beds", "negative beds", set_cell(1, "beds", "-5"), 2, ("row 3", "negative")),
    Case(
        "nursing-over-beds",
        "nursing beds more than beds",
        set_cell(1, "nursing_beds", "50"),
        2,
        ("nursing_beds", "exceed beds"),
    ),
    Case(
        "duplicate-id",
        "two facilities with the same id",
        set_cell(1, "id", "F1"),
        2,
        ("repeats id 'F1'",),
    ),
    Case(
        "unknown-type",
        "unknown facility type",
        set_cell(0, "type", "servce_station"),
        2,
        ("did you mean 'service_station'",),
    ),
    Case(
        "chinese-type", "Chinese type names are accepted", set_cell(0, "type", "养老服务站"), 0, ()
    ),
    Case(
        "meal-point-label",
        "official label 助餐点/社区长者食堂 is the meal-point type",
        set_cell(0, "type", "助餐点/社区长者食堂"),
        0,
        ("mapped to type codes in 1 of 3 rows",),
    ),
    Case("empty-id", "a facility without id", set_cell(0, "id", ""), 2, ("empty id",)),
    Case(
        "blank-coordinates",
        "a facility without coordinates",
        set_cell(0, "lon", ""),
        2,
        ("row 2", "no valid lon/lat"),
    ),
    Case(
        "several-blank-coordinates",
        "several facilities without coordinates",
        csv_frame(lambda d: d.assign(lon="")),
        2,
        ("3 rows have no valid lon/lat: rows 2, 3, 4",),
    ),
    Case(
        "coordinates-with-degree-sign",
        "coordinates written with a degree sign (118.79°E)",
        csv_frame(lambda d: d.assign(lon=d["lon"].astype(str) + "°E")),
        2,
        ("3 rows have no valid lon/lat: rows 2, 3, 4", "give decimal degrees"),
    ),
    Case(
        "projected-coordinates",
        "coordinates in metres, not degrees",
        set_cell(0, "lon", "500000"),
        2,
        ("not degrees",),
    ),
    Case(
        "swapped-lon-lat",
        "latitude and longitude swapped",
        csv_frame(_swap),
        2,
        ("look swapped", "put longitude in lon"),
    ),
    Case(
        "gcj02-declared-wgs84",
        "Amap (GCJ-02) coordinates declared WGS84",
        csv_frame(_gcj),
        0,
        ("look like GCJ-02", 'facilities_crs = "GCJ-02"'),
    ),
    Case(
        "bd09-declared-wgs84",
        "Baidu (BD-09) coordinates declared WGS84, all outside",
        csv_frame(_bd),
        2,
        ("when read as BD-09", 'facilities_crs = "BD-09"'),
    ),
    Case(
        "outside-streets",
        "a facility outside every street",
        set_cell(0, "lon", f"{float(lonlat(1300.0, 200.0)[0]):.7f}"),
        0,
        ("outside every street/town",),
    ),
    Case(
        "medical-care-text",
        "medical_care neither yes nor no",
        csv_frame(lambda d: d.assign(medical_care="maybe")),
        2,
        ("medical_care", "yes/no"),
    ),
    Case(
        "aliased-column-other-meaning",
        "alternative header holding something else (`医疗服务` = 内设医务室) is ignored (warning)",
        csv_frame(lambda d: d.assign(医疗服务="内设医务室")),
        0,
        ("column '医疗服务' is ignored (not read as medical_care)",),
        absent=("错误",),
    ),
    Case(
        "totals-row",
        "Excel totals row (合计) below the facilities is skipped (warning)",
        csv_frame(
            lambda d: pd.concat(
                [d, pd.DataFrame([{"name": "合计", "floor_area_m2": "1000"}])]
            ).fillna("")
        ),
        0,
        ("totals row",),
    ),
    Case(
        "chinese-table-missing-id",
        "Chinese table without the id column (编号)",
        csv_frame(lambda d: d.rename(columns=CHINESE_HEADERS).drop(columns="编号")),
        2,
        ("add the column as '编号' or 'id'",),
    ),
    Case(
        "community-names",
        "street and community names instead of codes are accepted",
        csv_frame(
            lambda d: d.assign(
                street=["西街道", "东镇", ""], community=["西南社区", "东北社区", ""]
            )
        ),
        0,
        (),
        absent=("other than the one",),
    ),
    Case(
        "community-named-wrongly",
        "a facility naming another community (warning)",
        set_cell(0, "community", "东北社区"),
        0,
        ("1 facility names a community other than the one it lies in",),
    ),
    # --- boundaries ---
    Case(
        "streets-missing",
        "streets file missing",
        remove("streets.gpkg"),
        2,
        ("streets.gpkg", "not found"),
    ),
    Case(
        "streets-no-crs",
        "boundaries without a CRS",
        gpkg("streets.gpkg", lambda f: f.set_crs(None, allow_override=True)),
        2,
        ("no CRS", "Set CRS"),
    ),
    Case(
        "streets-as-csv",
        "boundaries given as a plain table",
        lambda f: (
            write_bytes("streets.csv", b"code,name\nW,x\n")(f),
            edit("study.toml", '"streets.gpkg"', '"streets.csv"')(f),
        ),
        2,
        ("must be polygons",),
    ),
    Case(
        "community-missing-kind",
        "communities without `kind`",
        gpkg("communities.gpkg", lambda f: f.drop(columns="kind")),
        2,
        ("'kind' is missing",),
    ),
    Case(
        "community-unknown-street",
        "a community naming an unknown street",
        gpkg("communities.gpkg", lambda f: f.assign(street=["W", "W", "E", "X"])),
        2,
        ("names street 'X'",),
    ),
    Case(
        "community-kind-chinese",
        "Chinese community kinds (社区/村) are accepted",
        gpkg("communities.gpkg", lambda f: f.assign(kind=["社区", "社区", "社区", "村"])),
        0,
        (),
    ),
    Case(
        "community-bad-kind",
        "unknown community kind",
        gpkg("communities.gpkg", lambda f: f.assign(kind="town")),
        2,
        ("allowed: urban",),
    ),
    Case(
        "duplicate-community-code",
        "two communities with the same code",
        gpkg("communities.gpkg", lambda f: f.assign(code=["W-S", "W-S", "E-S", "E-N"])),
        2,
        ("used twice",),
    ),
    Case(
        "invalid-polygon",
        "self-intersecting polygon (repaired, warning)",
        gpkg("communities.gpkg", _bowtie),
        0,
        ("repaired with make_valid",),
    ),
    Case(
        "overlapping-communities",
        "overlapping communities (warning)",
        gpkg("communities.gpkg", _grow),
        0,
        ("overlap",),
    ),
    Case(
        "community-in-other-street",
        "community naming a street it does not lie in (its residents would move)",
        gpkg("communities.gpkg", _relabel_street),
        2,
        ("community W-S of street E lie in street W", "fix their street column"),
    ),
    # --- rasters ---
    Case(
        "raster-no-crs",
        "population raster without a CRS",
        raster("residents.tif", lambda d, p: (d, {**p, "crs": None})),
        2,
        ("residents.tif", "no CRS", "gdal_edit"),
    ),
    Case(
        "raster-all-nodata",
        "raster with only nodata",
        raster("residents.tif", lambda d, p: (np.full_like(d, -1), p)),
        2,
        ("nodata or zero",),
    ),
    Case(
        "raster-other-city",
        "raster of another city",
        lambda f: (raster("residents.tif", _far_away)(f), raster("older.tif", _far_away)(f)),
        2,
        ("no populated cell", "another area"),
    ),
    Case(
        "raster-grid-differs",
        "older-residents raster on another grid",
        raster("older.tif", lambda d, p: (d[:-1], {**p, "height": p["height"] - 1})),
        2,
        ("grid differs", "resample"),
    ),
    Case(
        "raster-negative",
        "negative values that are not nodata",
        raster("residents.tif", lambda d, p: (np.where(d > 0, -5, d), {**p, "nodata": None})),
        2,
        ("negative values",),
    ),
    Case(
        "raster-projected", "raster in another CRS (EPSG:3857) is read correctly", _projected, 0, ()
    ),
    Case(
        "raster-not-tiff",
        "population file that is not a raster",
        write_bytes("residents.tif", b"not a raster"),
        2,
        ("not a readable raster",),
    ),
    # --- network ---
    Case(
        "osm-no-walkable",
        "OSM file with no walkable way",
        edit("network.osm", 'v="residential"', 'v="motorway"', count=100),
        2,
        ("no walkable way",),
    ),
    Case(
        "osm-not-xml",
        "network file that is not OSM XML",
        write_bytes("network.osm", b"<osm><node id='1'"),
        2,
        ("not a valid OSM XML",),
    ),
    Case(
        "osm-disconnected",
        "network in two pieces (warning, largest kept)",
        _network_halves,
        0,
        ("kept the largest connected part",),
    ),
    Case(
        "network-too-small",
        "network covering a small part of the population (warning)",
        _small_network,
        0,
        ("populated cells lie within",),
    ),
    Case(
        "network-unknown-type",
        "network file of an unknown type",
        lambda f: (
            write_bytes("network.dwg", b"x")(f),
            edit("study.toml", '"network.osm"', '"network.dwg"')(f),
        ),
        2,
        ("unsupported network file type", "road centreline layer"),
    ),
    Case(
        "network-shp-unreadable",
        "road centreline layer that is not a readable Shapefile",
        lambda f: (
            write_bytes("network.shp", b"x")(f),
            edit("study.toml", '"network.osm"', '"network.shp"')(f),
        ),
        2,
        ("cannot read this road layer", "save it again as Shapefile"),
    ),
    # --- study file ---
    Case(
        "study-unknown-key",
        "unknown key in the study file",
        edit("study.toml", "max_snap_m", "max_snapm"),
        2,
        ("did you mean 'max_snap_m'",),
    ),
    Case(
        "study-wrong-type",
        "wrong value type in the study file",
        edit("study.toml", "walk_speed_m_s = 1.0", 'walk_speed_m_s = "fast"'),
        2,
        ("is not a number",),
    ),
    Case(
        "study-bad-toml",
        "study file that is not TOML",
        edit("study.toml", "[circle]", "[circle"),
        2,
        ("not a valid TOML",),
    ),
    Case(
        "study-unknown-profile",
        "unknown standards profile",
        edit("study.toml", 'profile = "shanghai"', 'profile = "shanghia"'),
        2,
        ("did you mean 'shanghai'",),
    ),
    Case(
        "study-bad-crs",
        "unknown facility coordinate system",
        edit(
            "study.toml",
            'facilities = "facilities.csv"',
            'facilities = "facilities.csv"\nfacilities_crs = "GCJ02"',
        ),
        2,
        ("allowed: EPSG:4326",),
    ),
    Case(
        "study-missing-input",
        "study without a facilities entry",
        edit("study.toml", 'facilities = "facilities.csv"\n', ""),
        2,
        ("needs facilities",),
    ),
    # --- names ---
    Case(
        "html-in-names",
        "HTML in names is shown as text",
        lambda f: None,
        0,
        (),
        district=_hostile_names,
    ),
    Case(
        "path-in-street-code",
        "street code with ../ stays inside --out",
        lambda f: (
            gpkg("streets.gpkg", _bad_street_code)(f),
            gpkg("communities.gpkg", _evil_street)(f),
        ),
        0,
        (),
    ),
]

CASES += INPUT_CASES + NETWORK_CASES + BOUNDARY_CASES
CASES += POPULATION_CASES
CASES += BOUNDS_CASES
CASES += PLAN_CASES
CASES += ACCESS_CASES


@functools.cache
def _studies_folder() -> Path:
    """A folder for the mini studies written once per process (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="carecircle-mini-studies-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


#: study file per district (its repr: a MiniDistrict is not hashable), written once
_WRITTEN: dict[str, Path] = {}


def fresh_mini_study(folder: Path, district: MiniDistrict) -> Path:
    """``write_mini_study(folder, district)``: a copy of the same files, written once per process.

    Writing the GeoPackages costs ~0.15 s a case (SQLite syncs); a copy of the same bytes
    costs ~2 ms. ``folder`` must not exist yet (the case breaks its own copy).

    Parameters
    ----------
    folder : Path
        Where the study goes.
    district : MiniDistrict
        The district's knobs.
    """
    key = repr(district)
    if key not in _WRITTEN:
        _WRITTEN[key] = write_mini_study(_studies_folder() / f"s{len(_WRITTEN)}", district)
    base = _WRITTEN[key]
    shutil.copytree(base.parent, folder)
    return folder / base.name


def run_case(case: Case, folder: Path) -> tuple[int, str]:
    """Run one case through the command line; return the exit code and stderr."""
    study = fresh_mini_study(folder / "in", case.district())
    case.mutate(folder / "in")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["audit", str(study), "--out", str(folder / "out")])
    return code, err.getvalue().replace(str(folder / "in") + "/", "").replace(
        str(folder / "in"), ""
    )


def message(case: Case, stderr: str) -> str:
    """The line a planner sees for the case: the error, or the first expected warning."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if case.exit:
        return next(line for line in lines if line.startswith("错误 error"))
    for line in lines:
        if case.expect and case.expect[0] in line:
            return line
    return "(read correctly, no message)"


def table_text(text: str) -> str:
    """A message as a Markdown table cell."""
    return text.replace("|", "\\|")


def markdown() -> str:
    """The README section, generated by running every case."""
    rows = ["| problem | what carecircle says |", "|---|---|"]
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            _, stderr = run_case(case, Path(tmp))
        rows.append(f"| {case.problem} | {table_text(message(case, stderr))} |")
    return "\n".join(rows)


if __name__ == "__main__":
    from bad_cases_outputs import markdown_rows  # the output-side cases close the table

    print(markdown())
    print(markdown_rows())
