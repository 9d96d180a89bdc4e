"""Counts or older shares per community or street: reading, checking, spreading over cells.

A census gives residents and older residents per community (社区) or street (街道); this
module reads them from the boundary layer's columns or from a CSV/XLSX keyed by code,
refuses what cannot be right (unknown codes, negative or missing counts, more older
residents than residents, shares outside 0–1), and spreads each unit's count over its cells
in proportion to a weight (raster residents: dasymetric; cell area: uniform), so that the
cells of a unit add up to its count exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from pyproj import CRS
from rasterio.warp import transform_bounds

from carecircle._validate import missing_column
from carecircle.errors import InputDataError
from carecircle.geo.population import MAX_CELLS, CellGrid, cell_frame
from carecircle.geo.tables import read_table_rows
from carecircle.sources import DbSource

#: Older share a value above 1 is read as a percent in the hint (≤ 100).
_PERCENT_MAX = 100.0


def read_unit_values(
    source: Path | DbSource,
    code_column: str,
    columns: Mapping[str, str],
    *,
    what: str,
) -> pd.DataFrame:
    """Read numeric columns per unit code from a CSV, XLSX or the boundary layer.

    Parameters
    ----------
    source : Path or DbSource
        The table (a CSV keyed by code, or the boundary layer itself).
    code_column : str
        Column holding the unit code.
    columns : mapping of str to str
        Value name (``residents``, ``older_residents``, ``older_share``) -> column in the file.
    what : str
        What the values are (``counts``, ``older shares``), for messages.

    Returns
    -------
    pandas.DataFrame
        Indexed by code (text), one float column per value name, plus ``where`` (the row
        label for messages).

    Raises
    ------
    InputDataError
        For missing columns, duplicate codes, or values that are not numbers.
    """
    table, rows = read_table_rows(source)
    present = [str(c) for c in table.columns if c != "geometry"]
    for column in (code_column, *columns.values()):
        if column not in table.columns:
            raise InputDataError(
                missing_column(source, column, present, what)
                + "; or name the column in [population] (see docs/population.md)"
            )
    labels = [rows.one(i) for i in range(len(table))]  # 'row N' (file line), 'feature N'
    codes = table[code_column].astype(str).str.strip()
    out = pd.DataFrame({"where": labels}, index=pd.Index(codes.to_numpy(), name="code"))
    dup = out.index.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputDataError(
            f"{source}: {labels[i]}: code '{out.index[i]}' is listed twice; give one row per code"
        )
    for name, column in columns.items():
        text = table[column].astype(str).str.strip().str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputDataError(
                f"{source}: {labels[i]} (code {out.index[i]}): {column} is "
                f"'{table[column].iloc[i]}', not a number ({counted_rows(bad)}); give a "
                "number (0 where nobody lives)"
            )
        out[name] = values
    return out


def counted_rows(mask: np.ndarray) -> str:
    """Return '1 such row' / 'N such rows'."""
    n = int(np.count_nonzero(mask))
    return f"{n} such row{'s' if n != 1 else ''}"


def check_counts(values: pd.DataFrame, source: object) -> None:
    """Refuse negative counts and units with more older residents than residents.

    Parameters
    ----------
    values : pandas.DataFrame
        From :func:`read_unit_values` with ``residents`` and ``older_residents``.
    source : object
        The file, for the message.

    Raises
    ------
    InputDataError
        Naming the row, the code and the fix.
    """
    for name in ("residents", "older_residents"):
        neg = values[name].to_numpy() < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise InputDataError(
                f"{source}: {values['where'].iloc[i]} (code {values.index[i]}): {name} = "
                f"{values[name].iloc[i]:g} is negative ({counted_rows(neg)}); give a count of "
                "persons (0 where nobody lives)"
            )
    over = values["older_residents"].to_numpy() > values["residents"].to_numpy() + 1e-9
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputDataError(
            f"{source}: {values['where'].iloc[i]} (code {values.index[i]}): "
            f"{values['older_residents'].iloc[i]:,.0f} older residents but "
            f"{values['residents'].iloc[i]:,.0f} residents ({counted_rows(over)}); older "
            "residents are part of the residents: check the columns are not swapped"
        )


def check_shares(shares: pd.Series, where: pd.Series, source: object, column: str) -> None:
    """Refuse older shares outside 0–1, with a hint when they look like percents.

    Parameters
    ----------
    shares : pandas.Series
        Share per code.
    where : pandas.Series
        Row label per code.
    source : object
        The file, for the message.
    column : str
        The share column, for the message.

    Raises
    ------
    InputDataError
        Naming the row, the code and the fix.
    """
    values = shares.to_numpy()
    bad = (values < 0) | (values > 1)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    percent = bool(((values >= 0) & (values <= _PERCENT_MAX)).all() and values.max() > 1)
    hint = (
        f"; the values look like percents: divide them by 100 ({values[i]:g} % is "
        f"{values[i] / 100:g})"
        if percent
        else ""
    )
    raise InputDataError(
        f"{source}: {where.iloc[i]} (code {shares.index[i]}): {column} = {values[i]:g} is not "
        f"a share from 0 to 1 ({counted_rows(bad)}){hint}"
    )


def check_codes(
    values: pd.DataFrame, units: pd.DataFrame, source: object, *, level: str, what: str
) -> None:
    """Refuse codes that are not units of the boundaries, and units given no value.

    Parameters
    ----------
    values : pandas.DataFrame
        Indexed by code.
    units : pandas.DataFrame
        The boundary units (``code, name``) of the level.
    source : object
        The file, for the message.
    level : str
        ``community`` or ``street``.
    what : str
        ``counts`` or ``older shares``.

    Raises
    ------
    InputDataError
        Naming the codes (up to 8) and the fix.
    """
    known = set(units["code"])
    plural = "communities" if level == "community" else "streets"
    unknown = [c for c in values.index if c not in known]
    if unknown:
        listed = ", ".join(unknown[:8]) + (
            f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
        )
        raise InputDataError(
            f"{source}: {len(unknown)} code{'s' if len(unknown) > 1 else ''} of the {what} "
            f"{'are' if len(unknown) > 1 else 'is'} not among the {plural} of the "
            f"boundaries: {listed}; fix the codes (they must equal the boundaries' code "
            "column) or set [population] level"
        )
    lacking = units[~units["code"].isin(values.index)]
    if len(lacking):
        listed = ", ".join(f"{r.name} ({r.code})" for r in lacking.head(8).itertuples())
        more = f" and {len(lacking) - 8} more" if len(lacking) > 8 else ""
        raise InputDataError(
            f"{source}: no {what} for {len(lacking)} of {len(units)} {plural}: "
            f"{listed}{more}; add their rows (0 where nobody lives) so no one is counted as 0 "
            "without a word"
        )


def spread(unit: np.ndarray, weight: np.ndarray, totals: pd.Series) -> np.ndarray:
    """Spread each unit's total over its cells in proportion to the cells' weights.

    Parameters
    ----------
    unit : ndarray of str
        The unit code of each cell.
    weight : ndarray of float
        Non-negative weight of each cell (raster residents, or area).
    totals : pandas.Series
        Total per unit code; units absent get 0.

    Returns
    -------
    ndarray of float
        Each cell's share of its unit's total; the cells of a unit with a positive weight
        sum add up to its total.
    """
    weight = np.asarray(weight, dtype=np.float64)
    per_unit = pd.Series(weight).groupby(unit).sum()
    unit_weight = per_unit.reindex(unit).to_numpy(dtype=np.float64)
    total = totals.reindex(unit).fillna(0.0).to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(unit_weight > 0, total * weight / unit_weight, 0.0)


def metric_grid(bounds: tuple[float, float, float, float], cell_m: float) -> CellGrid:
    """Return a square grid of ``cell_m`` metres over WGS84 bounds, in their UTM zone.

    Parameters
    ----------
    bounds : tuple of float
        ``(west, south, east, north)`` in WGS84.
    cell_m : float
        Side of a cell in metres.

    Returns
    -------
    CellGrid
        North-up grid covering the bounds plus one cell.
    """
    west, south, east, north = bounds
    lon, lat = (west + east) / 2.0, (south + north) / 2.0
    zone = int((lon + 180.0) // 6.0) + 1
    crs = CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
    x0, y0, x1, y1 = transform_bounds("EPSG:4326", crs, *bounds)
    x0, y1 = np.floor(x0 / cell_m) * cell_m - cell_m, np.ceil(y1 / cell_m) * cell_m + cell_m
    cols = int(np.ceil((x1 - x0) / cell_m)) + 1
    rows = int(np.ceil((y1 - y0) / cell_m)) + 1
    transform = rasterio.Affine(cell_m, 0.0, float(x0), 0.0, -cell_m, float(y1))
    return CellGrid(transform, crs, (rows, cols))


def grid_cells(grid: CellGrid, bounds: tuple[float, float, float, float]) -> pd.DataFrame:
    """Return every cell of ``grid`` over WGS84 ``bounds`` (persons 0), as a cell table.

    Parameters
    ----------
    grid : CellGrid
        The grid (a raster's, or :func:`metric_grid`).
    bounds : tuple of float
        ``(west, south, east, north)`` in WGS84.

    Returns
    -------
    pandas.DataFrame
        As :func:`~carecircle.geo.population.cell_frame`, residents and older residents 0.

    Raises
    ------
    InputDataError
        When the area holds more than :data:`~carecircle.geo.population.MAX_CELLS` cells.
    """
    x0, y0, x1, y1 = transform_bounds("EPSG:4326", grid.crs, *bounds)
    inverse = ~grid.transform
    cs = [
        (inverse.a * x + inverse.b * y + inverse.c, inverse.d * x + inverse.e * y + inverse.f)
        for x in (x0, x1)
        for y in (y0, y1)
    ]
    c_lo = max(int(np.floor(min(c for c, _ in cs))) - 1, 0)
    c_hi = min(int(np.ceil(max(c for c, _ in cs))) + 1, grid.shape[1])
    r_lo = max(int(np.floor(min(r for _, r in cs))) - 1, 0)
    r_hi = min(int(np.ceil(max(r for _, r in cs))) + 1, grid.shape[0])
    n = max(c_hi - c_lo, 0) * max(r_hi - r_lo, 0)
    if n > MAX_CELLS:
        raise InputDataError(
            f"the grid over the study area has {n:,} cells, too many; set a coarser "
            "[population] cell_m (e.g. cell_m = 200)"
        )
    rows, cols = np.mgrid[r_lo:r_hi, c_lo:c_hi]
    rows, cols = rows.ravel(), cols.ravel()
    zeros = np.zeros(rows.size)
    return cell_frame(grid, rows, cols, zeros, zeros.copy())
