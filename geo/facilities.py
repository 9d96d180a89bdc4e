"""Facility tables: validation, coordinate conversion to WGS84, one clean frame."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircle._validate import closest, missing_column
from carecircle.errors import InputDataError
from carecircle.geo.crs import to_wgs84
from carecircle.geo.tables import read_table
from carecircle.vocabulary import FACILITY_TYPES, TYPE_ALIASES

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("id", "name", "type")
NUMERIC_COLUMNS = ("floor_area_m2", "beds", "nursing_beds")
OPTIONAL_COLUMNS = ("street", "community")
#: Optional attribute columns used by the facility indicators (A3–A6); absent -> "not assessed".
ATTRIBUTE_COLUMNS = ("social_workers", "meals_per_day", "medical_care", "rating")
FACILITY_COLUMNS = ("id", "name", "type", "lon", "lat", *NUMERIC_COLUMNS, *ATTRIBUTE_COLUMNS,
                    "street_given", "community_given", "source_file", "source_row")
_YES = {"1", "yes", "y", "true", "是", "有", "√"}
_NO = {"0", "no", "n", "false", "否", "无", "", "nan", "none"}


def _line(i: int) -> str:
    """Spreadsheet-style row reference: data row ``i`` is line ``i + 2`` (after the header)."""
    return f"row {i + 2}"


KNOWN_COLUMNS = ("id", "name", "type", "lon", "lat", *NUMERIC_COLUMNS, *OPTIONAL_COLUMNS,
                 *ATTRIBUTE_COLUMNS, "geometry")


def header_row(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Find the header when a title or merged header rows sit above it (Excel exports).

    Looks at the first five rows for one holding ``id``, ``name`` and ``type``; warns about
    columns carecircle does not use.
    """
    df = df.rename(columns={c: str(c).strip() for c in df.columns})
    if "type" not in df.columns and not isinstance(df, gpd.GeoDataFrame):
        for i in range(min(5, len(df))):
            values = [str(v).strip() for v in df.iloc[i].tolist()]
            if {"id", "name", "type"} <= set(values):
                log.warning("%s: header found on row %d (rows above it, e.g. a title or merged "
                            "cells, are skipped)", path, i + 2)
                body = df.iloc[i + 1:].reset_index(drop=True)
                body.columns = values
                df = body
                break
    extra = [c for c in df.columns if c not in KNOWN_COLUMNS]
    if extra:
        log.warning("%s: columns not used by carecircle are ignored: %s", path, ", ".join(extra))
    return df


def _require_columns(df: pd.DataFrame, needed: Sequence[str], path: Path) -> None:
    columns = [str(c) for c in df.columns]
    for col in needed:
        if col not in columns:
            raise InputDataError(missing_column(path, col, columns, "facilities"))


def _numbers(df: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    """Parse a numeric column; blanks are 0 (reported), text or negatives are errors."""
    text = df[col].astype(str).str.strip().str.replace(",", "", regex=False)
    blank = text.isin(["", "nan", "None"])
    values = pd.to_numeric(text.where(~blank, "0"), errors="coerce")
    bad = values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(f"{path}: {_line(i)} column {col} = '{df[col].iloc[i]}' is not a "
                             "number; write a number such as 120 (no units)")
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative.to_numpy())[0])
        raise InputDataError(f"{path}: {_line(i)} column {col} = {values.iloc[i]} is negative; "
                             "areas and beds must be 0 or more")
    if blank.any():
        log.warning("%s: %d blank %s values read as 0", path, int(blank.sum()), col)
    return values.to_numpy(dtype=np.float64)


