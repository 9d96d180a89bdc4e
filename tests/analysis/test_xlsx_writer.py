"""The workbook written as SpreadsheetML text, read back by openpyxl and pandas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from carecircle.analysis.xlsx import write_xlsx
from carecircle.analysis.xlsx_parts import column_letter


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["W-N", "W-S", "E-N"],
            "kind": ["urban", "rural", "urban"],
            "older_residents": np.array([1200, 0, 35], dtype=np.int64),
            "older_covered_share": [0.123456789012345678, np.nan, np.inf],
            "s1_met": pd.array([True, False, pd.NA], dtype="boolean"),
            "s1_status": ["not met", "met", "not assessed: no data"],
            "note": ["a & b <c>", "", None],
        }
    )


def test_values_styles_and_layout_read_back(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "t.xlsx", [("社区 communities", _table()), ("空 empty", _table()[:0])]
    )
    book = load_workbook(path)
    assert book.sheetnames == ["社区 communities", "空 empty"]
    ws = book["社区 communities"]
    assert [c.value for c in ws[1]][:4] == ["代码", "类型", "老年人口", "老年人覆盖率"]
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert ws["A1"].fill.fgColor.rgb == "00DDEBF7" and ws["A2"].alignment.wrap_text
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert rows[0][:6] == [
        "W-N",
        "社区 urban",
        1200,
        0.1234567890123457,
        "是 yes",
        "未达标 not met",
    ]
    assert rows[0][6] == "a & b <c>"
    assert rows[1][3] is None and rows[1][6] is None  # NaN and empty text: empty cells
    assert rows[2][3] is None and rows[2][4] is None  # inf and NA: empty cells
    assert ws["C3"].data_type == "n" and ws["A3"].data_type == "s"
    assert ws["C3"].number_format == "#,##0" and ws["D3"].number_format == "0.0%"
    assert ws.freeze_panes == "C3"
    letter = column_letter(6)
    rules = [(str(r.sqref), rule.formula[0]) for r in ws.conditional_formatting for rule in r.rules]
    assert (f"{letter}3:{letter}5", f'LEFT({letter}3,3)="未达标"') in rules
    assert ws.column_dimensions["A"].width == 8  # at least 8
    assert ws.column_dimensions["G"].width == 11  # the longest text, +2
    assert book["空 empty"]["A1"].value == "代码"
    frame = pd.read_excel(path, sheet_name="社区 communities", header=0, skiprows=[1])
    assert frame["代码"].tolist() == ["W-N", "W-S", "E-N"]


def test_same_tables_same_bytes(tmp_path: Path) -> None:
    a = write_xlsx(tmp_path / "a.xlsx", [("s", _table())])
    b = write_xlsx(tmp_path / "b.xlsx", [("s", _table())])
    assert a.read_bytes() == b.read_bytes()


def test_a_title_excel_refuses_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sheet title"):
        write_xlsx(tmp_path / "t.xlsx", [("a/b", _table())])
    assert not (tmp_path / "t.xlsx").exists()


@pytest.mark.parametrize(("n", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (703, "AAA")])
def test_column_letters(n: int, letters: str) -> None:
    assert column_letter(n) == letters
