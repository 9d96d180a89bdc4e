"""Small helpers to validate TOML tables with messages that name the key and the fix."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from carecircle.errors import CarecircleError


def closest(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or an empty string.

    Parameters
    ----------
    name : str
        The unknown name.
    choices : iterable of str
        The known names.

    Returns
    -------
    str
        A suggestion to append to an error message.
    """
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def missing_column(
    path: object,
    column: str,
    present: Iterable[str],
    what: str = "",
    labels: Mapping[str, str] | None = None,
) -> str:
    """Message for a missing column, naming a near miss in the file as the one to rename.

    Parameters
    ----------
    path : object
        The file, for the message.
    column : str
        The column carecircle needs.
    present : iterable of str
        The file's columns.
    what : str
        What the file holds, e.g. ``"facilities"``.
    labels : mapping, optional
        Column -> header in the file's language (``{"type": "类型"}``), suggested as well.

    Returns
    -------
    str
        ``"<file>: column 'type' is missing; the file has 'typ': rename it to 'type'"``.
    """
    present = [str(c) for c in present]
    match = difflib.get_close_matches(column, present, n=1, cutoff=0.6)
    label = (labels or {}).get(column)
    header = f" as '{label}' or '{column}'" if label else ""
    fix = (
        f"the file has '{match[0]}': rename it to '{column}'"
        if match
        else f"add the column{header} (the file has {', '.join(present) or 'no columns'})"
    )
    return f"{path}: column '{column}' is missing{' for ' + what if what else ''}; {fix}"


def missing_columns(
    path: object,
    columns: Sequence[str],
    present: Iterable[str],
    what: str = "",
    labels: Mapping[str, str] | None = None,
) -> str:
    """Message for one or several missing columns, all in one line.

    Parameters
    ----------
    path : object
        The file, for the message.
    columns : sequence of str
        The columns carecircle needs and the file lacks.
    present : iterable of str
        The file's columns.
    what : str
        What the file holds, e.g. ``"facilities"``.
    labels : mapping, optional
        Column -> header in the file's language, suggested after the column:
        ``add 'id' (编号)``.

    Returns
    -------
    str
        For one column as :func:`missing_column`; for several ``"<file>: columns 'id', 'lon'
        are missing for facilities; rename 'lng' to 'lon'; add 'id' (the file has ...)"``.
    """
    present = [str(c) for c in present]
    labels = labels or {}
    if len(columns) == 1:
        return missing_column(path, columns[0], present, what, labels)
    fixes, rest = [], []
    for col in columns:
        match = difflib.get_close_matches(col, present, n=1, cutoff=0.6)
        if match:
            fixes.append(f"rename '{match[0]}' to '{col}'")
        else:
            rest.append(f"'{col}' ({labels[col]})" if col in labels else f"'{col}'")
    has = f"(the file has {', '.join(present) or 'no columns'})"
    if rest:
        fixes.append(f"add {', '.join(rest)} {has}")
    names = ", ".join(f"'{c}'" for c in columns)
    return f"{path}: columns {names} are missing{' for ' + what if what else ''}; " + "; ".join(
        fixes
    )


def check_keys(
    table: Mapping[str, Any],
    allowed: Iterable[str],
    *,
    where: str,
    path: Path,
    error: type[CarecircleError],
) -> None:
    """Refuse keys that are not in ``allowed``, suggesting the closest known key.

    Parameters
    ----------
    table : mapping
        The parsed TOML table.
    allowed : iterable of str
        Known keys of that table.
    where : str
        The table's name for the message, e.g. ``"[circle]"``.
    path : Path
        The file, for the message.
    error : type
        The exception class to raise.

    Raises
    ------
    CarecircleError
        On the first unknown key.
    """
    allowed = list(allowed)
    for key in table:
        if key not in allowed:
            raise error(
                f"{path}: unknown key '{key}' in {where}{closest(key, allowed)}; "
                f"allowed keys: {', '.join(allowed)}"
            )


def get_number(
    table: Mapping[str, Any],
    key: str,
    default: float | None,
    *,
    where: str,
    path: Path,
    error: type[CarecircleError],
    minimum: float | None = 0.0,
    maximum: float | None = None,
) -> float | None:
    """Read a number, checking its type and range.

    Parameters
    ----------
    table : mapping
        The parsed TOML table.
    key : str
        The key to read.
    default : float or None
        Value when the key is absent.
    where, path, error
        For the message, as in :func:`check_keys`.
    minimum, maximum : float or None
        Exclusive lower bound and inclusive upper bound; None for none.

    Returns
    -------
    float or None
        The value.

    Raises
    ------
    CarecircleError
        When the value is not a number or out of range.
    """
    if key not in table:
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(
            f"{path}: {where} {key} = {value!r} is not a number; write e.g. {key} = {default or 1}"
        )
    if not math.isfinite(value):
        raise error(
            f"{path}: {where} {key} = {value} is not a finite number; write e.g. "
            f"{key} = {default or 1}"
        )
    if minimum is not None and value <= minimum:
        raise error(f"{path}: {where} {key} = {value} must be greater than {minimum}")
    if maximum is not None and value > maximum:
        raise error(f"{path}: {where} {key} = {value} must be at most {maximum}")
    return float(value)


def get_str(
    table: Mapping[str, Any],
    key: str,
    default: str | None,
    *,
    where: str,
    path: Path,
    error: type[CarecircleError],
) -> str | None:
    """Read a string, checking its type; the required ones have ``default=None``.

    Parameters
    ----------
    table : mapping
        The parsed TOML table.
    key : str
        The key to read.
    default : str or None
        Value when the key is absent.
    where, path, error
        For the message, as in :func:`check_keys`.

    Returns
    -------
    str or None
        The value.

    Raises
    ------
    CarecircleError
        When the value is not a string.
    """
    if key not in table:
        return default
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise error(f'{path}: {where} {key} = {value!r} must be a non-empty text, e.g. {key} = "…"')
    return value
