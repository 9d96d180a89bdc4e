"""Facility markers of the static maps: a filled shape per facility type (told apart in grey).

The shapes are matplotlib's marker codes (``"*"`` star, ``"s"`` square, ``"o"`` circle,
``"D"`` diamond, ``"^"``/``"v"`` triangles, ``"P"`` filled plus, ``"h"`` hexagon, ``"X"``
filled cross, ``"p"`` pentagon, ``"d"`` thin diamond), drawn here as polygons on a
:class:`~carecircle.maps.canvas.Canvas` with a white edge.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from PIL import Image, ImageDraw

from carecircle.maps.canvas import SCALE, Canvas
from carecircle.maps.style import FACILITY_COLOURS

#: Marker per facility type (with the colour of the HTML maps, told apart without colour too).
FACILITY_MARKERS: dict[str, str] = {
    "comprehensive_centre": "*",
    "day_care": "s",
    "service_station": "o",
    "embedded_care": "D",
    "meal_point": "^",
    "rural_mutual_aid": "v",
    "institution": "P",
    "rehab_rental": "h",
    "dementia_unit": "X",
    "health_centre": "p",
    "health_station": "d",
}
#: Marker size (points across) on the maps; the star larger, as it is thin.
MARKER_PT = math.sqrt(46)
STAR_PT = math.sqrt(110)
EDGE_PT = 0.7


def facility_style(ftype: str) -> tuple[str, str]:
    """Return the (colour, marker) of a facility type (grey dot for an unknown one).

    Parameters
    ----------
    ftype : str
        The facility type (vocabulary code).
    """
    return FACILITY_COLOURS.get(ftype, "#777777"), FACILITY_MARKERS.get(ftype, "o")


def _regular(sides: int, turn_deg: float = 90.0) -> np.ndarray:
    angles = np.radians(turn_deg + 360.0 * np.arange(sides) / sides)
    return np.column_stack([np.cos(angles), -np.sin(angles)])


def _plus(arm: float) -> np.ndarray:
    a = arm
    corners = [(-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a), (a, 1), (-a, 1), (-a, a)]
    return np.array([*corners, (-1, a), (-1, -a), (-a, -a)], dtype=float)


def _cross() -> np.ndarray:
    turn = math.radians(45)
    rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    return _plus(0.3) @ rot.T * 1.05


def _star() -> np.ndarray:
    outer, inner = _regular(5), _regular(5, 90 + 36) * 0.38
    return np.stack([outer, inner], axis=1).reshape(-1, 2)


#: Marker code -> its outline (vertices around (0, 0), radius about 1, y down).
_SHAPES = {
    "*": _star,
    "s": lambda: _regular(4, 45) * 0.95,
    "D": lambda: _regular(4, 90) * 0.8,
    "d": lambda: _regular(4, 90) * np.array([0.55, 0.85]),
    "^": lambda: _regular(3, 90),
    "v": lambda: _regular(3, -90),
    "h": lambda: _regular(6, 90),
    "p": lambda: _regular(5, 90),
    "P": lambda: _plus(0.36),
    "X": _cross,
}


@cache
def marker_shape(marker: str) -> np.ndarray:
    """Return a marker's outline as vertices around (0, 0), radius about 1 (y down).

    Parameters
    ----------
    marker : str
        A matplotlib marker code among those of ``FACILITY_MARKERS``; others draw a circle.
    """
    build = _SHAPES.get(marker)
    return build() if build is not None else _regular(24)


@cache
def marker_sprite(ftype: str, across_px: float) -> Image.Image:
    """Return the marker of ``ftype``, ``across_px`` enlarged pixels across, as an RGBA picture.

    Drawn once per type and size (filled, with a white edge) and put at every facility.

    Parameters
    ----------
    ftype : str
        The facility type: its colour and shape (:func:`facility_style`).
    across_px : float
        Its size across, in pixels of the enlarged drawing (``canvas.SCALE`` a pixel).
    """
    colour, marker = facility_style(ftype)
    edge = EDGE_PT * across_px / MARKER_PT
    side = math.ceil(across_px + 2 * edge) + 2
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    points = [tuple(p) for p in (marker_shape(marker) * across_px / 2 + side / 2).tolist()]
    pen.polygon(points, fill=colour)
    pen.line([*points, points[0]], fill="#FFFFFF", width=max(1, round(edge)), joint="curve")
    return image


def draw_markers(
    canvas: Canvas, xs: np.ndarray, ys: np.ndarray, ftype: str, *, size_pt: float | None = None
) -> None:
    """Draw the marker of ``ftype`` at each pixel (x, y), filled, with a white edge.

    Parameters
    ----------
    canvas : Canvas
        The picture.
    xs, ys : ndarray of float
        Marker centres, in final pixels.
    ftype : str
        The facility type: its colour and shape (:func:`facility_style`).
    size_pt : float, optional
        Size across, in points; by default ``MARKER_PT`` (``STAR_PT`` for the star).
    """
    _, marker = facility_style(ftype)
    across = size_pt if size_pt is not None else (STAR_PT if marker == "*" else MARKER_PT)
    canvas.sprites(marker_sprite(ftype, round(canvas.px(across) * SCALE, 2)), xs, ys)
