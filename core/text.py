"""Small helpers for the English half of planner-facing messages."""

from __future__ import annotations


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
    """Return the verb form that agrees with ``n`` (``"lies"`` / ``"lie"``)."""
    return singular if n == 1 else plural
