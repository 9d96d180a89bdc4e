"""Coverage of older residents and floor area, aggregated per community, street and district."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecircle.profiles import Profile

#: Columns every coverage table has, in order (community tables add ``street, kind``).
COVERAGE_COLUMNS = (
    "code",
    "name",
    "residents",
    "older_residents",
    "older_covered",
    "older_covered_share",
    "residents_covered",
    "residents_covered_share",
    "older_uncovered",
    "older_unreachable",
    "circle_facilities",
    "floor_area_m2",
    "floor_area_per_1000",
)


def _any_missing(values: pd.Series) -> bool:
    """Return True when any value of a group is missing (NaN)."""
    return bool(values.isna().any())


def _sums(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    key: str,
    profile: Profile,
) -> pd.DataFrame:
    """Sum cells and facilities per ``key`` (a column both frames carry).

    ``floor_area_unknown`` flags the units holding an S2-counted facility of unknown (NaN)
    floor area; :func:`_finish` makes their floor area NaN.
    """
    c = cells.assign(
        older_covered=np.where(cells["covered"], cells["older_residents"], 0.0),
        residents_covered=np.where(cells["covered"], cells["residents"], 0.0),
        older_unreachable=np.where(cells["unreachable"], cells["older_residents"], 0.0),
    )
    pop = c.groupby(key)[
        ["residents", "older_residents", "older_covered", "residents_covered", "older_unreachable"]
    ].sum()
    s2_types = profile.indicator("S2").facility_types or profile.circle_types
    counted = facilities[facilities["type"].isin(s2_types)]
    area = counted.groupby(key)["floor_area_m2"].agg(["sum", _any_missing])
    area.columns = ["floor_area_m2", "floor_area_unknown"]
    circle = facilities[facilities["counts_for_circle"]].groupby(key).size()
    return pop.join(area, how="outer").join(circle.rename("circle_facilities"), how="outer")


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    """Fill blanks and add shares and rates (NaN share where nobody lives).

    Floor area stays NaN (unknown, not 0) where ``floor_area_unknown`` is set.
    """
    num = [
        "residents",
        "older_residents",
        "older_covered",
        "residents_covered",
        "older_unreachable",
        "floor_area_m2",
        "circle_facilities",
    ]
    unknown = table.pop("floor_area_unknown").eq(True).to_numpy()
    table[num] = table[num].fillna(0.0)
    table.loc[unknown, "floor_area_m2"] = np.nan
    table["circle_facilities"] = table["circle_facilities"].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["older_covered_share"] = np.where(
            table["older_residents"] > 0, table["older_covered"] / table["older_residents"], np.nan
        )
        table["residents_covered_share"] = np.where(
            table["residents"] > 0, table["residents_covered"] / table["residents"], np.nan
        )
        table["floor_area_per_1000"] = np.where(
            table["residents"] > 0, table["floor_area_m2"] / table["residents"] * 1000.0, np.nan
        )
    table["older_uncovered"] = table["older_residents"] - table["older_covered"]
    return table


def coverage_by_community(
    cells: pd.DataFrame, facilities: pd.DataFrame, communities: pd.DataFrame, profile: Profile
) -> pd.DataFrame:
    """Coverage and floor area per community/village.

    Parameters
    ----------
    cells : DataFrame
        Cells with ``community, residents, older_residents, covered, unreachable``.
    facilities : DataFrame
        Facilities with ``community, type, floor_area_m2, counts_for_circle``.
    communities : DataFrame
        ``code, name, street, kind`` of every community (all appear, even empty ones).
    profile : Profile
        Which facility types count for floor area (S2).

    Returns
    -------
    DataFrame
        One row per community: ``code, name, street, kind`` and :data:`COVERAGE_COLUMNS`.
    """
    sums = _sums(cells, facilities, "community", profile)
    base = communities[["code", "name", "street", "kind"]].set_index("code")
    table = _finish(base.join(sums, how="left")).reset_index()
    first = ["code", "name", "street", "kind"]
    return table[first + [c for c in COVERAGE_COLUMNS if c not in first]]


def coverage_by_street(
    cells: pd.DataFrame, facilities: pd.DataFrame, streets: pd.DataFrame, profile: Profile
) -> pd.DataFrame:
    """Coverage and floor area per street/town (the sum of its communities).

    Parameters
    ----------
    cells : DataFrame
        Cells with ``street``.
    facilities : DataFrame
        Facilities with ``street``.
    streets : DataFrame
        ``code, name`` of every street.
    profile : Profile
        Which facility types count for floor area (S2).

    Returns
    -------
    DataFrame
        One row per street with :data:`COVERAGE_COLUMNS`.
    """
    sums = _sums(cells, facilities, "street", profile)
    table = _finish(streets[["code", "name"]].set_index("code").join(sums, how="left"))
    return table.reset_index()[list(COVERAGE_COLUMNS)]


def coverage_of_district(
    cells: pd.DataFrame, facilities: pd.DataFrame, name: str, profile: Profile
) -> pd.DataFrame:
    """Coverage and floor area of the whole district (cells and facilities inside a street).

    Parameters
    ----------
    cells, facilities : DataFrame
        As for :func:`coverage_by_street`; rows with an empty ``street`` are left out.
    name : str
        The study name.
    profile : Profile
        Which facility types count for floor area (S2).

    Returns
    -------
    DataFrame
        One row with code ``district``.
    """
    inside_c = cells[cells["street"] != ""].assign(district="district")
    inside_f = facilities[facilities["street"] != ""].assign(district="district")
    sums = _sums(inside_c, inside_f, "district", profile)
    table = _finish(
        pd.DataFrame({"name": [name]}, index=pd.Index(["district"], name="code")).join(
            sums, how="left"
        )
    )
    return table.reset_index()[list(COVERAGE_COLUMNS)]
