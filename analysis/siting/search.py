"""Local search for maximal coverage: best single swaps, from several starts.

Heuristics only: whatever they return is evaluated on the instance (the weight its sites
cover) before it is reported, and the bound comes from elsewhere (``bounds``, the LP, the
MILP), so a poor local optimum can cost a gap, never a wrong number.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from carecircle.analysis.siting.bounds import row_indices
from carecircle.analysis.siting.instance import SitingInstance

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def covered_weight(instance: SitingInstance, rows: IntArray) -> float:
    """Weight of the groups some rows cover (each group once).

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance.
    rows : ndarray of int64
        The sites (rows of ``instance.cover``); may be empty.
    """
    if not len(rows):
        return 0.0
    hit = np.zeros(instance.weight.size, dtype=bool)
    hit[row_indices(instance.cover, np.asarray(rows, dtype=np.int64))] = True
    return float(instance.weight[hit].sum())


class SwapSearch:
    """Best-improvement single swaps on one instance (patterns built once for all starts).

    Parameters
    ----------
    instance : SitingInstance
        The (uncapacitated) instance.
    """

    def __init__(self, instance: SitingInstance) -> None:
        cover = instance.cover
        self.instance = instance
        self.pattern = sp.csr_array(
            (np.ones(cover.nnz), cover.indices, cover.indptr), shape=cover.shape
        )
        self.transposed = sp.csr_array(self.pattern.T)

    def improve(self, rows: IntArray, *, max_rounds: int = 200) -> IntArray:
        """Improve a set of sites by best single swaps (one out, one in) until none helps.

        All swap values are computed at once: gain of the site coming in on the uncovered
        groups, minus what only the leaving site covered, plus what both cover among those.

        Parameters
        ----------
        rows : ndarray of int64
            The starting sites (rows of the instance).
        max_rounds : int, default 200
            Most swaps.

        Returns
        -------
        ndarray of int64
            The improved sites (same count, sorted).
        """
        w = self.instance.weight
        chosen = np.array(sorted(set(map(int, rows))), dtype=np.int64)
        for _ in range(max_rounds if chosen.size else 0):
            count = np.bincount(row_indices(self.pattern, chosen), minlength=w.size)
            gain_in = self.pattern @ np.where(count == 0, w, 0.0)
            only = np.where(count == 1, w, 0.0)
            sub = self.pattern[chosen]
            loss_out = sub @ only
            both = (sp.csr_array(sub.multiply(only[None, :])) @ self.transposed).toarray()
            value = gain_in[None, :] - loss_out[:, None] + both
            value[:, chosen] = -np.inf
            out_i, in_j = np.unravel_index(int(np.argmax(value)), value.shape)
            if value[out_i, in_j] <= 1e-9:
                break
            chosen[out_i] = int(in_j)
            chosen.sort()
        return chosen

    def kicked(
        self, rows: IntArray, *, kicks: int = 100, target: float = np.inf, seed: int = 15
    ) -> tuple[IntArray, float]:
        """Kick two sites out for two random others, improve, keep if better (iterated search).

        Meant for the small instance left after reduced-cost fixing, where every candidate
        may still be in a better solution and a kick costs milliseconds (spatial seed 9 of
        the benchmark: swaps and LP roundings stop at 470,386, the third kick finds the
        optimum 470,938). The generator is seeded, so the same instance gives the same sites.

        Parameters
        ----------
        rows : ndarray of int64
            Start (improved first).
        kicks : int, default 100
            Most kicks.
        target : float, optional
            Stop once a set covers this much (e.g. what closes the gap to the bound).
        seed : int, default 15
            Seed of the kicks.

        Returns
        -------
        rows : ndarray of int64
            The best set met.
        value : float
            The weight it covers.
        """
        best = self.improve(rows)
        value = covered_weight(self.instance, best)
        n, k = self.instance.n_candidates, best.size
        rng = np.random.default_rng(seed)
        swap = min(2, k, n - k)
        for _ in range(kicks if swap > 0 else 0):
            if value >= target:
                break
            kick = best.copy()
            outside = np.setdiff1d(np.arange(n), kick, assume_unique=True)
            kick[rng.choice(k, swap, replace=False)] = rng.choice(outside, swap, replace=False)
            trial = self.improve(kick)
            trial_value = covered_weight(self.instance, trial)
            if trial_value > value + 1e-9:
                best, value = trial, trial_value
        return best, value

    def best_of(self, starts: Iterable[IntArray]) -> tuple[IntArray, float]:
        """Swap-improve every start; return the best local optimum and what it covers.

        Parameters
        ----------
        starts : iterable of ndarray of int64
            Site sets (e.g. greedy, the Lagrangian pool, an LP rounding).

        Returns
        -------
        rows : ndarray of int64
            The best improved set (empty when no start was given).
        value : float
            The weight it covers.
        """
        best, value = np.zeros(0, dtype=np.int64), -np.inf
        seen: set[bytes] = set()
        for start in starts:
            key = np.unique(np.asarray(start, dtype=np.int64)).tobytes()
            if key in seen:
                continue
            seen.add(key)
            rows = self.improve(np.asarray(start, dtype=np.int64))
            covered = covered_weight(self.instance, rows)
            if covered > value + 1e-9:
                best, value = rows, covered
        return best, max(value, 0.0)


def swap_improve(instance: SitingInstance, rows: IntArray, *, max_rounds: int = 200) -> IntArray:
    """Improve one set of sites by best single swaps (see :meth:`SwapSearch.improve`).

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance.
    rows : ndarray of int64
        The starting sites (rows of the instance).
    max_rounds : int, default 200
        Most swaps.
    """
    return SwapSearch(instance).improve(rows, max_rounds=max_rounds)
