"""Run a siting model: greedy first, a certified bound, then the exact MILP when it helps.

Maximal coverage lives in ``coverage`` (re-exported here with the answer type of
``solution``); this module holds the fewest-sites, capacitated and equity drivers.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from carecircle.analysis.siting.capacitated import capacitated_milp, served
from carecircle.analysis.siting.coverage import solve_mclp
from carecircle.analysis.siting.greedy import greedy_capacitated, greedy_cover, greedy_equity
from carecircle.analysis.siting.highs import REL_GAP
from carecircle.analysis.siting.instance import SitingInstance
from carecircle.analysis.siting.milp import equity_milp, lscp_milp
from carecircle.analysis.siting.solution import OPTIMAL_MEANS, Solution
from carecircle.analysis.siting.solution import covered as _covered
from carecircle.analysis.siting.solution import from_milp as _from_milp
from carecircle.analysis.siting.solution import gap as _gap
from carecircle.analysis.siting.solution import proven as _proven

__all__ = [
    "OBJECTIVES",
    "OPTIMAL_MEANS",
    "Solution",
    "solve_capacitated",
    "solve_equity",
    "solve_fewest",
    "solve_mclp",
]

OBJECTIVES = ("coverage", "capacitated", "equity")


def _lowest_share(
    inst: SitingInstance, covered: np.ndarray, older: np.ndarray, rows: npt.NDArray[np.int64]
) -> float:
    """Lowest street share of older residents covered once ``rows`` are added."""
    groups = np.unique(inst.cover[rows].indices) if rows.size else np.zeros(0, dtype=np.int64)
    groups = groups[inst.street[groups] >= 0]
    cov = covered + np.bincount(
        inst.street[groups], weights=inst.weight[groups], minlength=older.size
    )
    active = older > 0
    return float((cov[active] / older[active]).min()) if active.any() else 1.0


def solve_fewest(inst: SitingInstance, need: float, *, time_limit: float) -> Solution:
    """Fewest new sites covering ``need`` older residents (LSCP-style).

    Parameters
    ----------
    inst : SitingInstance
        The reduced instance.
    need : float
        Older residents the new sites must cover.
    time_limit : float
        Seconds for the MILP (the greedy start runs first).
    """
    t = {}
    start = time.perf_counter()
    rows, _ = greedy_cover(inst, need=need)
    t["greedy"] = time.perf_counter() - start
    start = time.perf_counter()
    sol = lscp_milp(inst, need, start=rows, time_limit=time_limit)
    t["milp"] = time.perf_counter() - start
    best_rows = rows
    if (
        sol.values.size
        and sol.status in ("Optimal", "Time limit reached")
        and round(sol.objective) <= rows.size
    ):
        candidate = _from_milp(sol.values, inst.n_candidates)
        if inst.weight[np.unique(inst.cover[candidate].indices)].sum() >= need - 1e-6:
            best_rows = candidate
    objective = float(best_rows.size)
    bound = min(float(np.ceil(_proven(sol, 1.0 if need > 0 else 0.0) - 1e-6)), objective)
    gap = _gap(objective, bound)
    status = "optimal" if objective <= bound + 1e-9 else "time limit"
    return Solution(best_rows, objective, bound, gap, status, "milp", t)


def solve_capacitated(inst: SitingInstance, k: int, *, time_limit: float) -> Solution:
    """Capacitated coverage with ``k`` new sites.

    Every reported objective is what the chosen sites serve at best (their assignment LP),
    and the bound is HiGHS's dual bound, or all older residents when it has none.

    Parameters
    ----------
    inst : SitingInstance
        The reduced instance, with each candidate's capacity.
    k : int
        Sites to add.
    time_limit : float
        Seconds for the MILP (the greedy start runs first).
    """
    t = {}
    start = time.perf_counter()
    rows, _ = greedy_capacitated(inst, k=k)
    value, _ = served(inst, rows)
    t["greedy"] = time.perf_counter() - start
    start = time.perf_counter()
    sol = capacitated_milp(inst, k, start=rows, time_limit=time_limit)
    t["milp"] = time.perf_counter() - start
    best = Solution(rows, value, 0.0, 0.0, "", "greedy", t)
    if sol.values.size:
        milp_rows = _from_milp(sol.values, inst.n_candidates)
        milp_value, _ = served(inst, milp_rows)
        if milp_value > value + 1e-9:
            best.rows, best.objective, best.method = milp_rows, milp_value, "milp"
    total = float(inst.weight.sum())
    best.bound = _proven(sol, total)
    if best.bound < best.objective - 1e-6 * max(1.0, best.objective):
        best.bound = total  # a bound below a feasible value is no bound
    best.bound = min(max(best.bound, best.objective), total)
    best.gap = _gap(best.objective, best.bound)
    best.status = "optimal" if best.gap <= REL_GAP else "time limit"
    return best


def solve_equity(
    inst: SitingInstance, covered: np.ndarray, older: np.ndarray, k: int, *, time_limit: float
) -> Solution:
    """Equity: raise the lowest street share, then total coverage.

    Parameters
    ----------
    inst : SitingInstance
        The reduced instance (groups carry their street).
    covered, older : ndarray
        Older residents already covered, and all older residents, per street.
    k : int
        Sites to add.
    time_limit : float
        Seconds for the two MILP stages together (the greedy start runs first).
    """
    t = {}
    start = time.perf_counter()
    rows, _ = greedy_equity(inst, covered, older, k=k)
    t["greedy"] = time.perf_counter() - start
    start = time.perf_counter()
    first, second = equity_milp(inst, covered, older, k, start=rows, time_limit=time_limit)
    t["milp"] = time.perf_counter() - start
    best = Solution(rows, _covered(inst, rows), 0.0, 0.0, "", "greedy", t)
    if second.values.size and second.status != "Inconsistent":
        milp_rows = _from_milp(second.values, inst.n_candidates)
        if milp_rows.size <= k:
            best.rows, best.objective, best.method = milp_rows, _covered(inst, milp_rows), "milp"
    best.bound = max(_proven(second, float(inst.weight.sum())), best.objective)
    low = _lowest_share(inst, covered, older, best.rows)
    best.gap = max(_gap(low, max(_proven(first, 1.0), low)), _gap(best.objective, best.bound))
    best.status = "optimal" if best.gap <= REL_GAP else "time limit"
    best.notes.append(
        f"lowest street share reached: {low:.1%} (bound {max(_proven(first, 1.0), low):.1%})"
    )
    return best
