"""The audit's service areas, drawn from the cells' snap to the indicators: as if at once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import numpy as np
import pytest
import shapely

from carecircle.analysis import audit as audit_module
from carecircle.analysis import inputs as inputs_module
from carecircle.analysis.audit import Audit, audit_study
from carecircle.analysis.circles import subset
from carecircle.analysis.stages import StageInterrupted
from carecircle.analysis.walks import service_areas
from carecircle.config import load_study
from carecircle.geo import service_area_workers

from mini_district import MiniRun, write_mini_study


@pytest.fixture(scope="module")
def mini(mini_run: MiniRun) -> Audit:
    return mini_run.audit


def test_service_areas_equal_the_ones_drawn_in_this_process(mini: Audit) -> None:
    fac = mini.facilities
    sources = subset(mini.facility_snap, fac["counts_for_circle"].to_numpy())
    at_once = service_areas(
        mini.network,
        fac,
        mini.facility_snap,
        mini.node_distances,
        sources,
        mini.study,
        workers=1,
    )
    got = mini.service_areas
    assert len(got) == len(at_once) > 0
    assert got["group"].nunique() >= 3  # the circle and each facility type of it
    assert list(got["group"]) == list(at_once["group"])
    assert list(got["minutes"]) == list(at_once["minutes"])
    assert list(shapely.to_wkb(got.geometry.to_numpy())) == list(
        shapely.to_wkb(at_once.geometry.to_numpy())
    )


def test_the_stages_count_the_service_areas_after_the_indicators(mini: Audit) -> None:
    stages = list(mini.record.stages)
    assert stages.index("indicators") < stages.index("service areas")
    assert stages.count("service areas") == 1
    assert multiprocessing.active_children() == []  # the workers are gone


def _boom(*args: object, **kwargs: object) -> np.ndarray:
    raise ValueError("layer cannot be drawn")


def test_an_error_in_a_service_area_worker_stops_the_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = load_study(write_mini_study(tmp_path))
    monkeypatch.setattr(service_area_workers, "layer_pieces", _boom)  # the workers inherit it
    with pytest.raises(ValueError, match="layer cannot be drawn"):
        audit_study(study)
    assert multiprocessing.active_children() == []


def _interrupted(*args: object, **kwargs: object) -> object:
    assert len(multiprocessing.active_children()) >= 1  # the service areas are being drawn
    raise KeyboardInterrupt


def _stopped_stage(tmp_path: Path) -> str:
    """Audit the mini study, which a patched step stops; return the stage it stopped in."""
    study = load_study(write_mini_study(tmp_path))
    with pytest.raises(StageInterrupted) as info:
        audit_study(study)
    assert multiprocessing.active_children() == []  # every worker stopped
    return info.value.stage


def _slow_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every service-area layer take a second (the workers inherit it): on the mini
    study they would otherwise be done before the next stage begins."""
    draw = service_area_workers.layer_pieces

    def slow(*args: object, **kwargs: object) -> object:
        time.sleep(1.0)
        return draw(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service_area_workers, "layer_pieces", slow)


@pytest.mark.parametrize(
    ("stage", "module", "step"),
    [
        ("indicators", audit_module, "_indicators"),
        ("route", audit_module, "_route_circle"),
        ("snap", inputs_module, "_snap_cells"),
    ],
)
def test_ctrl_c_during_a_stage_stops_the_service_area_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, module: object, step: str
) -> None:
    _slow_layers(monkeypatch)
    monkeypatch.setattr(module, step, _interrupted)
    assert _stopped_stage(tmp_path) == stage  # and every worker stopped


def test_without_service_areas_nothing_is_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = load_study(write_mini_study(tmp_path))
    monkeypatch.setattr(audit_module, "_indicators", _no_workers(audit_module._indicators))
    lean = audit_study(study, with_service_areas=False)
    assert len(lean.service_areas) == 0 and "service areas" not in lean.record.stages


def _no_workers(indicators: object) -> object:
    def run(*args: object, **kwargs: object) -> object:
        assert multiprocessing.active_children() == []
        return indicators(*args, **kwargs)  # type: ignore[operator]

    return run


def _beside_one_worker(step: object) -> object:
    def run(*args: object, **kwargs: object) -> object:
        # the types' layers route themselves: one worker draws them while this one goes on
        assert len(multiprocessing.active_children()) == 1
        return step(*args, **kwargs)  # type: ignore[operator]

    return run


def test_the_types_layers_are_drawn_while_the_cells_are_snapped_and_routed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _slow_layers(monkeypatch)
    monkeypatch.setattr(inputs_module, "_snap_cells", _beside_one_worker(inputs_module._snap_cells))
    monkeypatch.setattr(
        audit_module, "_route_circle", _beside_one_worker(audit_module._route_circle)
    )
    monkeypatch.setattr(audit_module, "_indicators", _interrupted)  # the circle's worker too
    assert _stopped_stage(tmp_path) == "indicators"
