"""run.json: settings, inputs (with their SHA-256), versions, stages, counts, exclusions."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from carecircle.analysis.audit import Audit
from carecircle.analysis.files import write_text_atomic
from carecircle.geo.network_io import file_sha256
from carecircle.json_values import json_number, json_value

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


def run_summary(audit: Audit, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the content of run.json: settings, inputs, versions, stages, counts, exclusions.

    ``inputs`` is ``analysis.files.input_record`` taken before the analysis (the files as
    read); without it the files are hashed now (the network's digest is reused).

    Parameters
    ----------
    audit : Audit
        The audit's results (study, run record, district and indicator tables).
    inputs : dict, optional
        run.json's ``inputs`` (role -> file name and SHA-256, or database), as
        :func:`carecircle.analysis.files.input_record` returned before the analysis; None
        hashes the files now.
    """
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
        "inputs": inputs
        or {
            role: (
                {"file": str(p.name), "sha256": audit.record.digests.get(str(p)) or file_sha256(p)}
                if isinstance(p, Path)
                else {"database": p.describe()}
            )
            for role, p in study.input_paths().items()
        },
        "versions": _versions(),
        "stages_seconds": audit.record.stages,
        "writers_seconds": audit.record.writers,
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
                "district_value": None
                if pd.isna(cast(float, r.district_value))
                else float(cast(float, r.district_value)),
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
                if not np.isfinite(cast(float, r.snap_distance_m))
                else float(cast(float, r.snap_distance_m)),
                "counts_for_circle": bool(r.counts_for_circle),
                "excluded_reason": r.excluded_reason,
            }
            for r in fac.itertuples(index=False)
        ],
        "excluded": audit.record.excluded,
        "warnings": audit.record.warnings,
    }


def write_run_json(
    path: Path,
    audit: Audit,
    extra_stages: dict[str, float],
    inputs: dict[str, Any] | None = None,
) -> Path:
    """Write run.json (stage times include ``extra_stages``; ``inputs`` see run_summary).

    Parameters
    ----------
    path : Path
        The run.json file to write (replaced atomically).
    audit : Audit
        The audit's results.
    extra_stages : dict of str to float
        Seconds of stages run after the audit (writing outputs), added to ``stages_seconds``.
    inputs : dict, optional
        run.json's ``inputs`` taken before the analysis (see :func:`run_summary`); None hashes
        the files now.
    """
    summary = run_summary(audit, inputs)
    summary["stages_seconds"] = {**summary["stages_seconds"], **extra_stages}
    text = json.dumps(json_value(summary), ensure_ascii=False, indent=2, allow_nan=False)
    return write_text_atomic(path, text + "\n")
