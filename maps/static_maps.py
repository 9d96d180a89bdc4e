"""Static street maps (PNG, drawn with Pillow; no internet, no tiles) for the report and slides.

Each street/town gets ``maps/png/<stem>.png`` (the stem of its HTML map, see
:func:`carecircle.maps.style.map_file_stems`): communities coloured by S1 share, uncovered
older residents as dots sized by count, facilities by type, the street boundary, a scale bar,
a north arrow, a legend and the data date. They draw results and compute nothing.

The maps of an audit are one series and share one legend, as the sheets of a map series do:
it lists the S1 scale, the uncovered dots and every facility type of the whole audit (not
only those of the street on the sheet), and a dot's size means the same count on every
sheet (scaled by the fullest uncovered cell of the audit, which the legend names). The legend
is drawn once per audit and put on each map as pixels
(:mod:`carecircle.maps.static_legend`); the map body is drawn by
:mod:`carecircle.maps.static_layers`. They are drawn on a
:class:`~carecircle.maps.canvas.Canvas` (Pillow): about a tenth of matplotlib's time, and no
matplotlib import in an audit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from tqdm import tqdm

from carecircle.files import inside, write_atomic
from carecircle.maps.canvas import Canvas
from carecircle.maps.forked import run_forked
from carecircle.maps.png import Stamp, png_bytes, stamp
from carecircle.maps.static_layers import (
    Bounds,
    dot_colour,
    draw_layers,
    facility_style,
    haloed_text,
    map_frame,
    scale_bar,
    uncovered_older,
)
from carecircle.maps.static_legend import (
    DPI,
    FIGSIZE_IN,
    LegendEntry,
    label,
    legend_stamp,
    map_area_px,
    north_arrow,
)
from carecircle.maps.style import map_file_stems, pct, share_colour
from carecircle.vocabulary import FACILITY_TYPES

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit

__all__ = ["MapSeries", "drawn_only", "legend_entries", "map_series", "render_static_maps"]


@dataclass(frozen=True, eq=False)
class MapSeries:
    """What every map of an audit shares: its legend and dot scale."""

    legend: Stamp
    #: Uncovered older residents of the audit's fullest uncovered cell (1.0 when none).
    dot_max: float
    #: The legend's entries, top to bottom.
    labels: tuple[str, ...]


def legend_entries(audit: Audit, cjk: bool) -> list[LegendEntry]:
    """Return the series' legend entries: the S1 scale, the uncovered dots, facility types.

    Parameters
    ----------
    audit : Audit
        The whole audit: the dots' entry names its fullest uncovered cell (if any is), and
        every facility type it holds gets an entry, in the vocabulary's order.
    cjk : bool
        Whether a CJK font is in use (Chinese and English labels, else English).
    """
    entries = [LegendEntry("patch", share_colour(s), f"S1 {s:.0%}") for s in (0.0, 0.5, 1.0)]
    entries.append(
        LegendEntry("patch", share_colour(float("nan")), label("无人口", "no residents", cjk))
    )
    gaps = uncovered_older(audit)
    if gaps.any():
        most = float(audit.cells["older_residents"].to_numpy(dtype=float)[gaps].max())
        text = label("未覆盖老年人", f"uncovered older (max {most:,.0f}/cell)", cjk)
        entries.append(LegendEntry("dot", dot_colour(), text))
    present = set(audit.facilities["type"].to_numpy(dtype=object))
    for ftype, (zh, en) in FACILITY_TYPES.items():
        if ftype in present:
            colour, _ = facility_style(ftype)
            entries.append(LegendEntry("marker", colour, label(zh, en, cjk), ftype))
    return entries


def map_series(audit: Audit) -> MapSeries:
    """Draw what the maps of ``audit`` share: the legend; the dot scale.

    Parameters
    ----------
    audit : Audit
        The whole audit (not a street's part: the series is the same for every street).
    """
    gaps = uncovered_older(audit)
    older = audit.cells["older_residents"].to_numpy(dtype=float)[gaps]
    entries = legend_entries(audit, Canvas(1, 1, DPI).cjk)
    return MapSeries(
        legend=legend_stamp(entries),
        dot_max=float(older.max()) if len(older) else 1.0,
        labels=tuple(e.label for e in entries),
    )


def _blank_outside(canvas: Canvas, inner: Bounds) -> None:
    """Paint white around the pixel box ``inner`` (what was drawn past the map's edge)."""
    left, top, right, bottom = inner
    w, h = canvas.width_px, canvas.height_px
    for box in ((0, 0, w, top), (0, bottom, w, h), (0, top, left, bottom), (right, top, w, bottom)):
        canvas.rect(*box, fill="#FFFFFF")


def street_png(
    audit: Audit,
    code: str,
    path: Path,
    *,
    series: MapSeries | None = None,
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
        The legend and dot scale of the audit's maps (:func:`map_series`); by default
        drawn from ``audit``.

    Returns
    -------
    Path
        ``path``.
    """
    series = map_series(audit) if series is None else series
    street = audit.streets.set_index("code").loc[code]
    canvas = Canvas(*FIGSIZE_IN, DPI)
    frame = map_frame(_png_box(audit, code), map_area_px())
    draw_layers(canvas, frame, audit, code, dot_max=series.dot_max)
    scale_bar(canvas, frame)
    date = audit.study.data_date or "—"
    corner = (frame.right - canvas.px(4), frame.bottom - canvas.px(3))
    haloed_text(canvas, *corner, f"{label('数据日期', 'data date', canvas.cjk)} {date}", 8, "rd")
    inner = (frame.left, frame.top, frame.right, frame.bottom)
    _blank_outside(canvas, inner)
    canvas.rect(*inner, outline="#000000", width_pt=0.8)
    share = audit.indicators["street"].loc[code, "older_covered_share"]
    name = street["name"] if canvas.cjk else code
    title = f"{name} ({code}) · S1 {pct(cast(float, share))}"
    canvas.text((frame.left + frame.right) / 2, frame.top - canvas.px(6), title, 11, anchor="md")
    north_arrow(canvas)
    pixels = np.array(canvas.pixels())  # writable
    stamp(pixels, [series.legend])
    data = png_bytes(pixels, dpi=DPI, software="carecircle (Pillow)")
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


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
    """Draw some streets' maps (in a forked worker or in this process)."""
    audit = shared.audit
    return [
        street_png(
            replace(audit, cells=audit.cells.iloc[shared.rows[code]]),
            code,
            shared.paths[code],
            series=shared.series,
        )
        for code in codes
    ]


#: Streets drawn by one task: few enough to share out over the workers evenly.
STREETS_PER_JOB = 5


def render_static_maps(
    audit: Audit,
    out_dir: Path,
    *,
    progress: bool = False,
    workers: int | None = None,
    busy: Callable[[], bool] | None = None,
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
    busy : callable, optional
        Whether another process uses the other core now (``maps.forked.run_forked``): the
        PNGs are then drawn here, and workers forked only for those left after. The audit
        draws them in its side lane (a process of its own, no workers): this is for a
        ``static maps`` writer registered not concurrent.

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
    shared = _Shared(drawn, street_cells(drawn), paths, map_series(drawn))
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
            busy=busy,
        )
    return paths
