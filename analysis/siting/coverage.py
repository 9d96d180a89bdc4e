"""Maximal coverage (``--add``), proven step by step: heuristics, bounds, fixing, the MILP.

1. Greedy, then best single swaps (``search``).
2. Lagrangian bound by subgradient (``bounds``); the distinct site sets its relaxations pick
   are swap-improved too (a Lagrangian heuristic with local search: on the spatial
   benchmark seeds it finds the optimum where greedy and swaps stop 1–2.5 % short).
3. Reduced-cost fixing with its multipliers (``fixing``): candidates in no better solution
   dropped, those in all of them fixed.
4. LP relaxation (interior point) of what is left: its duals give a bound (valid for any
   multipliers) and a second fixing; its values are rounded several ways and swapped.
5. The MILP on the candidates still open, warm-started with the best solution.

Each step stops as soon as the gap is within ``REL_GAP``. Every reported objective is what
the reported sites cover, and every bound is a proven one (module docstrings of ``bounds``
and ``fixing``).
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from carecircle.analysis.siting.bounds import lagrangian_bound
from carecircle.analysis.siting.fixing import Reduction, fixing_bounds, reduce_by_bounds
from carecircle.analysis.siting.greedy import greedy_cover
from carecircle.analysis.siting.highs import REL_GAP
from carecircle.analysis.siting.instance import SitingInstance
from carecircle.analysis.siting.milp import mclp_lp_bound, mclp_milp
from carecircle.analysis.siting.search import SwapSearch
from carecircle.analysis.siting.solution import Solution, covered, from_milp, gap, proven

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Gap after the first subgradient run above which a longer one runs (time allowing).
LONG_SUBGRADIENT_GAP = 0.01
LONG_SUBGRADIENT_S = 10.0


def _better(best: Solution, rows: IntArray, method: str, inst: SitingInstance) -> None:
    """Keep ``rows`` if they cover more than the best so far."""
    value = covered(inst, rows)
    if rows.size and value > best.objective + 1e-9:
        best.rows, best.objective, best.method = np.sort(rows), value, method


def _heuristics_and_bound(
    inst: SitingInstance, k: int, time_limit: float, search: SwapSearch
) -> tuple[Solution, FloatArray]:
    """Greedy with swaps, the Lagrangian bound and its pool swapped; and the multipliers."""
    t: dict[str, float] = {}
    clock = time.perf_counter()
    rows, _ = greedy_cover(inst, k=k)
    rows = search.improve(rows)
    t["greedy"] = time.perf_counter() - clock
    best = Solution(rows, covered(inst, rows), np.inf, np.inf, "greedy", "greedy", t)
    clock = time.perf_counter()
    lag = lagrangian_bound(inst, k, best.objective)
    bound, lam = lag.bound, lag.multipliers
    _better(best, search.best_of(lag.pool)[0], "lagrangian heuristic", inst)
    if gap(best.objective, bound) > LONG_SUBGRADIENT_GAP and time_limit >= LONG_SUBGRADIENT_S:
        # a weak first bound: more subgradient steps find better sites and multipliers
        long = lagrangian_bound(inst, k, best.objective, iterations=1000)
        if long.bound < bound:
            bound, lam = long.bound, long.multipliers
        _better(best, search.best_of(long.pool)[0], "lagrangian heuristic", inst)
    t["bound"] = time.perf_counter() - clock
    best.bound = max(bound, best.objective)
    best.gap = gap(best.objective, best.bound)
    return best, lam


def lp_roundings(values: FloatArray, score: FloatArray, k: int) -> list[IntArray]:
    """Site sets from an LP's site values: the k largest, ties by Lagrangian score, both ways.

    Parameters
    ----------
    values : ndarray
        LP value of each site variable.
    score : ndarray
        Score ``Aπ`` of each site under the LP duals (breaks ties among equal values).
    k : int
        Sites.

    Returns
    -------
    list of ndarray of int64
        Candidate sets (each at most k rows), for the local search.
    """
    n = values.size
    k = min(k, n)
    by_value = np.argsort(-values, kind="stable")[:k]
    by_both = np.lexsort((-score, -np.round(values, 6)))[:k]
    whole = np.flatnonzero(values >= 1 - 1e-6)[:k]  # the integral part, filled by score
    rest = np.argsort(-score, kind="stable")
    rest = rest[~np.isin(rest, whole)]
    by_score = np.concatenate([whole, rest[: k - whole.size]])
    return [s.astype(np.int64) for s in (by_value, by_both, by_score)]


def solve_mclp(inst: SitingInstance, k: int, *, time_limit: float) -> Solution:
    """Maximal coverage with ``k`` new sites, proven step by step (module docstring).

    Parameters
    ----------
    inst : SitingInstance
        The reduced instance.
    k : int
        Sites to add.
    time_limit : float
        Seconds for the LP and the MILP (the heuristics and the Lagrangian bound run first).

    Returns
    -------
    Solution
        The best sites found, what they cover and the proven bound.
    """
    search = SwapSearch(inst)
    best, lam = _heuristics_and_bound(inst, k, time_limit, search)
    t = best.seconds
    if best.gap <= REL_GAP or inst.n_candidates <= k:
        best.status = "optimal"
        return best
    deadline = time.perf_counter() + time_limit
    first = reduce_by_bounds(inst, k, lam, best.objective * (1 + REL_GAP / 2), best.rows)
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
        score = np.asarray(first.sub.cover @ np.clip(np.abs(pi), 0.0, first.sub.weight))
        starts = lp_roundings(lp.values[: first.sub.n_candidates], score, first.k)
        _better(best, search.best_of(map(first.full_rows, starts))[0], "lp rounding", inst)
        clock = time.perf_counter()
        _kick(inst, best, first, score)
        t["search"] = time.perf_counter() - clock
        best.gap = gap(best.objective, best.bound)
        if best.gap <= REL_GAP:
            best.status = "optimal"
            return best
        threshold = best.objective * (1 + REL_GAP / 2) - first.offset
        last = reduce_by_bounds(first.sub, first.k, pi, threshold, first.sub_rows(best.rows))
        parent = first
        best.reductions.append(_fixing_note("LP duals", last))
        if last.k <= 0 or last.sub.n_candidates <= last.k or last.sub.weight.size == 0:
            return _finish(inst, best, last, parent)
    clock = time.perf_counter()
    start = last.sub_rows(parent.sub_rows(best.rows) if parent else best.rows)
    sol = mclp_milp(last.sub, max(last.k, 0), start=start, time_limit=max(deadline - clock, 1e-3))
    t["milp"] = time.perf_counter() - clock
    bound = last.bound(proven(sol, float(last.sub.weight.sum())))
    best.bound = min(best.bound, parent.bound(bound) if parent else bound)
    if sol.values.size and sol.status != "Inconsistent":
        chosen = last.full_rows(from_milp(sol.values, last.sub.n_candidates))
        chosen = parent.full_rows(chosen) if parent else chosen
        if chosen.size <= k:
            _better(best, chosen, "milp", inst)
    best.bound = max(best.bound, best.objective)
    best.gap = gap(best.objective, best.bound)
    best.status = "optimal" if best.gap <= REL_GAP else "time limit"
    return best


def _kick(inst: SitingInstance, best: Solution, red: Reduction, score: FloatArray) -> None:
    """Search what fixing left by kicks (``SwapSearch.kicked``); keep a better set.

    The start is the best solution's rows in ``red.sub``, filled up to ``red.k`` by score.
    """
    rows = red.sub_rows(best.rows)
    if rows.size < red.k:
        order = np.argsort(-score, kind="stable")
        rows = np.concatenate([rows, order[~np.isin(order, rows)][: red.k - rows.size]])
    if rows.size == 0:
        return
    target = best.bound * (1 - REL_GAP) - red.offset
    found, _ = SwapSearch(red.sub).kicked(rows.astype(np.int64), target=target)
    _better(best, red.full_rows(found), "local search", inst)


def _finish(
    inst: SitingInstance, best: Solution, red: Reduction, parent: Reduction | None = None
) -> Solution:
    """Close a run where fixing left no choice: the fixed rows and all that stay open.

    ``red`` reduces ``parent.sub`` when ``parent`` is given (a second fixing), else ``inst``.
    """
    rows = red.full_rows(np.arange(min(red.sub.n_candidates, max(red.k, 0)), dtype=np.int64))
    rows = parent.full_rows(rows) if parent else rows
    _better(best, rows, "fixing", inst)
    rest = float(red.sub.weight.sum()) if red.k > 0 else 0.0
    bound = red.bound(rest)
    bound = parent.bound(bound) if parent else bound
    best.bound = max(min(best.bound, bound), best.objective)
    best.gap = gap(best.objective, best.bound)
    best.status = "optimal" if best.gap <= REL_GAP else "time limit"
    return best


def _fixing_note(source: str, red: Reduction) -> str:
    return (
        f"reduced-cost fixing by the {source} (exact): {red.dropped:,} candidates proven out "
        f"of and {red.fixed.size:,} into every better solution"
    )
