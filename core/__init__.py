"""carecircle: check and fix the 15-minute elder-care service circle (15分钟养老服务圈).

The Python API (docs/api.md)::

    import carecircle as cc
    result = cc.audit(cc.Study.from_toml("study.toml"))

``import carecircle`` stays light: the API names are imported from :mod:`carecircle.api` on
first use (PEP 562 ``__getattr__``), the one documented path from this package upward.
"""

from typing import Any

from carecircle.errors import CarecircleError

__version__ = "0.1.0"

#: Names served lazily by :mod:`carecircle.api`.
_API_NAMES = (
    "AuditResult",
    "PlanProgress",
    "SitingPlan",
    "Study",
    "YearlyPlan",
    "audit",
    "progress",
    "site",
    "site_per_year",
    "write",
)

__all__ = [
    "AuditResult",
    "CarecircleError",
    "SitingPlan",
    "Study",
    "YearlyPlan",
    "__version__",
    "audit",
    "site",
    "site_per_year",
    "write",
]


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        import importlib

        return getattr(importlib.import_module("carecircle.api"), name)
    raise AttributeError(f"module 'carecircle' has no attribute {name!r}")
