"""Routing benchmark, part 2: what one child process measures (one case, one method)."""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from _routing_cases import (
    LIMIT_M,
    RUN,
    Case,
    FloatArray,
    IntArray,
    _load_snapped,
    load_graph,
)
from scipy.sparse.csgraph import dijkstra

from carecircle.geo.network import WalkNetwork
from carecircle.geo.snap import Snapped

# --------------------------------------------------------------------------- measuring


@dataclass
class Timings:
    """Wall-clock and CPU seconds of each call of a measured function.

    CPU time (``time.process_time``, all threads of the process) hardly moves when other
    processes compete for the cores, so it is kept beside wall time as a cross-check.
    """

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        """Fastest wall time."""
        return min(self.wall)


def timed(
    fn: Callable[[], Any], *, min_repeats: int = 3, min_total_s: float = 3.0, max_repeats: int = 60
) -> tuple[Any, Timings]:
    """Call ``fn`` at least ``min_repeats`` times, then until ``min_total_s`` or ``max_repeats``.

    Parameters
    ----------
    fn : callable
        The measured call.
    min_repeats : int, default 3
        Fewest calls.
    min_total_s : float, default 3.0
        Stop repeating once the calls took this long together (wall time).
    max_repeats : int, default 60
        Most calls.

    Returns
    -------
    result : object
        What the last call returned.
    timings : Timings
        Wall and CPU time of each call.
    """
    t = Timings()
    result = None
    while len(t.wall) < min_repeats or (len(t.wall) < max_repeats and sum(t.wall) < min_total_s):
        result = None
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        t.wall.append(time.perf_counter() - t0)
        t.cpu.append(time.process_time() - c0)
    return result, t


def time_keys(t: Timings) -> dict[str, Any]:
    """Row keys for timings: best of N as ``seconds`` (timeit's convention), and the median.

    The best call is the least disturbed by other processes on a shared 2-core machine; the
    median and the best CPU time are kept beside it (the raw lists go to the parent, which
    merges the rounds).
    """
    return {
        "seconds": min(t.wall),
        "seconds_median": statistics.median(t.wall),
        "cpu_seconds": min(t.cpu),
        "repeats": len(t.wall),
        "times": t.wall,
        "cpu_times": t.cpu,
    }


def peak_mib() -> float:
    """Peak resident set size of this process so far (MiB; Linux reports KiB).

    Linux carries the parent's high-water mark into ``ru_maxrss`` across fork and exec, so
    the parent process stays small: preparing and checking run in their own subprocesses.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def vm_hwm_mib() -> float | None:
    """``VmHWM`` of /proc/self/status (MiB): the peak RSS of this program image only."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def run_routing(case: Case, method: str) -> dict[str, Any]:
    """Measure one method's bounded multi-source search on a case; save its node distances.

    Parameters
    ----------
    case : Case
        A ``routing`` case whose inputs :func:`prepare` wrote.
    method : str
        ``carecircle`` (snapped facilities with their offsets), ``scipy`` (raw
        ``dijkstra(min_only=True)`` from the source nodes), ``networkx``
        (``multi_source_dijkstra_path_length``) or ``pandana`` (``nearest_pois``).

    Returns
    -------
    dict
        The result row (without ``peak_mib``).
    """
    net = load_graph(case.graph)
    with np.load(RUN / f"{case.name}-inputs.npz") as z:
        fac = _load_snapped(z, "fac")
        nodes = z["source_nodes"]
    extra: dict[str, Any] = {}
    if method == "carecircle":
        from carecircle.geo.chains import contract_chains
        from carecircle.geo.routing import nearest_source_distances

        # the routing core is built once per network, at its first parse, and stored in the
        # network cache (like networkx's nx.Graph, not timed in the call; the lattice comes
        # from that cache here); coverage needs the distances only, and the nearest facility
        # (for cells.gpkg) is timed separately as with_nearest_facility_s
        t0 = time.perf_counter()
        contract_chains(net.graph, net.edge_u, net.edge_v, net.edge_length)
        core_build = time.perf_counter() - t0
        core = net.routing_core
        nd, times = timed(
            lambda: nearest_source_distances(net, fac, limit_m=LIMIT_M, with_source=False)
        )
        dist = nd.distance
        _, with_nearest = timed(lambda: nearest_source_distances(net, fac, limit_m=LIMIT_M))
        hwm = vm_hwm_mib()  # the routing's peak, read before the step diagnostics below
        extra = {
            "peak_mib": round(peak_mib(), 1),
            **({"vm_hwm_mib": round(hwm, 1)} if hwm is not None else {}),
        }
        extra["with_nearest_facility_s"] = round(min(with_nearest.wall), 4)
        extra["build_s"] = round(core_build, 3)
        extra["core_nodes"] = core.n_core
        extra |= carecircle_stages(net, fac, nodes)
        extra["peak_mib_incl_steps"] = round(peak_mib(), 1)
    elif method == "scipy":
        graph = net.graph
        dist, times = timed(lambda: dijkstra(graph, indices=nodes, min_only=True, limit=LIMIT_M))
    elif method == "networkx":
        dist, times, extra = _run_networkx(net, nodes)
    elif method == "pandana":
        dist, times, extra = _run_pandana(net, nodes)
    else:
        raise SystemExit(f"unknown method {method!r}")
    np.save(RUN / f"{case.name}-{method}.npy", np.asarray(dist, dtype=np.float64))
    return {"nodes": net.n_nodes, **time_keys(times), **extra}


