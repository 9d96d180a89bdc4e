"""Static street maps (matplotlib PNG, no internet, no tiles) for the report and for slides.

Each street/town gets ``maps/png/<stem>.png`` (the stem of its HTML map, see
:func:`carecircle.maps.style.map_file_stems`): communities coloured by S1 share, uncovered
older residents as dots sized by count, facilities by type, the street boundary, a scale bar,
a north arrow, a legend and the data date. They draw results and compute nothing.

The maps of an audit are one series and share one legend, as the sheets of a map series do:
it lists the S1 scale, the uncovered dots and every facility type of the whole audit (not
only those of the street on the sheet), and a dot's size means the same count on every
sheet (scaled by the fullest uncovered cell of the audit, which the legend names). The legend
and the north arrow are drawn once per audit and put on each map as pixels
(:mod:`carecircle.maps.static_legend`); the map body is drawn by
:mod:`carecircle.maps.static_layers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from tqdm import tqdm

from carecircle.files import inside
from carecircle.maps.forked import run_forked
from carecircle.maps.png import Stamp, agg_figure, write_png
from carecircle.maps.static_layers import (
    Bounds,
    draw_layers,
    facility_style,
    scale_bar,
    uncovered_older,
)
from carecircle.maps.static_legend import (
    DPI,
    FIGSIZE_IN,
    MAP_BOX,
    font_context,
    label,
    legend_stamp,
    north_stamp,
)
from carecircle.maps.style import UNCOVERED_COLOUR, map_file_stems, pct, share_colour
from carecircle.vocabulary import FACILITY_TYPES

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from carecircle.analysis.audit import Audit


@dataclass(frozen=True, eq=False)
class MapSeries:
    """What every map of an audit shares: its legend, north arrow and dot scale."""

    legend: Stamp
    north: Stamp
    #: Uncovered older residents of the audit's fullest uncovered cell (1.0 when none).
    dot_max: float
    #: The legend's entries, top to bottom.
    labels: tuple[str, ...]


def legend_handles(audit: Audit, cjk: bool) -> list[Artist]:
    """Return the series' legend entries: the S1 scale, the uncovered dots, facility types.

    Parameters
    ----------
    audit : Audit
        The whole audit: the dots' entry names its fullest uncovered cell (if any is), and
        every facility type it holds gets an entry, in the vocabulary's order.
    cjk : bool
        Whether a CJK font is in use (Chinese and English labels, else English).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = [
        Patch(facecolor=share_colour(s), label=f"S1 {s:.0%}") for s in (0.0, 0.5, 1.0)
    ]
    handles.append(
        Patch(facecolor=share_colour(float("nan")), label=label("无人口", "no residents", cjk))
    )
    gaps = uncovered_older(audit)
    if gaps.any():
        most = float(audit.cells["older_residents"].to_numpy(dtype=float)[gaps].max())
        text = label("未覆盖老年人", f"uncovered older (max {most:,.0f}/cell)", cjk)
        handles.append(
            Line2D([], [], ls="", marker="o", color=UNCOVERED_COLOUR, alpha=0.6, label=text)
        )
    present = set(audit.facilities["type"].to_numpy(dtype=object))
    for ftype, (zh, en) in FACILITY_TYPES.items():
        if ftype in present:
            colour, marker = facility_style(ftype)
            handles.append(
                Line2D(
                    [], [], ls="", marker=marker, color=colour, markeredgecolor="white",
                    markersize=11 if marker == "*" else 7, label=label(zh, en, cjk),
                )
            )  # fmt: skip
    return handles


def map_series(audit: Audit) -> MapSeries:
    """Draw what the maps of ``audit`` share: the legend and north arrow; the dot scale.

    Parameters
    ----------
    audit : Audit
        The whole audit (not a street's part: the series is the same for every street).
    """
    gaps = uncovered_older(audit)
    older = audit.cells["older_residents"].to_numpy(dtype=float)[gaps]
    with font_context() as cjk:
        handles = legend_handles(audit, cjk)
    return MapSeries(
        legend=legend_stamp(handles),
        north=north_stamp(),
        dot_max=float(older.max()) if len(older) else 1.0,
        labels=tuple(str(handle.get_label()) for handle in handles),
    )


#: Label of the axes of a static map (a figure holding one is reused street after street).
MAP_AXES = "carecircle street map"


