"""The XML parts of an XLSX workbook (SpreadsheetML), written as text and zipped reproducibly.

openpyxl builds a Python object per cell and per style (about 50 µs a cell: 15 s for the
community sheets of a city of 2,000 communities); the sheets of carecircle are plain tables
with a few styles, written here straight as XML (about 1 µs a cell). openpyxl reads the
files back as it reads its own (the tests do); Excel, WPS and LibreOffice open them.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

#: Number formats Excel knows by number (the rest are declared from 164 on).
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9}
BUILTIN_FORMATS |= {"0.00%": 10, "0.00E+00": 11, "@": 49}

#: Characters an XLSX cannot hold (as openpyxl's ``ILLEGAL_CHARACTERS_RE``).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
#: Characters a sheet title cannot hold (Excel's rule, as openpyxl checks it).
INVALID_TITLE_RE = re.compile(r"[\\*?:/\[\]]")

HEADER_FILL = "DDEBF7"
UNMET_FILL = "F8CBAD"

#: Style ids of the header rows (cellXfs 1 and 2); data styles follow, one per format.
HEAD_ZH, HEAD_EN = 1, 2


def escape(text: str) -> str:
    """Return ``text`` escaped for XML element text (a CR kept as ``&#13;``)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def attr(text: str) -> str:
    """Return ``text`` escaped for an XML attribute value."""
    return escape(text).replace('"', "&quot;")


def column_letter(index: int) -> str:
    """Return the letters of a 1-based column number (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Styles:
    """The workbook's cell styles: the two header rows, then one per number format."""

    formats: dict[str, int] = field(default_factory=dict)  # format code -> cellXfs id

    def data_style(self, code: str) -> int:
        """Return the cellXfs id of data cells with number format ``code`` (0: General)."""
        if code == "General":
            return 0
        if code not in self.formats:
            self.formats[code] = HEAD_EN + 1 + len(self.formats)
        return self.formats[code]

    def xml(self) -> str:
        """Return ``xl/styles.xml``."""
        custom = [c for c in self.formats if c not in BUILTIN_FORMATS]
        ids = {c: BUILTIN_FORMATS[c] for c in self.formats if c in BUILTIN_FORMATS}
        ids |= {c: 164 + k for k, c in enumerate(custom)}
        num_fmts = "".join(f'<numFmt numFmtId="{ids[c]}" formatCode="{attr(c)}"/>' for c in custom)
        fill = (
            '<fill><patternFill patternType="solid"><fgColor rgb="00{0}"/>'
            '<bgColor rgb="00{0}"/></patternFill></fill>'
        )
        head = (
            '<xf numFmtId="0" fontId="{0}" fillId="2" borderId="0" xfId="0" applyFont="1" '
            'applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
        )
        data = "".join(
            f'<xf numFmtId="{ids[c]}" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/>'
            for c in self.formats
        )
        font = '<font>{}<sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        return (
            f'{_DECL}<styleSheet xmlns="{MAIN_NS}">'
            + (f'<numFmts count="{len(custom)}">{num_fmts}</numFmts>' if custom else "")
            + f'<fonts count="2">{font.format("")}{font.format("<b/>")}</fonts>'
            + '<fills count="3"><fill><patternFill patternType="none"/></fill>'
            + '<fill><patternFill patternType="gray125"/></fill>'
            + fill.format(HEADER_FILL)
            + "</fills>"
            + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            + "</borders>"
            + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            + "</cellStyleXfs>"
            + f'<cellXfs count="{3 + len(self.formats)}">'
            + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            + head.format(1)
            + head.format(0)
            + data
            + "</cellXfs>"
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            + "</cellStyles>"
            + f'<dxfs count="1"><dxf>{fill.format(UNMET_FILL)}</dxf></dxfs>'
            + "</styleSheet>"
        )


@dataclass
class SharedStrings:
    """The workbook's shared strings (each text stored once, cells refer to its number)."""

    index: dict[str, int] = field(default_factory=dict)
    count: int = 0

    def ref(self, text: str) -> int:
        """Return the number of ``text`` (added when new)."""
        self.count += 1
        number = self.index.get(text)
        if number is None:
            number = self.index[text] = len(self.index)
        return number

    def xml(self) -> str:
        """Return ``xl/sharedStrings.xml``."""
        items = "".join(f'<si><t xml:space="preserve">{escape(t)}</t></si>' for t in self.index)
        return (
            f'{_DECL}<sst xmlns="{MAIN_NS}" count="{self.count}" '
            f'uniqueCount="{len(self.index)}">{items}</sst>'
        )


