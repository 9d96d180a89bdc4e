"""Matplotlib figures drawn on their own Agg canvas and written as PNG, quickly.

``Figure.savefig`` gives a figure without a canvas a new Agg canvas (and renderer) on every
call, so matplotlib's cache of text sizes, which is kept per renderer, starts empty for every
picture; it then writes RGBA at zlib level 6. Here a figure keeps one canvas
(:func:`agg_figure`), and :func:`write_png` writes the drawn pixels as RGB when the figure is
opaque (as every chart and map of carecircle is: the same picture, a third faster to encode),
with the figure's dpi and no timestamp (equal figures, equal bytes).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from carecircle.files import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: zlib level of the PNGs: 3 writes them about as small as 6, in two thirds of the time.
COMPRESS_LEVEL = 3


def agg_figure(width_in: float, height_in: float, dpi: float) -> Figure:
    """Return a figure with its own Agg canvas (no pyplot: no global figure state).

    Parameters
    ----------
    width_in, height_in : float
        Size in inches.
    dpi : float
        Dots per inch.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _pixels(fig: Figure) -> np.ndarray:
    """Draw the figure on its Agg canvas; return its pixels (RGB when opaque, else RGBA)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return rgba[..., :3] if bool((rgba[..., 3] == 255).all()) else rgba


def write_png(fig: Figure, path: Path) -> Path:
    """Draw ``fig`` and write it as a PNG (atomically), with its dpi.

    Parameters
    ----------
    fig : Figure
        The figure (laid out already: nothing is moved or cropped).
    path : Path
        The PNG file.

    Returns
    -------
    Path
        ``path``.
    """
    from PIL import Image, PngImagePlugin

    image = Image.fromarray(np.ascontiguousarray(_pixels(fig)))
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "carecircle (matplotlib)")
    dpi = round(fig.dpi)

    def save(tmp: Path) -> None:
        image.save(tmp, format="png", dpi=(dpi, dpi), compress_level=COMPRESS_LEVEL, pnginfo=info)

    return write_atomic(path, save)
