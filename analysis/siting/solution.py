"""A siting answer with its certificate, and the helpers every model's driver shares."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from carecircle.analysis.siting.highs import REL_GAP, Solve
from carecircle.analysis.siting.instance import SitingInstance
from carecircle.analysis.siting.search import covered_weight

#: What "optimal" means in every answer (siting.json states it).
OPTIMAL_MEANS = (
    f"objective within {REL_GAP:.2%} of a proven bound (relative gap ≤ {REL_GAP:g}, "
    "HiGHS mip_rel_gap); the bound is an upper bound on the true optimum for --add and a "
    "lower bound for --target"
)


@dataclass
class Solution:
    """A siting answer with its certificate.

    Attributes
    ----------
    rows : ndarray of int64
        Chosen rows of the instance.
    objective, bound, gap : float
        Value found, proven bound (upper for maximising, lower for the fewest-sites model),
        and relative gap between them.
    status : str
        ``optimal``, ``time limit`` or ``greedy`` (gap certified by the bound).
    method : str
        Which solver produced the rows.
    seconds : dict
        Time per step.
    notes : list of str
        What a planner should know (infeasible cells, unattainable targets).
    reductions : list of str
        The reductions of the instance the model was solved on (all exact for it).
    """

    rows: npt.NDArray[np.int64]
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reductions: list[str] = field(default_factory=list)


def gap(objective: float, bound: float) -> float:
    """Relative gap between a value and its bound (0 when they agree).

    Parameters
    ----------
    objective : float
        The value found.
    bound : float
        Its bound (HiGHS's dual bound, or another proven one).
    """
    scale = max(abs(bound), abs(objective), 1e-9)
    return max(abs(bound - objective) / scale, 0.0)


def covered(inst: SitingInstance, rows: npt.NDArray[np.int64]) -> float:
    """Older residents the sites cover.

    Parameters
    ----------
    inst : SitingInstance
        The reduced instance (group weights are older residents).
    rows : ndarray of int64
        The sites (rows of the instance).
    """
    return covered_weight(inst, rows)


def from_milp(values: np.ndarray, n: int) -> npt.NDArray[np.int64]:
    """Sites set in a MILP's values (the first ``n`` columns).

    Parameters
    ----------
    values : ndarray
        A MILP's column values, the site variables first.
    n : int
        Number of site columns (the instance's candidates).
    """
    return np.flatnonzero(values[:n] > 0.5).astype(np.int64)


def proven(sol: Solve, fallback: float) -> float:
    """Return the solver's bound, unless its answer was inconsistent (then ``fallback``).

    Parameters
    ----------
    sol : Solve
        What HiGHS returned.
    fallback : float
        The bound used when HiGHS's is unusable (an inconsistent answer or no finite bound).
    """
    if sol.status == "Inconsistent" or not np.isfinite(sol.bound):
        return fallback
    return float(sol.bound)
