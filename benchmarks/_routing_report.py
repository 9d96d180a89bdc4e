"""Routing benchmark, part 4: targets, tables and RESULTS.md."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
from datetime import datetime
from pathlib import Path
from typing import Any

from _results import replace_rows, replace_section
from _routing_cases import CASES, PANDANA_INSTALLED, ROUNDS, SECTION, SNAP_M


def find(rows: list[dict[str, Any]], case: str, method: str) -> dict[str, Any] | None:
    """The measured row of a case and method, if any."""
    return next(
        (
            r
            for r in rows
            if r["case"] == case and r["method"] == method and r["seconds"] is not None
        ),
        None,
    )


Target = tuple[str, str, bool | None, str, bool | None]


def _in_process_ratio(rows: list[dict[str, Any]], case: str) -> float | None:
    """carecircle / raw scipy measured interleaved inside the carecircle process (CPU time)."""
    r = find(rows, case, "carecircle")
    if r is None or "stage_total_s" not in r:
        return None
    return r["stage_total_s"] / r["stage_raw_scipy_s"]


def _ratio_target(
    rows: list[dict[str, Any]], case: str, slower: str, faster: str, bound: float, *, at_least: bool
) -> Target:
    """A ratio target: measured across processes, and the in-process (interleaved) estimate."""
    a, b = find(rows, case, slower), find(rows, case, faster)
    if at_least:
        name = f"{case}: networkx / carecircle ≥ {bound:g}×"
    else:
        name = f"{case}: carecircle / raw scipy ≤ {bound:g}×"
    if a is None or b is None:
        return name, "not measured", None, "—", None
    ratio = a["seconds"] / b["seconds"]
    text = f"{ratio:.2f}× ({a['seconds']:.3f} s / {b['seconds']:.3f} s)"
    if a.get("cpu_seconds") and b.get("cpu_seconds"):
        text += f"; CPU time {a['cpu_seconds'] / b['cpu_seconds']:.2f}×"
    ok = ratio >= bound if at_least else ratio <= bound
    inside = _in_process_ratio(rows, case)
    raw = find(rows, case, "scipy")
    if inside is None or raw is None:
        return name, text, ok, "—", None
    if at_least:
        ceiling = a["seconds"] / raw["seconds"]
        est = ceiling / inside
        return (
            name,
            text,
            ok,
            f"{est:.1f}× (networkx / raw scipy {ceiling:.1f}× ÷ {inside:.2f})",
            est >= bound,
        )
    return name, text, ok, f"{inside:.2f}×", inside <= bound


def _plain_target(name: str, text: str, ok: bool | None) -> Target:
    return name, text, ok, "—", None


def targets(rows: list[dict[str, Any]]) -> list[Target]:
    """The issue's targets (first five) and the same bounds on the supplementary cases."""
    out = [
        _ratio_target(rows, "routing-250k", "networkx", "carecircle", 20, at_least=True),
        _ratio_target(rows, "routing-250k", "carecircle", "scipy", 1.5, at_least=False),
    ]
    for case in ("pipeline-1m", "pipeline-1m-dense"):
        r = find(rows, case, "carecircle")
        out.append(
            _plain_target(
                f"{case}: load + index + snap + route + aggregate < 15 s",
                f"{r['seconds']:.2f} s" if r else "not measured",
                r["seconds"] < 15 if r else None,
            )
        )
        out.append(
            _plain_target(
                f"{case}: peak memory < 3 GiB",
                f"{r['peak_mib']:.0f} MiB" if r else "not measured",
                r["peak_mib"] < 3072 if r else None,
            )
        )
    r = find(rows, "matrix-2000x50k", "carecircle")
    out.insert(
        4,
        _plain_target(
            "matrix-2000x50k: coverage_matrix < 1 s",
            f"{r['seconds']:.3f} s" if r else "not measured",
            r["seconds"] < 1 if r else None,
        ),
    )
    out += [
        _ratio_target(rows, "routing-250k-dense", "networkx", "carecircle", 20, at_least=True),
        _ratio_target(rows, "routing-250k-dense", "carecircle", "scipy", 1.5, at_least=False),
        _ratio_target(rows, "routing-1m", "carecircle", "scipy", 1.5, at_least=False),
    ]
    return out


