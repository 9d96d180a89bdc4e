"""Run a siting model: greedy first, a certified bound, then the exact MILP when it helps."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from carecircle.analysis.siting.bounds import lagrangian_bound
from carecircle.analysis.siting.capacitated import capacitated_milp, served
from carecircle.analysis.siting.fixing import Reduction, fixing_bounds, reduce_by_bounds
from carecircle.analysis.siting.greedy import (
    greedy_capacitated,
    greedy_cover,
    greedy_equity,
    swap_improve,
)
from carecircle.analysis.siting.instance import SitingInstance
from carecircle.analysis.siting.milp import (
    REL_GAP,
    Solve,
    equity_milp,
    lscp_milp,
    mclp_lp_bound,
    mclp_milp,
)

OBJECTIVES = ("coverage", "capacitated", "equity")

#: Gap after the first subgradient run above which a longer one runs (time allowing).
LONG_SUBGRADIENT_GAP = 0.01
LONG_SUBGRADIENT_S = 10.0

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


def _gap(objective: float, bound: float) -> float:
    scale = max(abs(bound), abs(objective), 1e-9)
    return max(abs(bound - objective) / scale, 0.0)


def _covered(inst: SitingInstance, rows: npt.NDArray[np.int64]) -> float:
    """Older residents the sites cover."""
    return float(inst.weight[np.unique(inst.cover[rows].indices)].sum()) if rows.size else 0.0


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


def _from_milp(values: np.ndarray, n: int) -> npt.NDArray[np.int64]:
    return np.flatnonzero(values[:n] > 0.5).astype(np.int64)


def _greedy_and_bound(
    inst: SitingInstance, k: int, time_limit: float, t: dict[str, float]
) -> tuple[npt.NDArray[np.int64], float, float, np.ndarray]:
    """Greedy with swaps, and the Lagrangian bound with its heuristic sites and multipliers."""
    clock = time.perf_counter()
    rows, _ = greedy_cover(inst, k=k)
    rows = swap_improve(inst, rows)
    t["greedy"] = time.perf_counter() - clock
    value = _covered(inst, rows)
    clock = time.perf_counter()
    bound, heuristic, lam = lagrangian_bound(inst, k, value)
    if heuristic.size:
        heuristic = swap_improve(inst, heuristic)
        if _covered(inst, heuristic) > value:
            rows, value = heuristic, _covered(inst, heuristic)
    if _gap(value, bound) > LONG_SUBGRADIENT_GAP and time_limit >= LONG_SUBGRADIENT_S:
        # a weak first bound: more subgradient steps find better sites and multipliers
        # (spatial seed 4 of the benchmark: 2.9 % after 300 steps, 0.4 % after 1,000)
        long_bound, heuristic, long_lam = lagrangian_bound(inst, k, value, iterations=1000)
        if long_bound < bound:
            bound, lam = long_bound, long_lam
        if heuristic.size:
            heuristic = swap_improve(inst, heuristic)
            if _covered(inst, heuristic) > value:
                rows, value = heuristic, _covered(inst, heuristic)
    t["bound"] = time.perf_counter() - clock
    return rows, value, bound, lam


def solve_mclp(inst: SitingInstance, k: int, *, time_limit: float) -> Solution:
    """Maximal coverage with ``k`` new sites, proven step by step.

    Greedy and swaps, then a Lagrangian bound (subgradient); its multipliers prove most
    candidates out of every better solution (``fixing``); the LP relaxation (interior
    point) of what is left gives better multipliers, a rounding and a second fixing; the
    MILP runs only on the candidates still open. Each step stops as soon as the gap is
    within ``REL_GAP``.

    Parameters
    ----------
    inst : SitingInstance
        The reduced siting instance.
    k : int
        Number of sites to choose.
    time_limit : float
        Seconds HiGHS may run.
    """
    t: dict[str, float] = {}
    rows, value, bound, lam = _greedy_and_bound(inst, k, time_limit, t)
    best = Solution(rows, value, bound, _gap(value, bound), "greedy", "greedy", t)
    if best.gap <= REL_GAP or inst.n_candidates <= k:
        best.status = "optimal"
        return best
    deadline = time.perf_counter() + time_limit
    first = reduce_by_bounds(inst, k, lam, value * (1 + REL_GAP / 2), rows)
    best.reductions.append(_fixing_note("Lagrangian multipliers", first))
    if first.k <= 0 or first.sub.n_candidates <= first.k or first.sub.weight.size == 0:
        return _finish(inst, best, first)
    clock = time.perf_counter()
    lp = mclp_lp_bound(first.sub, first.k, time_limit=max((deadline - clock) / 2, 1e-3))
    t["lp"] = time.perf_counter() - clock
    last, parent = first, None
    if lp.row_duals.size >= first.sub.weight.size and lp.values.size:
        pi = lp.row_duals[: first.sub.weight.size]
        best.bound = min(best.bound, first.bound(fixing_bounds(first.sub, first.k, pi)[0]))
        order = np.argsort(-lp.values[: first.sub.n_candidates], kind="stable")[: first.k]
        rounded = swap_improve(inst, first.full_rows(order.astype(np.int64)))
        if _covered(inst, rounded) > best.objective:
            best.rows, best.objective = rounded, _covered(inst, rounded)
            best.method = "lp rounding"
        best.gap = _gap(best.objective, best.bound)
        if best.gap <= REL_GAP:
            best.status = "optimal"
            return best
        threshold = best.objective * (1 + REL_GAP / 2) - first.offset
        last = reduce_by_bounds(first.sub, first.k, pi, threshold, first.sub_rows(best.rows))
        parent = first
        best.reductions.append(_fixing_note("LP duals", last))
    clock = time.perf_counter()
    start = last.sub_rows(parent.sub_rows(best.rows) if parent else best.rows)
    sol = mclp_milp(last.sub, max(last.k, 0), start=start, time_limit=max(deadline - clock, 1e-3))
    t["milp"] = time.perf_counter() - clock
    proven = last.bound(_proven(sol, float(last.sub.weight.sum())))
    best.bound = min(best.bound, parent.bound(proven) if parent else proven)
    if sol.values.size and sol.status != "Inconsistent":
        chosen = last.full_rows(_from_milp(sol.values, last.sub.n_candidates))
        chosen = parent.full_rows(chosen) if parent else chosen
        if chosen.size <= k and _covered(inst, chosen) > best.objective:
            best.rows, best.objective, best.method = chosen, _covered(inst, chosen), "milp"
    best.bound = max(best.bound, best.objective)
    best.gap = _gap(best.objective, best.bound)
    best.status = "optimal" if best.gap <= REL_GAP else "time limit"
    return best


def _finish(inst: SitingInstance, best: Solution, red: Reduction) -> Solution:
    """Close a run where fixing left no choice: the fixed rows and all that stay open."""
    rows = red.full_rows(np.arange(min(red.sub.n_candidates, max(red.k, 0)), dtype=np.int64))
    if rows.size and _covered(inst, rows) > best.objective:
        best.rows, best.objective, best.method = rows, _covered(inst, rows), "fixing"
    rest = float(red.sub.weight.sum()) if red.k > 0 else 0.0
    best.bound = max(min(best.bound, red.bound(rest)), best.objective)
    best.gap = _gap(best.objective, best.bound)
    best.status = "optimal" if best.gap <= REL_GAP else "time limit"
    return best


def _fixing_note(source: str, red: Reduction) -> str:
    return (
        f"reduced-cost fixing by the {source} (exact): {red.dropped:,} candidates proven out "
        f"of and {red.fixed.size:,} into every better solution"
    )


def solve_fewest(inst: SitingInstance, need: float, *, time_limit: float) -> Solution:
    """Fewest new sites covering ``need`` older residents (LSCP-style).

    Parameters
    ----------
    inst : SitingInstance
        The reduced siting instance.
    need : float
        Share of the older residents to cover (0-1).
    time_limit : float
        Seconds HiGHS may run.
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


def _proven(sol: Solve, fallback: float) -> float:
    """Return the solver's bound, unless its answer was inconsistent (then ``fallback``)."""
    if sol.status == "Inconsistent" or not np.isfinite(sol.bound):
        return fallback
    return float(sol.bound)


def solve_capacitated(inst: SitingInstance, k: int, *, time_limit: float) -> Solution:
    """Capacitated coverage with ``k`` new sites.

    Every reported objective is what the chosen sites serve at best (their assignment LP),
    and the bound is HiGHS's dual bound, or all older residents when it has none.

    Parameters
    ----------
    inst : SitingInstance
        The reduced siting instance.
    k : int
        Number of sites to choose.
    time_limit : float
        Seconds HiGHS may run.
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
        The reduced siting instance.
    covered : np.ndarray
        Whether each cell is covered already.
    older : np.ndarray
        Older residents per cell.
    k : int
        Number of sites to choose.
    time_limit : float
        Seconds HiGHS may run.
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
