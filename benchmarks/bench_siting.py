"""Siting benchmark: 2,000 candidates × 50,000 cells, p = 20 (issue: siting).

Runs each case in its own process (peak memory per case), writes rows into
``benchmarks/results.json`` (``method`` starting with ``siting``) and a section of
``benchmarks/RESULTS.md`` between ``<!-- siting -->`` markers. Run: ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _results import publish
from scipy.spatial import cKDTree

HERE = Path(__file__).resolve().parent
K = 20
#: Wall-clock limit of the exact run (the 60 s target is checked on the measured seconds).
EXACT_WALL_LIMIT_S = 300.0


def random_instance(
    seed: int, n: int = 2000, m: int = 50_000, per_cell: float = 8.0, side: float = 10_000.0
):
    """Random geometric: cells and candidates uniform in a square, reach within a radius.

    The radius gives ~``per_cell`` candidates per cell: the issue's random instance (~8
    candidates per cell, ~20,000 distinct coverage sets of 50,000 cells).
    """
    rng = np.random.default_rng(seed)
    cells = rng.uniform(0, side, (m, 2))
    cand = rng.uniform(0, side, (n, 2))
    radius = np.sqrt(per_cell * side**2 / (np.pi * n))
    hits = cKDTree(cells).query_ball_point(cand, r=radius)
    rows = np.repeat(np.arange(n), [len(h) for h in hits])
    cols = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
    reach = sp.csr_array((np.ones(cols.size), (rows, cols)), shape=(n, m))
    return reach, rng.integers(1, 60, m).astype(float)


def spatial_instance(seed: int, n: int = 2000, m: int = 50_000, radius: float = 900.0):
    """Demo-like: clustered cells in 15 km × 15 km, candidates along a grid; walk = 1.3 × line."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 15_000, (60, 2))
    which = rng.integers(0, 60, m)
    cells = centres[which] + rng.normal(0, 700, (m, 2))
    cand = rng.uniform(0, 15_000, (n, 2))
    tree = cKDTree(cells)
    hits = tree.query_ball_point(cand, r=radius / 1.3)
    rows = np.repeat(np.arange(n), [len(h) for h in hits])
    cols = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
    reach = sp.csr_array((np.ones(cols.size), (rows, cols)), shape=(n, m))
    return reach, rng.integers(1, 60, m).astype(float)


