"""Every siting model against brute force on hundreds of random small instances.

Each instance has 5–15 candidates and 20–200 cells, with zero and tied weights, a duplicate
and a nested candidate, cells nobody reaches and cells already covered. The brute force
enumerates every set of sites on the raw cells (no reduction); the capacitated one solves
each set's assignment LP with scipy's ``linprog`` (not the code under test). For each model:
objective = brute-force optimum (to the 0.01 % that "optimal" means; exact for the integer
objectives, whose totals stay below 10,000), bound on the right side of the optimum, and the
chosen sites, evaluated on the raw cells, give the reported objective.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from carecircle.analysis.siting.bounds import lagrangian_bound
from carecircle.analysis.siting.coverage import lp_roundings
from carecircle.analysis.siting.fixing import fixing_bounds
from carecircle.analysis.siting.instance import build_instance
from carecircle.analysis.siting.milp import REL_GAP, mclp_lp_bound
from carecircle.analysis.siting.search import SwapSearch, covered_weight
from carecircle.analysis.siting.solve import (
    solve_capacitated,
    solve_equity,
    solve_fewest,
    solve_mclp,
)

EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
STREETS = 3


@dataclass(frozen=True)
class Case:
    """A raw instance: reach over all cells, weights, streets, existing coverage, capacity."""

    reach: np.ndarray  # (n, m) bool
    older: np.ndarray
    residents: np.ndarray
    street: np.ndarray
    covered: np.ndarray  # cells already covered by existing facilities
    capacity: np.ndarray
    k: int

    @property
    def open(self) -> np.ndarray:
        """Cells not yet covered (what site.py passes on)."""
        return np.flatnonzero(~self.covered)

    def instance(self, *, capacitated: bool = False):
        cols = self.open
        return build_instance(
            sp.csr_array(self.reach[:, cols].astype(float)),
            self.older[cols],
            self.residents[cols],
            self.street[cols],
            capacity=self.capacity if capacitated else None,
        )[0]

    def sites(self, inst, rows: np.ndarray) -> np.ndarray:
        """Candidate indices of instance rows."""
        return inst.candidates[np.asarray(rows, dtype=np.int64)]

    def newly(self, sites) -> float:
        """Older residents of uncovered cells the sites reach."""
        hit = self.reach[list(sites)].any(axis=0) & ~self.covered
        return float(self.older[hit].sum())


@st.composite
def cases(draw: st.DrawFn, k_max: int = 3) -> Case:
    n = draw(st.integers(5, 15))
    m = draw(st.integers(20, 200))
    k = draw(st.integers(1, k_max))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    reach = rng.random((n, m)) < rng.uniform(0.03, 0.3)
    a, b, c, d = rng.choice(n, 4, replace=False)
    reach[b] = reach[a]  # a duplicate candidate
    reach[d] = reach[c] & (rng.random(m) < 0.5)  # a candidate nested in another
    reach[:, rng.random(m) < 0.1] = False  # cells nobody reaches
    older = rng.choice([0.0, 0.0, 1.0, 2.0, 5.0, 5.0, 10.0, 17.0], size=m)  # zero and tied
    residents = older * rng.choice([1.0, 2.0, 4.0], size=m) + rng.choice([0.0, 3.0], size=m)
    covered = rng.random(m) < draw(st.sampled_from([0.0, 0.2, 0.5]))
    street = rng.integers(0, STREETS, m)
    capacity = rng.choice([5.0, 20.0, 60.0, 150.0, 1000.0], size=n)
    return Case(reach, older, residents, street, covered, capacity, k)


def subsets(n: int, k: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(n), k)), dtype=np.int64).reshape(-1, k)


def brute_mclp(case: Case, k: int) -> float:
    hit = case.reach[subsets(case.reach.shape[0], k)].any(axis=1) & ~case.covered
    return float((hit * case.older).sum(axis=1).max())


def brute_fewest(case: Case, need: float) -> int:
    for k in range(case.reach.shape[0] + 1):
        if k == 0 and need <= 1e-9:
            return 0
        if k and brute_mclp(case, k) >= need - 1e-6:
            return k
    raise AssertionError("need above what all candidates cover")


def served(case: Case, sites) -> float:
    """Assignment LP of fixed sites on the raw uncovered cells, by scipy's linprog."""
    pairs = [(j, i) for j in sites for i in np.flatnonzero(case.reach[j] & ~case.covered)]
    if not pairs:
        return 0.0
    site = np.array([p[0] for p in pairs])
    cell = np.array([p[1] for p in pairs])
    cells, cell_row = np.unique(cell, return_inverse=True)
    site_ids, site_row = np.unique(site, return_inverse=True)
    p = len(pairs)
    a = np.zeros((cells.size + site_ids.size, p))
    a[cell_row, np.arange(p)] = 1.0
    a[cells.size + site_row, np.arange(p)] = case.residents[cell]
    b = np.concatenate([np.ones(cells.size), case.capacity[site_ids]])
    res = linprog(-case.older[cell], A_ub=a, b_ub=b, bounds=(0, 1), method="highs")
    assert res.status == 0
    return float(-res.fun)


