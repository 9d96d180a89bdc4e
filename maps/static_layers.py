"""The body of a static street map: communities, boundary, uncovered dots, facilities, scale bar.

Each function draws one layer of a street's part of the audit on the map axes; the legend and
the other decorations shared by every map of the series are in
:mod:`carecircle.maps.static_legend`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from carecircle.maps.style import FACILITY_COLOURS, UNCOVERED_COLOUR, share_colour
from carecircle.vocabulary import FACILITY_TYPES

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from matplotlib.axes import Axes
    from matplotlib.collections import PatchCollection

    from carecircle.analysis.audit import Audit

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

Bounds = tuple[float, float, float, float]

METRES_PER_DEG_LAT = 111_320.0
#: Dot area (pt²) of an uncovered cell: ``DOT_MIN_PT2 + DOT_SPAN_PT2 * older / series max``.
DOT_MIN_PT2 = 4.0
DOT_SPAN_PT2 = 60.0


def facility_style(ftype: str) -> tuple[str, str]:
    """Return the (colour, marker) of a facility type (grey dot for an unknown one)."""
    return FACILITY_COLOURS.get(ftype, "#777777"), FACILITY_MARKERS.get(ftype, "o")


def nice_length(span_m: float) -> float:
    """Return a round scale-bar length near a fifth of the map width (1, 2 or 5 × 10^n metres)."""
    target = max(span_m / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def scale_bar(ax: Axes, box: Bounds, lat: float) -> None:
    """Draw a round-length scale bar in the lower left of the map.

    Parameters
    ----------
    ax : Axes
        The map axes (lon/lat).
    box : tuple of float
        The map's lon/lat box (min lon, min lat, max lon, max lat).
    lat : float
        The latitude the metres are measured at (degrees).
    """
    minx, miny, maxx, maxy = box
    m_per_deg_lon = METRES_PER_DEG_LAT * math.cos(math.radians(lat))
    length_m = nice_length((maxx - minx) * m_per_deg_lon)
    x0 = minx + 0.05 * (maxx - minx)
    y0 = miny + 0.05 * (maxy - miny)
    x1 = x0 + length_m / m_per_deg_lon
    ax.plot([x0, x1], [y0, y0], color="black", linewidth=3, solid_capstyle="butt", zorder=6)
    text = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    ax.text(
        (x0 + x1) / 2, y0 + 0.015 * (maxy - miny), text, ha="center", va="bottom", zorder=6,
        bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1},
    )  # fmt: skip


def _rings(geom: shapely.Geometry) -> list[np.ndarray]:
    """Coordinate arrays of a (multi)polygon's rings, exterior first per part."""
    parts = getattr(geom, "geoms", [geom])
    return [
        np.asarray(ring.coords)[:, :2]
        for part in parts
        if isinstance(part, shapely.Polygon) and not part.is_empty
        for ring in (part.exterior, *part.interiors)
    ]


def _polygon_patches(
    geoms: np.ndarray, tolerance: float, colours: list[str], **style: Any
) -> PatchCollection:
    """One PatchCollection of the (simplified) polygons, a compound path (with holes) each."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    patches, kept = [], []
    for geom, colour in zip(simple, colours, strict=True):
        rings = _rings(geom)
        if rings:
            patches.append(PathPatch(MplPath.make_compound_path(*map(MplPath, rings))))
            kept.append(colour)
    return PatchCollection(patches, facecolors=kept, **style)


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


def draw_facilities(ax: Axes, audit: Audit, wide: Bounds) -> None:
    """Draw the facilities within ``wide``, a marker per type (types of the vocabulary only).

    Parameters
    ----------
    ax : Axes
        The map axes.
    audit : Audit
        The audit (or a street's part of it).
    wide : tuple of float
        The lon/lat box drawn.
    """
    minx, miny, maxx, maxy = wide
    fac = audit.facilities
    lon, lat = fac["lon"].to_numpy(dtype=float), fac["lat"].to_numpy(dtype=float)
    near = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    lon, lat = lon[near], lat[near]
    types = fac["type"].to_numpy(dtype=object)[near]
    for ftype in FACILITY_TYPES:
        rows = types == ftype
        if not rows.any():
            continue
        colour, marker = facility_style(ftype)
        # markers of a line (scatter's size is an area in pt²: the same marker, drawn cheaper)
        ax.plot(
            lon[rows], lat[rows], ls="", marker=marker, color=colour, markeredgecolor="white",
            markeredgewidth=0.7, markersize=math.sqrt(110 if marker == "*" else 46), zorder=5,
        )  # fmt: skip


def draw_layers(ax: Axes, audit: Audit, code: str, wide: Bounds, *, dot_max: float) -> None:
    """Draw communities by S1 share, the boundary, uncovered dots and facilities.

    Parameters
    ----------
    ax : Axes
        The map axes.
    audit : Audit
        The audit (or a street's part of it).
    code : str
        Street/town code.
    wide : tuple of float
        The lon/lat box drawn.
    dot_max : float
        Uncovered older residents of the series' fullest cell: a dot's area is scaled by it,
        so dots of one size hold as many people on every map of the series.
    """
    tolerance = (wide[2] - wide[0]) / 2000.0  # well under a pixel
    communities = audit.communities
    com = communities["street"].to_numpy(dtype=object) == code
    shares = audit.indicators["community"]["older_covered_share"].reindex(
        communities["code"].to_numpy()[com]
    )
    colours = [share_colour(s) for s in shares.to_numpy(dtype=float)]
    ax.add_collection(
        _polygon_patches(
            communities.geometry.to_numpy()[com], tolerance, colours, edgecolor="white", lw=0.6
        )
    )
    street = audit.streets.geometry.to_numpy()[audit.streets["code"].to_numpy(dtype=object) == code]
    ax.add_collection(
        _polygon_patches(street, tolerance, ["none"], edgecolor="black", lw=1.6, zorder=3)
    )
    cells = audit.cells
    gaps = uncovered_older(audit) & (cells["street"].to_numpy(dtype=object) == code)
    if gaps.any():
        older = cells["older_residents"].to_numpy(dtype=float)[gaps]
        ax.scatter(
            cells["lon"].to_numpy()[gaps], cells["lat"].to_numpy()[gaps],
            s=DOT_MIN_PT2 + DOT_SPAN_PT2 * older / dot_max, color=UNCOVERED_COLOUR, alpha=0.6,
            lw=0, zorder=4,
        )  # fmt: skip
    draw_facilities(ax, audit, wide)
