"""Read an osmnx-style GraphML street network into walkable segments."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import shapely

from carecircle.errors import InputFileError, NetworkError
from carecircle.geo.segments import NetworkSegments


def segments_from_graphml(path: str | Path) -> NetworkSegments:
    """Read a GraphML network (as saved by ``osmnx.save_graphml``) as straight segments.

    Nodes need ``x``/``y`` (WGS84 lon/lat). An edge with a ``geometry`` (WKT LineString, as
    osmnx writes for simplified edges) is split at its vertices, which become nodes; other
    edges are straight. The network is taken as already filtered for walking.

    Parameters
    ----------
    path : str or Path
        The ``.graphml`` file.

    Returns
    -------
    NetworkSegments
        Nodes (OSM ids; generated negative ids for geometry vertices) and segments.

    Raises
    ------
    InputFileError
        When the file is missing, not GraphML, or nodes lack coordinates.
    NetworkError
        When there is no edge.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: network file not found; check [inputs] network")
    try:
        graph = nx.read_graphml(path)
    except (ET.ParseError, nx.NetworkXError) as exc:
        raise InputFileError(f"{path}: not a readable GraphML file ({exc})") from None
    names = list(graph.nodes)
    try:
        lon = np.array([float(graph.nodes[n]["x"]) for n in names])
        lat = np.array([float(graph.nodes[n]["y"]) for n in names])
    except (KeyError, ValueError):
        raise InputFileError(
            f"{path}: GraphML nodes need numeric x (lon) and y (lat) "
            "attributes, as osmnx writes them"
        ) from None
    if graph.number_of_edges() == 0:
        raise NetworkError(f"{path}: the GraphML network has no edges")
    index = {n: i for i, n in enumerate(names)}
    node_id = np.array(
        [int(n) if str(n).lstrip("-").isdigit() else -(i + 1) for i, n in enumerate(names)],
        dtype=np.int64,
    )
    edges = list(graph.edges(data=True))
    u = np.array([index[a] for a, _, _ in edges], dtype=np.int64)
    v = np.array([index[b] for _, b, _ in edges], dtype=np.int64)
    wkt = np.array([d.get("geometry", "") for _, _, d in edges], dtype=object)
    curved = np.flatnonzero(wkt != "")
    seg_u, seg_v = [u[wkt == ""]], [v[wkt == ""]]
    extra_lon, extra_lat = [lon], [lat]
    if curved.size:
        coords, which = shapely.get_coordinates(shapely.from_wkt(wkt[curved]), return_index=True)
        counts = np.bincount(which, minlength=curved.size)
        # inner vertices become new nodes; end vertices are the edge's own nodes
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        last = first + counts - 1
        point_node = np.full(coords.shape[0], -1, dtype=np.int64)
        cu, cv = u[curved], v[curved]
        # a geometry may run from v to u: attach each end to the nearer end node
        d_u = np.hypot(coords[first, 0] - lon[cu], coords[first, 1] - lat[cu])
        d_v = np.hypot(coords[first, 0] - lon[cv], coords[first, 1] - lat[cv])
        flip = d_v < d_u
        point_node[first] = np.where(flip, cv, cu)
        point_node[last] = np.where(flip, cu, cv)
        inner = point_node < 0
        point_node[inner] = lon.size + np.arange(int(inner.sum()))
        extra_lon.append(coords[inner, 0])
        extra_lat.append(coords[inner, 1])
        same_edge = np.repeat(np.arange(curved.size), counts)
        step = same_edge[1:] == same_edge[:-1]
        seg_u.append(point_node[:-1][step])
        seg_v.append(point_node[1:][step])
        node_id = np.concatenate([node_id, -(len(names) + 1 + np.arange(int(inner.sum())))])
    return NetworkSegments(
        node_id=node_id,
        lon=np.concatenate(extra_lon),
        lat=np.concatenate(extra_lat),
        seg_u=np.concatenate(seg_u),
        seg_v=np.concatenate(seg_v),
        seg_line=np.zeros(sum(a.size for a in seg_u), dtype=np.int64),
        lines_read=graph.number_of_edges(),
        lines_kept=graph.number_of_edges(),
    )
