"""Facility tables: validation, coordinate conversion to WGS84, one clean frame."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircle._validate import missing_columns
from carecircle.errors import InputDataError
from carecircle.geo.crs import to_wgs84
from carecircle.geo.tables import header_targets, read_table, rename_aliased_columns
from carecircle.text import counted
from carecircle.vocabulary import (
    COLUMN_ALIASES,
    FACILITY_TYPES,
    TYPE_ALIASES,
    facility_type_code,
    facility_types_text,
)

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("id", "name", "type")
NUMERIC_COLUMNS = ("floor_area_m2", "beds", "nursing_beds")
OPTIONAL_COLUMNS = ("street", "community")
#: Optional attribute columns used by the facility indicators (A3–A6); absent -> "not assessed".
ATTRIBUTE_COLUMNS = ("social_workers", "meals_per_day", "medical_care", "rating")
#: Indicators that read each numeric column: without the column they are "not assessed".
NEEDED_BY = {"floor_area_m2": "S2", "beds": "A1, A2", "nursing_beds": "A1"}
FACILITY_COLUMNS = ("id", "name", "type", "lon", "lat", *NUMERIC_COLUMNS, *ATTRIBUTE_COLUMNS,
                    "street_given", "community_given", "source_file", "source_row")
_YES = {"1", "yes", "y", "true", "是", "有", "√"}
_NO = {"0", "no", "n", "false", "否", "无", "", "nan", "none"}
_SHOWN_ROWS = 5

KNOWN_COLUMNS = ("id", "name", "type", "lon", "lat", *NUMERIC_COLUMNS, *OPTIONAL_COLUMNS,
                 *ATTRIBUTE_COLUMNS, "geometry")


@dataclass(frozen=True)
class Rows:
    """Where each data row sits in its file, for messages (Excel row / CSV line, 1-based).

    Attributes
    ----------
    numbers : ndarray
        File row number of each data row.
    word : str
        ``"row"`` for tables, ``"feature"`` for spatial layers.
    """

    numbers: np.ndarray
    word: str = "row"

    def one(self, i: int) -> str:
        """Return ``"row 9"`` for data row ``i`` (0-based)."""
        return f"{self.word} {int(self.numbers[i])}"

    def some(self, mask: np.ndarray) -> str:
        """Return ``"rows 45, 46, 47"`` for the rows in ``mask``, the first five and a count."""
        picked = [str(int(n)) for n in self.numbers[np.asarray(mask, dtype=bool)]]
        shown = ", ".join(picked[:_SHOWN_ROWS])
        more = f", … ({len(picked)} {self.word}s)" if len(picked) > _SHOWN_ROWS else ""
        return f"{self.word}s {shown}{more}"


def rows_of(df: pd.DataFrame) -> Rows:
    """Return the file row of each row of a table read by :func:`read_table`.

    Parameters
    ----------
    df : DataFrame
        CSV/XLSX tables carry ``attrs["source_rows"]``; spatial layers count features from 1.

    Returns
    -------
    Rows
        Row numbers as the planner sees them in Excel, a text editor or QGIS.
    """
    numbers = df.attrs.get("source_rows")
    if numbers is not None and len(numbers) == len(df):
        return Rows(np.asarray(numbers, dtype=np.int64))
    word = "feature" if isinstance(df, gpd.GeoDataFrame) else "row"
    return Rows(np.arange(1, len(df) + 1), word)


def is_facility_header(values: list[str]) -> bool:
    """Return True for a header row: it names at least three facility columns (any alias)."""
    return len(header_targets(values, COLUMN_ALIASES)) >= 3


def facility_columns(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Rename alternative headers (编号, 经度, …) and warn about columns carecircle ignores.

    Parameters
    ----------
    df : DataFrame
        The table as read.
    path : Path
        The file, for the messages.

    Returns
    -------
    DataFrame
        The table with carecircle's column names (rows and ``attrs`` unchanged).
    """
    df = rename_aliased_columns(df, path, COLUMN_ALIASES)
    extra = [str(c) for c in df.columns if c not in KNOWN_COLUMNS]
    if extra:
        log.warning("%s: columns not used by carecircle are ignored: %s", path, ", ".join(extra))
    return df


def _require_columns(df: pd.DataFrame, needed: Sequence[str], path: Path) -> None:
    """Refuse a table lacking any of ``needed``, naming every missing column at once."""
    columns = [str(c) for c in df.columns]
    missing = [c for c in needed if c not in columns]
    if missing:
        raise InputDataError(missing_columns(path, missing, columns, "facilities"))


def _numbers(df: pd.DataFrame, col: str, path: Path, rows: Rows) -> np.ndarray:
    """Parse a numeric column; blanks are 0 (reported), text or negatives are errors."""
    text = df[col].astype(str).str.strip().str.replace(",", "", regex=False)
    blank = text.isin(["", "nan", "None"])
    values = pd.to_numeric(text.where(~blank, "0"), errors="coerce")
    bad = values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(f"{path}: {rows.one(i)} column {col} = '{df[col].iloc[i]}' is not a "
                             "number; write a number such as 120 (no units)")
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative.to_numpy())[0])
        raise InputDataError(f"{path}: {rows.one(i)} column {col} = {values.iloc[i]} is "
                             "negative; areas and beds must be 0 or more")
    if blank.any():
        log.warning("%s: %d blank %s values read as 0", path, int(blank.sum()), col)
    return values.to_numpy(dtype=np.float64)