def _coordinates(df: pd.DataFrame, path: Path, crs: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(df, gpd.GeoDataFrame) and df.geometry is not None and "lon" not in df.columns:
        if df.crs is None:
            raise InputDataError(f"{path}: the layer has no CRS; save it with EPSG:4326")
        geom = df.geometry
        if not geom.geom_type.eq("Point").all():
            i = int(np.flatnonzero(~geom.geom_type.eq("Point").to_numpy())[0])
            raise InputDataError(f"{path}: feature {i + 1} is a {geom.geom_type.iloc[i]}, not a "
                                 "point; facilities must be points")
        geom = geom.to_crs("EPSG:4326") if crs == "EPSG:4326" else geom
        return geom.x.to_numpy(), geom.y.to_numpy()
    _require_columns(df, ("lon", "lat"), path)
    lon = pd.to_numeric(df["lon"].astype(str).str.strip(), errors="coerce").to_numpy()
    lat = pd.to_numeric(df["lat"].astype(str).str.strip(), errors="coerce").to_numpy()
    bad = np.isnan(lon) | np.isnan(lat)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(f"{path}: {_line(i)} has no valid lon/lat ('{df['lon'].iloc[i]}', "
                             f"'{df['lat'].iloc[i]}'); give decimal degrees, e.g. 118.78, 32.04")
    out = (lon < -180) | (lon > 180) | (lat < -90) | (lat > 90)
    swapped = out & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    if swapped.any():
        i = int(np.flatnonzero(swapped)[0])
        raise InputDataError(f"{path}: {_line(i)} lon/lat ({lon[i]}, {lat[i]}) look swapped: "
                             f"latitude cannot be {lat[i]}; put longitude in lon and latitude "
                             f"in lat ({int(swapped.sum())} such rows)")
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise InputDataError(f"{path}: {_line(i)} lon/lat ({lon[i]}, {lat[i]}) are not degrees; "
                             "give longitude then latitude in decimal degrees")
    return lon, lat


def _attributes(df: pd.DataFrame, out: pd.DataFrame, path: Path) -> None:
    """Copy the optional indicator columns; absent ones stay NaN (empty for rating)."""
    for col in ("social_workers", "meals_per_day"):
        out[col] = _numbers(df, col, path) if col in df.columns else np.nan
    if "medical_care" in df.columns:
        text = df["medical_care"].astype(str).str.strip().str.lower()
        bad = ~text.isin(_YES | _NO)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputDataError(f"{path}: {_line(i)} column medical_care = "
                                 f"'{df['medical_care'].iloc[i]}'; write yes/no (是/否)")
        out["medical_care"] = np.where(text.isin(_YES), 1.0, 0.0)
    else:
        out["medical_care"] = np.nan
    out["rating"] = df["rating"].astype(str).str.strip() if "rating" in df.columns else ""


def read_facilities(path: Path, crs: str) -> pd.DataFrame:
    """Read and validate one facility table, converting coordinates to WGS84.

    Parameters
    ----------
    path : Path
        CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage.
    crs : str
        Coordinate system of lon/lat: ``EPSG:4326``, ``GCJ-02`` or ``BD-09``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FACILITY_COLUMNS`; lon/lat in WGS84.

    Raises
    ------
    InputDataError
        Naming the file, row and column of the first problem, and the fix.
    """
    df = header_row(read_table(path), path)
    if len(df) == 0:
        raise InputDataError(f"{path}: the table has no rows; add the facilities")
    _require_columns(df, REQUIRED_COLUMNS, path)
    ids = df["id"].astype(str).str.strip()
    if (ids == "").any():
        i = int(np.flatnonzero((ids == "").to_numpy())[0])
        raise InputDataError(f"{path}: {_line(i)} has an empty id; give every facility an id")
    dup = ids.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputDataError(f"{path}: {_line(i)} repeats id '{ids.iloc[i]}'; ids must be unique")
    types = df["type"].astype(str).str.strip()
    aliased = types.isin(list(TYPE_ALIASES)) & ~types.isin(list(FACILITY_TYPES))
    if aliased.any():
        log.info("%s: %d Chinese type names mapped to type codes", path, int(aliased.sum()))
        types = types.map(lambda t: TYPE_ALIASES.get(t, t))
    unknown = ~types.isin(list(FACILITY_TYPES))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputDataError(
            f"{path}: {_line(i)} column type = '{types.iloc[i]}' is not a known facility type"
            f"{closest(types.iloc[i], FACILITY_TYPES)}; allowed: {', '.join(FACILITY_TYPES)}"
        )
    lon, lat = _coordinates(df, path, crs)
    lon, lat = to_wgs84(lon, lat, crs)
    out = pd.DataFrame({
        "id": ids.to_numpy(), "name": df["name"].astype(str).str.strip().to_numpy(),
        "type": types.to_numpy(), "lon": lon, "lat": lat,
    })
    for col in NUMERIC_COLUMNS:
        if col in df.columns:
            out[col] = _numbers(df, col, path)
        else:
            log.warning("%s: no %s column; read as 0", path, col)
            out[col] = 0.0
    _attributes(df, out, path)
    over = out["nursing_beds"] > out["beds"]
    if over.any():
        i = int(np.flatnonzero(over.to_numpy())[0])
        raise InputDataError(f"{path}: {_line(i)} nursing_beds {out['nursing_beds'].iloc[i]:g} "
                             f"exceed beds {out['beds'].iloc[i]:g}; nursing beds are part of beds")
    for col in OPTIONAL_COLUMNS:
        given = df[col].astype(str).str.strip() if col in df.columns else ""
        out[f"{col}_given"] = given
    out["source_file"] = path.name
    out["source_row"] = np.arange(len(df)) + 2
    out = out[list(FACILITY_COLUMNS)]
    out.attrs["attribute_columns"] = [c for c in ATTRIBUTE_COLUMNS if c in df.columns]
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
        All facilities, WGS84.

    Raises
    ------
    InputDataError
        On the first problem in any file, or an id used in two files.
    """
    frames = [read_facilities(path, crs) for path, crs in sources]
    allf = pd.concat(frames, ignore_index=True)
    allf.attrs["attribute_columns"] = sorted(
        {c for f in frames for c in f.attrs["attribute_columns"]})
    dup = allf["id"].duplicated(keep="first")
    if dup.any():
        row = allf[dup].iloc[0]
        raise InputDataError(f"{row['source_file']}: row {row['source_row']} id '{row['id']}' is "
                             "also used in another facility file; ids must be unique")
    return allf
