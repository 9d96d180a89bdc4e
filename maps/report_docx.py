"""The evaluation report ``report.docx`` (评估报告): python-docx, Chinese first, English beside.

Sections: district summary and indicator verdicts, one section per street/town (its
indicators, its communities, its static map), the under-served communities with reasons,
the method and data sources (input files with SHA-256, settings, profile and plan lines) and,
for a siting run, the proposal. It lays out results already computed and computes nothing:
every number is formatted from the audit's tables (the same as the CSVs).

This is one output writer (``report.docx``) of the kind issue 16 wants registered in one
outputs home; it takes the audit, the output folder and what the run already knows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carecircle.files import write_atomic
from carecircle.maps.docx_tables import (
    Pictures,
    add_table,
    indicator_value,
    number,
    save_docx,
    status_text,
    text,
)
from carecircle.maps.static_maps import render_static_maps
from carecircle.maps.style import pct, records

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from docx.document import Document as DocxDocument

    from carecircle.analysis.audit import Audit

__all__ = ["add_table", "render_report_docx", "write_report_docx"]

FONT_ZH = "Noto Sans CJK SC"
MAP_WIDTH_CM = 16.0
#: The style id of python-docx's "Heading 2" (a street's heading).
HEADING_2 = "Heading2"
#: The columns of a street's table of communities (after the code).
COMMUNITY_COLUMNS = ("name", "older_residents", "older_covered_share", "older_uncovered")


def _fonts(doc: DocxDocument) -> None:
    """Give the text styles an East Asian font so Chinese is not drawn in a Latin fallback."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Table Grid"):
        style = doc.styles[name]
        r_pr = style.element.get_or_add_rPr()
        r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), FONT_ZH)
    doc.styles["Normal"].font.size = Pt(10)


def _enabled(audit: Audit) -> pd.DataFrame:
    cat = audit.catalogue
    return cat[cat["enabled"].astype(bool)]


def _district(doc: DocxDocument, audit: Audit) -> None:
    d = audit.indicators["district"].iloc[0]
    doc.add_heading("1 全区概况 District summary", level=1)
    if audit.boundary_note:
        doc.add_paragraph(audit.boundary_note)
    add_table(
        doc,
        ["项目 item", "数值 value"],
        [
            ["常住人口 residents", number(d["residents"])],
            ["老年人口 older residents", number(d["older_residents"])],
            ["15分钟圈内老年人 older residents covered", number(d["older_covered"])],
            ["S1 覆盖率 circle share", pct(d["older_covered_share"])],
            ["未覆盖老年人 older residents not covered", number(d["older_uncovered"])],
            ["S2 每千人面积 m² per 1,000", number(d["floor_area_per_1000"], 1)],
            ["街道/镇 streets/towns", str(len(audit.streets))],
            ["社区 communities", str(len(audit.indicators["community"]))],
            ["未达标社区 under-served communities", str(len(audit.underserved))],
        ],
    )
    doc.add_heading("指标结论 Indicator verdicts", level=2)
    add_table(
        doc,
        ["指标 id", "名称 indicator", "目标 target", "全区 district", "结论 verdict"],
        [
            [
                r.id,
                f"{r.name_zh} {r.name_en}",
                indicator_value(r.target, r.unit),
                indicator_value(r.district_value, r.unit),
                status_text(r.district_status),
            ]
            for r in records(_enabled(audit))
        ],
        (1.5, 7.5, 2.2, 2.2, 3.0),
    )


def _street_indicators(enabled: list[Any], row: Mapping[Any, Any]) -> list[list[str]]:
    rows = []
    for r in enabled:
        key = r.id.lower()
        if f"{key}_status" not in row:
            continue
        rows.append(
            [
                f"{r.id} {r.name_zh}",
                indicator_value(row[f"{key}_value"], r.unit),
                indicator_value(row[f"{key}_target"], r.unit),
                status_text(row[f"{key}_status"]),
            ]
        )
    return rows


