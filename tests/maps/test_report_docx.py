"""report.docx and the static maps, read back: sections, tables equal to the CSVs, images."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pytest
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from PIL import Image

from carecircle.maps.static_layers import nice_length
from carecircle.maps.style import map_file_stems
from carecircle.scripts.cli import main

from mini_district import write_mini_study

STREETS_HEADING = "2 街道/镇 Streets and towns"


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini district audited once through the command line."""
    folder = tmp_path_factory.mktemp("mini-report")
    study = write_mini_study(folder / "in")
    assert main(["-q", "audit", str(study), "--out", str(folder / "out")]) == 0
    return folder / "out"


def body(path: Path) -> list[tuple[str, object]]:
    """The document's blocks in order: ("heading N"/"p", Paragraph) or ("table", Table)."""
    document = docx.Document(str(path))
    blocks: list[tuple[str, object]] = []
    for el in document.element.body.iterchildren():
        if el.tag == qn("w:p"):
            para = Paragraph(el, document)
            name = para.style.name if para.style is not None else ""
            kind = name.lower() if name.startswith(("Heading", "Title")) else "p"
            blocks.append((kind, para))
        elif el.tag == qn("w:tbl"):
            blocks.append(("table", Table(el, document)))
    return blocks


def street_sections(blocks: list[tuple[str, object]]) -> dict[str, list[tuple[str, object]]]:
    """Heading text -> the blocks of that street's section (level-2 headings under part 2)."""
    sections: dict[str, list[tuple[str, object]]] = {}
    inside, current = False, None
    for kind, block in blocks:
        if kind == "heading 1":
            inside = block.text == STREETS_HEADING
            current = None
        elif inside and kind == "heading 2":
            current = block.text
            sections[current] = []
        elif inside and current is not None:
            sections[current].append((kind, block))
    return sections


def tables(section: list[tuple[str, object]]) -> list[list[list[str]]]:
    """The section's tables as rows of cell texts."""
    return [
        [[c.text for c in row.cells] for row in t.rows] for kind, t in section if kind == "table"
    ]


def images(section: list[tuple[str, object]]) -> int:
    """Pictures in the section's paragraphs."""
    return sum(len(p._p.findall(".//" + qn("pic:pic"))) for kind, p in section if kind == "p")


