"""The tables and pictures of ``report.docx``, the formatting of cells, and its saving.

Each is what python-docx writes, without the costs that grow with a city's report.
python-docx builds a table cell by cell (a cell's text goes through ~30 Python calls: 1 s
for the 35 tables of a 10-street district); here a table is written as one WordprocessingML
string, parsed once and placed at the end of the body. It is the table python-docx would
make: style ``Table Grid``, the header row in bold, column widths in the grid and the cells.
A picture is added without scanning the document and hashing the images before it
(:class:`Pictures`), and the document is saved with its images stored, not deflated again
(:func:`save_docx`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from carecircle.maps.style import pct

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STATUS_ZH = {"met": "达标 met", "not met": "未达标 not met"}
TWIPS_PER_CM = 1440 / 2.54

#: Characters XML 1.0 cannot hold (a control character in a name): shown as U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def number(value: Any, digits: int = 0) -> str:
    """Format a figure of the report: thousands separators, or — where undefined.

    Parameters
    ----------
    value : Any
        The value.
    digits : int, default 0
        Decimals shown.
    """
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):,.{digits}f}"


def indicator_value(value: Any, unit: str) -> str:
    """Format an indicator value by its unit (a share as a percentage).

    Parameters
    ----------
    value : Any
        The value.
    unit : str
        The indicator's unit (``share`` shown as a percentage).
    """
    if value is None or pd.isna(value):
        return "—"
    if unit == "share":
        return pct(float(value))
    return f"{float(value):,.1f}" if float(value) % 1 else f"{float(value):,.0f}"


def text(value: Any) -> str:
    """Text of a table cell: — where missing."""
    return "—" if value is None or pd.isna(value) or str(value) == "" else str(value)


def status_text(status: Any) -> str:
    """Bilingual verdict (``not assessed …`` reasons are kept as written)."""
    text = "" if status is None or pd.isna(status) else str(status)
    return STATUS_ZH.get(text, text or "—")


def _piece(part: str) -> str:
    """Return a run's piece: a tab, a line break or text (spaces at its ends kept)."""
    if part == "\t":
        return "<w:tab/>"
    if part == "\n":
        return "<w:br/>"
    space = ' xml:space="preserve"' if part.strip() != part else ""
    return f"<w:t{space}>{part}</w:t>"


def _runs(value: str, bold: bool) -> str:
    """Return a cell's paragraph: one run, tabs and line breaks as python-docx writes them."""
    value = _NOT_XML.sub("\ufffd", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    parts = re.split("([\t\n])", value)
    inner = "".join(_piece(p) for p in parts if p)
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f"<w:p><w:r>{props}{inner}</w:r></w:p>" if inner else "<w:p/>"


def _row(cells: Sequence[str], widths: Sequence[int], bold: bool) -> str:
    return (
        "<w:tr>"
        + "".join(
            f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{w}"/></w:tcPr>{_runs(str(c), bold)}</w:tc>'
            for c, w in zip(cells, widths, strict=True)
        )
        + "</w:tr>"
    )


def table_xml(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int], *,
              fixed: bool) -> str:  # fmt: skip
    """Return the ``<w:tbl>`` of a grid table with a bold header row.

    Parameters
    ----------
    header : sequence of str
        Column headings.
    rows : sequence of sequences of str
        The cells' texts (as many as headings in each row).
    widths : sequence of int
        Column widths in twips.
    fixed : bool
        Fixed layout (the widths were given) rather than autofit.
    """
    layout = '<w:tblLayout w:type="fixed"/>' if fixed else ""
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    body = _row(header, widths, True) + "".join(_row(r, widths, False) for r in rows)
    return (
        f'<w:tbl xmlns:w="{W_NS}"><w:tblPr><w:tblStyle w:val="TableGrid"/>'
        f'<w:tblW w:type="auto" w:w="0"/>{layout}'
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
        'w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>"
    )


