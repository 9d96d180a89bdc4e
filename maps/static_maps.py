"""Static street maps (matplotlib PNG, no internet, no tiles) for the report and for slides.

Each street/town gets ``maps/png/<stem>.png`` (the stem of its HTML map, see
:func:`carecircle.maps.style.map_file_stems`): communities coloured by S1 share, uncovered
older residents as dots sized by count, facilities by type, the street boundary, a scale bar,
a north arrow, a legend and the data date. They draw results and compute nothing.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import shapely
from tqdm import tqdm

from carecircle.files import inside
from carecircle.maps.fonts import cjk_family
from carecircle.maps.png import agg_figure, write_png
from carecircle.maps.style import (
    FACILITY_COLOURS,
    UNCOVERED_COLOUR,
    map_file_stems,
    pct,
    share_colour,
)
from carecircle.vocabulary import FACILITY_TYPES

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from matplotlib.axes import Axes
    from matplotlib.collections import PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

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
FIGSIZE_IN = (8.5, 6.0)
DPI = 110


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


def _label(zh: str, en: str, cjk: bool) -> str:
    return f"{zh} {en}" if cjk else en


def _nice_length(span_m: float) -> float:
    """Return a round scale-bar length near a fifth of the map width (1, 2 or 5 × 10^n metres)."""
    target = max(span_m / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def _scale_bar(ax: Axes, box: tuple[float, float, float, float], lat: float) -> None:
    minx, miny, maxx, maxy = box
    m_per_deg_lon = METRES_PER_DEG_LAT * math.cos(math.radians(lat))
    length_m = _nice_length((maxx - minx) * m_per_deg_lon)
    x0 = minx + 0.05 * (maxx - minx)
    y0 = miny + 0.05 * (maxy - miny)
    x1 = x0 + length_m / m_per_deg_lon
    ax.plot([x0, x1], [y0, y0], color="black", linewidth=3, solid_capstyle="butt", zorder=6)
    text = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    ax.text(
        (x0 + x1) / 2, y0 + 0.015 * (maxy - miny), text, ha="center", va="bottom", zorder=6,
        bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1},
    )  # fmt: skip


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.85),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1},
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 11, "headlength": 10},
        zorder=7,
    )


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


def _legend_handles(
    kinds: list[tuple[str, str, str, str]], gaps_label: str | None, cjk: bool
) -> list:
    """Legend entries: the S1 scale, the uncovered dots (if any), each facility type drawn.

    ``kinds`` holds (label, marker, colour, type) of the facility types on the map.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list = [
        Patch(facecolor=share_colour(s), label=f"S1 {s:.0%}") for s in (0.0, 0.5, 1.0)
    ] + [Patch(facecolor=share_colour(float("nan")), label=_label("无人口", "no residents", cjk))]
    if gaps_label is not None:
        handles.append(
            Line2D([], [], ls="", marker="o", color=UNCOVERED_COLOUR, alpha=0.6, label=gaps_label)
        )
    for label, marker, colour, _ in kinds:
        handles.append(
            Line2D(
                [], [], ls="", marker=marker, color=colour, markeredgecolor="white",
                markersize=11 if marker == "*" else 7, label=label,
            )
        )  # fmt: skip
    return handles


def _draw_facilities(ax: Axes, audit: Audit, wide: Bounds, cjk: bool) -> list:
    """Draw the facilities within ``wide`` (a marker per type); return (label, marker, …)."""
    minx, miny, maxx, maxy = wide
    fac = audit.facilities
    lon, lat = fac["lon"].to_numpy(dtype=float), fac["lat"].to_numpy(dtype=float)
    types = fac["type"].to_numpy(dtype=object)
    near = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    kinds = []
    for ftype, (zh, en) in FACILITY_TYPES.items():
        rows = near & (types == ftype)
        if not rows.any():
            continue
        colour, marker = FACILITY_COLOURS.get(ftype, "#777777"), FACILITY_MARKERS.get(ftype, "o")
        # markers of a line (scatter's size is an area in pt²: the same marker, drawn cheaper)
        ax.plot(
            lon[rows], lat[rows], ls="", marker=marker, color=colour, markeredgecolor="white",
            markeredgewidth=0.7, markersize=math.sqrt(110 if marker == "*" else 46), zorder=5,
        )  # fmt: skip
        kinds.append((_label(zh, en, cjk), marker, colour, ftype))
    return kinds


def _draw_layers(ax: Axes, audit: Audit, code: str, wide: Bounds, cjk: bool) -> list:
    """Draw communities, boundary, uncovered dots and facilities; return legend handles."""
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
    older = cells["older_residents"].to_numpy(dtype=float)
    gaps = (
        (cells["street"].to_numpy(dtype=object) == code)
        & ~cells["covered"].to_numpy(dtype=bool)
        & (older > 0)
    )
    gaps_label = None
    if gaps.any():
        older = older[gaps]
        ax.scatter(
            cells["lon"].to_numpy()[gaps], cells["lat"].to_numpy()[gaps],
            s=4.0 + 60.0 * older / older.max(), color=UNCOVERED_COLOUR, alpha=0.6, lw=0, zorder=4,
        )  # fmt: skip
        gaps_label = _label("未覆盖老年人", f"uncovered older (max {older.max():,.0f}/cell)", cjk)
    kinds = _draw_facilities(ax, audit, wide, cjk)
    return _legend_handles(kinds, gaps_label, cjk)


#: Label of the axes of a static map (a figure holding one is reused street after street).
MAP_AXES = "carecircle street map"


