"""Shared by the benchmark scripts: merge rows into results.json and a section of RESULTS.md."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def publish(prefix: str, rows: list[dict], table: str) -> None:
    """Replace this script's rows (``method`` starting with ``prefix``) and its RESULTS.md section.

    ``table`` must start with ``<!-- prefix -->`` and end with ``<!-- /prefix -->``.
    """
    results = HERE / "results.json"
    old = json.loads(results.read_text()) if results.exists() else []
    old = [r for r in old if not str(r.get("method", "")).startswith(prefix)]
    results.write_text(json.dumps(old + rows, indent=2) + "\n")
    md = HERE / "RESULTS.md"
    text = md.read_text(encoding="utf-8") if md.exists() else "# Benchmarks\n"
    start, end = f"<!-- {prefix} -->", f"<!-- /{prefix} -->"
    if start in text:
        head, rest = text.split(start, 1)
        text = head + table + (rest.split(end, 1)[1] if end in rest else "")
    else:
        text = text.rstrip() + "\n\n" + table + "\n"
    md.write_text(text, encoding="utf-8")
