"""The layout's rules: imports go downward only, and one import name is installed."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: folder -> carecircle subpackages it must not import
FORBIDDEN = {
    "core": ("geo", "analysis", "maps", "outputs", "scripts"),
    "geo": ("analysis", "maps", "outputs", "scripts"),
    "analysis": ("maps", "outputs", "scripts"),
    "maps": ("outputs", "scripts"),
    "outputs": ("scripts",),
}
#: every folder that installs as part of the package
FOLDERS = ("core", "geo", "analysis", "maps", "outputs", "scripts", "data")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


#: The one documented path upward from core: the public API (docs/api.md), which
#: ``carecircle.__getattr__`` imports by name on first use (PEP 562): ``api.py`` and the
#: per-year siting it re-exports (``api_yearly.py``, imported by ``api.py`` only).
API_MODULES = (REPO / "core" / "api.py", REPO / "core" / "api_yearly.py")


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported at run time (``if TYPE_CHECKING:`` blocks left out), anywhere."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def _modules() -> dict[str, Path]:
    """Import name -> file of every module of the installed package."""
    roots = {"core": "carecircle", "geo": "carecircle.geo", "analysis": "carecircle.analysis"}
    roots |= {"maps": "carecircle.maps", "outputs": "carecircle.outputs"}
    roots |= {"scripts": "carecircle.scripts", "data": "carecircle.data"}
    out = {}
    for folder, package in roots.items():
        for path in (REPO / folder).rglob("*.py"):
            parts = list(path.relative_to(REPO / folder).with_suffix("").parts)
            out[".".join([package, *(p for p in parts if p != "__init__")])] = path
    return out


def test_no_import_cycle() -> None:
    """No module imports one that imports it back (also through function-level imports)."""
    modules = _modules()
    graph = {
        name: {d for d in _runtime_imports(path) if d in modules and d != name}
        for name, path in modules.items()
    }
    cycles = []
    for name, deps in graph.items():
        seen, todo = set(), list(deps)
        while todo:
            dep = todo.pop()
            if dep == name:
                cycles.append(name)
                break
            if dep not in seen:
                seen.add(dep)
                todo.extend(graph[dep])
    assert cycles == []


#: Private names still imported across modules: geo/ is being reworked on another branch
#: (network readers); rename to a public name there.
PRIVATE_IMPORTS_LEFT: set[str] = set()


def test_no_private_name_imported_across_modules() -> None:
    bad = []
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "carecircle"
                ):
                    bad += [
                        f"{path.relative_to(REPO)}: {node.module}.{a.name}"
                        for a in node.names
                        if a.name.startswith("_") and a.name != "__version__"
                    ]
    assert set(bad) <= PRIVATE_IMPORTS_LEFT, sorted(set(bad) - PRIVATE_IMPORTS_LEFT)


def test_demo_data_package_used_by_one_layer() -> None:
    """carecircle.data (the demo generator) is imported by the command line only."""
    users = set()
    for folder in FOLDERS[:-1]:
        for path in (REPO / folder).rglob("*.py"):
            if any(n.startswith("carecircle.data") for n in _runtime_imports(path)):
                users.add(folder)
    assert users <= {"scripts"}


def test_maps_import_nothing_of_analysis() -> None:
    """Maps render the result they are given; ``Audit`` is named for type checkers only."""
    found = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / "maps").rglob("*.py"))
        for name in _runtime_imports(path)
        if name.startswith("carecircle.analysis")
    ]
    assert found == []


#: Calls that change global state when run at import time.
SIDE_EFFECTS = ("use", "basicConfig", "addHandler", "setLevel", "rc", "filterwarnings")


def test_no_import_time_side_effects() -> None:
    bad = []
    for folder in FOLDERS[:-1]:
        for path in sorted((REPO / folder).rglob("*.py")):
            for stmt in ast.parse(path.read_text(encoding="utf-8")).body:
                for node in ast.walk(stmt):
                    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                        break
                    call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    if call and node.func.attr in SIDE_EFFECTS:  # type: ignore[union-attr]
                        bad.append(f"{path.relative_to(REPO)}:{node.lineno}")
                    if isinstance(node, ast.Subscript) and "rcParams" in ast.unparse(node.value):
                        bad.append(f"{path.relative_to(REPO)}:{node.lineno} rcParams")
    assert bad == []


def test_import_carecircle_leaves_matplotlib_alone() -> None:
    """No style set by importing the maps and the CLI (reading rcParams resolves the backend
    and imports pyplot, so only the values are compared; mpl.use is caught above)."""
    code = (
        "import sys, matplotlib\n"
        "before = dict(matplotlib.rcParams.items())\n"
        "import carecircle.maps.charts, carecircle.scripts.cli\n"
        "print(dict(matplotlib.rcParams.items()) == before)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"]


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_go_downward_only(folder: str) -> None:
    bad = []
    for path in sorted((REPO / folder).rglob("*.py")):
        if path in API_MODULES:
            continue  # the top-level API (see API_MODULES)
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
    for folder in FOLDERS:
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO).as_posix()
            assert rel in mapping.values(), f"{rel} is a package missing from pyproject.toml"


def test_two_audits_keep_their_own_warnings() -> None:
    """Two run records capturing at once (two threads, interleaved) keep their own warnings."""
    import logging
    import threading

    from carecircle.analysis.stages import RunRecord

    log = logging.getLogger("carecircle.test")
    records = [RunRecord(), RunRecord()]
    turns = [threading.Event() for _ in range(4)]

    def run(k: int) -> None:
        with records[k].capture_warnings():
            for step in range(k, 4, 2):  # record 0 logs at turns 0, 2; record 1 at 1, 3
                if step:
                    turns[step - 1].wait(5)
                log.warning("audit %d step %d", k, step)
                turns[step].set()

    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert records[0].warnings == ["audit 0 step 0", "audit 0 step 2"]
    assert records[1].warnings == ["audit 1 step 1", "audit 1 step 3"]
    assert not any(type(h).__name__ == "_Keeper" for h in logging.getLogger("carecircle").handlers)
