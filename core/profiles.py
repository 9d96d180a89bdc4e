"""Standards profiles: which indicators apply, with which targets, as small TOML files."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from carecircle._validate import check_keys, closest, get_number, get_str
from carecircle.errors import ProfileError
from carecircle.vocabulary import FACILITY_TYPES

#: Indicator ID -> keys its profile table may hold besides enabled/target/source.
INDICATOR_KEYS: dict[str, tuple[str, ...]] = {
    "S1": (),
    "S2": ("facility_types",),
    "S3": ("facility_types",),
    "S4": ("facility_types", "min_share"),
    "S5": ("facility_types",),
    "S6": ("facility_types",),
    "S7": ("facility_types", "health_types", "threshold_m"),
    "S8": ("facility_types", "minutes"),
    "S9": ("facility_types",),
    "A1": ("facility_types",),
    "A2": ("facility_types", "community_target", "community_types"),
    "A3": ("per", "facility_types"),
    "A4": ("facility_types",),
    "A5": ("facility_types", "scope"),
    "A6": ("facility_types",),
}

#: Indicators whose target is a share (0–1); the others are areas, counts or capacities (≥ 0).
SHARE_TARGETS = ("S1", "S4", "S5", "S7", "S8", "A1", "A2", "A4", "A6")

#: Keys holding a list of facility types.
_TYPE_KEYS = ("facility_types", "health_types", "community_types")
#: Keys holding a number, with the exclusive lower bound and inclusive upper bound.
_NUMBER_KEYS: dict[str, tuple[float, float | None]] = {
    "min_share": (0.0, 1.0),
    "threshold_m": (0.0, 5000.0),
    "minutes": (0.0, 120.0),
    "community_target": (0.0, 1.0),
}
#: Keys holding one word of a fixed set.
_CHOICE_KEYS: dict[str, tuple[str, ...]] = {
    "scope": ("street", "district"),
    "per": ("older_1000", "beds_100", "facility"),
}


#: Facility types an indicator counts when its profile table does not list them.
DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    "S3": ("comprehensive_centre",),
    "S4": ("service_station", "day_care"),
    "S5": ("rural_mutual_aid",),
    "S6": ("rehab_rental",),
    "S7": ("comprehensive_centre", "day_care", "service_station"),
    "S8": ("meal_point",),
    "S9": ("dementia_unit",),
    "A1": ("institution",),
    "A2": ("institution",),
    "A3": ("institution", "comprehensive_centre", "embedded_care"),
    "A4": ("institution",),
    "A5": ("meal_point",),
    "A6": ("institution",),
}


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator as a profile sets it.

    Attributes
    ----------
    id : str
        Indicator ID from STANDARDS.md (``S1`` … ``A6``).
    enabled : bool
        Whether the audit reports it.
    target : float or None
        The target value in the indicator's unit (share 0–1, m² per 1,000, …).
    facility_types : tuple of str
        Facility types the indicator counts (empty when not applicable).
    source : str
        The plan line behind the number.
    params : mapping
        Further settings of the indicator (``threshold_m``, ``minutes``, ``scope``, …).
    """

    id: str
    enabled: bool
    target: float | None
    facility_types: tuple[str, ...] = ()
    source: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def param(self, key: str, default: Any) -> Any:
        """Return a further setting, or ``default`` when the profile does not set it."""
        return self.params.get(key, default)


@dataclass(frozen=True)
class Profile:
    """A standards profile.

    Attributes
    ----------
    name, title, plan : str
        Short name, bilingual title, and the plan it encodes.
    minutes, walk_speed_m_s : float
        The service circle: walking minutes and speed (m/s).
    older_age : int
        Older-age threshold (60 or 65).
    circle_types : tuple of str
        Facility types that count as community elder-care for the circle (S1).
    indicators : mapping
        Indicator ID -> :class:`IndicatorSpec`.
    path : str
        Where the profile was read from.
    """

    name: str
    title: str
    plan: str
    minutes: float
    walk_speed_m_s: float
    older_age: int
    circle_types: tuple[str, ...]
    indicators: Mapping[str, IndicatorSpec] = field(default_factory=dict)
    path: str = ""

    def indicator(self, indicator_id: str) -> IndicatorSpec:
        """Return the spec of one indicator (disabled with no target when absent)."""
        return self.indicators.get(
            indicator_id, IndicatorSpec(id=indicator_id, enabled=False, target=None)
        )


def builtin_profile_names() -> list[str]:
    """Return the names of the built-in profiles, sorted."""
    folder = resources.files("carecircle.data").joinpath("profiles")
    names = (p.name for p in folder.iterdir())
    return sorted(n.removesuffix(".toml") for n in names if n.endswith(".toml"))


def load_profile(name_or_path: str, *, base: Path | None = None) -> Profile:
    """Load a built-in profile by name, or a profile TOML file by path.

    Parameters
    ----------
    name_or_path : str
        A built-in name (``shanghai``) or a path ending in ``.toml``.
    base : Path, optional
        Folder that a relative path is resolved against (the study file's folder).

    Returns
    -------
    Profile
        The validated profile.

    Raises
    ------
    ProfileError
        When the profile is unknown or invalid.
    """
    if name_or_path.endswith(".toml"):
        path = Path(name_or_path)
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise ProfileError(
                f"{path}: profile file not found; give a built-in name "
                f"({', '.join(builtin_profile_names())}) or an existing .toml file"
            )
        text = path.read_text(encoding="utf-8")
    else:
        names = builtin_profile_names()
        if name_or_path not in names:
            raise ProfileError(
                f"unknown standards profile '{name_or_path}'{closest(name_or_path, names)}; "
                f"built-in profiles: {', '.join(names)}, or a path to a .toml profile"
            )
        resource = resources.files("carecircle.data").joinpath(f"profiles/{name_or_path}.toml")
        path = Path(str(resource))
        text = resource.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    return profile_from_dict(data, path=path)


