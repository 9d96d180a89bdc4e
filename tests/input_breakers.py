"""Ways to break (and checks of) the mini district used by the input cases of issue 14."""

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
from corpus_tools import csv_frame, edit
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


def facility_rows(fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    return csv_frame(fn)


def copy_row(i: int, new_id: str, **changes: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        row = df.iloc[[i]].copy()
        row["id"] = new_id
        for col, value in changes.items():
            row[col] = value
        return pd.concat([df, row], ignore_index=True)

    return change


def north(metres: float) -> str:
    """F1's latitude moved north by ``metres``."""
    return f"{float(lonlat(200.0, 200.0 + metres)[1]):.9f}"


def area_header(header: str, scale: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df["floor_area_m2"] = [f"{float(v) * scale:g}" for v in df["floor_area_m2"]]
        return df.rename(columns={"floor_area_m2": header})

    return change


def area_cells(df: pd.DataFrame) -> pd.DataFrame:
    df["floor_area_m2"] = ["３００㎡", "0.05万平方米", "２00 m²"]
    return df


def swap_rasters(folder: Path) -> None:
    res, old = folder / "residents.tif", folder / "older.tif"
    tmp = folder / "swap.tif"
    res.rename(tmp)
    old.rename(res)
    tmp.rename(old)


def older_over_one_cell(data: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
    data = data.copy()
    data[3, 4] = 130.0  # residents there: 100
    return data, profile


def older_nodata(data: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
    data = data.copy()
    data[2, 2:4] = -1.0  # residents there: 100 each
    return data, profile


def two_bands(folder: Path, *, named: bool) -> None:
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


def int16(data: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
    out = np.where(data < 0, -32768, np.round(data)).astype(np.int16)
    return out, {**profile, "dtype": "int16", "nodata": -32768}


def huge_raster(folder: Path) -> None:
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


def gbk_shapefiles(folder: Path) -> None:
    for name in ("streets", "communities"):
        frame = gpd.read_file(folder / f"{name}.gpkg")
        frame.to_file(folder / f"{name}.shp", engine="pyogrio", encoding="gbk")
        (folder / f"{name}.cpg").unlink(missing_ok=True)
        edit("study.toml", f'"{name}.gpkg"', f'"{name}.shp"')(folder)


def profile_edit(old: str, new: str) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        from carecircle.profiles import load_profile

        text = Path(load_profile("shanghai").path).read_text(encoding="utf-8")
        assert old in text
        (folder / "mine.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
        edit("study.toml", 'profile = "shanghai"', 'profile = "mine.toml"')(folder)

    return run


def grow_across(
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


def shift_network(folder: Path) -> None:
    path = folder / "network.osm"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(r'lon="([0-9.]+)"', lambda m: f'lon="{float(m.group(1)) + 1.0:.9f}"', text),
        encoding="utf-8",
    )


def west_network_east_facilities(folder: Path) -> None:
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


def empty_polygon(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame.loc[frame["code"] == "E-N", "geometry"] = shapely.Polygon()
    return frame


def _xlsx(folder: Path, sheets: dict[str, pd.DataFrame], *, header: bool = True) -> None:
    with pd.ExcelWriter(folder / "facilities.xlsx") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False, header=header)
    edit("study.toml", 'facilities = "facilities.csv"', 'facilities = "facilities.xlsx"')(folder)


def _facilities(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "facilities.csv", dtype=str, keep_default_na=False)


def notes_first(folder: Path) -> None:
    notes = pd.DataFrame({"说明": ["本表由民政局提供", "坐标为 WGS84"]})
    _xlsx(folder, {"说明": notes, "设施": _facilities(folder)})


def sheet_named(sheet: str) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        notes = pd.DataFrame({"说明": ["本表由民政局提供"]})
        _xlsx(folder, {"说明": notes, "设施": _facilities(folder)})
        edit(
            "study.toml",
            'facilities = "facilities.xlsx"',
            f'facilities = {{ file = "facilities.xlsx", sheet = "{sheet}" }}',
        )(folder)

    return run


def two_header_rows(folder: Path) -> None:
    df = _facilities(folder)
    group = ["基本信息"] * 3 + ["位置", ""] + ["规模"] * 3 + ["属地", ""]
    grid = pd.DataFrame([group, list(df.columns), *df.to_numpy().tolist()])
    grid.iloc[0, :3] = ["编号", "名称", "类型"]  # merged cells above id, name, type
    grid.iloc[1, :3] = ""
    _xlsx(folder, {"设施": grid}, header=False)


def study_encoding(encoding: str) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        path = folder / "study.toml"
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    return run


def projected_xy(epsg: int) -> Callable[[Path], None]:
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


def cgcs2000(folder: Path) -> None:
    edit(
        "study.toml",
        'facilities = "facilities.csv"',
        'facilities = "facilities.csv"\nfacilities_crs = "EPSG:4490"',
    )(folder)


def circle_value(key: str, value: str) -> Callable[[Path], None]:
    old = {"minutes": "minutes = 10.0", "walk_speed_m_s": "walk_speed_m_s = 1.0"}.get(
        key, "max_snap_m = 500"
    )
    return edit("study.toml", old, f"{key} = {value}")
