"""Write an audit's tables and files: CSV, XLSX, GeoPackage and run.json."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircle.analysis.audit import Audit
from carecircle.analysis.files import write_atomic, write_text_atomic
from carecircle.analysis.xlsx import write_xlsx
from carecircle.geo.network_io import file_sha256
from carecircle.geo.tables import write_gpkg

_PACKAGES = (
    "carecircle",
    "numpy",
    "scipy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "rasterio",
    "pyogrio",
    "folium",
    "openpyxl",
)

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
    """Write a CSV as UTF-8 with BOM (so Excel shows the Chinese), floats to 10 digits."""
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
    """Every population cell with its coverage, as squares in EPSG:4326."""
    cells = audit.cells
    return gpd.GeoDataFrame(
        cells[list(CELL_COLUMNS)].reset_index(drop=True),
        geometry=audit.cell_squares,
        crs="EPSG:4326",
    )


def write_cells_gpkg(path: Path, audit: Audit) -> Path:
    """Write ``cells.gpkg`` (layer ``cells``)."""
    frame = cells_frame(audit)
    return write_atomic(path, lambda p: write_gpkg(frame, p, "cells"))


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _accounting(audit: Audit) -> dict[str, Any]:
    cells = audit.cells
    inside = cells["community"] != ""
    return {
        "raster_residents": round(audit.totals.residents, 2),
        "raster_older_residents": round(audit.totals.older, 2),
        "raster_nodata_cells": audit.totals.nodata_cells,
        "cells_residents": round(float(cells["residents"].sum()), 2),
        "cells_older_residents": round(float(cells["older_residents"].sum()), 2),
        "communities_residents": round(float(audit.by_community["residents"].sum()), 2),
        "communities_older_residents": round(float(audit.by_community["older_residents"].sum()), 2),
        "streets_residents": round(float(audit.by_street["residents"].sum()), 2),
        "streets_older_residents": round(float(audit.by_street["older_residents"].sum()), 2),
        "excluded_cells_residents": round(float(cells.loc[~inside, "residents"].sum()), 2),
        "excluded_cells_older_residents": round(
            float(cells.loc[~inside, "older_residents"].sum()), 2
        ),
    }


def run_summary(audit: Audit) -> dict[str, Any]:
    """Return the content of run.json: settings, inputs, versions, stages, counts, exclusions."""
    study, profile = audit.study, audit.study.profile
    fac = audit.facilities
    district = audit.district.iloc[0]
    return {
        "study": study.name,
        "study_file": str(study.path.name),
        "settings": {
            "minutes": study.minutes,
            "walk_speed_m_s": study.walk_speed_m_s,
            "radius_m": study.radius_m,
            "max_snap_m": study.max_snap_m,
            "metric_crs": audit.crs.to_string(),
            "older_age": profile.older_age,
        },
        "profile": {
            "name": profile.name,
            "title": profile.title,
            "plan": profile.plan,
            "circle_facility_types": list(profile.circle_types),
            "targets": {k: v.target for k, v in profile.indicators.items() if v.enabled},
        },
        "inputs": {
            role: (
                {"file": str(p.name), "sha256": audit.record.digests.get(str(p)) or file_sha256(p)}
                if isinstance(p, Path)
                else {"database": p.describe()}
            )
            for role, p in study.input_paths().items()
        },
        "versions": _versions(),
        "stages_seconds": audit.record.stages,
        "counts": audit.record.counts,
        "district": {
            "older_residents": json_number(district["older_residents"], 1),
            "older_covered_share": json_number(district["older_covered_share"], 6),
            "floor_area_per_1000": json_number(district["floor_area_per_1000"], 3),
        },
        "indicators": [
            {
                "id": r.id,
                "enabled": bool(r.enabled),
                "target": r.target,
                "district_value": None if pd.isna(r.district_value) else float(r.district_value),
                "district_status": r.district_status,
                "source": r.source,
            }
            for r in audit.catalogue.itertuples(index=False)
        ],
        "accounting": _accounting(audit),
        "facilities": [
            {
                "id": r.id,
                "type": r.type,
                "street": r.street,
                "community": r.community,
                "snap_distance_m": None
                if not np.isfinite(r.snap_distance_m)
                else float(r.snap_distance_m),
                "counts_for_circle": bool(r.counts_for_circle),
                "excluded_reason": r.excluded_reason,
            }
            for r in fac.itertuples(index=False)
        ],
        "excluded": audit.record.excluded,
        "warnings": audit.record.warnings,
    }


def write_run_json(path: Path, audit: Audit, extra_stages: dict[str, float]) -> Path:
    """Write run.json (stage times include ``extra_stages``, e.g. writing and maps)."""
    summary = run_summary(audit)
    summary["stages_seconds"] = {**summary["stages_seconds"], **extra_stages}
    text = json.dumps(_no_nan(summary), ensure_ascii=False, indent=2, allow_nan=False)
    return write_text_atomic(path, text + "\n")


def _no_nan(value: Any) -> Any:
    """Return ``value`` with every NaN float (at any depth) replaced by None (JSON null)."""
    if isinstance(value, float) and value != value:  # noqa: PLR0124 - NaN check
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def json_number(value: object, digits: int | None = None) -> float | None:
    """Return a number for JSON (rounded to ``digits``), or None (``null``) where unknown.

    Parameters
    ----------
    value : object
        A number, NaN or inf.
    digits : int, optional
        Decimals to keep.

    Returns
    -------
    float or None
        None for NaN and infinities, which JSON cannot hold.
    """
    number = float(value)  # type: ignore[arg-type]
    if not np.isfinite(number):
        return None
    return number if digits is None else round(number, digits)


def _unit_layer(units: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Polygons with their indicator table; verdicts as 1/0/empty so GIS software reads them."""
    attrs = table.drop(columns=[c for c in ("name", "street", "kind") if c in table])
    merged = units.merge(attrs, on="code", how="left")
    for col in merged.columns:
        if col.endswith("_met"):
            merged[col] = merged[col].astype("Float64").astype(float)
    return merged


