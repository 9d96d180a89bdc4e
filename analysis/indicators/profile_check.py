"""Check a parsed profile against the indicator registry and fill in the definitions' defaults.

Profiles are parsed generically in ``carecircle.profiles`` (core cannot know the indicators);
this is the one place where the profile's IDs, keys, targets and parameters meet the
definitions. The audit calls :func:`checked_profile` first; so do ``carecircle profiles
show|check``.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from carecircle.analysis.indicators.registry import REGISTRY, Indicator, Param, Registry
from carecircle.errors import ProfileError
from carecircle.profiles import IndicatorSpec, Profile


def _closest(name: str, choices: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _check_param(param: Param, value: Any, where: str, types: tuple[str, ...] = ()) -> Any:
    """Return the checked value of one parameter (types were checked by the parser)."""
    if param.check is not None:
        return param.check(value, where, types)
    if param.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProfileError(
                f"{where} {param.name} = {value!r} is not a number; write e.g. "
                f"{param.name} = {param.default or 1}"
            )
        if param.low is not None and value <= param.low:
            raise ProfileError(f"{where} {param.name} = {value} must be greater than {param.low}")
        if param.high is not None and value > param.high:
            raise ProfileError(f"{where} {param.name} = {value} must be at most {param.high}")
        return float(value)
    if param.kind == "choice" and value not in param.choices:
        raise ProfileError(
            f"{where} {param.name} = {value!r}; allowed values: {', '.join(param.choices)}"
        )
    return value


def _check_target(definition: Indicator, spec: IndicatorSpec, where: str) -> None:
    """Refuse a target outside the definition's range (shares 0–1, areas and counts ≥ 0)."""
    low, high = definition.target_range
    target = spec.target
    if target is None or (target >= low and (high is None or target <= high)):
        return
    if definition.unit == "share" and (low, high) == (0.0, 1.0):
        hint = f" (write {target / 100:g} for {target:g} %)" if 2.0 <= target <= 100.0 else ""
        raise ProfileError(
            f"{where} target = {target:g} is a share and must lie between 0 and 1{hint}"
        )
    if low == 0.0 and high is None:
        raise ProfileError(
            f"{where} target = {target:g} must be 0 or more (an area, count or capacity)"
        )
    upper = f"–{high:g}" if high is not None else " or more"
    raise ProfileError(f"{where} target = {target:g} is out of range; allowed {low:g}{upper}")


def _checked_spec(definition: Indicator, spec: IndicatorSpec, profile: Profile) -> IndicatorSpec:
    where = f"{profile.path}: [indicators.{spec.id}]"
    declared = {p.name: p for p in definition.params}
    allowed = ("enabled", "target", "source", *declared)
    for key in (*spec.params, *(("facility_types",) if spec.facility_types else ())):
        if key not in declared:
            raise ProfileError(
                f"{where} has unknown key '{key}'{_closest(key, allowed)}; "
                f"allowed: {', '.join(allowed)}"
            )
    _check_target(definition, spec, where)
    types = spec.facility_types
    if not types and "facility_types" in declared:
        types = (
            definition.default_types
            if definition.default_types is not None
            else profile.circle_types
        )
    params = {  # in the definition's order, as the catalogue lists them
        p.name: _check_param(p, spec.params[p.name], where, types)
        for p in definition.params
        if p.name in spec.params
    }
    defaults = {p.name: p.default for p in definition.params if p.name != "facility_types"}
    return dataclasses.replace(spec, facility_types=types, params=params, defaults=defaults)


def checked_profile(profile: Profile, registry: Registry | None = None) -> Profile:
    """Check a profile's indicators against the registry; fill in the definitions' defaults.

    Parameters
    ----------
    profile : Profile
        A parsed profile (``carecircle.profiles.load_profile``).
    registry : Registry, optional
        The definitions (default :data:`REGISTRY`).

    Returns
    -------
    Profile
        The same profile with every spec's default facility types and parameter defaults.

    Raises
    ------
    ProfileError
        For an unknown indicator or key, a parameter of the wrong kind or out of range, or a
        target outside the indicator's range.
    """
    registry = registry or REGISTRY
    known = registry.ids()
    specs = {}
    for indicator_id, spec in profile.indicators.items():
        if indicator_id not in registry:
            raise ProfileError(
                f"{profile.path}: unknown indicator [indicators.{indicator_id}]"
                f"{_closest(indicator_id, known)}; known: {', '.join(known)}"
            )
        specs[indicator_id] = _checked_spec(registry[indicator_id], spec, profile)
    return dataclasses.replace(profile, indicators=specs)
