"""bench_audit's stored rows: a new round replaces exactly the rows it measured again."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from bench_audit import superseded  # noqa: E402

STORED = [
    {"method": "audit/city/warm"},
    {"method": "audit/city/ctrl-c/write tables"},  # a stage of an older code
    {"method": "audit/city/ctrl-c/route"},
    {"method": "audit/mid/ctrl-c/route"},
    {"method": "audit/mid/warm"},
]


def _kept(size: str, run: str, found: list[dict]) -> list[str]:
    gone = superseded(size, run, found)
    return [r["method"] for r in STORED if not gone(r)]


def test_a_ctrl_c_round_replaces_every_earlier_ctrl_c_row_of_its_size_only() -> None:
    found = [{"method": "audit/city/ctrl-c/route"}, {"method": "audit/city/ctrl-c/write outputs"}]
    assert _kept("city", "ctrl-c", found) == [
        "audit/city/warm",
        "audit/mid/ctrl-c/route",
        "audit/mid/warm",
    ]


def test_a_timed_run_replaces_its_own_row_only() -> None:
    assert _kept("city", "warm", [{"method": "audit/city/warm"}]) == [
        "audit/city/ctrl-c/write tables",
        "audit/city/ctrl-c/route",
        "audit/mid/ctrl-c/route",
        "audit/mid/warm",
    ]
