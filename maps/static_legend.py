"""The frame of a series of static maps: figure size, map box, and stamps rendered once.

Every map of a series has the same figure size and map box (its top-right corner fixed, the
axes anchored there), so what is the same on every map — the legend beside the map and the
north arrow in its corner — is drawn once per audit on its own Agg canvas and kept as pixels
(a :class:`~carecircle.maps.png.Stamp`), then put on each street's map at the same place when
it is written (:func:`carecircle.maps.png.write_png`). Laying out and drawing the legend's
CJK labels was over half of a map's cost; a stamp costs a copy of its pixels (the legend is
opaque and copied as it is; the north arrow, drawn over the map, is blended).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from carecircle.maps.fonts import cjk_family
from carecircle.maps.png import Stamp, agg_figure

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox
    from matplotlib.typing import RcKeyType

FIGSIZE_IN = (8.5, 6.0)
DPI = 110
#: The map axes' box (left, bottom, width, height; figure fraction); anchored top right.
MAP_BOX = (0.01, 0.02, 0.6, 0.9)
#: Gap between the map box and the legend (figure fraction).
LEGEND_GAP = 0.006
#: The north arrow's tip and its "N", in pixels from the map box's top-right corner.
NORTH_TIP_PX = (-30.0, -14.0)
NORTH_TEXT_PX = (-30.0, -42.0)


@contextlib.contextmanager
def font_context() -> Iterator[bool]:
    """Matplotlib settings of the static maps: the CJK font when installed (else English).

    Yields
    ------
    bool
        True when a CJK font is in use (Chinese labels can be drawn).
    """
    import matplotlib as mpl

    name = cjk_family()
    params: dict[RcKeyType, Any] = {"axes.unicode_minus": False}
    if name is not None:
        params["font.family"] = [name, "DejaVu Sans"]
    with mpl.rc_context(params):
        yield name is not None


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


def map_corner_px() -> tuple[float, float]:
    """Return the map box's top-right corner in display pixels (x right, y up)."""
    left, bottom, width, height = MAP_BOX
    return (left + width) * FIGSIZE_IN[0] * DPI, (bottom + height) * FIGSIZE_IN[1] * DPI


def render_stamp(
    draw: Callable[[Figure], Callable[[RendererBase], Bbox]], *, transparent: bool = False
) -> Stamp:
    """Draw on a figure of the series' size; keep the pixels of what was drawn.

    Parameters
    ----------
    draw : callable
        Adds artists to the (empty) figure and returns the function that measures them once
        drawn (their extent in display pixels, from the renderer).
    transparent : bool, default False
        Keep the background transparent (a stamp drawn over the map) instead of white.

    Returns
    -------
    Stamp
        The pixels of that extent, a pixel of margin around, and their place.
    """
    with font_context():
        fig = agg_figure(*FIGSIZE_IN, DPI)
        if transparent:
            fig.patch.set_alpha(0.0)
        extent = draw(fig)
        canvas = fig.canvas
        canvas.draw()
        box = extent(canvas.get_renderer())  # type: ignore[attr-defined]
        rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]
    height, width = rgba.shape[:2]
    left, right = max(math.floor(box.x0) - 1, 0), min(math.ceil(box.x1) + 1, width)
    top = max(height - math.ceil(box.y1) - 1, 0)
    bottom = min(height - math.floor(box.y0) + 1, height)
    return Stamp(rgba[top:bottom, left:right].copy(), left, top)


def legend_stamp(handles: list[Artist]) -> Stamp:
    """Draw the series' legend once, beside the map box's top-right corner.

    Parameters
    ----------
    handles : list of Artist
        The legend entries (labelled patches and lines).
    """

    def draw(fig: Figure) -> Callable[[RendererBase], Bbox]:
        left, bottom, width, height = MAP_BOX
        legend = fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(left + width + LEGEND_GAP, bottom + height),
            fontsize=7,
        )
        return legend.get_window_extent

    return render_stamp(draw)


def north_stamp() -> Stamp:
    """Draw the north arrow once, in the map box's top-right corner (transparent around)."""
    from matplotlib.text import Annotation

    def draw(fig: Figure) -> Callable[[RendererBase], Bbox]:
        x, y = map_corner_px()
        arrow = Annotation(
            "N",
            xy=(x + NORTH_TIP_PX[0], y + NORTH_TIP_PX[1]),
            xytext=(x + NORTH_TEXT_PX[0], y + NORTH_TEXT_PX[1]),
            xycoords="figure pixels",
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1},
            arrowprops={"facecolor": "black", "width": 4, "headwidth": 11, "headlength": 10},
        )
        fig.add_artist(arrow)

        def extent(renderer: RendererBase) -> Bbox:
            from matplotlib.transforms import Bbox

            patch = arrow.get_bbox_patch()  # the "N"'s white box (the text's extent is less)
            boxes = [arrow.get_window_extent(renderer)]
            if patch is not None:
                boxes.append(patch.get_window_extent(renderer))
            return Bbox.union(boxes)

        return extent

    return render_stamp(draw, transparent=True)
