"""The demo with a plan: planned meal points and a station, Yangzhou-style yearly targets.

The demo generator's own tables stay as they are; the variant adds one table,
``planned_facilities.csv`` (status and open_year), a profile ``yangzhou-plan.toml`` (the
built-in yangzhou profile with a ``[plan]`` 2024–2026) and points its study file at both.

Planned (规划) meal points go into the urban communities farthest from an existing meal
point: 2 open in 2024, 3 in 2025, 5 in 2026, against targets of 4 new meal points a year
(Yangzhou's +35/+40/+43, scaled to a district of 38 urban communities): the count target is
met in 2026 only. One station under construction (在建) opens in 2025 in the community the
river cuts off (gaps.json). The nursing-bed share A1 carries Yangzhou's own yearly targets
(70 % in 2024, 72 % in 2025).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from carecircle.data.district import write_demo_inputs
from carecircle.geo.crs import gcj02_to_wgs84

OPENING = (2024, 2024, 2025, 2025, 2025, 2026, 2026, 2026, 2026, 2026)
MEAL_TARGETS = {2024: 4, 2025: 4, 2026: 4}

PLAN = """
[plan]
years = [2024, 2025, 2026]
baseline_year = 2023
source = "demo variant, after seed 004 任务分解表 (scaled)"

[plan.new_facilities.meal_point]
2024 = {y2024}
2025 = {y2025}
2026 = {y2026}
source = "seed 004 lines 221-226: +35/+40/+43 社区助餐点 (scaled to the demo)"

[plan.indicators.A1]
2024 = 0.70
2025 = 0.72
source = "seed 004 lines 143, 146: 护理型床位占比 70 % (2024), 72 % (2025)"
"""


def _sites(folder: Path) -> gpd.GeoDataFrame:
    """Urban communities ordered by their distance to the nearest existing meal point."""
    com = gpd.read_file(folder / "communities.gpkg")
    com = com[com["kind"] == "urban"].reset_index(drop=True)
    meals = pd.read_csv(folder / "meal_points_amap.csv")
    lon, lat = gcj02_to_wgs84(meals["lon"].to_numpy(), meals["lat"].to_numpy())
    points = com.representative_point().to_crs(com.estimate_utm_crs())
    existing = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(points.crs)
    far = np.array([existing.distance(p).min() for p in points])
    order = np.argsort(-far, kind="stable")
    chosen = com.iloc[order].reset_index(drop=True)
    chosen["point"] = com.representative_point().iloc[order].to_numpy()
    return chosen


def write_plan_variant(folder: Path, *, seed: int = 2026) -> Path:
    """Write the demo inputs and the plan variant into ``folder``; return its study file.

    Parameters
    ----------
    folder : Path
        Output folder.
    seed : int, default 2026
        The demo's seed.

    Returns
    -------
    Path
        ``folder / "study.toml"`` (reading the three facility tables and the plan profile).
    """
    study = write_demo_inputs(folder, seed=seed)
    sites = _sites(folder)
    rows = [
        (
            f"PM{i + 1:02d}",
            f"{r.name}规划助餐点",
            "meal_point",
            r.point.x,
            r.point.y,
            120,
            "规划",
            y,
        )
        for i, (r, y) in enumerate(zip(sites.itertuples(), OPENING, strict=False))
    ]
    cut_off = json.loads((folder / "gaps.json").read_text(encoding="utf-8"))["cut_off_by_river"]
    station = sites[sites["code"] == cut_off["community"]].iloc[0]
    rows.append(
        (
            "PS01",
            f"{station['name']}在建养老服务站",
            "service_station",
            station["point"].x,
            station["point"].y,
            250,
            "在建",
            2025,
        )
    )
    columns = ["id", "name", "type", "lon", "lat", "floor_area_m2", "status", "open_year"]
    table = pd.DataFrame(rows, columns=columns).assign(beds=0, nursing_beds=0)
    table.to_csv(folder / "planned_facilities.csv", index=False, encoding="utf-8")
    base = resources.files("carecircle.data").joinpath("profiles/yangzhou.toml")
    plan = PLAN.format(**{f"y{y}": n for y, n in MEAL_TARGETS.items()})
    own = base.read_text(encoding="utf-8")
    own = own[: own.index("\n[plan]")] if "\n[plan]" in own else own  # the demo's own plan
    (folder / "yangzhou-plan.toml").write_text(own + "\n" + plan, encoding="utf-8")
    text = study.read_text(encoding="utf-8")
    text = text.replace(
        'facilities = ["facilities.csv", "meal_points_amap.csv"]',
        'facilities = ["facilities.csv", "meal_points_amap.csv", "planned_facilities.csv"]',
    ).replace(
        'facilities_crs = ["EPSG:4326", "GCJ-02"]',
        'facilities_crs = ["EPSG:4326", "GCJ-02", "EPSG:4326"]',
    )
    text = text.replace('profile = "generic"', 'profile = "yangzhou-plan.toml"')
    assert "planned_facilities.csv" in text and "yangzhou-plan.toml" in text
    study.write_text(text, encoding="utf-8")
    return study
