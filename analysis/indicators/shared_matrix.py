"""One facility × cell distance matrix shared by the score walks of an audit (AC1, AC2, …).

Each 2SFCA indicator needs the walking distances from the facilities it counts to every cell
within its catchment. AC2's facility types are a subset of AC1's in every built-in profile and
both use the circle's minutes, so building one matrix per indicator walked the same network
twice (3.7 s each on the generated 1M-cell city). :class:`SharedMatrices` builds the matrix
once for the facilities any enabled score walk counts, per radius, and hands each indicator
its rows.

Exact: a row of :func:`carecircle.geo.matrix.coverage_matrix` is one source's distances to the
points within the radius, whatever other sources are routed with it (each tile's sub-network
holds every node within the radius of its sources, so each minimum is taken over the same
paths), and the matrix is canonical (rows, then columns, sorted), so its rows for a subset of
the facilities equal the matrix of that subset entry for entry, in the same order
(tests/analysis/test_access.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from carecircle.analysis.circles import subset
from carecircle.geo.matrix import coverage_matrix
from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import Snapped


@dataclass
class SharedMatrices:
    """Distance matrices of one audit's facilities to its cells, built once per radius.

    Attributes
    ----------
    network : WalkNetwork
        The walking network.
    facility_snap, cell_snap : Snapped
        The snapped facilities and cells.
    rows : ndarray of bool
        The facilities the shared matrices hold (those any score walk counts, snapped).
    """

    network: WalkNetwork
    facility_snap: Snapped
    cell_snap: Snapped
    rows: npt.NDArray[np.bool_]
    _built: dict[float, sp.csr_array] = field(default_factory=dict, repr=False)

    def distances(self, rows: npt.NDArray[np.bool_], radius_m: float) -> sp.csr_array:
        """Return the walking distances from the facilities ``rows`` to every cell.

        Parameters
        ----------
        rows : ndarray of bool
            The facilities (one flag per facility of the audit).
        radius_m : float
            Largest walking distance kept (m).

        Returns
        -------
        scipy.sparse.csr_array
            ``rows.sum() × n_cells``, as ``coverage_matrix`` of those facilities returns it.
        """
        rows = np.asarray(rows, dtype=bool)
        if (rows & ~self.rows).any():  # a facility outside the shared ones: its own matrix
            return coverage_matrix(
                self.network, subset(self.facility_snap, rows), self.cell_snap, radius_m=radius_m
            )
        key = float(radius_m)
        if key not in self._built:
            self._built[key] = coverage_matrix(
                self.network, subset(self.facility_snap, self.rows), self.cell_snap, radius_m=key
            )
        return self._built[key][np.flatnonzero(rows[self.rows])]
