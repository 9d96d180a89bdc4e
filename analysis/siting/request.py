"""What a planner asks of the siting, and what comes back."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace

import pandas as pd

from carecircle.analysis.siting.solve import OBJECTIVES, Solution
from carecircle.errors import InputDataError
from carecircle.vocabulary import (
    FACILITY_TYPES,
    TYPE_ALIASES,
    facility_type_code,
    facility_types_text,
)

#: Floor area (m²) of a new site when the candidates give none, by type.
DEFAULT_FLOOR_AREA = {
    "comprehensive_centre": 1500.0,
    "day_care": 400.0,
    "service_station": 200.0,
    "embedded_care": 800.0,
    "meal_point": 150.0,
    "rural_mutual_aid": 150.0,
}


def site_type(name: str) -> str:
    """Return the type code for ``--type``, given as a code or a name facility files accept.

    Parameters
    ----------
    name : str
        A type code (``service_station``, any case) or a Chinese name (``养老服务站``,
        ``长者食堂``, …), mapped as the facility reader maps its type column.

    Returns
    -------
    str
        A key of ``FACILITY_TYPES``.

    Raises
    ------
    InputDataError
        For an unknown name, suggesting the nearest type and listing the allowed ones.
    """
    code = facility_type_code(name)
    if code is not None:
        return code
    match = difflib.get_close_matches(name.strip().lower(), [*FACILITY_TYPES, *TYPE_ALIASES], n=1)
    near = facility_type_code(match[0]) if match else None
    hint = (
        ""
        if near is None
        else f" (did you mean '{near}'?)"
        if match[0] == near
        else f" (did you mean '{match[0]}' = {near}?)"
    )
    raise InputDataError(
        f"--type {name} 不是设施类型 / is not a facility type{hint}; "
        f"可选 allowed: {facility_types_text()}"
    )


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


def checked_request(request: SitingRequest) -> SitingRequest:
    """Check a request before any work; return it with the facility type as its code.

    Parameters
    ----------
    request : SitingRequest
        The request; its type may be a code or a Chinese name.

    Returns
    -------
    SitingRequest
        The same request with ``facility_type`` a key of ``FACILITY_TYPES``.

    Raises
    ------
    InputDataError
        For an unknown type or objective, both or neither of add and target, a target with
        an objective other than coverage (the target runs the fewest-sites model), or values
        out of range (``--floor-area``, ``--time-limit`` above 0, ``--spacing`` at least
        10 m, all finite).
    """
    request = replace(request, facility_type=site_type(request.facility_type))
    if request.objective not in OBJECTIVES:
        raise InputDataError(f"--objective {request.objective}; allowed: {', '.join(OBJECTIVES)}")
    if (request.add is None) == (request.target is None):
        raise InputDataError(
            "give either --add K (how many new sites) or --target SHARE "
            "(fewest sites reaching that coverage share), not both"
        )
    if request.target is not None and request.objective != "coverage":
        raise InputDataError(
            f"--target 只求最少站点，不能与 --objective {request.objective} "
            "同用 / --target runs the fewest-sites model; use --add K "
            f"--objective {request.objective}"
        )
    if request.target is not None and not 0 < request.target <= 1:
        raise InputDataError(f"--target {request.target} must be a share between 0 and 1")
    if request.add is not None and request.add < 1:
        raise InputDataError(f"--add {request.add} must be at least 1")
    _check_number("--time-limit", request.time_limit_s, "seconds", above=0.0)
    _check_number("--spacing", request.spacing_m, "m", at_least=MIN_SPACING_M)
    if request.floor_area_m2 is not None:
        _check_number("--floor-area", request.floor_area_m2, "m²", above=0.0)
    return request


#: Closest automatic candidates: sites nearer than this are one site to a planner.
MIN_SPACING_M = 10.0


def _check_number(
    option: str,
    value: float,
    unit: str,
    *,
    above: float | None = None,
    at_least: float | None = None,
) -> None:
    """Refuse an option that is not a finite number in range, naming the option and the fix.

    Parameters
    ----------
    option : str
        The option as typed, e.g. ``--spacing``.
    value : float
        Its value.
    unit : str
        Its unit in the message.
    above, at_least : float, optional
        The value must be more than ``above`` / at least ``at_least``.

    Raises
    ------
    InputDataError
        For NaN, infinity or a value out of range.
    """
    if not math.isfinite(value):
        raise InputDataError(f"{option} {value:g}: 不是有限数 / give a finite number of {unit}")
    if above is not None and not value > above:
        raise InputDataError(
            f"{option} {value:g}: 必须大于 {above:g} / must be more than {above:g} {unit}"
        )
    if at_least is not None and value < at_least:
        raise InputDataError(
            f"{option} {value:g}: 至少 {at_least:g} / must be at least {at_least:g} {unit}"
        )


@dataclass
class SitingResult:
    """Proposed sites, before/after tables and the solver's certificate."""

    request: SitingRequest
    solution: Solution
    sites: pd.DataFrame
    before_after: pd.DataFrame
    infeasible: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)