def sheet_xml(
    rows: Iterable[str],
    *,
    size: tuple[int, int],
    widths: Sequence[float],
    rules: Sequence[tuple[str, str]],
) -> str:
    """Return a worksheet part: frozen at C3, column widths, rows, conditional fills.

    Parameters
    ----------
    rows : iterable of str
        The ``<row>`` elements, in order.
    size : (int, int)
        Rows and columns used (for the dimension).
    widths : sequence of float
        Width of each column, in characters.
    rules : sequence of (str, str)
        (cell range, formula) of each conditional fill (the unmet fill).
    """
    n_rows, n_cols = size
    ref = f"{column_letter(1)}1:{column_letter(max(n_cols, 1))}{max(n_rows, 1)}"
    cols = "".join(
        f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
        for j, w in enumerate(widths, start=1)
    )
    formatting = "".join(
        f'<conditionalFormatting sqref="{cells}"><cfRule type="expression" dxfId="0" '
        f'priority="{k}"><formula>{escape(formula)}</formula></cfRule></conditionalFormatting>'
        for k, (cells, formula) in enumerate(rules, start=1)
    )
    return (
        f'{_DECL}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f'<dimension ref="{ref}"/>'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane xSplit="2" ySplit="2" topLeftCell="C3" activePane="bottomRight" state="frozen"/>'
        '<selection pane="topRight"/><selection pane="bottomLeft"/>'
        '<selection pane="bottomRight" activeCell="C3" sqref="C3"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
        + "".join(rows)
        + "</sheetData>"
        + formatting
        + '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        + "</worksheet>"
    )


def _workbook_xml(titles: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name="{attr(t)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, t in enumerate(titles, start=1)
    )
    return (
        f'{_DECL}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(n: int) -> str:
    kinds = [f"worksheet|worksheets/sheet{i}.xml" for i in range(1, n + 1)]
    kinds += ["styles|styles.xml", "sharedStrings|sharedStrings.xml"]
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/{k.split("|")[0]}" Target="{k.split("|")[1]}"/>'
        for i, k in enumerate(kinds, start=1)
    )
    return f'{_DECL}<Relationships xmlns="{PKG_REL_NS}">{rels}</Relationships>'


def _content_types(n: int) -> str:
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = [("/xl/workbook.xml", f"{office}.sheet.main+xml")]
    overrides += [(f"/xl/worksheets/sheet{i}.xml", _SHEET_TYPE) for i in range(1, n + 1)]
    overrides += [("/xl/styles.xml", f"{office}.styles+xml")]
    overrides += [("/xl/sharedStrings.xml", f"{office}.sharedStrings+xml")]
    return (
        f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
        + "</Types>"
    )


def check_title(title: str) -> str:
    """Return a sheet title Excel accepts, or raise ValueError (as openpyxl does).

    Parameters
    ----------
    title : str
        The sheet's title.
    """
    if INVALID_TITLE_RE.search(title) or not title or len(title) > 31:
        raise ValueError(f"invalid sheet title {title!r}: 1-31 characters, none of \\*?:/[]")
    return title


def write_package(
    path: Path,
    titles: Sequence[str],
    sheets: Sequence[str],
    styles: Styles,
    strings: SharedStrings,
) -> None:
    """Zip the workbook's parts into ``path`` (fixed timestamps: equal tables, equal bytes).

    Parameters
    ----------
    path : Path
        The ``.xlsx`` file.
    titles : sequence of str
        Sheet titles, in order.
    sheets : sequence of str
        The worksheet parts (:func:`sheet_xml`), in the same order.
    styles : Styles
        The styles the sheets use.
    strings : SharedStrings
        The strings the sheets refer to.
    """
    root_rels = (
        f'{_DECL}<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    parts = [
        ("[Content_Types].xml", _content_types(len(sheets))),
        ("_rels/.rels", root_rels),
        ("xl/workbook.xml", _workbook_xml(titles)),
        ("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets))),
        ("xl/styles.xml", styles.xml()),
        *((f"xl/worksheets/sheet{i}.xml", s) for i, s in enumerate(sheets, start=1)),
        ("xl/sharedStrings.xml", strings.xml()),
    ]
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"), compresslevel=6)
