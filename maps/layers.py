"""Area layers of the street maps: communities, under-served, uncovered, service areas.

Each is a :class:`~carecircle.maps.geojson.GeoJsonSpec`, drawn in either datum. Point layers
(facilities, proposals) are in :mod:`carecircle.maps.markers`, the score layers in
:mod:`carecircle.maps.score_layers`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from carecircle.maps.geojson import GeoJsonSpec, geojson_spec
from carecircle.maps.patches import uncovered_patches
from carecircle.maps.style import (
    SERVICE_AREA_COLOUR,
    UNCOVERED_COLOUR,
    area,
    esc,
    pct,
    share_colour,
)
from carecircle.vocabulary import facility_label, kind_label, status_label

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit

Bounds = tuple[float, float, float, float]


def _geometries(frame: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """Return the geometries of the rows of ``frame`` whose ``code`` is in ``codes``, in order."""
    where = pd.Index(frame["code"]).get_indexer(pd.Index(codes))
    if (where < 0).any():
        missing = [c for c, w in zip(codes, where, strict=True) if w < 0]
        raise KeyError(f"communities without a boundary on the map: {missing[:5]}")
    return frame.geometry.to_numpy()[where]


def _rows(table: pd.DataFrame, codes: list[str]) -> Callable[[str], list[Any]]:
    """Return a reader of the values of ``codes`` (index labels) in a column of ``table``."""
    where = table.index.get_indexer(pd.Index(codes))
    if (where < 0).any():
        missing = [c for c, w in zip(codes, where, strict=True) if w < 0]
        raise KeyError(f"communities missing from the indicator table: {missing[:5]}")
    return lambda column: table[column].to_numpy()[where].tolist()


def _indicator_lines(
    audit: Audit, table: pd.DataFrame, column: Callable[[str], list[Any]]
) -> list[list[str]]:
    """Return each community's popup lines of every indicator of the profile, as shown."""
    lines: list[list[str]] | None = None
    for definition in audit.definitions:  # every indicator of the profile, as it shows
        status = f"{definition.prefix}status"
        if status not in table.columns:
            continue
        head = f"{esc(definition.id)} {esc(definition.name_zh)}: "
        values, states = column(f"{definition.prefix}value"), column(status)
        lines = lines or [[] for _ in values]
        for out, value, state in zip(lines, values, states, strict=True):
            out.append(f"{head}{esc(definition.show(value))} · {esc(status_label(state))}")
    return lines or []


#: The community table's columns a popup shows besides the indicators.
_POPUP_COLUMNS = (
    "name",
    "kind",
    "older_residents",
    "older_covered_share",
    "older_uncovered",
    "floor_area_per_1000",
    "residents",
)


def community_spec(audit: Audit, codes: list[str]) -> GeoJsonSpec | None:
    """Communities coloured by S1 share, with every indicator and failed target in the popup.

    None when the street has no community.

    Parameters
    ----------
    audit : Audit
        The audit's results (communities, their indicators, the under-served list).
    codes : list of str
        The community codes drawn (a street's communities).
    """
    if not codes:
        return None
    table = audit.indicators["community"]
    column = _rows(table, codes)
    # the failed IDs of every community failing any indicator (the under-served list)
    failed = dict(zip(audit.underserved["code"], audit.underserved["failed"], strict=True))
    values = {name: column(name) for name in _POPUP_COLUMNS}
    rows = [dict(zip(values, row, strict=True)) for row in zip(*values.values(), strict=True)]
    lines_of = _indicator_lines(audit, table, column) or [[] for _ in codes]
    props = []
    for code, row, indicators in zip(codes, rows, lines_of, strict=True):
        share = row["older_covered_share"]
        lines = [
            f"<b>{esc(row['name'])}</b> ({esc(code)}) · {esc(kind_label(row['kind']))}",
            f"老年人 older residents: {row['older_residents']:,.0f}",
            f"S1 15分钟圈覆盖率 circle share: {pct(share)} "
            f"(未覆盖 not covered {row['older_uncovered']:,.0f})",
            f"S2 每千人面积 m² per 1,000: {area(row['floor_area_per_1000'], row['residents'])}",
            *indicators,
            f"<b>未达标 failed: {esc(failed.get(code, '') or '—')}</b>",
        ]
        props.append(
            {
                "fill": share_colour(share),
                "html": "<br>".join(lines),
                "label": f"{esc(row['name'])} · S1 {pct(share)}",
            }
        )
    return geojson_spec(
        _geometries(audit.communities, codes),
        props,
        name="社区覆盖率 Communities by S1 share",
        style={
            "color": "#555555",
            "weight": 1,
            "fillOpacity": 0.55,
        },
        tooltip=True,
        popup=True,
    )


