"""Every case of the bad-input corpus through the command line: one clear line, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bad_inputs import CASES, Case, message, run_case, table_text
from corpus_tools import assert_clear_outcome, assert_readme_row

README = Path(__file__).resolve().parents[1] / "README.md"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    code, stderr = run_case(case, tmp_path)
    assert_clear_outcome(case, code, stderr, tmp_path / "out")
    assert message(case, stderr)
    row = f"| {case.problem} | {table_text(message(case, stderr))} |"
    assert_readme_row(row, "python tests/bad_inputs.py")
    if code == 0:
        check_accounting(tmp_path / "out")
        if case.verify is not None:
            case.verify(tmp_path / "out")


def check_accounting(out: Path) -> None:
    """Raster = cells = communities + excluded = streets + excluded; every facility once."""
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    acc = run["accounting"]
    for who in ("residents", "older_residents"):
        raster = acc[f"raster_{who}"]
        excluded = acc[f"excluded_cells_{who}"]
        assert acc[f"cells_{who}"] == pytest.approx(raster), acc
        assert acc[f"communities_{who}"] + excluded == pytest.approx(raster), acc
        assert acc[f"streets_{who}"] + excluded == pytest.approx(raster), acc
    ids = [f["id"] for f in run["facilities"]]
    assert len(ids) == len(set(ids)) == run["counts"]["facilities"]
    excluded = {f["id"] for f in run["facilities"] if f["excluded_reason"]}
    assert len(excluded) == run["counts"]["facilities_excluded"]


def test_names_with_paths_stay_inside_out(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "path-in-street-code")
    assert run_case(case, tmp_path)[0] == 0
    maps = tmp_path / "out" / "maps"
    assert (maps / "evil.html").is_file()
    written = [p.resolve() for p in tmp_path.rglob("*") if p.is_file()]
    outside = [
        p
        for p in written
        if not p.is_relative_to((tmp_path / "out").resolve())
        and not p.is_relative_to((tmp_path / "in").resolve())
    ]
    assert outside == []


def test_readme_lists_every_problem() -> None:
    text = README.read_text(encoding="utf-8")
    assert "## Common input problems" in text
    for case in CASES:
        assert f"| {case.problem} |" in text, (
            f"README lacks '{case.problem}': run "
            "`python tests/bad_inputs.py` and paste its table into the README"
        )
