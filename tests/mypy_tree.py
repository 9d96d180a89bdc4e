"""Build the link tree mypy reads the package from: `python tests/mypy_tree.py`.

pyproject maps the top-level folders onto one import name (core/ -> carecircle,
geo/ -> carecircle.geo, ...). The editable install resolves that with an import hook that
mypy cannot follow, so this script mirrors the mapping as symlinks under
`.venv/mypy/carecircle` (pyproject's [tool.mypy] `mypy_path`). It is rebuilt on every
`make test`, so a module added by anyone is checked without further set-up.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TREE = REPO / ".venv" / "mypy"
SKIP = {"__pycache__"}


def package_dirs(pyproject: Path) -> dict[str, Path]:
    """Return the package name -> source folder mapping declared in pyproject."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {name: REPO / folder for name, folder in mapping.items()}


def build(tree: Path) -> Path:
    """Recreate the link tree under `tree` and return the top package folder."""
    if tree.exists():
        shutil.rmtree(tree)
    for name, source in sorted(package_dirs(REPO / "pyproject.toml").items()):
        target = tree.joinpath(*name.split("."))
        if target.exists():  # already reachable through a linked parent folder
            if target.resolve() != source.resolve():
                raise SystemExit(f"{name}: {target} is not {source}")
            continue
        if "." in name:
            target.symlink_to(source, target_is_directory=True)
            continue
        target.mkdir(parents=True)
        for entry in source.iterdir():
            if entry.name not in SKIP:
                (target / entry.name).symlink_to(entry)
    return tree / "carecircle"


if __name__ == "__main__":
    print(f"mypy link tree: {build(TREE)}", file=sys.stderr)