def _street(
    doc: DocxDocument,
    street: tuple[str, Mapping[Any, Any], pd.DataFrame],
    png: Path | None,
    pictures: Pictures,
    enabled: list[Any],
) -> None:
    code, row, com = street  # its row of the street table, its communities
    heading = doc.add_paragraph(f"{row['name']} ({code})")
    heading._p.style = HEADING_2  # the style's id: looking it up by name scans the styles
    add_table(
        doc,
        ["老年人口 older", "覆盖 covered", "S1 覆盖率 share", "未覆盖 not covered", "S2 m²/千人"],
        [
            [
                number(row["older_residents"]),
                number(row["older_covered"]),
                pct(row["older_covered_share"]),
                number(row["older_uncovered"]),
                number(row["floor_area_per_1000"], 1),
            ]
        ],
    )
    doc.add_paragraph("街道指标 Street indicators")
    add_table(doc, ["指标 indicator", "数值 value", "目标 target", "结论 verdict"],
              _street_indicators(enabled, row), (7.0, 2.5, 2.5, 4.4))  # fmt: skip
    doc.add_paragraph("社区 Communities")
    add_table(
        doc,
        ["代码 code", "社区 community", "老年人口 older", "S1 覆盖率 share", "未覆盖 not covered"],
        [
            [str(c), str(name), number(older), pct(share), number(uncovered)]
            for c, name, older, share, uncovered in zip(
                com.index, *(com[column].tolist() for column in COMMUNITY_COLUMNS), strict=True
            )
        ],
        (3.4, 4.0, 3.0, 3.0, 3.0),
    )
    if png is not None:
        from docx.shared import Cm

        pictures.add(png, Cm(MAP_WIDTH_CM))


def _streets(audit: Audit) -> Iterator[tuple[str, dict[Any, Any], pd.DataFrame]]:
    """Yield each street's code, row of the street table and communities, in table order."""
    table = audit.indicators["street"]
    communities = audit.indicators["community"][list(COMMUNITY_COLUMNS)]
    groups = audit.indicators["community"].groupby("street", sort=False).indices
    none = np.empty(0, dtype=np.int64)
    for code, row in zip(table.index, table.to_dict("records"), strict=True):
        yield code, row, communities.iloc[groups.get(code, none)]


def _underserved(doc: DocxDocument, audit: Audit) -> None:
    doc.add_heading("3 未达标社区 Under-served communities", level=1)
    under = audit.underserved
    if under.empty:
        doc.add_paragraph("无 none: 每个社区均达标 every community meets the profile.")
        return
    add_table(
        doc,
        ["序 rank", "社区 community", "街道 street", "S1", "未覆盖 not covered", "原因 reason"],
        [
            [
                str(r.rank),
                f"{r.name} ({r.code})",
                str(r.street),
                pct(r.older_covered_share),
                number(r.older_uncovered),
                f"{r.reason_zh} / {r.reason_en}",
            ]
            for r in records(under)
        ],
        (1.2, 3.4, 2.2, 1.6, 1.8, 7.2),
    )


def _method(doc: DocxDocument, audit: Audit, inputs: Mapping[str, Mapping[str, object]]) -> None:
    study = audit.study
    doc.add_heading("4 方法与数据 Method and data sources", level=1)
    doc.add_paragraph(
        f"标准 profile: {study.profile.name} · 服务圈 circle {study.minutes:g} 分钟 min × "
        f"{study.walk_speed_m_s:g} m/s = {study.radius_m:,.0f} m 步行网络距离 walking network "
        f"distance · 数据日期 data date {study.data_date or '—'}"
    )
    doc.add_paragraph(
        "覆盖按步行路网距离计算（人口栅格格网至设施）；服务范围面仅用于显示，不参与计算。 "
        "Coverage is the walking-network distance from each population cell to the facilities; "
        "service-area polygons are display only."
    )
    if not study.population.is_raster:  # counts, shares or buildings (docs/population.md)
        doc.add_paragraph(study.population.describe(raster=study.residents is not None))
    doc.add_heading("输入文件 Input files (SHA-256)", level=2)
    add_table(
        doc,
        ["角色 role", "文件 file", "SHA-256"],
        [
            [role, str(v.get("file") or v.get("database") or "—"), str(v.get("sha256") or "—")]
            for role, v in inputs.items()
        ],
        (2.5, 6.5, 7.4),
    )
    doc.add_heading("标准与规划依据 Profile and plan lines", level=2)
    add_table(
        doc,
        ["指标 id", "目标 target", "依据 source"],
        [
            [r.id, indicator_value(r.target, r.unit), text(r.source)]
            for r in records(_enabled(audit))
        ],
        (1.5, 2.2, 12.7),
    )
    record = audit.record
    if record.excluded or record.warnings:
        doc.add_heading("排除与警告 Exclusions and warnings", level=2)
        for kind, items in record.excluded.items():
            doc.add_paragraph(f"排除 excluded {kind}: {len(items)} (见 see run.json)")
        for warning in record.warnings:
            doc.add_paragraph(f"警告 warning: {warning}")