def _map_axes(fig: Figure) -> Axes:
    """Return the map axes of ``fig``, emptied, or new ones on the cleared figure.

    Axes are costly to make (axis, ticks, spines): a job's figure keeps its one map axes and
    only the previous street's drawing is removed.
    """
    if len(fig.axes) == 1 and fig.axes[0].get_label() == MAP_AXES:
        ax = fig.axes[0]
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        for artist in [*ax.collections, *ax.lines, *ax.patches, *ax.texts, *ax.images]:
            artist.remove()
        return ax
    fig.clear()
    ax = fig.add_axes((0.01, 0.02, 0.6, 0.9), label=MAP_AXES)
    ax.set_anchor("NE")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def street_png(audit: Audit, code: str, path: Path, *, fig: Figure | None = None) -> Path:
    """Draw the static map of one street/town and write it as a PNG.

    Parameters
    ----------
    audit : Audit
        The audit results (or a street's part of them, :func:`street_part`).
    code : str
        Street/town code.
    path : Path
        The PNG to write.
    fig : Figure, optional
        A figure to draw on (cleared first), best from :func:`carecircle.maps.png.agg_figure`:
        drawing street after street on one canvas keeps its renderer and so matplotlib's
        cache of text sizes (the legend's CJK labels).

    Returns
    -------
    Path
        ``path``.
    """
    street = audit.streets.set_index("code").loc[code]
    box = _png_box(audit, code)
    lat = (box[1] + box[3]) / 2
    with font_context() as cjk:
        fig = agg_figure(*FIGSIZE_IN, DPI) if fig is None else fig
        ax = _map_axes(fig)
        handles = _draw_layers(ax, audit, code, box, cjk)
        ax.set_xlim(box[0], box[2])
        ax.set_ylim(box[1], box[3])
        ax.set_aspect(1.0 / math.cos(math.radians(lat)))
        _scale_bar(ax, box, lat)
        _north_arrow(ax)
        share = audit.indicators["street"].loc[code, "older_covered_share"]
        name = street["name"] if cjk else code
        ax.set_title(f"{name} ({code}) · S1 {pct(cast(float, share))}", fontsize=11)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
        date = audit.study.data_date or "—"
        ax.text(
            0.99, 0.01, f"{_label('数据日期', 'data date', cjk)} {date}",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.7, "lw": 0},
        )  # fmt: skip
        # a fixed frame (no bbox_inches="tight", which draws every figure twice)
        return write_png(fig, path)


def _png_box(audit: Audit, code: str) -> Bounds:
    """Return the lon/lat box of a street's PNG: the street and 6 % of its size around."""
    from carecircle.maps.street_jobs import street_box  # (imports the HTML layers: folium)

    (sminx, sminy, smaxx, smaxy), _ = street_box(audit, code)
    pad = 0.06 * max(smaxx - sminx, smaxy - sminy, 1e-4)
    return (sminx - pad, sminy - pad, smaxx + pad, smaxy + pad)


@dataclass(frozen=True)
class PngJob:
    """Some streets' static maps, drawn one after another on one figure."""

    parts: tuple[tuple[Audit, str, Path], ...]


def _png_jobs(audit: Audit, paths: dict[str, Path], per_job: int) -> Iterator[PngJob]:
    """Yield the jobs of ``per_job`` streets each, with each street's part of the audit."""
    from carecircle.maps.street_jobs import street_part

    rows = audit.cells.groupby("street", sort=False).indices
    empty = np.empty(0, dtype=np.int64)
    codes = list(paths)
    for start in range(0, len(codes), per_job):
        parts = []
        for code in codes[start : start + per_job]:
            box = _png_box(audit, code)
            part = street_part(
                audit, code, np.asarray(rows.get(code, empty)), box=box, service_areas=False
            )
            parts.append((part, code, paths[code]))
        yield PngJob(tuple(parts))


def _draw_job(job: PngJob) -> list[Path]:
    """Draw one job's streets on one figure (in a worker process or in this one)."""
    fig = agg_figure(*FIGSIZE_IN, DPI)  # one canvas: text sizes measured once per job
    return [street_png(part, code, path, fig=fig) for part, code, path in job.parts]


def _load_fonts() -> None:
    """Register the CJK font and open it, so forked workers start with it loaded."""
    from matplotlib.font_manager import FontProperties

    with font_context():
        renderer = agg_figure(1.0, 1.0, DPI).canvas.get_renderer()  # type: ignore[attr-defined]
        renderer.get_text_width_height_descent("街道 street", FontProperties(size=7), False)


#: Streets drawn by one job: enough to reuse a figure, few enough to share out over a pool.
STREETS_PER_JOB = 5


def render_static_maps(
    audit: Audit, out_dir: Path, *, progress: bool = False, workers: int | None = None
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
        Worker processes; by default 2 from 8 streets on (1: none). The PNGs are the same,
        byte for byte, whatever the number.

    Returns
    -------
    dict of str to Path
        Street code -> its PNG, in the order of the streets table.
    """
    from carecircle.maps.street_jobs import pool_size, run_jobs

    out_dir.mkdir(parents=True, exist_ok=True)
    stems = map_file_stems(list(audit.streets["code"]))
    paths = {code: inside(out_dir, out_dir / f"{stem}.png") for code, stem in stems.items()}
    bar = tqdm(
        total=len(paths),
        desc="png maps 静态图",
        unit="street",
        leave=False,
        disable=None if progress else True,
    )
    _load_fonts()  # once here, not once per worker process
    with bar:
        run_jobs(
            _png_jobs(audit, paths, STREETS_PER_JOB),
            _draw_job,
            workers=pool_size(workers, len(paths)),
            on_done=lambda job: bar.update(len(job.parts)),
        )
    return paths
