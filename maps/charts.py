"""Charts (PNG, drawn with Pillow) and the district report page; they draw results, compute nothing.

The charts are bar charts with Chinese and English labels, drawn on a
:class:`~carecircle.maps.canvas.Canvas` (no matplotlib: its import and text layout took
about a second of every audit, for two pictures).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from carecircle.files import write_text_atomic
from carecircle.maps.canvas import Canvas, blend
from carecircle.maps.chart_axes import Plot, nice_ticks, tick_text
from carecircle.maps.fonts import CJK_FAMILIES, cjk_font
from carecircle.maps.style import area, esc, map_file_stems, pct

log = logging.getLogger(__name__)

__all__ = ["CJK_FAMILIES", "cjk_font", "render_report", "report_html", "s1_chart", "s2_chart"]

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit

#: Above this many communities one bar each is unreadable (and a picture metres tall): the
#: chart shows one row per street with a dot per community instead.
MAX_COMMUNITY_BARS = 150
DPI = 110
BAR_COLOUR = "#21918C"
S2_COLOUR = "#3B528B"
TARGET_COLOUR = "#D7191C"
#: Text sizes in points: row and tick labels, axis titles, the title.
ROW_PT, LABEL_PT, TITLE_PT = 7.0, 9.0, 11.0


def _canvas(width_in: float, height_in: float) -> Canvas:
    """Return a chart's canvas; warn when no CJK font is installed."""
    canvas = Canvas(width_in, height_in, DPI)
    if not canvas.cjk:
        log.warning(
            "no CJK font found (install Debian's fonts-noto-cjk); chart labels in English only"
        )
    return canvas


def _s1_target(table: pd.DataFrame) -> float:
    return float(table["s1_target"].iloc[0]) * 100 if "s1_target" in table else 100.0


def _rows_plot(canvas: Canvas, labels: list[str], xmax: float) -> Plot:
    """Return the plot of a horizontal-bar chart: a row per label (row 0 on top)."""
    widest = max((canvas.text_size(t, ROW_PT)[0] for t in labels), default=0.0)
    left = min(widest + 0.3 * DPI, 0.6 * canvas.width_px)
    box = (left, 0.45 * DPI, canvas.width_px * 0.97, canvas.height_px - 0.62 * DPI)
    return Plot(canvas, box, (0.0, xmax), (len(labels) - 0.5, -0.5))


def _s1_axes(plot: Plot, table: pd.DataFrame, title: str, *, room_right: float = 0.0) -> None:
    """Target line, frame, x axis (0-100 %) and the titles of an S1 chart."""
    c = plot.canvas
    plot.rule(_s1_target(table), TARGET_COLOUR, across="x")
    plot.frame()
    ticks = [t for t in nice_ticks(0, 100) if t <= plot.xlim[1]]
    lowest = plot.x_ticks(ticks, [tick_text(t) for t in ticks], LABEL_PT)
    xlabel = ("15分钟圈老年人覆盖率 / " if c.cjk else "") + "older residents within the circle (%)"
    left, _, right, _ = plot.box
    c.text((left + right) / 2, lowest + c.px(2), xlabel, LABEL_PT, anchor="ma")
    plot.title(title, TITLE_PT, room_right=room_right)


def s1_chart(audit: Audit, path: Path) -> Path:
    """Bar chart of S1 (older residents within the circle) per community, by street.

    One bar per community, street after street (the lowest share of a street first), with
    the target as a dashed line; above ``MAX_COMMUNITY_BARS`` communities one row per street
    (:func:`_s1_by_street`).

    Parameters
    ----------
    audit : Audit
        The audit's results.
    path : Path
        The file.
    """
    table = audit.indicators["community"].sort_values(["street", "older_covered_share"])
    if len(table) > MAX_COMMUNITY_BARS:
        return _s1_by_street(audit, table, path)
    c = _canvas(8, max(3.0, 0.22 * len(table) + 1))
    labels = [str(n if c.cjk else code) for code, n in zip(table.index, table["name"], strict=True)]
    plot = _rows_plot(c, labels, max(105.0, _s1_target(table) + 5.0))
    plot.hbars(table["older_covered_share"].fillna(0).to_numpy(dtype=float) * 100, BAR_COLOUR)
    plot.row_labels(labels, ROW_PT)
    _s1_axes(plot, table, ("社区15分钟养老服务圈覆盖 · " if c.cjk else "") + "S1 by community")
    return c.write(path)


