"""Drawing of the CONSORT 2010 flow diagram as hand-built, self-contained SVG text.

The layout follows the CONSORT 2010 template: Enrollment (assessed, excluded to the side,
randomized), then one column per arm through Allocation, Follow-Up and Analysis, with the
stage names in labelled bars on the left. Boxes in one row share a height so the columns
line up. No fonts, scripts, styles or images are fetched: the file renders on its own,
embedded in the HTML report or opened alone. Every text passes through XML escaping, since
arm labels and reasons are typed by people.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from psytrial.stats.consort import ArmFlow, ConsortFlow, Counted

FONT_SIZE = 12
LINE = 16  # line height
PAD = 8  # inside a box
CHAR_W = 6.2  # mean glyph width of a 12 px sans-serif font, for wrapping
INDENT = 12  # per bullet level
MARGIN = 20
LABEL_W = 26  # stage label bar
COL_W = 330  # one arm column
GAP = 40  # between arm columns
VGAP = 28  # between rows
CENTER_W = 290  # the assessed and randomized boxes
BULLETS = ("", "\u2022 ", "\u2013 ")
STAGE_FILL = "#a9cbe8"

Line = tuple[int, str]  # bullet level, text


def draw(flow: ConsortFlow, arm_labels: Mapping[str, str]) -> str:
    """The whole diagram; `arm_labels` maps each arm id of `flow` to its printed label."""
    canvas = _Canvas()
    arms = flow.arms
    content_w = max(len(arms) * COL_W + (len(arms) - 1) * GAP, 2 * COL_W + GAP)
    x0 = MARGIN + LABEL_W + 14
    cx = x0 + content_w // 2
    y = _enrollment(canvas, flow, x0, cx, content_w)
    cols_w = len(arms) * COL_W + (len(arms) - 1) * GAP
    xs = [x0 + (content_w - cols_w) // 2 + i * (COL_W + GAP) for i in range(len(arms))]
    centers = [x + COL_W // 2 for x in xs]
    split = y + VGAP // 2
    canvas.line(cx, y, cx, split)
    if len(centers) > 1:
        canvas.line(centers[0], split, centers[-1], split)
    y += VGAP + VGAP // 2
    for c in centers:
        canvas.arrow(c, split, c, y)
    rows = [
        ("Allocation", [_allocation(a, arm_labels[a.arm]) for a in arms]),
        ("Follow-Up", [_followup(a) for a in arms]),
        ("Analysis", [_analysis(a) for a in arms]),
    ]
    for k, (stage, contents) in enumerate(rows):
        wrapped = [_wrap(lines, COL_W) for lines in contents]
        height = max(_height(w) for w in wrapped)
        for x, w in zip(xs, wrapped, strict=True):
            canvas.box(x, y, COL_W, w, height)
        canvas.stage(stage, y, y + height)
        if k < len(rows) - 1:
            for c in centers:
                canvas.arrow(c, y + height, c, y + height + VGAP)
        y += height + VGAP
    return canvas.render(x0 + content_w + MARGIN, y - VGAP + MARGIN)


def _enrollment(canvas: _Canvas, flow: ConsortFlow, x0: int, cx: int, content_w: int) -> int:
    """Draw the Enrollment stage; return the bottom of the randomized box."""
    top = MARGIN
    assessed = _wrap([(0, f"Assessed for eligibility (n={_n(flow.assessed)})")], CENTER_W)
    h1 = canvas.box(cx - CENTER_W // 2, top, CENTER_W, assessed)
    ex_x = cx + 30
    ex_w = x0 + content_w - ex_x
    ex_y = top + h1 + VGAP
    h2 = canvas.box(ex_x, ex_y, ex_w, _wrap(_excluded(flow), ex_w))
    rand_y = ex_y + h2 + VGAP
    randomized = _wrap([(0, f"Randomized (n={flow.randomized})")], CENTER_W)
    h3 = canvas.box(cx - CENTER_W // 2, rand_y, CENTER_W, randomized)
    canvas.arrow(cx, top + h1, cx, rand_y)
    canvas.arrow(cx, ex_y + h2 // 2, ex_x, ex_y + h2 // 2)
    canvas.stage("Enrollment", top, rand_y + h3)
    return rand_y + h3


def _n(value: int | None) -> str:
    return "not recorded" if value is None else str(value)


def _excluded(flow: ConsortFlow) -> list[Line]:
    lines: list[Line] = [(0, f"Excluded (n={_n(flow.excluded)})")]
    if flow.excluded is None:
        return lines
    lines += _counted("Not meeting inclusion criteria", flow.not_meeting_criteria)
    lines += _counted("Declined to participate", flow.declined)
    lines += _counted("Other reasons", flow.other)
    return lines


def _counted(title: str, counted: Counted, level: int = 1) -> list[Line]:
    lines: list[Line] = [(level, f"{title} (n={counted.n})")]
    lines += [(level + 1, f"{reason} (n={n})") for reason, n in counted.reasons]
    return lines


def _allocation(arm: ArmFlow, label: str) -> list[Line]:
    lines: list[Line] = [(0, f"Allocated to {label} (n={arm.allocated})")]
    lines.append((1, f"Received allocated intervention (n={arm.received})"))
    lines += _counted("Did not receive allocated intervention", arm.not_received)
    if arm.pending:
        lines.append((1, f"Intervention still pending (n={arm.pending})"))
    return lines


def _followup(arm: ArmFlow) -> list[Line]:
    return _counted("Lost to follow-up", arm.lost, 0) + _counted(
        "Discontinued intervention", arm.discontinued, 0
    )


def _analysis(arm: ArmFlow) -> list[Line]:
    lines: list[Line] = [(0, f"Analysed (n={arm.analysed})")]
    return lines + _counted("Excluded from analysis", arm.excluded_from_analysis)


def _wrap(lines: Sequence[Line], width: int) -> list[tuple[int, str]]:
    """(x offset, text) per printed line; wrapped lines hang under their first word."""
    out: list[tuple[int, str]] = []
    for level, text in lines:
        indent = level * INDENT
        chars = max(10, int((width - 2 * PAD - indent - 8) / CHAR_W))
        pieces = textwrap.wrap(BULLETS[level] + text, chars, break_on_hyphens=False)
        out += [(indent + (8 if i else 0), p) for i, p in enumerate(pieces)]
    return out


def _height(wrapped: Sequence[tuple[int, str]]) -> int:
    return 2 * PAD + len(wrapped) * LINE


class _Canvas:
    """Collects SVG elements; coordinates are whole pixels."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def box(
        self, x: int, y: int, w: int, wrapped: Sequence[tuple[int, str]], h: int | None = None
    ) -> int:
        h = h if h is not None else _height(wrapped)
        self.parts.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#ffffff" stroke="#000000"/>'
        )
        for i, (dx, text) in enumerate(wrapped):
            baseline = y + PAD + (i + 1) * LINE - 4
            self.parts.append(f'<text x="{x + PAD + dx}" y="{baseline}">{escape(text)}</text>')
        return h

    def line(self, x1: int, y1: int, x2: int, y2: int) -> None:
        self.parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#000000"/>')

    def arrow(self, x1: int, y1: int, x2: int, y2: int) -> None:
        self.parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#000000" '
            'marker-end="url(#consort-arrow)"/>'
        )

    def stage(self, label: str, top: int, bottom: int) -> None:
        cx, cy = MARGIN + LABEL_W // 2, (top + bottom) // 2
        self.parts.append(
            f'<rect x="{MARGIN}" y="{top}" width="{LABEL_W}" height="{bottom - top}" rx="6" '
            f'fill="{STAGE_FILL}" stroke="#000000"/>'
        )
        self.parts.append(
            f'<text x="{cx}" y="{cy + 4}" text-anchor="middle" font-weight="bold" '
            f'transform="rotate(-90 {cx} {cy})">{escape(label)}</text>'
        )

    def render(self, width: int, height: int) -> str:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
        )
        defs = (
            '<defs><marker id="consort-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#000000"/></marker></defs>'
        )
        body = "\n".join(self.parts)
        return (
            f"{head}\n<title>CONSORT 2010 flow diagram</title>\n{defs}\n"
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>\n'
            f'<g font-family="Helvetica, Arial, sans-serif" font-size="{FONT_SIZE}" '
            f'fill="#000000">\n{body}\n</g>\n</svg>\n'
        )
