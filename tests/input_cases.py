"""Bad-input cases of issue 14 (inputs): duplicates, units, rasters, encodings, CRS, sheets.

Cases that finish check their numbers against the unbroken mini district (``verify``): a
recovered input must give the same street table, not just exit 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from corpus_tools import Case, csv_frame, edit, gpkg, raster, set_cell
from pyproj import Transformer

from mini_district import lonlat

#: The unbroken mini district's street table: floor area, older residents, S1 share.
BASE_STREETS = {"W": (300.0, 1475.0, 0.864407), "E": (500.0, 1500.0, 0.75)}
#: H1 sits on the corner of four communities (500, 500): any rounding may move it, so it is
#: left out.
BASE_PLACES = {"F1": "W-S", "F2": "E-N"}


def same_streets(out: Path) -> None:
    """The street table equals the unbroken district's (to 1e-6)."""
    streets = pd.read_csv(out / "coverage_by_street.csv", dtype={"code": str}).set_index("code")
    for code, (area, older, share) in BASE_STREETS.items():
        row = streets.loc[code]
        assert abs(row["floor_area_m2"] - area) < 1e-6, (code, row["floor_area_m2"])
        assert abs(row["older_residents"] - older) < 1e-6, (code, row["older_residents"])
        assert abs(row["older_covered_share"] - share) < 1e-6, (code, row["older_covered_share"])


def same_places(out: Path) -> None:
    """Every facility lies in the community it has in the unbroken district; streets equal."""
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    places = {f["id"]: f["community"] for f in run["facilities"]}
    assert {k: places[k] for k in BASE_PLACES} == BASE_PLACES, places
    same_streets(out)


def names_read(out: Path) -> None:
    """Chinese street names reach the outputs ungarbled."""
    streets = pd.read_csv(out / "coverage_by_street.csv")
    assert set(streets["name"]) == {"西街道", "东镇"}, list(streets["name"])
    same_streets(out)


