"""Shared fixtures (network cache, shared data, the demo and mini district run once), markers.

Markers are given here from what a test uses, so a new test gets them without writing any:
``shared_data`` (reads ../shared/data), ``browser`` (Chromium), ``postgis`` (a PostgreSQL
server), ``e2e`` (a whole audit: the demo, the corpus, the browser and database runs) and
``slow`` (all of these, and the modules listed in SLOW_MODULES). ``pytest -m "not slow"``
runs the rest, the fast part. Under pytest-xdist (``-n auto --dist loadgroup``, as
``make test`` runs) the tests of a module with a module-scoped fixture stay on one worker,
so that fixture is built once; the demo run is built once for all workers (a file lock in
the run's shared temporary folder).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from shared_runs import once_per_run

from mini_district import MiniRun

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _private_network_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the tests' network cache out of the user's ~/.cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CARECIRCLE_CACHE_DIR", str(tmp_path_factory.mktemp("network-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data beside the repository (../shared/data); skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository; real-data tests skipped")
    return SHARED_DATA


def _run_demo(out: Path) -> None:
    from carecircle.scripts.cli import main

    assert main(["-q", "demo", "--out", str(out), "--offline"]) == 0


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo run once per test session, as `make demo` does (offline maps).

    One run for all xdist workers: tests read it, or copy its inputs, and never change it.
    """
    return once_per_run(tmp_path_factory, "demo", _run_demo)


@pytest.fixture(scope="session")
def _mini_run(tmp_path_factory: pytest.TempPathFactory) -> MiniRun:
    from carecircle.analysis.audit import audit_study
    from carecircle.config import load_study

    from mini_district import write_mini_study

    inputs = tmp_path_factory.mktemp("mini-shared") / "in"
    return MiniRun(inputs, audit_study(load_study(write_mini_study(inputs))))


@pytest.fixture(scope="module")
def mini_run(_mini_run: MiniRun) -> MiniRun:
    """The default mini district audited once per session; each module gets its own copy.

    A copy (0.04 s) instead of a new audit (3 s): a test that changes the result cannot
    change another module's.
    """
    return MiniRun(_mini_run.inputs, copy.deepcopy(_mini_run.audit))


#: modules that run whole audits per test without a fixture showing it (corpus, tiles, ...)
SLOW_MODULES = {
    "test_bad_inputs.py",
    "test_bad_outputs.py",
    "test_invariants.py",
    "test_reliability.py",
    "test_siting_brute.py",
    "test_siting_demo.py",
    "test_tiles.py",
    "test_network_io.py",
    "test_interrupt.py",
    "test_outputs.py",
}
#: fixture -> markers it gives a test
FIXTURE_MARKERS = {
    "shared_data": ("shared_data", "slow"),
    "browser": ("browser", "e2e", "slow"),
    "pg_url": ("postgis", "e2e", "slow"),
    "demo_run": ("e2e", "slow"),
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups (worker side)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the fixtures they use; keep a module-scoped fixture on one worker."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        names = set(getattr(item, "fixturenames", ()))
        for fixture, markers in FIXTURE_MARKERS.items():
            if fixture in names:
                for marker in markers:
                    item.add_marker(marker)
        if item.path.name in SLOW_MODULES:
            item.add_marker("slow")
            if item.path.name.startswith("test_bad_"):
                item.add_marker("e2e")
        defs = info.name2fixturedefs.values() if info is not None else ()
        if any(d[-1].scope == "module" for d in defs if d):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))


@pytest.hookimpl(tryfirst=True)  # after xdist adds its suffixes, before it sends the IDs
def pytest_collection_finish(session: pytest.Session) -> None:
    """Give a grouped test its ``@group`` suffix where xdist's own hook could not.

    ``--dist loadgroup`` puts the tests whose node ID ends in ``@group`` on one worker.
    xdist (3.8) writes the suffix to ``item._nodeid``, which pytest 9.2 no longer reads (node
    IDs are structured: ``item._id``), so no test was grouped: a module-scoped fixture was
    built once per worker instead of once (pytest-dev/pytest-xdist#1386; fixed by #1388).
    This writes the suffix to the structured ID; it does nothing where xdist's hook worked.
    """
    if not session.config.getoption("loadgroup", False):
        return
    for item in session.items:
        groups = sorted({str(m.args[0]) for m in item.iter_markers("xdist_group") if m.args})
        if not groups or "@" in item.nodeid.rpartition("]")[2]:
            continue
        nodeid = f"{item.nodeid}@{'_'.join(groups)}"
        if hasattr(item, "_id"):
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(nodeid)
        else:
            item._nodeid = nodeid