def underserved_spec(audit: Audit, codes: list[str]) -> GeoJsonSpec | None:
    """Outline the listed communities that fail S1 or S2 (None when there are none).

    Every community failing any indicator is in the under-served list; the map outlines those
    whose circle (S1) or floor area (S2) falls short, so the outlines stay readable.

    Parameters
    ----------
    audit : Audit
        The audit's results (communities and the under-served list).
    codes : list of str
        The community codes of the map; those under-served on S1 or S2 are outlined.
    """
    under = {
        row["code"]: row
        for row in audit.underserved[["code", "rank", "name", "failed"]].to_dict("records")
    }
    keep = [c for c in codes if c in under and {"S1", "S2"} & set(str(under[c]["failed"]).split())]
    if not keep:
        return None
    props = [
        {
            "label": f"未达标 under-served #{under[c]['rank']}: {esc(under[c]['name'])}"
            f" · {esc(under[c]['failed'])}"
        }
        for c in keep
    ]
    return geojson_spec(
        _geometries(audit.communities, keep),
        props,
        name="未达标社区 Under-served communities",
        style={
            "fill": False,
            "color": "#D7191C",
            "weight": 3,
            "dashArray": "6 4",
        },
        tooltip=True,
    )


def uncovered_spec(audit: Audit, street: str) -> GeoJsonSpec | None:
    """Cells of the street whose older residents are outside the circle, merged into patches.

    Neighbouring cells form one patch (the union of their squares), whose tooltip gives the
    patch's uncovered older residents, cells and walking distances. None when there are none.

    Parameters
    ----------
    audit : Audit
        The audit's results (cells, their squares and coverage).
    street : str
        The street's code: its uncovered cells with older residents are drawn as patches.
    """
    cells = audit.cells
    mask = (
        (cells["street"] == street) & ~cells["covered"] & (cells["older_residents"] > 0)
    ).to_numpy()
    if not mask.any():
        return None
    patches = uncovered_patches(cells[mask], audit.cell_squares[mask], audit.cell_crs)
    props = [
        {
            "label": f"未覆盖老年人 older not covered: {o:,.0f} · {n:,} 格 cells"
            + _walk_range(lo, hi)
        }
        for o, n, lo, hi in zip(
            patches.older.tolist(),
            patches.cells.tolist(),
            patches.walk_min.tolist(),
            patches.walk_max.tolist(),
            strict=True,
        )
    ]
    return geojson_spec(
        patches.geometry,
        props,
        simplify_deg=0.0,
        name="未覆盖老年人 Uncovered older residents",
        style={
            "fillColor": UNCOVERED_COLOUR,
            "color": UNCOVERED_COLOUR,
            "weight": 0,
            "fillOpacity": 0.45,
        },
        tooltip=True,
    )


def _walk_range(shortest: float, longest: float) -> str:
    """Tooltip text of a patch's walking distances ('' when no cell reaches a facility)."""
    if pd.isna(shortest):
        return " · 步行不可达 no walk within the limit"
    if round(shortest) == round(longest):
        return f" · 步行 walk {shortest:,.0f} m"
    return f" · 步行 walk {shortest:,.0f}–{longest:,.0f} m"


def service_area_specs(audit: Audit, bounds: Bounds) -> list[GeoJsonSpec]:
    """Return the circle's service area (shown) and one per facility type (hidden).

    The areas come as pieces (one set per tile); the pieces near ``bounds`` are cut to it.

    Parameters
    ----------
    audit : Audit
        The audit's results (service areas per facility group).
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` in lon/lat (WGS84): the service areas are clipped to it.
    """
    areas = audit.service_areas
    geoms = areas.geometry.to_numpy()
    if _within(geoms, bounds):  # a street's part (street_part): cut to this box already
        near, clipped = np.arange(len(geoms)), geoms
    else:
        near = np.sort(areas.sindex.query(shapely.box(*bounds)))
        clipped = shapely.clip_by_rect(geoms[near], *bounds)
    groups = areas["group"].to_numpy()[near]
    minutes_of = areas["minutes"].to_numpy()[near]
    shown = ~shapely.is_empty(clipped)
    layers = []
    for group in dict.fromkeys(areas["group"]):
        keep = (groups == group) & shown
        if not keep.any():
            continue
        minutes = float(minutes_of[keep][0])
        label = (
            "15分钟圈服务范围 circle service area"
            if group == "circle"
            else f"服务范围 service area: {facility_label(group)}"
        )
        name = f"{label} ({minutes:g} min)"
        props: list[dict[str, Any]] = [{"label": esc(name)}] * int(keep.sum())
        layers.append(
            geojson_spec(
                clipped[keep],
                props,
                simplify_deg=0.0,
                name=name,
                show=group == "circle",
                # no outline: the pieces meet at tile edges, where a stroke would show seams
                style={"fillColor": SERVICE_AREA_COLOUR, "weight": 0, "fillOpacity": 0.18},
                tooltip=True,
            )
        )
    return layers


def _within(geoms: np.ndarray, bounds: Bounds) -> bool:
    """Return True when every geometry's box lies within ``bounds`` (none empty).

    Cutting such geometries to ``bounds`` would give them back as they are (GEOS returns a
    copy of a geometry its rectangle covers), so the search and the cut can be skipped.
    """
    box = shapely.bounds(geoms)
    minx, miny, maxx, maxy = bounds
    return bool(
        len(geoms)
        and (box[:, 0] >= minx).all()
        and (box[:, 1] >= miny).all()
        and (box[:, 2] <= maxx).all()
        and (box[:, 3] <= maxy).all()
    )
