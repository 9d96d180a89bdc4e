"""The layout's rules: imports go downward only, and one import name is installed."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: folder -> carecircle subpackages it must not import
FORBIDDEN = {
    "core": ("geo", "analysis", "maps", "scripts"),
    "geo": ("analysis", "maps", "scripts"),
    "analysis": ("maps", "scripts"),
    "maps": ("scripts",),
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_go_downward_only(folder: str) -> None:
    bad = []
    for path in sorted((REPO / folder).rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "carecircle" and len(parts) > 1 and parts[1] in FORBIDDEN[folder]:
                bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert bad == []


def test_every_folder_installs_under_carecircle() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    packages = config["tool"]["setuptools"]["packages"]
    assert all(p == "carecircle" or p.startswith("carecircle.") for p in packages)
    assert set(packages) == set(mapping)
    for folder in ("core", "geo", "analysis", "maps", "scripts", "data"):
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO).as_posix()
            assert rel in mapping.values(), f"{rel} is a package missing from pyproject.toml"
