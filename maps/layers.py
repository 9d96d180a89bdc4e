"""Map layers built from audit results: units, facilities, cells, service areas, proposals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import folium
import numpy as np
import pandas as pd
import shapely

from carecircle.geo.crs import wgs84_to_gcj02
from carecircle.maps.elements import GeoJsonLayer, JsonText, MarkerSet, script_json
from carecircle.maps.patches import uncovered_patches
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


def display(geoms: np.ndarray, datum: str, *, simplify_deg: float = 0.00003) -> np.ndarray:
    """Return geometries as drawn: simplified to the map scale, in GCJ-02 for Amap tiles.

    Parameters
    ----------
    geoms : np.ndarray
        Shapely geometries (EPSG:4326).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    simplify_deg : float, default 3e-05
        Simplification tolerance (degrees).
    """
    geoms = np.asarray(geoms, dtype=object)
    if simplify_deg > 0:
        geoms = shapely.simplify(geoms, simplify_deg, preserve_topology=True)
    if datum == "gcj02":
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        )
    return geoms


def point(lon: float, lat: float, datum: str) -> list[float]:
    """Return a marker location [lat, lon] in the map's datum, rounded to ~1 m.

    Parameters
    ----------
    lon : float
        Longitude (degrees).
    lat : float
        Latitude (degrees).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    if datum == "gcj02":
        glon, glat = wgs84_to_gcj02(lon, lat)
        lon, lat = float(glon), float(glat)
    return [round(lat, 6), round(lon, 6)]


def points(lon: np.ndarray, lat: np.ndarray, datum: str) -> tuple[list[float], list[float]]:
    """Return marker locations (lat, lon lists) in the map's datum, rounded to ~1 m.

    Parameters
    ----------
    lon : np.ndarray
        Longitude (degrees).
    lat : np.ndarray
        Latitude (degrees).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    if datum == "gcj02" and len(lon):
        lon, lat = wgs84_to_gcj02(lon, lat)
    return np.round(lat, 6).tolist(), np.round(lon, 6).tolist()


def collection(geoms: np.ndarray, props: list[dict[str, Any]]) -> JsonText:
    """GeoJSON text with coordinates rounded to 1e-5° (~1 m) to keep maps light.

    Written as text straight from GEOS (``shapely.to_geojson``): parsing and re-encoding
    the coordinates in Python costs seconds on a city's street map.

    Parameters
    ----------
    geoms : np.ndarray
        Shapely geometries (EPSG:4326).
    props : list[dict[str, Any]]
        Properties of each feature.
    """
    geoms = np.asarray(geoms, dtype=object)
    keep = np.array([g is not None for g in geoms], dtype=bool)
    keep[keep] = ~shapely.is_empty(geoms[keep].astype(object))
    rounded = shapely.transform(geoms[keep], lambda xy: np.round(xy, 5))
    texts = shapely.to_geojson(rounded) if rounded.size else []
    kept_props = [p for p, k in zip(props, keep, strict=True) if k]
    features = ",".join(
        f'{{"type":"Feature","properties":{script_json(prop)},"geometry":{text}}}'
        for prop, text in zip(kept_props, texts, strict=True)
    )
    return JsonText(f'{{"type":"FeatureCollection","features":[{features}]}}')


@dataclass(frozen=True)
class GeoJsonSpec:
    """A GeoJSON layer before its datum is chosen: shapes as drawn (WGS84), properties, options.

    A street's two maps (WGS84 and GCJ-02) share the spec; only the coordinates differ.
    """

    geoms: np.ndarray
    props: list[dict[str, Any]]
    options: dict[str, Any]

    def layer(self, datum: str) -> GeoJsonLayer:
        """Return the layer with its shapes in ``datum``."""
        return GeoJsonLayer(
            collection(display(self.geoms, datum, simplify_deg=0.0), self.props), **self.options
        )


def geojson_spec(
    geoms: np.ndarray,
    props: list[dict[str, Any]],
    *,
    simplify_deg: float = 0.00003,
    **options: Any,
) -> GeoJsonSpec:
    """Return the spec of a layer: ``geoms`` (WGS84) simplified once, as :func:`display` does.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        The layer's shapes, WGS84.
    props : list of dict
        One per shape: the GeoJSON properties (``label``, and ``html``, ``fill`` where the
        layer shows them).
    simplify_deg : float, default 0.00003
        Simplification tolerance (degrees), applied once here; 0 keeps the shapes as given.
    **options
        Passed to :class:`GeoJsonLayer` (``name``, ``style``, ``tooltip``, ``popup``, ``show``).
    """
    return GeoJsonSpec(display(geoms, "wgs84", simplify_deg=simplify_deg), props, options)


@dataclass(frozen=True)
class MarkerSpec:
    """A layer of markers before its datum is chosen (WGS84 positions, escaped HTML)."""

    lon: np.ndarray
    lat: np.ndarray
    popups: list[str]
    tooltips: list[str]
    name: str
    fill_colour: str

    def layer(self, datum: str) -> MarkerSet:
        """Return the markers placed in ``datum``."""
        lat, lon = points(self.lon, self.lat, datum)
        rows = [
            [la, lo, pop, tip]
            for la, lo, pop, tip in zip(lat, lon, self.popups, self.tooltips, strict=True)
        ]
        return MarkerSet(rows, name=self.name, fill_colour=self.fill_colour)


def community_layer(audit: Audit, codes: list[str], datum: str) -> GeoJsonLayer | None:
    """Communities coloured by S1 share, with every indicator and failed target in the popup.

    None when the street has no community (folium cannot attach a tooltip to no feature).

    Parameters
    ----------
    audit : Audit
        The audit's results.
    codes : list[str]
        The codes to draw.
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    spec = community_spec(audit, codes)
    return None if spec is None else spec.layer(datum)


