"""The indicator registry: an indicator registered from this module alone appears everywhere.

Also: no indicator ID is written outside its definition (a grep over the package's code).
"""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

import carecircle as cc
from carecircle.analysis.indicators import (
    REGISTRY,
    CellWalk,
    Indicator,
    IndicatorContext,
    Param,
    Registry,
    checked_profile,
    register,
)
from carecircle.analysis.indicators.base import result
from carecircle.errors import ProfileError
from carecircle.profiles import IndicatorSpec, load_profile

from mini_district import MiniDistrict, write_mini_study

REPO = Path(__file__).resolve().parents[1]


def s10_formula(ctx: IndicatorContext, spec: IndicatorSpec, level: str) -> pd.DataFrame:
    """Share of older residents within a short walk of the listed types (the S10 example)."""
    key = ctx.key(ctx.cells, level)
    older = ctx.cells["older_residents"].groupby(key).sum().reindex(ctx.units(level), fill_value=0)
    near = ctx.cells["older_residents"].where(ctx.cells["covered_S10"], 0.0)
    covered = near.groupby(key).sum().reindex(ctx.units(level), fill_value=0)
    share = (covered / older).where(older > 0)
    target = float(spec.target or 0.0)
    gap = np.maximum(np.ceil(target * older - covered - 1e-6), 0.0)
    return result(share.index, share, target, share >= target - 1e-9, gap, applicable=older > 0)


S10 = Indicator(
    "S10",
    "五分钟站点覆盖率",
    "older residents within a 5-minute walk of a station",
    "share",
    "older residents",
    s10_formula,
    default_types=("service_station", "day_care"),
    params=(Param("facility_types", "types"), Param("minutes", "number", 5.0, 0.0, 120.0)),
    target_range=(0.0, 1.0),
    walks=(CellWalk("minutes"),),
    display="share",
)


@pytest.fixture(scope="module")
def s10_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, cc.AuditResult]:
    folder = tmp_path_factory.mktemp("s10")
    district = MiniDistrict()
    study_path = write_mini_study(folder, district)
    base = Path(load_profile(district.profile).path).read_text(encoding="utf-8")
    (folder / "with-s10.toml").write_text(
        base + '\n[indicators.S10]\ntarget = 1.0\nminutes = 4.0\nsource = "test"\n',
        encoding="utf-8",
    )
    text = study_path.read_text(encoding="utf-8")
    study_path.write_text(
        text.replace(f'profile = "{district.profile}"', 'profile = "with-s10.toml"'),
        encoding="utf-8",
    )
    with register(S10):
        res = cc.audit(study_path)
        cc.write(res, folder / "out")
    assert "S10" not in REGISTRY  # the handle removed it again
    return folder / "out", res


def test_s10_in_the_tables(s10_run: tuple[Path, cc.AuditResult]) -> None:
    out, res = s10_run
    for level in ("community", "street"):
        table = pd.read_csv(out / f"indicators_by_{level}.csv")
        assert {"s10_value", "s10_target", "s10_met", "s10_gap", "s10_status"} <= set(table)
    district = res.indicators("district").iloc[0]
    # 4 minutes to stations and day care is inside the 15-minute circle of the same types
    assert 0.0 <= district["s10_value"] <= district["older_covered_share"] + 1e-12
    cells = res.audit.cells[res.audit.cells["community"] != ""]
    expected = cells.loc[cells["covered_S10"], "older_residents"].sum() / (
        cells["older_residents"].sum()
    )
    assert district["s10_value"] == pytest.approx(expected)
    assert (cells["distance_m"][cells["covered_S10"]] <= 240.0 + 1e-6).all()


def test_s10_in_the_workbooks_gpkg_maps_catalogue(s10_run: tuple[Path, cc.AuditResult]) -> None:
    out, _ = s10_run
    book = openpyxl.load_workbook(out / "indicators.xlsx")
    headers = [str(c.value) for ws in book.worksheets for c in next(ws.iter_rows(max_row=1))]
    assert any(h.startswith("S10") for h in headers)
    under = pd.read_csv(out / "underserved_communities.csv")
    assert under["failed"].str.contains("S10").any()  # target 100 % in 4 minutes fails
    book = openpyxl.load_workbook(out / "underserved_communities.xlsx")
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert any("S10 五分钟站点覆盖率" in c for c in cells)
    layer = pyogrio.read_dataframe(out / "indicators.gpkg", layer="communities")
    assert "s10_status" in layer.columns
    html = "".join(p.read_text(encoding="utf-8") for p in (out / "maps").glob("*.html"))
    name = "S10 五分钟站点覆盖率"  # in the GeoJSON as it is, or \\u-escaped
    escaped = name.encode("ascii", "backslashreplace").decode()
    pattern = f"(?:{re.escape(name)}|{re.escape(escaped)})" + r": \d+\.\d%"
    assert re.search(pattern, html)  # a share shows as a percentage
    catalogue = pd.read_csv(out / "indicator_catalogue.csv").set_index("id")
    assert catalogue.loc["S10", "name_en"] == S10.name_en
    assert catalogue.loc["S10", "params"] == "minutes=4.0"