def spatial_layers(audit: Audit) -> dict[str, gpd.GeoDataFrame]:
    """Return the GIS layers: streets and communities with indicators, facilities, cells."""
    fac = audit.facilities
    points = gpd.GeoDataFrame(
        fac.drop(columns=["street_given", "community_given"]),
        geometry=gpd.points_from_xy(fac["lon"], fac["lat"]),
        crs="EPSG:4326",
    )
    points["counts_for_circle"] = points["counts_for_circle"].astype(int)
    cells = cells_frame(audit)
    for col in ("covered", "unreachable"):
        cells[col] = cells[col].astype(int)
    return {
        "streets": _unit_layer(audit.streets, audit.indicators["street"].reset_index()),
        "communities": _unit_layer(audit.communities, audit.indicators["community"].reset_index()),
        "facilities": points,
        "cells": cells,
    }


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


def write_indicator_files(out: Path, audit: Audit) -> list[Path]:
    """Write the indicator tables (CSV, XLSX) and ``indicators.gpkg``.

    Files: ``indicators_by_street.csv``, ``indicators_by_community.csv``,
    ``indicator_catalogue.csv``, ``indicators.xlsx`` (sheets 街道/镇, 社区/村, 未达标社区,
    district, catalogue) and ``indicators.gpkg`` (layers streets, communities, facilities,
    cells).

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
    street = audit.indicators["street"].reset_index()
    community = audit.indicators["community"].reset_index()
    district = audit.indicators["district"].reset_index()
    named = with_street_names(community, audit.streets)
    paths = [
        write_csv(out / "indicators_by_street.csv", street),
        write_csv(out / "indicators_by_community.csv", community),
        write_csv(out / "indicator_catalogue.csv", audit.catalogue),
        write_xlsx(
            out / "indicators.xlsx",
            [
                ("街道镇 streets", street),
                ("社区村 communities", named),
                ("未达标社区 underserved", underserved_table(audit)),
                ("全区 district", district),
                ("指标说明 indicators", audit.catalogue),
            ],
        ),
    ]
    gpkg = out / "indicators.gpkg"

    def write_layers(tmp: Path) -> None:
        for n, (name, frame) in enumerate(spatial_layers(audit).items()):
            write_gpkg(frame, tmp, name, append=n > 0)

    paths.append(write_atomic(gpkg, write_layers))
    return paths


def write_tables(out: Path, audit: Audit) -> list[Path]:
    """Write the coverage tables, the under-served list and the cells GeoPackage.

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
    under = underserved_table(audit)
    paths = [
        write_csv(out / "coverage_by_street.csv", audit.by_street),
        write_csv(out / "coverage_by_community.csv", audit.by_community),
        write_csv(out / "underserved_communities.csv", under),
        write_xlsx(
            out / "underserved_communities.xlsx",
            [
                ("未达标社区", under),
                ("街道 streets", audit.by_street),
                ("社区 communities", with_street_names(audit.by_community, audit.streets)),
            ],
        ),
        write_cells_gpkg(out / "cells.gpkg", audit),
    ]
    return paths + write_indicator_files(out, audit)