def _uses_geometry(df: pd.DataFrame) -> bool:
    """Return True when the points are a layer's geometry rather than lon/lat columns."""
    return isinstance(df, gpd.GeoDataFrame) and df.geometry is not None and (
        "lon" not in df.columns)


def _coordinates(df: pd.DataFrame, path: Path, crs: str, rows: Rows
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat as given (columns or point geometry), refusing blanks, metres and swaps."""
    if _uses_geometry(df):
        if df.crs is None:
            raise InputDataError(f"{path}: the layer has no CRS; save it with EPSG:4326")
        geom = df.geometry
        if not geom.geom_type.eq("Point").all():
            i = int(np.flatnonzero(~geom.geom_type.eq("Point").to_numpy())[0])
            raise InputDataError(f"{path}: {rows.one(i)} is a {geom.geom_type.iloc[i]}, not a "
                                 "point; facilities must be points")
        geom = geom.to_crs("EPSG:4326") if crs == "EPSG:4326" else geom
        return geom.x.to_numpy(), geom.y.to_numpy()
    lon = pd.to_numeric(df["lon"].astype(str).str.strip(), errors="coerce").to_numpy()
    lat = pd.to_numeric(df["lat"].astype(str).str.strip(), errors="coerce").to_numpy()
    bad = np.isnan(lon) | np.isnan(lat)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        given = f"'{df['lon'].iloc[i]}', '{df['lat'].iloc[i]}'"
        where = (f"{rows.one(i)} has no valid lon/lat ({given})" if bad.sum() == 1 else
                 f"{int(bad.sum())} {rows.word}s have no valid lon/lat: {rows.some(bad)} "
                 f"({rows.one(i)}: {given})")
        raise InputDataError(f"{path}: {where}; give decimal degrees, e.g. 118.78, 32.04")
    out = (lon < -180) | (lon > 180) | (lat < -90) | (lat > 90)
    swapped = out & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    if swapped.any():
        i = int(np.flatnonzero(swapped)[0])
        raise InputDataError(f"{path}: {rows.one(i)} lon/lat ({lon[i]}, {lat[i]}) look swapped: "
                             f"latitude cannot be {lat[i]}; put longitude in lon and latitude "
                             f"in lat ({counted(int(swapped.sum()), 'such row')})")
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise InputDataError(f"{path}: {rows.one(i)} lon/lat ({lon[i]}, {lat[i]}) are not "
                             "degrees; give longitude then latitude in decimal degrees"
                             + (f" ({counted(int(out.sum()), 'such row')})"
                                if out.sum() > 1 else ""))
    return lon, lat


def _ids(df: pd.DataFrame, path: Path, rows: Rows) -> pd.Series:
    """Facility ids, refusing empty and repeated ones."""
    ids = df["id"].astype(str).str.strip()
    empty = (ids == "").to_numpy()
    if empty.any():
        where = (f"{rows.one(int(np.flatnonzero(empty)[0]))} has an empty id" if empty.sum() == 1
                 else f"{int(empty.sum())} {rows.word}s have an empty id: {rows.some(empty)}")
        raise InputDataError(f"{path}: {where}; give every facility an id")
    dup = ids.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputDataError(f"{path}: {rows.one(i)} repeats id '{ids.iloc[i]}'; ids must be "
                             "unique")
    return ids


def _types(df: pd.DataFrame, path: Path, rows: Rows) -> pd.Series:
    """Facility type codes; Chinese labels and synonyms (长者食堂) are mapped to their code."""
    given = df["type"].astype(str).str.strip()
    codes = given.map(facility_type_code)
    unknown = codes.isna().to_numpy()
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        name = given.iloc[i]
        match = difflib.get_close_matches(name, [*FACILITY_TYPES, *TYPE_ALIASES], n=1)
        code = facility_type_code(match[0]) if match else None
        hint = ("" if not match else f" (did you mean '{match[0]}'?)" if match[0] == code
                else f" (did you mean '{match[0]}' = {code}?)")
        more = f"; {int(unknown.sum())} such rows" if unknown.sum() > 1 else ""
        raise InputDataError(
            f"{path}: {rows.one(i)} column type = '{name}' is not a known facility type{hint}"
            f"{more}; allowed: {facility_types_text()}")
    aliased = (codes != given).to_numpy()
    if aliased.any():
        log.info("%s: Chinese or alternative type names mapped to type codes in %d of %d "
                 "rows", path, int(aliased.sum()), len(codes))
    return codes.astype(str)


def _attributes(df: pd.DataFrame, out: pd.DataFrame, path: Path, rows: Rows) -> None:
    """Copy the optional indicator columns; absent ones stay NaN (empty for rating)."""
    for col in ("social_workers", "meals_per_day"):
        out[col] = _numbers(df, col, path, rows) if col in df.columns else np.nan
    if "medical_care" in df.columns:
        text = df["medical_care"].astype(str).str.strip().str.lower()
        bad = ~text.isin(_YES | _NO)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputDataError(f"{path}: {rows.one(i)} column medical_care = "
                                 f"'{df['medical_care'].iloc[i]}'; write yes/no (是/否)")
        out["medical_care"] = np.where(text.isin(_YES), 1.0, 0.0)
    else:
        out["medical_care"] = np.nan
    out["rating"] = df["rating"].astype(str).str.strip() if "rating" in df.columns else ""


def _numeric_columns(df: pd.DataFrame, out: pd.DataFrame, path: Path, rows: Rows) -> None:
    """Floor area, beds and nursing beds; a missing column is 0 and its indicators unassessed."""
    for col in NUMERIC_COLUMNS:
        if col in df.columns:
            out[col] = _numbers(df, col, path, rows)
        else:
            log.warning("%s: no %s column: indicators that need it (%s) are not assessed; add "
                        "the column to assess them", path, col, NEEDED_BY[col])
            out[col] = 0.0
    over = (out["nursing_beds"] > out["beds"]).to_numpy()
    if over.any() and "beds" in df.columns:
        i = int(np.flatnonzero(over)[0])
        raise InputDataError(f"{path}: {rows.one(i)} nursing_beds {out['nursing_beds'].iloc[i]:g} "
                             f"exceed beds {out['beds'].iloc[i]:g}; nursing beds are part of beds")


def read_facilities(path: Path, crs: str) -> pd.DataFrame:
    """Read and validate one facility table, converting coordinates to WGS84.

    Chinese and alternative headers (编号, 名称, 类型, 经度, 纬度, 建筑面积, 床位数, …) are read
    as carecircle's columns; a title row above the header, empty rows and empty columns
    without a header are skipped. Row numbers in messages are the file's (Excel row, CSV line).

    Parameters
    ----------
    path : Path
        CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage.
    crs : str
        Coordinate system of lon/lat: ``EPSG:4326``, ``GCJ-02`` or ``BD-09``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FACILITY_COLUMNS`; lon/lat in WGS84; ``source_row`` the file row.
        ``attrs["attribute_columns"]``: the numeric and attribute columns the file has
        (indicators needing an absent one are not assessed).

    Raises
    ------
    InputDataError
        Naming the file, row and column of the first problem, and the fix.
    """
    df = read_table(path, is_header=is_facility_header)
    rows = rows_of(df)
    df = facility_columns(df, path)
    if len(df) == 0:
        raise InputDataError(f"{path}: the table has no rows; add the facilities")
    _require_columns(df, REQUIRED_COLUMNS if _uses_geometry(df)
                     else (*REQUIRED_COLUMNS, "lon", "lat"), path)
    ids = _ids(df, path, rows)
    types = _types(df, path, rows)
    lon, lat = _coordinates(df, path, crs, rows)
    lon, lat = to_wgs84(lon, lat, crs)
    out = pd.DataFrame({
        "id": ids.to_numpy(), "name": df["name"].astype(str).str.strip().to_numpy(),
        "type": types.to_numpy(), "lon": lon, "lat": lat,
    })
    _numeric_columns(df, out, path, rows)
    _attributes(df, out, path, rows)
    for col in OPTIONAL_COLUMNS:
        given = df[col].astype(str).str.strip() if col in df.columns else ""
        out[f"{col}_given"] = given
    out["source_file"] = path.name
    out["source_row"] = rows.numbers
    out = out[list(FACILITY_COLUMNS)]
    out.attrs["attribute_columns"] = [c for c in (*NUMERIC_COLUMNS, *ATTRIBUTE_COLUMNS)
                                      if c in df.columns]
    return out


def read_all_facilities(sources: Sequence[tuple[Path, str]]) -> pd.DataFrame:
    """Read several facility tables into one, refusing ids repeated across files.

    Parameters
    ----------
    sources : sequence of (Path, str)
        Each table with the CRS of its coordinates.

    Returns
    -------
    pandas.DataFrame
        All facilities, WGS84. ``attrs["attribute_columns"]``: the numeric columns every file
        has and the A3–A6 attributes any file has.

    Raises
    ------
    InputDataError
        On the first problem in any file, or an id used in two files.
    """
    frames = [read_facilities(path, crs) for path, crs in sources]
    allf = pd.concat(frames, ignore_index=True)
    given = [set(f.attrs["attribute_columns"]) for f in frames]
    # a numeric column must be in every file (else its indicators would count the facilities
    # of the files without it as 0); an A3–A6 attribute in any file (the others lack it)
    numeric = set(NUMERIC_COLUMNS).intersection(*given)
    attributes = set(ATTRIBUTE_COLUMNS).intersection(set().union(*given))
    allf.attrs["attribute_columns"] = sorted(numeric | attributes)
    dup = allf["id"].duplicated(keep="first")
    if dup.any():
        row = allf[dup].iloc[0]
        raise InputDataError(f"{row['source_file']}: row {row['source_row']} id '{row['id']}' is "
                             "also used in another facility file; ids must be unique")
    return allf
