"""Accessibility score layers (AC1, AC2) on the street maps: names, classes, grey, none."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from carecircle.analysis.audit import Audit, audit_study
from carecircle.config import load_study
from carecircle.maps.gap_maps import render_maps
from carecircle.maps.score_layers import (
    NOT_ASSESSED_COLOUR,
    SCORE_COLOURS,
    score_columns,
    score_layer_name,
    score_specs,
)

from mini_district import MiniDistrict, MiniRun, write_mini_study


@pytest.fixture(scope="module")
def mini(mini_run: MiniRun) -> Audit:
    return mini_run.audit


def _in_html(text: str, html: str) -> bool:
    """Whether ``text`` is in the page, as written or JSON-escaped (the layer control)."""
    return text in html or json.dumps(text)[1:-1] in html


def _expected_class(scores: np.ndarray, district: float) -> np.ndarray:
    """The class of each score by hand: 0, ≤ ½ D, ≤ D, ≤ 2 D, above; -1 not assessed."""
    out = np.full(scores.shape, 4)
    out[scores <= 2 * district] = 3
    out[scores <= district] = 2
    out[scores <= district / 2] = 1
    out[scores == 0] = 0
    out[np.isnan(scores)] = -1
    return out


def _check_layers(audit: Audit, street: str) -> int:
    """Assert every populated cell of the street is in one class patch; return grey cells."""
    cells = audit.cells
    mask = ((cells["street"] == street) & (cells["older_residents"] > 0)).to_numpy()
    layers = score_specs(audit, street)
    assert [layer.spec.options["name"] for layer in layers] == [
        score_layer_name(d) for d, _ in score_columns(audit)
    ]
    grey = 0
    for (definition, column), layer in zip(score_columns(audit), layers, strict=True):
        assert layer.spec.options["show"] is False
        district = float(audit.indicators["district"].iloc[0][f"{definition.prefix}value"])
        want = _expected_class(cells.loc[mask, column].to_numpy(dtype=float), district)
        colours = [*SCORE_COLOURS, NOT_ASSESSED_COLOUR]  # index -1: grey
        got = dict.fromkeys(colours, 0)
        for prop in layer.spec.props:
            got[prop["fill"]] += prop["cells"]
        assert sum(got.values()) == mask.sum()  # every populated cell exactly once
        assert got == {colours[k]: int((want == k).sum()) for k in range(-1, 5)}
        grey += got[NOT_ASSESSED_COLOUR]
        # the patches cover the cells' squares, no more, no less, without overlapping
        squares = shapely.union_all(audit.cell_squares[mask])
        geoms = layer.spec.geoms
        assert sum(shapely.area(geoms)) == pytest.approx(squares.area, rel=1e-9)
        assert shapely.union_all(geoms).area == pytest.approx(squares.area, rel=1e-9)
        assert len(geoms) < mask.sum()  # neighbours of a class merged
        assert f"全区 district {definition.show(district)}" in layer.legend
    return grey


def test_each_enabled_score_has_a_hidden_layer_and_legend(mini: Audit, tmp_path: Path) -> None:
    assert [d.id for d, _ in score_columns(mini)] == ["AC1", "AC2"]
    paths = render_maps(mini, tmp_path, offline=True)
    street_maps = [p for p in paths if p.suffix == ".html" and p.name != "index.html"]
    assert len(street_maps) == 4  # two streets, two datums
    for path in street_maps:
        html = path.read_text(encoding="utf-8")
        for definition, _ in score_columns(mini):
            assert _in_html(score_layer_name(definition), html)
            assert _in_html(f"{definition.name_en} · 单位 unit: {definition.unit}", html)
        assert _in_html("未评估 not assessed", html)
    # deterministic: the same maps twice
    again = render_maps(mini, tmp_path / "again", offline=True)
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_classes_cover_every_populated_cell_once(mini: Audit) -> None:
    for street in mini.streets["code"]:
        assert _check_layers(mini, street) == 0  # every capacity is known
    # the scores vary: at least two classes are drawn in a street
    fills = {p["fill"] for p in score_specs(mini, "W")[0].spec.props}
    assert len(fills) >= 2


def test_cells_without_a_score_are_grey(mini: Audit) -> None:
    audit = copy.deepcopy(mini)
    cells = audit.cells
    west = np.flatnonzero(((cells["street"] == "W") & (cells["older_residents"] > 0)).to_numpy())
    cells.iloc[west[:5], cells.columns.get_loc("ac1_score")] = np.nan
    assert _check_layers(audit, "W") == 5
    grey = [p for p in score_specs(audit, "W")[0].spec.props if p["fill"] == NOT_ASSESSED_COLOUR]
    assert grey and all("未评估 not assessed" in p["label"] for p in grey)


def test_no_layer_when_the_profile_disables_the_scores(tmp_path: Path) -> None:
    study = write_mini_study(tmp_path / "in", MiniDistrict(profile="city-2022"))
    audit = audit_study(load_study(study))
    assert not {"AC1", "AC2"} & {d.id for d in audit.definitions}
    assert score_columns(audit) == []
    assert score_specs(audit, "W") == []
    for path in render_maps(audit, tmp_path / "maps", offline=True):
        if path.suffix == ".html":
            html = path.read_text(encoding="utf-8")
            assert "评分 score" not in html and "\\u8bc4\\u5206 score" not in html
            assert "not assessed" not in html


def test_cells_reached_by_a_facility_of_unknown_area_are_grey(tmp_path: Path) -> None:
    """No floor-area column: the cells a facility reaches are not assessed (AC1), grey."""
    district = MiniDistrict()
    district.facility_columns = tuple(c for c in district.facility_columns if c != "floor_area_m2")
    audit = audit_study(load_study(write_mini_study(tmp_path / "in", district)))
    populated = audit.cells["older_residents"] > 0
    unknown = audit.cells["ac1_score"].isna() & populated
    assert unknown.any() and (audit.cells.loc[populated, "ac1_score"] == 0).any()
    grey = sum(_check_layers(audit, street) for street in audit.streets["code"])
    assert grey == unknown.sum()  # AC2 (beds) is known everywhere