def _cpu() -> float:
    """CPU seconds of this process so far (user + system): what the run costs on an idle
    core, whatever the machine's load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_carecircle(case: str, seed: int) -> dict:
    from carecircle.analysis.siting.instance import build_instance
    from carecircle.analysis.siting.solve import solve_mclp

    reach, w = (random_instance if case.startswith("random") else spatial_instance)(seed)
    m = w.size
    start, cpu = time.perf_counter(), _cpu()
    inst, _ = build_instance(reach, w, w * 4, np.zeros(m, dtype=np.int64))
    reduce_s = time.perf_counter() - start
    quick = solve_mclp(inst, K, time_limit=0.0001)
    quick_s, quick_cpu = time.perf_counter() - start, _cpu() - cpu
    start, cpu = time.perf_counter(), _cpu()
    inst, _ = build_instance(reach, w, w * 4, np.zeros(m, dtype=np.int64))
    # a generous wall-clock limit: HiGHS's time limit is wall time, and on the shared machine
    # (load 8-15 on 2 cores) 60 s of wall is 4-8 s of CPU; the target is judged on both
    exact = solve_mclp(inst, K, time_limit=EXACT_WALL_LIMIT_S)
    exact_s, exact_cpu = time.perf_counter() - start, _cpu() - cpu
    return {
        "reduce_s": reduce_s,
        "certified_s": quick_s,
        "certified_cpu_s": quick_cpu,
        "certified_gap": quick.gap,
        "optimal_s": exact_s,
        "optimal_cpu_s": exact_cpu,
        "optimal_gap": exact.gap,
        "objective": exact.objective,
        "groups": int(inst.weight.size),
        "candidates_kept": inst.n_candidates,
        "status": exact.status,
        "reductions": exact.reductions,
    }


CITY_CANDIDATES = 100_000
CITY_CELLS = 200_000
CITY_SIDE = 320  # lattice side: ~100k nodes, ~32 km × 32 km at ~100 m spacing
CITY_K = 50


def run_city(seed: int) -> dict:
    """100,000 candidates on a 1,000 km² lattice city: matrix, reduction and the model."""
    from _routing_cases import make_lattice, network_box, uniform_points

    from carecircle.analysis.siting.instance import build_instance
    from carecircle.analysis.siting.reach import reach_pattern
    from carecircle.analysis.siting.solve import solve_mclp
    from carecircle.geo.snap import EdgeIndex

    net = make_lattice(CITY_SIDE, seed=seed)
    index = EdgeIndex(net)
    rng = np.random.default_rng(seed)
    box = network_box(net)
    cells = index.snap(*uniform_points(rng, CITY_CELLS, box), max_distance_m=500.0)
    cand = index.snap(*uniform_points(rng, CITY_CANDIDATES, box), max_distance_m=500.0)
    older = rng.integers(0, 40, CITY_CELLS).astype(float)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu = time.perf_counter(), _cpu()
    reach = reach_pattern(net, cand, cells, radius_m=900.0, weight=older)
    matrix_s = time.perf_counter() - start
    inst, _ = build_instance(reach, older, older * 4, np.zeros(CITY_CELLS, dtype=np.int64))
    reduce_s = time.perf_counter() - start - matrix_s
    sol = solve_mclp(inst, CITY_K, time_limit=60)
    return {
        "nodes": int(net.n_nodes),
        "before_mib": base,
        "matrix_s": matrix_s,
        "reduce_s": reduce_s,
        "seconds": time.perf_counter() - start,
        "cpu_s": _cpu() - cpu,
        "pairs": int(reach.nnz),
        "groups": int(inst.weight.size),
        "candidates_kept": inst.n_candidates,
        "objective": sol.objective,
        "gap": sol.gap,
        "status": sol.status,
    }


def run_spopt(case: str, seed: int, n: int, m: int) -> dict:
    import warnings

    import pulp
    from spopt.locate import MCLP

    gen = random_instance if case.startswith("random") else spatial_instance
    reach, w = gen(seed, n=n, m=m)
    cost = np.where(reach.toarray().T > 0, 1.0, 2.0)  # clients × facilities
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(cost, w, service_radius=1.5, p_facilities=K)
        model = model.solve(pulp.HiGHS(msg=False))
    return {"seconds": time.perf_counter() - start, "objective": model.problem.objective.value()}


def child(args: argparse.Namespace) -> None:
    if args.case == "city-100k":
        out = run_city(args.seed)
    elif args.method == "carecircle":
        out = run_carecircle(args.case, args.seed)
    else:
        out = run_spopt(args.case, args.seed, args.n, args.m)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def spawn(extra: list[str], timeout: float) -> dict | None:
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", *extra],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


SEEDS = tuple(range(1, 11))


def _fixings(run: dict) -> str:
    """The reduced-cost fixings of a run, short."""
    done = [x.split(" (exact): ")[1] for x in run["reductions"] if "fixing" in x]
    return "fixing: " + " then ".join(done) if done else "closed before any fixing"


def _seed_rows(case: str) -> tuple[list[dict], list[str], list[dict]]:
    """Run carecircle on every seed of a family; results rows, table lines, raw runs."""
    rows, lines, runs = [], [], []
    for seed in SEEDS:
        r = spawn(["--case", case, "--method", "carecircle", "--seed", str(seed)], 600)
        if r is None:
            lines.append(f"| {case} | {seed} | failed | | | | | | |")
            continue
        runs.append(r)
        for kind in ("certified", "optimal"):
            rows.append(
                {
                    "case": f"siting-{case}-seed{seed}",
                    "method": "siting-carecircle-"
                    + ("certified-1pct" if kind == "certified" else kind),
                    "seconds": r[f"{kind}_s"],
                    "cpu_seconds": r[f"{kind}_cpu_s"],
                    "peak_mib": r["peak_mib"],
                    "gap": r[f"{kind}_gap"],
                }
            )
        lines.append(
            f"| {case} | {seed} | {r['certified_s']:.1f} ({r['certified_cpu_s']:.1f}) | "
            f"{r['certified_gap']:.3%} | {r['optimal_s']:.1f} ({r['optimal_cpu_s']:.1f}) | "
            f"{r['optimal_gap']:.4%} | {r['status']} | {r['peak_mib']:.0f} | "
            f"{r['groups']:,} groups, {r['candidates_kept']:,} candidates; {_fixings(r)} |"
        )
    if runs:
        for key, label in (("certified_s", "certified"), ("optimal_s", "proven")):
            values = np.array([r[key] for r in runs])
            cpu = np.array([r[key.replace("_s", "_cpu_s")] for r in runs])
            lines.append(
                f"| {case} | median / worst {label} | {np.median(values):.1f} / "
                f"{values.max():.1f} s wall, {np.median(cpu):.1f} / {cpu.max():.1f} s CPU | | | | "
                f"{sum(r['status'] == 'optimal' for r in runs)}/{len(runs)} optimal | "
                f"{max(r['peak_mib'] for r in runs):.0f} | |"
            )
    return rows, lines, runs


def _spopt_line(case: str) -> tuple[list[dict], str]:
    rows, largest = [], None
    for n, m in ((200, 5000), (500, 12_500)):
        s = spawn(["--case", case, "--method", "spopt", "--n", str(n), "--m", str(m)], 180)
        if s is None:
            break
        largest = (n, m, s)
        rows.append(
            {
                "case": f"siting-{case}",
                "method": f"siting-spopt-{n}x{m}",
                "seconds": s["seconds"],
                "peak_mib": s["peak_mib"],
            }
        )
    if largest is None:
        return rows, f"| {case} | spopt MCLP (HiGHS): did not finish 200 × 5,000 in 3 min |"
    n, m, s = largest
    return rows, (
        f"| {case} | spopt MCLP (HiGHS), seed 1, {n} × {m:,}: {s['seconds']:.1f} s, "
        f"{s['peak_mib']:.0f} MiB (largest size finished within 3 min; the full size needs a "
        "dense 50k × 2k cost matrix) |"
    )


def city_section() -> None:
    """The city-size row (its own section of RESULTS.md): 100,000 candidates."""
    rows: list[dict] = []
    lines = ["<!-- siting-city -->", "## Siting at city size", "", *_city_lines(rows)]
    lines.append("<!-- /siting-city -->")
    table = "\n".join(lines)
    print(table)
    publish("siting-city", rows, table)


def _city_lines(rows: list[dict]) -> list[str]:
    """The city-size row: 100,000 candidates, matrix streamed, reduced, solved."""
    c = spawn(["--case", "city-100k"], 1800)
    head = [
        f"City-size candidate sets: {CITY_CANDIDATES:,} candidates, {CITY_CELLS:,} cells on a "
        f"{CITY_SIDE} × {CITY_SIDE} lattice (~100 m streets), 900 m walk, p = {CITY_K}: "
        "coverage streamed by tiles into an int32 pattern, then reduced and solved.",
        "",
        "| case | seconds (CPU) | matrix s | reduce s | pairs | kept | gap | status | "
        "peak MiB (network and points before) |",
        "|---|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    if c is None:
        return [*head, "| city-100k | failed | | | | | | | |"]
    rows.append(
        {
            "case": "siting-city-100k",
            "method": "siting-city-carecircle",
            "seconds": c["seconds"],
            "cpu_seconds": c["cpu_s"],
            "peak_mib": c["peak_mib"],
            "gap": c["gap"],
        }
    )
    return [
        *head,
        f"| city-100k | {c['seconds']:.1f} ({c['cpu_s']:.1f}) | {c['matrix_s']:.1f} | "
        f"{c['reduce_s']:.1f} | {c['pairs']:,} | {c['candidates_kept']:,} candidates, "
        f"{c['groups']:,} groups | {c['gap']:.4%} | {c['status']} | {c['peak_mib']:.0f} "
        f"({c['before_mib']:.0f}) |",
        "",
        "Target: ≤ 2 GB at 100k candidates (issue 15 measured 5.75 GB and 56 s before "
        "the matrix was streamed and the candidate × candidate dominance product split into "
        f"blocks). Load average at the end of the run: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores: wall seconds are inflated, CPU seconds are the fair figure.",
    ]


def _old_rows() -> list[dict]:
    path = HERE / "results.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def _old_lines() -> list[str]:
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    section = text.split("<!-- siting -->")[-1].split("<!-- /siting -->")[0]
    return [x.replace(" (last full run) |", " |") for x in section.splitlines()]


def main() -> None:
    load = os.getloadavg()[0]
    rows, lines, spopt = [], [], []
    lines += [
        "<!-- siting -->",
        "## Siting benchmark (2,000 candidates × 50,000 cells, p = 20, every seed)",
        "",
        "Wall seconds with CPU seconds in brackets (the machine is shared: CPU seconds are "
        "what a run costs on an idle core).",
        "",
        "| case | seed | certified s | certified gap | proven s | final gap | status | "
        "peak MiB | reductions |",
        "|---|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for case in ("random-2000x50k", "spatial-2000x50k"):
        r, seed_lines, _ = _seed_rows(case)
        rows += r
        lines += seed_lines
        if "--no-spopt" not in sys.argv:
            r, line = _spopt_line(case)
            rows += r
            spopt.append(line)
    if "--no-spopt" in sys.argv:  # keep the spopt rows of the last full run
        rows += [r for r in _old_rows() if str(r.get("method", "")).startswith("siting-spopt")]
        spopt = [f"{x[:-1].rstrip()} (last full run) |" for x in _old_lines() if "spopt MCLP" in x]
    lines += ["", *spopt] if spopt else []
    lines += [
        "",
        "Targets: certified gap ≤ 1 % in < 5 s and ≤ 500 MB; proven optimum "
        "(gap ≤ 0.01 %) in < 60 s, on every seed. "
        f"Load average when the run started: {load:.1f}, at its end "
        f"{os.getloadavg()[0]:.1f}, on {os.cpu_count()} cores ("
        + (
            "wall seconds are inflated by the other jobs; "
            if max(load, os.getloadavg()[0]) > 1.5
            else "an idle machine; "
        )
        + "CPU seconds are what the run itself costs). The exact run has a "
        f"wall-clock limit of {EXACT_WALL_LIMIT_S:.0f} s so that a loaded machine does not cut "
        "it short; the certified run stops before the LP and the MILP.",
        "<!-- /siting -->",
    ]
    table = "\n".join(lines)
    print(table)
    publish("siting", rows, table)
    if "--no-city" not in sys.argv:
        city_section()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--case", default="random-2000x50k")
    parser.add_argument("--method", default="carecircle")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--m", type=int, default=50_000)
    parser.add_argument("--no-spopt", action="store_true")
    parser.add_argument("--city-only", action="store_true")
    parser.add_argument("--no-city", action="store_true")
    ns = parser.parse_args()
    if ns.child:
        child(ns)
    elif ns.city_only:
        city_section()
    else:
        main()
