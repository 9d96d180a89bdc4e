"""The indicator registry: one :class:`Indicator` definition per ID, registered once.

A definition holds everything the rest of carecircle needs to know about an indicator: its
names and units, the profile keys it reads (with their defaults and ranges), the facility
columns and walks it needs, the formula, and how maps show its value. The built-ins (S1–S9,
A1–A6) are defined in :mod:`.spatial` and :mod:`.attributes` and registered in
:data:`REGISTRY` by :mod:`carecircle.analysis.indicators`. A further indicator is added with
:func:`register`, which returns a handle that removes it again (also a context manager)::

    with register(Indicator(id="S10", ...)):
        result = carecircle.audit(study)   # S10 in every table, workbook, map and catalogue
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:
    import numpy as np

    from carecircle.analysis.indicators.base import IndicatorContext
    from carecircle.analysis.indicators.shared_matrix import SharedMatrices
    from carecircle.geo.network import WalkNetwork
    from carecircle.geo.snap import Snapped
    from carecircle.profiles import IndicatorSpec

#: The formula: (data, profile spec, level) -> per-unit columns, or None where meaningless.
IndicatorFn = Callable[["IndicatorContext", "IndicatorSpec", str], pd.DataFrame | None]


@dataclass(frozen=True)
class Param:
    """One profile key of an indicator besides ``enabled``, ``target``, ``source``.

    Attributes
    ----------
    name : str
        The TOML key (``threshold_m``).
    kind : {"types", "number", "choice"}
        A list of facility types, a number, or one word of ``choices``.
    default : object
        Value when the profile does not set it (formulas and walks read it through
        :meth:`Indicator.param`).
    low, high : float or None
        Numbers only: exclusive lower and inclusive upper bound (None: none).
    choices : tuple of str
        Choices only: the allowed words.
    check : callable or None
        ``(value, where, facility_types) -> value``: the definition's own check of a value of
        another form (``kind`` is then only descriptive), given the indicator's facility
        types; raises :class:`~carecircle.errors.ProfileError`.
    """

    name: str
    kind: Literal["types", "number", "choice"]
    default: Any = None
    low: float | None = 0.0
    high: float | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[Any, str, tuple[str, ...]], Any] | None = None


@dataclass(frozen=True)
class CellWalk:
    """Cells within a walk of the indicator's facility types: ``cells["covered_<ID>"]``.

    Attributes
    ----------
    minutes_param : str or None
        The parameter giving the walk's minutes; None for the circle's own minutes.
    """

    minutes_param: str | None = None

    def column(self, indicator_id: str) -> str:
        """Return the cells' boolean column this walk writes."""
        return f"covered_{indicator_id}"


@dataclass(frozen=True)
class FacilityWalk:
    """Walking distance of each facility of the indicator's types to the nearest of others.

    Attributes
    ----------
    column : str
        The facilities' column written (metres; NaN beyond ``threshold_param``).
    to_types_param : str
        The parameter listing the facility types walked to.
    threshold_param : str
        The parameter giving the distance beyond which the walk stops (m).
    """

    column: str
    to_types_param: str
    threshold_param: str


@dataclass(frozen=True)
class WalkData:
    """What a :class:`ScoreWalk` reads: the network, the snapped facilities and cells.

    Attributes
    ----------
    network : WalkNetwork
        The walking network.
    facilities : DataFrame
        Facilities (``type``, the numeric columns, ``source_file``); rows align with
        ``facility_snap``.
    facility_snap, cell_snap : Snapped
        Snapped facilities and cells (unsnapped ones reach nothing).
    cells : DataFrame
        Every cell (``older_residents``, ``community``, ``street``), aligned with ``cell_snap``.
    minutes, walk_speed_m_s : float
        The circle's minutes and the walking speed (m/s).
    profile_path : str
        The standards profile's file, for messages.
    matrices : SharedMatrices, optional
        Facility × cell distances shared by the audit's score walks (built once per radius);
        None: each walk builds its own.
    """

    network: WalkNetwork
    facilities: pd.DataFrame
    facility_snap: Snapped
    cell_snap: Snapped
    cells: pd.DataFrame
    minutes: float
    walk_speed_m_s: float
    profile_path: str = ""
    matrices: SharedMatrices | None = None


@dataclass(frozen=True)
class ScoreWalk:
    """A score per cell that the indicator computes over the network: ``cells["<id>_score"]``.

    Attributes
    ----------
    run : callable
        ``(data, definition, spec) -> ndarray``: one value per cell (NaN: unknown); written
        to the cells (and ``cells.gpkg``) as :meth:`column`.
    """

    run: Callable[[WalkData, Indicator, IndicatorSpec], np.ndarray]

    def column(self, indicator_id: str) -> str:
        """Return the cells' column this walk writes (``ac1_score``)."""
        return f"{indicator_id.lower()}_score"


Walk = CellWalk | FacilityWalk | ScoreWalk


