"""Charts: a real CJK font, bars as long as their values, the target where it belongs.

The charts are drawn with Pillow (``maps.canvas``); these tests read the PNG's pixels back
and measure the bars against the values of hand-made indicator tables.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageFont

from carecircle.maps import canvas as canvas_module
from carecircle.maps.chart_axes import nice_ticks, tick_text
from carecircle.maps.charts import (
    BAR_COLOUR,
    MAX_COMMUNITY_BARS,
    S2_COLOUR,
    _label_angle,
    cjk_font,
    s1_chart,
    s2_chart,
)


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=int)


def _bands(mask: np.ndarray, axis: int) -> list[np.ndarray]:
    """Runs of consecutive indices along ``axis`` where ``mask`` has a pixel."""
    hit = np.flatnonzero(mask.any(axis=axis))
    if not len(hit):
        return []
    return np.split(hit, np.flatnonzero(np.diff(hit) > 1) + 1)


def _red_column(px: np.ndarray) -> int:
    red = (px[..., 0] > 150) & (px[..., 1] < 110) & (px[..., 2] < 110)
    return int(np.argmax(red.sum(axis=0)))


def _red_row(px: np.ndarray) -> int:
    red = (px[..., 0] > 150) & (px[..., 1] < 110) & (px[..., 2] < 110)
    return int(np.argmax(red.sum(axis=1)))


def _audit(community: pd.DataFrame, street: pd.DataFrame) -> Any:
    return SimpleNamespace(indicators={"community": community, "street": street})


def _communities(shares: list[float], target: float = 1.0) -> pd.DataFrame:
    n = len(shares)
    return pd.DataFrame(
        {
            "street": ["S1"] * n,
            "name": [f"社区{i}" for i in range(n)],
            "older_covered_share": shares,
            "s1_target": [target] * n,
        },
        index=pd.Index([f"C{i:03d}" for i in range(n)], name="code"),
    )


def _streets(values: list[float], residents: list[float] | None = None) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "name": [f"街道{i}" for i in range(n)],
            "floor_area_per_1000": values,
            "residents": residents or [1000.0] * n,
            "older_covered_share": [0.5] * n,
            "s2_target": [50.0] * n,
        },
        index=pd.Index([f"S{i}" for i in range(1, n + 1)], name="code"),
    )


def test_a_noto_cjk_font_is_used(demo_run: Path) -> None:
    path = cjk_font()
    if path is None and not os.environ.get("CI"):
        pytest.skip("fonts-noto-cjk not installed (make demo / make test install it)")
    assert path is not None
    assert "CJK" in Path(path).name
    font = canvas_module._font(path, 20)
    assert isinstance(font, ImageFont.FreeTypeFont)
    assert font.getname()[0] == "Noto Sans CJK SC"  # the Simplified Chinese face of the .ttc
    glyph = np.asarray(font.getmask("街"))
    missing = np.asarray(font.getmask("\U000f0000"))  # no glyph: the font's empty box
    assert glyph.any()
    assert glyph.shape != missing.shape or not np.array_equal(glyph, missing)
    png = demo_run / "charts" / "s1_by_community.png"
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("target", [1.0, 0.9])
def test_s1_bars_are_as_long_as_the_shares_and_the_target_line_is_at_the_target(
    tmp_path: Path, target: float
) -> None:
    shares = [0.25, 0.5, 1.0, 0.0, 0.8]
    path = s1_chart(_audit(_communities(shares, target), _streets([60.0])), tmp_path / "s1.png")
    px = _pixels(path)
    bar = (px == _hex(BAR_COLOUR)).all(axis=2)
    rows = _bands(bar, axis=1)
    assert len(rows) == 4  # the 0 % community has no bar
    left = int(np.flatnonzero(bar.any(axis=0)).min())
    ends = [int(np.flatnonzero(bar[band].any(axis=0)).max()) + 1 for band in rows]
    full = ends[-1]  # the 100 % community
    measured = [(end - left) / (full - left) for end in ends]
    # top to bottom by street, then from the lowest share (the 0 % one has no bar)
    assert measured == pytest.approx([0.25, 0.5, 0.8, 1.0], abs=0.004)
    tops = [int(band[0]) for band in rows]
    assert tops == sorted(tops)
    assert len({len(band) for band in rows}) == 1
    target_x = _red_column(px)
    assert (target_x + 0.5 - left) / (full - left) == pytest.approx(target, abs=0.006)


def test_s2_bars_are_as_tall_as_the_values_and_unknown_ones_are_marked(tmp_path: Path) -> None:
    values = [100.0, 25.0, float("nan"), 50.0]
    path = s2_chart(_audit(_communities([0.5]), _streets(values)), tmp_path / "s2.png")
    px = _pixels(path)
    bar = (px == _hex(S2_COLOUR)).all(axis=2)
    columns = _bands(bar, axis=0)
    assert len(columns) == 3  # no bar for the street without floor-area data
    base = int(np.flatnonzero(bar.any(axis=1)).max()) + 1
    heights = [base - int(np.flatnonzero(bar[:, band].any(axis=1)).min()) for band in columns]
    assert [h / heights[0] for h in heights] == pytest.approx([1.0, 0.25, 0.5], abs=0.01)
    target_y = _red_row(px)  # the 50 m² target line: as high as the 50 bar
    assert (base - target_y - 0.5) / heights[0] == pytest.approx(0.5, abs=0.01)
    # the third slot holds the grey "not assessed" note instead of a bar
    lefts = [int(band[0]) for band in columns]
    slot = (lefts[2] - lefts[0]) / 3
    middle = round(lefts[0] + 2 * slot + len(columns[0]) / 2)
    note = px[base - 200 : base, middle - 8 : middle + 8]
    grey = (abs(note - 0x55) < 40).all(axis=2) & (note.std(axis=2) < 4)
    assert grey.sum() > 30


def test_many_communities_give_one_row_per_street(tmp_path: Path) -> None:
    n = MAX_COMMUNITY_BARS + 10
    com = _communities([0.5] * n)
    com["street"] = ["S1" if i < n // 2 else "S2" for i in range(n)]
    path = s1_chart(_audit(com, _streets([60.0, 70.0])), tmp_path / "s1.png")
    px = _pixels(path)
    pale = (px == canvas_module.blend(BAR_COLOUR, 0.35)).all(axis=2)
    rows = [band for band in _bands(pale, axis=1) if len(band) > 20]  # not the legend's
    assert len(rows) == 2  # two street rows, not 160 bars
    assert px.shape[0] < 500


def test_without_a_cjk_font_the_charts_say_so_and_use_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(canvas_module, "cjk_font", lambda: None)
    drawn: list[str] = []
    real = canvas_module.Canvas.text

    def text(self: canvas_module.Canvas, x: float, y: float, s: str, *a: Any, **k: Any) -> None:
        drawn.append(s)
        real(self, x, y, s, *a, **k)

    monkeypatch.setattr(canvas_module.Canvas, "text", text)
    with caplog.at_level(logging.WARNING):
        s1_chart(_audit(_communities([0.5, 1.0]), _streets([60.0])), tmp_path / "s1.png")
    assert "fonts-noto-cjk" in caplog.text
    assert "C000" in drawn and not any("社区" in t for t in drawn)
    assert all(ord(ch) < 0x3000 for t in drawn for ch in t)


def test_charts_are_the_same_bytes_every_time(tmp_path: Path) -> None:
    audit = _audit(_communities([0.3, 0.6, 0.9]), _streets([40.0, 80.0]))
    a = s2_chart(audit, tmp_path / "a.png").read_bytes()
    b = s2_chart(audit, tmp_path / "b.png").read_bytes()
    assert a == b


def test_drawing_the_charts_does_not_import_matplotlib(tmp_path: Path) -> None:
    code = f"""
