"""Facility tables: validation, coordinate conversion to WGS84, one clean frame."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carecircle._inputs import clean_name
from carecircle._validate import missing_columns
from carecircle.errors import InputDataError
from carecircle.geo.crs import is_projected, to_wgs84
from carecircle.geo.duplicates import check_duplicates
from carecircle.geo.facility_coords import (
    X_NAMES,
    Y_NAMES,
    facility_coordinates,
    has_point_geometry,
    uses_geometry,
    xy_columns,
)
from carecircle.geo.facility_status import (
    STATUS_ALIASES,
    STATUS_COLUMNS,
    fill_status,
    status_columns,
)
from carecircle.geo.facility_values import (
    ATTRIBUTE_COLUMNS,
    NUMERIC_COLUMNS,
    attribute_columns,
    numeric_columns,
)
from carecircle.geo.headers import header_targets, rename_aliased_columns
from carecircle.geo.tables import Rows, read_table_rows
from carecircle.sources import Source
from carecircle.vocabulary import (
    COLUMN_ALIASES,
    FACILITY_TYPES,
    TYPE_ALIASES,
    facility_type_code,
    facility_types_text,
)

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("id", "name", "type")
OPTIONAL_COLUMNS = ("street", "community")
FACILITY_COLUMNS = (
    "id",
    "name",
    "type",
    "lon",
    "lat",
    *NUMERIC_COLUMNS,
    *ATTRIBUTE_COLUMNS,
    "street_given",
    "community_given",
    "source_file",
    "source_row",
)
#: Labels of an Excel totals row in the id or name cell.
_TOTALS = {"合计", "总计", "小计"}
_CJK = re.compile(r"[\u4e00-\u9fff]")

KNOWN_COLUMNS = (
    "id",
    "name",
    "type",
    "lon",
    "lat",
    *NUMERIC_COLUMNS,
    *OPTIONAL_COLUMNS,
    *ATTRIBUTE_COLUMNS,
    *STATUS_COLUMNS,
    "geometry",
)


def is_facility_header(values: list[str]) -> bool:
    """Return True for a header row: it names at least three facility columns (any alias)."""
    return len(header_targets(values, COLUMN_ALIASES)) >= 3


def facility_columns(
    df: pd.DataFrame, path: Source, *, projected: bool = False
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename alternative headers (编号, 经度, …) and warn about columns carecircle ignores.

    In a spatial layer with geometry, 经度/纬度-like columns are not read as lon/lat: the
    geometry and its CRS give the places.

    Parameters
    ----------
    df : DataFrame
        The table as read.
    path : Path
        The file, for the messages.
    projected : bool, default False
        The coordinates are x/y metres (columns ``x``, ``y``: not warned as unused).

    Returns
    -------
    table : DataFrame
        The table with carecircle's column names (rows unchanged).
    headers : dict
        Each renamed column -> its header in the file.
    """
    aliases = (
        {k: v for k, v in COLUMN_ALIASES.items() if k not in ("lon", "lat")}
        if has_point_geometry(df)
        else COLUMN_ALIASES
    ) | STATUS_ALIASES
    df, headers = rename_aliased_columns(df, path, aliases)
    xy = (*X_NAMES, *Y_NAMES) if projected else ()
    extra = [str(c) for c in df.columns if c not in KNOWN_COLUMNS and str(c).lower() not in xy]
    if extra:
        log.warning("%s: columns not used by carecircle are ignored: %s", path, ", ".join(extra))
    return df, headers


def _require_columns(df: pd.DataFrame, needed: Sequence[str], path: Source, rows: Rows) -> None:
    """Refuse a table lacking any of ``needed``, naming every missing column at once."""
    columns = [str(c) for c in df.columns]
    missing = [c for c in needed if c not in columns]
    if missing:
        headers = [rows.header(c) or c for c in columns]
        chinese = 2 * sum(bool(_CJK.search(h)) for h in headers) >= max(len(headers), 1)
        labels = {c: COLUMN_ALIASES[c][0] for c in missing} if chinese else None
        raise InputDataError(missing_columns(path, missing, columns, "facilities", labels))


