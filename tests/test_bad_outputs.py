"""The output-side corpus through the command line: one clear line, no traceback, files right."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_cases_outputs import OUTPUT_CASES, OutputCase, run_output_case
from bad_inputs import Case, message, table_text
from corpus_tools import assert_clear_outcome

README = Path(__file__).resolve().parents[1] / "README.md"
MESSAGES: dict[str, str] = {}


def test_cases_have_unique_ids() -> None:
    assert len({c.id for c in OUTPUT_CASES}) == len(OUTPUT_CASES)


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=[c.id for c in OUTPUT_CASES])
def test_output_case(case: Case, tmp_path: Path) -> None:
    code, stderr = run_output_case(case, tmp_path)
    MESSAGES[case.id] = message(case, stderr) if code == case.exit else ""
    assert_clear_outcome(case, code, stderr, tmp_path / "out")
    assert message(case, stderr)
    if isinstance(case, OutputCase) and case.check is not None:
        case.check(tmp_path)


def test_readme_lists_every_output_case() -> None:
    text = README.read_text(encoding="utf-8")
    for case in OUTPUT_CASES:
        assert f"| {case.problem} |" in text, (
            f"README lacks '{case.problem}': run `python tests/bad_cases_outputs.py` and "
            "paste its rows into the table"
        )


def test_readme_rows_match_the_messages() -> None:
    if len(MESSAGES) < len(OUTPUT_CASES):
        pytest.skip("only part of the output corpus ran in this session")
    text = README.read_text(encoding="utf-8")
    rows = [f"| {c.problem} | {table_text(MESSAGES[c.id])} |" for c in OUTPUT_CASES]
    missing = [r for r in rows if r not in text]
    assert not missing, (
        "README is out of date: run `python tests/bad_cases_outputs.py`: " + (missing[0])
    )