def _s1_by_street(audit: Audit, table: pd.DataFrame, path: Path) -> Path:
    """S1 of every community as a dot on its street's row, over a bar of the street's S1."""
    streets = audit.indicators["street"]
    row_of = {code: i for i, code in enumerate(streets.index)}
    c = _canvas(8, max(3.0, 0.22 * len(streets) + 1.2))
    labels = [str(v) for v in (streets["name"] if c.cjk else streets.index)]
    plot = _rows_plot(c, labels, max(105.0, _s1_target(table) + 5.0))
    pale = blend(BAR_COLOUR, 0.35)
    plot.hbars(streets["older_covered_share"].fillna(0).to_numpy(dtype=float) * 100, pale)
    rows = table["street"].map(row_of).to_numpy(dtype=float)
    known = ~np.isnan(rows)
    shares = table["older_covered_share"].fillna(0).to_numpy(dtype=float)[known] * 100
    dot = c.px(math.sqrt(6 / math.pi))  # matplotlib's s=6 pt² marker
    c.dots(np.asarray(plot.x(shares)), np.asarray(plot.y(rows[known])), dot, BAR_COLOUR)
    plot.row_labels(labels, ROW_PT)
    title = ("社区15分钟养老服务圈覆盖（按街道） · " if c.cjk else "") + (
        f"S1 of {len(table):,} communities by street"
    )
    room = plot.legend(
        [
            ("bar", pale, ("街道/镇 " if c.cjk else "") + "street"),
            ("dot", BAR_COLOUR, ("社区 " if c.cjk else "") + "community"),
        ]
    )
    _s1_axes(plot, table, title, room_right=room)
    return c.write(path)


def _label_angle(sizes: list[tuple[float, float]], slot: float) -> float:
    """Return the least turn (degrees) at which names ``slot`` pixels apart do not overlap.

    Two turned names overlap unless each fits its slot side by side (``w cos a <= slot``) or
    the turned lines lie a text height apart (``slot sin a >= h``).
    """
    widest = max((w for w, _ in sizes), default=0.0)
    tallest = max((h for _, h in sizes), default=0.0)
    for angle in (20.0, 35.0, 50.0, 65.0):
        a = math.radians(angle)
        if widest * math.cos(a) <= 0.95 * slot or slot * math.sin(a) >= 1.2 * tallest:
            return angle
    return 90.0


def s2_chart(audit: Audit, path: Path) -> Path:
    """Bar chart of floor area per 1,000 residents per street against the S2 target.

    A street with residents but no floor-area data is marked *not assessed* (no bar).

    Parameters
    ----------
    audit : Audit
        The audit's results.
    path : Path
        The file.
    """
    table = audit.indicators["street"]
    c = _canvas(max(7.0, 0.3 * len(table) + 1.5), 3.6)
    labels = [str(v) for v in (table["name"] if c.cjk else table.index)]
    values = table["floor_area_per_1000"].to_numpy(dtype=float)
    target = float(table["s2_target"].iloc[0]) if "s2_target" in table else math.nan
    top = np.nanmax([*values, target, 0.0]) if len(values) else 0.0
    ymax = 1.0 if not top > 0 else float(top) * 1.05
    ticks = nice_ticks(0, ymax)
    tick_labels = [tick_text(t) for t in ticks]
    widest_tick = max(c.text_size(t, LABEL_PT)[0] for t in tick_labels)
    sizes = [c.text_size(t, 8) for t in labels]
    slot = (c.width_px - widest_tick - 0.6 * DPI) / max(len(labels), 1)
    angle = _label_angle(sizes, slot)
    drop = max((w * math.sin(math.radians(angle)) + h for w, h in sizes), default=0.0)
    box_left = widest_tick + c.px(7) + c.px(LABEL_PT) * 1.6 + 0.1 * DPI
    box = (box_left, 0.45 * DPI, c.width_px - 0.15 * DPI, c.height_px - drop - c.px(12))
    plot = Plot(c, box, (-0.6, len(table) - 0.4), (0.0, ymax))
    plot.vbars(np.nan_to_num(values), S2_COLOUR)
    unknown = np.isnan(values) & (table["residents"].to_numpy() > 0)
    for i in np.flatnonzero(unknown):  # no floor-area data: say so
        text = "未评估 not assessed" if c.cjk else "not assessed"
        x, y = float(plot.x(float(i))), box[3] - c.px(3)
        c.text(x, y, text, 7, anchor="lm", fill="#555555", angle=90)
    room = 0.0
    if not math.isnan(target):
        plot.rule(target, TARGET_COLOUR, across="y")
        entry = ("dash", TARGET_COLOUR, ("目标 " if c.cjk else "") + f"target {tick_text(target)}")
        room = plot.legend([entry], size_pt=8)
    plot.frame()
    plot.x_ticks(list(range(len(table))), labels, 8, angle=angle)
    leftmost = plot.y_ticks(ticks, tick_labels, LABEL_PT)
    ylabel = ("每千人面积 " if c.cjk else "") + "m² per 1,000 residents"
    c.text(leftmost - c.px(3), (box[1] + box[3]) / 2, ylabel, LABEL_PT, anchor="md", angle=90)
    title = ("社区养老设施面积 · " if c.cjk else "") + "S2 floor area by street"
    plot.title(title, TITLE_PT, room_right=room)
    return c.write(path)