def _drop_totals(df: pd.DataFrame, path: Source, rows: Rows) -> tuple[pd.DataFrame, Rows]:
    """Skip Excel totals rows: 合计/总计/小计 as id or name, the other key cells empty."""
    keys = [c for c in ("id", "name", "type", "lon", "lat") if c in df.columns]
    cells = (
        df[keys]
        .astype(str)
        .apply(lambda s: s.str.replace(r"\s+", "", regex=True).str.rstrip(":："))
    )
    cells = cells.where(~cells.isin(["nan", "None"]), "")
    named = [c for c in ("id", "name") if c in keys]
    label = cells[named].isin(_TOTALS)
    empty = cells.eq("")
    total = (
        label.any(axis=1)
        & (empty[named] | label).all(axis=1)
        & empty.drop(columns=named).all(axis=1)
    ).to_numpy()
    if not total.any():
        return df, rows
    log.warning(
        "%s: %s skipped: a totals row (合计/总计/小计) is not a facility",
        path,
        rows.some(total) if total.sum() > 1 else rows.one(int(np.flatnonzero(total)[0])),
    )
    return df[~total].reset_index(drop=True), rows.keep(~total)


def _ids(df: pd.DataFrame, path: Source, rows: Rows) -> pd.Series:
    """Facility ids, refusing empty and repeated ones."""
    ids = df["id"].astype(str).map(clean_name)
    empty = (ids == "").to_numpy()
    if empty.any():
        where = (
            f"{rows.one(int(np.flatnonzero(empty)[0]))} has an empty id"
            if empty.sum() == 1
            else f"{int(empty.sum())} {rows.word}s have an empty id: {rows.some(empty)}"
        )
        raise InputDataError(f"{path}: {where}; give every facility an id")
    dup = ids.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} repeats id '{ids.iloc[i]}'; ids must be unique"
        )
    return ids


def _types(df: pd.DataFrame, path: Source, rows: Rows) -> pd.Series:
    """Facility type codes; Chinese labels and synonyms (长者食堂) are mapped to their code."""
    given = df["type"].astype(str).str.strip()
    codes = given.map(facility_type_code)
    unknown = codes.isna().to_numpy()
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        name = given.iloc[i]
        match = difflib.get_close_matches(name, [*FACILITY_TYPES, *TYPE_ALIASES], n=1)
        code = facility_type_code(match[0]) if match else None
        hint = (
            ""
            if not match
            else f" (did you mean '{match[0]}'?)"
            if match[0] == code
            else f" (did you mean '{match[0]}' = {code}?)"
        )
        more = f"; {int(unknown.sum())} such rows" if unknown.sum() > 1 else ""
        raise InputDataError(
            f"{path}: {rows.one(i)} column type = '{name}' is not a known facility type{hint}"
            f"{more}; allowed: {facility_types_text()}"
        )
    aliased = (codes != given).to_numpy()
    if aliased.any():
        log.info(
            "%s: Chinese or alternative type names mapped to type codes in %d of %d rows",
            path,
            int(aliased.sum()),
            len(codes),
        )
    return codes.astype(str)


@dataclass(frozen=True, kw_only=True, eq=False)
class FacilityTable:
    """Facilities read from one or more files, and which value columns the files gave.

    Attributes
    ----------
    frame : DataFrame
        Columns :data:`FACILITY_COLUMNS`; lon/lat in WGS84; ``source_row`` the file row.
    attribute_columns : tuple of str
        The numeric and A3–A6 columns any file has, in :data:`NUMERIC_COLUMNS` then
        :data:`ATTRIBUTE_COLUMNS` order (the others are NaN: unknown; an indicator is not
        assessed where it counts a facility with an unknown value).
    """

    frame: pd.DataFrame
    attribute_columns: tuple[str, ...]


def read_facilities(path: Source, crs: str, sheet: str = "") -> pd.DataFrame:
    """Read one facility table (:func:`read_facility_table`'s frame).

    Parameters
    ----------
    path : Path
        CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage.
    crs : str
        Coordinate system of lon/lat (see :func:`read_facility_table`).
    sheet : str, optional
        XLSX sheet; default the first holding a header row.

    Returns
    -------
    pandas.DataFrame
        The facilities.
    """
    return read_facility_table(path, crs, sheet).frame


