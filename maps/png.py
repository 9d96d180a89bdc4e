"""Matplotlib figures drawn on their own Agg canvas and written as PNG, quickly.

``Figure.savefig`` gives a figure without a canvas a new Agg canvas (and renderer) on every
call, so matplotlib's cache of text sizes, which is kept per renderer, starts empty for every
picture; it then writes RGBA at zlib level 6. Here a figure keeps one canvas
(:func:`agg_figure`), and :func:`write_png` writes the drawn pixels as RGB when the figure is
opaque (as every chart and map of carecircle is: the same picture, a third faster to encode),
with the figure's dpi and no timestamp (equal figures, equal bytes). Pixels drawn once for
many pictures (:class:`Stamp`, a static map series' legend) are put on each as they are.

The PNG is encoded here (:func:`png_bytes`), with no row filter: charts and maps are flat
colours with anti-aliased edges, which zlib packs best unfiltered; Pillow tries every filter
on every row (adaptive filtering), which took most of a static map's encoding time and made
the file a fifth larger.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from carecircle.files import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: zlib level of the PNGs: 3 writes them about as small as 6, in half the time.
COMPRESS_LEVEL = 3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG colour types: truecolour (RGB) and truecolour with alpha (RGBA), 8 bits a sample.
COLOUR_TYPES = {3: 2, 4: 6}
SOFTWARE = "carecircle (matplotlib)"


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
    rgba : ndarray of uint8, shape (rows, columns, 4 or 3)
        The picture's pixels (changed in place); without an alpha channel, opaque.
    stamps : sequence of Stamp
        The pixels to put on it, each at its place (a stamp must lie within the picture).
    """
    for one in stamps:
        rows, cols = one.pixels.shape[:2]
        window = rgba[one.top_px : one.top_px + rows, one.left_px : one.left_px + cols]
        if one.top_px < 0 or one.left_px < 0 or window.shape[:2] != (rows, cols):
            raise ValueError(
                f"a stamp of {cols}×{rows} px at {one.left_px},{one.top_px} is off the picture"
            )
        alpha = one.pixels[..., 3:]
        if bool((alpha == 255).all()):
            window[...] = one.pixels[..., : rgba.shape[2]]
            continue
        if rgba.shape[2] == 3:  # an opaque picture: blend over it
            a = alpha.astype(np.float32) / 255.0
            mixed = one.pixels[..., :3].astype(np.float32) * a + window * (1.0 - a)
            window[...] = np.round(mixed)
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
    rgba = _pixels(fig, stamps)
    # opaque: RGB, the same picture, a quarter smaller to encode
    pixels = rgba[..., :3] if bool((rgba[..., 3] == 255).all()) else rgba
    data = png_bytes(pixels, dpi=round(fig.dpi))
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def _chunk(kind: bytes, body: bytes) -> bytes:
    """Return a PNG chunk: length, type, body, CRC of type and body."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(pixels: np.ndarray, *, dpi: int, software: str = SOFTWARE) -> bytes:
    """Encode 8-bit RGB or RGBA pixels as a PNG: unfiltered rows, zlib, dpi, software name.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (rows, columns, 3 or 4)
        The picture, top row first.
    dpi : int
        Dots per inch (written as pixels per metre, as every PNG writer does).
    software : str, optional
        The program named in the file's ``Software`` text (Latin-1).

    Returns
    -------
    bytes
        The PNG file's contents (the same pixels, the same bytes: no time in it).
    """
    rows, cols, channels = pixels.shape
    if pixels.dtype != np.uint8 or channels not in COLOUR_TYPES:
        raise ValueError(f"PNG pixels must be uint8 RGB or RGBA, not {pixels.dtype} × {channels}")
    raw = np.zeros((rows, 1 + cols * channels), dtype=np.uint8)  # a 0 (no filter) per row
    raw[:, 1:] = pixels.reshape(rows, cols * channels)
    per_metre = round(dpi / 0.0254)
    header = struct.pack(">IIBBBBB", cols, rows, 8, COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _chunk(b"tEXt", b"Software\x00" + software.encode("latin-1")),
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), COMPRESS_LEVEL)),
            _chunk(b"IEND", b""),
        )
    )
