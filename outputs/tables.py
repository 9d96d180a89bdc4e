"""The table outputs of an audit: CSV tables, the two workbooks, the two GeoPackages."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from carecircle.analysis.audit import Audit
from carecircle.analysis.files import write_atomic
from carecircle.analysis.reports import (
    cells_frame,
    file_layers,
    underserved_table,
    with_street_names,
    write_csv,
)
from carecircle.analysis.xlsx import write_xlsx
from carecircle.geo.vector_io import write_gpkg
from carecircle.outputs.gpkg import write_layer
from carecircle.outputs.registry import WriteJob


def write_table_csvs(job: WriteJob) -> list[Path]:
    """Write the coverage, under-served and indicator tables and the catalogue as CSV."""
    out, audit = job.folder, job.audit
    tables = {
        "coverage_by_street.csv": audit.by_street,
        "coverage_by_community.csv": audit.by_community,
        "underserved_communities.csv": underserved_table(audit),
        "indicators_by_street.csv": audit.indicators["street"].reset_index(),
        "indicators_by_community.csv": audit.indicators["community"].reset_index(),
        "indicator_catalogue.csv": audit.catalogue,
    }
    out.mkdir(parents=True, exist_ok=True)
    return [write_csv(out / name, table) for name, table in tables.items()]


def write_workbooks(job: WriteJob) -> list[Path]:
    """Write ``underserved_communities.xlsx`` and ``indicators.xlsx``."""
    out, audit = job.folder, job.audit
    under = underserved_table(audit)
    underserved = write_xlsx(
        out / "underserved_communities.xlsx",
        [
            ("未达标社区", under),
            ("街道 streets", audit.by_street),
            ("社区 communities", with_street_names(audit.by_community, audit.streets)),
        ],
    )
    community = audit.indicators["community"].reset_index()
    indicators = write_xlsx(
        out / "indicators.xlsx",
        [
            ("街道镇 streets", audit.indicators["street"].reset_index()),
            ("社区村 communities", with_street_names(community, audit.streets)),
            ("未达标社区 underserved", under),
            ("全区 district", audit.indicators["district"].reset_index()),
            ("指标说明 indicators", audit.catalogue),
        ],
    )
    return [underserved, indicators]


def write_geopackages(job: WriteJob) -> list[Path]:
    """Write ``cells.gpkg`` (the cells' one home) and ``indicators.gpkg`` (the other layers).

    The cells are written once, in batches that leave Ctrl-C answered (:mod:`.gpkg`); the
    other layers are small (streets, communities, facilities).
    """
    out = job.folder

    def write_layers(tmp: Path) -> None:
        for n, (name, frame) in enumerate(file_layers(job.audit).items()):
            write_gpkg(frame, tmp, name, append=n > 0)

    cells = write_atomic(out / "cells.gpkg", lambda p: write_layer(job.cells, p, "cells"))
    return [cells, write_atomic(out / "indicators.gpkg", write_layers)]


def write_tables(out: Path, audit: Audit, cells: gpd.GeoDataFrame | None = None) -> list[Path]:
    """Write every table output of an audit into ``out`` (CSV, workbooks, GeoPackages).

    Parameters
    ----------
    out : Path
        Output folder.
    audit : Audit
        The audit.
    cells : GeoDataFrame, optional
        The cells frame (``AuditResult.cells``); built from ``audit`` when not given.

    Returns
    -------
    list of Path
        The files written.
    """
    job = WriteJob(folder=out, audit=audit, cells=cells_frame(audit) if cells is None else cells)
    return [*write_table_csvs(job), *write_workbooks(job), *write_geopackages(job)]
