"""Formula-safe text in every spreadsheet carecircle writes: CSV and XLSX read back."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from carecircle.analysis.files import formula_safe_frame
from carecircle.analysis.reports import write_csv
from carecircle.analysis.xlsx import write_xlsx
from carecircle.text import formula_safe

HOSTILE = ('=HYPERLINK("http://x","y")', "=1+1", "+SUM(1,2)", "@cmd", "-2+3", "\tx", "\rx")


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_would_run_gets_a_quote(text: str) -> None:
    assert formula_safe(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["-5", "+1.5", "-1e3", ".5", "幸福站", "a=1", " =1", "", -2.5, -3, None, np.nan]
)
def test_numbers_and_plain_text_are_unchanged(value: object) -> None:
    assert formula_safe(value) is value


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [*HOSTILE, "幸福站"],
            "older_covered_share": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
            "beds": [-2, 0, 1, 2, 3, 4, 5, 6],
            "=bad header": ["a"] * 8,
        }
    )


def test_frame_escapes_text_and_headers_not_numbers() -> None:
    df = _frame()
    out = formula_safe_frame(df)
    assert list(out["name"]) == ["'" + t.replace("\r", "\n") for t in HOSTILE] + ["幸福站"]
    assert list(out.columns)[-1] == "'=bad header"
    pd.testing.assert_series_equal(out["beds"], df["beds"])
    assert list(df["name"]) == [*HOSTILE, "幸福站"]  # the input is not changed
    clean = df.drop(columns="=bad header").iloc[-1:]
    assert formula_safe_frame(clean) is clean


def test_csv_read_back_has_no_formula_and_numbers_stay_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", _frame())
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    names = [r[0] for r in rows[1:]]
    # a bare CR inside text would end the row in every reader: it is written as a line feed
    assert names == ["'" + t.replace("\r", "\n") for t in HOSTILE] + ["幸福站"]
    assert [r[1] for r in rows[1:3]] == ["-0.5", "0.1"]
    assert [r[2] for r in rows[1:3]] == ["-2", "0"]
    assert rows[0][3] == "'=bad header"


def test_xlsx_read_back_has_no_formula_cell(tmp_path: Path) -> None:
    df = _frame()
    df.loc[7, "name"] = "bad\x1bname\x00"
    path = write_xlsx(tmp_path / "t.xlsx", [("sheet", df)])
    ws = load_workbook(path)["sheet"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    names = [ws.cell(row=r, column=1).value for r in range(3, 11)]
    # a CR reads back as a line feed (openpyxl's plain XML writer) or as a CR (through lxml)
    assert [n.replace("\r", "\n") for n in names[:-1]] == [
        "'" + t.replace("\r", "\n") for t in HOSTILE
    ]
    assert names[-1] == "bad\ufffdname\ufffd"
    assert ws.cell(row=3, column=2).value == -0.5
    assert ws.cell(row=3, column=3).value == -2
    assert ws.cell(row=3, column=3).data_type == "n"


def test_categorical_text_is_escaped_too() -> None:
    df = pd.DataFrame({"kind": pd.Categorical(["=1+1", "urban"]), "n": [1, 2]})
    assert formula_safe_frame(df)["kind"].tolist() == ["'=1+1", "urban"]
    clean = df.iloc[1:]
    assert formula_safe_frame(clean) is clean
