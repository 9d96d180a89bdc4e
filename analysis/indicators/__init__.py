"""Standards indicators S1–S9, A1–A6 (STANDARDS.md) and the scores AC1, AC2: one definition per ID.

Each definition (:class:`Indicator`, in :mod:`.spatial`, :mod:`.attributes`, :mod:`.access`)
holds the formula: it takes the :class:`IndicatorContext`, its profile spec and a level
(``community``, ``street`` or ``district``) and returns, per unit, ``value, target, met,
gap, status`` (status: ``met``, ``not met``, ``not applicable`` or ``not assessed: <reason>``),
or None where the indicator means nothing at that level. Importing this package registers the
built-ins in :data:`REGISTRY`; :func:`register` adds another (and returns the handle removing it).
"""

from carecircle.analysis.indicators.access import ACCESS
from carecircle.analysis.indicators.attributes import ATTRIBUTES
from carecircle.analysis.indicators.base import (
    LEVELS,
    IndicatorContext,
    failed_indicators,
    indicator_catalogue,
    indicator_tables,
)
from carecircle.analysis.indicators.profile_check import checked_profile
from carecircle.analysis.indicators.registry import (
    REGISTRY,
    CellWalk,
    FacilityWalk,
    Indicator,
    Param,
    Registration,
    Registry,
    ScoreWalk,
    WalkData,
    register,
)
from carecircle.analysis.indicators.spatial import SPATIAL

for _builtin in (*SPATIAL, *ATTRIBUTES, *ACCESS):
    if _builtin.id not in REGISTRY:
        REGISTRY.register(_builtin)

__all__ = [
    "LEVELS",
    "REGISTRY",
    "CellWalk",
    "FacilityWalk",
    "Indicator",
    "IndicatorContext",
    "Param",
    "Registration",
    "Registry",
    "ScoreWalk",
    "WalkData",
    "checked_profile",
    "failed_indicators",
    "indicator_catalogue",
    "indicator_tables",
    "register",
]
