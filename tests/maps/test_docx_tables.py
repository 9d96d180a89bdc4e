"""report.docx tables written as one XML string: the table python-docx builds cell by cell."""

from __future__ import annotations

import re

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.shared import Cm
from lxml import etree

from carecircle.maps.docx_tables import add_table

HEADER = ["代码 code", "社区 community", "原因 reason"]
ROWS = [["W-N", " 西 北 ", "a & b <c>"], ["E-S", "东\t南", "第一行\n第二行"]]


def _python_docx_table(doc: DocxDocument, widths_cm: tuple[float, ...]) -> None:
    """The table as python-docx's own calls make it (what add_table replaced)."""
    table = doc.add_table(rows=1, cols=len(HEADER))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in ROWS:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    if widths_cm:
        table.autofit = False
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)
        for table_row in table.rows:
            for cell, width in zip(table_row.cells, widths_cm, strict=True):
                cell.width = Cm(width)


def _xml(doc: DocxDocument) -> str:
    tables = doc.element.body.findall(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tbl"
    )
    text = "".join(etree.tostring(t, method="c14n").decode() for t in tables)
    return re.sub(r' xmlns:\w+="[^"]*"', "", text)


@pytest.mark.parametrize("widths", [(), (3.0, 4.5, 9.0)])
def test_the_same_table_as_python_docx(widths: tuple[float, ...]) -> None:
    ours, theirs = docx.Document(), docx.Document()
    add_table(ours, HEADER, ROWS, widths)
    _python_docx_table(theirs, widths)
    assert _xml(ours) == _xml(theirs)
    table = ours.tables[0]
    assert [[c.text for c in r.cells] for r in table.rows] == [
        HEADER,
        ["W-N", " 西 北 ", "a & b <c>"],
        ["E-S", "东\t南", "第一行\n第二行"],
    ]
    assert table.style is not None and table.style.name == "Table Grid"
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)


def test_tables_follow_the_text_in_order() -> None:
    doc = docx.Document()
    doc.add_paragraph("before")
    add_table(doc, ["a"], [["1"]])
    doc.add_paragraph("after")
    kinds = [etree.QName(el).localname for el in doc.element.body.iterchildren()]
    assert kinds == ["p", "tbl", "p", "sectPr"]


def test_a_control_character_is_shown_not_fatal() -> None:
    doc = docx.Document()
    add_table(doc, ["name"], [["bad\x1bname"]])
    assert doc.tables[0].rows[1].cells[0].text == "bad\ufffdname"


def test_a_row_of_the_wrong_length_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 cells in a table of 3 columns"):
        add_table(docx.Document(), HEADER, [["a", "b"]])
    with pytest.raises(ValueError, match="2 widths for 3 columns"):
        add_table(docx.Document(), HEADER, [], (1.0, 2.0))
