"""Server-rendered SVG charts: bar heights in proportion, negatives below zero, text escaped."""

from __future__ import annotations

import re
from decimal import Decimal

from staff_console.charts import HEIGHT, PAD_BOTTOM, PAD_TOP, lines, stacked_bars

PLOT = HEIGHT - PAD_BOTTOM - PAD_TOP


def bars(svg: str) -> list[tuple[float, float]]:
    """(y, height) of each data bar (legend squares are 10x10 at the bottom)."""
    found = re.findall(
        r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="[^"]+"><title>', svg
    )
    return [(float(y), float(h)) for y, h in found]


def test_stacked_bars_are_in_proportion_and_stack() -> None:
    svg = str(stacked_bars("资产增长", ["一组", "二组"], [
        ("新增资金", [Decimal(60), Decimal(100)]), ("投资收益", [Decimal(40), Decimal(0)]),
    ]))  # fmt: skip
    (y1, h1), (y2, h2), (_y3, h3), (_, h4) = bars(svg)
    # The tallest stack (100) fills the plot: 60 is 60 % of it, 40 sits on top of it.
    assert abs(h1 - PLOT * 0.6) < 0.2
    assert abs(h2 - PLOT * 0.4) < 0.2
    assert abs(y2 + h2 - y1) < 0.2
    assert abs(h3 - PLOT) < 0.2
    assert h4 == 0


def test_a_negative_gain_goes_below_the_zero_line() -> None:
    svg = str(stacked_bars("资产增长", ["一组"], [("新增资金", [300]), ("投资收益", [-100])]))
    (y_up, h_up), (y_down, h_down) = bars(svg)[:2]
    zero = y_up + h_up
    assert abs(y_down - zero) < 0.2
    assert abs(h_up / h_down - 3) < 0.01


def test_labels_are_escaped() -> None:
    svg = str(stacked_bars("<b>", ["<script>alert(1)</script>"], [("a&b", [1])]))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "a&amp;b" in svg


def test_lines_draw_one_polyline_per_series() -> None:
    svg = str(lines("推荐表现", ["1", "5", "20"], [("推荐", [1, 2, -1]), ("沪深300", [0, 1, 1])]))
    assert svg.count("<polyline") == 2
    assert len(re.findall(r'points="([^"]+)"', svg)[0].split()) == 3


def test_empty_charts_do_not_fail() -> None:
    assert "<svg" in str(stacked_bars("空", [], []))
    assert "<svg" in str(lines("空", [], []))
