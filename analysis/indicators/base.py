"""The indicator registry, the data every indicator reads, and the per-level evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carecircle.analysis.indicators.registry import REGISTRY
from carecircle.profiles import IndicatorSpec, Profile
from carecircle.text import counted

LEVELS = ("community", "street", "district")

#: an indicator column: one value per unit, or one value for every unit
Values = pd.Series | np.ndarray | list[float] | list[bool] | float


@dataclass
class IndicatorContext:
    """What the indicators read: cells, facilities and units with their codes.

    Attributes
    ----------
    cells : DataFrame
        Cells inside a community: ``community, street, residents, older_residents,
        covered`` and one ``covered_<ID>`` column per further circle (S4, S8).
    facilities : DataFrame
        Facilities with ``type, street, community``, the numeric columns, the optional
        attribute columns and ``health_distance_m`` (S7).
    communities, streets : DataFrame
        ``code, name`` (communities also ``street, kind``).
    coverage : dict
        Level -> coverage table indexed by unit code (see :mod:`..coverage`).
    attribute_columns : frozenset of str
        Facility columns that at least one facility table has: the numeric ones
        (``floor_area_m2``, ``beds``, ``nursing_beds``; NaN for the facilities of a table
        without the column) and the optional attributes (A3–A6). An indicator needing a
        column no table has is ``not assessed``; one counting a facility whose numeric value
        is unknown is ``not assessed`` in the units holding that facility.
    boundary_mode : str
        ``polygons``, ``points`` or ``streets`` (no communities: each street is one unit,
        and indicators counting communities are ``not assessed``).
    """

    cells: pd.DataFrame
    facilities: pd.DataFrame
    communities: pd.DataFrame
    streets: pd.DataFrame
    coverage: dict[str, pd.DataFrame]
    attribute_columns: frozenset[str] = field(default_factory=frozenset)
    boundary_mode: str = "polygons"

    def units(self, level: str) -> pd.Index:
        """Return the unit codes of a level, in table order."""
        return self.coverage[level].index

    def key(self, frame: pd.DataFrame, level: str) -> pd.Series:
        """Return the unit code of each row of ``frame`` (cells or facilities) at ``level``.

        Parameters
        ----------
        frame : pd.DataFrame
            A table with ``street`` and ``community`` columns.
        level : str
            ``community``, ``street`` or ``district``.
        """
        if level == "district":
            return pd.Series(np.where(frame["street"] != "", "district", ""), index=frame.index)
        return frame[level]

    def count(self, types: tuple[str, ...], level: str) -> pd.Series:
        """Return the number of facilities of ``types`` per unit (0 where none).

        Parameters
        ----------
        types : tuple[str, ...]
            Facility types counted.
        level : str
            ``community``, ``street`` or ``district``.
        """
        fac = self.facilities[self.facilities["type"].isin(types)]
        counts = fac.groupby(self.key(fac, level)).size()
        return counts.reindex(self.units(level), fill_value=0).astype(float)

    def sum_of(self, column: str, types: tuple[str, ...], level: str) -> pd.Series:
        """Return the sum of a facility column over facilities of ``types`` per unit.

        Parameters
        ----------
        column : str
            The facility column summed.
        types : tuple[str, ...]
            Facility types counted.
        level : str
            ``community``, ``street`` or ``district``.
        """
        fac = self.facilities[self.facilities["type"].isin(types)]
        sums = fac[column].fillna(0.0).groupby(self.key(fac, level)).sum()
        return sums.reindex(self.units(level), fill_value=0.0).astype(float)


def result(
    index: pd.Index,
    value: Values,
    target: float,
    met: Values,
    gap: Values,
    applicable: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """Assemble one indicator's columns; rows not ``applicable`` get that status and no verdict.

    Parameters
    ----------
    index : pd.Index
        The units (rows) of the result.
    value : Values
        The indicator's value per unit (or one for all).
    target : float
        The indicator's target.
    met : Values
        Whether each unit meets the target.
    gap : Values
        What is missing to the target, per unit.
    applicable : pd.Series | np.ndarray | None, default None
        Rows the indicator applies to; the others get that status and no verdict.
    """
    ok = np.ones(len(index), dtype=bool) if applicable is None else np.asarray(applicable, bool)
    met = np.asarray(met, dtype=bool)
    return pd.DataFrame(
        {
            "value": np.where(ok, np.asarray(value, dtype=float), np.nan),
            "target": float(target),
            "met": pd.Series(met, index=index, dtype="boolean").mask(~ok),
            "gap": np.where(ok, np.asarray(gap, dtype=float), np.nan),
            "status": np.where(ok, np.where(met, "met", "not met"), "not applicable"),
        },
        index=index,
    )


def not_assessed(index: pd.Index, target: float, reason: str) -> pd.DataFrame:
    """Columns of an indicator the study lacks data for.

    Parameters
    ----------
    index : pd.Index
        The units (rows) of the result.
    target : float
        The indicator's target.
    reason : str
        Why the indicator is not assessed.
    """
    return pd.DataFrame(
        {
            "value": np.nan,
            "target": float(target),
            "met": pd.array([pd.NA] * len(index), dtype="boolean"),
            "gap": np.nan,
            "status": f"not assessed: {reason}",
        },
        index=index,
    )


def needs_columns(
    ctx: IndicatorContext, spec: IndicatorSpec, level: str, *columns: str
) -> pd.DataFrame | None:
    """``not assessed`` columns when the facility tables lack any of ``columns``, else None.

    Parameters
    ----------
    ctx : IndicatorContext
        The data; ``ctx.attribute_columns`` lists the facility columns the input has.
    spec : IndicatorSpec
        The indicator's profile entry (for its target).
    level : str
        ``community``, ``street`` or ``district``.
    *columns : str
        The facility columns the indicator reads.

    Returns
    -------
    DataFrame or None
        Status ``not assessed: the facility tables have no <column> column`` per unit, or None
        when every column is present.
    """
    missing = [c for c in columns if c not in ctx.attribute_columns]
    if not missing:
        return None
    return not_assessed(
        ctx.units(level),
        spec.target or 0.0,
        f"the facility tables have no {' or '.join(missing)} column",
    )


def mark_unknown(
    ctx: IndicatorContext,
    cols: pd.DataFrame,
    level: str,
    columns: tuple[str, ...],
    types: tuple[str, ...],
) -> pd.DataFrame:
    """Set ``not assessed`` in the units where a counted facility has an unknown value.

    Parameters
    ----------
    ctx : IndicatorContext
        The data.
    cols : DataFrame
        The indicator's columns per unit (from :func:`result`).
    level : str
        ``community``, ``street`` or ``district``.
    columns : tuple of str
        The numeric facility columns the indicator sums; NaN is unknown (the facility's
        table lacks the column).
    types : tuple of str
        The facility types it counts.

    Returns
    -------
    DataFrame
        ``cols`` with value, met, gap and the extra columns emptied and status ``not
        assessed: beds unknown for 3 facilities (meal_points.csv has no beds column)`` in
        those units; the other units unchanged.
    """
    fac = ctx.facilities[ctx.facilities["type"].isin(types)]
    unknown = fac[list(columns)].isna().any(axis=1)
    if not unknown.any():
        return cols
    n = unknown.groupby(ctx.key(fac, level)).sum().reindex(cols.index, fill_value=0)
    hit = (n > 0).to_numpy()
    if not hit.any():
        return cols
    lacking = [c for c in columns if fac[c].isna().any()]
    files = ", ".join(
        sorted(fac.loc[unknown, "source_file"].astype(str).unique()) if "source_file" in fac else []
    )
    without = (
        f" ({files} {'has' if ', ' not in files else 'have'} no {' or '.join(lacking)} column)"
        if files
        else ""
    )
    out = cols.copy()
    for col in out.columns.difference(["target", "status"]):
        out.loc[hit, col] = pd.NA if col == "met" else np.nan
    out.loc[hit, "status"] = [
        f"not assessed: {' or '.join(lacking)} unknown for "
        f"{counted(int(k), 'facility', 'facilities')}{without}"
        for k in n[hit]
    ]
    return out


def failed_indicators(table: pd.DataFrame) -> pd.Series:
    """Return, per row, the IDs of the indicators not met (``"S1 S4"``; empty when none)."""
    ids = [i for i in REGISTRY.ids() if f"{i.lower()}_met" in table]
    failed = table[[f"{i.lower()}_met" for i in ids]].eq(False).fillna(False)
    return (
        failed.apply(lambda row: " ".join(i for i, f in zip(ids, row, strict=True) if f), axis=1)
        if len(table)
        else pd.Series(dtype=str)
    )


def indicator_tables(ctx: IndicatorContext, profile: Profile) -> dict[str, pd.DataFrame]:
    """Evaluate every enabled indicator at every level.

    Parameters
    ----------
    ctx : IndicatorContext
        The data.
    profile : Profile
        Which indicators, with which targets.

    Returns
    -------
    dict
        Level -> the coverage table with ``<id>_value, <id>_target, <id>_met, <id>_gap,
        <id>_status`` appended for every enabled indicator (IDs in lower case).
    """
    out = {}
    for level in LEVELS:
        parts = [ctx.coverage[level]]
        for definition in REGISTRY:
            indicator_id = definition.id
            spec = profile.indicator(indicator_id)
            if not spec.enabled:
                continue
            cols = definition.formula(ctx, spec, level)
            if cols is None:
                cols = result(
                    ctx.units(level),
                    np.nan,
                    spec.target or 0.0,
                    False,
                    np.nan,
                    applicable=np.zeros(len(ctx.units(level)), dtype=bool),
                )
            parts.append(cols.add_prefix(f"{indicator_id.lower()}_"))
        out[level] = pd.concat(parts, axis=1)
    return out


def indicator_catalogue(
    profile: Profile, ctx: IndicatorContext, district: pd.DataFrame
) -> pd.DataFrame:
    """One row per indicator: names, unit, target, district value and verdict, data used, source.

    Parameters
    ----------
    profile : Profile
        The standards profile.
    ctx : IndicatorContext
        The data (for which optional columns exist).
    district : DataFrame
        The district-level indicator table (one row).

    Returns
    -------
    DataFrame
        ``id, name_zh, name_en, unit, enabled, target, district_value, district_status,
        facility_types, params, source``.
    """
    rows = []
    d = district.iloc[0]
    for definition in REGISTRY:
        indicator_id = definition.id
        spec = profile.indicator(indicator_id)
        low = indicator_id.lower()
        rows.append(
            {
                "id": indicator_id,
                "name_zh": definition.name_zh,
                "name_en": definition.name_en,
                "unit": definition.unit,
                "enabled": spec.enabled,
                "target": spec.target,
                "district_value": d.get(f"{low}_value", np.nan),
                "district_status": d.get(f"{low}_status", "disabled in the profile"),
                "facility_types": ", ".join(spec.facility_types),
                "params": ", ".join(f"{k}={v}" for k, v in spec.params.items()),
                "source": spec.source,
            }
        )
    return pd.DataFrame(rows)
