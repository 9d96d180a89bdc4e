"""Routing benchmark, part 3: checks that every method returns the same distances."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from _routing_cases import LIMIT_M, RUN, Case, FloatArray, IntArray, _load_snapped
from scipy.sparse.csgraph import dijkstra

from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import Snapped

# --------------------------------------------------------------------------- checks


class VerificationError(AssertionError):
    """A method returned distances that differ from the reference."""


def check(ok: bool, message: str) -> None:
    """Raise :class:`VerificationError` unless ``ok`` (kept under ``python -O`` too)."""
    if not ok:
        raise VerificationError(message)


def same_within_limit(a: FloatArray, b: FloatArray, *, atol: float) -> tuple[bool, str]:
    """Whether two distance arrays agree on what lies within the limit, and their distances.

    Values within ``atol`` of the limit are left out (either side may round there).
    """
    a = np.where(a <= LIMIT_M, a, np.inf)
    b = np.where(b <= LIMIT_M, b, np.inf)
    edge = (np.abs(a - LIMIT_M) <= atol) | (np.abs(b - LIMIT_M) <= atol)
    fa, fb = np.isfinite(a) & ~edge, np.isfinite(b) & ~edge
    if not np.array_equal(fa, fb):
        return False, f"{int((fa != fb).sum())} reached by one side only"
    worst = float(np.abs(a[fa] - b[fa]).max(initial=0.0))
    return worst <= atol, (
        f"{int(fa.sum()):,} within {LIMIT_M:g} m, largest difference {worst:.2e} m"
    )


def reference_rows(graph: sp.csr_array, starts: IntArray) -> FloatArray:
    """Single-source Dijkstra rows from ``starts`` within the limit (raw scipy, in chunks)."""
    return dijkstra(graph, indices=starts, limit=LIMIT_M)


def nearest_with_offsets(rows: FloatArray, nodes: IntArray, offsets: FloatArray) -> FloatArray:
    """Per row: min over sources and their two entry nodes of distance + offset."""
    return (rows[:, nodes] + offsets[None, :, :]).min(axis=(1, 2))


def verify_routing(case: Case, net: WalkNetwork, methods: list[str]) -> list[str]:
    """Check a routing case's saved node distances; return lines for RESULTS.md.

    * the node-based methods (scipy, networkx, pandana) agree on every node;
    * carecircle with facilities exactly on the source nodes equals raw scipy on every node;
    * carecircle's timed output (snapped facilities with offsets) equals an exact reference
      built from single-source scipy Dijkstra rows on a sample of 200 nodes.
    """
    from carecircle.geo.routing import source_entries

    lines = []
    with np.load(RUN / f"{case.name}-inputs.npz") as z:
        fac = _load_snapped(z, "fac")
        at_nodes = z["cc_at_nodes"]
    out = {m: np.load(RUN / f"{case.name}-{m}.npy") for m in methods}
    base = out.get("scipy")
    if base is not None:
        for m in ("networkx", "pandana"):
            if m in out:
                ok, msg = same_within_limit(out[m], base, atol=1e-6 if m == "networkx" else 0.05)
                check(ok, f"{case.name}: {m} differs from raw scipy ({msg})")
                lines.append(f"{case.name}: {m} = raw scipy on all {net.n_nodes:,} nodes ({msg})")
        ok, msg = same_within_limit(at_nodes, base, atol=1e-6)
        check(ok, f"{case.name}: carecircle (facilities on nodes) differs from scipy ({msg})")
        lines.append(
            f"{case.name}: carecircle with facilities on the source nodes = raw scipy "
            f"on all nodes ({msg})"
        )
    if "carecircle" in out:
        ok_idx = np.flatnonzero(fac.ok)
        sub = Snapped(
            fac.edge[ok_idx], fac.t[ok_idx], fac.distance[ok_idx], fac.x[ok_idx], fac.y[ok_idx]
        )
        nodes, offsets = source_entries(net, sub)
        rng = np.random.default_rng(3)
        reached = np.flatnonzero(np.isfinite(out["carecircle"]))
        sample = np.concatenate(
            [
                rng.choice(reached, min(150, reached.size), replace=False),
                rng.choice(net.n_nodes, 50, replace=False),
            ]
        )
        ref = np.concatenate(
            [
                nearest_with_offsets(reference_rows(net.graph, chunk), nodes, offsets)
                for chunk in np.array_split(sample, 8)
            ]
        )
        ok, msg = same_within_limit(out["carecircle"][sample], ref, atol=1e-6)
        check(ok, f"{case.name}: carecircle differs from the exact reference ({msg})")
        lines.append(
            f"{case.name}: carecircle = exact single-source reference on "
            f"{sample.size} sampled nodes ({msg})"
        )
    return lines


def cell_to_facilities(net: WalkNetwork, cell: Snapped, i: int, fac: Snapped) -> FloatArray:
    """Exact walking distance from snapped cell ``i`` to every snapped facility.

    Independent of carecircle's routing: single-source Dijkstra from both ends of the cell's
    edge; each facility is entered through either end of its edge (with its offset), or
    reached directly along a shared edge.
    """
    from carecircle.geo.routing import source_entries

    nodes, offsets = source_entries(net, fac)
    e = cell.edge[i]
    length = net.edge_length[e]
    rows = reference_rows(net.graph, np.array([net.edge_u[e], net.edge_v[e]]))
    via = (rows[:, nodes] + offsets[None, :, :]).min(axis=2)  # (2 ends, facilities)
    best = np.minimum(via[0] + cell.t[i] * length, via[1] + (1.0 - cell.t[i]) * length)
    same = fac.edge == e
    best[same] = np.minimum(
        best[same], fac.distance[same] + np.abs(fac.t[same] - cell.t[i]) * length
    )
    return best + cell.distance[i]


def verify_pipeline(case: Case, net: WalkNetwork) -> list[str]:
    """Check sampled 1M-pipeline cells: snap distance (shapely) and walking distance (exact)."""
    import shapely

    with np.load(RUN / f"{case.name}-carecircle.npz") as z:
        d = dict(z)
    fac = Snapped(d["fac_edge"], d["fac_t"], d["fac_distance"], d["fac_x"], d["fac_y"])
    ok = fac.ok
    fac = Snapped(fac.edge[ok], fac.t[ok], fac.distance[ok], fac.x[ok], fac.y[ok])
    cell = Snapped(d["cell_edge"], d["cell_t"], d["cell_d"], d["cell_x"], d["cell_y"])
    check(bool(cell.ok.all()), f"{case.name}: sampled cells left unsnapped")
    lines = np.stack(
        [
            np.stack([net.x[net.edge_u], net.y[net.edge_u]], 1),
            np.stack([net.x[net.edge_v], net.y[net.edge_v]], 1),
        ],
        1,
    )
    tree = shapely.STRtree(shapely.linestrings(lines))
    pts = shapely.points(d["cell_x"], d["cell_y"])
    _, nearest_d = tree.query_nearest(pts, return_distance=True, all_matches=False)
    worst_snap = float(np.abs(nearest_d - cell.distance).max())
    check(worst_snap <= 1e-6, f"{case.name}: snap distance differs from shapely by {worst_snap}")
    ref = np.array([cell_to_facilities(net, cell, i, fac).min() for i in range(cell.edge.size)])
    good, msg = same_within_limit(d["dist"], ref, atol=1e-6)
    check(good, f"{case.name}: cell distances differ from the exact reference ({msg})")
    return [
        f"{case.name}: 200 sampled cells: snap distance = shapely nearest edge "
        f"(largest difference {worst_snap:.1e} m); walking distance = exact reference ({msg})"
    ]


def verify_matrix(case: Case, net: WalkNetwork) -> list[str]:
    """Check the coverage matrix: column minima = nearest-site distances; sampled columns exact."""
    from carecircle.geo.routing import nearest_source_distances, point_distances

    matrix = sp.load_npz(RUN / f"{case.name}-carecircle.npz").tocsc()
    with np.load(RUN / f"{case.name}-inputs.npz") as z:
        sites, cells = _load_snapped(z, "site"), _load_snapped(z, "cell")
    nd = nearest_source_distances(net, sites, limit_m=LIMIT_M)
    nearest, _ = point_distances(net, cells, nd, sites)
    col_min = np.full(cells.edge.size, np.inf)
    has = np.diff(matrix.indptr) > 0
    col_min[has] = np.minimum.reduceat(matrix.data, matrix.indptr[:-1][has])
    good, msg = same_within_limit(col_min, nearest, atol=1e-6)
    check(good, f"{case.name}: column minima differ from the nearest-site distances ({msg})")
    lines = [
        f"{case.name}: per-cell minimum of the matrix = nearest-site distance for all "
        f"{cells.edge.size:,} cells ({msg})"
    ]
    rng = np.random.default_rng(9)
    worst = 0.0
    site_ok = np.flatnonzero(sites.ok)
    sub = Snapped(*(getattr(sites, k)[site_ok] for k in ("edge", "t", "distance", "x", "y")))
    for j in rng.choice(np.flatnonzero(cells.ok), 20, replace=False):
        ref = np.full(sites.edge.size, np.inf)
        ref[site_ok] = cell_to_facilities(net, cells, j, sub)
        col = np.full(sites.edge.size, np.inf)
        sl = slice(matrix.indptr[j], matrix.indptr[j + 1])
        col[matrix.indices[sl]] = matrix.data[sl]
        good, msg = same_within_limit(col, ref, atol=1e-6)
        check(good, f"{case.name}: matrix column {j} differs from the exact reference ({msg})")
        finite = np.isfinite(col) & (ref <= LIMIT_M)
        worst = max(worst, float(np.abs(col[finite] - ref[finite]).max(initial=0.0)))
    lines.append(
        f"{case.name}: 20 sampled cells × all {sites.edge.size:,} sites = exact "
        f"pairwise reference (largest difference {worst:.2e} m)"
    )
    return lines
