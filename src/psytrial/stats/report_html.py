"""Small HTML builders and the number formats of the report.

Every text that comes from data or from the protocol goes through `esc` (html.escape), so
a participant id or an adverse-event term cannot inject markup. Tables are accessible:
a <caption>, column headers with scope="col", row headers with scope="row".

Number formats are fixed per kind of quantity (`DIGITS`) and exposed (`num`, `pval`,
`ci`), so a test can format a value of results.json the same way and find it in the report.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

NA = "n/a"
DIGITS = {
    "survival": 3,
    "hr": 2,
    "chi2": 2,
    "index": 2,
    "mean": 2,
    "difference": 2,
    "g": 2,
    "proportion": 3,
    "percent": 1,
    "variance": 2,
    "t": 2,
    "months": 1,
}


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def num(value: Any, kind: str) -> str:
    """A number with the digits of its kind; n/a for null."""
    if value is None:
        return NA
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{float(value):.{DIGITS[kind]}f}"


def pval(value: Any) -> str:
    """A p-value: three decimals, or <0.001."""
    if value is None:
        return NA
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def ci(pair: Sequence[Any] | None, kind: str) -> str:
    """A 95% interval as 'low to high'."""
    if pair is None or pair[0] is None or pair[1] is None:
        return NA
    return f"{num(pair[0], kind)} to {num(pair[1], kind)}"


def count(n: Any, total: Any) -> str:
    return f"{n}/{total}"


Cell = str | tuple[str, str]  # text, or (text, css class)


def table(
    caption: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    method: str | None = None,
    table_id: str | None = None,
    header_top: Sequence[tuple[str, int]] | None = None,
    text: bool = False,
) -> str:
    """A table whose first column holds row headers; cells are already-escaped HTML.

    `header_top` adds a grouping header row above the column headers: (text, colspan);
    `text` left-aligns a table of words (a listing) instead of right-aligning numbers.
    """
    ident = f' id="{esc(table_id)}"' if table_id else ""
    css = ' class="text"' if text else ""
    parts = [f"<table{ident}{css}>", f"<caption>{caption}</caption>", "<thead>"]
    if header_top:
        cells = "".join(
            f'<th scope="colgroup" colspan="{span}">{text}</th>'
            if span > 1
            else f'<th scope="col">{text}</th>'
            for text, span in header_top
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("<tr>" + "".join(f'<th scope="col">{h}</th>' for h in header) + "</tr>")
    parts.append("</thead><tbody>")
    for row in rows:
        parts.append("<tr>" + "".join(_cell(c, i == 0) for i, c in enumerate(row)) + "</tr>")
    parts.append("</tbody></table>")
    if method:
        parts.append(f'<p class="method"><span>Method:</span> {esc(method)}</p>')
    return "\n".join(parts)


def _cell(cell: Cell, first: bool) -> str:
    text, css = (cell, "") if isinstance(cell, str) else cell
    attr = f' class="{css}"' if css else ""
    return f'<th scope="row"{attr}>{text}</th>' if first else f"<td{attr}>{text}</td>"


def figure(svg: str | None, caption: str) -> str:
    if svg is None:
        return ""
    return f"<figure>\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>"


def section(ident: str, title: str, body: Sequence[str]) -> str:
    inner = "\n".join(b for b in body if b)
    return (
        f'<section id="{esc(ident)}" aria-labelledby="{esc(ident)}-h">\n'
        f'<h2 id="{esc(ident)}-h">{title}</h2>\n{inner}\n</section>'
    )


def notes(items: Sequence[str]) -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{esc(n)}</li>" for n in items)
    return f'<ul class="notes">{lis}</ul>'


def para(text: str, css: str = "") -> str:
    attr = f' class="{css}"' if css else ""
    return f"<p{attr}>{text}</p>"
