"""Tiny charts for the public pages: inline SVG drawn on the server, no script, nothing fetched.

Each builder is a pure function of its data and returns Markup (an <svg> element) for a template to
place inside a <figure class="chart">, next to a table or text carrying the same numbers: the chart
is an aid, never the only form of the data. Every text that goes into the SVG is escaped here.
Numbers on axes and labels go through `fmt`, so the page's locale formats them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha256

from markupsafe import Markup, escape

Number = float | int
Format = Callable[[float], str]

# Blue and orange (then green, grey): told apart by readers with the common colour-vision deficiencies.
PALETTE = ("#0b5cad", "#d9822b", "#1d7a3a", "#6b7785")
REFERENCE = "#b3261e"


def _plain(value: float) -> str:
    return f"{value:g}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above `value` (1 for nothing above zero)."""
    if not value > 0 or math.isinf(value):
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10.0 ** exponent
        if candidate >= value * (1 - 1e-12):
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - 10 × 10^k always qualifies


def ticks(top: float, n: int | None = None) -> list[float]:
    """n + 1 evenly spaced values from 0 to `top`; by default round steps for a nice_ceiling top
    (2 → 0.5 steps, 1, 2.5 and 5 → fifths)."""
    if n is None:
        leading = top / 10.0 ** math.floor(math.log10(top)) if top > 0 else 1.0
        n = 4 if math.isclose(leading, 2.0) else 5
    return [top * i / n for i in range(n + 1)]


def width_for(categories: int, per: int = 14, least: int = 640, most: int = 1200) -> int:
    """A chart width that leaves each of many categories some room (the page scales it down to fit)."""
    return max(least, min(most, 72 + per * categories))


@dataclass(frozen=True)
class Frame:
    """The plotting area inside an SVG of width × height, with room for the axes' labels."""

    width: int = 640
    height: int = 260
    left: int = 56
    right: int = 16
    top: int = 16
    bottom: int = 56

    @property
    def inner_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def inner_height(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float, top: float) -> float:
        return self.top + self.inner_height * (1 - max(0.0, min(value, top)) / top)


def _open(frame: Frame, title: str, description: str, data: object) -> list[str]:
    # Ids from the content: the same chart is the same markup (pure), two charts on a page differ.
    ident = "chart" + sha256(repr((title, description, data)).encode()).hexdigest()[:10]
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" width="{frame.width}" '
        f'height="{frame.height}" role="img" aria-labelledby="{ident}t {ident}d" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(description)}</desc>',
    ]


def _y_axis(frame: Frame, top: float, fmt: Format) -> list[str]:
    parts = []
    for value in ticks(top):
        y = frame.y(value, top)
        parts.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d7dde3"/>')
        parts.append(f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6875">{escape(fmt(value))}</text>')
    return parts


def _x_label(x: float, frame: Frame, label: str, rotate: bool) -> str:
    y = frame.height - frame.bottom + 14
    if rotate:
        return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" transform="rotate(-35 {x:.1f} {y:.1f})" '
                f'fill="#1d2630">{escape(label)}</text>')
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="#1d2630">{escape(label)}</text>'


