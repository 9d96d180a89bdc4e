"""The siting instance: who is uncovered, which candidate reaches whom, reduced for speed.

Which reduction keeps the optimum depends on the model (``build_instance`` applies only the
exact ones for the model at hand, and lists them in ``SitingInstance.reductions``):

* **Covered and unreachable cells removed** (every model). A cell already within the walk of
  an existing facility adds nothing to any model's objective (coverage counts it once; the
  capacitated model serves only uncovered cells); a cell no candidate reaches is the same in
  every solution. Cells without older residents weigh 0 in every objective and are removed
  too (in the capacitated model serving them only uses capacity).
* **Cells with the same candidate set merged** (coverage, fewest sites, equity; for equity
  only within a street). In these models a cell is covered iff one of its candidates is open,
  so cells with the same set are covered together and only their summed weight matters.
  *Capacitated*: cells are merged only when they also have the same older/residents ratio.
  A site fills capacity with its cells of the most older residents per resident first, so
  merging cells of different ratios makes it serve them proportionally and loses the optimum
  (one site, capacity 10, older [10, 1], residents [10, 100]: 10 merged would give 1).
  With the same set and the same ratio, any assignment of the merged group splits over its
  cells in proportion to their residents (and back) with the same objective and capacity
  use, so the assignment LP of every site set is unchanged.
* **Dominated candidates dropped** (coverage, fewest sites, equity): if candidate j reaches a
  subset of what l reaches, replacing j by l in any solution covers a superset of cells, so
  no objective gets worse (each street's share only rises for equity); of candidates with
  the same reach one is kept. *Capacitated*: two sites with the same reach double the
  capacity (two sites of capacity 10 each reaching one cell of 20 serve 20, one serves 10),
  so j is dropped only when l never runs out of capacity: ``c_l ≥`` the residents of all
  the cells l reaches. Then in a solution with j and not l, l serves everything j served
  (and more); in a solution with both, j is redundant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

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
    reductions : tuple of str
        The reductions applied (exact for the model, see the module docstring).
    """

    cover: sp.csr_array
    weight: FloatArray
    residents: FloatArray
    street: IntArray
    candidates: IntArray
    capacity: FloatArray
    group_of_cell: IntArray
    reductions: tuple[str, ...] = ()

    @property
    def n_candidates(self) -> int:
        """Number of kept candidates."""
        return int(self.cover.shape[0])


