"""What a planner asks of the siting, and what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from carecircle.analysis.siting.solve import Solution

#: Floor area (m²) of a new site when the candidates give none, by type.
DEFAULT_FLOOR_AREA = {"comprehensive_centre": 1500.0, "day_care": 400.0,
                      "service_station": 200.0, "embedded_care": 800.0, "meal_point": 150.0,
                      "rural_mutual_aid": 150.0}


@dataclass(frozen=True)
class SitingRequest:
    """What the planner asks: the type, how many sites or which target, and how."""

    facility_type: str
    add: int | None = None
    target: float | None = None
    objective: str = "coverage"
    time_limit_s: float = 30.0
    spacing_m: float = 150.0
    floor_area_m2: float | None = None


@dataclass
class SitingResult:
    """Proposed sites, before/after tables and the solver's certificate."""

    request: SitingRequest
    solution: Solution
    sites: pd.DataFrame
    before_after: pd.DataFrame
    infeasible: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)
