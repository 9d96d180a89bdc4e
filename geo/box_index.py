"""A grid index of points: the points inside a box, found without a pass over all of them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from carecircle.geo._arrays import expand_ranges

IntArray = npt.NDArray[np.int64]


class BoxIndex:
    """Points bucketed on a square grid, to list the points inside a box without a pass over all.

    A tile of sources needs the nodes and cells within its box; testing every node of a
    city for every tile costs tiles × nodes. The buckets are found by arithmetic, the
    points in them tested exactly, and the result returned in ascending order (the same
    array as a ``flatnonzero`` of the box test over all points).

    Parameters
    ----------
    x, y : array_like
        Point coordinates (m); points with a NaN coordinate are never inside a box.
    ids : array_like of int, optional
        The id returned for each point; default its position.
    cell : float, optional
        Bucket side (the points' units); default 1/512 of their spread, and never finer than
        1/1024 of it (at most ~1M buckets).
    """

    def __init__(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        ids: npt.ArrayLike | None = None,
        *,
        cell: float | None = None,
    ) -> None:
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        idx = np.arange(xs.size, dtype=np.int64) if ids is None else np.asarray(ids, np.int64)
        keep = np.isfinite(xs) & np.isfinite(ys)
        x, y, ids = xs[keep], ys[keep], idx[keep]
        self.size = int(x.size)
        self.left = float(x.min()) if x.size else 0.0
        self.bottom = float(y.min()) if y.size else 0.0
        span = max(float(x.max()) - self.left, float(y.max()) - self.bottom) if x.size else 0.0
        self.cell = max(span / 512.0 if cell is None else float(cell), span / 1024.0, 1e-12)
        col = np.floor((x - self.left) / self.cell).astype(np.int64)
        row = np.floor((y - self.bottom) / self.cell).astype(np.int64)
        self.nx = int(col.max()) + 1 if x.size else 1
        self.ny = int(row.max()) + 1 if y.size else 1
        key = row * self.nx + col
        order = np.argsort(key, kind="stable")
        self.x, self.y, self.ids = x[order], y[order], ids[order]
        self.starts = np.searchsorted(key[order], np.arange(self.nx * self.ny + 1))

    def inside(self, x0: float, x1: float, y0: float, y1: float) -> IntArray:
        """Return the ids of the points with ``x0 <= x <= x1`` and ``y0 <= y <= y1``, sorted.

        Parameters
        ----------
        x0, x1, y0, y1 : float
            The box (m).
        """
        cols = np.floor((np.array([x0, x1]) - self.left) / self.cell)
        rows = np.floor((np.array([y0, y1]) - self.bottom) / self.cell)
        c0, c1 = max(cols[0], 0.0), min(cols[1], self.nx - 1.0)
        r0, r1 = max(rows[0], 0.0), min(rows[1], self.ny - 1.0)
        if not c0 <= c1 or not r0 <= r1:  # also a NaN box: no point is inside
            return np.empty(0, dtype=np.int64)
        c0, c1, r0, r1 = int(c0), int(c1), int(r0), int(r1)
        first = np.arange(r0, r1 + 1, dtype=np.int64) * self.nx
        lo, hi = self.starts[first + c0], self.starts[first + c1 + 1]
        sel = expand_ranges(lo, hi - lo)
        xs, ys = self.x[sel], self.y[sel]
        hit = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
        return np.sort(self.ids[sel[hit]])
