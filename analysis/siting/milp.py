"""Exact siting models solved by HiGHS (highspy) on the reduced instance, warm-started."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from carecircle.analysis.siting.instance import SitingInstance

FloatArray = npt.NDArray[np.float64]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Solve:
    """What HiGHS returned: status, objective, best bound, gap, the values (and row duals)."""

    status: str
    objective: float
    bound: float
    gap: float
    values: FloatArray
    row_duals: FloatArray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class Model:
    """A MILP in column-wise form: bounds, costs, integrality and row bounds."""

    cost: FloatArray
    lower: FloatArray
    upper: FloatArray
    integer: npt.NDArray[np.bool_]
    matrix: sp.csc_array
    row_lower: FloatArray
    row_upper: FloatArray
    maximize: bool


#: How far below stage 1's lowest street share the equity model's second stage may go.
EQUITY_SLACK = 1e-7

#: Relative gap below which HiGHS stops and a solution is called optimal (0.01 %).
REL_GAP = 1e-4


def consistent(
    model: Model,
    solve: Solve,
    *,
    evaluate: Callable[[FloatArray], float] | None = None,
    tol: float = 1e-6,
) -> bool:
    """Whether the returned values are feasible and give the objective HiGHS reported.

    HiGHS (seen with 1.16, ``setSolution`` and presolve on) can report an objective and a
    dual bound as "Optimal" while the solution it returns is another, worse one: 7 sites
    for the fewest-sites objective 6, or site values covering 99 older residents with
    coverage variables summing to 97.

    Parameters
    ----------
    model : Model
        The model solved.
    solve : Solve
        What HiGHS returned.
    evaluate : callable, optional
        The model's own value of the returned integer (site) variables, computed outside
        HiGHS (e.g. the older residents the sites cover); ``-inf`` (maximising) or ``inf``
        when they break a constraint. Without it, every row, bound and the objective
        ``cost @ values`` are checked.
    tol : float, default 1e-6
        Tolerance, relative to the size of the numbers.

    Returns
    -------
    bool
        True when the values are a feasible point whose objective is the reported one (or
        when nothing was returned, so there is nothing to check).
    """
    v = solve.values
    if v.size == 0:
        return True
    if v.size != model.cost.size or not np.isfinite(v).all():
        return False
    integral = bool(np.all(np.abs(v[model.integer] - np.round(v[model.integer])) <= 1e-5))
    scale = max(1.0, abs(solve.objective)) if np.isfinite(solve.objective) else 1.0
    if evaluate is not None:
        value = float(evaluate(v))
        if not np.isfinite(value):
            return False
        # the sites may be worth more than the continuous variables say, never less
        short = solve.objective - value if model.maximize else value - solve.objective
        return integral and short <= tol * max(scale, abs(value))
    big = max(1.0, float(np.abs(v).max()))
    act = model.matrix @ v
    rows_ok = np.all(act >= model.row_lower - tol * np.maximum(1.0, np.abs(model.row_lower)))
    rows_ok &= np.all(act <= model.row_upper + tol * np.maximum(1.0, np.abs(model.row_upper)))
    cols_ok = np.all(v >= model.lower - tol * big) & np.all(v <= model.upper + tol * big)
    value = float(model.cost @ v)
    same = abs(value - solve.objective) <= tol * max(scale, abs(value))
    return bool(rows_ok and cols_ok and integral and same)


def solve_model(
    model: Model,
    *,
    start: FloatArray | None,
    time_limit: float,
    rel_gap: float = REL_GAP,
    interior_point: bool = False,
    evaluate: Callable[[FloatArray], float] | None = None,
) -> Solve:
    """Run HiGHS, and check its answer: warm-started answers that disagree are solved cold.

    When even the cold answer disagrees, the values' own objective is reported with the
    status ``Inconsistent`` (never ``Optimal``), so no caller can take it as proven.
    ``evaluate`` is passed to :func:`consistent`.

    Parameters
    ----------
    model : Model
        The HiGHS model.
    start : FloatArray | None
        A start solution; None for none.
    time_limit : float
        Seconds HiGHS may run.
    rel_gap : float, default REL_GAP
        Relative MIP gap at which HiGHS stops.
    interior_point : bool, default False
        Solve the LP relaxation by interior point (large instances).
    evaluate : Callable[[FloatArray], float] | None, default None
        Objective of a start solution, to report the gap against; None for none.
    """
    sol = run_highs(
        model, start=start, time_limit=time_limit, rel_gap=rel_gap, interior_point=interior_point
    )
    if consistent(model, sol, evaluate=evaluate):
        return sol
    log.warning(
        "HiGHS returned a solution whose objective (%g) is not the reported %g; %s",
        _value(model, sol.values, evaluate),
        sol.objective,
        "solving again without the warm start" if start is not None else "values reported",
    )
    if start is not None:
        sol = run_highs(
            model, start=None, time_limit=time_limit, rel_gap=rel_gap, interior_point=interior_point
        )
        if consistent(model, sol, evaluate=evaluate):
            return sol
    return Solve(
        "Inconsistent", _value(model, sol.values, evaluate), sol.bound, sol.gap, sol.values
    )


def _value(
    model: Model, values: FloatArray, evaluate: Callable[[FloatArray], float] | None
) -> float:
    """Objective of returned values (the model's own evaluation when given)."""
    if values.size != model.cost.size:
        return -np.inf if model.maximize else np.inf
    return float(evaluate(values)) if evaluate is not None else float(model.cost @ values)


def run_highs(
    model: Model,
    *,
    start: FloatArray | None,
    time_limit: float,
    rel_gap: float = REL_GAP,
    interior_point: bool = False,
) -> Solve:
    """Pass one model to HiGHS column-wise and run it (an LP by interior point if asked).

    Parameters
    ----------
    model : Model
        The HiGHS model.
    start : FloatArray | None
        A start solution; None for none.
    time_limit : float
        Seconds HiGHS may run.
    rel_gap : float, default REL_GAP
        Relative MIP gap at which HiGHS stops.
    interior_point : bool, default False
        Solve the LP relaxation by interior point (large instances).
    """
    import highspy

    cost, lower, upper, integer = model.cost, model.lower, model.upper, model.integer
    matrix, row_lower, row_upper = model.matrix, model.row_lower, model.row_upper
    maximize = model.maximize

    # highspy.Highs() calls a solver method in its constructor, which prints the banner
    # ("Running HiGHS …") before any option can be set; the core class it wraps does not,
    # so the console stays silent unless CARECIRCLE_HIGHS_LOG asks for the solver's log.
    h = getattr(highspy, "_Highs", highspy.Highs)()
    verbose = bool(os.environ.get("CARECIRCLE_HIGHS_LOG"))
    h.setOptionValue("output_flag", verbose)
    h.setOptionValue("log_to_console", verbose)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    h.setOptionValue("threads", 1)
    if interior_point:
        # crossover off: the LP only supplies multipliers for a Lagrangian bound computed
        # outside HiGHS (valid for any multipliers) and values to round, so no basis
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = int(cost.size), int(row_lower.size)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in integer
        ]
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        h.setSolution(sol)
    h.run()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    values = np.asarray(h.getSolution().col_value, dtype=float)
    if int(info.primal_solution_status) == 0:  # kSolutionStatusNone: no point found at all
        values = np.zeros(0)
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if integer.any() else objective
    gap = float(info.mip_gap) if integer.any() else 0.0
    log.debug(
        "HiGHS %s: %s, objective %g, bound %g, gap %.2g",
        "MILP" if integer.any() else "LP",
        status,
        objective,
        bound,
        gap,
    )
    duals = np.zeros(0)
    if not integer.any() and int(info.dual_solution_status) > 0:  # some dual point
        duals = np.asarray(h.getSolution().row_dual, dtype=float)
    return Solve(status, objective, bound, gap, values, duals)


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
        The reduced siting instance.
    k : int
        Number of sites to choose.
    time_limit : float
        Seconds HiGHS may run.
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
        The reduced siting instance.
    need : float
        Share of the older residents to cover (0-1).
    start : npt.NDArray[np.int64]
        Candidate rows of a start solution (the greedy's).
    time_limit : float
        Seconds HiGHS may run.
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
        The reduced siting instance.
    covered_by_street : FloatArray
        Older residents covered already, per street.
    older_by_street : FloatArray
        Older residents per street.
    k : int
        Number of sites to choose.
    start : npt.NDArray[np.int64]
        Candidate rows of a start solution (the greedy's).
    time_limit : float
        Seconds HiGHS may run.

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
