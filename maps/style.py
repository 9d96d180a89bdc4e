"""Colours, labels and small HTML pieces shared by the maps (no indicator computation)."""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from carecircle.vocabulary import facility_label

if TYPE_CHECKING:
    import pandas as pd

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


#: Viridis stops for S1 shares 0, 25, 50, 75, 100 % (colour-blind safe).
SHARE_STOPS = ("#440154", "#3B528B", "#21918C", "#5EC962", "#FDE725")


def share_colour(share: float) -> str:
    """Colour of an S1 share on the viridis scale; grey where the share is undefined."""
    if share != share:  # noqa: PLR0124 - NaN check
        return "#BBBBBB"
    share = min(max(float(share), 0.0), 1.0)
    pos = share * (len(SHARE_STOPS) - 1)
    i = min(int(pos), len(SHARE_STOPS) - 2)
    frac = pos - i
    a, b = SHARE_STOPS[i], SHARE_STOPS[i + 1]
    mix = [
        round(int(a[k : k + 2], 16) * (1 - frac) + int(b[k : k + 2], 16) * frac) for k in (1, 3, 5)
    ]
    return "#{:02X}{:02X}{:02X}".format(*mix)


def _facility_key(facility_types: Sequence[str]) -> str:
    """Legend lines of the facility markers: a dot in the type's colour, Chinese then English."""
    dots = "".join(
        f'<br><span class="cc-dot" style="background:{FACILITY_COLOURS.get(t, "#777777")}">'
        f"</span> {html.escape(facility_label(t))}"
        for t in facility_types
    )
    return f"<br><b>设施类型</b> Facility types{dots}" if facility_types else ""


def legend_html(
    *,
    facility_types: Sequence[str] = (),
    street: bool = True,
    proposals: bool = False,
    note: str = "",
    extra: str = "",
) -> str:
    """Return the legend: S1 colours, the other symbols and a key of the facility types.

    Parameters
    ----------
    facility_types : sequence of str
        Facility type codes drawn on the map, in the order to list them.
    street : bool, default True
        Street map (uncovered residents, service area, under-served outlines) or overview.
    proposals : bool, default False
        List the proposed-site star.
    note : str, optional
        A line on the boundaries (approximate or absent communities), shown last.
    extra : str, optional
        Further legend lines (HTML, escaped), e.g. the accessibility score layers'.

    Returns
    -------
    str
        HTML of the legend box (``id="cc-legend"``), Chinese then English.
    """
    swatches = "".join(
        f'<span style="display:inline-block;width:22px;height:12px;background:{share_colour(v)}">'
        "</span>"
        for v in (0.0, 0.25, 0.5, 0.75, 1.0)
    )
    lines = f"<b>15分钟圈老年人覆盖率</b> Older residents within the circle<br>0% {swatches} 100%"
    if street:
        lines += (
            f'<br><span style="color:{UNCOVERED_COLOUR}">■</span> 未覆盖老年人 uncovered older'
            f' residents<br><span style="color:{SERVICE_AREA_COLOUR}">■</span> 服务范围 service'
            ' area<br><span style="color:#D7191C">- - -</span> S1/S2 未达标社区 community failing'
            " S1 or S2"
        )
    if proposals:
        lines += '<br><span style="color:#DAA520">★</span> 规划新增 proposed site'
    lines += extra
    if note:
        lines += f"<br><i>{html.escape(note)}</i>"
    return (
        '<div id="cc-legend" style="background:rgba(255,255,255,0.92);padding:6px 10px;'
        "border-radius:4px;font:12px/1.5 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);"
        f'max-width:330px">{lines}{_facility_key(facility_types)}</div>'
    )


#: Page-wide CSS of the maps: the proposal star and the legend's facility dots.
MAP_CSS = (
    "<style>.cc-star{color:#FFD700;font-size:22px;text-shadow:0 0 2px #000;"
    "line-height:22px;text-align:center}"
    ".cc-dot{display:inline-block;width:10px;height:10px;border-radius:50%;"
    "border:1px solid #222;vertical-align:-1px}</style>"
)


