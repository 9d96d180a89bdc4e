"""Charts use a real CJK font (Chinese labels are not drawn as boxes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from carecircle.maps.charts import cjk_font


def test_a_noto_cjk_font_is_used(demo_run: Path) -> None:
    path = cjk_font()
    if path is None and not os.environ.get("CI"):
        pytest.skip("fonts-noto-cjk not installed (make demo / make test install it)")
    assert path is not None
    assert "CJK" in Path(path).name
    from matplotlib.font_manager import FontProperties, get_font

    font = get_font(path)
    assert font.get_char_index(ord("街")) != 0  # the glyph exists: no box
    assert "CJK" in FontProperties(fname=path).get_name()
    png = demo_run / "charts" / "s1_by_community.png"
    assert png.stat().st_size > 10_000
