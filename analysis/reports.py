"""Write an audit's tables and files: CSV, XLSX, GeoPackage and run.json."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from carecircle.analysis.audit import Audit
from carecircle.analysis.files import formula_safe_frame, write_atomic
from carecircle.analysis.run_summary import json_number, run_summary, write_run_json
from carecircle.analysis.xlsx import write_xlsx
from carecircle.geo.tables import write_gpkg

__all__ = [
    "cells_frame",
    "database_tables",
    "json_number",
    "run_summary",
    "spatial_layers",
    "write_csv",
    "write_run_json",
    "write_tables",
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
        out.columns.get_loc("street"),
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
    scores = [
        walk.column(d.id) for d in audit.definitions for walk in d.walks if hasattr(walk, "run")
    ]
    return gpd.GeoDataFrame(
        cells[[*CELL_COLUMNS, *(c for c in scores if c in cells)]].reset_index(drop=True),
        geometry=audit.cell_squares,
        crs="EPSG:4326",
    )


def write_cells_gpkg(path: Path, audit: Audit) -> Path:
    """Write ``cells.gpkg`` (layer ``cells``)."""
    frame = cells_frame(audit)
    return write_atomic(path, lambda p: write_gpkg(frame, p, "cells"))


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


def _indicator_writers(out: Path, audit: Audit) -> list[tuple[str, Callable[[], Path]]]:
    """Return the files of :func:`write_indicator_files`, each as (name, writer)."""
    street = audit.indicators["street"].reset_index()
    community = audit.indicators["community"].reset_index()
    district = audit.indicators["district"].reset_index()

    def workbook() -> Path:
        return write_xlsx(
            out / "indicators.xlsx",
            [
                ("街道镇 streets", street),
                ("社区村 communities", with_street_names(community, audit.streets)),
                ("未达标社区 underserved", underserved_table(audit)),
                ("全区 district", district),
                ("指标说明 indicators", audit.catalogue),
            ],
        )

    def geopackage() -> Path:
        def write_layers(tmp: Path) -> None:
            for n, (name, frame) in enumerate(file_layers(audit).items()):
                write_gpkg(frame, tmp, name, append=n > 0)

        return write_atomic(out / "indicators.gpkg", write_layers)

    return [
        ("indicators_by_street.csv", lambda: write_csv(out / "indicators_by_street.csv", street)),
        (
            "indicators_by_community.csv",
            lambda: write_csv(out / "indicators_by_community.csv", community),
        ),
        (
            "indicator_catalogue.csv",
            lambda: write_csv(out / "indicator_catalogue.csv", audit.catalogue),
        ),
        ("indicators.xlsx", workbook),
        ("indicators.gpkg", geopackage),
    ]


def write_indicator_files(out: Path, audit: Audit) -> list[Path]:
    """Write the indicator tables (CSV, XLSX) and ``indicators.gpkg``.

    Files: ``indicators_by_street.csv``, ``indicators_by_community.csv``,
    ``indicator_catalogue.csv``, ``indicators.xlsx`` (sheets 街道/镇, 社区/村, 未达标社区,
    district, catalogue) and ``indicators.gpkg`` (layers streets, communities, facilities).

    Parameters
    ----------
    out : Path
        Output folder.
    audit : Audit
        The audit.

    Returns
    -------
    list of Path
        The files written.
    """
    return [write() for _, write in _indicator_writers(out, audit)]


def _table_writers(out: Path, audit: Audit) -> list[tuple[str, Callable[[], Path]]]:
    """Return the files of :func:`write_tables`, each as (name, writer)."""
    under = underserved_table(audit)

    def workbook() -> Path:
        return write_xlsx(
            out / "underserved_communities.xlsx",
            [
                ("未达标社区", under),
                ("街道 streets", audit.by_street),
                ("社区 communities", with_street_names(audit.by_community, audit.streets)),
            ],
        )

    return [
        (
            "coverage_by_street.csv",
            lambda: write_csv(out / "coverage_by_street.csv", audit.by_street),
        ),
        (
            "coverage_by_community.csv",
            lambda: write_csv(out / "coverage_by_community.csv", audit.by_community),
        ),
        (
            "underserved_communities.csv",
            lambda: write_csv(out / "underserved_communities.csv", under),
        ),
        ("underserved_communities.xlsx", workbook),
        ("cells.gpkg", lambda: write_cells_gpkg(out / "cells.gpkg", audit)),
    ]


def write_tables(out: Path, audit: Audit) -> list[Path]:
    """Write the coverage tables, the under-served list, the GeoPackages and indicator files.

    One step per file, with a progress bar on a terminal (the run record's ``steps``).

    Parameters
    ----------
    out : Path
        Output folder.
    audit : Audit
        The audit.

    Returns
    -------
    list of Path
        The files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    writers = _table_writers(out, audit) + _indicator_writers(out, audit)
    steps = audit.record.steps(writers, total=len(writers), unit="file", desc="tables")
    return [write() for _, write in steps]
