"""The frame of a series of static maps: picture size, map area, legend drawn once, north arrow.

Every map of a series has the same picture size and map area (the map fills it from the
top-right corner), so the legend beside the map is drawn once per audit on a canvas of its
own and kept as pixels (a :class:`~carecircle.maps.png.Stamp`), then put on each street's map
at the same place when it is written; the north arrow is drawn on each map, in the map's
top-right corner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from carecircle.maps.canvas import Canvas, Colour
from carecircle.maps.png import Stamp
from carecircle.maps.static_markers import MARKER_PT, STAR_PT, draw_markers

FIGSIZE_IN = (8.5, 6.0)
DPI = 110
#: The map area (left, bottom, width, height; picture fraction, from the bottom left).
MAP_BOX = (0.01, 0.02, 0.6, 0.9)
#: Gap between the map area and the legend (picture fraction).
LEGEND_GAP = 0.006
#: The north arrow's tip and its "N", in pixels from the map area's top-right corner.
NORTH_TIP_PX = (-30.0, 14.0)
NORTH_TEXT_PX = (-30.0, 42.0)
LEGEND_PT = 7.0


def label(zh: str, en: str, cjk: bool) -> str:
    """Return the label in Chinese and English, or in English only without a CJK font.

    Parameters
    ----------
    zh, en : str
        The label in Chinese and in English.
    cjk : bool
        Whether a CJK font is in use.
    """
    return f"{zh} {en}" if cjk else en


def map_area_px() -> tuple[float, float, float, float]:
    """Return the map area in pixels: left, top, right, bottom (y down)."""
    left, bottom, width, height = MAP_BOX
    w_px, h_px = FIGSIZE_IN[0] * DPI, FIGSIZE_IN[1] * DPI
    return left * w_px, (1 - bottom - height) * h_px, (left + width) * w_px, (1 - bottom) * h_px


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend: a swatch (``patch``), a ``dot`` or a facility ``marker``."""

    kind: str
    colour: Colour
    label: str
    #: The facility type of a ``marker`` entry.
    ftype: str = ""


def _swatch(canvas: Canvas, entry: LegendEntry, x: float, y: float, size: float) -> None:
    """Draw an entry's swatch centred at (x, y), ``size`` pixels across."""
    if entry.kind == "patch":
        half = size / 2
        canvas.rect(x - half, y - half * 0.7, x + half, y + half * 0.7, fill=entry.colour)
    elif entry.kind == "dot":
        canvas.dots(np.array([x]), np.array([y]), canvas.px(3.2), entry.colour)
    else:
        big = STAR_PT if entry.ftype == "comprehensive_centre" else MARKER_PT
        draw_markers(canvas, np.array([x]), np.array([y]), entry.ftype, size_pt=big * 1.1)


def legend_stamp(entries: Sequence[LegendEntry]) -> Stamp:
    """Draw the series' legend once; place it beside the map area's top-right corner.

    Parameters
    ----------
    entries : sequence of LegendEntry
        The legend's lines, top to bottom.

    Returns
    -------
    Stamp
        Its pixels (opaque) and their place on every map of the series.
    """
    probe = Canvas(1, 1, DPI)
    row = probe.px(LEGEND_PT) * 2.1
    pad = probe.px(LEGEND_PT) * 0.6
    swatch = probe.px(LEGEND_PT) * 2.0
    widest = max((probe.text_size(e.label, LEGEND_PT)[0] for e in entries), default=0.0)
    width = pad * 3 + swatch + widest + 2
    height = pad * 2 + row * len(entries) + 2
    canvas = Canvas(width / DPI, height / DPI, DPI)
    canvas.rect(0.5, 0.5, canvas.width_px - 1, canvas.height_px - 1, fill="#FFFFFF")
    canvas.rect(
        0.5, 0.5, canvas.width_px - 1, canvas.height_px - 1, outline="#CCCCCC", width_pt=0.8
    )
    for k, entry in enumerate(entries):
        y = pad + row * (k + 0.5) + 1
        _swatch(canvas, entry, pad + swatch / 2 + 1, y, swatch)
        canvas.text(pad * 2 + swatch + 1, y, entry.label, LEGEND_PT, anchor="lm")
    pixels = canvas.pixels()
    rgba = np.dstack([pixels, np.full(pixels.shape[:2], 255, dtype=np.uint8)])
    _, top, right, _ = map_area_px()
    return Stamp(rgba, round(right + LEGEND_GAP * FIGSIZE_IN[0] * DPI), round(top))


def north_arrow(canvas: Canvas) -> None:
    """Draw the north arrow in the map area's top-right corner: an arrow up over an "N".

    Parameters
    ----------
    canvas : Canvas
        The map's picture.
    """
    _, top, right, _ = map_area_px()
    tip_x, tip_y = right + NORTH_TIP_PX[0], top + NORTH_TIP_PX[1]
    text_y = top + NORTH_TEXT_PX[1]
    head_w, head_l, shaft_w = canvas.px(11) / 2, canvas.px(10), canvas.px(4) / 2
    base_y = text_y - canvas.px(8)
    neck_y = tip_y + head_l
    arrow = np.array(
        [
            (tip_x, tip_y),
            (tip_x + head_w, neck_y),
            (tip_x + shaft_w, neck_y),
            (tip_x + shaft_w, base_y),
            (tip_x - shaft_w, base_y),
            (tip_x - shaft_w, neck_y),
            (tip_x - head_w, neck_y),
        ]
    )
    canvas.polygon([arrow], fill="#000000")
    width, height = canvas.text_size("N", 11)
    pad = canvas.px(1.5)
    canvas.rect(
        tip_x - width / 2 - pad,
        text_y - height / 2 - pad,
        tip_x + width / 2 + pad,
        text_y + height / 2 + pad,
        fill=(255, 255, 255, 178),
    )
    canvas.text(tip_x, text_y, "N", 11, anchor="mm")
