"""Batch benchmark: a synthetic province of demo districts (different seeds) on Dask.

Measures the batch with 1 and 2 workers and the peak memory of a worker, and a tiled against
an untiled audit of one district. Writes rows into ``results.json`` (``method`` starting with
``batch``) and a section of ``RESULTS.md`` between ``<!-- batch -->`` markers.
Run: ``python benchmarks/bench_batch.py [--districts 20]`` (part of ``make bench``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _results import publish

HERE = Path(__file__).resolve().parent


def _worker_peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--districts", type=int, default=20)
    n = parser.parse_args().districts
    from distributed import Client, LocalCluster

    from carecircle.data.district import write_demo_inputs
    from carecircle.scripts.batch import run_batch
    from carecircle.scripts.commands import run_audit

    rows, lines = (
        [],
        [
            "<!-- batch -->",
            f"## Batch benchmark ({n} demo districts)",
            "",
            "| case | workers | seconds | peak MiB per worker | notes |",
            "|---|---:|---:|---:|---|",
        ],
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        studies = [write_demo_inputs(folder / f"d{seed:02d}", seed=seed) for seed in range(n)]
        for workers in (1, 2):
            with (
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,
            ):
                start = time.perf_counter()
                result = run_batch(
                    studies, folder / f"out{workers}", scheduler=cluster.scheduler_address
                )
                seconds = time.perf_counter() - start
                peak = max(client.run(_worker_peak_mib).values())
            done = int((result.summary["status"] == "done").sum())
            rows.append(
                {
                    "case": f"batch-{n}-districts",
                    "method": f"batch-{workers}-workers",
                    "seconds": seconds,
                    "peak_mib": peak,
                }
            )
            lines.append(
                f"| batch of {n} | {workers} | {seconds:.1f} | {peak:.0f} | {done}/{n} done |"
            )
        tiled = studies[0].with_name("tiled.toml")
        tiled.write_text(
            studies[0].read_text(encoding="utf-8").replace("[circle]", "[circle]\ntile_km = 2"),
            encoding="utf-8",
        )
        for name, study in (("untiled", studies[0]), ("tiled 2 km", tiled)):
            start = time.perf_counter()
            run_audit(study, folder / name.replace(" ", "_"))
            seconds = time.perf_counter() - start
            rows.append(
                {
                    "case": "batch-single-district",
                    "method": f"batch-{name}",
                    "seconds": seconds,
                    "peak_mib": _worker_peak_mib(),
                }
            )
            lines.append(f"| one district, {name} | 1 | {seconds:.1f} | | same outputs |")
    lines += [
        "",
        "A worker's peak is its resident set after the batch (all its tasks).",
        "<!-- /batch -->",
    ]
    table = "\n".join(lines)
    print(table)
    publish("batch", rows, table)


if __name__ == "__main__":
    main()
