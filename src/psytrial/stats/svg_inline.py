"""Matplotlib figures as deterministic SVG text, ready to be inlined in one HTML file.

matplotlib writes random-looking ids and the current date into an SVG; both are fixed here
so that the same figure gives the same bytes: `svg.hashsalt` is set per figure and the
metadata block (date, creator, RDF namespaces) is dropped. Text stays text
(`svg.fonttype = none`), so the file is small and a search finds every label in it.
Because several figures share one HTML document, every id is prefixed with the figure's
name (matplotlib's own ids such as "figure_1" would otherwise repeat), the XML declaration
and DOCTYPE are dropped, and a <title> and <desc> are added for screen readers
(role="img", aria-labelledby).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from xml.sax.saxutils import escape

import matplotlib
from matplotlib.figure import Figure


@contextmanager
def figure_context(name: str) -> Iterator[None]:
    """rc settings for one figure; the hash salt is the figure's name (stable ids)."""
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": f"psytrial-{name}",
            "font.family": "DejaVu Sans",
            "font.size": 9.0,
            "axes.titlesize": 10.0,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100.0,
        }
    ):
        yield


def to_svg(fig: Figure, name: str, title: str, desc: str) -> str:
    """The figure as an inline <svg> element with a unique id prefix, title and description."""
    buffer = io.StringIO()
    with figure_context(name):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text, flags=re.S)
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    text = _prefix_ids(text, name)
    return _accessible(text, name, title, desc)


def _prefix_ids(text: str, prefix: str) -> str:
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    return re.sub(r'(xlink:href|href)="#([^"]+)"', rf'\1="#{prefix}-\2"', text)


def _accessible(text: str, name: str, title: str, desc: str) -> str:
    match = re.search(r"<svg\b[^>]*>", text)
    if match is None:
        raise ValueError("matplotlib wrote no <svg> element")
    opening = match.group(0)
    new_opening = opening[:-1] + (
        f' role="img" aria-labelledby="{name}-title {name}-desc" class="figure-svg">'
    )
    head = (
        f'<title id="{name}-title">{escape(title)}</title>'
        f'<desc id="{name}-desc">{escape(desc)}</desc>'
    )
    return text[: match.start()] + new_opening + head + text[match.end() :]
