"""Spreadsheets for planners: Chinese headers with English below, frozen, formatted."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from carecircle.analysis.files import write_atomic
from carecircle.analysis.labels import kind_label, label, status_label
from carecircle.text import formula_safe

_UNMET_FILL = PatternFill(start_color="F8CBAD", end_color="F8CBAD", fill_type="solid")
_HEAD_FILL = PatternFill(start_color="DDEBF7", end_color="DDEBF7", fill_type="solid")


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
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


def _text_cell(value: object) -> Any:
    """Return a cell value that openpyxl stores as data, never as a formula.

    Text that a spreadsheet would run (``=…``, ``+…``, ``@…``) gets a leading quote, and the
    control characters XLSX cannot hold (ESC, NUL, …) become U+FFFD; the CSV keeps them.
    """
    value = formula_safe(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def _set(ws: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write one cell; text is always stored as text (data type ``s``)."""
    cell = ws.cell(row=row, column=column, value=_text_cell(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _write_sheet(wb: Workbook, title: str, df: pd.DataFrame) -> None:
    ws = wb.create_sheet(title)
    columns = list(df.columns)
    for j, col in enumerate(columns, start=1):
        zh, en, _ = label(col)
        for row, text in ((1, zh), (2, en)):
            c = _set(ws, row, j, text)
            c.font = Font(bold=row == 1)
            c.fill = _HEAD_FILL
            c.alignment = Alignment(wrap_text=True, vertical="top")
    shown = {col: [_shown(col, v) for v in df[col]] for col in columns}
    for j, col in enumerate(columns, start=1):
        for i, value in enumerate(shown[col], start=3):
            _set(ws, i, j, value)
    last = len(df) + 2
    for j, col in enumerate(columns, start=1):
        letter = get_column_letter(j)
        fmt = label(col)[2]
        for row in ws.iter_rows(min_row=3, max_row=last, min_col=j, max_col=j):
            row[0].number_format = fmt
        width = max(
            [
                len(str(label(col)[0])) * 2,
                len(label(col)[1]),
                *(len(str(v)) for v in shown[col][:200]),
            ]
        )
        ws.column_dimensions[letter].width = min(max(8, width + 2), 60)
        unmet = (
            'LEFT({0}3,1)="否"'
            if col.endswith("_met")
            else 'LEFT({0}3,3)="未达标"'
            if col.endswith("_status")
            else ""
        )
        if unmet and len(df):
            ws.conditional_formatting.add(
                f"{letter}3:{letter}{last}",
                FormulaRule(formula=[unmet.format(letter)], fill=_UNMET_FILL),
            )
    ws.freeze_panes = "C3"


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
    wb = Workbook()
    if wb.active is not None:  # the empty first sheet
        wb.remove(wb.active)
    for title, df in sheets:
        _write_sheet(wb, title, df)
    return write_atomic(path, wb.save)
