"""Read a road centreline layer (Shapefile, GeoPackage, GeoJSON, FlatGeobuf) into segments.

What a planning bureau holds is a layer of road centrelines, often exported from CAD, not OSM.
Every vertex becomes a node and every pair of consecutive vertices a straight segment, as for
OSM ways. Lines are joined (noded) where they share a vertex, i.e. where a line's vertex,
end or inner, has exactly the coordinates of another line's vertex. Lines that cross without a
shared vertex are **not** joined: in CAD and GIS road layers such crossings are bridges,
underpasses and flyovers as often as junctions, and joining them would invent walks across
expressways. Line ends that stop just short of another line (undershoots, common in CAD
exports) are joined to it only when ``[network] snap_tolerance_m`` is given: each free end
within that distance of another line moves onto its nearest point (a vertex, or a new node
that splits the segment there); the number of ends joined is reported in run.json. A layer
has no one-way or foot tags: every kept line is walked both ways, and lines of the classes in
``[network] drop_classes`` (expressways) are left out.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from carecircle.errors import InputFileError, NetworkError
from carecircle.geo.centreline_snap import SAME_VERTEX_M, count_unjoined_crossings, join_near_ends
from carecircle.geo.crs import utm_crs
from carecircle.geo.segments import NetworkSegments
from carecircle.network_config import CENTRELINE_SUFFIXES, CentrelineOptions

log = logging.getLogger(__name__)

__all__ = ["CENTRELINE_SUFFIXES", "CentrelineOptions", "segments_from_centrelines"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: the largest connected part must hold at least this share of the nodes
MIN_MAIN_SHARE = 0.2
_LINE_TYPES = ("LineString", "MultiLineString")


def _line_layer(path: Path) -> str:
    """Return the layer of line geometry in the file, or raise a clear error."""
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001 - GDAL's errors vary by driver
        reason = str(exc).split(";")[0].replace(f"'{path}' ", "").strip().rstrip(".")
        raise InputFileError(
            f"{path}: cannot read this road layer ({reason}); save it again as Shapefile, "
            "GeoPackage, GeoJSON or FlatGeobuf"
        ) from None
    lines = [str(name) for name, kind in layers if str(kind).split(" ")[0] in _LINE_TYPES]
    if not lines:
        kinds = ", ".join(sorted({str(kind) for _, kind in layers})) or "no geometry"
        raise NetworkError(
            f"{path}: the network layer has no line geometry ({kinds}); give the road "
            "centrelines as lines (LineString), not points or polygons"
        )
    if len(lines) > 1:
        raise InputFileError(
            f"{path}: holds several line layers ({', '.join(lines)}); save the road "
            "centrelines alone in a file and give that file as [inputs] network"
        )
    return lines[0]


def _read_layer(
    path: Path, options: CentrelineOptions
) -> tuple[np.ndarray, IntArray, CRS, dict[str, int]]:
    """Read the layer's line parts (source CRS) after the class filter.

    Returns the parts, each part's feature number, the layer's CRS and the counters.
    """
    import pyogrio

    layer = _line_layer(path)
    info = pyogrio.read_info(path, layer=layer)
    column = options.class_column
    if column is not None and column not in list(info["fields"]):
        fields = ", ".join(map(str, info["fields"])) or "none"
        raise InputFileError(
            f"{path}: [network] class_column '{column}' is not a column of the layer (its "
            f"columns: {fields}); name the column holding the road class"
        )
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, columns=[column] if column else [])
    except Exception as exc:  # noqa: BLE001 - GDAL's errors vary by driver
        raise InputFileError(f"{path}: cannot read this road layer ({exc})") from None
    crs = _layer_crs(path, frame)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    counters = {"lines_read": len(frame), "lines_dropped_by_class": 0}
    if column is not None:
        values = frame[column].astype(str).to_numpy()
        absent = [c for c in options.drop_classes if c not in set(values)]
        if absent:
            present = ", ".join(sorted(set(values))[:12])
            raise InputFileError(
                f"{path}: [network] drop_classes {absent} do not occur in column '{column}' "
                f"(its values: {present}); write the classes as they are in the layer"
            )
        drop = np.isin(values, list(options.drop_classes))
        counters["lines_dropped_by_class"] = int(drop.sum())
    else:
        drop = np.zeros(len(geoms), dtype=bool)
    rows = np.flatnonzero(~drop)
    geoms = geoms[rows]
    kinds = shapely.get_type_id(geoms)
    is_line = np.isin(kinds, (1, 5)) & ~shapely.is_empty(geoms)  # LineString, MultiLineString
    other = int((~is_line & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)).sum())
    if other:
        log.warning("%s: %d features that are not lines were left out", path.name, other)
    counters["lines_kept"] = int(is_line.sum())
    if not is_line.any():
        raise NetworkError(
            f"{path}: the network layer has no line geometry (no feature is a LineString); "
            "give the road centrelines as lines"
        )
    parts, index = shapely.get_parts(geoms[is_line], return_index=True)
    return parts, rows[is_line][index], crs, counters


def _layer_crs(path: Path, frame: object) -> CRS:
    """Return the layer's CRS; lon/lat without a CRS is taken as WGS84 with a warning."""
    crs = getattr(frame, "crs", None)
    if crs is not None:
        return CRS.from_user_input(crs)
    west, south, east, north = frame.total_bounds  # type: ignore[attr-defined]
    if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
        log.warning("%s: the layer has no CRS (.prj); its lon/lat are taken as WGS84", path.name)
        return CRS.from_epsg(4326)
    raise InputFileError(
        f"{path}: the road layer has no CRS (for a Shapefile, the .prj file is missing); "
        "save it again with its coordinate system"
    )


