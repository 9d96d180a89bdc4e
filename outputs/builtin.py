"""carecircle's own outputs, in the order they are written (see docs/api.md)."""

from __future__ import annotations

from carecircle.outputs.documents import (
    write_charts,
    write_docx,
    write_gap_maps,
    write_report_html,
    write_run_record,
    write_siting_tables,
    write_static_maps,
)
from carecircle.outputs.plans import PLAN_WRITERS, YEARLY_WRITERS
from carecircle.outputs.registry import Writer
from carecircle.outputs.tables import write_geopackages, write_table_csvs, write_workbooks

_BOTH = frozenset({"audit", "site"})

#: The ``concurrent`` writers run one after another in a forked process beside the HTML maps
#: (``outputs.run``), at every size: the maps fork their own workers only once it is done.
BUILTIN_WRITERS = (
    Writer(
        name="siting tables",
        write=write_siting_tables,
        kinds=frozenset({"site"}),
        order=5,
        files="proposed_sites.csv/.gpkg, proposed_facilities.csv, before_after_by_street.csv, "
        "infeasible_cells.csv, siting.json",
    ),
    Writer(
        name="tables",
        concurrent=True,
        write=write_table_csvs,
        stage="write tables",
        order=10,
        files="coverage_by_street.csv, coverage_by_community.csv, underserved_communities.csv, "
        "indicators_by_street.csv, indicators_by_community.csv, indicator_catalogue.csv",
    ),
    Writer(
        name="workbooks",
        concurrent=True,
        write=write_workbooks,
        stage="write tables",
        order=20,
        files="underserved_communities.xlsx, indicators.xlsx",
    ),
    Writer(
        name="geopackages",
        concurrent=True,
        write=write_geopackages,
        stage="write tables",
        order=30,
        files="cells.gpkg, indicators.gpkg",
    ),
    Writer(
        name="maps",
        write=write_gap_maps,
        kinds=frozenset({*_BOTH, "site-per-year"}),
        stage="write maps",
        order=40,
        files="maps/index.html, maps/<code>.html, maps/<code>_gcj02.html (maps/lib offline)",
    ),
    Writer(
        name="charts",
        concurrent=True,
        write=write_charts,
        stage="write maps",
        order=50,
        files="charts/s1_by_community.png, charts/s2_by_street.png",
    ),
    Writer(
        name="report.html",
        concurrent=True,
        write=write_report_html,
        reads=frozenset({"charts"}),
        stage="write maps",
        order=55,
        files="report.html",
    ),
    Writer(
        name="static maps",
        concurrent=True,
        write=write_static_maps,
        kinds=_BOTH,
        stage="write maps",
        order=60,
        files="maps/png/<code>.png",
    ),
    Writer(
        name="report.docx",
        concurrent=True,
        write=write_docx,
        reads=frozenset({"static maps"}),
        kinds=_BOTH,
        stage="write maps",
        order=70,
        files="report.docx",
    ),
    Writer(name="run.json", write=write_run_record, order=100, files="run.json"),
    *PLAN_WRITERS,
    *YEARLY_WRITERS,
)