def esc(value: object) -> str:
    """HTML-escape any text that comes from input files."""
    return html.escape(str(value), quote=True)


def safe_filename(code: str) -> str:
    """Return a file-name-safe version of a code or name (no path separators, no dots first)."""
    cleaned = re.sub(r"[^0-9A-Za-z_\-\u4e00-\u9fff]", "_", str(code)).strip("._")
    return cleaned[:80] or "unnamed"


#: File names a street map must not take: the overview, and the Amap twin of another map.
_RESERVED = re.compile(r"^index$|_gcj02$", re.IGNORECASE)


def map_file_stems(codes: Sequence[str]) -> dict[str, str]:
    """Return a distinct, stable file-name stem for each street code.

    Codes become safe names (``../evil`` -> ``evil``). When several codes give the same name
    (``X/1``, ``X_1``, ``X:1``; also by case only, as Windows and macOS ignore it), the code
    that already was that name keeps it and the others get a short hash of the code appended
    (``X_1-993020e0``, from the code alone); so does a name that would clash with ``index``
    or with another map's ``*_gcj02``.

    Parameters
    ----------
    codes : sequence of str
        Street/town codes (unique).

    Returns
    -------
    dict
        Code -> stem, distinct case-insensitively.
    """
    safe = {code: safe_filename(code) for code in codes}
    names = Counter(name.lower() for name in safe.values())
    exact = Counter(c.lower() for c in codes if safe[c] == c)
    stems = {}
    for code in codes:
        stem = safe[code]
        shared = names[stem.lower()] > 1
        keeps = safe[code] == code and exact[code.lower()] == 1
        if _RESERVED.search(stem) or (shared and not keeps):
            digest = hashlib.sha1(str(code).encode("utf-8")).hexdigest()[:8]
            stem = f"{stem[:70]}-{digest}"
        stems[code] = stem
    seen: dict[str, int] = {}
    for code in codes:  # a hashed stem equal to some plain code: number it (deterministic)
        key = stems[code].lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            stems[code] = f"{stems[code]}-{seen[key]}"
    return stems


def pct(value: float) -> str:
    """Format a share as a percentage, or an em dash where it is undefined."""
    return "—" if value != value else f"{value:.1%}"  # noqa: PLR0124 - NaN check


def area(value: float, residents: float = 1.0) -> str:
    """Format floor area per 1,000 residents: — where nobody lives, 未评估 where unknown.

    Parameters
    ----------
    value : float
        The amount.
    residents : float, default 1.0
        Residents the value is per.
    """
    if value == value:  # noqa: PLR0124 - NaN check
        return f"{value:.1f}"
    return "—" if residents == 0 else "未评估 not assessed"


def count(value: float, unit: str = "") -> str:
    """Format a whole count (m², beds) of a facility; unknown (no such column) reads 不详.

    Parameters
    ----------
    value : float
        The amount.
    unit : str, default ''
        Written after the number (``m²``, ``beds``); nothing when empty.
    """
    if value != value:  # noqa: PLR0124 - NaN check
        return "不详 unknown"
    return f"{value:,.0f}" + (f" {unit}" if unit else "")


def title_panel(lines: list[str]) -> str:
    """Return a fixed title panel (already-escaped HTML lines) for the top-left of a map."""
    body = "<br>".join(lines)
    return (
        '<div id="cc-title" style="position:fixed;top:10px;left:60px;z-index:9999;'
        "background:rgba(255,255,255,0.92);padding:8px 12px;border-radius:4px;"
        'box-shadow:0 1px 4px rgba(0,0,0,.3);font:13px/1.5 sans-serif;max-width:420px">'
        f"{body}</div>"
    )


def records(frame: pd.DataFrame) -> Iterator[Any]:
    """Return the rows of ``frame`` as named tuples (fields typed as any cell value)."""
    return frame.itertuples(index=False)