def add_table(
    doc: DocxDocument,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_cm: Sequence[float] = (),
) -> None:
    """Add a grid table with a header row at the end of the document.

    Parameters
    ----------
    doc : Document
        The document.
    header : sequence of str
        Column headings.
    rows : sequence of sequences of str
        The cells' texts.
    widths_cm : sequence of float, optional
        Column widths in cm (equal widths over the text width when not given).
    """
    from docx.oxml import parse_xml

    if widths_cm:
        if len(widths_cm) != len(header):
            raise ValueError(f"{len(widths_cm)} widths for {len(header)} columns")
        widths = [round(w * TWIPS_PER_CM) for w in widths_cm]
    else:
        section = doc.sections[-1]
        page = (section.page_width, section.left_margin, section.right_margin)
        if any(v is None for v in page):
            raise ValueError("the document's last section has no page width or margins")
        text_width = int(page[0] or 0) - int(page[1] or 0) - int(page[2] or 0)
        widths = [round(text_width // len(header) / 635)] * len(header)  # 635 EMU a twip
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} cells in a table of {len(header)} columns")
    tbl = parse_xml(table_xml(header, rows, widths, fixed=bool(widths_cm)))
    doc.element.body._insert_tbl(tbl)


class Pictures:
    """Adds a document's pictures, each as a new image, in linear time.

    python-docx's ``add_picture`` scans the whole document for ids and hashes every image
    added before, for each picture: quadratic in the number of streets. The result is the
    XML ``add_picture`` writes: image parts ``/word/media/imageN.png`` numbered from 1 and
    shape ids counting on from the document's largest id.
    """

    def __init__(self, doc: DocxDocument) -> None:
        self._doc = doc
        self._next_id: int | None = None

    def add(self, path: Path, width: int) -> None:
        """Add a paragraph holding the picture at ``path``, ``width`` EMU wide.

        Parameters
        ----------
        path : Path
            The image (PNG).
        width : int
            Its width on the page in EMU (height to scale).
        """
        from docx.image.image import Image
        from docx.opc.constants import RELATIONSHIP_TYPE
        from docx.opc.packuri import PackURI
        from docx.oxml.shape import CT_Inline
        from docx.parts.image import ImagePart

        part = self._doc.part
        if self._next_id is None:
            self._next_id = part.next_id  # once: a scan of the whole document
        images = part.package.image_parts
        image = Image.from_file(str(path))
        name = PackURI(f"/word/media/image{len(images) + 1}.{image.ext}")
        image_part = ImagePart.from_image(image, name)
        images.append(image_part)
        rid = part.relate_to(image_part, RELATIONSHIP_TYPE.IMAGE)
        cx, cy = image.scaled_dimensions(width, None)
        inline = CT_Inline.new_pic_inline(self._next_id, rid, image.filename, cx, cy)
        self._next_id += 1
        self._doc.add_paragraph().add_run()._r.add_drawing(inline)


#: Parts stored as they are in the document's zip: compressed images gain ~1 % from
#: deflating, which took a third of the report's time for 100 street maps.
STORED_EXTENSIONS = ("png", "jpeg", "jpg")


class _ZipWriter:
    """python-docx's package writer interface, storing images rather than deflating them."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self._zf = zf

    def write(self, pack_uri: Any, blob: bytes) -> None:
        """Write one part of the package (``pack_uri``: its name inside the zip)."""
        stored = str(pack_uri.ext).lower() in STORED_EXTENSIONS
        kind = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        self._zf.writestr(pack_uri.membername, blob, compress_type=kind)


#: python-docx's (private) PackageWriter steps :func:`save_docx` runs with its own zip writer.
PACKAGE_WRITER_STEPS = ("_write_content_types_stream", "_write_pkg_rels", "_write_parts")


def save_docx(doc: DocxDocument, path: Path) -> None:
    """Save the document as ``Document.save`` does, with the images stored, not deflated.

    Parameters
    ----------
    doc : Document
        The document.
    path : Path
        The ``.docx`` file to write.
    """
    from docx.opc.pkgwriter import PackageWriter

    if not all(hasattr(PackageWriter, step) for step in PACKAGE_WRITER_STEPS):  # docx changed
        doc.save(str(path))  # the same document, its images deflated again
        return
    package = doc.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        writer = _ZipWriter(zf)
        # PackageWriter.write's steps, with this writer (it makes its own, deflating all)
        PackageWriter._write_content_types_stream(writer, parts)
        PackageWriter._write_pkg_rels(writer, package.rels)
        PackageWriter._write_parts(writer, parts)  # type: ignore[arg-type]
