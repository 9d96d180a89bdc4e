"""The walking network as arrays: projected nodes, undirected edges and a CSR graph."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from pyproj import CRS, Transformer
from scipy.sparse.csgraph import connected_components

from carecircle.geo.chains import RoutingCore, contract_chains
from carecircle.geo.graph import csr_from_edges
from carecircle.geo.segments import NetworkSegments

log = logging.getLogger(__name__)

__all__ = ["WalkNetwork", "csr_from_edges", "network_from_segments"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WalkNetwork:
    """A walking network: nodes in a metric CRS, straight undirected edges, CSR adjacency.

    Every edge is one straight segment of an OSM way or a centreline, so a point on an edge
    is a linear interpolation of its end nodes. One-way tags are ignored (pedestrians walk
    both ways) and parallel edges are reduced to the shortest.

    Attributes
    ----------
    crs : pyproj.CRS
        Projected CRS of ``x``/``y`` (metres).
    node_id : ndarray of int64
        Node ids (OSM node ids; generated ids for centreline layers).
    x, y : ndarray of float64
        Projected node coordinates (m).
    lon, lat : ndarray of float64
        WGS84 node coordinates.
    edge_u, edge_v : ndarray of int64
        End nodes of each undirected edge (``edge_u < edge_v``).
    edge_length : ndarray of float64
        Edge lengths (m).
    graph : scipy.sparse.csr_array
        Symmetric adjacency (both directions stored) with edge lengths; zero-length edges
        are explicit zeros.
    dropped_nodes : int
        Nodes outside the largest connected component, left out.
    dropped_components : int
        Number of components left out.
    core : RoutingCore or None
        The routing core, when already known (from the cache); see :attr:`routing_core`.

    Notes
    -----
    Routing runs on :attr:`routing_core`, the same network with its chains of degree-2
    nodes contracted (built on first use and kept with the network).
    """

    crs: CRS
    node_id: IntArray
    x: FloatArray
    y: FloatArray
    lon: FloatArray
    lat: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length: FloatArray
    graph: sp.csr_array = field(repr=False)
    dropped_nodes: int = 0
    dropped_components: int = 0
    core: RoutingCore | None = field(default=None, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.size)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.edge_u.size)

    @property
    def routing_core(self) -> RoutingCore:
        """The network with its chains of degree-2 nodes contracted (built on first use).

        Loaded from the network cache when the network came from it.
        """
        core = self.core
        if core is None:
            core = contract_chains(self.graph, self.edge_u, self.edge_v, self.edge_length)
            object.__setattr__(self, "core", core)  # a cache, not a change of the network
        return core


def network_from_segments(segments: NetworkSegments, crs: CRS) -> WalkNetwork:
    """Project segments, build the CSR graph and keep the largest connected component.

    Parameters
    ----------
    segments : NetworkSegments
        Walkable segments from a reader (:mod:`carecircle.geo.osm`,
        :mod:`carecircle.geo.centreline`, :mod:`carecircle.geo.graphml`).
    crs : pyproj.CRS
        Projected CRS in metres for lengths and snapping.

    Returns
    -------
    WalkNetwork
        The largest connected component; what was dropped is counted on the result.
    """
    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_metric.transform(segments.lon, segments.lat)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    length = np.hypot(x[segments.seg_u] - x[segments.seg_v], y[segments.seg_u] - y[segments.seg_v])
    n = x.size
    graph, eu, ev, ew = csr_from_edges(n, segments.seg_u, segments.seg_v, length)
    n_comp, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels, minlength=n_comp)
    main = int(np.argmax(sizes))
    keep = labels == main
    dropped = int((~keep).sum())
    if dropped:
        log.debug(
            "walking network: kept the largest component (%d nodes); dropped %d nodes "
            "in %d smaller components",
            int(keep.sum()),
            dropped,
            n_comp - 1,
        )
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    edge_keep = keep[eu]
    graph, eu, ev, ew = csr_from_edges(
        int(keep.sum()), new_index[eu[edge_keep]], new_index[ev[edge_keep]], ew[edge_keep]
    )
    return WalkNetwork(
        crs=crs,
        node_id=segments.node_id[keep],
        x=x[keep],
        y=y[keep],
        lon=segments.lon[keep],
        lat=segments.lat[keep],
        edge_u=eu,
        edge_v=ev,
        edge_length=ew,
        graph=graph,
        dropped_nodes=dropped,
        dropped_components=n_comp - 1,
    )
