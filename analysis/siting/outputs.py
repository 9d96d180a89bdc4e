"""Write a siting result: proposed sites (CSV, GPKG, facility table), before/after, summary."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from carecircle.analysis.files import write_atomic, write_text_atomic
from carecircle.analysis.reports import write_csv
from carecircle.analysis.siting.request import SitingResult
from carecircle.geo.vector_io import write_gpkg
from carecircle.json_values import json_value


def proposed_facilities(result: SitingResult) -> pd.DataFrame:
    """Return the proposed sites as a facility table, ready to add to a study."""
    s = result.sites
    return pd.DataFrame(
        {
            "id": s["id"],
            "name": [f"规划新增 proposed {i}" for i in s["id"]],
            "type": s["type"],
            "lon": s["lon"].map(lambda v: f"{v:.9f}"),
            "lat": s["lat"].map(lambda v: f"{v:.9f}"),
            "floor_area_m2": s["floor_area_m2"],
            "beds": 0,
            "nursing_beds": 0,
            "street": s["street"],
            "community": s["community"],
        }
    )


def write_siting(out: Path, result: SitingResult) -> list[Path]:
    """Write the proposal and its certificate into ``out``.

    Files: ``proposed_sites.csv/.gpkg``, ``proposed_facilities.csv`` (add it to the study's
    facilities to audit the plan), ``before_after_by_street.csv``, ``infeasible_cells.csv``
    and ``siting.json``.

    Parameters
    ----------
    out : Path
        Output folder.
    result : SitingResult
        The siting result.

    Returns
    -------
    list of Path
        Files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    sites = result.sites
    frame = gpd.GeoDataFrame(
        sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326"
    )
    summary = json_value(result.summary)
    return [
        write_csv(out / "proposed_sites.csv", sites),
        write_atomic(out / "proposed_sites.gpkg", lambda p: write_gpkg(frame, p, "proposed_sites")),
        write_csv(out / "proposed_facilities.csv", proposed_facilities(result)),
        write_csv(out / "before_after_by_street.csv", result.before_after),
        write_csv(out / "infeasible_cells.csv", result.infeasible),
        write_text_atomic(
            out / "siting.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
        ),
    ]