def _facility_types(
    table: Mapping[str, Any], key: str, default: tuple[str, ...], *, where: str, path: Path
) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{path}: {where} {key} must be a list of facility types")
    for item in value:
        if item not in FACILITY_TYPES:
            raise ProfileError(
                f"{path}: {where} {key} has unknown facility type '{item}'"
                f"{closest(item, FACILITY_TYPES)}; allowed: {', '.join(FACILITY_TYPES)}"
            )
    return tuple(value)


def _check_target(indicator_id: str, target: float | None, *, where: str, path: Path) -> None:
    """Refuse a target outside its indicator's range: shares 0–1, areas and counts ≥ 0."""
    if target is None:
        return
    if indicator_id in SHARE_TARGETS and not 0.0 <= target <= 1.0:
        hint = f" (write {target / 100:g} for {target:g} %)" if 2.0 <= target <= 100.0 else ""
        raise ProfileError(
            f"{path}: {where} target = {target:g} is a share and must lie between 0 and 1{hint}"
        )
    if target < 0:
        raise ProfileError(
            f"{path}: {where} target = {target:g} must be 0 or more (an area, count or capacity)"
        )


def _indicator(
    indicator_id: str, table: Mapping[str, Any], *, path: Path, circle: tuple[str, ...]
) -> IndicatorSpec:
    where = f"[indicators.{indicator_id}]"
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: {where} must be a table")
    extra = INDICATOR_KEYS[indicator_id]
    check_keys(
        table, ("enabled", "target", "source", *extra), where=where, path=path, error=ProfileError
    )
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ProfileError(f"{path}: {where} enabled = {enabled!r} must be true or false")
    target = get_number(
        table, "target", None, where=where, path=path, error=ProfileError, minimum=None
    )
    if enabled and target is None:
        raise ProfileError(f"{path}: {where} needs a target, e.g. target = 1.0")
    _check_target(indicator_id, target, where=where, path=path)
    types = (
        _facility_types(
            table, "facility_types", DEFAULT_TYPES.get(indicator_id, circle), where=where, path=path
        )
        if "facility_types" in extra
        else ()
    )
    params: dict[str, Any] = {}
    for key in extra:
        if key not in table or key == "facility_types":
            continue
        if key in _TYPE_KEYS:
            params[key] = _facility_types(table, key, (), where=where, path=path)
        elif key in _NUMBER_KEYS:
            low, high = _NUMBER_KEYS[key]
            params[key] = get_number(
                table,
                key,
                None,
                where=where,
                path=path,
                error=ProfileError,
                minimum=low,
                maximum=high,
            )
        elif table[key] not in _CHOICE_KEYS[key]:
            raise ProfileError(
                f"{path}: {where} {key} = {table[key]!r}; allowed values: "
                f"{', '.join(_CHOICE_KEYS[key])}"
            )
        else:
            params[key] = table[key]
    source = get_str(table, "source", "", where=where, path=path, error=ProfileError) or ""
    return IndicatorSpec(indicator_id, enabled, target, types, source, params)


def profile_from_dict(data: Mapping[str, Any], *, path: Path) -> Profile:
    """Validate a parsed profile TOML and build a :class:`Profile`.

    Parameters
    ----------
    data : mapping
        The parsed TOML document.
    path : Path
        The file, for messages.

    Returns
    -------
    Profile
        The validated profile.

    Raises
    ------
    ProfileError
        Naming the key and the allowed values.
    """
    check_keys(
        data, ("profile", "circle", "indicators"), where="the file", path=path, error=ProfileError
    )
    head = data.get("profile", {})
    check_keys(head, ("name", "title", "plan"), where="[profile]", path=path, error=ProfileError)
    circle = data.get("circle", {})
    check_keys(
        circle,
        ("minutes", "walk_speed_m_s", "older_age", "facility_types"),
        where="[circle]",
        path=path,
        error=ProfileError,
    )
    older_age = circle.get("older_age", 60)
    if older_age not in (60, 65) or isinstance(older_age, bool):
        raise ProfileError(f"{path}: [circle] older_age = {older_age!r}; allowed values: 60, 65")
    circle_types = _facility_types(circle, "facility_types", (), where="[circle]", path=path)
    if not circle_types:
        raise ProfileError(f"{path}: [circle] facility_types is empty; list the types that count")
    tables = data.get("indicators", {})
    for key in tables:
        if key not in INDICATOR_KEYS:
            raise ProfileError(
                f"{path}: unknown indicator [indicators.{key}]{closest(key, INDICATOR_KEYS)}; "
                f"known: {', '.join(INDICATOR_KEYS)}"
            )
    indicators = {k: _indicator(k, v, path=path, circle=circle_types) for k, v in tables.items()}
    kw = {"where": "[circle]", "path": path, "error": ProfileError}
    return Profile(
        name=get_str(head, "name", path.stem, where="[profile]", path=path, error=ProfileError)
        or path.stem,
        title=str(head.get("title", "")),
        plan=str(head.get("plan", "")),
        minutes=get_number(circle, "minutes", 15.0, **kw) or 15.0,
        walk_speed_m_s=get_number(circle, "walk_speed_m_s", 1.0, **kw) or 1.0,
        older_age=int(older_age),
        circle_types=circle_types,
        indicators=indicators,
        path=str(path),
    )
