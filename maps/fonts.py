"""The CJK font of the charts and static maps, found and registered with matplotlib once."""

from __future__ import annotations

import functools
from pathlib import Path

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
)


@functools.cache
def cjk_font() -> str | None:
    """Return the path of an installed CJK font (Noto Sans CJK first), or None.

    Without one, Chinese labels would be drawn as empty boxes: charts then fall back to
    English labels and a warning says how to install the font (``fonts-noto-cjk``).
    """
    from matplotlib import font_manager

    # the files themselves first: the same font every time (and fonts installed after
    # matplotlib built its cache are found too)
    files = sorted(font_manager.findSystemFonts())
    for pattern in ("NotoSansCJK-Regular", "NotoSansCJK", "NotoSerifCJK-Regular", "wqy"):
        for path in files:
            if pattern in Path(path).name:
                return path
    for family in CJK_FAMILIES:
        try:
            return font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
    return None


@functools.cache
def cjk_family() -> str | None:
    """Register the CJK font with matplotlib once per process; return its family name."""
    from matplotlib import font_manager

    path = cjk_font()
    if path is None:
        return None
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()
