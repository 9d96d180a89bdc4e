"""Cheap certified upper bounds for maximal coverage (Lagrangian relaxation by subgradient)."""

from __future__ import annotations

import numpy as np

from carecircle.analysis.siting.instance import SitingInstance


def lagrangian_bound(
    instance: SitingInstance, k: int, lower: float, *, iterations: int = 300
) -> tuple[float, np.ndarray, np.ndarray]:
    """Upper bound on the weight k sites can cover, by Lagrangian relaxation.

    Relaxing ``u_i ≤ Σ_j a_ij y_j`` with multipliers ``0 ≤ λ_i ≤ w_i`` gives
    ``L(λ) = Σ_i (w_i − λ_i) + (sum of the k largest (Aλ)_j)``, an upper bound for every
    λ; the subgradient method (Polyak steps towards ``lower``) lowers it.

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

    Returns
    -------
    bound : float
        The best (lowest) bound found; never below ``lower``.
    sites : ndarray of int64
        The best feasible set met on the way (the k sites each relaxation picks are a
        solution too: a Lagrangian heuristic), empty when none beats ``lower``.
    multipliers : ndarray
        The λ of the best bound (for reduced-cost fixing).
    """
    w = instance.weight
    cover = instance.cover
    total = float(w.sum())
    if cover.shape[0] <= k:
        return total, np.arange(cover.shape[0], dtype=np.int64), np.zeros(w.size)
    lam = w / 2.0
    best = total
    best_lam = np.zeros(w.size)  # L(0) = total
    best_sites, best_value = np.zeros(0, dtype=np.int64), lower
    theta = 2.0
    stall = 0
    for _ in range(iterations):
        score = cover @ lam
        top = np.argpartition(-score, k - 1)[:k]
        value = float((w - lam).sum() + score[top].sum())
        covered = float(w[np.unique(cover[top].indices)].sum()) if cover.nnz else 0.0
        if covered > best_value:
            best_value, best_sites = covered, np.sort(top).astype(np.int64)
            lower = covered
        if value < best - 1e-9:
            best, stall, best_lam = value, 0, lam.copy()
        else:
            stall += 1
            if stall >= 15:
                theta, stall = theta / 2.0, 0
        y = np.zeros(cover.shape[0])
        y[top] = 1.0
        grad = cover.T @ y - 1.0  # dL/dλ_i = (A^T y)_i − 1
        # projected: no step along directions the bounds 0 ≤ λ ≤ w block
        grad = np.where(((lam <= 0) & (grad > 0)) | ((lam >= w) & (grad < 0)), 0.0, grad)
        norm = float(grad @ grad)
        if norm <= 0 or best - lower <= 1e-9 * max(total, 1.0):
            break
        step = theta * (value - lower) / norm
        lam = np.clip(lam - step * grad, 0.0, w)
    return max(best, lower), best_sites, best_lam
