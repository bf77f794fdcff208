"""Charts as inline SVG rendered on the server: no JavaScript chart library, no build chain."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

Number = Decimal | int | float
PALETTE = ("#1f6feb", "#d97706", "#16a34a", "#dc2626", "#7c3aed", "#0891b2")
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 240, 56, 40, 16


def _fmt(v: Number) -> str:
    d = Decimal(str(v))
    return f"{d.normalize():f}" if d == d.to_integral_value() else f"{d:.2f}"


def _scale(lo: Decimal, hi: Decimal) -> tuple[Decimal, Decimal]:
    lo, hi = min(lo, Decimal(0)), max(hi, Decimal(0))
    return (lo, hi) if hi > lo else (lo, lo + 1)


def _frame(body: list[str], title: str, lo: Decimal, hi: Decimal) -> Markup:
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    zero_y = PAD_TOP + float((hi - 0) / (hi - lo)) * plot_h
    head = (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{PAD_LEFT}" y1="{zero_y:.1f}" x2="{WIDTH}" y2="{zero_y:.1f}" stroke="#888"/>'
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end" font-size="11">'
        f"{_fmt(hi)}</text>"
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + plot_h}" text-anchor="end" font-size="11">'
        f"{_fmt(lo)}</text>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part is escaped


def _y(v: Decimal, lo: Decimal, hi: Decimal) -> float:
    return PAD_TOP + float((hi - v) / (hi - lo)) * (HEIGHT - PAD_BOTTOM - PAD_TOP)


def stacked_bars(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]]
) -> Markup:
    """One bar per label, its parts stacked from zero (positives up, negatives down).

    Used for asset growth split into added capital and investment gain, and complaints by
    category per month.
    """
    values = [[Decimal(str(v)) for v in vs] for _, vs in series]
    ups = [sum((v[i] for v in values if v[i] > 0), Decimal(0)) for i in range(len(labels))]
    downs = [sum((v[i] for v in values if v[i] < 0), Decimal(0)) for i in range(len(labels))]
    lo, hi = _scale(min(downs, default=Decimal(0)), max(ups, default=Decimal(0)))
    slot = (WIDTH - PAD_LEFT) / max(1, len(labels))
    bar = slot * 0.6
    body: list[str] = []
    for i, label in enumerate(labels):
        x = PAD_LEFT + i * slot + (slot - bar) / 2
        up, down = Decimal(0), Decimal(0)
        for s, (name, _) in enumerate(series):
            v = values[s][i]
            base = up if v >= 0 else down
            top, bottom = (base + v, base) if v >= 0 else (base, base + v)
            y1, y2 = _y(top, lo, hi), _y(bottom, lo, hi)
            body.append(
                f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar:.1f}" height="{max(0.0, y2 - y1):.1f}"'
                f' fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)} {escape(name)}:'
                f" {_fmt(v)}</title></rect>"
            )
            if v >= 0:
                up += v
            else:
                down += v
        body.append(
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="middle"'
            f' font-size="11">{escape(label)}</text>'
        )
    body.extend(_legend([name for name, _ in series]))
    return _frame(body, title, lo, hi)


def lines(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]]
) -> Markup:
    """One polyline per series over shared x labels (a pick's return vs CSI 300)."""
    values = [[Decimal(str(v)) for v in vs] for _, vs in series]
    flat = [v for vs in values for v in vs]
    lo, hi = _scale(min(flat, default=Decimal(0)), max(flat, default=Decimal(0)))
    step = (WIDTH - PAD_LEFT - 20) / max(1, len(labels) - 1)
    body: list[str] = []
    for s, vs in enumerate(values):
        points = " ".join(
            f"{PAD_LEFT + 10 + i * step:.1f},{_y(v, lo, hi):.1f}" for i, v in enumerate(vs)
        )
        body.append(
            f'<polyline points="{points}" fill="none" stroke-width="2"'
            f' stroke="{PALETTE[s % len(PALETTE)]}"/>'
        )
    for i, label in enumerate(labels):
        body.append(
            f'<text x="{PAD_LEFT + 10 + i * step:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}"'
            f' text-anchor="middle" font-size="11">{escape(label)}</text>'
        )
    body.extend(_legend([name for name, _ in series]))
    return _frame(body, title, lo, hi)


def _legend(names: Sequence[str]) -> list[str]:
    out = []
    for s, name in enumerate(names):
        x = PAD_LEFT + s * 140
        out.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10"'
            f' fill="{PALETTE[s % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 5}" font-size="11">{escape(name)}</text>'
        )
    return out