def _rows(fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    return csv_frame(fn)


def _copy_row(i: int, new_id: str, **changes: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        row = df.iloc[[i]].copy()
        row["id"] = new_id
        for col, value in changes.items():
            row[col] = value
        return pd.concat([df, row], ignore_index=True)

    return change


def _north(metres: float) -> str:
    """F1's latitude moved north by ``metres``."""
    return f"{float(lonlat(200.0, 200.0 + metres)[1]):.9f}"


def _area_header(header: str, scale: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df["floor_area_m2"] = [f"{float(v) * scale:g}" for v in df["floor_area_m2"]]
        return df.rename(columns={"floor_area_m2": header})

    return change


def _area_cells(df: pd.DataFrame) -> pd.DataFrame:
    df["floor_area_m2"] = ["３００㎡", "0.05万平方米", "２00 m²"]
    return df


def _swap_rasters(folder: Path) -> None:
    res, old = folder / "residents.tif", folder / "older.tif"
    tmp = folder / "swap.tif"
    res.rename(tmp)
    old.rename(res)
    tmp.rename(old)


def _older_over_one_cell(data: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
    data = data.copy()
    data[3, 4] = 130.0  # residents there: 100
    return data, profile


def _older_nodata(data: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
    data = data.copy()
    data[2, 2:4] = -1.0  # residents there: 100 each
    return data, profile


def _two_bands(folder: Path, *, named: bool) -> None:
    with rasterio.open(folder / "residents.tif") as src:
        res, profile = src.read(1), dict(src.profile)
    with rasterio.open(folder / "older.tif") as src:
        old = src.read(1)
    with rasterio.open(folder / "pop.tif", "w", **{**profile, "count": 2}) as dst:
        dst.write(res, 1)
        dst.write(old, 2)
    (folder / "residents.tif").unlink()
    (folder / "older.tif").unlink()
    res_entry, old_entry = (
        ('{ file = "pop.tif", band = 1 }', '{ file = "pop.tif", band = 2 }')
        if named
        else ('"pop.tif"', '"pop.tif"')
    )
    edit("study.toml", 'residents = "residents.tif"', f"residents = {res_entry}")(folder)
    edit("study.toml", 'older_residents = "older.tif"', f"older_residents = {old_entry}")(folder)


def _int16(data: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
    out = np.where(data < 0, -32768, np.round(data)).astype(np.int16)
    return out, {**profile, "dtype": "int16", "nodata": -32768}


def _huge_raster(folder: Path) -> None:
    """The district's rasters inside a grid 20 times wider and taller (zeros around)."""
    for name in ("residents.tif", "older.tif"):
        with rasterio.open(folder / name) as src:
            data, profile = src.read(1), dict(src.profile)
        rows, cols = data.shape
        pad = 10 * max(rows, cols)
        big = np.zeros((rows + 2 * pad, cols + 2 * pad), dtype=data.dtype)
        big[pad : pad + rows, pad : pad + cols] = data
        t = profile["transform"]
        from affine import Affine

        profile.update(
            height=big.shape[0],
            width=big.shape[1],
            transform=Affine(t.a, 0, t.c - pad * t.a, 0, t.e, t.f - pad * t.e),
        )
        with rasterio.open(folder / name, "w", **profile) as dst:
            dst.write(big, 1)


def _gbk_shapefiles(folder: Path) -> None:
    for name in ("streets", "communities"):
        frame = gpd.read_file(folder / f"{name}.gpkg")
        frame.to_file(folder / f"{name}.shp", engine="pyogrio", encoding="gbk")
        (folder / f"{name}.cpg").unlink(missing_ok=True)
        edit("study.toml", f'"{name}.gpkg"', f'"{name}.shp"')(folder)


def _profile(old: str, new: str) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        from carecircle.profiles import load_profile

        text = Path(load_profile("shanghai").path).read_text(encoding="utf-8")
        assert old in text
        (folder / "mine.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
        edit("study.toml", 'profile = "shanghai"', 'profile = "mine.toml"')(folder)

    return run


def _grow_across(
    metres: float, shrink_neighbour: bool
) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """W-S reaches ``metres`` east into street E; E-S gives the strip up when asked."""

    def change(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
            lon, lat = lonlat(np.array([x0, x1, x1, x0]), np.array([y0, y0, y1, y1]))
            return shapely.Polygon(np.column_stack([lon, lat]))

        frame.loc[frame["code"] == "W-S", "geometry"] = box(0, 0, 500 + metres, 500)
        if shrink_neighbour:
            frame.loc[frame["code"] == "E-S", "geometry"] = box(500 + metres, 0, 1000, 500)
        return frame

    return change


def _shift_network(folder: Path) -> None:
    path = folder / "network.osm"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(r'lon="([0-9.]+)"', lambda m: f'lon="{float(m.group(1)) + 1.0:.9f}"', text),
        encoding="utf-8",
    )


def _west_network_east_facilities(folder: Path) -> None:
    """A network of the western half only, and every facility in the east."""
    path = folder / "network.osm"
    text = path.read_text(encoding="utf-8")
    lon_max = float(lonlat(400.0, 0.0)[0])
    east = {
        m.group(1)
        for m in re.finditer(r'<node id="(\d+)" lat="[0-9.]+" lon="([0-9.]+)"/>', text)
        if float(m.group(2)) > lon_max
    }

    def west_only(way: re.Match[str]) -> str:
        refs = [r for r in re.findall(r'ref="(\d+)"', way.group(0)) if r not in east]
        if len(refs) < 2:
            return ""
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        return f'<way id="{way.group(1)}">{nds}<tag k="highway" v="residential"/></way>'

    path.write_text(re.sub(r'<way id="(\d+)">.*?</way>', west_only, text), encoding="utf-8")

    def move(df: pd.DataFrame) -> pd.DataFrame:
        for i, (x, y) in enumerate([(800.0, 200.0), (800.0, 900.0), (700.0, 500.0)]):
            lon, lat = lonlat(x, y)
            df.loc[i, "lon"], df.loc[i, "lat"] = f"{float(lon):.9f}", f"{float(lat):.9f}"
        return df

    csv_frame(move)(folder)
    edit("study.toml", "max_snap_m = 500", "max_snap_m = 100")(folder)


def _empty_polygon(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame.loc[frame["code"] == "E-N", "geometry"] = shapely.Polygon()
    return frame


def _xlsx(folder: Path, sheets: dict[str, pd.DataFrame], *, header: bool = True) -> None:
    with pd.ExcelWriter(folder / "facilities.xlsx") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False, header=header)
    edit("study.toml", 'facilities = "facilities.csv"', 'facilities = "facilities.xlsx"')(folder)


def _facilities(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "facilities.csv", dtype=str, keep_default_na=False)


def _notes_first(folder: Path) -> None:
    notes = pd.DataFrame({"说明": ["本表由民政局提供", "坐标为 WGS84"]})
    _xlsx(folder, {"说明": notes, "设施": _facilities(folder)})


def _sheet_named(sheet: str) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        notes = pd.DataFrame({"说明": ["本表由民政局提供"]})
        _xlsx(folder, {"说明": notes, "设施": _facilities(folder)})
        edit(
            "study.toml",
            'facilities = "facilities.xlsx"',
            f'facilities = {{ file = "facilities.xlsx", sheet = "{sheet}" }}',
        )(folder)

    return run


def _two_header_rows(folder: Path) -> None:
    df = _facilities(folder)
    group = ["基本信息"] * 3 + ["位置", ""] + ["规模"] * 3 + ["属地", ""]
    grid = pd.DataFrame([group, list(df.columns), *df.to_numpy().tolist()])
    grid.iloc[0, :3] = ["编号", "名称", "类型"]  # merged cells above id, name, type
    grid.iloc[1, :3] = ""
    _xlsx(folder, {"设施": grid}, header=False)


def _study_encoding(encoding: str) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        path = folder / "study.toml"
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    return run


def _projected_xy(epsg: int) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        to = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)

        def change(df: pd.DataFrame) -> pd.DataFrame:
            x, y = to.transform(df["lon"].astype(float), df["lat"].astype(float))
            df = df.drop(columns=["lon", "lat"])
            df["x"], df["y"] = [f"{v:.3f}" for v in x], [f"{v:.3f}" for v in y]
            return df

        csv_frame(change)(folder)
        edit(
            "study.toml",
            'facilities = "facilities.csv"',
            f'facilities = "facilities.csv"\nfacilities_crs = "EPSG:{epsg}"',
        )(folder)

    return run


def _cgcs2000(folder: Path) -> None:
    edit(
        "study.toml",
        'facilities = "facilities.csv"',
        'facilities = "facilities.csv"\nfacilities_crs = "EPSG:4490"',
    )(folder)


def _circle(key: str, value: str) -> Callable[[Path], None]:
    old = {"minutes": "minutes = 10.0", "walk_speed_m_s": "walk_speed_m_s = 1.0"}.get(
        key, "max_snap_m = 500"
    )
    return edit("study.toml", old, f"{key} = {value}")


INPUT_CASES = [
    # --- facilities listed twice ---
    Case(
        "exact-duplicate-facility",
        "a facility listed twice under a new id (same type, point, area, beds)",
        _rows(_copy_row(0, "F9")),
        2,
        ("row 5 (F9) repeats row 2 (F1)", "remove the repeated row"),
    ),
    Case(
        "near-duplicate-facility",
        "two facilities of one type 5 m apart (warning with the m² the second adds)",
        _rows(_copy_row(0, "F9", lat=_north(5.0), floor_area_m2="250")),
        0,
        ("look like the same facility listed twice", "adds 250 m² of floor area"),
    ),
    # --- units ---
    Case(
        "area-header-wan-m2",
        "floor-area header in 万平方米 (`建筑面积（万平方米）` = 0.03) is converted",
        _rows(_area_header("建筑面积（万平方米）", 1e-4)),
        0,
        ("is in 万平方米: floor areas multiplied by 10,000",),
        verify=same_streets,
    ),
    Case(
        "area-header-mu",
        "floor-area header in 亩 is converted (1 亩 = 666.7 m²)",
        _rows(_area_header("建筑面积（亩）", 15.0 / 10_000.0)),
        0,
        ("is in 亩: floor areas multiplied by 666.667",),
        verify=same_streets,
    ),
    Case(
        "area-header-unknown-unit",
        "floor-area header in a unit carecircle does not know (平方英尺)",
        _rows(_area_header("建筑面积（平方英尺）", 10.764)),
        2,
        ("'建筑面积（平方英尺）' is in 平方英尺, a unit carecircle does not convert",),
    ),
    Case(
        "area-cells-with-units",
        "floor areas `３００㎡`, `0.05万平方米`, `２00 m²` (full-width digits, units) are read",
        _rows(_area_cells),
        0,
        ("3 cells of column floor_area_m2 carry a unit, converted",),
        verify=same_streets,
    ),
    Case(
        "area-infinite",
        "floor area `inf`",
        set_cell(1, "floor_area_m2", "inf"),
        2,
        ("row 3 column floor_area_m2 = 'inf' is not a finite number",),
    ),
    # --- population rasters ---
    Case(
        "rasters-swapped",
        "residents and older-residents rasters swapped (older > residents)",
        _swap_rasters,
        2,
        ("hold more older residents", "look swapped or of the wrong band"),
    ),
    Case(
        "older-over-residents-one-cell",
        "one cell with more older residents than residents (warning)",
        raster("older.tif", _older_over_one_cell),
        0,
        ("1 cell of 119 populated cells holds more older residents", "older share exceeds 100 %"),
    ),
    Case(
        "nodata-in-one-raster",
        "nodata in the older-residents raster where residents live (warning)",
        raster("older.tif", _older_nodata),
        0,
        ("older.tif: 2 nodata cells hold 200 persons in residents.tif",),
    ),
    Case(
        "multiband-unnamed",
        "a two-band raster (residents, older) without the band named",
        lambda f: _two_bands(f, named=False),
        2,
        ("pop.tif: the raster has 2 bands", 'residents = { file = "pop.tif", band = 2 }'),
    ),
    Case(
        "multiband-named",
        'a two-band raster read by band (`{ file = "pop.tif", band = 2 }`)',
        lambda f: _two_bands(f, named=True),
        0,
        (),
        verify=same_streets,
    ),
    Case(
        "raster-int16-nodata",
        "int16 rasters with nodata (LandScan, census grids) are read",
        lambda f: (raster("residents.tif", _int16)(f), raster("older.tif", _int16)(f)),
        0,
        (),
        verify=same_streets,
    ),
    Case(
        "raster-far-larger",
        "a raster far larger than the boundaries is read by window (issue 13)",
        _huge_raster,
        0,
        ("(the window over the boundaries)",),
        verify=same_streets,
    ),
    # --- boundaries ---
    Case(
        "shapefile-gbk-no-cpg",
        "GBK shapefiles without .cpg: names read as GB18030 (warning)",
        _gbk_shapefiles,
        0,
        ("no .cpg file: the text was read as GBK/GB18030",),
        verify=names_read,
    ),
    Case(
        "empty-polygon",
        "a community with an empty polygon",
        gpkg("communities.gpkg", _empty_polygon),
        2,
        ("feature 4 (E-N) has an empty polygon", "draw its boundary"),
    ),
    Case(
        "community-overlaps-other-street",
        "a community reaching 200 m into the next street over its community: "
        "cells stay in their street",
        gpkg("communities.gpkg", _grow_across(200.0, shrink_neighbour=False)),
        0,
        ("overlap",),
        absent=("reaches beyond its street",),
        verify=same_streets,
    ),
    Case(
        "community-beyond-street",
        "a community reaching 200 m into the next street (residents moved)",
        gpkg("communities.gpkg", _grow_across(200.0, shrink_neighbour=True)),
        2,
        ("community W-S of street W lie in street E", "clip the communities"),
    ),
    # --- network ---
    Case(
        "network-far-away",
        "a network 1° away from the boundaries",
        _shift_network,
        2,
        ("no populated cell lies within max_snap_m", "covers another area"),
    ),
    Case(
        "facilities-off-network",
        "every facility off the network (no datum hint)",
        _west_network_east_facilities,
        0,
        ("3 facilities are farther than 100 m",),
        absent=("BD-09", "GCJ-02"),
    ),
    # --- study file ---
    *(
        Case(
            f"circle-{key}-{value}".replace("_", "-"),
            f"`{key} = {value}`",
            _circle(key, value),
            2,
            (f"[circle] {key} = {value}",),
        )
        for key, value in (
            ("minutes", "nan"),
            ("walk_speed_m_s", "nan"),
            ("max_snap_m", "nan"),
            ("max_snap_m", "inf"),
            ("walk_speed_m_s", "0"),
            ("max_snap_m", "-5"),
        )
    ),
    Case(
        "profile-negative-target",
        "profile with S2 target −50",
        _profile("target = 50.0", "target = -50.0"),
        2,
        ("[indicators.S2] target = -50 must be 0 or more",),
    ),
    Case(
        "profile-share-above-one",
        "profile with S1 target 1.5",
        _profile("[indicators.S1]\ntarget = 1.0", "[indicators.S1]\ntarget = 1.5"),
        2,
        ("[indicators.S1] target = 1.5 is a share and must lie between 0 and 1",),
    ),
    Case(
        "study-utf16",
        "study file saved as UTF-16",
        _study_encoding("utf-16"),
        2,
        ("saved in UTF-16, not UTF-8; save it as UTF-8",),
    ),
    Case(
        "study-gbk",
        "study file saved as GBK",
        _study_encoding("gbk"),
        2,
        ("saved in GBK/GB18030, not UTF-8; save it as UTF-8",),
    ),
    Case(
        "study-name-control-characters",
        "study name with ESC/NUL (removed before it is echoed or written)",
        edit("study.toml", 'name = "小区 Mini district"', 'name = "小区\\u001b[2J\\u0000 Mini"'),
        0,
        (),
        absent=("\x1b", "\x00"),
    ),
    Case(
        "facility-id-control-characters",
        "facility id and name with ESC (removed before they are echoed or written)",
        _rows(
            lambda d: d.assign(
                id=["F\x1b[2J1", "F2", "H1"], name=["\x1b[31m红", "b", "c"], community="东北社区"
            )
        ),
        0,
        ("a community other than the one", "F[2J1"),
        absent=("\x1b",),
    ),
    # --- facility CRS ---
    Case(
        "facilities-projected-xy",
        'facilities as x/y metres in CGCS2000 Gauss-Krüger (`facilities_crs = "EPSG:4548"`)',
        _projected_xy(4548),
        0,
        ("read as x/y metres of EPSG:4548",),
        verify=same_places,
    ),
    Case(
        "facilities-cgcs2000",
        'facilities in CGCS2000 lon/lat (`facilities_crs = "EPSG:4490"`)',
        _cgcs2000,
        0,
        (),
        verify=same_places,
    ),
    # --- XLSX ---
    Case(
        "xlsx-notes-first-sheet",
        "XLSX whose first sheet is notes: the facility sheet is found and named",
        _notes_first,
        0,
        ("read sheet '设施' of 2",),
        verify=same_places,
    ),
    Case(
        "xlsx-sheet-named",
        'XLSX sheet named in the study (`{ file = "x.xlsx", sheet = "设施" }`)',
        _sheet_named("设施"),
        0,
        (),
        verify=same_places,
    ),
    Case(
        "xlsx-sheet-missing",
        "XLSX sheet named in the study but absent",
        _sheet_named("设备"),
        2,
        ("no sheet '设备' in the workbook; its sheets: '说明', '设施'",),
    ),
    Case(
        "xlsx-two-header-rows",
        "XLSX with two header rows (merged group headings above the columns)",
        _two_header_rows,
        0,
        ("two header rows (1 and 2) read as one",),
        verify=same_places,
    ),
]
