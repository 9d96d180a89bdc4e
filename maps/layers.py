"""Map layers built from audit results: units, facilities, cells, service areas, proposals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd
import shapely

from carecircle.geo.crs import wgs84_to_gcj02
from carecircle.maps.style import (
    FACILITY_COLOURS,
    SERVICE_AREA_COLOUR,
    UNCOVERED_COLOUR,
    area,
    count,
    esc,
    pct,
    share_colour,
)
from carecircle.vocabulary import FACILITY_TYPES, facility_label, kind_label, status_label

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit

Bounds = tuple[float, float, float, float]


def _round(obj: Any, ndigits: int = 5) -> Any:
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, list | tuple):
        return [_round(v, ndigits) for v in obj]
    return obj


def display(geoms: np.ndarray, datum: str, *, simplify_deg: float = 0.00003) -> np.ndarray:
    """Return geometries as drawn: simplified to the map scale, in GCJ-02 for Amap tiles."""
    geoms = shapely.simplify(np.asarray(geoms, dtype=object), simplify_deg, preserve_topology=True)
    if datum == "gcj02":
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        )
    return geoms


def point(lon: float, lat: float, datum: str) -> list[float]:
    """Return a marker location [lat, lon] in the map's datum, rounded to ~1 m."""
    if datum == "gcj02":
        glon, glat = wgs84_to_gcj02(lon, lat)
        lon, lat = float(glon), float(glat)
    return [round(lat, 6), round(lon, 6)]


