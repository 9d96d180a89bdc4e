"""The capacitated model: a site serves at most its capacity, only residents within its walk.

``served`` solves the assignment LP of a fixed set of sites (what they serve at best); the
MILP chooses the sites. Both read the reduced instance, which for this model merges only
cells of the same candidate set *and* the same older/residents ratio (see ``instance``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from carecircle.analysis.siting.greedy import assign_sequentially
from carecircle.analysis.siting.highs import Model, Solve, solve_model
from carecircle.analysis.siting.instance import SitingInstance

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Gap HiGHS closes for this model: served older residents are fractional, and at the usual
#: 1e-4 HiGHS stopped 0.003 % short of the demo's optimum (5,748.34 of 5,748.51).
CAPACITATED_SOLVER_GAP = 1e-6


def _capacity(instance: SitingInstance) -> FloatArray:
    """Capacity per kept candidate, infinite ones replaced by more than all residents."""
    return np.where(
        np.isfinite(instance.capacity), instance.capacity, instance.residents.sum() + 1.0
    )


def served(instance: SitingInstance, rows: IntArray) -> tuple[float, FloatArray]:
    """Older residents a fixed set of sites serves at best, and the assignment doing it.

    max Σ w_i x_ij subject to Σ_j x_ij ≤ 1 per group and Σ_i r_i x_ij ≤ c_j per site, x only
    on reach pairs: a small LP (the chosen sites' pairs), solved by HiGHS's simplex.

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance.
    rows : ndarray of int64
        The sites (rows of the instance).

    Returns
    -------
    value : float
        Older residents served.
    x : ndarray
        Served share of each reach pair of ``rows`` (row-major, as ``cover[rows]`` stores).
    """
    rows = np.asarray(rows, dtype=np.int64)
    sub = sp.csr_array(instance.cover[rows]) if rows.size else sp.csr_array((0, 0))
    if sub.nnz == 0:
        return 0.0, np.zeros(0)
    sub.sort_indices()
    coo = sub.tocoo()
    site, grp = coo.row.astype(np.int64), coo.col.astype(np.int64)
    groups, g_row = np.unique(grp, return_inverse=True)
    p = grp.size
    matrix = sp.csc_array(
        (
            np.concatenate([np.ones(p), instance.residents[grp]]),
            (np.concatenate([g_row.ravel(), groups.size + site]), np.tile(np.arange(p), 2)),
        ),
        shape=(groups.size + rows.size, p),
    )
    model = Model(
        instance.weight[grp],
        np.zeros(p),
        np.ones(p),
        np.zeros(p, dtype=bool),
        matrix,
        np.full(groups.size + rows.size, -np.inf),
        np.concatenate([np.ones(groups.size), _capacity(instance)[rows]]),
        maximize=True,
    )
    sol = solve_model(model, start=None, time_limit=60.0)
    if sol.status == "Optimal":
        return max(sol.objective, 0.0), np.clip(sol.values, 0.0, 1.0)
    x = assign_sequentially(instance, rows)  # always feasible, if not the best
    return float(instance.weight[grp] @ x), x


def capacitated_milp(
    instance: SitingInstance, k: int, *, start: IntArray, time_limit: float
) -> Solve:
    """Capacitated coverage: older residents served within capacity by k sites.

    max Σ w_i x_ij with Σ_j x_ij ≤ 1, Σ_i r_i x_ij ≤ c_j y_j, x_ij ≤ y_j, Σ y_j ≤ k; x exists
    only for reach pairs, so residents are assigned only within the walk. Warm-started with
    ``start`` and its best assignment.

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance (merged for this model).
    k : int
        Sites to add.
    start : ndarray of int64
        Rows of a feasible solution (greedy).
    time_limit : float
        Seconds.

    Returns
    -------
    Solve
        ``values[:n]`` are the site variables.
    """
    cover = instance.cover.tocoo()
    n, m, p = instance.cover.shape[0], instance.cover.shape[1], cover.nnz
    pair_c, pair_g = cover.row, cover.col
    rows: list[npt.NDArray[np.integer]] = []
    cols: list[npt.NDArray[np.integer]] = []
    vals: list[npt.NDArray[np.float64]] = []
    # assignment: Σ_j x_ij ≤ 1 (rows 0..m-1)
    rows.append(pair_g)
    cols.append(n + np.arange(p))
    vals.append(np.ones(p))
    # capacity: Σ_i r_i x_ij − c_j y_j ≤ 0 (rows m..m+n-1)
    rows += [m + pair_c, m + np.arange(n)]
    cols += [n + np.arange(p), np.arange(n)]
    vals += [instance.residents[pair_g], -_capacity(instance)]
    # linking: x_ij − y_j ≤ 0 (rows m+n..m+n+p-1)
    rows += [m + n + np.arange(p), m + n + np.arange(p)]
    cols += [n + np.arange(p), pair_c]
    vals += [np.ones(p), -np.ones(p)]
    # cardinality (last row)
    rows.append(np.full(n, m + n + p))
    cols.append(np.arange(n))
    vals.append(np.ones(n))
    n_rows = m + n + p + 1
    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n + p)
    )
    model = Model(
        np.concatenate([np.zeros(n), instance.weight[pair_g]]),
        np.zeros(n + p),
        np.ones(n + p),
        np.concatenate([np.ones(n, dtype=bool), np.zeros(p, dtype=bool)]),
        matrix,
        np.full(n_rows, -np.inf),
        np.concatenate([np.ones(m), np.zeros(n + p), [k]]),
        maximize=True,
    )

    def evaluate(values: FloatArray) -> float:
        """Return what the sites serve at best (``-inf`` beyond ``k`` sites)."""
        rows = np.flatnonzero(values[:n] > 0.5)
        return served(instance, rows)[0] if rows.size <= k else -np.inf

    return solve_model(
        model,
        start=_warm_start(instance, start),
        time_limit=time_limit,
        rel_gap=CAPACITATED_SOLVER_GAP,
        evaluate=evaluate,
    )


def _warm_start(instance: SitingInstance, start: IntArray) -> FloatArray | None:
    """Site and pair values of ``start`` with its best assignment, in the MILP's columns."""
    if start.size == 0:
        return None
    rows = np.sort(np.asarray(start, dtype=np.int64))
    _, x_sub = served(instance, rows)
    cover = instance.cover
    x = np.zeros(cover.nnz)
    at = 0
    for j in rows:  # the k chosen rows only
        lo, hi = int(cover.indptr[j]), int(cover.indptr[j + 1])
        x[lo:hi] = x_sub[at : at + hi - lo]
        at += hi - lo
    y = np.zeros(cover.shape[0])
    y[rows] = 1.0
    return np.concatenate([y, x])
