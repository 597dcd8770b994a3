"""A small, dependency-free SVG line chart: cumulative enrolment by site over months.

Drawn by hand rather than with matplotlib: a few dozen points need no plotting library, the
markup is deterministic (tests compare it), it loads no script (the CSP allows none inline)
and it renders in the page instantly. Each series has its own colour and dash pattern, so the
chart reads without colour too; the page also shows the numbers as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 150, 16, 40
COLOURS = ("#1f5fa8", "#a4161a", "#1b6e3a", "#7a4fa3", "#b35c00", "#3c6e71")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
Scale = Callable[[int], float]


def cumulative_chart(
    months: Sequence[str],
    series: Mapping[str, Sequence[int]],
    title: str = "Participants randomized, cumulative, by site",
) -> str:
    """An SVG of one cumulative line per series over `months` (each series one value a month)."""
    top = max([1, *(max(v, default=0) for v in series.values())])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(months) - 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: int) -> float:
        return TOP + plot_h - v * plot_h / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="chart-title" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="#5b6470"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#5b6470"/>',
    ]
    parts += _y_ticks(top, y)
    parts += _x_labels(months, x, TOP + plot_h)
    for index, (name, values) in enumerate(series.items()):
        parts += _line(index, name, values, x, y, LEFT + plot_w + 12)
    parts.append("</svg>")
    return "".join(parts)


def _y_ticks(top: int, y: Scale) -> list[str]:
    ticks = sorted({0, top // 2, top})
    return [
        f'<text x="{LEFT - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11">{t}</text>'
        for t in ticks
    ]


def _x_labels(months: Sequence[str], x: Scale, base: int) -> list[str]:
    every = max(1, len(months) // 8)
    return [
        f'<text x="{x(i):.1f}" y="{base + 16}" text-anchor="middle" '
        f'font-size="11">{escape(m)}</text>'
        for i, m in enumerate(months)
        if i % every == 0 or i == len(months) - 1
    ]


def _line(
    index: int, name: str, values: Sequence[int], x: Scale, y: Scale, legend_x: float
) -> list[str]:
    colour = COLOURS[index % len(COLOURS)]
    dash = DASHES[index % len(DASHES)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    legend_y = TOP + 14 + 18 * index
    return [
        f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash_attr} points="{points}">'
        f"<title>{escape(name)}: {values[-1] if values else 0}</title></polyline>",
        f'<line x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 22}" y2="{legend_y - 4}" '
        f'stroke="{colour}" stroke-width="2"{dash_attr}/>',
        f'<text x="{legend_x + 28}" y="{legend_y}" font-size="12">{escape(name)}</text>',
    ]