def collection(geoms: np.ndarray, props: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON with coordinates rounded to 1e-5° (~1 m) to keep maps light."""
    features = []
    for geom, prop in zip(geoms, props, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        gi = shapely.geometry.mapping(geom)
        features.append(
            {
                "type": "Feature",
                "properties": prop,
                "geometry": {"type": gi["type"], "coordinates": _round(gi["coordinates"])},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def community_layer(audit: Audit, codes: list[str], datum: str) -> folium.GeoJson:
    """Communities coloured by S1 share, with every indicator and failed target in the popup."""
    com = audit.communities.set_index("code").loc[codes]
    table = audit.indicators["community"].loc[codes]
    # the failed IDs of every community failing any indicator (the under-served list)
    failed = audit.underserved.set_index("code")["failed"].reindex(table.index, fill_value="")
    props = []
    for code, row in table.iterrows():
        share = row["older_covered_share"]
        lines = [
            f"<b>{esc(row['name'])}</b> ({esc(code)}) · {esc(kind_label(row['kind']))}",
            f"老年人 older residents: {row['older_residents']:,.0f}",
            f"S1 15分钟圈覆盖率 circle share: {pct(share)} "
            f"(未覆盖 not covered {row['older_uncovered']:,.0f})",
            f"S2 每千人面积 m² per 1,000: {area(row['floor_area_per_1000'], row['residents'])}",
        ]
        for definition in audit.definitions:  # every indicator of the profile, as it shows
            status = f"{definition.prefix}status"
            if status in table.columns:
                lines.append(
                    f"{esc(definition.id)} {esc(definition.name_zh)}: "
                    f"{esc(definition.show(row[definition.prefix + 'value']))} · "
                    f"{esc(status_label(row[status]))}"
                )
        lines.append(f"<b>未达标 failed: {esc(failed[code] or '—')}</b>")
        props.append(
            {
                "fill": share_colour(share),
                "html": "<br>".join(lines),
                "label": f"{esc(row['name'])} · S1 {pct(share)}",
            }
        )
    return folium.GeoJson(
        collection(display(com.geometry.to_numpy(), datum), props),
        name="社区覆盖率 Communities by S1 share",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#555555",
            "weight": 1,
            "fillOpacity": 0.55,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        popup=folium.GeoJsonPopup(fields=["html"], labels=False),
    )


def underserved_layer(audit: Audit, codes: list[str], datum: str) -> folium.GeoJson | None:
    """Outline the listed communities that fail S1 or S2 (None when there are none).

    Every community failing any indicator is in the under-served list; the map outlines those
    whose circle (S1) or floor area (S2) falls short, so the outlines stay readable.
    """
    under = audit.underserved.set_index("code")
    keep = [
        c
        for c in codes
        if c in under.index and {"S1", "S2"} & set(str(under.loc[c, "failed"]).split())
    ]
    if not keep:
        return None
    com = audit.communities.set_index("code").loc[keep]
    props = [
        {
            "label": f"未达标 under-served #{under.loc[c, 'rank']}: {esc(under.loc[c, 'name'])}"
            f" · {esc(under.loc[c, 'failed'])}"
        }
        for c in keep
    ]
    return folium.GeoJson(
        collection(display(com.geometry.to_numpy(), datum), props),
        name="未达标社区 Under-served communities",
        style_function=lambda f: {
            "fill": False,
            "color": "#D7191C",
            "weight": 3,
            "dashArray": "6 4",
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


def _facilities_near(audit: Audit, bounds: Bounds) -> pd.DataFrame:
    """Facilities inside ``bounds`` (lon/lat, WGS84)."""
    minx, miny, maxx, maxy = bounds
    fac = audit.facilities
    return fac[
        (fac["lon"] >= minx) & (fac["lon"] <= maxx) & (fac["lat"] >= miny) & (fac["lat"] <= maxy)
    ]


def facility_types_near(audit: Audit, bounds: Bounds) -> list[str]:
    """Facility types drawn by :func:`facility_layers` for ``bounds``, in vocabulary order."""
    present = set(_facilities_near(audit, bounds)["type"])
    return [ftype for ftype in FACILITY_TYPES if ftype in present]


def facility_layers(audit: Audit, bounds: Bounds, datum: str) -> list[folium.FeatureGroup]:
    """One toggleable group of markers per facility type present near the street."""
    near = _facilities_near(audit, bounds)
    groups = []
    for ftype in FACILITY_TYPES:
        rows = near[near["type"] == ftype]
        if rows.empty:
            continue
        zh, en = FACILITY_TYPES[ftype]
        group = folium.FeatureGroup(name=f"设施 {zh} {en} ({len(rows)})")
        for r in rows.itertuples(index=False):
            popup = (
                f"<b>{esc(r.name)}</b><br>{esc(facility_label(r.type))}<br>"
                f"面积 floor area: {count(r.floor_area_m2, 'm²')}<br>床位 beds: "
                f"{count(r.beds)} (护理型 nursing {count(r.nursing_beds)})<br>"
                f"id: {esc(r.id)}"
            )
            folium.CircleMarker(
                location=point(r.lon, r.lat, datum),
                radius=6,
                color="#222222",
                weight=1,
                fill=True,
                fill_color=FACILITY_COLOURS.get(ftype, "#777777"),
                fill_opacity=0.95,
                popup=folium.Popup(popup, max_width=300),
                tooltip=esc(r.name),
            ).add_to(group)
        groups.append(group)
    return groups


def uncovered_layer(audit: Audit, street: str, datum: str) -> folium.GeoJson | None:
    """Cells of the street whose older residents are outside the circle (None if none)."""
    cells = audit.cells
    mask = (
        (cells["street"] == street) & ~cells["covered"] & (cells["older_residents"] > 0)
    ).to_numpy()
    if not mask.any():
        return None
    rows = cells[mask]
    props = [
        {
            "label": f"未覆盖老年人 older not covered: {o:,.0f}"
            + ("" if pd.isna(d) else f" · 步行 walk {d:,.0f} m")
        }
        for o, d in zip(rows["older_residents"], rows["distance_m"], strict=True)
    ]
    return folium.GeoJson(
        collection(display(audit.cell_squares[mask], datum, simplify_deg=0.0), props),
        name="未覆盖老年人 Uncovered older residents",
        style_function=lambda f: {
            "fillColor": UNCOVERED_COLOUR,
            "color": UNCOVERED_COLOUR,
            "weight": 0,
            "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


def service_area_layers(audit: Audit, bounds: Bounds, datum: str) -> list[folium.GeoJson]:
    """Return the circle's service area (shown) and one per facility type (hidden)."""
    clip = shapely.box(*bounds)
    layers = []
    for row in audit.service_areas.itertuples(index=False):
        geom = shapely.intersection(row.geometry, clip)
        if shapely.is_empty(geom):
            continue
        label = (
            "15分钟圈服务范围 circle service area"
            if row.group == "circle"
            else f"服务范围 service area: {facility_label(row.group)}"
        )
        name = f"{label} ({row.minutes:g} min)"
        layers.append(
            folium.GeoJson(
                collection(display(np.array([geom]), datum), [{"label": esc(name)}]),
                name=name,
                show=row.group == "circle",
                style_function=lambda f: {
                    "fillColor": SERVICE_AREA_COLOUR,
                    "color": SERVICE_AREA_COLOUR,
                    "weight": 0.5,
                    "fillOpacity": 0.18,
                },
                tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            )
        )
    return layers


def proposal_layer(proposals: pd.DataFrame, bounds: Bounds, datum: str) -> folium.FeatureGroup:
    """Proposed sites of a siting run, as gold stars."""
    minx, miny, maxx, maxy = bounds
    near = proposals[
        (proposals["lon"] >= minx)
        & (proposals["lon"] <= maxx)
        & (proposals["lat"] >= miny)
        & (proposals["lat"] <= maxy)
    ]
    group = folium.FeatureGroup(name="规划新增 Proposed sites")
    for r in near.itertuples(index=False):
        popup = (
            f"<b>规划新增 Proposed {esc(r.id)}</b> · 排序 rank {r.rank}<br>"
            f"{esc(facility_label(r.type))}<br>"
            f"新增覆盖老年人 newly covered older: {r.marginal_gain:,.0f}"
        )
        folium.Marker(
            location=point(r.lon, r.lat, datum),
            icon=folium.DivIcon(
                html='<div class="cc-star">★</div>', icon_size=(22, 22), icon_anchor=(11, 11)
            ),
            popup=folium.Popup(popup, max_width=300),
            tooltip=f"规划新增 proposed {esc(r.id)}",
        ).add_to(group)
    return group