def _num(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def check_report(out: Path) -> None:
    """Every street has a section whose tables and picture match the CSVs and the PNG."""
    by_street = pd.read_csv(out / "coverage_by_street.csv", dtype={"code": str})
    by_community = pd.read_csv(
        out / "coverage_by_community.csv", dtype={"code": str, "street": str}
    )
    blocks = body(out / "report.docx")
    sections = street_sections(blocks)
    assert list(sections) == [f"{r.name} ({r.code})" for r in by_street.itertuples()]
    stems = map_file_stems(list(by_street["code"]))
    for r in by_street.itertuples():
        section = sections[f"{r.name} ({r.code})"]
        summary, _, communities = tables(section)
        older, covered, share, uncovered, _ = summary[1]
        assert _num(older) == round(r.older_residents)
        assert _num(covered) == round(r.older_covered)
        assert _num(uncovered) == round(r.older_uncovered)
        assert _num(share) == pytest.approx(round(r.older_covered_share * 100, 1))
        expected = by_community[by_community["street"] == r.code]
        assert [row[0] for row in communities[1:]] == list(expected["code"])
        for row, c in zip(communities[1:], expected.itertuples(), strict=True):
            assert _num(row[2]) == round(c.older_residents)
            assert _num(row[4]) == round(c.older_uncovered)
            if pd.notna(c.older_covered_share):
                assert _num(row[3]) == pytest.approx(round(c.older_covered_share * 100, 1))
            else:
                assert row[3] == "—"
        assert images(section) == 1
        png = out / "maps" / "png" / f"{stems[r.code]}.png"
        pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
        assert pixels.std() > 10  # not blank: colours, dots, text
    document = docx.Document(str(out / "report.docx"))
    embedded = sorted(
        rel.target_part.blob for rel in document.part.rels.values() if "image" in rel.reltype
    )
    on_disk = sorted((out / "maps" / "png" / f"{s}.png").read_bytes() for s in stems.values())
    assert embedded == on_disk  # the same maps as the slide PNGs, one each


def test_mini_report_sections_tables_images(mini_run: Path) -> None:
    check_report(mini_run)


def test_mini_report_district_and_verdicts(mini_run: Path) -> None:
    blocks = body(mini_run / "report.docx")
    grids = [[[c.text for c in row.cells] for row in t.rows] for k, t in blocks if k == "table"]
    district = dict(grids[0][1:])
    street = pd.read_csv(mini_run / "coverage_by_street.csv")
    assert _num(district["老年人口 older residents"]) == street["older_residents"].sum()
    assert (
        _num(district["15分钟圈内老年人 older residents covered"]) == street["older_covered"].sum()
    )
    share = street["older_covered"].sum() / street["older_residents"].sum()
    assert _num(district["S1 覆盖率 circle share"]) == pytest.approx(round(share * 100, 1))
    catalogue = pd.read_csv(mini_run / "indicator_catalogue.csv")
    enabled = catalogue[catalogue["enabled"]]
    verdicts = {row[0]: row[4] for row in grids[1][1:]}
    assert list(verdicts) == list(enabled["id"])
    for r in enabled.itertuples():
        assert verdicts[r.id].endswith(r.district_status)  # "未达标 not met", "not assessed: …"
    under = pd.read_csv(mini_run / "underserved_communities.csv")
    under_table = next(g for g in grids if g[0][0] == "序 rank")
    assert len(under_table) - 1 == len(under)


def test_mini_report_inputs_with_sha256(mini_run: Path) -> None:
    run = json.loads((mini_run / "run.json").read_text(encoding="utf-8"))
    blocks = body(mini_run / "report.docx")
    grids = [[[c.text for c in row.cells] for row in t.rows] for k, t in blocks if k == "table"]
    inputs = next(g for g in grids if g[0] == ["角色 role", "文件 file", "SHA-256"])
    assert {row[0]: row[2] for row in inputs[1:]} == {
        role: v["sha256"] for role, v in run["inputs"].items()
    }
    headings = [b.text for k, b in blocks if k.startswith("heading")]
    assert "4 方法与数据 Method and data sources" in headings
    assert not any(h.startswith("5 选址建议") for h in headings)  # no proposal in an audit


def test_site_report_has_the_proposal(tmp_path: Path) -> None:
    study = write_mini_study(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["-q", "site", str(study), "--out", str(out), "--add", "1"]) == 0
    sites = pd.read_csv(out / "proposed_sites.csv", dtype=str)
    blocks = body(out / "report.docx")
    headings = [b.text for k, b in blocks if k == "heading 1"]
    assert headings[-1] == "5 选址建议 Siting proposal"
    grids = [[[c.text for c in row.cells] for row in t.rows] for k, t in blocks if k == "table"]
    proposal = next(g for g in grids if g[0][:2] == ["rank", "id"])
    assert [row[1] for row in proposal[1:]] == list(sites["id"])
    assert len(street_sections(blocks)) == 2


def test_png_is_a_picture_of_the_street(mini_run: Path) -> None:
    image = Image.open(mini_run / "maps" / "png" / "W.png")
    assert image.format == "PNG"
    assert image.width > 600 and image.height > 400
    colours = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(colours, axis=0)) > 20  # S1 fills, dots, markers, text


@pytest.mark.parametrize(
    ("span", "bar"), [(1000.0, 200.0), (1200.0, 200.0), (4000.0, 500.0), (60_000.0, 10_000.0)]
)
def test_scale_bar_length_is_round(span: float, bar: float) -> None:
    assert nice_length(span) == bar


