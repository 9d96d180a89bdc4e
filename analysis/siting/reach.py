"""Which candidate reaches which cell, streamed tile by tile into a compact pattern.

``geo.matrix.coverage_matrix`` keeps every distance (24 bytes a pair while it collects, about
three times that while it sorts); siting needs only the pattern. Here each tile's pairs are
kept as 4-byte cell indices and the distances dropped at once, cells that weigh nothing are
left out, and the rows are laid into one CSR array at the end: about 8 bytes a pair at the
peak. At 100,000 candidates that is the difference between gigabytes and a few hundred MB.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from carecircle.geo.matrix import coverage_tiles
from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import Snapped


def reach_pattern(
    network: WalkNetwork,
    sources: Snapped,
    points: Snapped,
    *,
    radius_m: float,
    weight: npt.NDArray[np.float64] | None = None,
    progress: bool = False,
) -> sp.csr_array:
    """Return the source × point pattern of pairs within ``radius_m`` (data: ones, int8).

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    sources : Snapped
        Candidate sites (unsnapped rows stay empty).
    points : Snapped
        Cells (unsnapped columns stay empty).
    radius_m : float
        Walk (m), as in :func:`carecircle.geo.matrix.coverage_matrix` (same pairs).
    weight : ndarray, optional
        Per point; points with ``weight <= 0`` are left out (they count in no objective).
    progress : bool, default False
        Progress bar over tiles.

    Returns
    -------
    csr_array
        ``n_sources × n_points``, sorted int32 column indices.
    """
    n_src, n_pts = sources.edge.size, points.edge.size
    useful = None if weight is None else np.asarray(weight) > 0
    blocks: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32]]] = []
    counts = np.zeros(n_src, dtype=np.int64)
    pts: npt.NDArray[np.integer]  # int64 per tile, int32 per block
    tiles = coverage_tiles(network, sources, points, radius_m=radius_m, progress=progress)
    for tile_src, tile_pts, _ in tiles:
        keep = useful[tile_pts] if useful is not None else slice(None)
        src, pts = tile_src[keep], tile_pts[keep]
        order = np.lexsort((pts, src))
        rows, per_row = np.unique(src[order], return_counts=True)
        counts[rows] = per_row
        blocks.append((rows, per_row, pts[order].astype(np.int32)))
    indptr = np.zeros(n_src + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    while blocks:
        rows, per_row, pts = blocks.pop()
        if pts.size:
            at = np.repeat(indptr[rows] - np.cumsum(per_row) + per_row, per_row)
            indices[at + np.arange(pts.size)] = pts
    if indptr[-1] < np.iinfo(np.int32).max:  # int32 throughout, or scipy widens the indices
        indptr = indptr.astype(np.int32)
    return sp.csr_array(
        (np.ones(indices.size, dtype=np.int8), indices, indptr), shape=(n_src, n_pts)
    )
