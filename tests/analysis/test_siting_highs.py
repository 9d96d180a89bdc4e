"""HiGHS answers are checked: a reported objective the returned solution does not give is
never passed on as optimal (issue 15, item 3)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from carecircle.analysis.siting import highs
from carecircle.analysis.siting.instance import SitingInstance
from carecircle.analysis.siting.milp import Model, Solve, consistent, equity_milp, lscp_milp
from carecircle.analysis.siting.solve import solve_equity, solve_fewest


def _instance(cover: np.ndarray, weight: np.ndarray, street: np.ndarray) -> SitingInstance:
    n, m = cover.shape
    return SitingInstance(
        cover=sp.csr_array(cover.astype(float)),
        weight=weight.astype(float),
        residents=weight.astype(float),
        street=street.astype(np.int64),
        candidates=np.arange(n),
        capacity=np.full(n, np.inf),
        group_of_cell=np.arange(m),
    )


def _chain(n: int = 6) -> SitingInstance:
    """n candidates, candidate j reaching groups j and j+1 of n+1: a cover needs ⌈(n+1)/2⌉."""
    cover = np.zeros((n, n + 1))
    for j in range(n):
        cover[j, j : j + 2] = 1.0
    return _instance(cover, np.ones(n + 1), np.zeros(n + 1))


class _FakeHighs:
    """Stands in for ``run_highs``: lies once (or always) about the objective when warm."""

    def __init__(self, always: bool = False) -> None:
        self.calls: list[bool] = []
        self.always = always

    def __call__(self, model: Model, *, start, **_: object) -> Solve:
        self.calls.append(start is not None)
        n = model.cost.size
        good = np.zeros(n)
        good[0:n:2] = 1.0  # sites 0, 2, 4, … (a true cover of the chain)
        bad = np.ones(n)  # every site: feasible, but not the reported objective
        if start is not None or self.always:
            return Solve("Optimal", float(good.sum()), float(good.sum()), 0.0, bad)
        return Solve("Optimal", float(good.sum()), float(good.sum()), 0.0, good)


def test_a_warm_answer_that_disagrees_is_solved_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeHighs()
    monkeypatch.setattr(highs, "run_highs", fake)
    inst = _chain(5)  # 6 groups: sites 0, 2, 4 cover them
    sol = lscp_milp(inst, 6.0, start=np.arange(5), time_limit=5)
    assert fake.calls == [True, False]  # warm, then cold
    assert sol.status == "Optimal"
    assert np.flatnonzero(sol.values > 0.5).tolist() == [0, 2, 4]
    result = solve_fewest(inst, 6.0, time_limit=5)
    assert (result.objective, result.bound, result.status) == (3.0, 3.0, "optimal")


def test_an_answer_that_stays_inconsistent_is_never_optimal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(highs, "run_highs", _FakeHighs(always=True))
    inst = _chain(5)
    sol = lscp_milp(inst, 6.0, start=np.arange(5), time_limit=5)
    assert sol.status == "Inconsistent"
    assert sol.objective == 5.0  # what the returned sites are: all five
    result = solve_fewest(inst, 6.0, time_limit=5)
    # greedy's 3 sites are kept, but with no trusted bound they are not called optimal
    assert result.status == "time limit"
    assert result.objective == 3.0
    assert result.bound < 3.0


def test_consistent_checks_rows_integrality_and_objective() -> None:
    model = Model(
        np.array([1.0, 1.0]),
        np.zeros(2),
        np.ones(2),
        np.array([True, False]),
        sp.csc_array(np.array([[1.0, 1.0]])),
        np.array([1.0]),
        np.array([np.inf]),
        maximize=False,
    )
    assert consistent(model, Solve("Optimal", 1.0, 1.0, 0.0, np.array([1.0, 0.0])))
    assert not consistent(model, Solve("Optimal", 1.0, 1.0, 0.0, np.array([1.0, 1.0])))
    assert not consistent(model, Solve("Optimal", 0.5, 0.5, 0.0, np.array([0.5, 0.0])))
    assert not consistent(model, Solve("Optimal", 0.0, 0.0, 0.0, np.array([0.0, 0.0])))
    assert consistent(model, Solve("Time limit reached", np.inf, 0.0, 1.0, np.zeros(0)))


def test_highs_equity_case_where_the_returned_values_disagree() -> None:
    """Found by the brute-force test: warm-started, HiGHS 1.16 reported 99 older residents
    for stage 2 of equity, returned coverage values summing to 97 for the same (optimal)
    site, and cold called the stage infeasible (the share held exactly at stage 1's)."""
    cover = np.array(
        [
            [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1],
            [1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
        ]
    )
    weight = np.array([13, 18, 12, 10, 32, 5, 27, 19, 38, 2, 2, 5, 17, 23, 5])
    street = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 0, 1, 0, 1, 1])
    inst = _instance(cover, weight, street)
    before, total = np.array([72.0, 24.0, 54.0]), np.array([313.0, 347.0, 194.0])
    first, second = equity_milp(inst, before, total, 1, start=np.array([0]), time_limit=10)
    assert np.flatnonzero(second.values[:3] > 0.5).tolist() == [0]
    assert second.objective == pytest.approx(99.0, abs=1e-6)
    result = solve_equity(inst, before, total, 1, time_limit=10)
    assert result.status == "optimal"
    assert result.objective == 99.0 and result.bound == pytest.approx(99.0, abs=1e-6)
    # site 0 lifts street 1 to (24 + 32 + 5 + 23 + 5) / 347, the lowest of the three
    assert first.objective == pytest.approx(89.0 / 347.0, abs=1e-7)
