"""The value columns of a facility table: floor area (with units), beds, A3–A6 attributes."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carecircle.errors import InputDataError
from carecircle.geo.tables import Rows
from carecircle.geo.units import AREA_UNITS, COUNT_UNITS, header_unit, parse_numbers
from carecircle.sources import Source
from carecircle.text import counted

log = logging.getLogger(__name__)

NUMERIC_COLUMNS = ("floor_area_m2", "beds", "nursing_beds")
#: Optional attribute columns used by the facility indicators (A3–A6); absent -> "not assessed".
ATTRIBUTE_COLUMNS = ("social_workers", "meals_per_day", "medical_care", "rating")
#: Indicators that read each numeric column: where they count a facility whose value is
#: unknown (its file lacks the column) they are "not assessed".
NEEDED_BY = {"floor_area_m2": "S2", "beds": "A1, A2, A3 per beds", "nursing_beds": "A1"}
_YES = {"1", "yes", "y", "true", "是", "有", "√"}
_NO = {"0", "no", "n", "false", "否", "无", "", "nan", "none"}
_BEDS = dict.fromkeys(COUNT_UNITS, 1.0)


def _not_this_column(
    df: pd.DataFrame, col: str, path: Source, rows: Rows, bad: pd.Series, wanted: str
) -> bool:
    """Return True (with a warning) when ``col`` is an alias-matched column of other content.

    A column matched through an alias only, most of whose filled cells do not parse, means
    something else (an ``area`` holding 浦东): it is ignored. A column named exactly, or one
    where only some cells fail (``120㎡`` under 建筑面积), is data to fix: False (an error).
    """
    header = rows.header(col)
    filled = ~df[col].astype(str).str.strip().isin(["", "nan", "None"])
    if header is None or bad.sum() < 0.5 * max(int(filled.sum()), 1):
        return False
    i = int(np.flatnonzero(bad.to_numpy())[0])
    log.warning(
        "%s: column '%s' is ignored (not read as %s): %s holds '%s', not %s; to use "
        "it, rename it to %s and correct the values",
        path,
        header,
        col,
        rows.one(i),
        df[col].iloc[i],
        wanted,
        col,
    )
    return True


def _column_unit(col: str, path: Source, rows: Rows) -> tuple[str, float]:
    """Return the unit a floor-area header names (``建筑面积（万平方米）``), its factor to m²."""
    header = rows.header(col) or col
    if col != "floor_area_m2":
        return "", 1.0
    unit, factor = header_unit(header)
    if factor is None:
        raise InputDataError(
            f"{path}: column '{header}' is in {unit}, a unit carecircle does not convert; "
            "give the floor area in m² (平方米), 万平方米, 亩 or 公顷"
        )
    return unit, factor


def _report_units(
    df: pd.DataFrame, col: str, path: Source, rows: Rows, found: tuple[str, float, np.ndarray]
) -> None:
    """Say how a column's units were converted (header unit, cells carrying a unit)."""
    unit, factor, with_unit = found
    header = rows.header(col) or col
    if factor != 1.0:
        log.warning(
            "%s: column '%s' is in %s: floor areas multiplied by %s to read them in m²",
            path,
            header,
            unit,
            f"{factor:,.6g}",
        )
    if with_unit.any():
        i = int(np.flatnonzero(with_unit)[0])
        log.warning(
            "%s: %s of column %s %s a unit, converted (e.g. %s '%s'); write plain "
            "numbers to avoid surprises",
            path,
            counted(int(with_unit.sum()), "cell"),
            header,
            "carries" if with_unit.sum() == 1 else "carry",
            rows.one(i),
            df[col].iloc[i],
        )


