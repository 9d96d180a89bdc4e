"""Matplotlib figures drawn on their own Agg canvas and written as PNG, quickly.

``Figure.savefig`` gives a figure without a canvas a new Agg canvas (and renderer) on every
call, so matplotlib's cache of text sizes, which is kept per renderer, starts empty for every
picture; it then writes RGBA at zlib level 6. Here a figure keeps one canvas
(:func:`agg_figure`), and :func:`write_png` writes the drawn pixels as RGB when the figure is
opaque (as every chart and map of carecircle is: the same picture, a third faster to encode),
with the figure's dpi and no timestamp (equal figures, equal bytes). Pixels drawn once for
many pictures (:class:`Stamp`, a static map series' legend) are put on each as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, eq=False)
class Stamp:
    """Pixels drawn once (RGBA rows, top first) and their place on every picture."""

    pixels: np.ndarray
    left_px: int
    top_px: int


def stamp(rgba: np.ndarray, stamps: Sequence[Stamp]) -> None:
    """Put the stamps on a picture's RGBA pixels, in order, over what is there.

    An opaque pixel of a stamp replaces the picture's; a partly transparent one is blended
    over it (the straight alpha of Agg's buffer), as drawing it there would.

    Parameters
    ----------
    rgba : ndarray of uint8, shape (rows, columns, 4)
        The picture's pixels (changed in place).
    stamps : sequence of Stamp
        The pixels to put on it, each at its place (a stamp must lie within the picture).
    """
    for one in stamps:
        rows, cols = one.pixels.shape[:2]
        window = rgba[one.top_px : one.top_px + rows, one.left_px : one.left_px + cols]
        if window.shape[:2] != (rows, cols):
            raise ValueError(
                f"a stamp of {cols}×{rows} px at {one.left_px},{one.top_px} is off the picture"
            )
        alpha = one.pixels[..., 3:]
        if bool((alpha == 255).all()):
            window[...] = one.pixels
            continue
        a = alpha.astype(np.float32) / 255.0
        src, dst = one.pixels.astype(np.float32), window.astype(np.float32)
        out_a = a + dst[..., 3:] / 255.0 * (1.0 - a)
        mixed = src[..., :3] * a + dst[..., :3] * (dst[..., 3:] / 255.0) * (1.0 - a)
        window[..., :3] = np.round(
            np.divide(mixed, out_a, out=np.zeros_like(mixed), where=out_a > 0)
        )
        window[..., 3:] = np.round(out_a * 255.0)


def _pixels(fig: Figure, stamps: Sequence[Stamp]) -> np.ndarray:
    """Draw the figure on its Agg canvas and put the stamps on; return its RGBA pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    stamp(rgba, stamps)
    return rgba


def write_png(fig: Figure, path: Path, *, stamps: Sequence[Stamp] = ()) -> Path:
    """Draw ``fig`` and write it as a PNG (atomically), with its dpi.

    Parameters
    ----------
    fig : Figure
        The figure (laid out already: nothing is moved or cropped).
    path : Path
        The PNG file.
    stamps : sequence of Stamp, optional
        Pixels put on the drawn figure (:func:`stamp`), e.g. a legend drawn once.

    Returns
    -------
    Path
        ``path``.
    """
    from PIL import Image, PngImagePlugin

    rgba = _pixels(fig, stamps)
    image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
    if bool((rgba[..., 3] == 255).all()):
        image = image.convert("RGB")  # opaque: the same picture, a quarter smaller to encode
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "carecircle (matplotlib)")
    dpi = round(fig.dpi)

    def save(tmp: Path) -> None:
        image.save(tmp, format="png", dpi=(dpi, dpi), compress_level=COMPRESS_LEVEL, pnginfo=info)

    return write_atomic(path, save)
