"""Colours, labels and small HTML pieces shared by the maps (no indicator computation)."""

from __future__ import annotations

import html
import re

import branca.colormap as cm

#: Marker colour per facility type (Okabe–Ito based, distinguishable with colour-blindness).
FACILITY_COLOURS: dict[str, str] = {
    "comprehensive_centre": "#D55E00",
    "day_care": "#E69F00",
    "service_station": "#0072B2",
    "embedded_care": "#CC79A7",
    "meal_point": "#009E73",
    "rural_mutual_aid": "#56B4E9",
    "institution": "#000000",
    "rehab_rental": "#F0E442",
    "dementia_unit": "#882255",
    "health_centre": "#117733",
    "health_station": "#44AA99",
}

UNCOVERED_COLOUR = "#B2182B"
SERVICE_AREA_COLOUR = "#2166AC"


def share_colormap() -> cm.LinearColormap:
    """Colour scale for S1 shares 0–100 % (viridis, colour-blind safe), with a bilingual caption."""
    scale = cm.LinearColormap(
        ["#440154", "#3B528B", "#21918C", "#5EC962", "#FDE725"], vmin=0.0, vmax=1.0
    )
    scale.caption = "15分钟养老服务圈老年人覆盖率 Older residents within the circle (share)"
    return scale


def esc(value: object) -> str:
    """HTML-escape any text that comes from input files."""
    return html.escape(str(value), quote=True)


def safe_filename(code: str) -> str:
    """Return a file-name-safe version of a code or name (no path separators, no dots first)."""
    cleaned = re.sub(r"[^0-9A-Za-z_\-\u4e00-\u9fff]", "_", str(code)).strip("._")
    return cleaned[:80] or "unnamed"


def pct(value: float) -> str:
    """Format a share as a percentage, or an em dash where it is undefined."""
    return "—" if value != value else f"{value:.1%}"  # noqa: PLR0124 - NaN check


def title_panel(lines: list[str]) -> str:
    """Return a fixed title panel (already-escaped HTML lines) for the top-left of a map."""
    body = "<br>".join(lines)
    return (
        '<div id="cc-title" style="position:fixed;top:10px;left:60px;z-index:9999;'
        "background:rgba(255,255,255,0.92);padding:8px 12px;border-radius:4px;"
        'box-shadow:0 1px 4px rgba(0,0,0,.3);font:13px/1.5 sans-serif;max-width:420px">'
        f"{body}</div>"
    )
