"""The CJK font of the charts and static maps: found once, for Pillow and for matplotlib.

The font file is looked up in the system's font folders first (no matplotlib import: the
charts are drawn with Pillow, :mod:`carecircle.maps.canvas`), then through matplotlib's font
list; the static maps register it with matplotlib (:func:`cjk_family`).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
)
#: File names of the CJK fonts tried first, best first (Debian's fonts-noto-cjk).
CJK_FILE_PATTERNS = ("NotoSansCJK-Regular", "NotoSansCJK", "NotoSerifCJK-Regular", "wqy")
FONT_SUFFIXES = (".ttf", ".ttc", ".otf")


def font_folders() -> list[Path]:
    """Return the system's and the user's font folders (those that exist)."""
    home = Path.home()
    if sys.platform == "win32":
        windir = Path(os.environ.get("WINDIR", "C:/Windows"))
        local = Path(os.environ.get("LOCALAPPDATA", home))
        folders = [windir / "Fonts", local / "Microsoft" / "Windows" / "Fonts"]
    elif sys.platform == "darwin":
        folders = [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts"]
    else:
        data = os.environ.get("XDG_DATA_HOME", str(home / ".local/share"))
        folders = [
            Path("/usr/share/fonts"),
            Path("/usr/local/share/fonts"),
            Path(data) / "fonts",
            home / ".fonts",
        ]
    return [f for f in folders if f.is_dir()]


def font_files() -> list[str]:
    """Return the font files (.ttf, .ttc, .otf) in the font folders, sorted."""
    found = [
        os.path.join(root, name)
        for folder in font_folders()
        for root, _, names in os.walk(folder)
        for name in names
        if name.lower().endswith(FONT_SUFFIXES)
    ]
    return sorted(found)


def _by_file_name(files: list[str]) -> str | None:
    for pattern in CJK_FILE_PATTERNS:
        for path in files:
            if pattern in Path(path).name:
                return path
    return None


@functools.cache
def cjk_font() -> str | None:
    """Return the path of an installed CJK font (Noto Sans CJK first), or None.

    Without one, Chinese labels would be drawn as empty boxes: charts and maps then fall back
    to English labels and a warning says how to install the font (``fonts-noto-cjk``).
    """
    # the files themselves first: the same font every time (and fonts installed after
    # matplotlib built its cache are found too)
    path = _by_file_name(font_files())
    if path is not None:
        return path
    from matplotlib import font_manager

    path = _by_file_name(sorted(font_manager.findSystemFonts()))
    if path is not None:
        return path
    for family in CJK_FAMILIES:
        try:
            return font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
    return None


def latin_font() -> str | None:
    """Return matplotlib's DejaVu Sans file (found without importing matplotlib), or None."""
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return str(path)
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
