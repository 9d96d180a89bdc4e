"""Small array helpers shared by the geo modules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def expand_ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """Concatenate ``arange(s, s + c)`` for every start and count, without a Python loop.

    Parameters
    ----------
    starts, counts : ndarray of int
        Range starts and lengths.

    Returns
    -------
    ndarray of int64
        The concatenated ranges.
    """
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    within = np.arange(int(ends[-1]) if ends.size else 0) - np.repeat(ends - counts, counts)
    return np.repeat(np.asarray(starts, dtype=np.int64), counts) + within
