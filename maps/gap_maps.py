"""Folium gap maps: an overview of the district and one map per street/town.

Each map exists in WGS84 (OpenStreetMap, Tianditu, blank basemaps) and, for Amap/Gaode whose
tiles use GCJ-02, as ``<code>_gcj02.html`` with every overlay shifted into GCJ-02 so that
facilities sit on the right street (the areas' data is the WGS84 page's; the page shifts it,
:mod:`carecircle.maps.geojson`). ``offline=True`` copies Leaflet beside the maps and makes
the blank basemap the default, so nothing is fetched from the internet.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

import folium
import numpy as np
import pandas as pd
from tqdm import tqdm

from carecircle.files import inside, write_text_atomic
from carecircle.maps.assets import copy_assets
from carecircle.maps.base import OVERVIEW_PADDING, STREET_PADDING, base_map, panel, stable_html
from carecircle.maps.forked import run_forked
from carecircle.maps.geojson import geojson_spec
from carecircle.maps.markers import proposal_layer
from carecircle.maps.street_jobs import (
    StreetMaps,
    map_cells,
    pool_size,
    street_box,
    street_cells,
    street_maps,
    street_part,
)
from carecircle.maps.street_layers import StreetLayers, street_layers
from carecircle.maps.style import (
    area,
    esc,
    legend_html,
    map_file_stems,
    pct,
    share_colour,
)
from carecircle.maps.verbatim import LayerControl

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit
    from carecircle.maps.geojson import GeoJsonSpec


def street_map(
    audit: Audit,
    code: str,
    *,
    proposals: pd.DataFrame | None = None,
    offline: bool = False,
    datum: str = "wgs84",
    other_file: str = "",
    layers: StreetLayers | None = None,
) -> folium.Map:
    """Build the gap map of one street/town.

    Parameters
    ----------
    audit : Audit
        The audit results.
    code : str
        Street/town code.
    proposals : DataFrame, optional
        Proposed sites of a siting run.
    offline : bool, default False
        Use the local Leaflet copy and a blank basemap by default.
    datum : {"wgs84", "gcj02"}
        Coordinates of the overlays: WGS84, or GCJ-02 to match Amap tiles.
    other_file : str
        File name of the same map in the other datum, linked from the title panel.
    layers : StreetLayers, optional
        The street's layers from :func:`street_layers` (shared by its two maps); by default
        prepared here.

    Returns
    -------
    folium.Map
        Boundary, communities by S1 share, under-served outlines, service areas, facilities by
        type, uncovered cells and proposals, with a layer control, scale, full screen, measure.
    """
    street = audit.streets.set_index("code").loc[code]
    (minx, miny, maxx, maxy), wide = street_box(audit, code)
    title = f"{street['name']} 15分钟养老服务圈缺口图 · 15-minute elder-care circle gap map" + (
        " · 高德 Amap" if datum == "gcj02" else ""
    )
    fmap = base_map(
        (minx, miny, maxx, maxy), offline=offline, datum=datum, title=title, padding=STREET_PADDING
    )
    row = audit.indicators["street"].loc[code]
    if layers is None:
        layers = street_layers(audit, code)
    spec: GeoJsonSpec | None
    for spec in layers.service_areas:
        spec.layer(datum).add_to(fmap)
    for optional in (layers.communities, layers.underserved, layers.boundary, layers.uncovered):
        if optional is not None:
            optional.layer(datum).add_to(fmap)
    for score in layers.scores:
        score.spec.layer(datum).add_to(fmap)
    for marker_spec in layers.facilities:
        marker_spec.layer(datum).add_to(fmap)
    proposed = proposals is not None and len(proposals) > 0
    if proposed and proposals is not None:
        proposal_layer(proposals, wide, datum).add_to(fmap)
    LayerControl(collapsed=True).add_to(fmap)
    study = audit.study
    switch = "高德底图版 Amap version" if datum == "wgs84" else "WGS84 版 WGS84 version"
    lines = [
        f"<b>{esc(street['name'])}</b> ({esc(code)}) · {esc(study.name)}",
        "S1 15分钟圈老年人覆盖率 circle share: "
        f"<b>{pct(cast(float, row['older_covered_share']))}</b>"
        f" · 未覆盖 not covered {row['older_uncovered']:,.0f}",
        "S2 每千人养老设施面积 m² per 1,000: "
        f"<b>{area(cast(float, row['floor_area_per_1000']), cast(float, row['residents']))}</b>"
        + (f" (目标 target {row['s2_target']:g})" if "s2_target" in row else ""),
        f"标准 profile {esc(study.profile.name)} · {study.minutes:g} 分钟 min · "
        f"{study.walk_speed_m_s:g} m/s · 数据日期 data date {esc(study.data_date or '—')}",
        '<a href="index.html">← 总览 Overview</a>'
        + (f' · <a href="{esc(other_file)}">{switch}</a>' if other_file else ""),
    ]
    panel(
        fmap,
        lines,
        legend_html(
            facility_types=layers.facility_types,
            proposals=proposed,
            note=audit.boundary_note,
            extra="".join(score.legend for score in layers.scores),
        ),
    )
    return fmap


def _bar_chart(names: list[str], shares: list[float]) -> str:
    """Return a small inline SVG bar chart of S1 by street (no script, works offline)."""
    bars = []
    for i, (name, share) in enumerate(zip(names, shares, strict=True)):
        width = 0.0 if share != share else 160.0 * share  # noqa: PLR0124 - NaN
        y = 4 + i * 18
        bars.append(
            f'<text x="0" y="{y + 11}" font-size="11">{esc(name)}</text>'
            f'<rect x="90" y="{y}" width="{width:.1f}" height="13" '
            f'fill="{share_colour(share)}"/>'
            f'<text x="{94 + width:.1f}" y="{y + 11}" font-size="11">{pct(share)}</text>'
        )
    height = 8 + 18 * len(names)
    return (
        f'<svg width="300" height="{height}" role="img" aria-label="S1 by street">'
        + "".join(bars)
        + "</svg>"
    )


def overview_map(audit: Audit, links: dict[str, str], *, offline: bool = False) -> folium.Map:
    """Build the district overview: streets coloured by S1 share, linking to their maps.

    Parameters
    ----------
    audit : Audit
        The audit results.
    links : dict
        Street code -> file name of its map.
    offline : bool, default False
        As for :func:`street_map`.

    Returns
    -------
    folium.Map
        The overview with a district summary panel and a bar chart of S1 by street.
    """
    title = f"{audit.study.name} 15分钟养老服务圈总览 · 15-minute elder-care circle overview"
    fmap = base_map(
        cast(tuple[float, float, float, float], tuple(audit.streets.total_bounds)),
        offline=offline,
        datum="wgs84",
        title=title,
        padding=OVERVIEW_PADDING,
    )
    table = audit.indicators["street"]
    props = []
    for code in audit.streets["code"]:
        row = table.loc[code]
        share = row["older_covered_share"]
        props.append(
            {
                "fill": share_colour(share),
                "label": f"{esc(row['name'])} · S1 {pct(share)}",
                "html": (
                    f"<b>{esc(row['name'])}</b><br>S1: {pct(share)} · S2: "
                    f"{area(row['floor_area_per_1000'], row['residents'])} m²/千人<br>"
                    f'<a href="{esc(links[code])}">打开街道地图 Open street map →</a>'
                ),
            }
        )
    geojson_spec(
        audit.streets.geometry.to_numpy(),
        props,
        name="街道/镇 Streets by S1 share",
        style={
            "color": "#222222",
            "weight": 2,
            "fillOpacity": 0.6,
        },
        tooltip=True,
        popup=True,
    ).layer("wgs84").add_to(fmap)
    LayerControl(collapsed=True).add_to(fmap)
    d = audit.indicators["district"].iloc[0]
    rows = "".join(
        f'<tr><td><a href="{esc(links[c])}">{esc(n)}</a></td><td>{pct(s)}</td><td>{area(a, p)}</td>'
        "</tr>"
        for c, n, s, a, p in zip(
            table.index,
            table["name"],
            table["older_covered_share"],
            table["floor_area_per_1000"],
            table["residents"],
            strict=True,
        )
    )
    lines = [
        f"<b>{esc(audit.study.name)}</b> · 15分钟养老服务圈 15-minute elder-care circle",
        f"全区老年人覆盖率 district circle share: <b>{pct(d['older_covered_share'])}</b> · "
        f"每千人面积 m² per 1,000: <b>{area(d['floor_area_per_1000'], d['residents'])}</b> · "
        f"未达标社区 under-served communities: <b>{len(audit.underserved)}</b>",
        f"标准 profile {esc(audit.study.profile.name)} · 数据日期 data date "
        f"{esc(audit.study.data_date or '—')}",
        "<details open><summary>街道/镇明细 streets and towns</summary>"
        "<table style='font-size:12px'><tr><th>街道 street</th><th>S1</th><th>S2</th></tr>"
        f"{rows}</table>"
        + _bar_chart(list(table["name"]), list(table["older_covered_share"]))
        + "</details>",
    ]
    panel(fmap, lines, legend_html(street=False, note=audit.boundary_note))
    return fmap


def render_maps(
    audit: Audit,
    out_dir: Path,
    *,
    proposals: pd.DataFrame | None = None,
    offline: bool = False,
    progress: bool = False,
    workers: int | None = None,
    busy: Callable[[], bool] | None = None,
) -> list[Path]:
    """Write ``index.html`` and two maps per street/town (WGS84 and Amap/GCJ-02).

    Parameters
    ----------
    audit : Audit
        The audit results.
    out_dir : Path
        The maps folder.
    proposals : DataFrame, optional
        Proposed sites of a siting run, drawn as their own layer.
    offline : bool, default False
        Copy Leaflet into ``out_dir/lib`` and use no internet resource by default.
    progress : bool, default False
        Show a progress bar (on a terminal only).
    workers : int, optional
        Worker processes for the street maps; by default 2 from 8 streets on (1: none).
    busy : callable, optional
        Whether another process uses the other core now (``maps.forked.run_forked``): the
        street maps are then drawn here, and workers forked only for those left after.

    Returns
    -------
    list of Path
        The files written (the same, byte for byte, whatever the number of workers).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    if offline:
        lib = copy_assets(out_dir)
        paths += sorted(p for p in lib.rglob("*") if p.is_file())
    links = {
        code: f"{stem}.html" for code, stem in map_file_stems(list(audit.streets["code"])).items()
    }
    bar = tqdm(
        total=len(links),
        desc="maps 地图",
        unit="street",
        leave=False,
        disable=None if progress else True,
    )
    with bar:
        slim = map_cells(audit)
        paths += run_forked(
            (slim, street_cells(slim)),
            street_maps(links),
            partial(_write_street, out_dir=out_dir, proposals=proposals, offline=offline),
            workers=pool_size(workers, len(links)),
            on_done=lambda _task: bar.update(1),
            busy=busy,
        )
    index = overview_map(audit, links, offline=offline)
    paths.append(write_text_atomic(out_dir / "index.html", stable_html(index)))
    return paths


def _write_street(
    shared: tuple[Audit, dict[str, np.ndarray]],
    task: StreetMaps,
    *,
    out_dir: Path,
    proposals: pd.DataFrame | None,
    offline: bool,
) -> list[Path]:
    """Write the two maps of one street (run in a worker process or in this one)."""
    audit, cells = shared
    part = street_part(audit, task.code, cells[task.code])
    written = []
    layers = street_layers(part, task.code)
    for datum, name, other in (
        ("wgs84", task.wgs84_name, task.gcj02_name),
        ("gcj02", task.gcj02_name, task.wgs84_name),
    ):
        fmap = street_map(
            part,
            task.code,
            proposals=proposals,
            offline=offline,
            datum=datum,
            other_file=other,
            layers=layers,
        )
        written.append(write_text_atomic(inside(out_dir, out_dir / name), stable_html(fmap)))
    return written
