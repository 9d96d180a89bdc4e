"""The audit's result is typed and immutable; its stages build new frames, never change theirs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

import carecircle as cc
from carecircle.analysis import audit as audit_module
from carecircle.analysis.inputs import read_inputs
from carecircle.analysis.stages import RunRecord
from carecircle.config import load_study
from carecircle.json_values import json_number, json_value

from mini_district import write_mini_study


def _fingerprint(frame: pd.DataFrame) -> tuple[list[str], int]:
    """Columns and a hash of every value (index included) of a frame."""
    return list(frame.columns), int(pd.util.hash_pandas_object(frame, index=True).sum())


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> cc.AuditResult:
    return cc.audit(write_mini_study(tmp_path_factory.mktemp("mini")))


def test_fields_cannot_be_assigned(result: cc.AuditResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.cells = result.cells.head(1)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.audit.facilities = result.audit.facilities.head(1)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.audit.attribute_columns = frozenset()  # type: ignore[misc]
    with pytest.raises(TypeError):  # built by keyword only
        cc.AuditResult(result.study)  # type: ignore[misc, call-arg]


def test_tables_and_cells_are_typed_fields(result: cc.AuditResult) -> None:
    fields = {f.name for f in dataclasses.fields(cc.AuditResult)}
    assert {"by_street", "by_community", "district", "cells", "attribute_columns"} <= fields
    assert result.cells.crs is not None and result.cells.crs.to_epsg() == 4326
    assert len(result.cells) == len(result.audit.cells)
    cells = result.audit.cells  # each square holds its cell's centre
    assert shapely.contains_xy(result.cells.geometry.array, cells["lon"], cells["lat"]).all()
    assert list(result.indicators("district")["code"]) == list(result.district["code"])
    # the mini's facility file gives every numeric column but no A3-A6 attribute
    assert result.attribute_columns == frozenset({"floor_area_m2", "beds", "nursing_beds"})
    assert result.attribute_columns == result.audit.attribute_columns
    assert "attribute_columns" not in result.audit.facilities.attrs  # a field, not attrs


def test_the_cells_crs_is_a_field_not_attrs(result: cc.AuditResult) -> None:
    import rasterio

    with rasterio.open(result.study.residents) as src:  # the mini's population grid
        raster_wkt = src.crs.to_wkt()
    assert result.audit.cell_crs == raster_wkt
    assert result.audit.cells.attrs == {}  # nothing carried in pandas' attrs


def test_stages_do_not_mutate_their_inputs(tmp_path: Path) -> None:
    study = load_study(write_mini_study(tmp_path))
    from carecircle.analysis.indicators import checked_profile

    study = dataclasses.replace(study, profile=checked_profile(study.profile))
    inp = read_inputs(study, RunRecord())
    cells_before, fac_before = _fingerprint(inp.cells), _fingerprint(inp.facilities)
    args = (inp.network, inp.facilities, inp.facility_snap, inp.cell_snap, inp.cells, study)
    routed, _, _ = audit_module._route_circle(*args)
    assert _fingerprint(inp.cells) == cells_before
    assert {"distance_m", "covered", "nearest_facility"} <= set(routed.columns)
    routed_before = _fingerprint(routed)
    walked, fac = audit_module._further_circles(
        inp.network, inp.facilities, inp.facility_snap, inp.cell_snap, routed, study
    )
    assert _fingerprint(routed) == routed_before
    assert _fingerprint(inp.cells) == cells_before
    assert _fingerprint(inp.facilities) == fac_before
    assert any(c.startswith("covered_") for c in walked.columns)
    assert fac is not inp.facilities


def test_the_network_file_is_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from carecircle.geo import network_io

    study = write_mini_study(tmp_path / "in")
    network = load_study(study).network
    real, hashed = network_io.file_sha256, []

    def counting(path: Path) -> str:
        hashed.append(Path(path).resolve())
        return real(path)

    monkeypatch.setattr(network_io, "file_sha256", counting)
    for cache in ("first", "second"):  # a fresh cache, then a cache hit
        monkeypatch.setenv("CARECIRCLE_CACHE_DIR", str(tmp_path / "cache"))
        hashed.clear()
        result = cc.audit(study)
        assert hashed.count(Path(network).resolve()) == 1, cache
        assert result.inputs["network"]["sha256"] == real(Path(network))
        assert result.audit.record.counts["network_from_cache"] is (cache == "second")


def test_one_nan_to_null_helper() -> None:
    value = {"a": [np.float64("nan"), np.int64(3), np.bool_(True)], "b": (1.23456, float("inf"))}
    assert json_value(value) == {"a": [None, 3, True], "b": [1.23456, None]}
    assert json_value(value, 2)["b"] == [1.23, None]
    assert json_value(pd.NA) is None and json_value("x") == "x"
    assert json_number(np.float32(2.5)) == 2.5 and json_number(float("nan")) is None
