"""Say in the tables how the communities were given: approximate (points) or absent (streets).

Communities partitioned from points (居委会) carry ``boundary_approx = True`` in every
community table and in the under-served list; without communities each street stands for
one community, and the same tables carry ``boundary_note`` saying so (docs/boundaries.md).
"""

from __future__ import annotations

import pandas as pd

from carecircle.geo.community_points import NOTES, POINTS, STREETS

#: Community-table columns added by :func:`mark_community_tables` (kept in coverage tables).
NOTE_COLUMNS = ("boundary_approx", "boundary_note")


def mark_community_tables(
    tables: dict[str, pd.DataFrame], underserved: pd.DataFrame, mode: str
) -> pd.DataFrame:
    """Add the boundary column to the community table (in place) and the under-served list.

    Parameters
    ----------
    tables : dict
        Indicator tables by level; ``tables["community"]`` gains the column.
    underserved : DataFrame
        The under-served list.
    mode : str
        ``polygons`` (nothing added), ``points`` or ``streets``.

    Returns
    -------
    DataFrame
        The under-served list, with the column when one was added.
    """
    if mode == POINTS:
        tables["community"]["boundary_approx"] = True
        return underserved.assign(boundary_approx=True)
    if mode == STREETS:
        tables["community"]["boundary_note"] = NOTES[STREETS]
        return underserved.assign(boundary_note=NOTES[STREETS])
    return underserved
