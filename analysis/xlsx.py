"""Spreadsheets for planners: Chinese headers with English below, frozen, formatted.

The workbook is written as SpreadsheetML text (:mod:`carecircle.analysis.xlsx_parts`), a
column of the table at a time: no Python object per cell, so a city's community sheets are
written in about a second rather than in a quarter of a minute.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from carecircle.analysis.files import write_atomic
from carecircle.analysis.labels import kind_label, label, status_label
from carecircle.analysis.xlsx_parts import (
    HEAD_EN,
    HEAD_ZH,
    ILLEGAL_CHARACTERS_RE,
    SharedStrings,
    Styles,
    check_title,
    column_letter,
    sheet_xml,
    write_package,
)
from carecircle.text import formula_safe

#: Values of a cell as written: text, a number, or empty.
Shown = str | int | float | None


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.bool_ | bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(value) else float(value)  # a sheet cannot hold NaN
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return value


def _shown(column: str, value: object) -> object:
    """Return the cell as a planner reads it: verdicts and kinds in Chinese and English."""
    value = _cell_value(value)
    if isinstance(value, str):
        if column.endswith("_status"):
            return status_label(value)
        if column == "kind":
            return kind_label(value)
    return value


def _text_cell(value: object) -> Shown:
    """Return a cell value stored as data, never as a formula.

    Text that a spreadsheet would run (``=…``, ``+…``, ``@…``) gets a leading quote, and the
    control characters XLSX cannot hold (ESC, NUL, …) become U+FFFD; the CSV keeps them.
    Any other value is written as its text.
    """
    value = formula_safe(value)
    if value is None or isinstance(value, int | float):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))


def _cells(ref: str, style: int, values: Sequence[Shown], strings: SharedStrings) -> list[str]:
    """Return the ``<c>`` elements of one column (``ref`` holds ``{}`` for the row number)."""
    out = []
    for row, value in enumerate(values, start=3):
        where = ref.format(row)
        if value is None or value == "":  # empty text reads back empty, as from openpyxl
            out.append(f'<c r="{where}" s="{style}"/>')
        elif isinstance(value, str):
            out.append(f'<c r="{where}" s="{style}" t="s"><v>{strings.ref(value)}</v></c>')
        elif isinstance(value, bool):  # not produced (booleans are shown as 是/否), kept safe
            out.append(f'<c r="{where}" s="{style}" t="b"><v>{int(value)}</v></c>')
        elif math.isfinite(value):  # 16 digits, as openpyxl writes numbers
            out.append(f'<c r="{where}" s="{style}"><v>{value:.16g}</v></c>')
        else:  # ±inf: no number a sheet holds (openpyxl leaves such a cell empty too)
            out.append(f'<c r="{where}" s="{style}"/>')
    return out


def _header(ref: str, text: str, style: int, strings: SharedStrings) -> str:
    value = _text_cell(text)
    if not isinstance(value, str):
        value = str(value)
    return f'<c r="{ref}" s="{style}" t="s"><v>{strings.ref(value)}</v></c>'


def _width(column: str, shown: Sequence[object]) -> float:
    """Column width in characters: the headers (Chinese counted double) and the first values."""
    zh, en, _ = label(column)
    width = max([len(str(zh)) * 2, len(en), *(len(str(v)) for v in shown[:200])])
    return min(max(8, width + 2), 60)


def _unmet_rule(column: str, letter: str, last: int) -> tuple[str, str] | None:
    """Return the conditional fill of a verdict column (``*_met`` 否, ``*_status`` 未达标)."""
    if column.endswith("_met"):
        formula = f'LEFT({letter}3,1)="否"'
    elif column.endswith("_status"):
        formula = f'LEFT({letter}3,3)="未达标"'
    else:
        return None
    return (f"{letter}3:{letter}{last}", formula)


def _sheet(df: pd.DataFrame, styles: Styles, strings: SharedStrings) -> str:
    """Return one worksheet part: two header rows, the table from row 3."""
    columns = [str(c) for c in df.columns]
    letters = [column_letter(j) for j in range(1, len(columns) + 1)]
    heads: list[list[str]] = [[], []]
    body: list[list[str]] = []
    widths, rules = [], []
    last = len(df) + 2
    for position, (col, letter) in enumerate(zip(columns, letters, strict=True)):
        zh, en, fmt = label(col)
        heads[0].append(_header(f"{letter}1", zh, HEAD_ZH, strings))
        heads[1].append(_header(f"{letter}2", en, HEAD_EN, strings))
        shown = [_shown(col, v) for v in df.iloc[:, position].tolist()]
        body.append(
            _cells(letter + "{}", styles.data_style(fmt), [_text_cell(v) for v in shown], strings)
        )
        widths.append(_width(col, shown))
        rule = _unmet_rule(col, letter, last) if len(df) else None
        if rule is not None:
            rules.append(rule)
    rows = [f'<row r="{r}">{"".join(cells)}</row>' for r, cells in enumerate(heads, start=1)]
    rows += [
        f'<row r="{r}">{"".join(cells)}</row>'
        for r, cells in enumerate(zip(*body, strict=True), start=3)
    ]
    return sheet_xml(rows, size=(last, len(columns)), widths=widths, rules=rules)


def write_xlsx(path: Path, sheets: Sequence[tuple[str, pd.DataFrame]]) -> Path:
    """Write sheets with bilingual two-row headers, frozen panes, widths and formats.

    Parameters
    ----------
    path : Path
        The workbook to write (atomically).
    sheets : sequence of (str, DataFrame)
        Sheet title and table, in order.

    Returns
    -------
    Path
        ``path``.
    """
    styles, strings = Styles(), SharedStrings()
    titles = [check_title(title) for title, _ in sheets]
    parts = [_sheet(df, styles, strings) for _, df in sheets]
    return write_atomic(path, lambda tmp: write_package(tmp, titles, parts, styles, strings))