def _nodes(x: FloatArray, y: FloatArray) -> IntArray:
    """Return the node of each vertex: vertices closer than :data:`SAME_VERTEX_M` are one.

    Nodes are numbered in order of first appearance, so ids follow the file.
    """
    pairs = cKDTree(np.stack([x, y], 1)).query_pairs(SAME_VERTEX_M, output_type="ndarray")
    n = x.size
    graph = coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    _, first, inverse = np.unique(label, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.reshape(-1)]


def segments_from_centrelines(
    path: str | Path, options: CentrelineOptions | None = None
) -> NetworkSegments:
    """Read a road centreline layer as walkable segments.

    Parameters
    ----------
    path : str or Path
        A Shapefile, GeoPackage, GeoJSON or FlatGeobuf of lines, in any CRS.
    options : CentrelineOptions, optional
        Snap tolerance and class filter (``[network]`` of the study).

    Returns
    -------
    NetworkSegments
        Nodes (generated ids 1..n) and segments; ``counters`` hold ``endpoints_joined``,
        ``lines_dropped_by_class`` and ``crossings_not_joined``.

    Raises
    ------
    InputFileError
        When the file cannot be read, or the class options do not fit it.
    NetworkError
        When it has no line geometry, or its lines do not meet (every connected part tiny).
    """
    path = Path(path)
    options = options or CentrelineOptions()
    if not path.is_file():
        raise InputFileError(f"{path}: network file not found; check [inputs] network")
    parts, feature, crs, counters = _read_layer(path, options)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(coords[:, 0], coords[:, 1])
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    metric = utm_crs(float(np.median(lon)), float(np.median(lat)))
    x, y = (
        np.asarray(a)
        for a in Transformer.from_crs(4326, metric, always_xy=True).transform(lon, lat)
    )
    node = _nodes(x, y)
    first = np.zeros(node.max() + 1, dtype=np.int64)
    first[node[::-1]] = np.arange(node.size)[::-1]  # each node at its first vertex
    lon, lat, x, y = lon[first], lat[first], x[first], y[first]
    same = part[1:] == part[:-1]
    seg_u, seg_v, seg_part = node[:-1][same], node[1:][same], part[:-1][same]
    joined = 0
    if options.snap_tolerance_m > 0:
        x0, y0 = x, y
        x, y, seg_u, seg_v, joined = join_near_ends(
            x, y, seg_u, seg_v, seg_part, options.snap_tolerance_m
        )
        moved = np.flatnonzero((x != x0) | (y != y0))  # only the joined ends change
        to_wgs = Transformer.from_crs(metric, 4326, always_xy=True)
        lon[moved], lat[moved] = to_wgs.transform(x[moved], y[moved])
    _check_lines_meet(path, lon.size, seg_u, seg_v, options)
    crossings = count_unjoined_crossings(x, y, seg_u, seg_v)
    used = np.unique(np.concatenate([seg_u, seg_v]))
    new = np.full(lon.size, -1, dtype=np.int64)
    new[used] = np.arange(used.size)
    return NetworkSegments(
        node_id=used + 1,
        lon=lon[used],
        lat=lat[used],
        seg_u=new[seg_u],
        seg_v=new[seg_v],
        seg_line=feature[seg_part],
        lines_read=counters["lines_read"],
        lines_kept=counters["lines_kept"],
        counters={
            "crossings_not_joined": crossings,
            "endpoints_joined": joined,
            "lines_dropped_by_class": counters["lines_dropped_by_class"],
        },
    )


def _check_lines_meet(
    path: Path, n_nodes: int, seg_u: IntArray, seg_v: IntArray, options: CentrelineOptions
) -> None:
    """Refuse a layer whose lines do not meet: every connected part is tiny."""
    graph = coo_array((np.ones(seg_u.size), (seg_u, seg_v)), shape=(n_nodes, n_nodes))
    n_parts, labels = connected_components(graph, directed=False)
    used = np.zeros(n_nodes, dtype=bool)
    used[seg_u] = used[seg_v] = True
    sizes = np.bincount(labels[used], minlength=n_parts)
    total = int(used.sum())
    if sizes.max() >= MIN_MAIN_SHARE * total:
        return
    pieces = int((sizes > 0).sum())
    hint = (
        "raise [network] snap_tolerance_m if their ends stop short of each other"
        if options.snap_tolerance_m > 0
        else "or set [network] snap_tolerance_m (e.g. 2) if their ends stop short of each other"
    )
    raise NetworkError(
        f"{path}: the road lines do not meet: the largest connected part holds only "
        f"{sizes.max():,} of {total:,} nodes ({pieces:,} separate pieces); lines are joined "
        "only where they share a vertex, so node the layer at its junctions first (QGIS: "
        f"'Split with lines' or GRASS v.clean; ArcGIS: Planarize Lines), {hint}"
    )
