"""Routing benchmark, part 2b: the 1M-cell coverage pipeline and the sparse matrix case."""

from __future__ import annotations

import gc
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from _routing_cases import (
    LATTICE_SIDE,
    LIMIT_M,
    ORIGIN,
    RUN,
    SNAP_M,
    SPACING_M,
    Case,
    FloatArray,
    IntArray,
    _load_snapped,
    ensure_lattice,
    load_graph,
    uniform_points,
)
from _routing_measure import time_keys, timed

from carecircle.geo.network_cache import read_cache
from carecircle.geo.snap import EdgeIndex


def cell_grid(
    net_box: tuple[float, float, float, float], cells: int
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Square grid of 100 m cell centres in the middle of a box, with 1 km community ids."""
    side = round(np.sqrt(cells))
    x0, y0, x1, y1 = net_box
    ox = (x0 + x1) / 2.0 - side * SPACING_M / 2.0
    oy = (y0 + y1) / 2.0 - side * SPACING_M / 2.0
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    col, row = col.ravel(), row.ravel()
    community = (row // 10) * ((side + 9) // 10) + col // 10
    return ox + (col + 0.5) * SPACING_M, oy + (row + 0.5) * SPACING_M, community


def run_pipeline(case: Case) -> dict[str, Any]:
    """Time the whole 1M coverage run: cache load, index, snapping, routing, aggregation.

    The inputs (facility points, the 100 m cell grid, older residents per cell, community
    ids) are made before the clock starts; the network is read from its ``.npz`` cache
    inside the timed section.

    Returns
    -------
    dict
        The result row, with each stage's seconds.
    """
    from carecircle.geo.routing import nearest_source_distances, point_distances

    path = ensure_lattice(case.graph)
    side = LATTICE_SIDE[case.graph]
    box = (
        ORIGIN[0],
        ORIGIN[1],
        ORIGIN[0] + (side - 1) * SPACING_M,
        ORIGIN[1] + (side - 1) * SPACING_M,
    )
    rng = np.random.default_rng(23)
    fx, fy = uniform_points(rng, case.facilities, box)
    cx, cy, community = cell_grid(box, case.cells)
    older = rng.gamma(2.0, 6.0, cx.size)  # older residents (60+) per cell
    gc.collect()
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    net, _ = read_cache(path)
    stages["load_s"] = time.perf_counter() - t0
    index = EdgeIndex(net)
    stages["index_s"] = time.perf_counter() - t0 - sum(stages.values())
    _ = net.routing_core
    stages["core_s"] = time.perf_counter() - t0 - sum(stages.values())
    fac = index.snap(fx, fy, max_distance_m=SNAP_M)
    cells = index.snap(cx, cy, max_distance_m=SNAP_M)
    stages["snap_s"] = time.perf_counter() - t0 - sum(stages.values())
    nd = nearest_source_distances(net, fac, limit_m=LIMIT_M)
    stages["route_s"] = time.perf_counter() - t0 - sum(stages.values())
    dist, _src = point_distances(net, cells, nd, fac)
    stages["points_s"] = time.perf_counter() - t0 - sum(stages.values())
    n_comm = int(community.max()) + 1
    total = np.bincount(community, weights=older, minlength=n_comm)
    covered = np.bincount(
        community, weights=np.where(dist <= LIMIT_M, older, 0.0), minlength=n_comm
    )
    share = np.divide(covered, total, out=np.zeros(n_comm), where=total > 0)
    stages["aggregate_s"] = time.perf_counter() - t0 - sum(stages.values())
    seconds = time.perf_counter() - t0
    sample = np.random.default_rng(5).choice(cells.edge.size, 200, replace=False)
    np.savez(
        RUN / f"{case.name}-carecircle.npz",
        sample=sample,
        dist=dist[sample],
        cell_x=cx[sample],
        cell_y=cy[sample],
        cell_edge=cells.edge[sample],
        cell_t=cells.t[sample],
        cell_d=cells.distance[sample],
        fac_edge=fac.edge,
        fac_t=fac.t,
        fac_distance=fac.distance,
        fac_x=fac.x,
        fac_y=fac.y,
    )
    return {
        "seconds": seconds,
        "repeats": 1,
        "nodes": net.n_nodes,
        "cells": int(cx.size),
        "facilities": int(fac.ok.sum()),
        "communities": n_comm,
        "older_covered_share": round(float(covered.sum() / total.sum()), 4),
        "communities_fully_covered": int((share >= 1.0).sum()),
        **{k: round(v, 3) for k, v in stages.items()},
    }


def run_matrix(case: Case) -> dict[str, Any]:
    """Time ``coverage_matrix`` for 2,000 sites × 50k cells within 900 m on the 250k lattice."""
    from carecircle.geo.matrix import coverage_matrix

    net = load_graph(case.graph)
    with np.load(RUN / f"{case.name}-inputs.npz") as z:
        sites, cells = _load_snapped(z, "site"), _load_snapped(z, "cell")
    matrix, times = timed(lambda: coverage_matrix(net, sites, cells, radius_m=LIMIT_M))
    sp.save_npz(RUN / f"{case.name}-carecircle.npz", matrix)
    per_cell = np.diff(matrix.tocsc().indptr)
    return {
        "nodes": net.n_nodes,
        **time_keys(times),
        "facilities": int(sites.ok.sum()),
        "cells": int(cells.ok.sum()),
        "nnz": int(matrix.nnz),
        "sites_per_cell_median": float(np.median(per_cell)),
        "cells_without_site": int((per_cell == 0).sum()),
    }
