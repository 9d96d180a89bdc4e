"""Cheap certified upper bounds for maximal coverage (Lagrangian relaxation by subgradient).

Relaxing the coverage rows ``u_i ≤ Σ_j a_ij y_j`` with multipliers ``0 ≤ λ_i ≤ w_i`` gives

    L(λ) = Σ_i (w_i − λ_i) + (sum of the k largest scores s_j = (Aλ)_j).

*Why it is a bound, for every λ in the box*: for any set Y of at most k sites, with
``u_i = 1`` exactly on the groups Y covers, ``Σ_i w_i u_i = Σ_i (w_i − λ_i) u_i +
Σ_i λ_i u_i ≤ Σ_i (w_i − λ_i) + Σ_{j∈Y} s_j`` (``w − λ ≥ 0``, and a covered group's
``λ_i`` is counted in the score of at least one of its sites in Y, ``λ ≥ 0``), and the
sum over Y is at most the k largest scores. So the bound never depends on how well the
subgradient method converged: an early stop only makes it weaker, never wrong.

The k sites each relaxation picks are a solution too (the *Lagrangian heuristic*); the
best distinct ones met on the way are kept as a pool of starts for the local search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from carecircle.analysis.siting.instance import SitingInstance

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Distinct Lagrangian solutions kept as starts for the local search.
POOL_SIZE = 10


@dataclass(frozen=True)
class LagrangianBound:
    """What the subgradient run found.

    Attributes
    ----------
    bound : float
        The best (lowest) ``L(λ)`` met; never below the ``lower`` passed in.
    multipliers : ndarray
        The λ of that bound (for reduced-cost fixing).
    pool : tuple of ndarray of int64
        The best distinct site sets the relaxations picked (sorted rows), best first.
    """

    bound: float
    multipliers: FloatArray
    pool: tuple[IntArray, ...]


def row_indices(cover: sp.csr_array, rows: IntArray) -> IntArray:
    """Column indices stored in some rows of a CSR array, concatenated (no copy of rows).

    Parameters
    ----------
    cover : csr_array
        The matrix.
    rows : ndarray of int64
        The rows.

    Returns
    -------
    ndarray
        ``cover[rows].indices`` without building ``cover[rows]``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    start = cover.indptr[rows].astype(np.int64)
    length = cover.indptr[rows + 1].astype(np.int64) - start
    if not length.sum():
        return np.zeros(0, dtype=np.int64)
    offset = np.repeat(start - (np.cumsum(length) - length), length)
    return np.asarray(cover.indices[offset + np.arange(int(length.sum()))], dtype=np.int64)


def lagrangian_bound(
    instance: SitingInstance,
    k: int,
    lower: float,
    *,
    iterations: int = 300,
    pool_size: int = POOL_SIZE,
) -> LagrangianBound:
    """Upper bound on the weight k sites can cover, by Lagrangian relaxation.

    The subgradient method with Polyak steps towards the best value known (``lower``, raised
    whenever a relaxation's own sites cover more) lowers ``L(λ)`` (module docstring).

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance.
    k : int
        Number of sites.
    lower : float
        A known feasible objective (e.g. greedy), used in the step size.
    iterations : int, default 300
        Subgradient steps.
    pool_size : int, default 10
        Distinct relaxation solutions kept (best first).

    Returns
    -------
    LagrangianBound
        Bound, its multipliers, and the pool of relaxation solutions.
    """
    w = instance.weight
    cover = instance.cover
    total = float(w.sum())
    n = cover.shape[0]
    if n <= k:
        return LagrangianBound(total, np.zeros(w.size), (np.arange(n, dtype=np.int64),))
    lam = w / 2.0
    best, best_lam = total, np.zeros(w.size)  # L(0) = total
    met: dict[bytes, float] = {}
    theta, stall = 2.0, 0
    for _ in range(iterations):
        score = cover @ lam
        top = np.sort(np.argpartition(-score, k - 1)[:k]).astype(np.int64)
        value = float((w - lam).sum() + score[top].sum())
        count = np.bincount(row_indices(cover, top), minlength=w.size)
        covered = float(w[count > 0].sum())
        met[top.tobytes()] = covered
        lower = max(lower, covered)
        if value < best - 1e-9:
            best, stall, best_lam = value, 0, lam.copy()
        else:
            stall += 1
            if stall >= 15:
                theta, stall = theta / 2.0, 0
        grad = count - 1.0  # dL/dλ_i = (A^T y)_i − 1
        # projected: no step along directions the bounds 0 ≤ λ ≤ w block
        grad[((lam <= 0) & (grad > 0)) | ((lam >= w) & (grad < 0))] = 0.0
        norm = float(np.square(grad).sum())  # not grad @ grad: BLAS threads, 100× slower
        if norm <= 0 or best - lower <= 1e-9 * max(total, 1.0):
            break
        lam = np.clip(lam - theta * (value - lower) / norm * grad, 0.0, w)
    ranked = sorted(met.items(), key=lambda item: -item[1])[:pool_size]
    pool = tuple(np.frombuffer(key, dtype=np.int64).copy() for key, _ in ranked)
    return LagrangianBound(max(best, lower), best_lam, pool)
