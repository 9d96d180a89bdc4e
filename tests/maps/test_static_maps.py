"""Static street maps: one legend per audit, drawn once; study-wide dots; workers change nothing.

The maps are drawn with Pillow (``maps.canvas``); an audit imports no matplotlib.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

from carecircle.maps import static_maps
from carecircle.maps.canvas import Canvas
from carecircle.maps.png import Stamp, png_bytes, stamp
from carecircle.maps.static_layers import draw_facilities, draw_layers, facility_style, map_frame
from carecircle.maps.static_legend import DPI, FIGSIZE_IN, MAP_BOX, label, map_area_px
from carecircle.maps.static_maps import (
    drawn_only,
    map_series,
    render_static_maps,
    street_png,
)
from carecircle.vocabulary import FACILITY_TYPES

from mini_district import MiniRun

if TYPE_CHECKING:
    from carecircle.analysis.audit import Audit


def graded(audit: Audit) -> Audit:
    """The mini district with uncovered older per cell: 10 in W; 40 in E's first, 20 in the rest.

    Covered cells keep their 25 (not drawn: they do not set the dots' scale).
    """
    cells = audit.cells.copy()
    gaps = ~cells["covered"].to_numpy() & (cells["older_residents"].to_numpy() > 0)
    west = gaps & (cells["street"].to_numpy(dtype=object) == "W")
    east = np.flatnonzero(gaps & (cells["street"].to_numpy(dtype=object) == "E"))
    older = cells["older_residents"].to_numpy(dtype=float).copy()
    older[west] = 10.0
    older[east] = 20.0
    older[east[0]] = 40.0
    cells["older_residents"] = older
    return replace(audit, cells=cells)


@pytest.fixture(scope="module")
def audit(mini_run: MiniRun) -> Audit:
    return graded(mini_run.audit)


def test_mini_district_has_gaps_in_both_streets(audit: Audit) -> None:
    gaps = audit.cells[~audit.cells["covered"]]
    assert gaps.groupby("street").size().to_dict() == {"E": 15, "W": 8}


def test_dot_scale_is_the_audits_fullest_uncovered_cell(audit: Audit) -> None:
    series = map_series(audit)
    assert series.dot_max == 40.0  # not W's own 10: a dot means the same count on every map
    assert any("max 40/cell" in text for text in series.labels)


@pytest.mark.parametrize(
    ("code", "sizes"),
    [("W", {4 + 60 * 10 / 40: 8}), ("E", {4 + 60 * 20 / 40: 14, 4 + 60 * 40 / 40: 1})],
)
def test_dot_areas_are_scaled_study_wide(audit: Audit, code: str, sizes: dict) -> None:
    drawn = drawn_only(audit)
    part = replace(drawn, cells=drawn.cells[drawn.cells["street"] == code])
    canvas = Canvas(*FIGSIZE_IN, DPI)
    frame = map_frame(static_maps._png_box(audit, code), map_area_px())
    dots = draw_layers(canvas, frame, part, code, dot_max=map_series(audit).dot_max)
    values, counts = np.unique(dots, return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == pytest.approx(sizes)


def test_every_map_gets_the_audits_dot_scale(
    audit: Audit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, float] = {}

    def spy(canvas: Canvas, frame: object, part: Audit, code: str, *, dot_max: float) -> None:
        seen[code] = dot_max
        draw_layers(canvas, frame, part, code, dot_max=dot_max)  # type: ignore[arg-type]

    monkeypatch.setattr(static_maps, "draw_layers", spy)
    render_static_maps(audit, tmp_path, workers=1)
    assert seen == {"W": 40.0, "E": 40.0}


def test_legend_lists_every_facility_type_of_the_audit(audit: Audit) -> None:
    cjk = Canvas(1, 1, DPI).cjk
    series = map_series(audit)
    types = [t for t in FACILITY_TYPES if t in {"service_station", "day_care", "health_station"}]
    expected = [label(*FACILITY_TYPES[t], cjk) for t in types]
    assert series.labels[:3] == ("S1 0%", "S1 50%", "S1 100%")
    assert series.labels[3] == label("无人口", "no residents", cjk)
    assert series.labels[4].endswith("uncovered older (max 40/cell)")
    assert list(series.labels[5:]) == expected


def test_legend_names_a_type_the_street_does_not_show(audit: Audit) -> None:
    # the day-care centre F2 is in E, off W's map: W's legend still names it (one series)
    canvas = Canvas(*FIGSIZE_IN, DPI)
    drawn = draw_facilities(
        canvas, map_frame(static_maps._png_box(audit, "W"), map_area_px()), audit
    )
    assert "day_care" not in drawn
    assert "service_station" in drawn
    assert facility_style("day_care")[1] != facility_style("service_station")[1]
    assert label(*FACILITY_TYPES["day_care"], canvas.cjk) in map_series(audit).labels


def test_legend_is_drawn_once_per_audit(
    audit: Audit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[object] = []
    draw = static_maps.legend_stamp

    def counting(entries: list) -> Stamp:
        drawn.append(entries)
        return draw(entries)

    monkeypatch.setattr(static_maps, "legend_stamp", counting)
    monkeypatch.setattr(static_maps, "STREETS_PER_JOB", 1)
    paths = render_static_maps(audit, tmp_path, workers=1)
    assert len(paths) == 2
    assert len(drawn) == 1


def test_street_png_shows_the_legend_image_where_it_belongs(audit: Audit, tmp_path: Path) -> None:
    series = map_series(audit)
    paths = render_static_maps(audit, tmp_path, workers=1)
    legend = series.legend
    rows, cols = legend.pixels.shape[:2]
    assert rows > 100 and cols > 100  # 8 entries of 7-point text
    assert bool((legend.pixels[..., 3] == 255).all())  # opaque: put on the map as it is
    for path in paths.values():
        image = np.asarray(Image.open(path).convert("RGB"))
        window = image[legend.top_px : legend.top_px + rows, legend.left_px : legend.left_px + cols]
        np.testing.assert_array_equal(window, legend.pixels[..., :3])
    # beside the map box's top-right corner (a gap, the legend's pad, a pixel of margin)
    corner_x = (MAP_BOX[0] + MAP_BOX[2]) * FIGSIZE_IN[0] * DPI
    corner_top = (1 - MAP_BOX[1] - MAP_BOX[3]) * FIGSIZE_IN[1] * DPI
    assert 0 < legend.left_px - corner_x < 12
    assert 0 <= legend.top_px - corner_top < 8


def test_pngs_are_the_same_for_one_or_two_workers(
    audit: Audit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(static_maps, "STREETS_PER_JOB", 1)  # two tasks: E drawn in a worker
    forked: list[int] = []
    run = static_maps.run_forked

    def counting(*args: object, workers: int, **kwargs: object) -> list[Path]:
        forked.append(workers)
        return run(*args, workers=workers, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(static_maps, "run_forked", counting)
    one = render_static_maps(audit, tmp_path / "one", workers=1)
    two = render_static_maps(audit, tmp_path / "two", workers=2)
    assert forked == [1, 2]
    assert [p.name for p in one.values()] == [p.name for p in two.values()]
    for a, b in zip(one.values(), two.values(), strict=True):
        assert a.read_bytes() == b.read_bytes()
    # and the same as each street drawn alone from the whole audit, on a figure of its own
    series = map_series(audit)
    for code, path in one.items():
        alone = street_png(audit, code, tmp_path / f"alone-{code}.png", series=series)
        assert alone.read_bytes() == path.read_bytes()


def test_stamp_on_an_opaque_picture_copies_or_blends_colours() -> None:
    picture = np.full((2, 3, 3), 255, dtype=np.uint8)
    opaque = Stamp(np.array([[[1, 2, 3, 255]]], dtype=np.uint8), left_px=0, top_px=1)
    half = Stamp(np.array([[[255, 0, 0, 128]]], dtype=np.uint8), 2, 0)
    stamp(picture, [opaque, half])
    assert picture[1, 0].tolist() == [1, 2, 3]
    assert picture[0, 2].tolist() == [255, 127, 127]
    assert int((picture != 255).any(axis=2).sum()) == 2


def test_an_audit_imports_no_matplotlib(tmp_path: Path) -> None:
    """Charts and static maps are drawn with Pillow: the audit never pays matplotlib's import."""
    code = f"""
import sys
from pathlib import Path
from mini_district import write_mini_study
from carecircle.scripts.cli import main
study = write_mini_study(Path({str(tmp_path / "in")!r}))
assert main(["audit", str(study), "--out", {str(tmp_path / "out")!r}, "-q"]) == 0
assert "matplotlib" not in sys.modules, "matplotlib imported"
"""
    tests = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": tests}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert len(list((tmp_path / "out" / "maps" / "png").glob("*.png"))) == 2
    assert (tmp_path / "out" / "report.docx").is_file()


def test_stamp_replaces_opaque_and_blends_translucent_pixels() -> None:
    picture = np.full((4, 5, 4), 255, dtype=np.uint8)
    opaque = Stamp(np.array([[[1, 2, 3, 255]]], dtype=np.uint8), left_px=1, top_px=2)
    half = Stamp(np.array([[[255, 0, 0, 128], [0, 0, 0, 0]]], dtype=np.uint8), 3, 0)
    stamp(picture, [opaque, half])
    assert picture[2, 1].tolist() == [1, 2, 3, 255]
    assert picture[0, 3].tolist() == [255, 127, 127, 255]  # 255·(1 - 128/255) = 127
    assert picture[0, 4].tolist() == [255, 255, 255, 255]  # transparent: unchanged
    assert int((picture != 255).any(axis=2).sum()) == 2
    with pytest.raises(ValueError, match="off the picture"):
        stamp(picture, [Stamp(np.zeros((2, 2, 4), dtype=np.uint8), 4, 0)])
    with pytest.raises(ValueError, match="off the picture"):  # not wrapped around to the end
        stamp(picture, [Stamp(np.zeros((1, 1, 4), dtype=np.uint8), -1, 0)])


@pytest.mark.parametrize("channels", [3, 4])
def test_png_bytes_read_back_as_the_same_pixels_and_dpi(channels: int) -> None:
    rng = np.random.default_rng(13)
    pixels = rng.integers(0, 256, (9, 14, channels), dtype=np.uint8)
    data = png_bytes(pixels, dpi=110)
    assert data == png_bytes(pixels.copy(), dpi=110)  # no time or state in the file
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.mode == ("RGB", "RGBA")[channels - 3]
    np.testing.assert_array_equal(np.asarray(image), pixels)
    assert image.info["dpi"] == pytest.approx((110.0, 110.0), abs=0.01)  # 4,331 px/m
    assert image.info["Software"] == "carecircle (matplotlib)"
    with pytest.raises(ValueError, match="uint8 RGB or RGBA"):
        png_bytes(pixels.astype(float), dpi=110)
