"""Numbers as planners type them: full-width digits, thousands separators and area units.

``１２０``, ``1,200``, ``120㎡``, ``120 平方米``, ``0.0255万平方米`` and ``0.5亩`` are read as
square metres; a header such as ``建筑面积（万平方米）`` gives the unit of the whole column.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

#: Area units (NFKC-normalised, lower case, spaces removed) -> square metres.
AREA_UNITS: dict[str, float] = {
    "m2": 1.0,
    "m^2": 1.0,
    "平方米": 1.0,
    "平米": 1.0,
    "平方": 1.0,
    "sqm": 1.0,
    "万平方米": 10_000.0,
    "万m2": 10_000.0,
    "万平米": 10_000.0,
    "公顷": 10_000.0,
    "ha": 10_000.0,
    "亩": 10_000.0 / 15.0,
}
#: Words that make a header's bracket a unit, known or not (平方英尺, sq ft, km2, …).
_UNIT_WORDS = re.compile(r"平方|平米|英尺|公里|公顷|亩|sq|ft|km|m2|m\^2|ha$", re.IGNORECASE)
#: Count units accepted after a number of beds (50张).
COUNT_UNITS = ("张", "床")
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(.*)$", re.IGNORECASE)


def normalise(text: object) -> str:
    """Return a cell as plain ASCII-digit text: NFKC, no spaces, no thousands separators.

    Parameters
    ----------
    text : object
        A cell (``"１２０"``, ``"1,200 ㎡"``).

    Returns
    -------
    str
        ``"120"``, ``"1200m2"`` (NFKC turns ``㎡`` and ``m²`` into ``m2``).
    """
    value = unicodedata.normalize("NFKC", str(text)).strip()
    return re.sub(r"[\s,，]", "", value).replace("²", "2")


def header_unit(header: str) -> tuple[str, float | None]:
    """Return the area unit named in a header and its factor to m².

    Parameters
    ----------
    header : str
        The header as in the file, e.g. ``"建筑面积（万平方米）"`` or ``"面积/亩"``.

    Returns
    -------
    tuple of (str, float or None)
        ``("万平方米", 10000.0)``; ``("", 1.0)`` when the header names no unit;
        ``("平方英尺", None)`` for an area unit carecircle does not know.
    """
    found = re.findall(r"[(（\[【]([^)）\]】]*)[)）\]】]", header)
    slash = re.search(r"[/／]\s*([^/／]+)$", header)
    for raw in [*found, *([slash.group(1)] if slash else [])]:
        key = normalise(raw).lower()
        if key in AREA_UNITS:
            return raw.strip(), AREA_UNITS[key]
        if _UNIT_WORDS.search(key):
            return raw.strip(), None
    return "", 1.0


def parse_numbers(
    cells: pd.Series, *, units: dict[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse text cells into numbers, with an optional unit after each number.

    Parameters
    ----------
    cells : Series
        Text cells; blanks (``""``, ``nan``) read as 0.
    units : dict, optional
        Unit (normalised, lower case) -> factor; a cell ``120㎡`` is ``120 × units["m2"]``.
        None: no unit is accepted.

    Returns
    -------
    values : ndarray of float
        The numbers (NaN where a cell does not parse), converted by their unit.
    blank : ndarray of bool
        Blank cells (read as 0).
    with_unit : ndarray of bool
        Cells that carried a unit (converted).
    """
    units = units or {}
    text = cells.map(normalise)
    blank = text.str.lower().isin(["", "nan", "none"]).to_numpy()
    values = np.full(len(text), np.nan)
    with_unit = np.zeros(len(text), dtype=bool)
    for i, cell in enumerate(text.to_numpy()):
        if blank[i]:
            values[i] = 0.0
            continue
        match = _NUMBER.match(cell)
        if not match:
            if cell.lower() in ("inf", "+inf", "-inf", "infinity", "nan"):
                values[i] = float(cell)
            continue
        number, unit = float(match.group(1)), match.group(2).lower()
        if not unit:
            values[i] = number
        elif unit in units:
            values[i], with_unit[i] = number * units[unit], True
    return values, blank, with_unit