@dataclass(frozen=True)
class Indicator:
    """One indicator, completely: names, units, inputs, walks, formula, defaults, display.

    Attributes
    ----------
    id : str
        The ID (``S1``); its table columns are ``<id lower>_value`` …
    name_zh, name_en : str
        Names in Chinese and English.
    unit, gap_unit : str
        Unit of the value (``share`` shows as a percentage) and of the gap (plural English).
    formula : callable
        ``(ctx, spec, level) -> DataFrame | None`` (see :mod:`.base`).
    default_types : tuple of str or None
        Facility types counted when the profile lists none; None: the circle's types.
    counts_types : bool
        Whether the profile may set ``facility_types`` (S1 uses the circle's).
    params : tuple of Param
        Further profile keys.
    target_range : (float, float or None)
        Inclusive range a target must lie in (shares 0–1, counts and areas ≥ 0).
    needs_columns : tuple of str
        Facility columns the formula reads (not assessed when no table has them).
    walks : tuple of CellWalk, FacilityWalk or ScoreWalk
        The walks the audit runs for it when it is enabled.
    display : {"share", "number"}
        How maps, legends and popups show a value: a percentage, or a number with the unit.
    """

    id: str
    name_zh: str
    name_en: str
    unit: str
    gap_unit: str
    formula: IndicatorFn
    default_types: tuple[str, ...] | None = None
    counts_types: bool = True
    params: tuple[Param, ...] = ()
    target_range: tuple[float, float | None] = (0.0, None)
    needs_columns: tuple[str, ...] = ()
    walks: tuple[Walk, ...] = ()
    display: Literal["share", "number"] = "number"

    @property
    def prefix(self) -> str:
        """Prefix of the indicator's table columns (``s1_``)."""
        return f"{self.id.lower()}_"

    def param(self, spec: IndicatorSpec, name: str) -> Any:
        """Return a parameter: the profile's value, else this definition's default.

        Parameters
        ----------
        spec : IndicatorSpec
            The profile entry of this indicator.
        name : str
            A declared parameter name.

        Returns
        -------
        object
            The value.
        """
        declared = {p.name: p for p in self.params}
        return spec.param(name, declared[name].default)

    def score_columns(self) -> list[str]:
        """Return the cells' columns of this indicator's score walks (``ac1_score``), if any."""
        return [w.column(self.id) for w in self.walks if isinstance(w, ScoreWalk)]

    def show(self, value: float) -> str:
        """Return a value as maps and popups show it (``85.0%``, ``42.5 m²/1,000``, ``—``)."""
        if pd.isna(value):
            return "—"
        if self.display == "share":
            return f"{value:.1%}"
        return f"{value:.3g} {self.unit}"


class Registration:
    """Handle of one registration: :meth:`remove` (or leaving the ``with`` block) undoes it."""

    def __init__(self, registry: Registry, indicator: Indicator) -> None:
        self.registry = registry
        self.indicator = indicator

    def remove(self) -> None:
        """Unregister the indicator (no error when already removed)."""
        self.registry.unregister(self.indicator.id)

    def __enter__(self) -> Indicator:
        return self.indicator

    def __exit__(self, *exc: object) -> None:
        self.remove()


@dataclass
class Registry:
    """Indicator definitions by ID, in registration order (the order of every table)."""

    _items: dict[str, Indicator] = field(default_factory=dict)

    def register(self, indicator: Indicator) -> Registration:
        """Add a definition; refused when its ID is taken.

        Parameters
        ----------
        indicator : Indicator
            The definition.

        Returns
        -------
        Registration
            Handle whose ``remove()`` (or ``with`` exit) unregisters it.
        """
        if indicator.id in self._items:
            raise ValueError(f"indicator {indicator.id} is registered already")
        if not indicator.id.isalnum() or indicator.id != indicator.id.upper():
            raise ValueError(f"indicator ID {indicator.id!r} must be upper-case letters/digits")
        self._items[indicator.id] = indicator
        return Registration(self, indicator)

    def unregister(self, indicator_id: str) -> None:
        """Remove a definition (no error when absent)."""
        self._items.pop(indicator_id, None)

    def __getitem__(self, indicator_id: str) -> Indicator:
        return self._items[indicator_id]

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self._items

    def __iter__(self) -> Iterator[Indicator]:
        return iter(tuple(self._items.values()))

    def ids(self) -> tuple[str, ...]:
        """Return the registered IDs, in order."""
        return tuple(self._items)


#: The registry the audit uses; holds the built-ins once :mod:`..indicators` is imported.
REGISTRY = Registry()


def register(indicator: Indicator, registry: Registry | None = None) -> Registration:
    """Register an indicator in :data:`REGISTRY` (or ``registry``); see :meth:`Registry.register`.

    Parameters
    ----------
    indicator : Indicator
        The definition.
    registry : Registry, optional
        Another registry (tests).

    Returns
    -------
    Registration
        Handle that unregisters it.
    """
    return (registry or REGISTRY).register(indicator)