def carecircle_stages(net: WalkNetwork, fac: Snapped, nodes: IntArray) -> dict[str, float]:
    """CPU time of each step of the timed call, interleaved with raw scipy.

    Fifteen rounds, each timing (``time.process_time``) ``chain_entries`` (the two core
    nodes and offsets of each facility), ``with_source_nodes`` (the routing core with one
    virtual node per facility), scipy's ``dijkstra`` on that graph (distances only, as
    ``with_source=False`` runs it), ``expand_chains`` (distances at the nodes inside chains),
    the whole ``nearest_source_distances(..., with_source=False)`` call, and raw scipy from
    the source nodes on the full graph; best of each. Interleaving in one process makes the
    carecircle / raw scipy ratio immune to load that falls on one process only.

    Returns
    -------
    dict
        ``stage_*_s`` keys (seconds).
    """
    from carecircle.geo.routing import (
        chain_entries,
        expand_chains,
        nearest_source_distances,
        with_source_nodes,
    )

    core = net.routing_core
    ok = np.flatnonzero(fac.ok)
    edge, t, snap = fac.edge[ok], fac.t[ok], fac.distance[ok]
    start = core.n_core + np.arange(ok.size)
    best: dict[str, float] = {}

    def clock(key: str, fn: Callable[[], Any]) -> Any:
        gc.collect()
        c0 = time.process_time()
        out = fn()
        best[key] = min(best.get(key, np.inf), time.process_time() - c0)
        return out

    for _ in range(15):
        entry, offsets, chain, pos = clock(
            "stage_chain_entries_s", partial(chain_entries, core, edge, t, snap)
        )
        graph = clock(
            "stage_with_source_nodes_s", partial(with_source_nodes, core.graph, entry, offsets)
        )
        found = clock(
            "stage_dijkstra_s",
            partial(dijkstra, graph, directed=True, indices=start, min_only=True, limit=LIMIT_M),
        )
        clock(
            "stage_expand_chains_s",
            partial(expand_chains, core, found[: core.n_core], None, chain, pos, snap, ok),
        )
        clock(
            "stage_total_s",
            lambda: nearest_source_distances(net, fac, limit_m=LIMIT_M, with_source=False),
        )
        clock(
            "stage_raw_scipy_s",
            lambda: dijkstra(net.graph, indices=nodes, min_only=True, limit=LIMIT_M),
        )
    return best


def _run_networkx(net: WalkNetwork, nodes: IntArray) -> tuple[FloatArray, Timings, dict]:
    import networkx as nx

    t0 = time.perf_counter()
    g = nx.Graph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_weighted_edges_from(
        zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(), strict=True)
    )
    build = time.perf_counter() - t0
    sources = set(nodes.tolist())
    found, times = timed(lambda: nx.multi_source_dijkstra_path_length(g, sources, cutoff=LIMIT_M))
    dist = np.full(net.n_nodes, np.inf)
    dist[np.fromiter(found.keys(), dtype=np.int64, count=len(found))] = np.fromiter(
        found.values(), dtype=np.float64, count=len(found)
    )
    return dist, times, {"build_s": round(build, 3)}


def _run_pandana(net: WalkNetwork, nodes: IntArray) -> tuple[FloatArray, Timings, dict]:
    import pandana
    import pandas as pd

    t0 = time.perf_counter()
    pn = pandana.Network(
        pd.Series(net.x),
        pd.Series(net.y),
        pd.Series(net.edge_u),
        pd.Series(net.edge_v),
        pd.DataFrame({"length": net.edge_length}),
        twoway=True,
    )
    build = time.perf_counter() - t0
    px, py = pd.Series(net.x[nodes]), pd.Series(net.y[nodes])

    def query() -> Any:
        pn.set_pois("facility", LIMIT_M, 1, px, py)
        return pn.nearest_pois(LIMIT_M, "facility", num_pois=1)

    found, times = timed(query)
    dist = found[1].to_numpy(dtype=np.float64).copy()
    dist[dist >= LIMIT_M] = np.inf  # pandana fills "none within reach" with the distance
    return dist, times, {"build_s": round(build, 3)}