import sys
from types import SimpleNamespace
from pathlib import Path
import pandas as pd
from carecircle.maps.charts import s1_chart, s2_chart
com = pd.DataFrame({{"street": ["S1"], "name": ["a"], "older_covered_share": [0.5]}},
                   index=["C1"])
st = pd.DataFrame({{"name": ["s"], "floor_area_per_1000": [10.0], "residents": [5.0]}},
                  index=["S1"])
audit = SimpleNamespace(indicators={{"community": com, "street": st}})
s1_chart(audit, Path({str(tmp_path / "a.png")!r}))
s2_chart(audit, Path({str(tmp_path / "b.png")!r}))
assert "matplotlib" not in sys.modules, "matplotlib imported"
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0, 220.5) == [0, 50, 100, 150, 200]
    assert nice_ticks(0, 1.0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 12) == [0, 2.5, 5, 7.5, 10]
    assert [tick_text(v) for v in (0, 2.5, 1200)] == ["0", "2.5", "1,200"]


def test_street_names_turn_only_as_far_as_they_must() -> None:
    assert _label_angle([(40.0, 12.0)], slot=110.0) == 20.0  # side by side, a slight turn
    assert _label_angle([(48.0, 12.0)], slot=33.0) > 20.0  # crowded: steeper
    assert _label_angle([(48.0, 12.0)], slot=5.0) == 90.0
