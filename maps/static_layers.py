"""The body of a static street map: communities, boundary, uncovered dots, facilities, scale bar.

Each function draws one layer of a street's part of the audit on a
:class:`~carecircle.maps.canvas.Canvas`, through the map's :class:`MapFrame` (lon/lat to
pixels, the aspect true at the map's latitude); the legend and the other decorations shared
by every map of the series are in :mod:`carecircle.maps.static_legend`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from carecircle.maps.canvas import Canvas, Colour
from carecircle.maps.static_markers import FACILITY_MARKERS, draw_markers, facility_style
from carecircle.maps.style import UNCOVERED_COLOUR, share_colour
from carecircle.vocabulary import FACILITY_TYPES

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit

__all__ = [
    "FACILITY_MARKERS",
    "Bounds",
    "MapFrame",
    "dot_areas",
    "draw_facilities",
    "draw_layers",
    "facility_style",
    "map_frame",
    "nice_length",
    "scale_bar",
    "uncovered_older",
]

Bounds = tuple[float, float, float, float]

METRES_PER_DEG_LAT = 111_320.0
#: Dot area (pt²) of an uncovered cell: ``DOT_MIN_PT2 + DOT_SPAN_PT2 * older / series max``.
DOT_MIN_PT2 = 4.0
DOT_SPAN_PT2 = 60.0
DOT_ALPHA = 0.6
#: Translucent white behind the texts drawn over the map (scale bar, data date).
HALO = (255, 255, 255, 178)


@dataclass(frozen=True)
class MapFrame:
    """Where a lon/lat box is drawn: its pixel box, the same scale along both axes in metres.

    Attributes
    ----------
    box : tuple of float
        The lon/lat box (min lon, min lat, max lon, max lat).
    left, top, right, bottom : float
        The map's pixel box on the picture.
    """

    box: Bounds
    left: float
    top: float
    right: float
    bottom: float

    def x(self, lon: np.ndarray | float) -> np.ndarray:
        """Return the pixel columns of longitudes ``lon``."""
        minx, _, maxx, _ = self.box
        return self.left + (np.asarray(lon, dtype=float) - minx) / (maxx - minx) * (
            self.right - self.left
        )

    def y(self, lat: np.ndarray | float) -> np.ndarray:
        """Return the pixel rows of latitudes ``lat``."""
        _, miny, _, maxy = self.box
        return self.bottom - (np.asarray(lat, dtype=float) - miny) / (maxy - miny) * (
            self.bottom - self.top
        )

    def pixels(self, coords: np.ndarray) -> np.ndarray:
        """Return lon/lat vertices ``coords`` (n × 2) as pixel vertices."""
        return np.column_stack([self.x(coords[:, 0]), self.y(coords[:, 1])])


def map_frame(box: Bounds, area_px: Bounds) -> MapFrame:
    """Fit ``box`` into the pixel area ``area_px`` (left, top, right, bottom), top right.

    The box keeps its shape in metres (a degree of longitude is ``cos(lat)`` of one of
    latitude at the box's middle latitude) and fills the area's width or height; it sits in
    the area's top-right corner, where the legend and the north arrow are.

    Parameters
    ----------
    box : tuple of float
        The lon/lat box.
    area_px : tuple of float
        The pixels it may take.
    """
    minx, miny, maxx, maxy = box
    lat = (miny + maxy) / 2
    wide = max(maxx - minx, 1e-12) * math.cos(math.radians(lat))
    high = max(maxy - miny, 1e-12)
    left, top, right, bottom = area_px
    scale = min((right - left) / wide, (bottom - top) / high)
    return MapFrame(box, right - wide * scale, top, right, top + high * scale)


def nice_length(span_m: float) -> float:
    """Return a round scale-bar length near a fifth of the map width (1, 2 or 5 × 10^n metres).

    Parameters
    ----------
    span_m : float
        The map's width in metres.
    """
    target = max(span_m / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def haloed_text(canvas: Canvas, x: float, y: float, text: str, size_pt: float, anchor: str) -> None:
    """Write ``text`` over the map on a translucent white box (readable over any colour).

    Parameters
    ----------
    canvas : Canvas
        The picture.
    x, y : float
        The anchor point, in final pixels.
    text : str
        The text.
    size_pt : float
        Its size in points.
    anchor : str
        A Pillow anchor whose second letter is ``d`` (bottom) or ``m``.
    """
    width, height = canvas.text_size(text, size_pt)
    pad = canvas.px(1.5)
    x0 = {"l": x, "m": x - width / 2, "r": x - width}[anchor[0]]
    y1 = y if anchor[1] == "d" else y + height / 2
    canvas.rect(x0 - pad, y1 - height * 1.35 - pad, x0 + width + pad, y1 + pad, fill=HALO)
    canvas.text(x, y, text, size_pt, anchor=anchor)


def scale_bar(canvas: Canvas, frame: MapFrame) -> None:
    """Draw a round-length scale bar in the lower left of the map.

    Parameters
    ----------
    canvas : Canvas
        The picture.
    frame : MapFrame
        The map's frame (lengths measured at its middle latitude).
    """
    minx, miny, maxx, maxy = frame.box
    lat = (miny + maxy) / 2
    m_per_deg_lon = METRES_PER_DEG_LAT * math.cos(math.radians(lat))
    length_m = nice_length((maxx - minx) * m_per_deg_lon)
    x0 = minx + 0.05 * (maxx - minx)
    y0 = miny + 0.05 * (maxy - miny)
    x1 = x0 + length_m / m_per_deg_lon
    px0, px1, py = float(frame.x(x0)), float(frame.x(x1)), float(frame.y(y0))
    canvas.rect(px0, py - canvas.px(1.5), px1, py + canvas.px(1.5), fill="#000000")
    text = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    haloed_text(canvas, (px0 + px1) / 2, py - canvas.px(4), text, 10, "md")


def _rings(geom: shapely.Geometry) -> list[list[np.ndarray]]:
    """Coordinate arrays of a (multi)polygon's parts: each its exterior, then its holes."""
    parts = getattr(geom, "geoms", [geom])
    return [
        [np.asarray(ring.coords)[:, :2] for ring in (part.exterior, *part.interiors)]
        for part in parts
        if isinstance(part, shapely.Polygon) and not part.is_empty
    ]


def draw_polygons(
    canvas: Canvas,
    frame: MapFrame,
    geoms: np.ndarray,
    fills: list[Colour | None],
    *,
    outline: Colour,
    width_pt: float,
) -> None:
    """Draw (multi)polygons, simplified well under a pixel, filled and outlined.

    Parameters
    ----------
    canvas : Canvas
        The picture.
    frame : MapFrame
        The map's frame.
    geoms : ndarray of shapely geometries
        The polygons, lon/lat.
    fills : list of colour or None
        One fill per polygon (None: outline only).
    outline : colour
        The outlines' colour.
    width_pt : float
        The outlines' width in points.
    """
    minx, _, maxx, _ = frame.box
    tolerance = (maxx - minx) / (frame.right - frame.left) / 3  # a third of a pixel
    simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    for geom, fill in zip(simple, fills, strict=True):
        for rings in _rings(geom):
            pixels = [frame.pixels(r) for r in rings]
            canvas.polygon(pixels, fill=fill, outline=outline, width_pt=width_pt)


def uncovered_older(audit: Audit) -> np.ndarray:
    """Return a boolean mask of the cells with uncovered older residents.

    Parameters
    ----------
    audit : Audit
        The audit (or a street's part of it).
    """
    cells = audit.cells
    return ~cells["covered"].to_numpy(dtype=bool) & (
        cells["older_residents"].to_numpy(dtype=float) > 0
    )


def dot_areas(older: np.ndarray, dot_max: float) -> np.ndarray:
    """Return the area (pt²) of the dots of cells with ``older`` uncovered older residents.

    Parameters
    ----------
    older : ndarray of float
        Uncovered older residents per cell.
    dot_max : float
        Those of the series' fullest cell: its dot has the largest area.
    """
    return DOT_MIN_PT2 + DOT_SPAN_PT2 * np.asarray(older, dtype=float) / dot_max


def dot_colour() -> tuple[int, int, int, int]:
    """Return the uncovered dots' colour: ``UNCOVERED_COLOUR`` at ``DOT_ALPHA``."""
    c = UNCOVERED_COLOUR.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), round(DOT_ALPHA * 255)


