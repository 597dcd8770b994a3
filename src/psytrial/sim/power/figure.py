"""The power curve of a power table, as a self-contained SVG string.

Empirical power of both tests (with their Monte Carlo 95% intervals) and the two formula
curves against the total sample size. Built on matplotlib's object API with the SVG backend
only (no pyplot, so no global figure state and no GUI backend), with text as paths and no
metadata date, so the same table gives the same SVG bytes and the file needs no fonts or
network resources when embedded in a report.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from psytrial.sim.power.table import PowerResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _draw(fig: Figure, result: PowerResult) -> None:
    ax = fig.add_subplot(1, 1, 1)
    rows = result.rows
    n_total = [sum(r.n_per_arm) for r in rows]
    for label, power, ci, marker in (
        (
            "log-rank (simulated)",
            [r.logrank_power for r in rows],
            [r.logrank_ci95 for r in rows],
            "o",
        ),
        (
            f"Fisher, month {result.fisher_month} (simulated)",
            [r.fisher_power for r in rows],
            [r.fisher_ci95 for r in rows],
            "s",
        ),
    ):
        err = [
            [p - lo for p, (lo, _) in zip(power, ci, strict=True)],
            [hi - p for p, (_, hi) in zip(power, ci, strict=True)],
        ]
        ax.errorbar(n_total, power, yerr=err, marker=marker, capsize=3, label=label)
    ax.plot(n_total, [r.freedman_power for r in rows], linestyle="--", label="Freedman (1982)")
    ax.plot(n_total, [r.schoenfeld_power for r in rows], linestyle=":", label="Schoenfeld (1981)")
    ax.axhline(result.alpha, color="grey", linewidth=0.8)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("total sample size (both arms)")
    ax.set_ylabel(f"power (two-sided, alpha = {result.alpha:g})")
    ax.set_title(f"HR {result.hazard_ratio:.3g}, {result.reps} simulated trials per size")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")


def power_curve_svg(result: PowerResult) -> str:
    """The power curve as an `<svg>` element: no XML prolog, DOCTYPE, metadata or external URL."""
    # matplotlib is imported here, not at module level, so that importing the engine stays
    # fast for callers that never draw.
    import matplotlib as mpl
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with mpl.rc_context({"svg.fonttype": "path", "svg.hashsalt": "psytrial-power"}):
        fig = Figure(figsize=(6.4, 4.2))
        FigureCanvasSVG(fig)
        _draw(fig, result)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # The RDF metadata block only names matplotlib and Dublin Core vocabularies; dropping it
    # leaves no URL but the SVG and XLink namespace names.
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL)