def _legend(frame: Frame, names: Sequence[str], extra: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Series swatches along the top right; `extra`: (label, colour) of reference lines."""
    parts, x = [], frame.left
    for i, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="11">{escape(name)}</text>')
        x += 28 + 8 * len(name)  # wide enough for Cyrillic at this size
    for label, colour in extra:
        parts.append(f'<line x1="{x}" x2="{x + 14}" y1="7" y2="7" stroke="{colour}" stroke-width="2" stroke-dasharray="4 2"/>')
        parts.append(f'<text x="{x + 18}" y="11">{escape(label)}</text>')
        x += 32 + 8 * len(label)
    return parts


def _reference(frame: Frame, value: float, top: float, label: str) -> list[str]:
    y = frame.y(value, top)
    return [f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{REFERENCE}" '
            f'stroke-width="2" stroke-dasharray="6 3"><title>{escape(label)}</title></line>']


def bars(items: Sequence[tuple[str, Number]], *, title: str, description: str = "", fmt: Format = _plain,
         reference: tuple[float, str] | None = None, frame: Frame | None = None) -> Markup:
    """One bar per (label, value); `reference`: a dashed horizontal line (value, label), e.g. a limit."""
    return grouped_bars([label for label, _ in items], [(title, [value for _, value in items])], title=title,
                        description=description, fmt=fmt, reference=reference, frame=frame, legend=False)


def grouped_bars(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Number | None]]], *, title: str,
                 description: str = "", fmt: Format = _plain,
                 intervals: Sequence[Sequence[tuple[float, float] | None]] | None = None,
                 reference: tuple[float, str] | None = None, frame: Frame | None = None, legend: bool = True) -> Markup:
    """Bars side by side for each category, one per series (name, values); a missing value (None) leaves a gap.
    `intervals`: per series, per category, a (low, high) whisker such as a confidence interval."""
    frame = frame or Frame()
    values = [v for _, vs in series for v in vs if v is not None]
    highs = [hi for per in intervals or () for iv in per if iv is not None for hi in iv[1:]]
    top = nice_ceiling(max([*values, *highs, reference[0] if reference else 0.0, 0.0]))
    parts = _open(frame, title, description, (categories, series)) + _y_axis(frame, top, fmt)
    slot = frame.inner_width / max(1, len(categories))
    width = min(48.0, slot * 0.8 / max(1, len(series)))
    rotate = len(categories) > 8 or max((len(c) for c in categories), default=0) * 7 > slot
    every = max(1, math.ceil(22 / slot)) if rotate else 1  # rotated labels need about 22 px each
    base = frame.y(0, top)
    for ci, category in enumerate(categories):
        start = frame.left + ci * slot + (slot - width * len(series)) / 2
        for si, (name, vs) in enumerate(series):
            value = vs[ci] if ci < len(vs) else None
            if value is None:
                continue
            x, y = start + si * width, frame.y(value, top)
            tip = f"{escape(category)} · {escape(name)}: {escape(fmt(value))}"
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(1.0, width - 2):.1f}" height="{max(0.0, base - y):.1f}" '
                         f'fill="{PALETTE[si % len(PALETTE)]}"><title>{tip}</title></rect>')
            interval = intervals[si][ci] if intervals and si < len(intervals) and ci < len(intervals[si]) else None
            if interval is not None:
                mid, low, high = x + (width - 2) / 2, frame.y(interval[0], top), frame.y(interval[1], top)
                parts.append(f'<path d="M{mid:.1f} {low:.1f}V{high:.1f}M{mid - 4:.1f} {low:.1f}h8M{mid - 4:.1f} {high:.1f}h8" '
                             f'stroke="#1d2630" stroke-width="1.5" fill="none"/>')
        if ci % every == 0:
            parts.append(_x_label(frame.left + (ci + 0.5) * slot, frame, category, rotate))
    parts.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{base:.1f}" y2="{base:.1f}" stroke="#1d2630"/>')
    if reference is not None:
        parts += _reference(frame, reference[0], top, reference[1])
    if legend or reference is not None:
        parts += _legend(frame, [name for name, _ in series] if legend else [], [(reference[1], REFERENCE)] if reference else [])
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[Number | None]]], *, title: str, description: str = "",
          fmt: Format = _plain, frame: Frame | None = None, every: int | None = None) -> Markup:
    """One line per series (name, values) over the x labels; a point's value None breaks the line.
    `every`: label every n-th x value (by default about ten labels)."""
    frame = frame or Frame()
    values = [v for _, vs in series for v in vs if v is not None]
    top = nice_ceiling(max([*values, 0.0]))
    parts = _open(frame, title, description, (x_labels, series)) + _y_axis(frame, top, fmt)
    n = len(x_labels)
    step = frame.inner_width / max(1, n - 1) if n > 1 else 0.0

    def x_of(i: int) -> float:
        return frame.left + (i * step if n > 1 else frame.inner_width / 2)

    every = every or max(1, math.ceil(n / 10))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            parts.append(_x_label(x_of(i), frame, label, rotate=True))
    for si, (name, vs) in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        path, pen_down = [], False
        for i, value in enumerate(vs[:n]):
            if value is None:
                pen_down = False
                continue
            path.append(f'{"L" if pen_down else "M"}{x_of(i):.1f} {frame.y(value, top):.1f}')
            pen_down = True
        if path:
            parts.append(f'<path d="{"".join(path)}" stroke="{colour}" stroke-width="2" fill="none"/>')
        for i, value in enumerate(vs[:n]):
            if value is not None:
                parts.append(f'<circle cx="{x_of(i):.1f}" cy="{frame.y(value, top):.1f}" r="3" fill="{colour}">'
                             f'<title>{escape(x_labels[i])} · {escape(name)}: {escape(fmt(value))}</title></circle>')
    base = frame.y(0, top)
    parts.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{base:.1f}" y2="{base:.1f}" stroke="#1d2630"/>')
    parts += _legend(frame, [name for name, _ in series])
    parts.append("</svg>")
    return Markup("".join(parts))
