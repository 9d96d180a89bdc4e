"""Greedy siting heuristics, vectorised over the sparse reach matrix.

Each step picks the candidate with the largest gain (ties: lowest index) and updates only the
gains of candidates that reach the newly covered groups.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from carecircle.analysis.siting.instance import SitingInstance

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def greedy_cover(
    instance: SitingInstance, *, k: int | None = None, need: float | None = None
) -> tuple[IntArray, FloatArray]:
    """Greedy maximal coverage: pick up to ``k`` sites, or until ``need`` weight is covered.

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance.
    k : int, optional
        Number of sites (MCLP).
    need : float, optional
        Weight to cover (LSCP-style); stops as soon as it is reached.

    Returns
    -------
    chosen : ndarray of int64
        Rows of the instance, in the order picked.
    gains : ndarray
        Weight newly covered by each pick.
    """
    cover = instance.cover
    csc = cover.tocsc()
    w = instance.weight.copy()
    gains = cover @ w
    chosen: list[int] = []
    picked: list[float] = []
    covered = 0.0
    limit = k if k is not None else cover.shape[0]
    while len(chosen) < limit and (need is None or covered < need - 1e-9):
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        groups = cover.indices[cover.indptr[j] : cover.indptr[j + 1]]
        newly = groups[w[groups] > 0]
        picked.append(float(w[newly].sum()))
        covered += picked[-1]
        chosen.append(j)
        gains -= csc[:, newly] @ w[newly]
        w[newly] = 0.0
        gains[j] = -1.0
    return np.asarray(chosen, dtype=np.int64), np.asarray(picked)


def _fill(instance: SitingInstance, remaining: FloatArray) -> FloatArray:
    """Older residents each candidate would serve within its capacity (best groups first)."""
    cover = instance.cover.tocoo()
    cand, grp = cover.row, cover.col
    res, older = instance.residents[grp], remaining[grp] * instance.weight[grp]
    used_res = remaining[grp] * res
    ratio = np.where(used_res > 0, older / np.maximum(used_res, 1e-12), 0.0)
    order = np.lexsort((grp, -ratio, cand))
    cand, used_res, older = cand[order], used_res[order], older[order]
    csum = np.cumsum(used_res)
    starts = np.searchsorted(cand, cand, side="left")
    before = csum - used_res - np.where(starts > 0, csum[starts - 1], 0.0)
    cap = instance.capacity[cand]
    frac = np.clip((cap - before) / np.maximum(used_res, 1e-12), 0.0, 1.0)
    return np.bincount(cand, weights=older * frac, minlength=instance.n_candidates).astype(
        np.float64
    )


def greedy_capacitated(instance: SitingInstance, *, k: int) -> tuple[IntArray, FloatArray]:
    """Greedy for capacitated coverage: each site serves its best groups up to capacity.

    Parameters
    ----------
    instance : SitingInstance
        Reduced instance with ``capacity`` (residents per site).
    k : int
        Number of sites.

    Returns
    -------
    chosen : ndarray of int64
        Rows picked, in order.
    gains : ndarray
        Older residents served by each pick.
    """
    remaining = np.ones(instance.weight.size)
    chosen: list[int] = []
    picked: list[float] = []
    for _ in range(k):
        value = _fill(instance, remaining)
        value[chosen] = -1.0
        j = int(np.argmax(value))
        if value[j] <= 1e-12:
            break
        chosen.append(j)
        picked.append(float(value[j]))
        remaining = _assign(instance, j, remaining)
    return np.asarray(chosen, dtype=np.int64), np.asarray(picked)


def _assign(instance: SitingInstance, j: int, remaining: FloatArray) -> FloatArray:
    """Serve candidate ``j``'s best groups up to its capacity; return what stays unserved."""
    row = slice(instance.cover.indptr[j], instance.cover.indptr[j + 1])
    groups = instance.cover.indices[row]
    res = remaining[groups] * instance.residents[groups]
    older = remaining[groups] * instance.weight[groups]
    order = np.lexsort((groups, -np.where(res > 0, older / np.maximum(res, 1e-12), 0.0)))
    groups, res = groups[order], res[order]
    before = np.cumsum(res) - res
    frac = np.clip((instance.capacity[j] - before) / np.maximum(res, 1e-12), 0.0, 1.0)
    out = remaining.copy()
    out[groups] = remaining[groups] * (1.0 - frac)
    return out


def assign_sequentially(instance: SitingInstance, rows: IntArray) -> FloatArray:
    """Return a feasible capacitated assignment of ``rows`` (each serves its best groups).

    Parameters
    ----------
    instance : SitingInstance
        Reduced instance with ``capacity``.
    rows : ndarray of int64
        The sites, in increasing order.

    Returns
    -------
    ndarray
        Served share of each reach pair of ``cover[rows]`` (row-major).
    """
    remaining = np.ones(instance.weight.size)
    parts = []
    for j in rows:
        groups = instance.cover.indices[instance.cover.indptr[j] : instance.cover.indptr[j + 1]]
        after = _assign(instance, int(j), remaining)
        parts.append(remaining[groups] - after[groups])
        remaining = after
    return np.concatenate(parts) if parts else np.zeros(0)


def greedy_equity(
    instance: SitingInstance, covered_by_street: FloatArray, older_by_street: FloatArray, *, k: int
) -> tuple[IntArray, FloatArray]:
    """Greedy for equity: raise the lowest street share first, then the total.

    Parameters
    ----------
    instance : SitingInstance
        The reduced instance (groups carry their street).
    covered_by_street, older_by_street : ndarray
        Older residents already covered, and all older residents, per street.
    k : int
        Number of sites.

    Returns
    -------
    chosen : ndarray of int64
        Rows picked, in order.
    gains : ndarray
        Weight newly covered by each pick.
    """
    n_streets = older_by_street.size
    active = older_by_street > 0
    w = instance.weight.copy()
    by_street = sp.csr_array((w, (np.arange(w.size), instance.street)), shape=(w.size, n_streets))
    gain = (instance.cover @ by_street).toarray()
    covered = covered_by_street.astype(float).copy()
    csc = instance.cover.tocsc()
    chosen: list[int] = []
    picked: list[float] = []
    for _ in range(k):
        shares = (covered[None, :] + gain) / np.where(active, older_by_street, 1.0)[None, :]
        worst = np.where(active[None, :], shares, np.inf).min(axis=1)
        total = gain.sum(axis=1)
        total[chosen] = -1.0
        worst[chosen] = -1.0
        order = np.lexsort((np.arange(total.size), -total, -np.round(worst, 12)))
        j = int(order[0])
        if total[j] <= 0:
            break
        groups = instance.cover.indices[instance.cover.indptr[j] : instance.cover.indptr[j + 1]]
        newly = groups[w[groups] > 0]
        covered += np.bincount(instance.street[newly], weights=w[newly], minlength=n_streets)
        picked.append(float(w[newly].sum()))
        chosen.append(j)
        delta = sp.csr_array(
            (w[newly], (np.arange(newly.size), instance.street[newly])),
            shape=(newly.size, n_streets),
        )
        gain -= (csc[:, newly] @ delta).toarray()
        w[newly] = 0.0
    return np.asarray(chosen, dtype=np.int64), np.asarray(picked)
