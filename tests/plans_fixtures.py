"""A mini district with a plan: facilities with status/open_year and a profile with [plan].

On the 1 km lattice (tests/mini_district.py, 10-minute circle = 600 m):
- F1 service station at (200, 200), existing (已建), no open_year;
- F2 day-care centre at (800, 900), under construction (在建), opens 2024;
- P1 service station at (800, 200), planned (规划), opens 2025;
- M1 meal point at (500, 800), planned, opens 2025; H1 health station, existing.
The profile (shanghai + a [plan] for 2024–2025) asks for one new day-care centre in 2024,
one station in 2025 (per year) and two meal points by 2025 (cumulative: only one comes).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from mini_district import TO_LOCAL, MiniDistrict, write_mini_study

PLAN = """
[plan]
years = [2024, 2025]
baseline_year = 2023
source = "test plan"

[plan.new_facilities.day_care]
2024 = 1

[plan.new_facilities.service_station]
2024 = 1
2025 = 1
source = "one station a year"

[plan.new_facilities."助餐点"]
counting = "cumulative"
2025 = 2

[plan.indicators.S1]
2024 = 0.3
2025 = 0.5
"""

FACILITIES = [
    ("F1", "幸福养老服务站", "service_station", 200.0, 200.0, "已建", ""),
    ("F2", "东区日间照料中心", "day_care", 800.0, 900.0, "在建", "2024"),
    ("P1", "东南养老服务站", "service_station", 800.0, 200.0, "规划", "2025"),
    ("M1", "北区助餐点", "meal_point", 500.0, 800.0, "规划", "2025年"),
    ("H1", "卫生服务站", "health_station", 500.0, 500.0, "existing", ""),
]


def plan_district(facilities: list[tuple] | None = None) -> MiniDistrict:
    """The mini district with status and open_year columns and the plan profile."""
    rows = [
        {
            "id": i,
            "name": n,
            "type": t,
            "x": x,
            "y": y,
            "floor_area_m2": 300,
            "beds": 10,
            "nursing_beds": 5,
            "status": s,
            "open_year": year,
        }
        for i, n, t, x, y, s, year in (facilities or FACILITIES)
    ]
    return MiniDistrict(
        facilities=rows,
        profile="plan.toml",
        facility_columns=(*MiniDistrict().facility_columns, "status", "open_year"),
    )


def plan_profile_text(extra: str = PLAN) -> str:
    """The built-in shanghai profile with its own [plan] replaced by ``extra``."""
    base = resources.files("carecircle.data").joinpath("profiles/shanghai.toml")
    text = base.read_text(encoding="utf-8")
    return text[: text.index("\n[plan]")] + "\n" + extra if "\n[plan]" in text else text + extra


def write_plan_study(folder: Path, district: MiniDistrict | None = None, plan: str = PLAN) -> Path:
    """Write the mini study with the plan profile; return the study path."""
    study = write_mini_study(folder, district or plan_district())
    (folder / "plan.toml").write_text(plan_profile_text(plan), encoding="utf-8")
    return study


def lattice_distance(
    lon: np.ndarray, lat: np.ndarray, nodes: list[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Snap to the nearest lattice line, then Manhattan distance to the nearest node.

    Returns the distance and a mask of cells whose snap is unambiguous (as in
    tests/analysis/test_audit_mini.py).
    """
    x, y = TO_LOCAL.transform(lon, lat)
    gx, gy = np.round(x / 100) * 100, np.round(y / 100) * 100
    dx, dy = np.abs(x - gx), np.abs(y - gy)
    on_vertical = dx < dy
    sx, sy = np.where(on_vertical, gx, x), np.where(on_vertical, y, gy)
    best = np.min([np.abs(sx - fx) + np.abs(sy - fy) for fx, fy in nodes], axis=0)
    return np.minimum(dx, dy) + best, np.abs(dx - dy) > 1e-3
