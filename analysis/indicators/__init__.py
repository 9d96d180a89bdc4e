"""Standards indicators S1–S9 and A1–A6 (STANDARDS.md), one function per ID, per level.

Each indicator function takes the :class:`IndicatorContext`, its profile spec and a level
(``community``, ``street`` or ``district``) and returns, per unit, ``value, target, met, gap,
status`` (status: ``met``, ``not met``, ``not applicable`` or ``not assessed: <reason>``), or
None where the indicator means nothing at that level.
"""

from carecircle.analysis.indicators import attributes, spatial  # noqa: F401 - registers
from carecircle.analysis.indicators.base import (
    INDICATOR_INFO,
    INDICATORS,
    LEVELS,
    IndicatorContext,
    failed_indicators,
    indicator_catalogue,
    indicator_tables,
)

__all__ = [
    "INDICATORS",
    "INDICATOR_INFO",
    "LEVELS",
    "IndicatorContext",
    "failed_indicators",
    "indicator_catalogue",
    "indicator_tables",
]