def _numbers(df: pd.DataFrame, col: str, path: Source, rows: Rows) -> np.ndarray | None:
    """Parse a numeric column; blanks are 0 (reported), text or negatives are errors.

    Full-width digits (``１２０``) and thousands separators are read; floor areas may carry
    an area unit (``120㎡``, ``0.5亩``) or take it from the header (``建筑面积（万平方米）``),
    counts ``张``/``个``; each conversion is reported. Text in a column matched through an
    alias only: None (the column is ignored, warned).
    """
    unit, factor = _column_unit(col, path, rows)
    units = {"floor_area_m2": AREA_UNITS, "beds": _BEDS, "nursing_beds": _BEDS}.get(col)
    parsed, blank, with_unit = parse_numbers(df[col].astype(str), units=units)
    values = pd.Series(np.where(with_unit, parsed, parsed * factor), index=df.index)
    bad = values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        if _not_this_column(df, col, path, rows, bad, "a number"):
            return None
        more = f" ({counted(int(bad.sum()), 'such cell')})" if bad.sum() > 1 else ""
        raise InputDataError(
            f"{path}: {rows.one(i)} column {col} = '{df[col].iloc[i]}' is not a "
            f"number{more}; write a number such as 120 (in m² for floor areas)"
        )
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} column {col} = '{df[col].iloc[i]}' is not a finite "
            "number; write the real value"
        )
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative.to_numpy())[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} column {col} = {values.iloc[i]:g} is "
            "negative; areas and beds must be 0 or more"
        )
    _report_units(df, col, path, rows, (unit, factor, with_unit))
    if blank.any():
        log.warning("%s: %d blank %s values read as 0", path, int(blank.sum()), col)
    return values.to_numpy(dtype=np.float64)


def _yes_no(df: pd.DataFrame, path: Source, rows: Rows) -> np.ndarray | None:
    """``medical_care`` as 1/0; anything but yes/no is an error (None: an alias, ignored)."""
    text = df["medical_care"].astype(str).str.strip().str.lower()
    bad = ~text.isin(_YES | _NO)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        if _not_this_column(df, "medical_care", path, rows, bad, "yes/no (是/否)"):
            return None
        raise InputDataError(
            f"{path}: {rows.one(i)} column medical_care = "
            f"'{df['medical_care'].iloc[i]}'; write yes/no (是/否)"
        )
    return np.where(text.isin(_YES), 1.0, 0.0)


def attribute_columns(df: pd.DataFrame, out: pd.DataFrame, path: Source, rows: Rows) -> list[str]:
    """Copy the optional indicator columns; absent ones stay NaN (empty for rating).

    Returns the attribute columns read (not those absent or ignored).

    Parameters
    ----------
    df : pd.DataFrame
        The facility table as read.
    out : pd.DataFrame
        The facility table being built.
    path : Source
        The table read (file or database source), named in messages.
    rows : Rows
        File row number of each table row (for messages).
    """
    read = []
    for col in ATTRIBUTE_COLUMNS:
        values = None
        if col == "rating" and col in df.columns:
            values = df["rating"].astype(str).str.strip().to_numpy()
        elif col == "medical_care" and col in df.columns:
            values = _yes_no(df, path, rows)
        elif col in df.columns:
            values = _numbers(df, col, path, rows)
        out[col] = ("" if col == "rating" else np.nan) if values is None else values
        read += [] if values is None else [col]
    return read


def numeric_columns(df: pd.DataFrame, out: pd.DataFrame, path: Source, rows: Rows) -> list[str]:
    """Floor area, beds and nursing beds; a missing column is NaN (unknown) and warned.

    Returns the numeric columns read (not those absent or ignored).

    Parameters
    ----------
    df : pd.DataFrame
        The facility table as read.
    out : pd.DataFrame
        The facility table being built.
    path : Source
        The table read (file or database source), named in messages.
    rows : Rows
        File row number of each table row (for messages).
    """
    read = []
    for col in NUMERIC_COLUMNS:
        values = _numbers(df, col, path, rows) if col in df.columns else None
        if values is None and col not in df.columns:
            types = sorted(set(out["type"]))
            kinds = f" ({', '.join(types)})" if len(types) <= 3 else ""
            log.warning(
                "%s: no %s column: %s unknown for its %s%s; indicators counting them "
                "(%s) are not assessed in the streets/communities holding them; add "
                "the column to assess them",
                path,
                col,
                col,
                counted(len(out), "facility", "facilities"),
                kinds,
                NEEDED_BY[col],
            )
        out[col] = np.nan if values is None else values
        read += [] if values is None else [col]
    over = (out["nursing_beds"] > out["beds"]).to_numpy()
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} nursing_beds {out['nursing_beds'].iloc[i]:g} "
            f"exceed beds {out['beds'].iloc[i]:g}; nursing beds are part of beds"
        )
    return read
