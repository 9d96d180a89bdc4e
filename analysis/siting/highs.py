"""HiGHS (highspy) for the siting models: one model passed column-wise, its answer checked.

HiGHS's own "Optimal" is not taken on trust: the values it returns are evaluated (by the
model's own evaluation where one is given) and a warm-started answer that disagrees is solved
again cold (:func:`solve_model`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

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
        The MILP (or LP) in column-wise form.
    start : ndarray or None
        A starting solution (one value per column) to warm-start from; None starts cold.
    time_limit : float
        Seconds HiGHS may run, per solve (a cold re-solve gets as much again).
    rel_gap : float, default REL_GAP
        Relative MIP gap at which HiGHS stops.
    interior_point : bool, default False
        Solve an LP by interior point, without crossover.
    evaluate : callable, optional
        The model's own value of the returned site variables (see :func:`consistent`); None
        checks every row, bound and the objective.
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
        The MILP (or LP) in column-wise form.
    start : ndarray or None
        Column values passed to HiGHS as a starting solution (``setSolution``); None for none.
    time_limit : float
        Seconds HiGHS may run.
    rel_gap : float, default REL_GAP
        Relative MIP gap at which HiGHS stops.
    interior_point : bool, default False
        Solve by interior point (``ipm``) with crossover off.
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
