"""The frame every map shares: basemaps, title, metric scale, legend, stable HTML."""

from __future__ import annotations

import os
import re
from typing import Any

import folium
import xyzservices
from branca.element import Template

from carecircle.maps.assets import use_assets
from carecircle.maps.elements import render_with_data
from carecircle.maps.style import MAP_CSS, esc, title_panel
from carecircle.maps.verbatim import (
    FeatureGroup,
    Fit,
    FullscreenControl,
    Map,
    Measure,
    Raw,
    TileLayer,
    Verbatim,
    root,
)

Bounds = tuple[float, float, float, float]

AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
#: OpenStreetMap's tiles as folium's ``"OpenStreetMap"`` names them.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
TIANDITU_TILES = (
    "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk="
)


#: Room (px) kept free when fitting a map to its street: (left, top) and (right, bottom), so
#: the title panel (top left) and the legend (bottom right) do not hide it.
STREET_PADDING = ((10, 175), (345, 10))
#: The overview's panel is wider (street table, bar chart): keep its side free.
OVERVIEW_PADDING = ((530, 10), (10, 10))


class MetricScale(Verbatim):
    """Leaflet's scale bar in metres and kilometres only (planners measure in metres)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, maxWidth: 160, position: "bottomleft"})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class Legend(Verbatim):
    """The legend as a Leaflet control (bottom right), so it stacks with the other controls."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var box = L.DomUtil.create("div", "cc-legend-control");
                box.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.disableScrollPropagation(box);
                return box;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html


#: A folium element id after its name's underscore; led by the literal ``_`` so that the
#: regex engine skips ahead to each underscore (a look-behind tries every position: 35×
#: slower on a map with megabytes of GeoJSON).
_ELEMENT_ID = re.compile(r"_([0-9a-f]{32})(?![0-9a-f])")


def stable_html(fmap: folium.Map) -> str:
    """Render a map with folium's random element ids replaced by sequence numbers.

    Two runs on the same inputs then write byte-identical HTML. The layers' data is left out
    of the search (a placeholder while it runs), so that only the page around it is searched
    and no id-like text in the data is touched.
    """
    ids: dict[str, str] = {}
    return render_with_data(
        root(fmap),
        lambda html: _ELEMENT_ID.sub(
            lambda m: "_" + ids.setdefault(m.group(1), f"{len(ids):08d}"), html
        ),
    )


def _tiles(url: str, **options: Any) -> folium.TileLayer:
    """Return a tile layer of ``url``.

    The URL is given as a provider: folium looks a plain string up in the whole xyzservices
    catalogue first (a few ms per map).
    """
    provider = xyzservices.TileProvider(name="tiles", url=url, attribution="")
    return TileLayer(provider, **options)


def base_map(
    bounds: Bounds,
    *,
    offline: bool,
    datum: str,
    title: str,
    padding: tuple[tuple[int, int], tuple[int, int]],
) -> folium.Map:
    """Map with the basemaps, a page title, a metric scale, full screen and measure.

    Parameters
    ----------
    bounds : Bounds
        West, south, east, north (degrees).
    offline : bool
        Maps that need no internet (Leaflet copied beside them).
    datum : str
        ``wgs84`` or ``gcj02``: the coordinates the map is drawn in.
    title : str
        The map's title.
    padding : tuple[tuple[int, int], tuple[int, int]]
        Pixels kept free around the fitted bounds.
    """
    minx, miny, maxx, maxy = bounds
    fmap = Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=None,
        control_scale=False,
        prefer_canvas=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    root(fmap).title = esc(title)
    use_assets(fmap, offline=offline)
    MetricScale().add_to(fmap)
    blank = FeatureGroup(name="空白底图 Blank (offline)", overlay=False, control=True)
    if offline:
        blank.add_to(fmap)
    if datum == "gcj02":
        _tiles(
            AMAP_TILES,
            name="高德 Amap (GCJ-02)",
            attr="© 高德地图 AutoNavi",
            subdomains="1234",
            max_zoom=18,
            show=not offline,
        ).add_to(fmap)
    else:
        _tiles(
            OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19, show=not offline
        ).add_to(fmap)
        key = os.environ.get("TIANDITU_KEY", "")
        if key:
            _tiles(
                TIANDITU_TILES + key,
                name="天地图 Tianditu",
                attr="© 天地图",
                subdomains="01234567",
                max_zoom=18,
                show=False,
            ).add_to(fmap)
    if not offline:
        blank.add_to(fmap)
    if datum == "gcj02":
        from carecircle.geo.crs import wgs84_to_gcj02

        (minx, maxx), (miny, maxy) = wgs84_to_gcj02([minx, maxx], [miny, maxy])
    Fit(
        [[float(miny), float(minx)], [float(maxy), float(maxx)]],
        padding_top_left=padding[0],
        padding_bottom_right=padding[1],
    ).add_to(fmap)
    full = FullscreenControl(title="全屏 Full screen", title_cancel="退出全屏 Exit full screen")
    use_assets(full, offline=offline, plugin="fullscreen")
    full.add_to(fmap)
    measure = Measure(
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="sqmeters",
    )
    use_assets(measure, offline=offline, plugin="measure")
    measure.add_to(fmap)
    return fmap


def panel(fmap: folium.Map, lines: list[str], legend: str) -> None:
    """Add the title panel (already-escaped lines) and the legend.

    Parameters
    ----------
    fmap : folium.Map
        The map.
    lines : list[str]
        Lines of the title panel (already escaped HTML).
    legend : str
        The legend's HTML.
    """
    root(fmap).html.add_child(Raw(title_panel(lines)))
    root(fmap).html.add_child(Raw(MAP_CSS))
    Legend(legend).add_to(fmap)
