"""Accessibility scores (AC1, AC2, any indicator with a per-cell score) as map layers.

Each enabled indicator that writes a score per cell (a ``ScoreWalk`` of the registry, read
from ``audit.definitions``) gets one layer, hidden by default: the street's populated cells
coloured by their score in a few classes, neighbouring cells of a class merged into one patch
(:func:`carecircle.maps.patches.class_patches`), cells without a score (``not assessed``)
in grey. The classes are fixed by the district's value of the indicator (the demand-weighted
mean the audit computed): 0, up to half of it, up to it, up to twice it, above. The scores
are the audit's; nothing is computed here but the class of each cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carecircle.maps.geojson import GeoJsonSpec, geojson_spec
from carecircle.maps.patches import class_patches
from carecircle.maps.street_jobs import score_columns  # there: the jobs need it, without folium
from carecircle.maps.style import esc

if TYPE_CHECKING:  # maps receive the result; they import nothing of analysis at run time
    from carecircle.analysis.audit import Audit
    from carecircle.analysis.indicators import Indicator


#: Fill of the classes, lowest first (0, ≤ ½ district, ≤ district, ≤ 2 × district, above).
SCORE_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # YlGnBu
#: Fill of the cells whose score is not assessed (capacity unknown).
NOT_ASSESSED_COLOUR = "#9E9E9E"
NOT_ASSESSED_LABEL = "未评估 not assessed"


@dataclass(frozen=True)
class ScoreClasses:
    """The classes of one indicator's layer: upper bounds, labels, colours.

    Attributes
    ----------
    edges : tuple of float
        Upper bounds of the classes after the first (0) and before the last (open).
    labels : tuple of str
        One label per class, with the values and the unit.
    district : str
        The district's value as shown (the breaks are ½, 1 and 2 times it).
    """

    edges: tuple[float, ...]
    labels: tuple[str, ...]
    district: str = "—"

    @property
    def colours(self) -> tuple[str, ...]:
        """Fill of each class (the palette's first ones, its darkest last)."""
        return (*SCORE_COLOURS[: len(self.labels) - 1], SCORE_COLOURS[-1])

    def of(self, scores: np.ndarray) -> np.ndarray:
        """Return each score's class (0 for none within reach, -1 for not assessed)."""
        scores = np.asarray(scores, dtype=np.float64)
        k = np.searchsorted(np.asarray(self.edges, dtype=np.float64), scores, side="left") + 1
        k = np.where(scores <= 0, 0, k)
        return np.where(np.isnan(scores), -1, k).astype(np.int64)


def score_classes(definition: Indicator, district_value: float) -> ScoreClasses:
    """Return the classes: 0, then by the district's value (½, 1, 2 times it), then above.

    Parameters
    ----------
    definition : Indicator
        The indicator (for its unit and the display of values).
    district_value : float
        The indicator's value for the whole district; when unknown or 0, one class above 0.

    Returns
    -------
    ScoreClasses
        The classes and their labels.
    """
    zero = "0 无可达供给 none within reach"
    if not np.isfinite(district_value) or district_value <= 0:
        return ScoreClasses((), (zero, "> 0"))
    edges = (0.5 * district_value, district_value, 2.0 * district_value)
    shown = [_number(definition, e) for e in edges]
    labels = (
        zero,
        f"0 – {shown[0]} (≤ ½ 全区 district)",
        f"{shown[0]} – {shown[1]} (≤ 全区 district)",
        f"{shown[1]} – {shown[2]} (≤ 2 × 全区 district)",
        f"> {shown[2]} (> 2 × 全区 district)",
    )
    return ScoreClasses(edges, labels, definition.show(district_value))


def _number(definition: Indicator, value: float) -> str:
    """Return a break as the legend shows it, without the unit (given once, in the title)."""
    if definition.display == "share":
        return definition.show(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@dataclass(frozen=True)
class ScoreLayer:
    """One indicator's layer and its legend entry."""

    spec: GeoJsonSpec
    legend: str


def score_layer_name(definition: Indicator) -> str:
    """Return the layer's name in the layer control (``AC1 … 可达性评分 score``)."""
    return f"{definition.id} {definition.name_zh} 评分 score"


def score_specs(audit: Audit, street: str) -> list[ScoreLayer]:
    """Return one layer per enabled score indicator for the street's populated cells.

    Parameters
    ----------
    audit : Audit
        The audit's results (or the street's part of them).
    street : str
        The street's code.

    Returns
    -------
    list of ScoreLayer
        Empty when no score indicator is enabled or the street has no populated cell.
    """
    columns = score_columns(audit)
    if not columns:
        return []
    cells = audit.cells
    mask = ((cells["street"] == street) & (cells["older_residents"] > 0)).to_numpy()
    if not mask.any():
        return []
    mine, squares = cells[mask], audit.cell_squares[mask]
    district = audit.indicators["district"].iloc[0]
    layers = []
    for definition, column in columns:
        value = district.get(f"{definition.prefix}value", np.nan)
        classes = score_classes(definition, float(value) if pd.notna(value) else np.nan)
        scores = mine[column].to_numpy()
        layers.append(_score_layer(definition, classes, mine, squares, scores, audit.cell_crs))
    return layers


def _score_layer(
    definition: Indicator,
    classes: ScoreClasses,
    cells: pd.DataFrame,
    squares: np.ndarray,
    scores: np.ndarray,
    crs: str,
) -> ScoreLayer:
    """Merge the cells of each class into patches; return the layer and its legend."""
    of = classes.of(scores)
    keys = [
        *zip(classes.labels, classes.colours, strict=True),
        (NOT_ASSESSED_LABEL, NOT_ASSESSED_COLOUR),
    ]
    # class -1 (not assessed) last: every class's patches at once, class by class
    patches, patch_class = class_patches(cells, squares, np.where(of < 0, len(keys) - 1, of), crs)
    head = f"{esc(definition.id)} "
    tail = f" ({esc(definition.unit)}) · 老年人 older residents "
    texts = [(colour, f"{head}{esc(label)}{tail}") for label, colour in keys]
    props: list[dict[str, Any]] = [
        {"fill": texts[k][0], "cells": n, "label": f"{texts[k][1]}{o:,.0f} · {n:,} 格 cells"}
        for k, o, n in zip(
            patch_class.tolist(), patches.older.tolist(), patches.cells.tolist(), strict=True
        )
    ]
    spec = geojson_spec(
        patches.geometry,
        props,
        simplify_deg=0.0,
        name=score_layer_name(definition),
        style={"color": "#555555", "weight": 0, "fillOpacity": 0.7},
        tooltip=True,
        show=False,
    )
    return ScoreLayer(spec, _legend(definition, classes))


def _legend(definition: Indicator, classes: ScoreClasses) -> str:
    """Return the legend entry of one indicator's layer (names, unit, classes, grey).

    A ``<details>`` block, closed: the layer is off when the map opens.
    """
    rows = "".join(
        f'<br><span style="display:inline-block;width:14px;height:10px;background:{colour};'
        f'border:1px solid #777;vertical-align:-1px"></span> {esc(label)}'
        for label, colour in [
            *zip(classes.labels, classes.colours, strict=True),
            (NOT_ASSESSED_LABEL, NOT_ASSESSED_COLOUR),
        ]
    )
    return (
        f"<details><summary><b>{esc(definition.id)} {esc(definition.name_zh)}</b> 评分图层 "
        "score layer (默认隐藏 off by default)</summary>"
        f"{esc(definition.name_en)} · 单位 unit: {esc(definition.unit)} · 全区 district "
        f"{esc(classes.district)}{rows}</details>"
    )