def test_demo_report(demo_run: Path) -> None:
    check_report(demo_run)
    assert io.BytesIO((demo_run / "report.docx").read_bytes()).getbuffer().nbytes > 10_000


def test_pictures_are_what_add_picture_writes(mini_run: Path, tmp_path: Path) -> None:
    from docx.shared import Cm

    from carecircle.maps.docx_tables import Pictures, save_docx

    pngs = sorted((mini_run / "maps" / "png").glob("*.png"))
    assert len(pngs) == 2
    theirs, ours = docx.Document(), docx.Document()
    pictures = Pictures(ours)
    for doc in (theirs, ours):
        doc.add_paragraph("before")
    for png in pngs:
        theirs.add_picture(str(png), width=Cm(16.0))
        theirs.add_paragraph("between")
        pictures.add(png, Cm(16.0))
        ours.add_paragraph("between")
    assert ours.element.xml == theirs.element.xml  # ids 1, 2; rIds; sizes; file names
    assert ours.part.rels.xml == theirs.part.rels.xml
    ids = [int(v) for v in ours.element.body.xpath("//wp:docPr/@id")]
    assert ids == [1, 2]
    pictures.add(pngs[0], Cm(16.0))  # again: a new image (python-docx would reuse the first)
    images = [r.target_part for r in ours.part.rels.values() if "image" in r.reltype]
    assert [str(part.partname) for part in images] == [
        "/word/media/image1.png",
        "/word/media/image2.png",
        "/word/media/image3.png",
    ]
    assert [part.blob for part in images] == [p.read_bytes() for p in [*pngs, pngs[0]]]
    assert [int(v) for v in ours.element.body.xpath("//wp:docPr/@id")] == [1, 2, 3]
    save_docx(ours, tmp_path / "ours.docx")
    back = docx.Document(str(tmp_path / "ours.docx"))
    assert [p.text for p in back.paragraphs if p.text] == ["before", "between", "between"]
    assert len(back.inline_shapes) == 3


def test_report_stores_the_maps_and_deflates_the_xml(mini_run: Path) -> None:
    with zipfile.ZipFile(mini_run / "report.docx") as zf:
        kinds = {i.filename: i.compress_type for i in zf.infolist()}
        stems = map_file_stems(["W", "E"])
        media = sorted(n for n in kinds if n.startswith("word/media/"))
        assert media == ["word/media/image1.png", "word/media/image2.png"]
        assert {kinds[n] for n in media} == {zipfile.ZIP_STORED}  # PNG deflates by ~1 %
        assert kinds["word/document.xml"] == zipfile.ZIP_DEFLATED
        # the streets' maps in the order of their sections
        assert zf.read(media[0]) == (mini_run / "maps" / "png" / f"{stems['W']}.png").read_bytes()
        assert zf.read(media[1]) == (mini_run / "maps" / "png" / f"{stems['E']}.png").read_bytes()


def test_save_docx_falls_back_to_document_save_when_python_docx_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """save_docx uses python-docx's PackageWriter steps (private); if a release renames
    them, the document is still written, by Document.save."""
    import docx

    from carecircle.maps import docx_tables

    doc = docx.Document()
    doc.add_paragraph("街道 street 1")
    steps = (*docx_tables.PACKAGE_WRITER_STEPS, "_write_parts_renamed")
    monkeypatch.setattr(docx_tables, "PACKAGE_WRITER_STEPS", steps)
    saved: list[str] = []
    original = type(doc).save

    def save(self: object, path: str) -> None:
        saved.append(path)
        original(self, path)  # type: ignore[arg-type]

    monkeypatch.setattr(type(doc), "save", save)
    docx_tables.save_docx(doc, tmp_path / "r.docx")
    assert saved == [str(tmp_path / "r.docx")]  # the fallback ran
    assert [p.text for p in docx.Document(str(tmp_path / "r.docx")).paragraphs] == ["街道 street 1"]
