"""The folium elements of a map's frame, rendered without compiling their output as templates.

branca renders a ``MacroElement`` by calling its template's ``header``, ``html`` and
``script`` macros and wrapping each result in a new ``Element``, whose constructor compiles
the text as a Jinja template (about 1 ms each, some fifteen per map) only to render it back
unchanged. :class:`Verbatim` adds the macros' text as it is; the classes below are folium's
with that one change (same options, same page), so that a street map's frame costs a few
milliseconds instead of some twenty.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.map import FitBounds
from folium.template import Template
from folium.utilities import remove_empty


def root(element: Element) -> Figure:
    """Return the figure an element belongs to (folium types it as a plain ``Element``)."""
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise TypeError(f"{type(element).__name__} is not on a map figure")
    return figure


class Raw(Element):
    """Text added to the page as it is (a plain ``Element`` compiles it as a template).

    Parameters
    ----------
    text : str
        The HTML or script text.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Raw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """Return the text unchanged."""
        return self.text


class Verbatim(MacroElement):
    """A ``MacroElement`` whose macros' text goes into the page as it is."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        """Add the header, HTML and script macros' text, then render the children."""
        figure = root(self)
        macros = self._template.module.__dict__
        for part, target in (
            ("header", figure.header),
            ("html", figure.html),
            ("script", figure.script),
        ):
            macro = macros.get(part)
            if macro is not None:
                target.add_child(Raw(str(macro(self, kwargs))), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class Map(folium.Map, Verbatim):
    """``folium.Map`` rendered verbatim."""


class TileLayer(folium.TileLayer, Verbatim):
    """``folium.TileLayer`` rendered verbatim."""


class FeatureGroup(folium.FeatureGroup, Verbatim):
    """``folium.FeatureGroup`` rendered verbatim."""


class LayerControl(folium.LayerControl, Verbatim):
    """``folium.LayerControl`` rendered verbatim."""


class FullscreenControl(JSCSSMixin, Verbatim):
    """``folium.plugins.Fullscreen``'s control, rendered verbatim.

    Its own class, as folium's with the same script and options: importing
    ``folium.plugins`` imports some forty plugins and compiles their templates (~0.25 s).

    Parameters
    ----------
    title : str
        The button's title.
    title_cancel : str
        Its title in full screen.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            L.control.fullscreen(
                {{ this.options|tojavascript }}
            ).addTo({{this._parent.get_name()}});
        {% endmacro %}
        """)

    def __init__(self, *, title: str, title_cancel: str) -> None:
        super().__init__()
        self._name = "Fullscreen"
        self.options = remove_empty(
            position="topleft",
            title=title,
            title_cancel=title_cancel,
            force_separate_button=False,
        )


class Measure(JSCSSMixin, Verbatim):
    """``folium.plugins.MeasureControl``'s control, rendered verbatim (same script, options).

    Parameters
    ----------
    primary_length_unit, secondary_length_unit, primary_area_unit : str
        The units shown (leaflet-measure's names).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = new L.Control.Measure(
                {{ this.options|tojavascript }});
            {{this._parent.get_name()}}.addControl({{this.get_name()}});

            // Workaround for using this plugin with Leaflet>=1.8.0
            // https://github.com/ljagis/leaflet-measure/issues/171
            L.Control.Measure.include({
                _setCaptureMarkerIcon: function () {
                    // disable autopan
                    this._captureMarker.options.autoPanOnFocus = false;
                    // default function
                    this._captureMarker.setIcon(
                        L.divIcon({
                            iconSize: this._map.getSize().multiplyBy(2)
                        })
                    );
                },
            });

        {% endmacro %}
        """)

    def __init__(
        self, *, primary_length_unit: str, secondary_length_unit: str, primary_area_unit: str
    ) -> None:
        super().__init__()
        self._name = "MeasureControl"
        self.options = remove_empty(
            position="topright",
            primary_length_unit=primary_length_unit,
            secondary_length_unit=secondary_length_unit,
            primary_area_unit=primary_area_unit,
            secondary_area_unit="acres",
        )


class Fit(FitBounds, Verbatim):
    """``folium.map.FitBounds`` rendered verbatim (``Map.fit_bounds`` adds folium's own)."""