def report_html(audit: Audit, out: Path, charts: list[Path]) -> Path:
    """Write ``report.html``: district figures with links to maps, charts and spreadsheets.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    out : Path
        Output folder.
    charts : list[Path]
        The chart images written, linked from the report.
    """
    d = audit.indicators["district"].iloc[0]
    stems = map_file_stems(list(audit.streets["code"]))
    street_rows = "".join(
        f'<tr><td><a href="maps/{esc(stems[str(c)])}.html">{esc(r["name"])}</a></td>'
        f"<td>{pct(r['older_covered_share'])}</td>"
        f"<td>{area(r['floor_area_per_1000'], r['residents'])}</td></tr>"
        for c, r in audit.indicators["street"].iterrows()
    )
    failed = "".join(
        f"<li>{esc(r.name)} ({esc(r.code)}): {esc(r.reason_zh)}<br>"
        f"<small>{esc(r.reason_en)}</small></li>"
        for r in audit.underserved.head(15).itertuples(index=False)
    )
    images = "".join(
        f'<p><img src="{esc(p.relative_to(out).as_posix())}" '
        f'alt="{esc(p.stem)}" style="max-width:100%"></p>'
        for p in charts
    )
    note = f"\n<p><i>{esc(audit.boundary_note)}</i></p>" if audit.boundary_note else ""
    html = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{esc(audit.study.name)} · 15分钟养老服务圈报告 report</title>
<style>body{{font:14px/1.6 sans-serif;max-width:960px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px}}</style>
</head><body>
<h1>{esc(audit.study.name)} · 15分钟养老服务圈 15-minute elder-care circle</h1>
<p>标准 profile: {esc(audit.study.profile.name)} · {audit.study.minutes:g} 分钟 min ·
{audit.study.walk_speed_m_s:g} m/s · 数据日期 data date {esc(audit.study.data_date or "—")}</p>
<p>全区老年人覆盖率 district circle share <b>{pct(d["older_covered_share"])}</b> ·
每千人面积 m² per 1,000 <b>{area(d["floor_area_per_1000"], d["residents"])}</b> ·
未达标社区 under-served communities <b>{len(audit.underserved)}</b></p>{note}
<p><a href="maps/index.html">地图总览 Map overview</a> ·
<a href="indicators.xlsx">指标表 indicators.xlsx</a> ·
<a href="underserved_communities.xlsx">未达标社区 underserved_communities.xlsx</a></p>
<h2>街道/镇 Streets</h2>
<table><tr><th>街道/镇 street</th><th>S1</th><th>S2 m²/千人</th></tr>{street_rows}</table>
<h2>未达标社区 Under-served communities (top 15)</h2><ol>{failed}</ol>
<h2>图表 Charts</h2>{images}
</body></html>
"""
    return write_text_atomic(out / "report.html", html)


def render_report(audit: Audit, out: Path) -> list[Path]:
    """Write the charts and ``report.html`` into ``out``.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    out : Path
        Output folder.
    """
    charts = [
        s1_chart(audit, out / "charts" / "s1_by_community.png"),
        s2_chart(audit, out / "charts" / "s2_by_street.png"),
    ]
    return [*charts, report_html(audit, out, charts)]
