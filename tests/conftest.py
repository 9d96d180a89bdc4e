"""Shared fixtures: a private network cache per test session, and the shared data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo run once per test session, as `make demo` does (offline maps)."""
    from carecircle.scripts.cli import main

    out = tmp_path_factory.mktemp("demo")
    assert main(["-q", "demo", "--out", str(out), "--offline"]) == 0
    return out