def community_spec(audit: Audit, codes: list[str]) -> GeoJsonSpec | None:
    """Return the spec of :func:`community_layer` (None when there is no community).

    Parameters
    ----------
    audit : Audit
        The audit's results (communities, their indicators, the under-served list).
    codes : list of str
        The community codes drawn (a street's communities).
    """
    if not codes:
        return None
    com = audit.communities.set_index("code").loc[codes]
    table = audit.indicators["community"].loc[codes]
    # the failed IDs of every community failing any indicator (the under-served list)
    failed = audit.underserved.set_index("code")["failed"].reindex(table.index, fill_value="")
    props = []
    for code, row in table.to_dict("index").items():
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
        lines.append(f"<b>未达标 failed: {esc(failed[cast(str, code)] or '—')}</b>")
        props.append(
            {
                "fill": share_colour(share),
                "html": "<br>".join(lines),
                "label": f"{esc(row['name'])} · S1 {pct(share)}",
            }
        )
    return geojson_spec(
        com.geometry.to_numpy(),
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


def underserved_layer(audit: Audit, codes: list[str], datum: str) -> GeoJsonLayer | None:
    """Outline the listed communities that fail S1 or S2 (None when there are none).

    Every community failing any indicator is in the under-served list; the map outlines those
    whose circle (S1) or floor area (S2) falls short, so the outlines stay readable.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    codes : list[str]
        The codes to draw.
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    spec = underserved_spec(audit, codes)
    return None if spec is None else spec.layer(datum)


def underserved_spec(audit: Audit, codes: list[str]) -> GeoJsonSpec | None:
    """Return the spec of :func:`underserved_layer` (None when no community is outlined).

    Parameters
    ----------
    audit : Audit
        The audit's results (communities and the under-served list).
    codes : list of str
        The community codes of the map; those under-served on S1 or S2 are outlined.
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
            "label": f"未达标 under-served #{cast(int, under.loc[c, 'rank'])}: "
            f"{esc(under.loc[c, 'name'])}"
            f" · {esc(under.loc[c, 'failed'])}"
        }
        for c in keep
    ]
    return geojson_spec(
        com.geometry.to_numpy(),
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


def _facilities_near(audit: Audit, bounds: Bounds) -> pd.DataFrame:
    """Facilities inside ``bounds`` (lon/lat, WGS84)."""
    minx, miny, maxx, maxy = bounds
    fac = audit.facilities
    lon, lat = fac["lon"].to_numpy(), fac["lat"].to_numpy()
    inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    return fac.loc[inside, ["id", "name", "type", "lon", "lat", *_FACILITY_NUMBERS]]


_FACILITY_NUMBERS = ("floor_area_m2", "beds", "nursing_beds")


def facility_types_near(audit: Audit, bounds: Bounds) -> list[str]:
    """Facility types drawn by :func:`facility_layers` for ``bounds``, in vocabulary order.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    bounds : Bounds
        West, south, east, north (degrees).
    """
    present = set(_facilities_near(audit, bounds)["type"])
    return [ftype for ftype in FACILITY_TYPES if ftype in present]


def facility_layers(audit: Audit, bounds: Bounds, datum: str) -> list[MarkerSet]:
    """One toggleable layer of markers per facility type present near the street.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    bounds : Bounds
        West, south, east, north (degrees).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    return [spec.layer(datum) for spec in facility_specs(audit, bounds)]


def facility_specs(audit: Audit, bounds: Bounds) -> list[MarkerSpec]:
    """Return the specs of :func:`facility_layers`.

    Parameters
    ----------
    audit : Audit
        The audit's results (facilities with their numbers).
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` in lon/lat (WGS84): the facilities inside are drawn.
    """
    near = _facilities_near(audit, bounds)
    groups = []
    for ftype in FACILITY_TYPES:
        rows = near[near["type"] == ftype]
        if rows.empty:
            continue
        zh, en = FACILITY_TYPES[ftype]
        kind = esc(facility_label(ftype))
        names = rows["name"].tolist()
        popups = [
            f"<b>{esc(name)}</b><br>{kind}<br>"
            f"面积 floor area: {count(floor, 'm²')}<br>床位 beds: "
            f"{count(beds)} (护理型 nursing {count(nursing)})<br>"
            f"id: {esc(fid)}"
            for name, fid, floor, beds, nursing in zip(
                names,
                rows["id"].tolist(),
                *(rows[c].tolist() for c in _FACILITY_NUMBERS),
                strict=True,
            )
        ]
        groups.append(
            MarkerSpec(
                rows["lon"].to_numpy(),
                rows["lat"].to_numpy(),
                popups,
                [esc(name) for name in names],
                name=f"设施 {zh} {en} ({len(rows)})",
                fill_colour=FACILITY_COLOURS.get(ftype, "#777777"),
            )
        )
    return groups


def uncovered_layer(audit: Audit, street: str, datum: str) -> GeoJsonLayer | None:
    """Cells of the street whose older residents are outside the circle, merged into patches.

    Neighbouring cells form one patch (the union of their squares), whose tooltip gives the
    patch's uncovered older residents, cells and walking distances. None when there are none.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    street : str
        The street's code.
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    spec = uncovered_spec(audit, street)
    return None if spec is None else spec.layer(datum)


def uncovered_spec(audit: Audit, street: str) -> GeoJsonSpec | None:
    """Return the spec of :func:`uncovered_layer` (None when no cell is drawn).

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
            patches.older, patches.cells, patches.walk_min, patches.walk_max, strict=True
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


def service_area_layers(audit: Audit, bounds: Bounds, datum: str) -> list[GeoJsonLayer]:
    """Return the circle's service area (shown) and one per facility type (hidden).

    The areas come as pieces (one set per tile); the pieces near ``bounds`` are cut to it.

    Parameters
    ----------
    audit : Audit
        The audit's results.
    bounds : Bounds
        West, south, east, north (degrees).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
    return [spec.layer(datum) for spec in service_area_specs(audit, bounds)]


def service_area_specs(audit: Audit, bounds: Bounds) -> list[GeoJsonSpec]:
    """Return the specs of :func:`service_area_layers`.

    Parameters
    ----------
    audit : Audit
        The audit's results (service areas per facility group).
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` in lon/lat (WGS84): the service areas are clipped to it.
    """
    areas = audit.service_areas
    near = areas.iloc[areas.sindex.query(shapely.box(*bounds))]
    clipped = shapely.clip_by_rect(near.geometry.to_numpy(), *bounds)
    layers = []
    for group in dict.fromkeys(areas["group"]):
        keep = (near["group"] == group).to_numpy() & ~shapely.is_empty(clipped)
        if not keep.any():
            continue
        minutes = float(near["minutes"].to_numpy()[keep][0])
        label = (
            "15分钟圈服务范围 circle service area"
            if group == "circle"
            else f"服务范围 service area: {facility_label(group)}"
        )
        name = f"{label} ({minutes:g} min)"
        layers.append(
            geojson_spec(
                clipped[keep],
                [{"label": esc(name)}] * int(keep.sum()),
                simplify_deg=0.0,
                name=name,
                show=group == "circle",
                # no outline: the pieces meet at tile edges, where a stroke would show seams
                style={"fillColor": SERVICE_AREA_COLOUR, "weight": 0, "fillOpacity": 0.18},
                tooltip=True,
            )
        )
    return layers


def proposal_layer(proposals: pd.DataFrame, bounds: Bounds, datum: str) -> folium.FeatureGroup:
    """Proposed sites of a siting run, as gold stars.

    Parameters
    ----------
    proposals : pd.DataFrame
        The proposed sites.
    bounds : Bounds
        West, south, east, north (degrees).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    """
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
            f"{esc(facility_label(cast(str, r.type)))}<br>"
            f"新增覆盖老年人 newly covered older: {r.marginal_gain:,.0f}"
        )
        folium.Marker(
            location=point(cast(float, r.lon), cast(float, r.lat), datum),
            icon=folium.DivIcon(
                html='<div class="cc-star">★</div>', icon_size=(22, 22), icon_anchor=(11, 11)
            ),
            popup=folium.Popup(popup, max_width=300),
            tooltip=f"规划新增 proposed {esc(r.id)}",
        ).add_to(group)
    return group
