"""Small helpers for the English half of planner-facing messages."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """Return ``"<n> <noun>"`` with the noun in the singular for one.

    Parameters
    ----------
    n : int
        How many.
    singular : str
        The noun for one, e.g. ``"row"``.
    plural : str, optional
        The noun for several (default: ``singular + "s"``).

    Returns
    -------
    str
        E.g. ``"1 row"``, ``"3 rows"``, ``"2 facilities"``.
    """
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def verb(n: int, singular: str, plural: str) -> str:
    """Return the verb form that agrees with ``n`` (``"lies"`` / ``"lie"``)."""
    return singular if n == 1 else plural
