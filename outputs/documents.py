"""The rendered outputs: gap maps, charts, report.html, static maps, report.docx, run.json.

Each wraps an entry point of :mod:`carecircle.maps` (which renders only) or of the analysis
(run.json, the siting tables); the registry (``outputs.builtin``) runs them in order.
"""

from __future__ import annotations

from pathlib import Path

from carecircle.analysis.run_summary import write_run_json
from carecircle.maps.charts import report_html, s1_chart, s2_chart
from carecircle.maps.report_docx import write_report_docx
from carecircle.maps.static_maps import render_static_maps
from carecircle.maps.style import map_file_stems
from carecircle.outputs.registry import WriteJob

#: The charts, as written below the output folder.
CHARTS = ("charts/s1_by_community.png", "charts/s2_by_street.png")


def write_siting_tables(job: WriteJob) -> list[Path]:
    """Write the proposal: sites (CSV, GPKG), facility table, before/after, siting.json."""
    from carecircle.analysis.siting.outputs import write_siting

    if job.siting is None:
        raise ValueError("the siting tables are written for a siting run only")
    return write_siting(job.folder, job.siting)


def write_gap_maps(job: WriteJob) -> list[Path]:
    """Write ``maps/index.html`` and the street maps (with the proposal of a siting run)."""
    from carecircle.maps.gap_maps import render_maps  # folium: imported when maps are made

    return render_maps(
        job.audit,
        job.folder / "maps",
        proposals=job.proposals,
        offline=job.offline,
        progress=job.progress,
        busy=job.beside,
    )


def write_charts(job: WriteJob) -> list[Path]:
    """Write the S1 and floor-area charts (``charts/*.png``)."""
    s1, s2 = (job.folder / name for name in CHARTS)
    return [s1_chart(job.audit, s1), s2_chart(job.audit, s2)]


def write_report_html(job: WriteJob) -> list[Path]:
    """Write ``report.html``, linking the maps, the charts written and the spreadsheets."""
    charts = [job.folder / name for name in CHARTS if (job.folder / name).is_file()]
    return [report_html(job.audit, job.folder, charts)]


def write_static_maps(job: WriteJob) -> list[Path]:
    """Write ``maps/png/<stem>.png`` per street/town."""
    folder = job.folder / "maps" / "png"
    maps = render_static_maps(job.audit, folder, progress=job.progress, busy=job.beside)
    return list(maps.values())


def static_map_files(job: WriteJob) -> dict[str, Path]:
    """Return street code -> its static map, for those the static-map writer wrote."""
    stems = map_file_stems(list(job.audit.streets["code"]))
    folder = job.folder / "maps" / "png"
    return {c: folder / f"{s}.png" for c, s in stems.items() if (folder / f"{s}.png").is_file()}


def write_docx(job: WriteJob) -> list[Path]:
    """Write ``report.docx`` (with the proposal section for a siting run)."""
    siting = job.siting
    doc = write_report_docx(
        job.audit,
        job.folder,
        static_map_files(job),
        inputs=dict(job.inputs) if job.inputs else None,
        sites=None if siting is None else siting.sites,
        siting_summary=None if siting is None else siting.summary,
    )
    return [doc]


def write_run_record(job: WriteJob) -> list[Path]:
    """Write ``run.json`` (after the other outputs: it holds the seconds of their stages)."""
    inputs = dict(job.inputs) if job.inputs else None
    return [write_run_json(job.folder / "run.json", job.audit, {}, inputs=inputs)]