def read_facility_table(path: Source, crs: str, sheet: str = "") -> FacilityTable:
    """Read and validate one facility table, converting coordinates to WGS84.

    Chinese and alternative headers (编号, 名称, 类型, 经度, 纬度, 建筑面积, 床位数, …) are read
    as carecircle's columns; a title row above the header, empty rows and empty columns
    without a header and totals rows (合计) are skipped. A column matched through an alias
    only (``area``, ``医疗服务``) whose values do not parse is ignored with a warning; one named
    exactly must parse. Row numbers in messages are the file's (Excel row, CSV line).

    Parameters
    ----------
    path : Path
        CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage.
    crs : str
        Coordinate system of lon/lat: ``EPSG:4326``, ``GCJ-02``, ``BD-09`` or any EPSG code
        (a projected one reads columns ``x``/``y`` in metres).
    sheet : str, optional
        XLSX sheet; default the first holding a header row.

    Returns
    -------
    FacilityTable
        Columns :data:`FACILITY_COLUMNS`; lon/lat in WGS84; ``source_row`` the file row.
        Numeric columns the file lacks are NaN (unknown); ``attribute_columns`` the numeric
        and attribute columns read from the file.

    Raises
    ------
    InputDataError
        Naming the file, row and column of the first problem, and the fix.
    """
    df, rows = read_table_rows(path, is_header=is_facility_header, sheet=sheet)
    df, headers = facility_columns(df, path, projected=is_projected(crs))
    rows = rows.with_headers(headers)  # messages name a column as the file does
    df = xy_columns(df, path, crs)
    if len(df) == 0:
        raise InputDataError(f"{path}: the table has no rows; add the facilities")
    needed = REQUIRED_COLUMNS if uses_geometry(df) else (*REQUIRED_COLUMNS, "lon", "lat")
    _require_columns(df, needed, path, rows)
    df, rows = _drop_totals(df, path, rows)
    if len(df) == 0:
        raise InputDataError(f"{path}: the table has no facility rows; add the facilities")
    ids = _ids(df, path, rows)
    types = _types(df, path, rows)
    lon, lat = facility_coordinates(df, path, crs, rows)
    lon, lat = to_wgs84(lon, lat, crs)
    out = pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "name": df["name"].astype(str).map(clean_name).to_numpy(),
            "type": types.to_numpy(),
            "lon": lon,
            "lat": lat,
        }
    )
    read = numeric_columns(df, out, path, rows) + attribute_columns(df, out, path, rows)
    for col in OPTIONAL_COLUMNS:
        given = df[col].astype(str).str.strip() if col in df.columns else ""
        out[f"{col}_given"] = given
    out["source_file"] = path.name
    out["source_row"] = rows.numbers
    plan = status_columns(df, out, path, rows)  # status / open_year, when the table has them
    return FacilityTable(frame=out[[*FACILITY_COLUMNS, *plan]], attribute_columns=tuple(read))


def read_all_facilities(
    sources: Sequence[tuple[Source, str] | tuple[Source, str, str]],
) -> pd.DataFrame:
    """Read several facility tables into one (:func:`read_facility_tables`' frame).

    Parameters
    ----------
    sources : sequence of (Path, str) or (Path, str, str)
        Each table with the CRS of its coordinates (and the XLSX sheet).

    Returns
    -------
    pandas.DataFrame
        All facilities.
    """
    return read_facility_tables(sources).frame


def read_facility_tables(
    sources: Sequence[tuple[Source, str] | tuple[Source, str, str]],
) -> FacilityTable:
    """Read several facility tables into one, refusing ids repeated across files.

    Parameters
    ----------
    sources : sequence of (Path, str) or (Path, str, str)
        Each table with the CRS of its coordinates (and the XLSX sheet).

    Returns
    -------
    FacilityTable
        All facilities, WGS84; a numeric column is NaN (unknown) for the facilities of a file
        without it; ``attribute_columns`` the numeric and A3–A6 columns any file has (an
        indicator is not assessed where it counts a facility with an unknown value).

    Raises
    ------
    InputDataError
        On the first problem in any file, or an id used in two files.
    """
    tables = [read_facility_table(*source) for source in sources]
    allf = fill_status(pd.concat([t.frame for t in tables], ignore_index=True))
    given = set().union(*(t.attribute_columns for t in tables))
    dup = allf["id"].duplicated(keep="first")
    if dup.any():
        row = allf[dup].iloc[0]
        raise InputDataError(
            f"{row['source_file']}: row {row['source_row']} id '{row['id']}' is "
            "also used in another facility file; ids must be unique"
        )
    check_duplicates(allf)
    read = tuple(c for c in (*NUMERIC_COLUMNS, *ATTRIBUTE_COLUMNS) if c in given)
    return FacilityTable(frame=allf, attribute_columns=read)
