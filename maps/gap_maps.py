"""Folium gap maps: an overview of the district and one map per street/town."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from folium.plugins import Fullscreen, MeasureControl
from tqdm import tqdm

from carecircle.analysis.audit import Audit
from carecircle.analysis.files import inside, write_atomic
from carecircle.maps.style import (
    FACILITY_COLOURS,
    SERVICE_AREA_COLOUR,
    UNCOVERED_COLOUR,
    esc,
    pct,
    safe_filename,
    share_colormap,
    title_panel,
)
from carecircle.vocabulary import facility_label


def _round_coords(obj: Any, ndigits: int = 5) -> Any:
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, list | tuple):
        return [_round_coords(v, ndigits) for v in obj]
    return obj


def _feature_collection(geoms: np.ndarray, props: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON with coordinates rounded to 1e-5° (~1 m) to keep maps light."""
    features = []
    for geom, prop in zip(geoms, props, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        gi = shapely.geometry.mapping(geom)
        features.append({"type": "Feature", "properties": prop,
                         "geometry": {"type": gi["type"],
                                      "coordinates": _round_coords(gi["coordinates"])}})
    return {"type": "FeatureCollection", "features": features}


def _base_map(bounds: tuple[float, float, float, float]) -> folium.Map:
    minx, miny, maxx, maxy = bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None,
                      control_scale=True, prefer_canvas=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap 底图", control=True).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    Fullscreen(title="全屏 Full screen", title_cancel="退出全屏 Exit").add_to(fmap)
    MeasureControl(primary_length_unit="meters", secondary_length_unit="kilometers",
                   primary_area_unit="sqmeters").add_to(fmap)
    return fmap


def _community_layer(audit: Audit, codes: pd.Index) -> folium.GeoJson:
    scale = share_colormap()
    com = audit.communities.set_index("code").loc[codes]
    table = audit.by_community.set_index("code").loc[codes]
    props = []
    for code, row in table.iterrows():
        share = row["older_covered_share"]
        failed = [i for i in ("S1", "S2")
                  if f"{i.lower()}_met" in row and not row[f"{i.lower()}_met"]]
        props.append({
            "fill": scale(share) if share == share else "#BBBBBB",  # noqa: PLR0124 - NaN
            "html": (f"<b>{esc(row['name'])}</b> ({esc(code)})<br>"
                     f"老年人 older: {row['older_residents']:,.0f}<br>"
                     f"S1 覆盖率 circle share: {pct(share)}<br>"
                     f"未覆盖 not covered: {row['older_uncovered']:,.0f}<br>"
                     f"S2 每千人面积 m²/1,000: {row['floor_area_per_1000']:.1f}<br>"
                     f"未达标 failed: {esc(' '.join(failed) or '—')}"),
            "label": esc(row["name"]),
        })
    data = _feature_collection(com.geometry.to_numpy(), props)
    return folium.GeoJson(
        data, name="社区覆盖率 Communities by S1 share",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555555",
                                  "weight": 1, "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        popup=folium.GeoJsonPopup(fields=["html"], labels=False),
    )


def _facility_layer(audit: Audit, bounds: tuple[float, float, float, float]) -> folium.FeatureGroup:
    minx, miny, maxx, maxy = bounds
    fac = audit.facilities
    near = fac[(fac["lon"] >= minx) & (fac["lon"] <= maxx) & (fac["lat"] >= miny)
               & (fac["lat"] <= maxy)]
    group = folium.FeatureGroup(name="养老设施 Facilities")
    for r in near.itertuples(index=False):
        colour = FACILITY_COLOURS.get(r.type, "#777777")
        popup = (f"<b>{esc(r.name)}</b><br>{esc(facility_label(r.type))}<br>"
                 f"面积 floor area: {r.floor_area_m2:,.0f} m²<br>床位 beds: {r.beds:,.0f} "
                 f"(护理型 nursing {r.nursing_beds:,.0f})<br>id: {esc(r.id)}")
        folium.CircleMarker(
            location=[round(r.lat, 6), round(r.lon, 6)], radius=6, color="#222222", weight=1,
            fill=True, fill_color=colour, fill_opacity=0.95,
            popup=folium.Popup(popup, max_width=300), tooltip=esc(r.name),
        ).add_to(group)
    return group


def _uncovered_layer(audit: Audit, street: str) -> folium.GeoJson:
    cells = audit.cells
    mask = ((cells["street"] == street) & ~cells["covered"] & (cells["older_residents"] > 0)
            ).to_numpy()
    rows = cells[mask]
    props = [{"label": f"未覆盖老年人 older not covered: {o:,.0f}"
                       + ("" if d != d else f" · {d:,.0f} m")}  # noqa: PLR0124 - NaN
             for o, d in zip(rows["older_residents"], rows["distance_m"], strict=True)]
    data = _feature_collection(audit.cell_squares[mask], props)
    return folium.GeoJson(
        data, name="未覆盖老年人 Uncovered older residents",
        style_function=lambda f: {"fillColor": UNCOVERED_COLOUR, "color": UNCOVERED_COLOUR,
                                  "weight": 0, "fillOpacity": 0.45},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


def _service_area_layer(audit: Audit, bounds: tuple[float, float, float, float]) -> folium.GeoJson:
    clip = shapely.box(*bounds)
    geom = shapely.intersection(audit.service_area.geometry.iloc[0], clip)
    data = _feature_collection(np.array([geom]), [{"label": (
        f"{audit.study.minutes:g} 分钟步行服务范围 {audit.study.minutes:g}-minute walk")}])
    return folium.GeoJson(
        data, name="服务范围 Service area (reached streets)",
        style_function=lambda f: {"fillColor": SERVICE_AREA_COLOUR, "color": SERVICE_AREA_COLOUR,
                                  "weight": 0.5, "fillOpacity": 0.18},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


def _proposal_layer(proposals: pd.DataFrame, bounds: tuple[float, float, float, float]
                    ) -> folium.FeatureGroup:
    minx, miny, maxx, maxy = bounds
    near = proposals[(proposals["lon"] >= minx) & (proposals["lon"] <= maxx)
                     & (proposals["lat"] >= miny) & (proposals["lat"] <= maxy)]
    group = folium.FeatureGroup(name="规划新增 Proposed sites")
    for r in near.itertuples(index=False):
        popup = (f"<b>规划新增 Proposed {esc(r.id)}</b> · 排序 rank {r.rank}<br>"
                 f"{esc(facility_label(r.type))}<br>"
                 f"新增覆盖老年人 newly covered older: {r.marginal_gain:,.0f}")
        folium.RegularPolygonMarker(
            location=[round(r.lat, 6), round(r.lon, 6)], number_of_sides=5, radius=10,
            color="#000000", weight=1, fill=True, fill_color="#FFD700", fill_opacity=1.0,
            popup=folium.Popup(popup, max_width=300),
            tooltip=f"规划新增 proposed {esc(r.id)}").add_to(group)
    return group


def street_map(audit: Audit, code: str, proposals: pd.DataFrame | None = None) -> folium.Map:
    """Build the gap map of one street/town.

    Parameters
    ----------
    audit : Audit
        The audit results.
    code : str
        Street/town code.

    Returns
    -------
    folium.Map
        Boundary, communities by S1 share, service area, facilities, uncovered cells.
    """
    street = audit.streets.set_index("code").loc[code]
    minx, miny, maxx, maxy = street.geometry.bounds
    pad = 0.01
    wide = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    fmap = _base_map((minx, miny, maxx, maxy))
    row = audit.by_street.set_index("code").loc[code]
    codes = audit.by_community.index[audit.by_community["street"] == code]
    codes = pd.Index(audit.by_community.loc[codes, "code"])
    _service_area_layer(audit, wide).add_to(fmap)
    _community_layer(audit, codes).add_to(fmap)
    folium.GeoJson(_feature_collection(np.array([street.geometry]), [{}]),
                   name="街道边界 Street boundary",
                   style_function=lambda f: {"fill": False, "color": "#000000", "weight": 3},
                   ).add_to(fmap)
    _uncovered_layer(audit, code).add_to(fmap)
    _facility_layer(audit, wide).add_to(fmap)
    if proposals is not None and len(proposals):
        _proposal_layer(proposals, wide).add_to(fmap)
    share_colormap().add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    s2 = row.get("s2_value", np.nan)
    lines = [
        f"<b>{esc(street['name'])}</b> ({esc(code)}) · {esc(audit.study.name)}",
        f"S1 15分钟圈老年人覆盖率 circle share: <b>{pct(row['older_covered_share'])}</b>"
        f" · 未覆盖 not covered {row['older_uncovered']:,.0f}",
        f"S2 每千人养老设施面积 m² per 1,000: <b>{s2:.1f}</b> (目标 target "
        f"{row.get('s2_target', np.nan):g})",
        f"标准 profile: {esc(audit.study.profile.name)} · {audit.study.minutes:g} 分钟 min · "
        f"{audit.study.walk_speed_m_s:g} m/s",
        '<a href="index.html">← 总览 Overview</a>',
    ]
    fmap.get_root().html.add_child(folium.Element(title_panel(lines)))
    return fmap


def overview_map(audit: Audit, links: dict[str, str]) -> folium.Map:
    """Build the district overview: streets coloured by S1 share, linking to their maps.

    Parameters
    ----------
    audit : Audit
        The audit results.
    links : dict
        Street code -> file name of its map.

    Returns
    -------
    folium.Map
        The overview.
    """
    fmap = _base_map(tuple(audit.streets.total_bounds))
    scale = share_colormap()
    table = audit.by_street.set_index("code")
    props = []
    for code in audit.streets["code"]:
        row = table.loc[code]
        share = row["older_covered_share"]
        props.append({
            "fill": scale(share) if share == share else "#BBBBBB",  # noqa: PLR0124 - NaN
            "label": esc(row["name"]),
            "html": (f"<b>{esc(row['name'])}</b><br>S1: {pct(share)} · S2: "
                     f"{row['floor_area_per_1000']:.1f} m²/千人<br>"
                     f'<a href="{esc(links[code])}">打开街道地图 Open street map →</a>'),
        })
    folium.GeoJson(
        _feature_collection(audit.streets.geometry.to_numpy(), props),
        name="街道/镇 Streets by S1 share",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#222222",
                                  "weight": 2, "fillOpacity": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        popup=folium.GeoJsonPopup(fields=["html"], labels=False),
    ).add_to(fmap)
    scale.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    d = audit.district.iloc[0]
    rows = "".join(
        f'<tr><td><a href="{esc(links[c])}">{esc(n)}</a></td><td>{pct(s)}</td><td>{a:.1f}</td></tr>'
        for c, n, s, a in zip(table.index, table["name"], table["older_covered_share"],
                              table["floor_area_per_1000"], strict=True))
    lines = [
        f"<b>{esc(audit.study.name)}</b> · 15分钟养老服务圈 15-minute elder-care circle",
        f"全区老年人覆盖率 District circle share: <b>{pct(d['older_covered_share'])}</b> · "
        f"每千人面积 m²/1,000: <b>{d['floor_area_per_1000']:.1f}</b>",
        "<table style='font-size:12px'><tr><th>街道 street</th><th>S1</th><th>S2</th></tr>"
        f"{rows}</table>",
    ]
    fmap.get_root().html.add_child(folium.Element(title_panel(lines)))
    return fmap


def render_maps(audit: Audit, out_dir: Path, *, proposals: pd.DataFrame | None = None
                ) -> list[Path]:
    """Write ``index.html`` and one ``<street code>.html`` per street/town.

    Parameters
    ----------
    audit : Audit
        The audit results.
    out_dir : Path
        The maps folder.
    proposals : DataFrame, optional
        Proposed sites of a siting run, drawn as their own layer.

    Returns
    -------
    list of Path
        The files written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    links = {code: f"{safe_filename(code)}.html" for code in audit.streets["code"]}
    paths = []
    for code in tqdm(list(links), desc="maps 地图", unit="street", leave=False, disable=None):
        fmap = street_map(audit, code, proposals)
        target = inside(out_dir, out_dir / links[code])
        paths.append(write_atomic(target, lambda p, m=fmap: m.save(str(p))))
    index = overview_map(audit, links)
    paths.append(write_atomic(out_dir / "index.html", lambda p: index.save(str(p))))
    return paths

