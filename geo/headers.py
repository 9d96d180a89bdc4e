"""Header matching: alternative headers (``经度``, ``Longitude``) read as carecircle's columns."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from carecircle.sources import DbSource

log = logging.getLogger(__name__)


def header_key(name: object) -> str:
    """Normalise a header for matching: lower case, units in brackets and spaces removed.

    Parameters
    ----------
    name : object
        A column header, e.g. ``"建筑面积（㎡）"`` or ``"Floor Area"``.

    Returns
    -------
    str
        ``"建筑面积"``, ``"floor_area"``.
    """
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", str(name)).strip().lower()
    text = re.sub(r"\s*[/／]\s*(㎡|m2|m²|平方米|张|个)$", "", text)
    return re.sub(r"[\s_\-]+", "_", text).strip("_")


def header_targets(values: Sequence[object], aliases: Mapping[str, Sequence[str]]) -> set[str]:
    """Return the columns of ``aliases`` that the header cells ``values`` name.

    Parameters
    ----------
    values : sequence
        The cells of a candidate header row.
    aliases : mapping
        Column -> other headers for it (e.g. :data:`carecircle.vocabulary.COLUMN_ALIASES`).

    Returns
    -------
    set of str
        The columns named, by their own name or an alias.
    """
    keys = {header_key(v) for v in values}
    return {
        col
        for col, names in aliases.items()
        if keys & {header_key(col), *(header_key(n) for n in names)}
    }


def rename_aliased_columns(
    df: pd.DataFrame, path: Path | DbSource, aliases: Mapping[str, Sequence[str]]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename alternative headers (``经度``, ``Longitude``) to carecircle's column names.

    A column already present under its own name wins; among several aliases of one column the
    first in ``aliases`` wins and the others stay as they are. One info line lists the renames.

    Parameters
    ----------
    df : DataFrame
        The table.
    path : Path
        The file, for the message.
    aliases : mapping
        Column -> other headers for it, in order of preference.

    Returns
    -------
    table : DataFrame
        The table with renamed columns (same rows).
    headers : dict
        Each renamed column -> the header it had in the file (for messages:
        :meth:`carecircle.geo.tables.Rows.with_headers`).
    """
    columns = [str(c) for c in df.columns]
    free = [c for c in columns if c not in aliases and c != "geometry"]
    rename: dict[str, str] = {}
    for col, names in aliases.items():
        if col in columns:
            continue
        wanted = [header_key(col), *(header_key(n) for n in names)]
        hits = sorted(
            (wanted.index(header_key(c)), i, c)
            for i, c in enumerate(free)
            if header_key(c) in wanted and c not in rename
        )
        if hits:
            rename[hits[0][2]] = col
    if rename:
        log.info(
            "%s: 表头识别 headers read as columns: %s",
            path,
            ", ".join(f"{a} → {b}" for a, b in rename.items()),
        )
    return df.rename(columns=rename), {new: old for old, new in rename.items()}
