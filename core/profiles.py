"""Standards profiles: which indicators apply, with which targets, as small TOML files."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from carecircle._validate import check_keys, closest, get_number, get_str
from carecircle.errors import ProfileError
from carecircle.plan_config import PlanTargets, plan_from_dict
from carecircle.vocabulary import FACILITY_TYPES

#: Keys of every indicator table; any other key is a parameter of the indicator, checked
#: against its definition in the indicator registry (carecircle.analysis.indicators).
_COMMON_KEYS = ("enabled", "target", "source")


class FrozenMap(Mapping[str, Any]):
    """A read-only, hashable mapping (a profile's parameters and indicators).

    Parameters
    ----------
    items : mapping, optional
        The entries; list values become tuples so that the map hashes.
    """

    __slots__ = ("_items",)
    _items: dict[str, Any]

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in (items or {}).items()}
        object.__setattr__(self, "_items", frozen)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrozenMap is read-only")

    def __reduce__(self) -> tuple[type[FrozenMap], tuple[dict[str, Any]]]:
        # pickled by its items (process pools): slots state would go through __setattr__
        return (FrozenMap, (dict(self._items),))

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


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
        Further settings of the indicator the profile sets (``threshold_m``, ``minutes``, …).
    defaults : mapping
        The indicator's default settings, filled in from its definition when the profile is
        checked against the indicator registry.
    """

    id: str
    enabled: bool
    target: float | None
    facility_types: tuple[str, ...] = ()
    source: str = ""
    params: Mapping[str, Any] = field(default_factory=FrozenMap)
    defaults: Mapping[str, Any] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        for name in ("params", "defaults"):
            value = getattr(self, name)
            if not isinstance(value, FrozenMap):
                object.__setattr__(self, name, FrozenMap(value))
        object.__setattr__(self, "facility_types", tuple(self.facility_types))

    def param(self, key: str, default: Any = None) -> Any:
        """Return a setting: the profile's, else the definition's default, else ``default``.

        Parameters
        ----------
        key : str
            The parameter's name.
        default : Any, default None
            Returned when the profile does not set ``key``.
        """
        if key in self.params:
            return self.params[key]
        return self.defaults.get(key, default)


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
    yearly : PlanTargets or None
        The ``[plan]`` section: plan years and yearly targets (:mod:`carecircle.plan_config`).
    """

    name: str
    title: str
    plan: str
    minutes: float
    walk_speed_m_s: float
    older_age: int
    circle_types: tuple[str, ...]
    indicators: Mapping[str, IndicatorSpec] = field(default_factory=FrozenMap)
    path: str = ""
    yearly: PlanTargets | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.indicators, FrozenMap):
            object.__setattr__(self, "indicators", FrozenMap(self.indicators))
        object.__setattr__(self, "circle_types", tuple(self.circle_types))

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


def _indicator(
    indicator_id: str, table: Mapping[str, Any], *, path: Path, circle: tuple[str, ...]
) -> IndicatorSpec:
    """Parse one ``[indicators.<ID>]`` table generically.

    Lists of strings under a key ending in ``types`` are facility types (checked against the
    vocabulary); every other key is kept as given. Which IDs and keys exist, their ranges and
    defaults are checked against the indicator registry in ``carecircle.analysis``.
    """
    where = f"[indicators.{indicator_id}]"
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: {where} must be a table")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ProfileError(f"{path}: {where} enabled = {enabled!r} must be true or false")
    target = get_number(
        table, "target", None, where=where, path=path, error=ProfileError, minimum=None
    )
    if enabled and target is None:
        raise ProfileError(f"{path}: {where} needs a target, e.g. target = 1.0")
    params: dict[str, Any] = {}
    for key, value in table.items():
        if key in _COMMON_KEYS:
            continue
        if key.endswith("types"):
            params[key] = _facility_types(table, key, (), where=where, path=path)
        else:
            params[key] = value
    types = params.pop("facility_types", ())
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
        data,
        ("profile", "circle", "indicators", "plan"),
        where="the file",
        path=path,
        error=ProfileError,
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
    if not isinstance(tables, dict):
        raise ProfileError(f"{path}: [indicators] must be a table of [indicators.<ID>] tables")
    indicators = {k: _indicator(k, v, path=path, circle=circle_types) for k, v in tables.items()}
    kw: dict[str, Any] = {"where": "[circle]", "path": path, "error": ProfileError}
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
        yearly=plan_from_dict(data.get("plan"), path=path),
    )
