"""Plan-progress charts (matplotlib PNG): one per indicator and per new-facility type.

Rendering only: the values, targets and verdicts come from the progress table
(``carecircle.analysis.progress``); nothing is computed here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from carecircle.maps.fonts import cjk_family
from carecircle.maps.png import agg_figure, write_png

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from pandas.api.typing import NAType

MET, NOT_MET, UNKNOWN = "#1A9641", "#D7191C", "#9E9E9E"


def _font() -> bool:
    """Use the CJK font when installed (inside an ``rc_context``); return True when it is."""
    import matplotlib as mpl

    name = cjk_family()
    if name is None:
        return False
    mpl.rcParams["font.family"] = [name]
    mpl.rcParams["axes.unicode_minus"] = False
    return True


def _colour(met: bool | NAType) -> str:
    if met is pd.NA or pd.isna(met):
        return UNKNOWN
    return MET if bool(met) else NOT_MET


def _scale(unit: str) -> float:
    return 100.0 if unit == "share" else 1.0


def chart_file(kind: str, key: str) -> str:
    """Return the PNG name of one row of the summary (``progress_S8.png``).

    Parameters
    ----------
    kind : str
        The row's ``kind``: ``indicator``, or ``new_facilities`` (named ``progress_new_…``).
    key : str
        The row's ``id`` (indicator ID or facility type); characters other than letters,
        digits, ``_`` and ``-`` become ``_``.
    """
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", key)
    return f"progress_{safe}.png" if kind == "indicator" else f"progress_new_{safe}.png"


def _indicator_chart(rows: pd.DataFrame, ax: Axes, *, cjk: bool) -> None:
    scale = _scale(str(rows["unit"].iloc[0]))
    years = rows["year"].to_numpy()
    values = rows["value"].to_numpy(dtype=float) * scale
    targets = rows["target"].to_numpy(dtype=float) * scale
    ax.plot(years, values, color="#21918C", marker="", linewidth=1.5, zorder=1)
    ax.scatter(years, values, c=[_colour(m) for m in rows["met"]], s=60, zorder=2)
    ax.step(years, targets, where="mid", color="#555555", linestyle="--", linewidth=1)
    for x, v in zip(years, values, strict=True):
        if np.isfinite(v):
            ax.annotate(
                f"{v:.1f}" if scale != 1 else f"{v:g}",
                (x, v),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    unit = "%" if scale != 1 else str(rows["unit"].iloc[0])
    ax.set_ylabel(unit)
    ax.plot([], [], color="#555555", linestyle="--", label=("目标 " if cjk else "") + "target")


def _count_chart(rows: pd.DataFrame, ax: Axes, *, cjk: bool) -> None:
    years = rows["year"].to_numpy()
    cumulative = "cumulative" in str(rows["unit"].iloc[0]) or "累计" in str(rows["unit"].iloc[0])
    got = rows["new_since_baseline" if cumulative else "new_in_year"].to_numpy(dtype=float)
    ax.bar(years, got, color=[_colour(m) for m in rows["met"]], width=0.6)
    targets = rows["target"].to_numpy(dtype=float)
    ax.scatter(
        years,
        targets,
        marker="_",
        s=600,
        color="#555555",
        zorder=3,
        label=("目标 " if cjk else "") + "target",
    )
    for x, v in zip(years, got, strict=True):
        ax.annotate(
            f"{v:g}", (x, v), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8
        )
    ax.set_ylabel(
        ("累计新增 / " if cjk else "") + "new since baseline"
        if cumulative
        else ("当年新增 / " if cjk else "") + "new in the year"
    )


def progress_chart(rows: pd.DataFrame, path: Path) -> Path:
    """Draw one indicator's (or facility type's) years: value, target, met or not.

    Parameters
    ----------
    rows : DataFrame
        The rows of one ``kind, id`` of the progress table, baseline first.
    path : Path
        The PNG to write.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib as mpl

    with mpl.rc_context():
        cjk = _font()
        fig = agg_figure(6, 3.6, 110)
        ax = fig.subplots()
        first = rows.iloc[0]
        if first["kind"] == "indicator":
            _indicator_chart(rows, ax, cjk=cjk)
        else:
            _count_chart(rows, ax, cjk=cjk)
        ax.set_xticks(
            rows["year"].to_numpy(),
            [
                f"{y}\n{'基期 ' if cjk else ''}baseline" if s.startswith("baseline") else str(y)
                for y, s in zip(rows["year"], rows["stage"], strict=True)
            ],
        )
        for colour, label in ((MET, "达标 met"), (NOT_MET, "未达标 not met")):
            ax.scatter([], [], color=colour, label=label if cjk else label.split(" ", 1)[1])
        ax.legend(fontsize=7, loc="best")
        title = f"{first['id']} {first['name_zh']} / {first['name_en']}"
        ax.set_title(title if cjk else f"{first['id']} {first['name_en']}", fontsize=10)
        fig.tight_layout()
        return write_png(fig, path)


def render_progress_charts(by_year: pd.DataFrame, folder: Path) -> list[Path]:
    """Write one chart per indicator and facility type of the progress table into ``folder``.

    Parameters
    ----------
    by_year : DataFrame
        The long progress table (``carecircle.analysis.progress.BY_YEAR_COLUMNS``).
    folder : Path
        Where the PNGs go (created).

    Returns
    -------
    list of Path
        The charts written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    return [
        progress_chart(
            rows.sort_values("year"), folder / chart_file(cast(str, kind), cast(str, key))
        )
        for (kind, key), rows in by_year.groupby(["kind", "id"], sort=False)
    ]