def _hashes(cover: sp.csc_array, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Two 64-bit hashes of each column's row set (equal sets, equal hashes)."""
    rng = np.random.default_rng(seed)
    r1 = rng.integers(1, 2**63, size=cover.shape[0], dtype=np.uint64)
    r2 = rng.integers(1, 2**63, size=cover.shape[0], dtype=np.uint64)
    col = np.repeat(np.arange(cover.shape[1]), np.diff(cover.indptr))
    h1 = np.zeros(cover.shape[1], dtype=np.uint64)
    h2 = np.zeros(cover.shape[1], dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.add.at(h1, col, r1[cover.indices])
        np.add.at(h2, col, r2[cover.indices] * np.uint64(3))
    return h1, h2


def _column_keys(
    cover: sp.csc_array, street: IntArray, ratio: FloatArray | None = None
) -> npt.NDArray[np.uint64]:
    """Hashes of each column's row set, its street and (if given) its ratio, as one key row."""
    h1, h2 = _hashes(cover)
    parts = [h1, h2, street.astype(np.uint64)]
    if ratio is not None:
        parts.append(np.ascontiguousarray(ratio, dtype=np.float64).view(np.uint64))
    return np.stack(parts, axis=1)


def dominated_candidates(
    cover: sp.csr_array, dominators: npt.NDArray[np.bool_] | None = None, *, block: int = 4096
) -> npt.NDArray[np.bool_]:
    """Return True for candidates whose reach is contained in a dominator's reach.

    Of candidates with identical reach, a dominator is kept (the lowest index of them).
    Computed by blocks of rows, so the candidate × candidate overlap never exists whole.

    Parameters
    ----------
    cover : csr_array
        Binary candidate × group matrix.
    dominators : ndarray of bool, optional
        Candidates allowed to dominate others (default all: exact for the uncapacitated
        models; for the capacitated model only those whose capacity never binds).
    block : int, default 4096
        Rows per block.

    Returns
    -------
    ndarray of bool
        Candidates that can be dropped without changing any optimum.
    """
    n = cover.shape[0]
    dom = np.ones(n, dtype=bool) if dominators is None else np.asarray(dominators, dtype=bool)
    dominated = np.zeros(n, dtype=bool)
    if not dom.any():
        return dominated
    binary = sp.csr_array(
        (np.ones(cover.nnz, dtype=np.float32), cover.indices, cover.indptr), shape=cover.shape
    )
    size = np.diff(binary.indptr)
    dom_rows = np.flatnonzero(dom)
    dom_t = sp.csc_array(binary[dom_rows].T)
    for lo in range(0, n, block):
        overlap = (binary[lo : lo + block] @ dom_t).tocoo()
        r = overlap.row + lo
        c = dom_rows[overlap.col]
        bigger = (size[c] > size[r]) | ((size[c] == size[r]) & (~dom[r] | (c < r)))
        mask = (r != c) & (overlap.data >= size[r] - 0.5) & bigger
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

    Only reductions exact for the model are applied (module docstring): with ``capacity``
    (the capacitated model) cells are merged only with the same older/residents ratio and a
    candidate is dropped only for one whose capacity covers all it reaches.

    Parameters
    ----------
    reach : csr_array, shape (n_candidates, n_cells)
        Stored entries: candidate reaches cell (over uncovered cells only).
    older, residents : ndarray
        Per cell.
    street : ndarray of int64
        Street index per cell.
    capacity : ndarray, optional
        Residents each candidate can serve; None for the uncapacitated models.
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
    capacitated = capacity is not None
    cap = np.full(n_cand, np.inf) if capacity is None else np.asarray(capacity, dtype=float)
    csc = sp.csr_array(
        (np.ones(reach.nnz, dtype=np.int8), reach.indices, reach.indptr), shape=reach.shape
    ).tocsc()
    reached = np.diff(csc.indptr) > 0
    useful = reached & (older > 0)
    unreachable = ~reached & (older > 0)
    cols = np.flatnonzero(useful)
    csc = csc[:, cols]
    ratio = None
    if capacitated:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(residents[cols] > 0, older[cols] / residents[cols], np.inf)
    keys = _column_keys(csc, street[cols], ratio)
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    n_groups = first.size
    # bincount with weights returns float64 (numpy's stub says intp)
    weight = np.asarray(np.bincount(group, weights=older[cols], minlength=n_groups), np.float64)
    res = np.asarray(np.bincount(group, weights=residents[cols], minlength=n_groups), np.float64)
    cover = cast(
        "sp.csr_array[Any, tuple[int, int]]",
        csc[:, first].tocsr() if n_groups else sp.csr_array((n_cand, 0), dtype=np.int8),
    )
    cover.sort_indices()
    keep = np.diff(cover.indptr) > 0
    reductions = [
        "cells already covered, without older residents or reached by no candidate removed",
        "cells with the same candidate set and street merged"
        + (" (and the same older/residents ratio: capacitated)" if capacitated else ""),
    ]
    if drop_dominated and keep.any():
        dominators = None
        if capacitated:
            dominators = cap >= (cover @ res) * (1 + 1e-12)
        keep &= ~dominated_candidates(cover, dominators)
        reductions.append(
            "candidates reaching a subset of what another reaches dropped"
            + (" (only for another whose capacity serves all it reaches)" if capacitated else "")
        )
    kept = np.flatnonzero(keep)
    cover = sp.csr_array(cover[kept], dtype=np.float64)  # type: ignore[call-overload]  # scipy-stubs lack csr_array(sparse, dtype=...), valid
    cover.sort_indices()
    group_of_cell = np.full(n_cells, -1, dtype=np.int64)
    group_of_cell[cols] = group
    instance = SitingInstance(
        cover=cover,
        weight=weight,
        residents=res,
        street=street[cols][first].astype(np.int64),
        candidates=kept,
        capacity=cap[kept],
        group_of_cell=group_of_cell,
        reductions=tuple(reductions),
    )
    return instance, unreachable


def restrict(
    instance: SitingInstance, rows: IntArray, drop_groups: npt.NDArray[np.bool_] | None = None
) -> SitingInstance:
    """Return the uncapacitated sub-instance of some rows, without some groups, columns re-merged.

    Used after reduced-cost fixing (``fixing``): rows are kept one to one (row ``r`` of the
    result is row ``rows[r]`` of ``instance``); groups no kept row reaches, or in
    ``drop_groups``, are removed, and groups with the same kept candidate set and street are
    merged again (exact for coverage, as in ``build_instance``).

    Parameters
    ----------
    instance : SitingInstance
        An uncapacitated instance.
    rows : ndarray of int64
        Rows to keep.
    drop_groups : ndarray of bool, optional
        Groups to remove (e.g. covered by sites fixed in every better solution).

    Returns
    -------
    SitingInstance
        The sub-instance; ``candidates`` are the original candidates of its rows.
    """
    sub = sp.csr_array(instance.cover[rows]).tocsc()
    alive = np.diff(sub.indptr) > 0
    if drop_groups is not None:
        alive &= ~drop_groups
    cols = np.flatnonzero(alive)
    sub = sub[:, cols]
    keys = _column_keys(sub, instance.street[cols])
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    new_of_old = np.full(instance.weight.size + 1, -1, dtype=np.int64)
    new_of_old[cols] = group
    cover = sp.csr_array(sub[:, first], dtype=np.float64)  # type: ignore[call-overload]  # scipy-stubs lack csr_array(sparse, dtype=...), valid
    cover.sort_indices()
    return SitingInstance(
        cover=cover,
        weight=np.asarray(
            np.bincount(group, weights=instance.weight[cols], minlength=first.size), np.float64
        ),
        residents=np.asarray(
            np.bincount(group, weights=instance.residents[cols], minlength=first.size), np.float64
        ),
        street=instance.street[cols][first],
        candidates=instance.candidates[rows],
        capacity=instance.capacity[rows],
        group_of_cell=new_of_old[instance.group_of_cell],
        reductions=(*instance.reductions, "reduced-cost fixing (exact, module fixing)"),
    )
