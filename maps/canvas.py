"""Pictures drawn with Pillow at twice their size and reduced: smooth edges, no matplotlib.

A :class:`Canvas` is an opaque RGB picture of a given size in inches and dots per inch; its
coordinates are pixels of the final picture (floats, x right, y down) and its sizes are
points (1/72 in), as in matplotlib. It draws on an image ``SCALE`` times larger and averages
each ``SCALE`` × ``SCALE`` block when written (anti-aliased edges and text), then writes the
PNG with :func:`carecircle.maps.png.png_bytes` (the same pixels, the same bytes).

Text is drawn with the CJK font (:func:`carecircle.maps.fonts.cjk_font`, its Simplified
Chinese face) when one is installed, else with DejaVu Sans (English labels only). Drawing a
chart this way takes milliseconds where matplotlib took about a second (its import, and the
layout of every text), on every audit.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from carecircle.files import write_atomic
from carecircle.maps.fonts import cjk_font, latin_font
from carecircle.maps.png import png_bytes

#: The picture is drawn this many times larger, then each block of pixels averaged.
SCALE = 2
#: The face of a font collection (.ttc) used for Chinese labels.
CJK_FACE = "SC"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
#: A colour: ``#RRGGBB``, or an (r, g, b) or (r, g, b, alpha) tuple (drawn blended).
Colour = str | tuple[int, ...]


@functools.cache
def _face_index(path: str) -> int:
    """Return the face of ``path`` to draw Chinese with: its Simplified Chinese one in a .ttc."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(32):
        try:
            family = ImageFont.truetype(path, 10, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith(f" {CJK_FACE}") and "Mono" not in family:
            return index
    return 0


@functools.cache
def _font(path: str | None, pixels: int) -> Font:
    """Return the font of ``path`` at ``pixels`` (Pillow's own font when there is no file)."""
    if path is None:
        return ImageFont.load_default(pixels)
    return ImageFont.truetype(path, pixels, index=_face_index(path))


def _rgb(colour: Colour) -> tuple[int, ...]:
    if isinstance(colour, tuple):
        return colour
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def blend(colour: str, alpha: float, under: str = "#FFFFFF") -> tuple[int, int, int]:
    """Return ``colour`` at ``alpha`` over ``under`` as one opaque colour.

    Parameters
    ----------
    colour, under : str
        ``#RRGGBB`` colours.
    alpha : float
        Opacity of ``colour``, 0 to 1.
    """
    top, base = _rgb(colour), _rgb(under)
    return (
        round(alpha * top[0] + (1 - alpha) * base[0]),
        round(alpha * top[1] + (1 - alpha) * base[1]),
        round(alpha * top[2] + (1 - alpha) * base[2]),
    )


@dataclass(eq=False)
class Canvas:
    """An opaque picture drawn with Pillow; coordinates in final pixels, sizes in points.

    Parameters
    ----------
    width_in, height_in : float
        Size in inches.
    dpi : int
        Dots per inch.
    cjk : bool, default True
        Draw text with the CJK font when one is installed (``cjk`` is then True), else
        with DejaVu Sans (``cjk`` False: the caller writes English labels only).
    """

    width_in: float
    height_in: float
    dpi: int
    cjk: bool = True
    image: Image.Image = field(init=False)
    draw: ImageDraw.ImageDraw = field(init=False)
    font_path: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.image = Image.new("RGB", (self.width_px * SCALE, self.height_px * SCALE), "white")
        self.draw = ImageDraw.Draw(self.image, "RGBA")  # colours with alpha are blended
        path = cjk_font() if self.cjk else None
        self.cjk = path is not None
        self.font_path = path if path is not None else latin_font()

    @property
    def width_px(self) -> int:
        """Width of the picture in pixels."""
        return round(self.width_in * self.dpi)

    @property
    def height_px(self) -> int:
        """Height of the picture in pixels."""
        return round(self.height_in * self.dpi)

    def px(self, points: float) -> float:
        """Return ``points`` (1/72 in) in pixels of the final picture."""
        return points * self.dpi / 72.0

    def font(self, size_pt: float) -> Font:
        """Return the font at ``size_pt`` points (on the enlarged drawing)."""
        return _font(self.font_path, max(1, round(self.px(size_pt) * SCALE)))

    def text_size(self, text: str, size_pt: float) -> tuple[float, float]:
        """Return the width and height of ``text`` in final pixels (its ink box).

        Parameters
        ----------
        text : str
            The text.
        size_pt : float
            Its size in points.
        """
        left, top, right, bottom = self.draw.textbbox(
            (0, 0), text, font=self.font(size_pt), anchor="la"
        )
        return (right - left) / SCALE, (bottom - top) / SCALE

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size_pt: float,
        *,
        anchor: str = "la",
        fill: Colour = "#000000",
        angle: float = 0.0,
    ) -> None:
        """Write ``text`` at (x, y), placed by a Pillow anchor (``"rm"``: right, middle).

        Parameters
        ----------
        x, y : float
            The anchor point, in final pixels.
        text : str
            The text (one line).
        size_pt : float
            Its size in points.
        anchor : str, default "la"
            Pillow's two-letter text anchor (horizontal l/m/r, vertical a/t/m/s/b/d).
        fill : str, default "#000000"
            Its colour.
        angle : float, default 0
            Turn the text about its anchor point by this many degrees (anticlockwise).
        """
        font = self.font(size_pt)
        if not angle:
            self.draw.text((x * SCALE, y * SCALE), text, fill=_rgb(fill), font=font, anchor=anchor)
            return
        left, top, right, bottom = self.draw.textbbox((0, 0), text, font=font, anchor=anchor)
        pad = 2
        size = (math.ceil(right - left) + 2 * pad, math.ceil(bottom - top) + 2 * pad)
        mask = Image.new("L", size, 0)
        origin = (pad - left, pad - top)  # the anchor point inside the mask
        ImageDraw.Draw(mask).text(origin, text, fill=255, font=font, anchor=anchor)
        turned = mask.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
        # where the anchor point went: rotate it about the mask's centre, then shift by the
        # growth of the turned mask
        cx, cy = mask.width / 2, mask.height / 2
        a = math.radians(angle)
        dx, dy = origin[0] - cx, origin[1] - cy
        ax = cx + dx * math.cos(a) + dy * math.sin(a) + (turned.width - mask.width) / 2
        ay = cy - dx * math.sin(a) + dy * math.cos(a) + (turned.height - mask.height) / 2
        ink = Image.new("RGB", turned.size, _rgb(fill))
        self.image.paste(ink, (round(x * SCALE - ax), round(y * SCALE - ay)), turned)

    def rect(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        *,
        fill: Colour | None = None,
        outline: str | None = None,
        width_pt: float = 0.8,
    ) -> None:
        """Draw a rectangle between two corners (any order), filled and/or outlined.

        Parameters
        ----------
        x0, y0, x1, y1 : float
            Two opposite corners, in final pixels.
        fill : str or tuple of int, optional
            The fill colour (none by default).
        outline : str, optional
            The outline colour (none by default).
        width_pt : float, default 0.8
            The outline's width in points.
        """
        box = [min(x0, x1) * SCALE, min(y0, y1) * SCALE, max(x0, x1) * SCALE, max(y0, y1) * SCALE]
        if outline is None and fill is not None and len(_rgb(fill)) == 3:
            # opaque: put the pixels (blending a large box pixel by pixel is slow)
            whole = (round(box[0]), round(box[1]), round(box[2]) + 1, round(box[3]) + 1)
            self.image.paste(_rgb(fill), whole)
            return
        width = max(1, round(self.px(width_pt) * SCALE)) if outline else 0
        self.draw.rectangle(
            box,
            fill=None if fill is None else _rgb(fill),
            outline=None if outline is None else _rgb(outline),
            width=width,
        )

    def line(
        self,
        points: Sequence[tuple[float, float]],
        colour: Colour,
        *,
        width_pt: float = 1.0,
        dash_pt: tuple[float, float] | None = None,
    ) -> None:
        """Draw a line through ``points``, solid or dashed.

        Parameters
        ----------
        points : sequence of (float, float)
            The vertices, in final pixels.
        colour : str
            Its colour.
        width_pt : float, default 1
            Its width in points.
        dash_pt : (float, float), optional
            Dashed: the lengths of a dash and of a gap, in points.
        """
        width = max(1, round(self.px(width_pt) * SCALE))
        scaled = [(x * SCALE, y * SCALE) for x, y in points]
        if dash_pt is None:
            self.draw.line(scaled, fill=_rgb(colour), width=width, joint="curve")
            return
        dash, gap = (self.px(v) * SCALE for v in dash_pt)
        for (xa, ya), (xb, yb) in itertools.pairwise(scaled):
            length = math.hypot(xb - xa, yb - ya)
            for start in np.arange(0.0, length, dash + gap):
                end = min(start + dash, length)
                ux, uy = (xb - xa) / length, (yb - ya) / length
                self.draw.line(
                    [(xa + ux * start, ya + uy * start), (xa + ux * end, ya + uy * end)],
                    fill=_rgb(colour),
                    width=width,
                )

    def dots(
        self, xs: np.ndarray, ys: np.ndarray, radius_px: float | np.ndarray, colour: Colour
    ) -> None:
        """Draw a filled circle at each (x, y).

        Parameters
        ----------
        xs, ys : ndarray of float
            The centres, in final pixels.
        radius_px : float or ndarray of float
            The radius (one, or one per dot), in final pixels.
        colour : str or tuple of int
            The fill colour (with alpha: each dot blended over what is under it).
        """
        xs, ys = np.asarray(xs, dtype=float) * SCALE, np.asarray(ys, dtype=float) * SCALE
        radii = np.broadcast_to(np.asarray(radius_px, dtype=float) * SCALE, xs.shape)
        fill = _rgb(colour)
        for cx, cy, r in zip(xs.tolist(), ys.tolist(), radii.tolist(), strict=True):
            self.draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)

    def sprites(self, sprite: Image.Image, xs: np.ndarray, ys: np.ndarray) -> None:
        """Put an RGBA picture, centred, at each (x, y): a marker drawn once, put many times.

        Parameters
        ----------
        sprite : PIL.Image.Image
            An RGBA picture at the canvas's enlarged scale (``SCALE`` pixels a pixel).
        xs, ys : ndarray of float
            The centres, in final pixels.
        """
        half_w, half_h = sprite.width / 2, sprite.height / 2
        for x, y in zip(
            np.asarray(xs, dtype=float).tolist(), np.asarray(ys, dtype=float).tolist(), strict=True
        ):
            self.image.paste(sprite, (round(x * SCALE - half_w), round(y * SCALE - half_h)), sprite)

    def polygon(
        self,
        rings: Sequence[np.ndarray],
        *,
        fill: Colour | None = None,
        outline: Colour | None = None,
        width_pt: float = 0.6,
    ) -> None:
        """Draw a polygon given as rings of pixel vertices: exterior first, then its holes.

        Parameters
        ----------
        rings : sequence of ndarray of shape (n, 2)
            The exterior ring, then the holes (left unfilled), in final pixels.
        fill : str or tuple of int, optional
            The fill colour (none by default).
        outline : str or tuple of int, optional
            The colour of the rings' outlines (none by default).
        width_pt : float, default 0.6
            The outlines' width in points.
        """
        scaled = [np.asarray(r, dtype=float)[:, :2] * SCALE for r in rings if len(r) >= 3]
        if not scaled:
            return
        if fill is not None and len(scaled) == 1:
            self.draw.polygon([tuple(p) for p in scaled[0].tolist()], fill=_rgb(fill))
        elif fill is not None:  # holes: fill through a mask of the polygon's box
            low = np.floor(scaled[0].min(axis=0)).astype(int)
            high = np.ceil(scaled[0].max(axis=0)).astype(int) + 1
            mask = Image.new("L", tuple((high - low).tolist()), 0)
            pen = ImageDraw.Draw(mask)
            for k, ring in enumerate(scaled):
                pen.polygon([tuple(p) for p in (ring - low).tolist()], fill=0 if k else 255)
            ink = Image.new("RGBA", mask.size, _rgb(fill))
            self.image.paste(ink, tuple(low.tolist()), mask)
        if outline is not None:
            width = max(1, round(self.px(width_pt) * SCALE))
            for ring in scaled:
                points = [tuple(p) for p in ring.tolist()]
                self.draw.line([*points, points[0]], fill=_rgb(outline), width=width, joint="curve")

    def pixels(self) -> np.ndarray:
        """Return the final picture: each ``SCALE`` × ``SCALE`` block averaged (uint8 RGB)."""
        return np.asarray(self.image.reduce(SCALE), dtype=np.uint8)

    def write(self, path: Path) -> Path:
        """Write the picture as a PNG (atomically), with its dpi; return ``path``."""
        data = png_bytes(self.pixels(), dpi=self.dpi, software="carecircle (Pillow)")
        return write_atomic(path, lambda tmp: tmp.write_bytes(data))
