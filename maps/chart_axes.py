"""The plotting box of a chart on a :class:`~carecircle.maps.canvas.Canvas`: scales, axes, legend.

A :class:`Plot` maps data values to pixels inside its box (left, top, right, bottom, in final
pixels): ``x(v)`` and ``y(v)`` are linear over ``xlim`` and ``ylim`` (``ylim`` may run
downwards, as a list of rows does: row 0 at the top). It draws what a bar chart needs and
nothing more: bars, reference lines, a frame with ticks and tick labels, axis titles, row
labels beside the box and a legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from carecircle.maps.canvas import Canvas

#: Tick marks and gaps, in points (matplotlib's defaults).
TICK_PT = 3.5
TICK_PAD_PT = 3.5
FRAME_COLOUR = "#000000"
#: Height of the legend's row above the box, in points.
LEGEND_ROW_PT = 11.0


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Return round tick values (1, 2, 2.5 or 5 × 10^k apart) from ``low`` to ``high``.

    Parameters
    ----------
    low, high : float
        The axis range (``high`` > ``low``).
    count : int, default 6
        About how many ticks.
    """
    span = max(high - low, 1e-12)
    raw = span / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + k * step, 10) for k in range(int((high - first) / step + 1e-9) + 1)]


def tick_text(value: float) -> str:
    """Return a tick label: ``20``, ``2.5``, ``1,200``."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


@dataclass(eq=False)
class Plot:
    """A plotting box on ``canvas`` with linear scales.

    Parameters
    ----------
    canvas : Canvas
        The picture.
    box : tuple of float
        Left, top, right, bottom of the box, in final pixels.
    xlim, ylim : tuple of float
        Data values at the left and right edges, and at the bottom and top edges.
    """

    canvas: Canvas
    box: tuple[float, float, float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def x(self, value: float | np.ndarray) -> float | np.ndarray:
        """Return the pixel column of data value(s) ``value``."""
        left, _, right, _ = self.box
        return left + (value - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * (right - left)

    def y(self, value: float | np.ndarray) -> float | np.ndarray:
        """Return the pixel row of data value(s) ``value``."""
        _, top, _, bottom = self.box
        return bottom - (value - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) * (bottom - top)

    def hbars(
        self, values: np.ndarray, colour: str | tuple[int, int, int], height: float = 0.8
    ) -> None:
        """Draw a horizontal bar from 0 to ``values[i]`` on row ``i`` (rows at y = 0, 1, …).

        Parameters
        ----------
        values : ndarray of float
            One value per row (none drawn at 0 or below).
        colour : str or tuple of int
            The bars' colour.
        height : float, default 0.8
            Bar height in rows.
        """
        zero = float(self.x(0.0))
        for row, value in enumerate(np.asarray(values, dtype=float)):
            if value > 0:
                y0, y1 = self.y(row - height / 2), self.y(row + height / 2)
                self.canvas.rect(zero, float(y0), float(self.x(value)), float(y1), fill=colour)

    def vbars(self, values: np.ndarray, colour: str, width: float = 0.8) -> None:
        """Draw a vertical bar from 0 to ``values[i]`` at x = i.

        Parameters
        ----------
        values : ndarray of float
            One value per column (none drawn at 0 or below, or NaN).
        colour : str
            The bars' colour.
        width : float, default 0.8
            Bar width in columns.
        """
        zero = float(self.y(0.0))
        for col, value in enumerate(np.asarray(values, dtype=float)):
            if value > 0:
                x0, x1 = self.x(col - width / 2), self.x(col + width / 2)
                self.canvas.rect(float(x0), zero, float(x1), float(self.y(value)), fill=colour)

    def rule(self, value: float, colour: str, *, across: str = "x", dashed: bool = True) -> None:
        """Draw a line across the box at a data value (a target).

        Parameters
        ----------
        value : float
            Where (a data value on the ``across`` axis).
        colour : str
            Its colour.
        across : {"x", "y"}, default "x"
            ``"x"``: a vertical line at x = ``value``; ``"y"``: a horizontal one at y = ``value``.
        dashed : bool, default True
            Dashed (a target) or solid.
        """
        left, top, right, bottom = self.box
        dash = (3.7, 1.6) if dashed else None
        if across == "x":
            x = float(self.x(value))
            self.canvas.line([(x, top), (x, bottom)], colour, dash_pt=dash)
        else:
            y = float(self.y(value))
            self.canvas.line([(left, y), (right, y)], colour, dash_pt=dash)

    def frame(self) -> None:
        """Draw the box's outline."""
        left, top, right, bottom = self.box
        self.canvas.rect(left, top, right, bottom, outline=FRAME_COLOUR, width_pt=0.8)

    def x_ticks(
        self, ticks: Sequence[float], labels: Sequence[str], size_pt: float, *, angle: float = 0
    ) -> float:
        """Draw tick marks and labels under the box; return the labels' lowest pixel row.

        Parameters
        ----------
        ticks : sequence of float
            Tick values.
        labels : sequence of str
            Their labels.
        size_pt : float
            Label size in points.
        angle : float, default 0
            Turn the labels by this many degrees (anticlockwise); turned labels end
            (right-aligned) under their tick.
        """
        c, (_, _, _, bottom) = self.canvas, self.box
        mark, pad = c.px(TICK_PT), c.px(TICK_PAD_PT)
        lowest = bottom + mark
        for value, text in zip(ticks, labels, strict=True):
            x = float(self.x(value))
            c.line([(x, bottom), (x, bottom + mark)], FRAME_COLOUR, width_pt=0.8)
            if angle:
                width, height = c.text_size(text, size_pt)
                c.text(x, bottom + mark + pad, text, size_pt, anchor="rt", angle=angle)
                a = math.radians(angle)
                lowest = max(lowest, bottom + mark + pad + width * math.sin(a) + height)
            else:
                c.text(x, bottom + mark + pad, text, size_pt, anchor="mt")
                lowest = max(lowest, bottom + mark + pad + c.text_size(text, size_pt)[1] * 1.3)
        return lowest

    def y_ticks(self, ticks: Sequence[float], labels: Sequence[str], size_pt: float) -> float:
        """Draw tick marks and labels left of the box; return the labels' leftmost column.

        Parameters
        ----------
        ticks : sequence of float
            Tick values.
        labels : sequence of str
            Their labels.
        size_pt : float
            Label size in points.
        """
        c, (left, _, _, _) = self.canvas, self.box
        mark, pad = c.px(TICK_PT), c.px(TICK_PAD_PT)
        leftmost = left - mark
        for value, text in zip(ticks, labels, strict=True):
            y = float(self.y(value))
            c.line([(left - mark, y), (left, y)], FRAME_COLOUR, width_pt=0.8)
            c.text(left - mark - pad, y, text, size_pt, anchor="rm")
            leftmost = min(leftmost, left - mark - pad - c.text_size(text, size_pt)[0])
        return leftmost

    def row_labels(self, labels: Sequence[str], size_pt: float) -> None:
        """Write ``labels[i]`` right-aligned left of the box, level with row ``i``.

        Parameters
        ----------
        labels : sequence of str
            One label per row.
        size_pt : float
            Their size in points.
        """
        gap = self.canvas.px(TICK_PAD_PT)
        for row, text in enumerate(labels):
            y = float(self.y(float(row)))
            self.canvas.text(self.box[0] - gap, y, text, size_pt, anchor="rm")

    def title(self, text: str, size_pt: float = 12, *, room_right: float = 0.0) -> None:
        """Write the title centred above the box, a line higher beside a wide legend.

        The title moves up when it would run into the legend's ``room_right`` pixels at the
        right end of the line above the box (:meth:`legend`).

        Parameters
        ----------
        text : str
            The title.
        size_pt : float, default 12
            Its size in points.
        room_right : float, default 0
            Pixels at the right end of the line above the box taken by the legend.
        """
        c, (left, top, right, _) = self.canvas, self.box
        width = c.text_size(text, size_pt)[0]
        y = top - c.px(6)
        if room_right and (left + right + width) / 2 > right - room_right - c.px(6):
            y -= c.px(LEGEND_ROW_PT)
        c.text((left + right) / 2, y, text, size_pt, anchor="md")

    def legend(
        self, entries: Sequence[tuple[str, str | tuple[int, int, int], str]], size_pt: float = 7
    ) -> float:
        """Draw a legend in one row above the box, at its right end; return its width.

        Above the box it hides no bar (pass its width to :meth:`title`).

        Parameters
        ----------
        entries : sequence of (kind, colour, label)
            ``kind`` is ``"bar"`` (a filled square), ``"dot"`` or ``"dash"`` (a dashed line).
        size_pt : float, default 7
            Text size.
        """
        c, (_, top, right, _) = self.canvas, self.box
        swatch, gap = c.px(size_pt) * 2.0, c.px(size_pt) * 0.5
        widths = [swatch + gap + c.text_size(label, size_pt)[0] for _, _, label in entries]
        total = sum(widths) + 2 * gap * (len(entries) - 1)
        x, y = right - total, top - c.px(LEGEND_ROW_PT) / 2
        for (kind, colour, label), width in zip(entries, widths, strict=True):
            if kind == "bar":
                c.rect(x, y - c.px(size_pt) * 0.4, x + swatch, y + c.px(size_pt) * 0.4, fill=colour)
            elif kind == "dot":
                c.dots(np.array([x + swatch / 2]), np.array([y]), c.px(2.2), str(colour))
            else:
                c.line([(x, y), (x + swatch, y)], str(colour), dash_pt=(3.7, 1.6))
            c.text(x + swatch + gap, y, label, size_pt, anchor="lm")
            x += width + 2 * gap
        return total
