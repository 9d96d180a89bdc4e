"""Facility status (已建 / 在建 / 规划) and opening year: read, check, and who is open when.

A facility table may carry ``status`` (existing, under construction, planned; Chinese 已建,
在建, 规划) and ``open_year``. A table without them means every facility exists, as before.
A facility is *open by* a year when it exists (and its ``open_year``, if given, is not later),
or when it is under construction or planned with ``open_year`` at most that year.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from carecircle.errors import InputDataError
from carecircle.geo.tables import Rows
from carecircle.sources import Source
from carecircle.text import counted

log = logging.getLogger(__name__)

STATUS_COLUMNS = ("status", "open_year")
#: Other headers of the two columns, in order of preference.
STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "status": ("状态", "建设状态", "建设情况", "设施状态", "建设阶段", "state"),
    "open_year": (
        "开业年份",
        "建成年份",
        "投用年份",
        "投运年份",
        "开放年份",
        "计划建成年份",
        "计划投用年份",
        "opening_year",
        "year_open",
    ),
}
EXISTING, UNDER_CONSTRUCTION, PLANNED = "existing", "under_construction", "planned"
#: Status code -> bilingual label.
STATUS_LABELS = {
    EXISTING: "已建 existing",
    UNDER_CONSTRUCTION: "在建 under construction",
    PLANNED: "规划 planned",
}
#: Every accepted value (lower case, no spaces) -> status code. Words that could mean either
#: (新建 "newly built / to build", 改造 "rebuilt") are refused rather than guessed.
STATUS_VALUES: dict[str, str] = {
    **dict.fromkeys(
        (
            "existing",
            "built",
            "open",
            "operating",
            "已建",
            "已建成",
            "建成",
            "现状",
            "现有",
            "已运营",
            "运营",
            "运营中",
            "在营",
            "已投用",
        ),
        EXISTING,
    ),
    **dict.fromkeys(
        (
            "under_construction",
            "underconstruction",
            "under-construction",
            "construction",
            "building",
            "在建",
            "建设中",
            "施工中",
            "在建中",
        ),
        UNDER_CONSTRUCTION,
    ),
    **dict.fromkeys(
        (
            "planned",
            "plan",
            "proposed",
            "规划",
            "规划中",
            "拟建",
            "计划",
            "计划新建",
            "待建",
            "规划新建",
        ),
        PLANNED,
    ),
}
#: Values refused with a hint: they do not say whether the facility is open yet.
AMBIGUOUS = ("新建", "改造", "改建", "扩建", "新增", "提升")
_BLANK = {"", "nan", "none", "<na>"}
_YEARS = (1900, 2100)


def _key(value: object) -> str:
    return "".join(str(value).split()).lower().replace("（", "(").replace("）", ")")


def _statuses(df: pd.DataFrame, ids: pd.Series, path: Source, rows: Rows) -> np.ndarray:
    """Return the status codes of the ``status`` column; blank cells are ``existing`` (warned)."""
    keys = df["status"].map(_key)
    codes = keys.map(STATUS_VALUES)
    blank = keys.isin(_BLANK).to_numpy()
    bad = codes.isna().to_numpy() & ~blank
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        given = str(df["status"].iloc[i]).strip()
        hint = (
            f" ('{given}' does not say whether it is built yet)"
            if any(w in given for w in AMBIGUOUS)
            else ""
        )
        more = f"; {int(bad.sum())} such rows: {rows.some(bad)}" if bad.sum() > 1 else ""
        raise InputDataError(
            f"{path}: {rows.one(i)} ({ids.iloc[i]}) status = '{given}' is not a known facility "
            f"status{hint}{more}; allowed: existing (已建), under_construction (在建), "
            "planned (规划)"
        )
    if blank.any():
        log.warning(
            "%s: %s %s no status: counted as existing (已建); fill the status column to be sure",
            path,
            rows.some(blank) if blank.sum() > 1 else rows.one(int(np.flatnonzero(blank)[0])),
            "have" if blank.sum() > 1 else "has",
        )
    return np.where(blank, EXISTING, codes.fillna(EXISTING).to_numpy()).astype(object)


def _open_years(df: pd.DataFrame, ids: pd.Series, path: Source, rows: Rows) -> np.ndarray:
    """Return opening years as floats (NaN blank); ``2025年`` and ``2025.0`` read as 2025."""
    text = df["open_year"].astype(str).str.strip().str.removesuffix("年")
    blank = text.str.lower().isin(_BLANK).to_numpy()
    years = pd.to_numeric(text.where(~blank, ""), errors="coerce").to_numpy(dtype=float)
    bad = ~blank & ~(np.isfinite(years) & (years == np.round(years)))
    bad |= ~blank & ((years < _YEARS[0]) | (years > _YEARS[1]))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} ({ids.iloc[i]}) open_year = '{df['open_year'].iloc[i]}' "
            "is not a year; give the year it opens (or opened) as four digits, e.g. 2025"
            + (f" ({counted(int(bad.sum()), 'such row')})" if bad.sum() > 1 else "")
        )
    return np.where(blank, np.nan, years)


def status_columns(df: pd.DataFrame, out: pd.DataFrame, path: Source, rows: Rows) -> list[str]:
    """Read ``status`` and ``open_year`` of a facility table into ``out``, if it has them.

    Parameters
    ----------
    df : DataFrame
        The table as read, with carecircle's column names.
    out : DataFrame
        The clean facility frame (``id`` set); gets ``status`` and ``open_year`` when the
        table has either column.
    path : Path or DbSource
        The file or database table, for messages.
    rows : Rows
        File rows of the data rows.

    Returns
    -------
    list of str
        ``["status", "open_year"]`` when the table has either column, else empty.

    Raises
    ------
    InputDataError
        For an unknown status, an open_year that is not a year, or a facility under
        construction or planned without an open_year.
    """
    if not any(c in df.columns for c in STATUS_COLUMNS):
        return []
    ids = out["id"].reset_index(drop=True)
    status = (
        _statuses(df, ids, path, rows)
        if "status" in df.columns
        else np.full(len(df), EXISTING, dtype=object)
    )
    years = (
        _open_years(df, ids, path, rows) if "open_year" in df.columns else np.full(len(df), np.nan)
    )
    missing = (status != EXISTING) & np.isnan(years)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputDataError(
            f"{path}: {rows.one(i)} ({ids.iloc[i]}) is {STATUS_LABELS[status[i]]} but has no "
            "open_year; give the year it opens, e.g. open_year = 2025"
            + (f" ({counted(int(missing.sum()), 'such row')})" if missing.sum() > 1 else "")
        )
    out["status"] = status
    out["open_year"] = years
    return list(STATUS_COLUMNS)


def fill_status(fac: pd.DataFrame) -> pd.DataFrame:
    """Give facilities of tables without status columns ``existing`` and no open_year."""
    if not any(c in fac.columns for c in STATUS_COLUMNS):
        return fac
    out = fac.copy()
    out["status"] = out["status"].fillna(EXISTING) if "status" in out else EXISTING
    out["open_year"] = out["open_year"].astype(float) if "open_year" in out else np.nan
    return out


def has_status(fac: pd.DataFrame) -> bool:
    """Return True when the facilities carry status columns (some table had them)."""
    return "status" in fac.columns


def open_by(fac: pd.DataFrame, year: int | None) -> np.ndarray:
    """Return which facilities are open by the end of ``year`` (None: the existing ones).

    Parameters
    ----------
    fac : DataFrame
        Facilities; without a ``status`` column every one exists.
    year : int or None
        The plan year; None counts the facilities that exist now, whatever their open_year.

    Returns
    -------
    ndarray of bool
        One flag per facility.
    """
    if not has_status(fac):
        return np.ones(len(fac), dtype=bool)
    status = fac["status"].to_numpy()
    if year is None:
        return status == EXISTING
    years = fac["open_year"].to_numpy(dtype=float)
    return np.where(status == EXISTING, ~(years > year), years <= year)


def not_open_reason(fac: pd.DataFrame, year: int | None) -> np.ndarray:
    """Return, per facility, why it does not count by ``year`` (empty where it is open).

    Parameters
    ----------
    fac : DataFrame
        The facilities; ``status`` and ``open_year`` are read when the tables had them.
    year : int or None
        The audit year (``--year``): a facility counts when it is open by the end of it.
        None counts existing (已建) facilities only.
    """
    if not has_status(fac):
        return np.full(len(fac), "", dtype=object)
    open_ = open_by(fac, year)
    labels = fac["status"].map(STATUS_LABELS).to_numpy()
    years = fac["open_year"].to_numpy(dtype=float)
    when = np.array([f"{y:.0f}" if np.isfinite(y) else "?" for y in years], dtype=object)
    scope = "no --year given: existing facilities only" if year is None else f"not open by {year}"
    text = labels + ", opens " + when + f" ({scope})"
    return np.where(open_, "", text).astype(object)


def check_plan_years(fac: pd.DataFrame, years: Sequence[int], plan: str) -> None:
    """Refuse opening years outside the plan: planned and built ones must fit its years.

    Parameters
    ----------
    fac : DataFrame
        Facilities with ``status``, ``open_year``, ``source_file``, ``source_row``, ``id``.
    years : sequence of int
        The plan years (e.g. 2024, 2025, 2026).
    plan : str
        The profile, for the message.

    Raises
    ------
    InputDataError
        For a facility under construction or planned whose open_year is not a plan year, or
        an existing one said to open after the plan's last year.
    """
    if not has_status(fac) or not len(years):
        return
    first, last = min(years), max(years)
    status = fac["status"].to_numpy()
    open_year = fac["open_year"].to_numpy(dtype=float)
    future = status != EXISTING
    bad = (future & ((open_year < first) | (open_year > last))) | (~future & (open_year > last))
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    row = fac.iloc[i]
    n = int(bad.sum())
    more = f" ({counted(n, 'such facility', 'such facilities')})" if n > 1 else ""
    fix = (
        "mark a facility built before the plan as existing (已建)"
        if open_year[i] < first
        else "add the year to the profile's [plan] years if the plan runs longer"
    )
    raise InputDataError(
        f"{row['source_file']}: row {row['source_row']} ({row['id']}) open_year = "
        f"{open_year[i]:.0f} is outside the plan years {first}–{last} of {plan}{more}; give a "
        f"year from {first} to {last}, or {fix}"
    )
