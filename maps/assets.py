"""Leaflet and plugin files for the maps: from the web, or copied beside them for offline use."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from carecircle.maps.verbatim import Raw, root

#: (folium resource name, path under maps/static, CDN URL of the same version)
JS = [
    ("leaflet", "leaflet/leaflet.js", "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"),
]
CSS = [
    (
        "leaflet_css",
        "leaflet/leaflet.css",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css",
    ),
]
PLUGIN_JS = {
    "fullscreen": (
        "Control.Fullscreen.js",
        "leaflet.fullscreen/Control.FullScreen.js",
        "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.js",
    ),
    "measure": (
        "leaflet_measure_js",
        "leaflet-measure/leaflet-measure.min.js",
        "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js",
    ),
}
PLUGIN_CSS = {
    "fullscreen": (
        "Control.FullScreen.css",
        "leaflet.fullscreen/Control.FullScreen.css",
        "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css",
    ),
    "measure": (
        "leaflet_measure_css",
        "leaflet-measure/leaflet-measure.css",
        "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.css",
    ),
}
LIB_DIR = "lib"

#: folium's popups call jQuery only as ``$(`<div>…</div>`)[0]``; this stand-in builds the
#: element without jQuery (so no CDN is needed). The HTML is already escaped by the layers.
JQUERY_SHIM = (
    "<script>if(!window.$){window.$=function(h){var t=document.createElement('template');"
    "t.innerHTML=String(h).trim();return [t.content.firstChild];};}</script>"
)


def _where(entry: tuple[str, str, str], offline: bool) -> tuple[str, str]:
    name, local, url = entry
    return name, f"{LIB_DIR}/{local}" if offline else url


def use_assets(element: Any, *, offline: bool, plugin: str | None = None) -> None:
    """Point a map (or a plugin) at the Leaflet files it needs, and only those.

    folium's defaults also load jQuery, Bootstrap and Font Awesome from CDNs; the gap maps use
    none of them, so an offline map would otherwise show console errors.

    Parameters
    ----------
    element : Any
        A folium map or plugin.
    offline : bool
        Maps that need no internet (Leaflet copied beside them).
    plugin : str | None, default None
        The plugin's name; None for the map itself.
    """
    if plugin is None:
        element.default_js = [_where(e, offline) for e in JS]
        element.default_css = [_where(e, offline) for e in CSS]
        root(element).header.add_child(Raw(JQUERY_SHIM), name="jquery_shim")
    else:
        element.default_js = [_where(PLUGIN_JS[plugin], offline)]
        element.default_css = [_where(PLUGIN_CSS[plugin], offline)]


def copy_assets(out_dir: Path) -> Path:
    """Copy the shipped Leaflet files into ``out_dir/lib`` for offline maps.

    Parameters
    ----------
    out_dir : Path
        The maps folder.

    Returns
    -------
    Path
        The ``lib`` folder.
    """
    source = Path(str(resources.files("carecircle.maps").joinpath("static")))
    target = out_dir / LIB_DIR
    shutil.copytree(
        source,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("README.md", "__pycache__"),
    )
    return target
