"""Shared by the benchmark scripts: merge rows into results.json and a section of RESULTS.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent


def replace_rows(mine: Callable[[dict], bool], rows: list[dict]) -> None:
    """Replace the rows of results.json for which ``mine`` holds by ``rows``."""
    path = HERE / "results.json"
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    kept = [r for r in old if not mine(r)]
    path.write_text(json.dumps(kept + rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def replace_section(name: str, table: str) -> None:
    """Replace (or append) the ``<!-- name -->`` … ``<!-- /name -->`` section of RESULTS.md."""
    md = HERE / "RESULTS.md"
    text = md.read_text(encoding="utf-8") if md.is_file() else "# Benchmarks\n"
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if start in text:
        head, rest = text.split(start, 1)
        text = head + table + (rest.split(end, 1)[1] if end in rest else "\n")
    else:
        text = text.rstrip() + "\n\n" + table + "\n"
    md.write_text(text, encoding="utf-8")


def publish(prefix: str, rows: list[dict], table: str) -> None:
    """Replace this script's rows (``method`` starting with ``prefix``) and its section.

    ``table`` must start with ``<!-- prefix -->`` and end with ``<!-- /prefix -->``.
    """
    replace_rows(lambda r: str(r.get("method", "")).startswith(prefix), rows)
    replace_section(prefix, table)