def draw_facilities(canvas: Canvas, frame: MapFrame, audit: Audit) -> list[str]:
    """Draw the facilities within the map, a marker per type (types of the vocabulary only).

    Parameters
    ----------
    canvas : Canvas
        The picture.
    frame : MapFrame
        The map's frame (facilities outside its box are not drawn).
    audit : Audit
        The audit (or a street's part of it).

    Returns
    -------
    list of str
        The facility types drawn, in the vocabulary's order.
    """
    minx, miny, maxx, maxy = frame.box
    fac = audit.facilities
    lon, lat = fac["lon"].to_numpy(dtype=float), fac["lat"].to_numpy(dtype=float)
    near = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    lon, lat = lon[near], lat[near]
    types = fac["type"].to_numpy(dtype=object)[near]
    drawn = []
    for ftype in FACILITY_TYPES:
        rows = types == ftype
        if rows.any():
            draw_markers(canvas, frame.x(lon[rows]), frame.y(lat[rows]), ftype)
            drawn.append(ftype)
    return drawn


def draw_layers(
    canvas: Canvas, frame: MapFrame, audit: Audit, code: str, *, dot_max: float
) -> np.ndarray:
    """Draw communities by S1 share, the boundary, uncovered dots and facilities.

    Parameters
    ----------
    canvas : Canvas
        The picture.
    frame : MapFrame
        The map's frame.
    audit : Audit
        The audit (or a street's part of it).
    code : str
        Street/town code.
    dot_max : float
        Uncovered older residents of the series' fullest cell: a dot's area is scaled by it,
        so dots of one size hold as many people on every map of the series.

    Returns
    -------
    ndarray of float
        The areas (pt²) of the uncovered dots drawn.
    """
    communities = audit.communities
    com = communities["street"].to_numpy(dtype=object) == code
    shares = audit.indicators["community"]["older_covered_share"].reindex(
        communities["code"].to_numpy()[com]
    )
    fills: list[Colour | None] = [share_colour(s) for s in shares.to_numpy(dtype=float)]
    geoms = communities.geometry.to_numpy()[com]
    draw_polygons(canvas, frame, geoms, fills, outline="#FFFFFF", width_pt=0.6)
    street = audit.streets.geometry.to_numpy()[audit.streets["code"].to_numpy(dtype=object) == code]
    draw_polygons(canvas, frame, street, [None] * len(street), outline="#000000", width_pt=1.6)
    cells = audit.cells
    gaps = uncovered_older(audit) & (cells["street"].to_numpy(dtype=object) == code)
    areas = dot_areas(cells["older_residents"].to_numpy(dtype=float)[gaps], dot_max)
    radii = np.sqrt(areas) / 2 * canvas.px(1.0)  # as matplotlib: s pt² is a sqrt(s) pt dot
    canvas.dots(
        frame.x(cells["lon"].to_numpy()[gaps]), frame.y(cells["lat"].to_numpy()[gaps]),
        radii, dot_colour(),
    )  # fmt: skip
    draw_facilities(canvas, frame, audit)
    return areas