def brute_capacitated(case: Case) -> float:
    """Best assignment LP over all k-sets, pruned by the sum of single-site values."""
    n = case.reach.shape[0]
    single = np.array([served(case, (j,)) for j in range(n)])
    sets = subsets(n, case.k)
    upper = single[sets].sum(axis=1)  # a set never serves more than its sites alone
    best = 0.0
    for i in np.argsort(-upper, kind="stable"):
        if upper[i] <= best + 1e-9:
            break
        best = max(best, served(case, tuple(sets[i])))
    return best


def shares(case: Case, hit: np.ndarray) -> np.ndarray:
    """Street shares of older residents covered (rows of ``hit``: cells covered)."""
    total = np.bincount(case.street, weights=case.older, minlength=STREETS)
    active = total > 0
    cov = np.stack(
        [np.bincount(case.street, weights=case.older * h, minlength=STREETS) for h in hit]
    )
    return cov[:, active] / total[active]


def brute_equity(case: Case) -> tuple[float, float]:
    """Lexicographic optimum: (lowest street share, older newly covered)."""
    hit = case.reach[subsets(case.reach.shape[0], case.k)].any(axis=1) | case.covered
    low = shares(case, hit).min(axis=1)
    new = ((hit & ~case.covered) * case.older).sum(axis=1)
    best = low.max()
    return float(best), float(new[low >= best - 1e-12].max())


@EXAMPLES
@given(cases())
def test_coverage_equals_brute_force(case: Case) -> None:
    inst = case.instance()
    want = brute_mclp(case, case.k)
    if inst.n_candidates == 0:  # site.py stops with an error here: nothing to gain
        assert want == 0
        return
    solution = solve_mclp(inst, case.k, time_limit=20)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(want, abs=1e-9)
    assert solution.bound >= want - 1e-6
    sites = case.sites(inst, solution.rows)
    assert sites.size <= case.k
    assert case.newly(sites) == pytest.approx(solution.objective, abs=1e-9)


@EXAMPLES
@given(cases(), st.sampled_from([0.3, 0.7, 0.95, 1.0]))
def test_fewest_sites_equals_brute_force(case: Case, share: float) -> None:
    inst = case.instance()
    need = share * float(inst.weight.sum())
    if inst.n_candidates == 0:
        assert brute_fewest(case, need) == 0
        return
    solution = solve_fewest(inst, need, time_limit=20)
    want = brute_fewest(case, need)
    assert solution.status == "optimal"
    assert solution.objective == want
    assert solution.bound <= want
    sites = case.sites(inst, solution.rows)
    assert sites.size == solution.objective
    assert case.newly(sites) >= need - 1e-6


@EXAMPLES
@given(cases(k_max=2))
def test_capacitated_equals_brute_force(case: Case) -> None:
    inst = case.instance(capacitated=True)
    want = brute_capacitated(case)
    if inst.n_candidates == 0:
        assert want == 0
        return
    solution = solve_capacitated(inst, case.k, time_limit=20)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(want, rel=REL_GAP, abs=1e-6)
    assert solution.objective <= want + 1e-6
    assert solution.bound >= want - 1e-6
    sites = case.sites(inst, solution.rows)
    assert sites.size <= case.k
    assert served(case, tuple(sites)) == pytest.approx(solution.objective, rel=1e-7, abs=1e-7)


@EXAMPLES
@given(cases())
def test_equity_equals_brute_force(case: Case) -> None:
    inst = case.instance()
    total = np.bincount(case.street, weights=case.older, minlength=STREETS)
    before = np.bincount(case.street, weights=case.older * case.covered, minlength=STREETS)
    low, new = brute_equity(case)
    if inst.n_candidates == 0:
        assert new == 0
        return
    solution = solve_equity(inst, before, total, case.k, time_limit=20)
    assert solution.status == "optimal"
    sites = case.sites(inst, solution.rows)
    assert sites.size <= case.k
    hit = case.reach[sites].any(axis=0) | case.covered
    assert shares(case, hit[None, :]).min() == pytest.approx(low, abs=1e-9)
    assert case.newly(sites) == pytest.approx(new, abs=1e-9)
    assert solution.objective == pytest.approx(new, abs=1e-9)
    assert solution.bound >= new - 1e-6


def test_one_site_serves_its_best_cells_first() -> None:
    """Issue 15: merged cells of different ratios made the site serve them proportionally."""
    inst, _ = build_instance(
        sp.csr_array(np.ones((1, 2))),
        np.array([10.0, 1.0]),
        np.array([10.0, 100.0]),
        np.zeros(2, dtype=np.int64),
        capacity=np.array([10.0]),
    )
    solution = solve_capacitated(inst, 1, time_limit=10)
    assert solution.objective == pytest.approx(10.0)
    assert solution.bound >= 10.0 - 1e-9
    assert solution.status == "optimal"


