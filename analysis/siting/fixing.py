"""Reduced-cost fixing for maximal coverage: prove most candidates out before the MILP.

For multipliers ``0 ≤ π_i ≤ w_i`` on the coverage rows ``u_i ≤ Σ_j a_ij y_j``, every set Y
of at most k sites covers at most ``L(π) = Σ_i (w_i − π_i) + Σ_{j∈Y} s_j`` with
``s = A π`` (the Lagrangian relaxation), so, with ``S_k`` the k largest scores:

* a set containing j covers at most ``in_j = Σ(w − π) + S_k − s_(k) + s_j`` (j replaces the
  k-th score; ``in_j = L`` when j is among the top k);
* a set without j (j in the top k) covers at most ``out_j = L − s_j + s_(k+1)``.

Both hold for *any* π in the box, so a π from an inexact LP (the interior point's row
duals) can only make them weaker, never wrong. With a solution of value v in hand, every
candidate with ``in_j < t`` (``t`` a hair above v) is in no better solution and is
dropped; every one with ``out_j < t`` is in all of them and is fixed. The next step (LP,
MILP) runs on what is left (fixed sites' cells removed, k lowered, cells merged again), and
the bound is the largest of: the sub-problem's bound plus what the fixed sites cover, the
dropped candidates' ``in_j``, and the fixed ones' ``out_j`` (``Reduction.bound``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from carecircle.analysis.siting.instance import SitingInstance, restrict

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def fixing_bounds(
    instance: SitingInstance, k: int, pi: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    """Lagrangian bound and, per candidate, bounds of the sets with and without it.

    Parameters
    ----------
    instance : SitingInstance
        The (uncapacitated) instance.
    k : int
        Sites.
    pi : ndarray
        Multipliers per group (clipped to ``[0, w]``).

    Returns
    -------
    bound : float
        ``L(π)``, an upper bound on the optimum.
    with_j, without_j : ndarray
        Upper bounds on what sets containing / not containing each candidate cover.
    """
    w = instance.weight
    pi = np.clip(np.nan_to_num(np.abs(pi)), 0.0, w)
    score = np.asarray(instance.cover @ pi, dtype=float)
    n = score.size
    order = np.argsort(-score, kind="stable")
    top = np.zeros(n, dtype=bool)
    top[order[: min(k, n)]] = True
    kth = score[order[k - 1]] if n >= k else 0.0
    nxt = score[order[k]] if n > k else 0.0
    bound = float((w - pi).sum() + score[top].sum())
    with_j = np.where(top, bound, bound - kth + score)
    without_j = np.where(top, bound - score + nxt, bound)
    return bound, with_j, without_j


@dataclass(frozen=True)
class Reduction:
    """What fixing left: a sub-instance, and how its answers map back and bound the rest.

    Attributes
    ----------
    sub : SitingInstance
        The candidates not fixed either way, without the groups the fixed ones cover.
    rows : ndarray of int64
        Row of the parent instance of each row of ``sub``.
    fixed : ndarray of int64
        Parent rows in every better solution.
    k : int
        Sites left for ``sub``.
    offset : float
        What the fixed rows cover.
    outside : float
        Bound on every set that breaks a fixing (``-inf`` when none was made).
    dropped : int
        Candidates proven out.
    """

    sub: SitingInstance
    rows: IntArray
    fixed: IntArray
    k: int
    offset: float
    outside: float
    dropped: int

    def full_rows(self, sub_rows: IntArray) -> IntArray:
        """Parent rows of a solution of ``sub`` (the fixed rows added)."""
        return np.sort(np.concatenate([self.fixed, self.rows[sub_rows]])).astype(np.int64)

    def sub_rows(self, parent_rows: IntArray) -> IntArray:
        """Rows of ``sub`` among some parent rows (for a warm start)."""
        return np.flatnonzero(np.isin(self.rows, parent_rows))[: self.k].astype(np.int64)

    def bound(self, sub_bound: float) -> float:
        """Parent bound from a bound on ``sub``."""
        return max(self.outside, self.offset + sub_bound)


def reduce_by_bounds(
    instance: SitingInstance, k: int, pi: FloatArray, threshold: float, keep: IntArray
) -> Reduction:
    """Drop the candidates no set beating ``threshold`` contains; fix those all contain.

    Parameters
    ----------
    instance : SitingInstance
        The (uncapacitated) instance.
    k : int
        Sites.
    pi : ndarray
        Multipliers per group.
    threshold : float
        Value to beat (a hair above the best known).
    keep : ndarray of int64
        Rows never dropped (the best known solution, for warm starts).

    Returns
    -------
    Reduction
        The sub-instance and its bookkeeping.
    """
    _, with_j, without_j = fixing_bounds(instance, k, pi)
    kept = np.zeros(instance.n_candidates, dtype=bool)
    kept[keep] = True
    drop = (with_j < threshold) & ~kept
    fix = (without_j < threshold) & ~drop
    fixed = np.flatnonzero(fix)
    outside = max(
        float(with_j[drop].max()) if drop.any() else -np.inf,
        float(without_j[fixed].max()) if fixed.size else -np.inf,
    )
    if fixed.size > k:  # no set beats the threshold at all
        fixed = fixed[:k]
        outside = max(outside, threshold)
    hit = np.zeros(instance.weight.size, dtype=bool)
    hit[np.unique(instance.cover[fixed].indices)] = True
    rows = np.flatnonzero(~drop & ~fix)
    return Reduction(
        sub=restrict(instance, rows, drop_groups=hit),
        rows=rows.astype(np.int64),
        fixed=fixed.astype(np.int64),
        k=int(k - fixed.size),
        offset=float(instance.weight[hit].sum()),
        outside=outside,
        dropped=int(drop.sum()),
    )
