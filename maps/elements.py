"""Map layers whose data is written into the page as is, not through Jinja.

folium renders every element's script through a Jinja template compiled from the rendered
text, so a layer's whole GeoJSON is lexed as a template (~0.3 s per MB), and it builds a
marker, a popup and a tooltip element per point (~1 ms a point). These layers write their
data once as a JSON literal and let Leaflet build the features in the browser; the map
looks and behaves as with ``folium.GeoJson`` and ``folium.CircleMarker``.

Rendered through :func:`render_with_data` (as :func:`carecircle.maps.base.stable_html` does),
the layers leave a short placeholder where their data goes, so that the page around the
data (a few kB) is all that is edited (folium's random ids); the data is written in last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, cast

from branca.element import Element, Figure
from folium.map import Layer

from carecircle.maps.codec import DECODER
from carecircle.maps.verbatim import Raw, root


def script_json(value: object) -> str:
    """Return ``value`` as a JSON literal safe inside ``<script>`` (no ``<``, ``>``, ``&``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _style(style: dict[str, Any]) -> str:
    """Return Leaflet options as a JSON literal (keys sorted, as Jinja's ``tojson`` writes)."""
    return script_json(dict(sorted(style.items())))


class JsonText(str):
    """JSON already serialised with :func:`script_json` rules (written into the page as is)."""


class DataScript(Element):
    """``var <name>_data = <data>;``, or a placeholder for the data (:func:`render_with_data`).

    Parameters
    ----------
    name : str
        The layer's name (``get_name()``).
    data : str
        The data as a JSON literal safe in a script.
    placeholder : bool
        Write ``/*cc-data:<id>*/`` in place of the data.
    """

    def __init__(self, name: str, data: str, *, placeholder: bool) -> None:
        super().__init__()
        self._name = "DataScript"
        self.layer_name = name
        self.data = data
        self.placeholder = placeholder

    def render(self, **kwargs: Any) -> str:
        """Return the declaration, with the data or its placeholder."""
        data = f"/*cc-data:{self._id}*/" if self.placeholder else self.data
        return f"var {self.layer_name}_data = {data};"


_PLACEHOLDER = re.compile(r"/\*cc-data:([0-9a-f]{32})\*/")


def _data_layers(element: Element) -> list[_DataLayer]:
    """Return the data layers at or below ``element``."""
    found = [element] if isinstance(element, _DataLayer) else []
    for child in element._children.values():
        found += _data_layers(child)
    return found


def render_with_data(figure: Figure, edit: Callable[[str], str]) -> str:
    """Render ``figure``, apply ``edit`` to the page without the layers' data, then add it.

    Parameters
    ----------
    figure : Figure
        The map's figure.
    edit : callable
        Applied to the rendered page while each layer's data is a placeholder.
    """
    layers = _data_layers(figure)
    for layer in layers:
        layer.placeholder = True
    try:
        html = edit(figure.render())
    finally:
        for layer in layers:
            layer.placeholder = False
    data = {
        child._id: child.data
        for child in figure.script._children.values()
        if isinstance(child, DataScript)
    }
    return _PLACEHOLDER.sub(lambda m: data[m.group(1)], html)


class _DataLayer(Layer):
    """A layer whose ``data`` is declared as ``var <name>_data = ...;`` before its script."""

    data: object
    #: Script text the layer's script calls, added once per page.
    library = ""
    #: Leave a placeholder for the data (set while :func:`render_with_data` renders).
    placeholder = False

    def script(self, name: str) -> str:
        """Return the layer's script (its variable is ``name``, its data ``name + "_data"``)."""
        raise NotImplementedError

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        """Add the data, the layer's script and (when shown) its ``addTo``, all verbatim.

        As ``folium.map.Layer.render`` does, without templates (Jinja compiles each rendered
        text as one).
        """
        name = self.get_name()
        data = self.data if isinstance(self.data, JsonText) else script_json(self.data)
        script = self.script(name)
        if self.show:
            script += f"\n{name}.addTo({cast(Element, self._parent).get_name()});"
        figure = root(self)
        if self.library:
            figure.script.add_child(Raw(self.library), name=f"{self._name}_library")
        figure.script.add_child(
            DataScript(name, data, placeholder=self.placeholder), name=f"{name}_data"
        )
        figure.script.add_child(Raw(script), name=name)


class GeoJsonLayer(_DataLayer):
    """A GeoJSON overlay: one style, ``properties.fill`` as the fill colour where given.

    Parameters
    ----------
    data : JsonText
        The shapes as :meth:`carecircle.maps.geojson.GeoJsonSpec.data` writes them.
    name : str
        Layer name in the layer control.
    style : dict
        Leaflet path options of every feature.
    tooltip : bool, default False
        Show ``properties.label`` (escaped HTML) on hover.
    popup : bool, default False
        Show ``properties.html`` (escaped HTML) on click.
    show : bool, default True
        Shown when the map opens.
    """

    def script(self, name: str) -> str:
        """Return the layer's script: the features from the data, their style and bindings."""
        lines = [
            f"var {name} = L.geoJson(ccShapes({name}_data), {{",
            "    style: function (f) {",
            f"        var s = {_style(self.style)};",
            "        if (f.properties.fill) { s.fillColor = f.properties.fill; }",
            "        return s;",
            "    }",
            "});",
        ]
        if self.tooltip:
            lines.append(
                f"{name}.bindTooltip(function (l) {{ return l.feature.properties.label; }},"
                " {sticky: true});"
            )
        if self.popup:
            lines += [
                f"{name}.bindPopup(function (l) {{",
                '    var box = document.createElement("div");',
                "    box.innerHTML = l.feature.properties.html;",
                "    return box;",
                "}, {maxWidth: 320});",
            ]
        return "\n".join(lines)

    library = DECODER

    def __init__(
        self,
        data: JsonText,
        *,
        name: str,
        style: dict[str, Any],
        tooltip: bool = False,
        popup: bool = False,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeoJsonLayer"
        self.data = data
        self.style = style
        self.tooltip = tooltip
        self.popup = popup


class MarkerSet(_DataLayer):
    """Circle markers of one colour with an HTML popup and a tooltip each.

    Parameters
    ----------
    rows : list of [lat, lon, popup_html, tooltip_html], or JsonText
        One entry per marker; the HTML is already escaped (it is shown as markup).
    name : str
        Layer name in the layer control.
    fill_colour : str
        Marker fill colour.
    show : bool, default True
        Shown when the map opens.
    """

    def script(self, name: str) -> str:
        """Return the layer's script: one circle marker per row, with its popup and tooltip."""
        return "\n".join(
            [
                f"var {name} = L.featureGroup();",
                f"{name}_data.forEach(function (r) {{",
                f"    var marker = L.circleMarker([r[0], r[1]], {_style(self.style)});",
                '    var box = document.createElement("div");',
                "    box.innerHTML = r[2];",
                "    marker.bindPopup(box, {maxWidth: 300});",
                "    marker.bindTooltip(r[3]);",
                f"    marker.addTo({name});",
                "});",
            ]
        )

    def __init__(
        self,
        rows: list[list[Any]] | JsonText,
        *,
        name: str,
        fill_colour: str,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "MarkerSet"
        self.data = rows
        self.style = {
            "radius": 6,
            "color": "#222222",
            "weight": 1,
            "fill": True,
            "fillColor": fill_colour,
            "fillOpacity": 0.95,
        }