@pytest.mark.parametrize("nested", [False, True])
def test_two_sites_of_the_same_reach_double_the_capacity(nested: bool) -> None:
    """Issue 15: the second candidate was dropped as dominated; it doubles the capacity."""
    reach = np.array([[1.0, 1.0], [1.0, 0.0]]) if nested else np.array([[1.0], [1.0]])
    older = np.array([20.0, 5.0])[: reach.shape[1]]
    inst, _ = build_instance(
        sp.csr_array(reach),
        older,
        older.copy(),
        np.zeros(reach.shape[1], dtype=np.int64),
        capacity=np.array([10.0, 10.0]),
    )
    solution = solve_capacitated(inst, 2, time_limit=10)
    assert solution.objective == pytest.approx(20.0)
    assert solution.bound >= 20.0 - 1e-9
    assert solution.status == "optimal"


@EXAMPLES
@given(cases(), st.integers(0, 2**32 - 1))
def test_fixing_bounds_hold_for_any_multipliers(case: Case, seed: int) -> None:
    """The reduced-cost fixing bounds hold for every set of sites, whatever the π."""
    inst = case.instance()
    if inst.n_candidates <= case.k:
        return
    rng = np.random.default_rng(seed)
    pi = inst.weight * rng.choice([0.0, 0.5, 1.0], size=inst.weight.size) * rng.random()
    bound, with_j, without_j = fixing_bounds(inst, case.k, pi)
    cover = inst.cover.toarray() > 0
    sets = subsets(inst.n_candidates, case.k)
    value = (cover[sets].any(axis=1) * inst.weight).sum(axis=1)
    assert value.max() <= bound + 1e-9
    member = np.zeros((sets.shape[0], inst.n_candidates), dtype=bool)
    np.put_along_axis(member, sets, True, axis=1)
    for j in range(inst.n_candidates):
        assert value[member[:, j]].max(initial=0.0) <= with_j[j] + 1e-9
        assert value[~member[:, j]].max(initial=0.0) <= without_j[j] + 1e-9


def _reduced_optimum(inst, k: int) -> float:
    """Brute-force optimum of a reduced instance (every set of at most k of its rows)."""
    cover = inst.cover.toarray() > 0
    k = min(k, inst.n_candidates)
    return float((cover[subsets(inst.n_candidates, k)].any(axis=1) * inst.weight).sum(1).max())


@EXAMPLES
@given(cases(), st.sampled_from([5, 40, 300]))
def test_lagrangian_bound_and_its_pool(case: Case, iterations: int) -> None:
    """The subgradient bound is never below the optimum, whenever it stops; its pool's sets
    are feasible, and the local search only ever improves them, to values they do cover."""
    inst = case.instance()
    if inst.n_candidates <= case.k:
        return
    want = brute_mclp(case, case.k)
    lag = lagrangian_bound(inst, case.k, 0.0, iterations=iterations)
    assert lag.bound >= want - 1e-6
    assert 0 < len(lag.pool) <= 10
    search = SwapSearch(inst)
    for rows in lag.pool:
        assert rows.size == case.k == np.unique(rows).size
        improved = search.improve(rows)
        assert improved.size == case.k == np.unique(improved).size
        assert covered_weight(inst, rows) - 1e-9 <= covered_weight(inst, improved) <= want + 1e-9
    best, value = search.best_of(lag.pool)
    assert value == pytest.approx(covered_weight(inst, best)) and value <= want + 1e-9
    kicked, kicked_value = search.kicked(best, kicks=20)
    assert kicked.size == case.k == np.unique(kicked).size
    assert value - 1e-9 <= kicked_value == pytest.approx(covered_weight(inst, kicked))
    assert kicked_value <= want + 1e-9
    assert case.newly(case.sites(inst, kicked)) == pytest.approx(kicked_value)


@EXAMPLES
@given(cases())
def test_lp_dual_bound_and_roundings(case: Case) -> None:
    """The Lagrangian bound at the LP's row duals (interior point, no crossover) bounds the
    optimum; the LP's roundings are sets of at most k distinct sites."""
    inst = case.instance()
    if inst.n_candidates <= case.k:
        return
    want = _reduced_optimum(inst, case.k)
    assert want == pytest.approx(brute_mclp(case, case.k))
    lp = mclp_lp_bound(inst, case.k, time_limit=20)
    # lp.objective is an inexact primal value (seen 1.3e-6 below the optimum, no crossover):
    # solve_mclp never takes it as a bound, only the Lagrangian bound at the duals below
    pi = lp.row_duals[: inst.weight.size]
    bound = fixing_bounds(inst, case.k, pi)[0]
    assert bound >= want - 1e-6
    score = np.asarray(inst.cover @ np.clip(np.abs(pi), 0.0, inst.weight))
    for rows in lp_roundings(lp.values[: inst.n_candidates], score, case.k):
        assert rows.size == np.unique(rows).size <= case.k
        assert covered_weight(inst, rows) <= want + 1e-9
