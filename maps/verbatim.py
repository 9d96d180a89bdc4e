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
from folium.map import FitBounds
from folium.plugins import Fullscreen, MeasureControl


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


class FullscreenControl(Fullscreen, Verbatim):
    """``folium.plugins.Fullscreen`` rendered verbatim."""


class Measure(MeasureControl, Verbatim):
    """``folium.plugins.MeasureControl`` rendered verbatim."""


class Fit(FitBounds, Verbatim):
    """``folium.map.FitBounds`` rendered verbatim (``Map.fit_bounds`` adds folium's own)."""