NOTE_KEYS = (
    "with_nearest_facility_s",
    "build_s",
    "core_nodes",
    "load_s",
    "index_s",
    "core_s",
    "snap_s",
    "route_s",
    "points_s",
    "aggregate_s",
    "nnz",
    "sites_per_cell_median",
    "cells_without_site",
    "older_covered_share",
    "round_seconds",
    "note",
)


def row_note(row: dict[str, Any]) -> str:
    """Short text of a row's extra keys for the table."""
    parts = []
    for key in NOTE_KEYS:
        if key in row:
            parts.append(str(row[key]) if key == "note" else f"{key}={row[key]}")
    return "; ".join(parts)


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of all rows."""
    head = (
        "| case | method | nodes | sources / cells | seconds (best) | median | CPU s (best) "
        "| repeats | peak MiB | notes |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
    )
    lines = [head]
    for r in rows:
        sources = (
            r.get("source_nodes")
            if r["method"] in ("scipy", "networkx", "pandana")
            else r.get("facilities")
        )
        if r.get("cells"):
            sources = f"{sources:,} / {r['cells']:,}"
        elif sources is not None:
            sources = f"{sources:,}"
        secs = "—" if r["seconds"] is None else f"{r['seconds']:.3f}"
        median = f"{r['seconds_median']:.3f}" if "seconds_median" in r else "—"
        cpu = f"{r['cpu_seconds']:.3f}" if "cpu_seconds" in r else "—"
        peak = "—" if r["peak_mib"] is None else f"{r['peak_mib']:.0f}"
        nodes = f"{r['nodes']:,}" if r.get("nodes") else "—"
        lines.append(
            f"| {r['case']} | {r['method']} | {nodes} | {sources or '—'} | {secs} "
            f"| {median} | {cpu} | {r.get('repeats', '—')} | {peak} | {row_note(r)} |"
        )
    return "\n".join(lines)


def stage_section(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown lines: where carecircle's routing time goes, against raw scipy and networkx."""
    lines = [
        "### Where carecircle's routing time goes",
        "",
        "carecircle routes on the network's *routing core*: chains of degree-2 nodes "
        "contracted to one edge each (`carecircle.geo.chains`, built once per network, "
        "`build_s` in the rows above), and reads the distances inside the chains off their "
        "ends. Measured inside the carecircle process, in 15 interleaved rounds, as CPU time "
        "(best of each): `nearest_source_distances(..., with_source=False)` as a whole and "
        "its public steps `chain_entries` (each facility's two core nodes and offsets), "
        "`with_source_nodes` (the core CSR with one virtual node per facility), scipy's "
        "`dijkstra` on that graph and `expand_chains` (distances at the nodes inside chains) "
        "(*rest* = the whole call minus the four; each column is the best of its own 15 "
        "rounds, so *rest* can come out slightly negative), beside raw scipy from the source "
        "nodes on "
        "the full graph. Being interleaved in one process, the `in-process ratio` does not "
        "depend on load falling on one process only. `networkx / raw scipy` (from the rows "
        "above) is what a router running scipy's Dijkstra on the full graph reaches against "
        "networkx.",
        "",
        "| case | core nodes | whole call | chain_entries | with_source_nodes "
        "| dijkstra (core) | expand_chains | rest | raw scipy | in-process ratio "
        "| networkx / raw scipy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r["method"] != "carecircle" or "stage_total_s" not in r:
            continue
        steps = [
            r["stage_chain_entries_s"],
            r["stage_with_source_nodes_s"],
            r["stage_dijkstra_s"],
            r["stage_expand_chains_s"],
        ]
        total, raw_s = r["stage_total_s"], r["stage_raw_scipy_s"]
        raw, nx_row = find(rows, r["case"], "scipy"), find(rows, r["case"], "networkx")
        ceiling = f"{nx_row['seconds'] / raw['seconds']:.1f}×" if raw and nx_row else "—"
        cells = [
            r["case"],
            f"{r['core_nodes']:,} of {r['nodes']:,}",
            f"{1e3 * total:.1f} ms",
            *(f"{1e3 * t:.1f} ms" for t in steps),
            f"{1e3 * (total - sum(steps)):.1f} ms",
            f"{1e3 * raw_s:.1f} ms",
            f"{total / raw_s:.2f}×",
            ceiling,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Profile one row with `python benchmarks/bench_routing.py --case routing-250k "
        "--method carecircle --profile` (cProfile, sorted by own time).",
        "",
    ]
    return lines


def machine() -> dict[str, str]:
    """Cores, RAM, CPU, OS, Python and package versions."""
    info = {"cores": str(os.cpu_count())}
    try:
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
        info["ram"] = f"{int(mem) / 2**20:.1f} GiB"
        cpu = [
            ln
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ]
        info["cpu"] = cpu[0].split(":", 1)[1].strip() if cpu else "unknown"
    except OSError:
        info["ram"] = info["cpu"] = "unknown"
    info["os"] = platform.platform()
    info["python"] = platform.python_version()
    versions = []
    for pkg in ("carecircle", "numpy", "scipy", "networkx", "shapely", "pandas", "pandana"):
        try:
            versions.append(f"{pkg} {importlib.metadata.version(pkg)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{pkg} (not installed)")
    info["packages"] = ", ".join(versions)
    return info


def write_results(
    rows: list[dict[str, Any]],
    checks: list[str],
    partial: bool,
    pandana_note: str | None,
    started: datetime,
) -> str:
    """Write this script's rows and RESULTS.md section; return the section's markdown.

    Other benchmark scripts share both files (``_results.publish``): their rows (other case
    names) and their ``<!-- name -->`` sections are kept.
    """
    publish_rows(rows)
    tgt = targets(rows)
    mach = machine()
    loads = [x for r in rows for x in (r.get("load_1min") or []) if x is not None]
    if loads:
        mach["load"] = (
            f"1-minute load average at the end of the measured processes "
            f"{min(loads):.2f}–{max(loads):.2f} on {mach['cores']} cores (other "
            "sessions' work shares the machine; `load_1min` per row in results.json)"
        )
    verdict = {True: "**met**", False: "**not met**", None: "not measured"}
    md = [
        f"<!-- {SECTION} -->",
        "## Routing benchmark (`bench_routing.py`)",
        "",
        f"Written by `benchmarks/bench_routing.py` on {started:%Y-%m-%d %H:%M} UTC"
        + (" (partial run: `--cases`)" if partial else "")
        + ". Re-run with `make bench`.",
        "",
        "### Targets",
        "",
        "| target | measured (separate processes) | result | in-process estimate | result |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {text} | {verdict[ok]} | {est} "
            f"| {verdict[est_ok] if est != '—' else '—'} |"
            for name, text, ok, est, est_ok in tgt
        ),
        "",
        "The first five rows are the issue's targets; the last three apply the same bounds to "
        "the supplementary cases (1 facility per 25 ha, and the 1M lattice). *Measured* compares "
        "rows from separate processes (best wall time of all calls), as the issue asks; on "
        "this shared machine two processes running the very same Dijkstra differ by up to "
        "~15 %, so ratios near a bound flip between runs. The *in-process estimate* uses "
        "carecircle and raw scipy timed interleaved in one process (CPU time, see below); "
        "for networkx it divides the measured networkx / raw scipy ratio by it.",
        "",
        "### All measurements",
        "",
        table(rows),
        "",
        *stage_section(rows),
        "### Machine",
        "",
        *(f"- {k}: {v}" for k, v in mach.items()),
        "",
        "### What is measured",
        "",
        "- **Graphs.** Synthetic lattices: a jittered 100 m grid (σ = 15 m) with 28 % of the "
        "edges deleted at random, largest connected component kept (mean degree ≈ 2.9, "
        "≈ 1.45 undirected edges per node); written once as carecircle `.npz` network caches "
        "in `benchmarks/.cache/` and read back with `network_cache.read_cache`. OSM files: "
        "`../shared/data` read through `load_network` (with its cache).",
        "- **Sources.** Facilities are uniform random points snapped with `EdgeIndex.snap` "
        f"(max {SNAP_M:g} m): 1,000 on the 250k lattice (the issue's count), 10,000 on "
        "`routing-250k-dense` (1 per 25 ha), 4,000 / 40,000 on the 1M lattice, 1 per 25 ha of "
        "the bounding box on the OSM files. carecircle routes from the snapped points with "
        "their offsets (`nearest_source_distances`, limit 900 m); scipy, networkx and pandana "
        "start from the same source nodes: the nearer end of each facility's edge.",
        "- **Timed call.** carecircle: `nearest_source_distances(..., with_source=False)` "
        "(coverage needs the distances only; `with_nearest_facility_s` in the notes times the "
        "default call that also finds each node's nearest facility), on the network's routing "
        "core (`build_s` = contracting the chains, done once when a network is first parsed "
        "and stored in its cache, not timed, like the networkx and pandana builds; the 1M "
        "pipeline reads it from the cache, `core_s`); raw scipy: "
        "`dijkstra(csr, indices=source_nodes, min_only=True, limit=900)`; networkx: "
        "`multi_source_dijkstra_path_length(G, sources, cutoff=900)` (`build_s` = building "
        "the `nx.Graph`, not timed); pandana: `set_pois` + `nearest_pois(900)` (`build_s` = "
        "`pandana.Network` with its contraction hierarchy, not timed). Each call is repeated "
        "(at least 3 times, then until 3 s or 60 calls), and each case and method runs in "
        f"{ROUNDS} processes, alternating with the other methods (pandana once); `seconds` is "
        "the best call (timeit's "
        "convention: the least disturbed by other processes on this shared 2-core machine) and "
        "the ratios use it; the median is shown beside it, and the targets also give the ratio "
        "of best CPU times (`time.process_time`), which competing processes hardly move.",
        "- **1M pipeline** (one timed run per process, best of the rounds shown, each round in "
        "`round_seconds`): `read_cache` + `EdgeIndex` + the routing core + snapping the "
        "facilities and a 1000 × 1000 grid of 100 m cells + `nearest_source_distances` + "
        "`point_distances` + `np.bincount` of older residents (covered and total) over "
        "10,000 1-km communities; stage times in the notes.",
        "- **Matrix**: `coverage_matrix(radius_m=900)` for 2,000 sites × 50,000 cells, both "
        "uniform in a 22.4 km square in the middle of the 250k lattice (snapping not timed).",
        "- **Peak memory**: every row runs in its own process (`--case NAME --method M "
        "--json`); `peak MiB` is that process's `ru_maxrss` at its end (interpreter, imports "
        "and input loading included).",
        "- networkx runs only on the 250k lattice and the OSM files (on 1M nodes it would take "
        "long and is not needed for any target).",
        f"- {pandana_note or PANDANA_INSTALLED}",
        "",
        "### Checks (a wrong result stops the benchmark)",
        "",
        *(f"- {line}" for line in checks),
        "",
        "### Re-run",
        "",
        "```",
        "make bench                                   # all benchmark scripts (this one: 4-8 min)",
        "python benchmarks/bench_routing.py --cases routing-250k,matrix-2000x50k",
        "python benchmarks/bench_routing.py --case routing-250k --method scipy --json  # one row",
        "```",
        "",
    ]
    md.append(f"<!-- /{SECTION} -->")
    text = "\n".join(md)
    publish_section(text)
    return text


def publish_rows(rows: list[dict[str, Any]]) -> None:
    """Replace this script's rows in results.json (by case name), keeping other scripts' rows."""
    mine = {c.name for c in CASES}
    replace_rows(lambda r: r.get("case") in mine, rows)


def publish_section(section: str) -> None:
    """Replace (or append) this script's ``<!-- routing -->`` section of RESULTS.md."""
    replace_section(SECTION, section)
