"""Every public function of the package with two or more parameters documents them (numpydoc)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = ("core", "geo", "analysis", "maps", "scripts", "data")
SECTION = re.compile(r"^\s*Parameters\s*\n\s*-{10,}\s*$", re.M)

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _public_functions(tree: ast.Module) -> Iterator[tuple[str, Function]]:
    """Module-level functions and the methods of module-level classes, not ``_private``."""
    for node in tree.body:
        if isinstance(node, Function) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, Function) and not item.name.startswith("_"):
                    yield f"{node.name}.{item.name}", item


def _parameters(fn: Function) -> list[str]:
    args = fn.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [n for n in names if n not in ("self", "cls")]


def undocumented(source: str) -> list[str]:
    """Return the public functions of ``source`` with 2+ parameters and no Parameters section."""
    missing = []
    for name, fn in _public_functions(ast.parse(source)):
        if len(_parameters(fn)) >= 2 and not SECTION.search(ast.get_docstring(fn) or ""):
            missing.append(f"{name} (line {fn.lineno})")
    return missing


def test_the_check_finds_a_missing_section() -> None:
    documented = '''
def f(a, b):
    """Do.

    Parameters
    ----------
    a, b : int
        Numbers.
    """
'''
    bare = 'def g(a, *, b):\n    """Do."""\n\nclass C:\n    def m(self, a, b):\n        """Do."""\n'
    private = 'def _h(a, b):\n    pass\n\ndef one(self, a):\n    """Do."""\n'
    assert undocumented(documented) == []
    assert undocumented(bare) == ["g (line 1)", "C.m (line 5)"]
    assert undocumented(private) == []


def test_public_functions_document_their_parameters() -> None:
    missing = []
    for folder in PACKAGE_FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            if path.name.startswith("_") and path.name != "__init__.py":
                continue  # a private module
            for name in undocumented(path.read_text(encoding="utf-8")):
                missing.append(f"{path.relative_to(REPO)}: {name}")
    assert missing == [], "add a numpydoc Parameters section:\n" + "\n".join(missing)
