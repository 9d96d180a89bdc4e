"""Charts (matplotlib PNG) and the district report page; they draw results, compute nothing."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from carecircle.files import write_text_atomic
from carecircle.maps.fonts import CJK_FAMILIES, cjk_family, cjk_font
from carecircle.maps.png import agg_figure, write_png
from carecircle.maps.style import area, esc, map_file_stems, pct

log = logging.getLogger(__name__)

__all__ = ["CJK_FAMILIES", "cjk_font", "render_report", "report_html", "s1_chart", "s2_chart"]

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from carecircle.analysis.audit import Audit


def _style() -> bool:
    """Use the CJK font (inside the chart's ``rc_context``); return True when installed."""
    import matplotlib as mpl

    name = cjk_family()
    if name is None:
        log.warning(
            "no CJK font found (install Debian's fonts-noto-cjk); chart labels in English only"
        )
        return False
    mpl.rcParams["font.family"] = [name, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    return True


#: Above this many communities one bar each is unreadable (and a picture metres tall): the
#: chart shows one row per street with a dot per community instead.
MAX_COMMUNITY_BARS = 150


def _own_rc(chart: Callable[[Audit, Path], Path]) -> Callable[[Audit, Path], Path]:
    """Run a chart with its own rcParams (the CJK font), restored afterwards.

    No backend is selected and no global style is left behind (the figures are drawn with
    ``matplotlib.figure.Figure``, not pyplot), so a notebook's matplotlib stays as it was.
    """

    @functools.wraps(chart)
    def run(audit: Audit, path: Path) -> Path:
        import matplotlib as mpl

        with mpl.rc_context():
            return chart(audit, path)

    return run


def _fit_left(fig: Figure, labels: list[str], fontsize: float, *, extra_in: float = 0.0) -> None:
    """Lay out a horizontal-bar chart: room on the left for the widest label, fixed elsewhere.

    Measures each label once on the figure's own canvas (whose renderer keeps the sizes for
    drawing); ``tight_layout`` measures every text of the figure several times.
    """
    from matplotlib import font_manager

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # an Agg canvas
    prop = font_manager.FontProperties(size=fontsize)
    widest = max(
        (renderer.get_text_width_height_descent(t, prop, ismath=False)[0] for t in labels),
        default=0.0,
    )
    width_in, height_in = fig.get_size_inches()
    left = (widest / fig.dpi + 0.25 + extra_in) / width_in
    fig.subplots_adjust(
        left=min(left, 0.6), right=0.97, bottom=0.6 / height_in, top=1 - 0.4 / height_in
    )


def _row_labels(ax: Axes, labels: list[str], fontsize: float) -> None:
    """Write a label beside each bar row (y = 0, 1, …) as plain text, without tick objects.

    A hundred tick labels cost a hundred ``Tick`` objects (two lines and two texts each);
    the labels drawn as texts right of the axis's left edge look the same, for a tenth.
    """
    from matplotlib.transforms import ScaledTranslation

    ax.set_yticks([])
    low, high = -0.5, len(labels) - 0.5
    ax.set_ylim((high, low) if ax.yaxis_inverted() else (low, high))
    shift = ScaledTranslation(-3.5 / 72, 0, ax.figure.dpi_scale_trans)  # 3.5 pt left
    transform = ax.get_yaxis_transform() + shift
    for y, text in enumerate(labels):
        ax.text(0, y, text, transform=transform, ha="right", va="center", fontsize=fontsize)


def _target_line(ax: Axes, table: pd.DataFrame) -> None:
    target = table["s1_target"].iloc[0] * 100 if "s1_target" in table else 100
    ax.axvline(target, color="#D7191C", linestyle="--", linewidth=1)
    ax.set_xlim(0, max(105.0, float(target) + 5.0))


@_own_rc
def s1_chart(audit: Audit, path: Path) -> Path:
    """Bar chart of S1 (older residents within the circle) per community, by street.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    path : Path
        The file.
    """
    cjk = _style()
    table = audit.indicators["community"].sort_values(["street", "older_covered_share"])
    if len(table) > MAX_COMMUNITY_BARS:
        return _s1_by_street(audit, table, path, cjk=cjk)
    fig = agg_figure(8, max(3.0, 0.22 * len(table) + 1), 110)
    ax = fig.subplots()
    labels = [n if cjk else c for c, n in zip(table.index, table["name"], strict=True)]
    shares = table["older_covered_share"].fillna(0).to_numpy(dtype=float) * 100
    ax.barh(np.arange(len(table)), shares, color="#21918C")
    _row_labels(ax, labels, 7)
    _target_line(ax, table)
    ax.set_xlabel(
        ("15分钟圈老年人覆盖率 / " if cjk else "") + "older residents within the circle (%)"
    )
    ax.set_title(("社区15分钟养老服务圈覆盖 · " if cjk else "") + "S1 by community")
    _fit_left(fig, labels, 7)
    return write_png(fig, path)


def _s1_by_street(audit: Audit, table: pd.DataFrame, path: Path, *, cjk: bool) -> Path:
    """S1 of every community as a dot on its street's row, over a bar of the street's S1."""
    streets = audit.indicators["street"]
    row_of = {code: i for i, code in enumerate(streets.index)}
    fig = agg_figure(8, max(3.0, 0.22 * len(streets) + 1.2), 110)
    ax = fig.subplots()
    ax.barh(
        np.arange(len(streets)),
        streets["older_covered_share"].fillna(0).to_numpy(dtype=float) * 100,
        color="#21918C",
        alpha=0.35,
        label=("街道/镇 " if cjk else "") + "street",
    )
    rows = table["street"].map(row_of).to_numpy(dtype=float)
    ax.scatter(
        table["older_covered_share"].fillna(0).to_numpy(dtype=float) * 100,
        rows,
        s=6,
        color="#21918C",
        label=("社区 " if cjk else "") + "community",
    )
    labels = [str(v) for v in (streets["name"] if cjk else streets.index)]
    ax.invert_yaxis()
    _row_labels(ax, labels, 7)
    _target_line(ax, table)
    ax.set_xlabel(
        ("15分钟圈老年人覆盖率 / " if cjk else "") + "older residents within the circle (%)"
    )
    ax.set_title(
        ("社区15分钟养老服务圈覆盖（按街道） · " if cjk else "")
        + f"S1 of {len(table):,} communities by street"
    )
    ax.legend(loc="lower right", fontsize=7)
    _fit_left(fig, labels, 7)
    return write_png(fig, path)


@_own_rc
def s2_chart(audit: Audit, path: Path) -> Path:
    """Bar chart of floor area per 1,000 residents per street against the S2 target.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    path : Path
        The file.
    """
    cjk = _style()
    table = audit.indicators["street"]
    fig = agg_figure(7, 3.6, 110)
    ax = fig.subplots()
    labels = [str(v) for v in (table["name"] if cjk else table.index)]
    values = table["floor_area_per_1000"]
    ax.bar(np.arange(len(table)), values.fillna(0).to_numpy(dtype=float), color="#3B528B")
    unknown = values.isna().to_numpy() & (table["residents"].to_numpy() > 0)
    for i in np.flatnonzero(unknown):  # no floor-area data: say so
        ax.text(
            int(i),
            0,
            "未评估\nnot assessed" if cjk else "not\nassessed",
            ha="center",
            va="bottom",
            fontsize=7,
            color="#555555",
        )
    ax.set_xticks(range(len(table)), labels, fontsize=8, rotation=20)
    if "s2_target" in table:
        ax.axhline(
            table["s2_target"].iloc[0],
            color="#D7191C",
            linestyle="--",
            linewidth=1,
            label=("目标 " if cjk else "") + "target",
        )
        ax.legend()
    ax.set_ylabel(("每千人面积 " if cjk else "") + "m² per 1,000 residents")
    ax.set_title(("社区养老设施面积 · " if cjk else "") + "S2 floor area by street")
    fig.tight_layout()
    return write_png(fig, path)


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
