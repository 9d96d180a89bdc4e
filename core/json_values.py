"""The one NaN → null helper: values ready for ``json.dumps`` (run.json, siting.json, batch)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def json_value(value: Any, digits: int | None = None) -> Any:
    """Return ``value`` ready for JSON: unknown numbers as None (``null``), numpy as Python.

    NaN and infinities (which JSON cannot hold) and ``pd.NA`` become None, numpy scalars the
    Python numbers they hold, at any depth of dicts, lists and tuples (tuples become lists).

    Parameters
    ----------
    value : object
        A number, a container of them, or any other JSON value.
    digits : int, optional
        Decimals to round every float to.

    Returns
    -------
    object
        The value as ``json.dumps(..., allow_nan=False)`` accepts it.
    """
    if isinstance(value, Mapping):
        return {k: json_value(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v, digits) for v in value]
    return _scalar(value, digits)


def _scalar(value: Any, digits: int | None) -> Any:
    """Return one non-container value of :func:`json_value`."""
    if isinstance(value, bool | np.bool_):
        out: Any = bool(value)
    elif isinstance(value, np.integer):
        out = int(value)
    elif isinstance(value, float | np.floating):
        number = float(value)
        finite = math.isfinite(number)
        out = None if not finite else number if digits is None else round(number, digits)
    elif value is not None and type(value).__name__ == "NAType":  # pd.NA, without pandas
        out = None
    else:
        out = value
    return out


def json_number(value: object, digits: int | None = None) -> float | None:
    """Return a number for JSON (rounded to ``digits``), or None (``null``) where unknown.

    :func:`json_value` of ``float(value)``.

    Parameters
    ----------
    value : object
        A number, NaN or inf.
    digits : int, optional
        Decimals to keep.

    Returns
    -------
    float or None
        None for NaN and infinities, which JSON cannot hold.
    """
    return json_value(float(value), digits)  # type: ignore[arg-type]
