"""Exact siting models solved by HiGHS (``highs``) on the reduced instance, warm-started."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from carecircle.analysis.siting.highs import (
    REL_GAP,
    Model,
    Solve,
    consistent,
    run_highs,
    solve_model,
)
from carecircle.analysis.siting.instance import SitingInstance

FloatArray = npt.NDArray[np.float64]

#: How far below stage 1's lowest street share the equity model's second stage may go.
EQUITY_SLACK = 1e-7

#: Re-exported: the HiGHS runner moved to ``highs`` (callers importing them from here work).
__all__ = [
    "EQUITY_SLACK",
    "REL_GAP",
    "Model",
    "Solve",
    "consistent",
    "equity_milp",
    "lscp_milp",
    "mclp_lp_bound",
    "mclp_milp",
    "run_highs",
    "solve_model",
]


def _rows(values: FloatArray, n: int) -> npt.NDArray[np.int64]:
    """Sites set in returned values (the first ``n`` columns)."""
    return np.flatnonzero(values[:n] > 0.5)


def _covered_weight(instance: SitingInstance, k: int) -> Callable[[FloatArray], float]:
    """Return an evaluator: older residents the sites cover (``-inf`` beyond ``k``)."""

    def evaluate(values: FloatArray) -> float:
        rows = _rows(values, instance.n_candidates)
        if rows.size > k:
            return -np.inf
        return float(instance.weight[np.unique(instance.cover[rows].indices)].sum())

    return evaluate


def mclp_milp(
    instance: SitingInstance,
    k: int,
    *,
    start: npt.NDArray[np.int64],
    time_limit: float,
) -> Solve:
    """Maximal coverage: max Σ w_i u_i, u_i ≤ Σ_j a_ij y_j, Σ y_j ≤ k, y binary.

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance.
    k : int
        Sites to add.
    start : ndarray of int64
        Rows of a feasible solution (greedy) to start from.
    time_limit : float
        Seconds.

    Returns
    -------
    Solve
        ``values[:n]`` are the site variables.
    """
    n, m = instance.cover.shape
    a = instance.cover.astype(np.float64)
    top = sp.hstack([-a.T, sp.eye_array(m, format="csr")])  # u_i − Σ a_ij y_j ≤ 0
    card = sp.hstack([sp.csr_array(np.ones((1, n))), sp.csr_array((1, m))])
    matrix = sp.csc_array(sp.vstack([top, card]))
    cost = np.concatenate([np.zeros(n), instance.weight])
    integer = np.concatenate([np.ones(n, dtype=bool), np.zeros(m, dtype=bool)])
    y0 = np.zeros(n)
    y0[start] = 1.0
    u0 = np.minimum(a.T @ y0, 1.0)
    model = Model(
        cost,
        np.zeros(n + m),
        np.ones(n + m),
        integer,
        matrix,
        np.full(m + 1, -np.inf),
        np.concatenate([np.zeros(m), [k]]),
        maximize=True,
    )
    return solve_model(
        model,
        start=np.concatenate([y0, u0]),
        time_limit=time_limit,
        evaluate=_covered_weight(instance, k),
    )


def mclp_lp_bound(instance: SitingInstance, k: int, *, time_limit: float) -> Solve:
    """LP relaxation of maximal coverage, by interior point on the reduced model.

    Much faster than simplex here (seconds instead of minutes at 2,000 × 20,000); its value
    bounds the optimum, and on realistic instances its site values are often integral.

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance.
    k : int
        Sites to add (the cardinality row Σ y_j ≤ k).
    time_limit : float
        Seconds for HiGHS.
    """
    n, m = instance.cover.shape
    a = instance.cover.astype(np.float64)
    top = sp.hstack([-a.T, sp.eye_array(m, format="csr")])
    card = sp.hstack([sp.csr_array(np.ones((1, n))), sp.csr_array((1, m))])
    model = Model(
        np.concatenate([np.zeros(n), instance.weight]),
        np.zeros(n + m),
        np.ones(n + m),
        np.zeros(n + m, dtype=bool),
        sp.csc_array(sp.vstack([top, card])),
        np.full(m + 1, -np.inf),
        np.concatenate([np.zeros(m), [k]]),
        maximize=True,
    )
    return solve_model(model, start=None, time_limit=time_limit, interior_point=True)


def lscp_milp(
    instance: SitingInstance, need: float, *, start: npt.NDArray[np.int64], time_limit: float
) -> Solve:
    """Fewest sites covering at least ``need`` weight: min Σ y_j, Σ w_i u_i ≥ need.

    When ``need`` is all the weight this is a set cover (Σ_j a_ij y_j ≥ 1 for every group);
    otherwise u is binary: with continuous u, HiGHS was seen to accept u slightly below 1
    within its tolerances on the weighted demand row and return a non-optimal cover.

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance.
    need : float
        Weight (older residents) the sites must cover at least.
    start : ndarray of int64
        Rows of a feasible solution (greedy), the warm start; may be empty.
    time_limit : float
        Seconds for HiGHS.
    """
    n, m = instance.cover.shape
    a = instance.cover.astype(np.float64)
    y0 = np.zeros(n)
    y0[start] = 1.0
    covers = _covered_weight(instance, n)

    def evaluate(values: FloatArray) -> float:
        """Sites used, ``inf`` when they do not cover ``need``."""
        enough = covers(values) >= need - 1e-6
        return float(_rows(values, n).size) if enough else np.inf

    if need >= instance.weight.sum() - 1e-9:
        model = Model(
            np.ones(n),
            np.zeros(n),
            np.ones(n),
            np.ones(n, dtype=bool),
            sp.csc_array(a.T),
            np.ones(m),
            np.full(m, np.inf),
            maximize=False,
        )
        return solve_model(
            model, start=y0 if start.size else None, time_limit=time_limit, evaluate=evaluate
        )
    top = sp.hstack([-a.T, sp.eye_array(m, format="csr")])
    demand = sp.hstack([sp.csr_array((1, n)), sp.csr_array(instance.weight[None, :])])
    matrix = sp.csc_array(sp.vstack([top, demand]))
    cost = np.concatenate([np.ones(n), np.zeros(m)])
    integer = np.ones(n + m, dtype=bool)
    u0 = np.minimum(a.T @ y0, 1.0)
    model = Model(
        cost,
        np.zeros(n + m),
        np.ones(n + m),
        integer,
        matrix,
        np.concatenate([np.full(m, -np.inf), [need - 1e-6]]),
        np.concatenate([np.zeros(m), [np.inf]]),
        maximize=False,
    )
    return solve_model(
        model, start=np.concatenate([y0, u0]), time_limit=time_limit, evaluate=evaluate
    )


def equity_milp(
    instance: SitingInstance,
    covered_by_street: FloatArray,
    older_by_street: FloatArray,
    k: int,
    *,
    start: npt.NDArray[np.int64],
    time_limit: float,
) -> tuple[Solve, Solve]:
    """Equity, lexicographically: first max the lowest street share z, then the total.

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance (groups carry their street).
    covered_by_street, older_by_street : ndarray
        Older residents already covered, and all older residents, per street (indexed by
        ``instance.street``); streets without older residents take no share row.
    k : int
        Sites to add.
    start : ndarray of int64
        Rows of a feasible solution (greedy), stage 1's warm start (stage 2 starts from
        stage 1's answer).
    time_limit : float
        Seconds for both stages together (half each).

    Returns
    -------
    tuple of Solve
        Stage 1 (objective = lowest share) and stage 2 (objective = older covered by the
        new sites, with the lowest share held at the stage-1 value).
    """
    n, m = instance.cover.shape
    streets = np.flatnonzero(older_by_street > 0)
    s_index = np.full(older_by_street.size, -1)
    s_index[streets] = np.arange(streets.size)
    a = instance.cover.astype(np.float64)
    top = sp.hstack([-a.T, sp.eye_array(m, format="csr"), sp.csr_array((m, 1))])
    card = sp.hstack([sp.csr_array(np.ones((1, n))), sp.csr_array((1, m + 1))])
    # z·older_s − Σ_{i in s} w_i u_i ≤ covered_s
    grp = np.flatnonzero(s_index[instance.street] >= 0)
    share_rows = sp.csr_array(
        (
            np.concatenate([-instance.weight[grp], older_by_street[streets]]),
            (
                np.concatenate([s_index[instance.street[grp]], np.arange(streets.size)]),
                np.concatenate([n + grp, np.full(streets.size, n + m)]),
            ),
        ),
        shape=(streets.size, n + m + 1),
    )
    matrix = sp.csc_array(sp.vstack([top, card, share_rows]))
    integer = np.concatenate([np.ones(n, dtype=bool), np.zeros(m + 1, dtype=bool)])
    y0 = np.zeros(n)
    y0[start] = 1.0
    u0 = np.minimum(a.T @ y0, 1.0)
    cov0 = covered_by_street[streets] + np.bincount(
        s_index[instance.street[grp]],
        weights=instance.weight[grp] * u0[grp],
        minlength=streets.size,
    )
    z0 = float((cov0 / older_by_street[streets]).min()) if streets.size else 0.0
    row_lower = np.full(m + 1 + streets.size, -np.inf)
    row_upper = np.concatenate([np.zeros(m), [k], covered_by_street[streets]])
    lower, upper = np.zeros(n + m + 1), np.ones(n + m + 1)
    cost1 = np.zeros(n + m + 1)
    cost1[-1] = 1.0
    covers = _covered_weight(instance, k)

    def lowest(values: FloatArray) -> float:
        """Lowest street share with the returned sites (``-inf`` beyond ``k`` sites)."""
        rows = _rows(values, n)
        if rows.size > k:
            return -np.inf
        hit = np.zeros(m)
        hit[np.unique(instance.cover[rows].indices)] = 1.0
        cov = covered_by_street[streets] + np.bincount(
            s_index[instance.street[grp]],
            weights=instance.weight[grp] * hit[grp],
            minlength=streets.size,
        )
        return float((cov / older_by_street[streets]).min()) if streets.size else 0.0

    first = solve_model(
        Model(cost1, lower, upper, integer, matrix, row_lower, row_upper, True),
        start=np.concatenate([y0, u0, [z0]]),
        time_limit=time_limit / 2,
        evaluate=lowest,
    )
    # the lowest share is held 1e-7 below stage 1's: exactly at it, HiGHS found the
    # second stage infeasible within its tolerances
    held = max(first.objective - EQUITY_SLACK, 0.0) if np.isfinite(first.objective) else 0.0
    lower2 = lower.copy()
    lower2[-1] = held

    def total(values: FloatArray) -> float:
        """Older residents the sites cover, ``-inf`` if their lowest share drops."""
        return covers(values) if lowest(values) >= held - 1e-9 else -np.inf

    cost2 = np.concatenate([np.zeros(n), instance.weight, [0.0]])
    second = solve_model(
        Model(cost2, lower2, upper, integer, matrix, row_lower, row_upper, True),
        start=first.values if first.values.size else None,
        time_limit=time_limit / 2,
        evaluate=total,
    )
    return first, second