def test_registration_is_reversible_and_checked() -> None:
    registry = Registry()
    handle = register(S10, registry)
    assert registry.ids() == ("S10",)
    with pytest.raises(ValueError, match="registered already"):
        registry.register(S10)
    handle.remove()
    assert registry.ids() == ()
    assert "S10" not in REGISTRY


def test_profile_checked_against_the_registry(tmp_path: Path) -> None:
    base = Path(load_profile("generic").path).read_text(encoding="utf-8")
    path = tmp_path / "mine.toml"
    path.write_text(base + "\n[indicators.S10]\ntarget = 0.5\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"unknown indicator \[indicators.S10\]"):
        checked_profile(load_profile(str(path)))
    with register(S10):
        spec = checked_profile(load_profile(str(path))).indicator("S10")
        assert spec.facility_types == ("service_station", "day_care")
        assert spec.param("minutes") == 5.0
    path.write_text(base + "\n[indicators.S10]\ntarget = 90\n", encoding="utf-8")
    with register(S10), pytest.raises(ProfileError, match="target = 90 is a share"):
        checked_profile(load_profile(str(path)))


def test_frozen_profile_is_hashable_and_immutable() -> None:
    profile = checked_profile(load_profile("shanghai"))
    assert hash(profile) == hash(checked_profile(load_profile("shanghai")))
    with pytest.raises(TypeError):
        profile.indicator("S8").params["minutes"] = 3.0  # type: ignore[index]
    with pytest.raises(TypeError):
        profile.indicators["S8"] = profile.indicator("S8")  # type: ignore[index]
    with pytest.raises(AttributeError):
        profile.minutes = 20.0  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(profile))  # process pools (maps, batch) send it
    assert copy == profile
    assert hash(copy) == hash(profile)


#: Files that may name indicator IDs in code, and why. The circle (S1) and the floor area
#: (S2) are the coverage columns the README documents: the maps colour by them, the terminal
#: summary and the siting before/after tables print them by name.
ALLOWED = {
    "analysis/coverage.py": {"S2"},
    "analysis/audit.py": {"S1", "S2"},  # by_street/by_community keep the coverage columns
    "analysis/siting/site.py": {"S1", "S2"},
    "analysis/siting/tables.py": {"S1", "S2"},
    "analysis/siting/notes.py": {"S2"},  # the capacity notes name the floor-area target
    "maps/layers.py": {"S1", "S2"},
    "maps/gap_maps.py": {"S1", "S2"},
    "maps/batch_map.py": {"S1"},
    "maps/charts.py": {"S1", "S2"},
    "maps/style.py": {"S1", "S2"},
    "maps/report_docx.py": {"S1", "S2"},  # the report names the circle and the floor area
    "maps/static_maps.py": {"S1"},  # static maps colour communities by S1
    "scripts/commands.py": {"S1", "S2"},
    "scripts/batch_commands.py": {"S1", "S2"},
    "geo/facility_values.py": {"S2", "A1", "A2", "A3"},  # which indicators a missing column costs
    "data/district/__init__.py": {"S1", "S2", "S3"},  # gaps.json: the demo's planted gaps, as docs
}
ID = re.compile(r"(?<![A-Za-z0-9])([SA]C?[1-9][0-9]?)(?![0-9])|\b([sa]c?[1-9][0-9]?)_")


def _ids_in_code(path: Path) -> set[str]:
    """Indicator IDs in the string constants of a module (docstrings excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        scope = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        if isinstance(node, scope) and node.body and isinstance(node.body[0], ast.Expr):
            docs.add(id(node.body[0].value))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            found |= {(a or b).upper() for a, b in ID.findall(node.value)}
    return found


def test_no_indicator_id_outside_its_definition() -> None:
    bad = []
    for folder in ("core", "geo", "analysis", "maps", "scripts", "data"):
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if rel.startswith("analysis/indicators/"):
                continue  # the definitions
            extra = _ids_in_code(path) - ALLOWED.get(rel, set())
            if extra:
                bad.append(f"{rel}: {sorted(extra)}")
    assert bad == []
