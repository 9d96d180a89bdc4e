"""Small text helpers: the English half of planner-facing messages, formula-safe cells."""

from __future__ import annotations

import re


def plural(count: str, singular: str, plural_form: str) -> str:
    """Return ``"<count> <noun>"`` with the noun in the singular when ``count`` is ``"1"``.

    Parameters
    ----------
    count : str
        The number as shown, e.g. ``"1"`` or ``"3,312"``.
    singular, plural_form : str
        The noun, e.g. ``"site"`` and ``"sites"``.

    Returns
    -------
    str
        E.g. ``"1 site"``, ``"2 sites"``.
    """
    return f"{count} {singular if count == '1' else plural_form}"


def counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """Return ``"<n> <noun>"`` with the noun in the singular for one.

    Parameters
    ----------
    n : int
        How many.
    singular : str
        The noun for one, e.g. ``"row"``.
    plural_form : str, optional
        The noun for several (default: ``singular + "s"``).

    Returns
    -------
    str
        E.g. ``"1 row"``, ``"3 rows"``, ``"2 facilities"``.
    """
    return plural(f"{n:,}", singular, plural_form or singular + "s")


def verb(n: int, singular: str, plural: str) -> str:
    """Return the verb form that agrees with ``n`` (``"lies"`` / ``"lie"``).

    Parameters
    ----------
    n : int
        The count.
    singular : str
        The singular form.
    plural : str
        The plural form.
    """
    return singular if n == 1 else plural


#: First characters that make a spreadsheet read a text cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_safe(value: object) -> object:
    """Return a text cell that no spreadsheet runs as a formula; any other value unchanged.

    Text starting with ``= + - @``, a tab or a carriage return gets a leading single quote
    (OWASP's rule for CSV injection), so ``=HYPERLINK(…)`` or ``-2+3`` stays text in Excel,
    WPS and LibreOffice. Numbers are never changed, nor is text that is a plain number
    (``-5``, ``+1.5e3``): a spreadsheet reads those as the number they are.

    Parameters
    ----------
    value : object
        A cell.

    Returns
    -------
    object
        ``"'" + value`` for such text, else ``value`` itself.
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
