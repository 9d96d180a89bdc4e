"""Facilities listed twice: the same place entered again under a new id.

A repeated facility doubles its floor area and its coverage without a word, so exact
duplicates (same type, at most 1 m apart, same floor area and beds) are refused, and near
duplicates (same type within 10 m, or same type and name within 1 km) are warned with the
m² they add.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from carecircle.errors import InputDataError
from carecircle.text import counted

log = logging.getLogger(__name__)

#: At most this far apart (m), with the same type, floor area and beds: the same facility.
EXACT_M = 1.0
#: Within this distance (m) with the same type: probably the same facility.
NEAR_M = 10.0
#: Same type and name within this distance (m): probably the same facility (a generic name
#: such as 长者食堂 repeated across a district is not).
NAME_M = 1000.0
_SHOWN = 5


def _metres(fac: pd.DataFrame) -> np.ndarray:
    """Local east/north metres of the facilities (equirectangular; exact enough at 10 m)."""
    lat0 = float(np.nanmean(fac["lat"])) if len(fac) else 0.0
    x = fac["lon"].to_numpy(dtype=float) * 111_320.0 * np.cos(np.radians(lat0))
    y = fac["lat"].to_numpy(dtype=float) * 110_574.0
    return np.column_stack([x, y])


def _close_pairs(fac: pd.DataFrame, radius: float) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of facilities of the same type within ``radius`` m."""
    xy = _metres(fac)
    pairs = []
    for _, idx in fac.groupby("type").indices.items():
        if len(idx) < 2:
            continue
        found = cKDTree(xy[idx]).query_pairs(radius, output_type="ndarray")
        pairs.append(idx[found])
    return np.sort(np.concatenate(pairs), axis=1) if pairs else np.empty((0, 2), dtype=np.int64)


def _same_name_pairs(fac: pd.DataFrame) -> np.ndarray:
    """Pairs of facilities with the same type and the same (non-empty) name."""
    named = fac[fac["name"].astype(str).str.strip() != ""]
    pairs = []
    for _, idx in named.groupby(["type", "name"]).indices.items():
        rows = named.index.to_numpy()[idx]
        pairs += [(int(rows[0]), int(r)) for r in rows[1:]]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality where NaN (unknown) equals NaN."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _where(fac: pd.DataFrame, i: int, other_file: str = "") -> str:
    """``facilities.csv row 5 (F9)``; the file only when it differs from ``other_file``."""
    row = fac.iloc[i]
    file = "" if row["source_file"] == other_file else f"{row['source_file']} "
    return f"{file}row {row['source_row']} ({row['id']})"


def check_duplicates(fac: pd.DataFrame) -> None:
    """Refuse facilities listed twice, and warn about pairs that look like it.

    Parameters
    ----------
    fac : DataFrame
        Facilities of every table (``id, name, type, lon, lat, floor_area_m2, beds,
        source_file, source_row``), WGS84.

    Raises
    ------
    InputDataError
        For an exact duplicate, naming both rows.
    """
    fac = fac.reset_index(drop=True)
    close = _close_pairs(fac, NEAR_M)
    xy = _metres(fac)
    area = fac["floor_area_m2"].to_numpy(dtype=float)
    beds = fac["beds"].to_numpy(dtype=float)
    if len(close):
        i, j = close[:, 0], close[:, 1]
        apart = np.hypot(*(xy[i] - xy[j]).T)
        exact = (apart <= EXACT_M) & _equal(area[i], area[j]) & _equal(beds[i], beds[j])
        if exact.any():
            a, b = (int(v) for v in close[np.flatnonzero(exact)[0]])
            first = fac.iloc[a]
            more = f" ({counted(int(exact.sum()), 'such pair')})" if exact.sum() > 1 else ""
            raise InputDataError(
                f"{first['source_file']}: {_where(fac, b, first['source_file'])} repeats "
                f"{_where(fac, a, first['source_file'])}: same type {first['type']} "
                f"{apart[np.flatnonzero(exact)[0]]:.1f} m apart with the same floor area "
                f"and beds{more}; remove the repeated row (the facility would count twice)"
            )
    named = _same_name_pairs(fac)
    named = named[np.hypot(*(xy[named[:, 0]] - xy[named[:, 1]]).T) <= NAME_M]
    _warn_near(fac, np.unique(np.vstack([close, named]), axis=0), xy, area)


def _warn_near(fac: pd.DataFrame, pairs: np.ndarray, xy: np.ndarray, area: np.ndarray) -> None:
    """Warn about near duplicates, naming the pairs and the floor area the second ones add."""
    if not len(pairs):
        return
    apart = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    shown = "; ".join(
        f"{_where(fac, int(a))} / {_where(fac, int(b))} ({apart[k]:,.0f} m apart)"
        for k, (a, b) in enumerate(pairs[:_SHOWN])
    )
    more = f"; … ({len(pairs)} pairs)" if len(pairs) > _SHOWN else ""
    added = float(np.nansum(area[np.unique(pairs[:, 1])]))
    log.warning(
        "%s of facilities look like the same facility listed twice (same type within "
        "%g m, or same type and name within %g m): %s%s; the second of each adds %s m² of "
        "floor area: if they are the same, remove one row",
        counted(len(pairs), "pair"),
        NEAR_M,
        NAME_M,
        shown,
        more,
        f"{added:,.0f}",
    )
