"""Undirected edge lists to symmetric CSR graphs (scipy.sparse), the routing's input."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

__all__ = ["csr_from_edges"]


def csr_from_edges(
    n_nodes: int, u: IntArray, v: IntArray, length: FloatArray
) -> tuple[sp.csr_array, IntArray, IntArray, FloatArray]:
    """Build a symmetric CSR graph, keeping the shortest of parallel edges.

    Parameters
    ----------
    n_nodes : int
        Number of nodes.
    u, v : ndarray of int
        Edge end nodes (any order; self-loops are dropped).
    length : ndarray of float
        Edge lengths (m), ≥ 0.

    Returns
    -------
    graph : scipy.sparse.csr_array
        ``n_nodes × n_nodes`` with both directions and sorted column indices; explicit zeros
        are zero-length edges.
    edge_u, edge_v, edge_length : ndarray
        The unique undirected edges (``edge_u < edge_v``), sorted by ``(edge_u, edge_v)``.
    """
    u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    length = np.asarray(length, dtype=np.float64)
    keep = u != v
    key = np.minimum(u, v)[keep] * n_nodes + np.maximum(u, v)[keep]
    w = length[keep]
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[order]
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if key.size else order
    if key.size:
        w = np.minimum.reduceat(w, first)
        key = key[first]
    a, b = key // max(n_nodes, 1), key % max(n_nodes, 1)

    # rows in order by a counting sort (coo -> csr), then each row's columns sorted
    graph = sp.csr_array(
        (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(n_nodes, n_nodes),
    )
    graph.sort_indices()
    if graph.nnz < np.iinfo(np.int32).max:  # scipy.sparse.csgraph works on int32 indices
        graph = sp.csr_array(
            (graph.data, graph.indices.astype(np.int32), graph.indptr.astype(np.int32)),
            shape=(n_nodes, n_nodes),
        )
    if graph.nnz != 2 * a.size:  # pragma: no cover - a zero was dropped: never expected
        raise AssertionError("csr_from_edges lost an edge")
    return graph, a, b, w
