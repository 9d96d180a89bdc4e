"""The siting instance: who is uncovered, which candidate reaches whom, reduced for speed.

Reductions (each keeps the optimum): cells already covered by existing facilities are
removed; cells with the same set of reaching candidates (and the same street, for the equity
model) are merged with summed weights; candidates that reach nothing, or whose set is
contained in another's (with no more capacity), are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SitingInstance:
    """A reduced coverage instance.

    Attributes
    ----------
    cover : csr_array, shape (n_candidates, n_groups)
        1 where a kept candidate reaches a group of cells.
    weight : ndarray
        Older residents per group (the objective).
    residents : ndarray
        Residents per group (capacity use).
    street : ndarray of int64
        Street index per group (merged only within a street).
    candidates : ndarray of int64
        Original candidate index of each kept row.
    capacity : ndarray
        Residents each kept candidate can serve (inf when uncapacitated).
    group_of_cell : ndarray of int64
        Group of each input cell, -1 for cells no candidate reaches.
    """

    cover: sp.csr_array
    weight: FloatArray
    residents: FloatArray
    street: IntArray
    candidates: IntArray
    capacity: FloatArray
    group_of_cell: IntArray

    @property
    def n_candidates(self) -> int:
        """Number of kept candidates."""
        return int(self.cover.shape[0])


def _column_keys(cover: sp.csc_array, street: IntArray, seed: int = 7) -> npt.NDArray[np.uint64]:
    """Two 64-bit hashes of each column's row set, plus the street, as a (n, 3) key."""
    rng = np.random.default_rng(seed)
    r1 = rng.integers(1, 2**63, size=cover.shape[0], dtype=np.uint64)
    r2 = rng.integers(1, 2**63, size=cover.shape[0], dtype=np.uint64)
    col = np.repeat(np.arange(cover.shape[1]), np.diff(cover.indptr))
    h1 = np.zeros(cover.shape[1], dtype=np.uint64)
    h2 = np.zeros(cover.shape[1], dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.add.at(h1, col, r1[cover.indices])
        np.add.at(h2, col, r2[cover.indices] * np.uint64(3))
    return np.stack([h1, h2, street.astype(np.uint64)], axis=1)


def dominated_candidates(cover: sp.csr_array, capacity: FloatArray) -> npt.NDArray[np.bool_]:
    """Return True for candidates whose reach is contained in another's with ≥ capacity.

    Of candidates with identical reach and capacity, the lowest index is kept.

    Parameters
    ----------
    cover : csr_array
        Binary candidate × group matrix.
    capacity : ndarray
        Capacity per candidate.

    Returns
    -------
    ndarray of bool
        Candidates that can be dropped without changing any optimum.
    """
    binary = cover.astype(np.float64)
    size = np.diff(binary.indptr)
    overlap = (binary @ binary.T).tocoo()
    r, c, v = overlap.row, overlap.col, overlap.data
    bigger = (size[c] > size[r]) | ((size[c] == size[r]) & (c < r) & (capacity[c] == capacity[r]))
    mask = (r != c) & (v >= size[r]) & bigger & (capacity[c] >= capacity[r])
    dominated = np.zeros(cover.shape[0], dtype=bool)
    dominated[r[mask]] = True
    return dominated


def build_instance(
    reach: sp.csr_array,
    older: FloatArray,
    residents: FloatArray,
    street: IntArray,
    *,
    capacity: FloatArray | None = None,
    drop_dominated: bool = True,
) -> tuple[SitingInstance, npt.NDArray[np.bool_]]:
    """Reduce a candidate × cell reach matrix to a :class:`SitingInstance`.

    Parameters
    ----------
    reach : csr_array, shape (n_candidates, n_cells)
        Stored entries: candidate reaches cell (over uncovered cells only).
    older, residents : ndarray
        Per cell.
    street : ndarray of int64
        Street index per cell.
    capacity : ndarray, optional
        Residents each candidate can serve; None for uncapacitated.
    drop_dominated : bool, default True
        Drop dominated candidates.

    Returns
    -------
    instance : SitingInstance
        The reduced instance.
    unreachable : ndarray of bool
        Cells with older residents that no candidate reaches.
    """
    n_cand, n_cells = reach.shape
    cap = np.full(n_cand, np.inf) if capacity is None else np.asarray(capacity, dtype=float)
    pattern = sp.csr_array((np.ones(reach.nnz), reach.indices, reach.indptr), shape=reach.shape)
    reached = np.diff(pattern.tocsc().indptr) > 0
    useful = reached & (older > 0)
    unreachable = ~reached & (older > 0)
    cols = np.flatnonzero(useful)
    csc = pattern.tocsc()[:, cols]
    keys = _column_keys(csc, street[cols])
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    n_groups = first.size
    weight = np.bincount(group, weights=older[cols], minlength=n_groups)
    res = np.bincount(group, weights=residents[cols], minlength=n_groups)
    cover = csc[:, first].tocsr() if n_groups else sp.csr_array((n_cand, 0))
    keep = np.diff(cover.indptr) > 0
    if drop_dominated and keep.any():
        keep &= ~dominated_candidates(cover, cap)
    kept = np.flatnonzero(keep)
    group_of_cell = np.full(n_cells, -1, dtype=np.int64)
    group_of_cell[cols] = group
    instance = SitingInstance(
        cover=sp.csr_array(cover[kept]),
        weight=weight,
        residents=res,
        street=street[cols][first].astype(np.int64),
        candidates=kept,
        capacity=cap[kept],
        group_of_cell=group_of_cell,
    )
    return instance, unreachable