def _proposal(doc: DocxDocument, sites: pd.DataFrame, summary: Mapping[str, Any]) -> None:
    doc.add_heading("5 选址建议 Siting proposal", level=1)
    before, after = summary.get("district_before"), summary.get("district_after")
    doc.add_paragraph(
        f"类型 type {summary.get('type')} · 模型 model {summary.get('model')} · "
        f"新增 new sites {summary.get('sites')} · 求解 status {summary.get('status')} · "
        f"全区 {summary.get('circle')} {pct(float(before)) if before is not None else '—'} → "
        f"{pct(float(after)) if after is not None else '—'} "
        f"(+{number(summary.get('older_newly_covered'))} 老年人 older residents)"
    )
    cols = [c for c in ("rank", "id", "street", "community", "marginal_gain") if c in sites]
    add_table(
        doc,
        cols,
        [
            [number(v) if c == "marginal_gain" else str(v) for c, v in zip(cols, r, strict=True)]
            for r in records(sites[cols])
        ],
    )
    for note in summary.get("notes") or []:
        doc.add_paragraph(str(note))


def write_report_docx(
    audit: Audit,
    out: Path,
    pngs: Mapping[str, Path],
    *,
    inputs: Mapping[str, Mapping[str, object]] | None = None,
    sites: pd.DataFrame | None = None,
    siting_summary: Mapping[str, object] | None = None,
) -> Path:
    """Write ``out/report.docx``.

    Parameters
    ----------
    audit : Audit
        The audit results.
    out : Path
        The output folder.
    pngs : mapping of str to Path
        Street code -> its static map (see :func:`carecircle.maps.static_maps`).
    inputs : mapping, optional
        run.json's ``inputs`` (role -> file and SHA-256), from ``input_record``.
    sites : DataFrame, optional
        Proposed sites of a siting run (adds the proposal section).
    siting_summary : mapping, optional
        The siting run's summary.

    Returns
    -------
    Path
        The document.
    """
    from docx import Document

    doc = Document()
    _fonts(doc)
    study = audit.study
    doc.add_heading(f"{study.name} 15分钟养老服务圈评估报告", level=0)
    doc.add_paragraph(
        "15-minute elder-care service circle evaluation report · "
        f"标准 profile {study.profile.name} · 数据日期 data date {study.data_date or '—'}"
    )
    _district(doc, audit)
    doc.add_heading("2 街道/镇 Streets and towns", level=1)
    pictures, enabled = Pictures(doc), list(records(_enabled(audit)))
    for i, street in enumerate(_streets(audit)):
        if i:
            doc.add_page_break()  # a street per page (or more), its map beside its tables
        _street(doc, street, pngs.get(street[0]), pictures, enabled)
    _underserved(doc, audit)
    _method(doc, audit, inputs or {})
    if sites is not None:
        _proposal(doc, sites, siting_summary or {})
    return write_atomic(out / "report.docx", lambda tmp: save_docx(doc, tmp))


def render_report_docx(
    audit: Audit,
    out: Path,
    *,
    inputs: Mapping[str, Mapping[str, object]] | None = None,
    sites: pd.DataFrame | None = None,
    siting_summary: Mapping[str, object] | None = None,
    progress: bool = False,
) -> list[Path]:
    """Write the static maps ``out/maps/png/<stem>.png`` and ``out/report.docx``.

    Parameters
    ----------
    audit : Audit
        The audit results.
    out : Path
        The output folder.
    inputs : mapping, optional
        run.json's ``inputs`` (role -> file and SHA-256).
    sites : DataFrame, optional
        Proposed sites of a siting run (adds the proposal section).
    siting_summary : mapping, optional
        The siting run's summary.
    progress : bool, default False
        Show a progress bar for the maps (on a terminal only).

    Returns
    -------
    list of Path
        The PNGs, then the document.
    """
    pngs = render_static_maps(audit, out / "maps" / "png", progress=progress)
    doc = write_report_docx(
        audit, out, pngs, inputs=inputs, sites=sites, siting_summary=siting_summary
    )
    return [*pngs.values(), doc]
