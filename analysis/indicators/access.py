"""Accessibility scores AC1, AC2: supply within a walk, shared by the older residents reaching it.

Two-step floating catchment (2SFCA, Luo & Wang 2003) over the walking network, optionally with
a distance decay (Gaussian, Dai 2010; E2SFCA steps, Luo & Qi 2009); see :mod:`.fca` and
``docs/accessibility.md``. The score of a cell is the supply (m², beds) within its reach per
1,000 older residents; a community's, street's or the district's is the demand-weighted mean
of its cells' scores, ``Σ P_i A_i / Σ P_i``, i.e. the supply reachable per older resident.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from carecircle.analysis.circles import subset
from carecircle.analysis.indicators.base import IndicatorContext, needs_columns, result
from carecircle.analysis.indicators.fca import DECAYS, two_step_fca
from carecircle.analysis.indicators.registry import Indicator, Param, ScoreWalk, WalkData
from carecircle.errors import InputDataError, ProfileError
from carecircle.geo.matrix import coverage_matrix
from carecircle.profiles import IndicatorSpec
from carecircle.text import counted

#: Facility columns a score may take its supply from.
SUPPLY_COLUMNS = ("floor_area_m2", "beds", "nursing_beds", "meals_per_day")
#: Status of a unit whose score is reported without a verdict (the profile's target is 0).
SCORE_ONLY = "not applicable: no target set, score only (target = 0)"


def check_supply(value: Any, where: str, types: tuple[str, ...]) -> str:
    """Check a profile's ``supply``: one column for every type, or a table type → column.

    Parameters
    ----------
    value : object
        ``"beds"`` or ``{day_care = "beds", embedded_care = "beds"}`` as TOML gives it.
    where : str
        ``<profile>: [indicators.<ID>]`` for messages.
    types : tuple of str
        The facility types the indicator counts; a table gives a column for each, no other.

    Returns
    -------
    str
        The column, or the table as ``"day_care=beds, embedded_care=beds"`` (hashable).

    Raises
    ------
    ProfileError
        For an unknown column, a table naming a type not counted or leaving one out, or a
        value of another form.
    """
    allowed = ", ".join(SUPPLY_COLUMNS)
    if isinstance(value, str):
        if value not in SUPPLY_COLUMNS:
            raise ProfileError(f"{where} supply = {value!r}; allowed columns: {allowed}")
        return value
    if not isinstance(value, dict) or not value:
        raise ProfileError(
            f'{where} supply = {value!r}; write one column (supply = "beds") or a table '
            f'per facility type (supply = {{day_care = "beds"}}); columns: {allowed}'
        )
    listed = ", ".join(types)
    for ftype, column in value.items():
        if ftype not in types:
            raise ProfileError(
                f"{where} supply gives a column for {ftype}, a type this indicator does not "
                f"count (facility_types = {listed}); add it to facility_types or remove it"
            )
        if column not in SUPPLY_COLUMNS:
            raise ProfileError(f"{where} supply.{ftype} = {column!r}; allowed columns: {allowed}")
    left_out = [t for t in types if t not in value]
    if left_out:
        raise ProfileError(
            f"{where} supply has no column for {', '.join(left_out)}; give one per counted "
            f"type ({listed})"
        )
    return ", ".join(f"{t}={c}" for t, c in value.items())


def supply_columns(spec: IndicatorSpec) -> dict[str, str]:
    """Return facility type → supply column for every type the indicator counts.

    Parameters
    ----------
    spec : IndicatorSpec
        The checked profile entry (``supply`` as :func:`check_supply` returns it, or the
        definition's default).

    Returns
    -------
    dict
        One entry per counted type.
    """
    text = str(spec.param("supply"))
    if "=" not in text:
        return dict.fromkeys(spec.facility_types, text)
    return dict(pair.split("=", 1) for pair in text.split(", "))


def _explicit_columns_exist(
    fac: pd.DataFrame, spec: IndicatorSpec, table: dict[str, str], profile_path: str
) -> None:
    """Refuse a per-type supply column that no facility of that type has (its files lack it)."""
    if "=" not in str(spec.param("supply", "")):
        return  # one column for all types: facilities lacking it are "not assessed"
    for ftype, column in table.items():
        of_type = fac[fac["type"] == ftype]
        if len(of_type) and of_type[column].isna().all():
            files = ", ".join(
                sorted(of_type.get("source_file", pd.Series(dtype=str)).astype(str).unique())
            )
            where = f"{profile_path}: " if profile_path else ""
            raise InputDataError(
                f"{where}[indicators.{spec.id}] supply gives {column} for {ftype}, but no "
                f"{ftype} facility has a {column} column ({files or 'the facility tables'}); "
                f"add the column to the file or give {ftype} another supply column"
            )


def catchment_minutes(data: WalkData, definition: Indicator, spec: IndicatorSpec) -> float:
    """Return the catchment in minutes: the profile's ``minutes``, else the circle's.

    Parameters
    ----------
    data : WalkData
        What the walk reads; its ``minutes`` are the circle's.
    definition : Indicator
        AC1 or AC2 (declares the ``minutes`` parameter).
    spec : IndicatorSpec
        The profile entry; its ``minutes``, when set, are used instead of the circle's.
    """
    minutes = definition.param(spec, "minutes")
    return float(data.minutes if minutes is None else minutes)


def catchment_scores(data: WalkData, definition: Indicator, spec: IndicatorSpec) -> np.ndarray:
    """Return each cell's 2SFCA score: supply within reach per 1,000 older residents.

    Parameters
    ----------
    data : WalkData
        Network, facilities, cells and their snaps.
    definition : Indicator
        AC1 or AC2 (its default supply column).
    spec : IndicatorSpec
        The profile entry (types, supply, decay, minutes).

    Returns
    -------
    ndarray
        One value per cell of ``data.cells``: 0 where no counted facility reaches it, NaN
        where one of unknown supply does.
    """
    fac = data.facilities
    table = supply_columns(spec)
    _explicit_columns_exist(fac, spec, table, data.profile_path)
    counted_rows = fac["type"].isin(spec.facility_types).to_numpy() & data.facility_snap.ok
    supply = np.full(len(fac), np.nan)
    for ftype, column in table.items():
        rows = (fac["type"] == ftype).to_numpy()
        supply[rows] = fac.loc[rows, column].to_numpy(dtype=np.float64)
    radius = catchment_minutes(data, definition, spec) * 60.0 * data.walk_speed_m_s
    if data.matrices is not None:
        distance = data.matrices.distances(counted_rows, radius)
    else:
        distance = coverage_matrix(
            data.network, subset(data.facility_snap, counted_rows), data.cell_snap, radius_m=radius
        )
    scores = two_step_fca(
        distance,
        supply[counted_rows],
        data.cells["older_residents"].to_numpy(dtype=np.float64),
        catchment_m=radius,
        decay=str(definition.param(spec, "decay")),
    )
    return scores.score * 1000.0


def _unknown_reason(ctx: IndicatorContext, spec: IndicatorSpec, older: float) -> str:
    """``not assessed: beds unknown for facilities within reach of 120 older residents (…)``."""
    table = supply_columns(spec)
    fac = ctx.facilities[ctx.facilities["type"].isin(spec.facility_types)]
    unknown = np.zeros(len(fac), dtype=bool)
    for ftype, column in table.items():
        unknown |= ((fac["type"] == ftype) & fac[column].isna()).to_numpy()
    columns = sorted({table[t] for t in fac.loc[unknown, "type"]})
    files = (
        sorted(fac.loc[unknown, "source_file"].astype(str).unique()) if "source_file" in fac else []
    )
    verb = "has" if len(files) == 1 else "have"
    why = f" ({', '.join(files)} {verb} no {' or '.join(columns)} column)" if files else ""
    return (
        f"not assessed: {' or '.join(columns) or 'supply'} unknown for "
        f"{counted(int(unknown.sum()), 'facility', 'facilities')} within reach of "
        f"{older:,.0f} older residents{why}"
    )


def access_formula(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame:
    """AC1/AC2 per unit: demand-weighted mean of the cells' scores (per 1,000 older residents).

    Gap (target > 0): the supply short, ``(target − value) × older / 1,000``, were it to
    serve the unit's older residents alone. Target 0: the score without a verdict.

    Parameters
    ----------
    ctx : IndicatorContext
        The audit's data for the indicators; the cells carry ``<id>_score`` (from the walk).
    spec : IndicatorSpec
        The indicator's settings in the profile (``target``, ``supply``).
    level : str
        ``community``, ``street`` or ``district``.
    """
    table = supply_columns(spec)
    missing = needs_columns(ctx, spec, level, *dict.fromkeys(table.values()))
    if missing is not None:
        return missing
    cells = ctx.cells
    key = ctx.key(cells, level)
    older = cells["older_residents"]
    score = cells[f"{spec.id.lower()}_score"]
    units = ctx.units(level)
    total = older.groupby(key).sum().reindex(units, fill_value=0.0)
    reached = (older * score.fillna(0.0)).groupby(key).sum().reindex(units, fill_value=0.0)
    unknown = older.where(score.isna() & (older > 0), 0.0).groupby(key).sum()
    unknown = unknown.reindex(units, fill_value=0.0)
    value = (reached / total).where(total > 0)
    target = float(spec.target or 0.0)
    gap = (np.maximum(target - value, 0.0) * total / 1000.0).round(1)
    out = result(units, value, target, value >= target - 1e-9, gap, applicable=total > 0)
    if target == 0.0:
        scored = (total > 0).to_numpy()
        out["met"] = pd.array([pd.NA] * len(out), dtype="boolean")
        out["gap"] = np.nan
        out.loc[scored, "status"] = SCORE_ONLY
    hit = (unknown > 0).to_numpy()
    if hit.any():
        out.loc[hit, ["value", "gap"]] = np.nan
        out.loc[hit, "met"] = pd.NA
        out.loc[hit, "status"] = [_unknown_reason(ctx, spec, o) for o in unknown[hit]]
    return out


def _params(supply: str) -> tuple[Param, ...]:
    return (
        Param("facility_types", "types"),
        Param("supply", "choice", supply, choices=SUPPLY_COLUMNS, check=check_supply),
        Param("decay", "choice", "none", choices=DECAYS),
        Param("minutes", "number", None, 0.0, 120.0),
    )


_COMMUNITY_PLACES = ("day_care", "embedded_care", "comprehensive_centre")

#: The accessibility scores, in table order.
ACCESS: tuple[Indicator, ...] = (
    Indicator(
        "AC1",
        "社区养老设施面积可达性(2SFCA)",
        "elder-care floor area within reach per 1,000 older residents (2SFCA)",
        "m²/1,000 older",
        "m²",
        access_formula,
        params=_params("floor_area_m2"),
        needs_columns=(),
        walks=(ScoreWalk(catchment_scores),),
    ),
    Indicator(
        "AC2",
        "社区养老床位可达性(2SFCA)",
        "community care places within reach per 1,000 older residents (2SFCA)",
        "places/1,000 older",
        "places",
        access_formula,
        default_types=_COMMUNITY_PLACES,
        params=_params("beds"),
        needs_columns=(),
        walks=(ScoreWalk(catchment_scores),),
    ),
)
