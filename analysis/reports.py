"""An audit's tables as written: the CSV writer, GIS layers, PostGIS tables.

The files themselves are written by the registered writers of :mod:`carecircle.outputs`.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import geopandas as gpd
import pandas as pd

from carecircle.analysis.audit import Audit
from carecircle.analysis.files import formula_safe_frame, write_atomic
from carecircle.analysis.run_summary import json_number, run_summary, write_run_json

__all__ = [
    "cells_frame",
    "database_tables",
    "json_number",
    "run_summary",
    "spatial_layers",
    "write_csv",
    "write_run_json",
]


CELL_COLUMNS = (
    "cell_id",
    "residents",
    "older_residents",
    "distance_m",
    "snap_distance_m",
    "nearest_facility",
    "covered",
    "unreachable",
    "community",
    "street",
)


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    """Write a CSV as UTF-8 with BOM (so Excel shows the Chinese), floats to 10 digits.

    Text cells that a spreadsheet would run as a formula get a leading quote.

    Parameters
    ----------
    path : Path
        The CSV file to write (replaced atomically).
    df : DataFrame
        The table; its index is not written.
    """
    df = formula_safe_frame(df)
    return write_atomic(
        path,
        lambda p: df.to_csv(
            p, index=False, encoding="utf-8-sig", float_format="%.10g", lineterminator="\n"
        ),
    )


def with_street_names(table: pd.DataFrame, streets: pd.DataFrame) -> pd.DataFrame:
    """Return a community table with ``street_name`` (the street/town's name) before ``street``.

    Parameters
    ----------
    table : DataFrame
        Rows with a ``street`` column holding street/town codes.
    streets : DataFrame
        The streets/towns: ``code, name``.

    Returns
    -------
    DataFrame
        A copy of ``table``; ``street_name`` is empty where the code is not a street/town.
    """
    names = dict(zip(streets["code"], streets["name"], strict=True))
    out = table.copy()
    out.insert(
        cast(int, out.columns.get_loc("street")),  # column names are unique
        "street_name",
        [names.get(code, "") for code in out["street"]],
    )
    return out


def underserved_table(audit: Audit) -> pd.DataFrame:
    """Return the under-served list as written: ``street_name`` beside the street code."""
    return with_street_names(audit.underserved, audit.streets)


def cells_frame(audit: Audit) -> gpd.GeoDataFrame:
    """Every population cell with its coverage (and score walks' columns), squares in EPSG:4326."""
    cells = audit.cells
    scores = [column for d in audit.definitions for column in d.score_columns()]
    return gpd.GeoDataFrame(
        cells[[*CELL_COLUMNS, *(c for c in scores if c in cells)]].reset_index(drop=True),
        geometry=audit.cell_squares,
        crs="EPSG:4326",
    )


def _unit_layer(units: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Polygons with their indicator table; verdicts as 1/0/empty so GIS software reads them."""
    attrs = table.drop(columns=[c for c in ("name", "street", "kind") if c in table])
    merged = units.merge(attrs, on="code", how="left")
    for col in merged.columns:
        if col.endswith("_met"):
            merged[col] = merged[col].astype("Float64").astype(float)
    return merged


def spatial_layers(audit: Audit, *, cells: bool = True) -> dict[str, gpd.GeoDataFrame]:
    """Return the GIS layers: streets and communities with indicators, facilities, cells.

    Parameters
    ----------
    audit : Audit
        The audit.
    cells : bool, default True
        Include the ``cells`` layer (PostGIS gets it; the files keep it in cells.gpkg).

    Returns
    -------
    dict
        Layer name → GeoDataFrame in EPSG:4326.
    """
    fac = audit.facilities
    points = gpd.GeoDataFrame(
        fac.drop(columns=["street_given", "community_given"]),
        geometry=gpd.points_from_xy(fac["lon"], fac["lat"]),
        crs="EPSG:4326",
    )
    points["counts_for_circle"] = points["counts_for_circle"].astype(int)
    layers = {
        "streets": _unit_layer(audit.streets, audit.indicators["street"].reset_index()),
        "communities": _unit_layer(audit.communities, audit.indicators["community"].reset_index()),
        "facilities": points,
    }
    if cells:
        frame = cells_frame(audit)
        for col in ("covered", "unreachable"):
            frame[col] = frame[col].astype(int)
        layers["cells"] = frame
    return layers


def database_tables(audit: Audit) -> dict[str, pd.DataFrame]:
    """Return every output table as written to PostGIS (same columns as the files)."""
    return {
        **spatial_layers(audit),
        "coverage_by_street": audit.by_street,
        "coverage_by_community": audit.by_community,
        "indicators_by_street": audit.indicators["street"].reset_index(),
        "indicators_by_community": audit.indicators["community"].reset_index(),
        "indicators_district": audit.indicators["district"].reset_index(),
        "indicator_catalogue": audit.catalogue,
        "underserved_communities": underserved_table(audit),
    }


def file_layers(audit: Audit) -> dict[str, gpd.GeoDataFrame]:
    """Return the layers of ``indicators.gpkg``: streets, communities, facilities.

    The cells have one home, ``cells.gpkg`` (a million squares at city size are written
    once, not twice).
    """
    layers = spatial_layers(audit, cells=False)
    return {name: layers[name] for name in ("streets", "communities", "facilities")}
