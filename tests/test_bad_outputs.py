"""The output-side corpus through the command line: one clear line, no traceback, files right."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_cases_outputs import OUTPUT_CASES, OutputCase, run_output_case
from bad_inputs import Case, message, table_text
from corpus_tools import assert_clear_outcome, assert_readme_row

README = Path(__file__).resolve().parents[1] / "README.md"


def test_cases_have_unique_ids() -> None:
    assert len({c.id for c in OUTPUT_CASES}) == len(OUTPUT_CASES)


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=[c.id for c in OUTPUT_CASES])
def test_output_case(case: Case, tmp_path: Path) -> None:
    code, stderr = run_output_case(case, tmp_path)
    assert_clear_outcome(case, code, stderr, tmp_path / "out")
    assert message(case, stderr)
    row = f"| {case.problem} | {table_text(message(case, stderr))} |"
    assert_readme_row(row, "python tests/bad_cases_outputs.py")
    if isinstance(case, OutputCase) and case.check is not None:
        case.check(tmp_path)


def test_readme_lists_every_output_case() -> None:
    text = README.read_text(encoding="utf-8")
    for case in OUTPUT_CASES:
        assert f"| {case.problem} |" in text, (
            f"README lacks '{case.problem}': run `python tests/bad_cases_outputs.py` and "
            "paste its rows into the table"
        )