def _map_axes(fig: Figure) -> Axes:
    """Return the map axes of ``fig``, emptied, or new ones on the cleared figure.

    Axes are costly to make (axis, ticks, spines): a figure keeps its one map axes and only
    the previous street's drawing is removed.
    """
    if len(fig.axes) == 1 and fig.axes[0].get_label() == MAP_AXES:
        ax = fig.axes[0]
        for artist in [*ax.collections, *ax.lines, *ax.patches, *ax.texts, *ax.images]:
            artist.remove()
        return ax
    fig.clear()
    ax = fig.add_axes(MAP_BOX, label=MAP_AXES)
    ax.set_anchor("NE")  # the top-right corner stays where the legend and north arrow are
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def street_png(
    audit: Audit,
    code: str,
    path: Path,
    *,
    series: MapSeries | None = None,
    fig: Figure | None = None,
) -> Path:
    """Draw the static map of one street/town and write it as a PNG.

    Parameters
    ----------
    audit : Audit
        The audit results (or a street's part of them, :func:`street_part`).
    code : str
        Street/town code.
    path : Path
        The PNG to write.
    series : MapSeries, optional
        The legend, north arrow and dot scale of the audit's maps (:func:`map_series`); by
        default drawn from ``audit``.
    fig : Figure, optional
        A figure to draw on (cleared first), best from :func:`carecircle.maps.png.agg_figure`:
        drawing street after street on one canvas keeps its renderer and so matplotlib's
        cache of text sizes.

    Returns
    -------
    Path
        ``path``.
    """
    series = map_series(audit) if series is None else series
    street = audit.streets.set_index("code").loc[code]
    box = _png_box(audit, code)
    lat = (box[1] + box[3]) / 2
    with font_context() as cjk:
        fig = agg_figure(*FIGSIZE_IN, DPI) if fig is None else fig
        ax = _map_axes(fig)
        draw_layers(ax, audit, code, box, dot_max=series.dot_max)
        ax.set_xlim(box[0], box[2])
        ax.set_ylim(box[1], box[3])
        ax.set_aspect(1.0 / math.cos(math.radians(lat)))
        scale_bar(ax, box, lat)
        share = audit.indicators["street"].loc[code, "older_covered_share"]
        name = street["name"] if cjk else code
        ax.set_title(f"{name} ({code}) · S1 {pct(cast(float, share))}", fontsize=11)
        date = audit.study.data_date or "—"
        ax.text(
            0.99, 0.01, f"{label('数据日期', 'data date', cjk)} {date}",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.7, "lw": 0},
        )  # fmt: skip
        # a fixed frame (no bbox_inches="tight", which draws every figure twice)
        return write_png(fig, path, stamps=(series.north, series.legend))


def _png_box(audit: Audit, code: str) -> Bounds:
    """Return the lon/lat box of a street's PNG: the street and 6 % of its size around."""
    from carecircle.maps.street_jobs import street_box  # (imports the HTML layers: folium)

    (sminx, sminy, smaxx, smaxy), _ = street_box(audit, code)
    pad = 0.06 * max(smaxx - sminx, smaxy - sminy, 1e-4)
    return (sminx - pad, sminy - pad, smaxx + pad, smaxy + pad)


@dataclass(frozen=True, eq=False)
class _Shared:
    """What the map workers inherit: the audit, each street's cells and PNG, the series."""

    audit: Audit
    rows: dict[str, np.ndarray]
    paths: dict[str, Path]
    series: MapSeries
    #: One figure per process (a forked worker draws on its own copy): axes made once.
    fig: Figure


#: The cell and facility columns the static maps read.
DRAWN_CELL_COLUMNS = ["street", "covered", "older_residents", "lon", "lat"]
DRAWN_FACILITY_COLUMNS = ["lon", "lat", "type"]


def drawn_only(audit: Audit) -> Audit:
    """Return the audit with only what the static maps draw, cut once for all streets.

    The cells with uncovered older residents, and the facilities' places and types (types
    as Python strings: each map compares them, cheaper than a string array's).

    Parameters
    ----------
    audit : Audit
        The audit's results.
    """
    facilities = audit.facilities[DRAWN_FACILITY_COLUMNS].astype({"type": object})
    cells = audit.cells.loc[uncovered_older(audit), DRAWN_CELL_COLUMNS]
    return replace(audit, cells=cells, facilities=facilities)


def _draw_streets(shared: _Shared, codes: tuple[str, ...]) -> list[Path]:
    """Draw some streets' maps on the process's figure (in a forked worker or in this one)."""
    audit = shared.audit
    return [
        street_png(
            replace(audit, cells=audit.cells.iloc[shared.rows[code]]),
            code,
            shared.paths[code],
            series=shared.series,
            fig=shared.fig,
        )
        for code in codes
    ]


#: Streets drawn by one task: few enough to share out over the workers evenly.
STREETS_PER_JOB = 5


def render_static_maps(
    audit: Audit, out_dir: Path, *, progress: bool = False, workers: int | None = None
) -> dict[str, Path]:
    """Write ``<stem>.png`` per street/town into ``out_dir`` (``maps/png``).

    Parameters
    ----------
    audit : Audit
        The audit results.
    out_dir : Path
        The folder of the PNGs (created).
    progress : bool, default False
        Show a progress bar (on a terminal only).
    workers : int, optional
        Forked worker processes; by default 2 from 8 streets on (1: none). The PNGs are the
        same, byte for byte, whatever the number.

    Returns
    -------
    dict of str to Path
        Street code -> its PNG, in the order of the streets table.
    """
    from carecircle.maps.street_jobs import pool_size, street_cells

    out_dir.mkdir(parents=True, exist_ok=True)
    stems = map_file_stems(list(audit.streets["code"]))
    paths = {code: inside(out_dir, out_dir / f"{stem}.png") for code, stem in stems.items()}
    codes = list(paths)
    tasks = [tuple(codes[k : k + STREETS_PER_JOB]) for k in range(0, len(codes), STREETS_PER_JOB)]
    drawn = drawn_only(audit)
    shared = _Shared(
        drawn, street_cells(drawn), paths, map_series(drawn), agg_figure(*FIGSIZE_IN, DPI)
    )
    bar = tqdm(
        total=len(paths),
        desc="png maps 静态图",
        unit="street",
        leave=False,
        disable=None if progress else True,
    )
    with bar:
        run_forked(
            shared,
            tasks,
            _draw_streets,
            workers=pool_size(workers, len(paths)),
            on_done=lambda task: bar.update(len(task)),
        )
    return paths
