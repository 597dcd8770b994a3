"""The report's figures, drawn with matplotlib and returned as inline SVG text.

- `km_figure`: Kaplan-Meier curves per arm with 95% log-log bands, censoring marks, and the
  numbers at risk in a table under the time axis;
- `abstinence_figure`: continuous abstinence by month per arm with Wilson 95% CIs;
- `craving_figure`: observed craving means by month per arm with t-based 95% CIs;
- `hrs_figure`: the HRS cluster profile per arm (or pooled) with t-based 95% CIs;
- `blinding_figure`: a forest plot of the blinding indices per guesser role.

Every figure is drawn from the analysis result alone (no data are recomputed beyond
reading the step function and the interval helpers), in colours that stay apart in grey
print (each arm also has its own line style and marker). SVG conventions: `svg_inline`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from psytrial.stats.pipeline_blinding import BlindingSection
from psytrial.stats.pipeline_primary import PrimaryAnalysis
from psytrial.stats.pipeline_secondary import HrsSection, RepeatedSection, mean_ci95
from psytrial.stats.survival import KMCurve
from psytrial.stats.svg_inline import figure_context, to_svg
from psytrial.stats.twosample import ArmSummary

COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D")
Interval = tuple[float, float] | None


def _draw(name: str, size: tuple[float, float], draw: Callable[[Figure], None]) -> Figure:
    with figure_context(name):
        fig = Figure(figsize=size, layout="constrained")
        draw(fig)
    return fig


def km_figure(p: PrimaryAnalysis, labels: Mapping[str, str], name: str, title: str) -> str:
    """Kaplan-Meier curves with the numbers at risk under the axis."""
    horizon = int(max(p.km_at[0].month))
    step = 3 if horizon >= 12 else 1
    ticks = list(range(0, horizon + 1, step))

    def draw(fig: Figure) -> None:
        top, bottom = fig.subplots(2, 1, height_ratios=[4, 0.4 + 0.3 * len(p.arms)])
        for i, curve in enumerate(p.km.curves):
            _km_curve(top, curve, i, labels[curve.arm])
        top.set(
            xlim=(0, horizon),
            ylim=(0, 1.02),
            xticks=ticks,
            title=title,
            ylabel="Relapse-free (proportion)",
            xlabel="Months since randomization",
        )
        top.legend(loc="upper right", frameon=False)
        _at_risk(bottom, p, labels, ticks, horizon)

    fig = _draw(name, (7.0, 5.0), draw)
    desc = "Kaplan-Meier curves by arm; numbers at risk: " + "; ".join(
        f"{labels[at.arm]}: "
        + ", ".join(
            f"month {int(m)} {n}" for m, n in zip(at.month, at.n_risk, strict=True) if m in ticks
        )
        for at in p.km_at
    )
    return to_svg(fig, name, title, desc)


def _km_curve(ax: Axes, curve: KMCurve, i: int, label: str) -> None:
    def padded(values: Sequence[float]) -> np.ndarray:
        return np.concatenate([[1.0], values, [values[-1]]]).astype(float)

    # The curve stops at the arm's last observed time, as R plots it: not drawn beyond data.
    time, surv = curve.time, curve.survival
    t = np.concatenate([[0.0], time, [float(time[-1])]])
    s = padded(surv)
    # Limits are undefined where S is 1 or 0; the band then collapses onto the curve.
    lo, hi = padded(curve.lower), padded(curve.upper)
    lo, hi = np.where(np.isnan(lo), s, lo), np.where(np.isnan(hi), s, hi)
    colour = COLOURS[i % 4]
    ax.step(t, s, where="post", color=colour, linestyle=STYLES[i % 4], label=label)
    ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.15, linewidth=0)
    marks = [k for k, c in enumerate(curve.n_censor) if c > 0]
    ax.plot(
        [time[k] for k in marks],
        [surv[k] for k in marks],
        linestyle="none",
        marker="|",
        markersize=7,
        color=colour,
    )


def _at_risk(
    ax: Axes, p: PrimaryAnalysis, labels: Mapping[str, str], ticks: list[int], horizon: int
) -> None:
    ax.set_xlim(0, horizon)
    ax.set_ylim(-0.5, len(p.arms) - 0.5)
    ax.set_yticks(range(len(p.arms)), [_wrap(labels[a]) for a in p.arms][::-1])
    ax.tick_params(axis="y", length=0, pad=18)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Number at risk", loc="left", fontsize=9)
    for row, at in enumerate(reversed(p.km_at)):
        for month, n in zip(at.month, at.n_risk, strict=True):
            if int(month) in ticks:
                ax.text(month, row, str(n), ha="center", va="center", fontsize=8)


def _wrap(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def abstinence_figure(p: PrimaryAnalysis, labels: Mapping[str, str], name: str, title: str) -> str:
    months = [int(r.month) for r in p.abstinence.rows]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for i, arm in enumerate(p.arms):
            props = [row[i] for row in p.abstinence_ci]
            values = [pr.proportion for pr in props]
            cis = [pr.ci95 for pr in props]
            _points(ax, months, values, cis, i, labels[arm], len(p.arms))
        ax.set(
            ylim=(0, 1.02),
            xticks=months,
            title=title,
            xlabel="Month",
            ylabel="Continuously abstinent (proportion)",
        )
        ax.legend(loc="upper right", frameon=False)

    fig = _draw(name, (7.0, 3.8), draw)
    desc = "Proportion continuously abstinent by month and arm with Wilson 95% intervals"
    return to_svg(fig, name, title, desc)


def _points(
    ax: Axes,
    x: Sequence[float],
    y: Sequence[float | None],
    cis: Sequence[Interval],
    i: int,
    label: str,
    groups: int,
) -> None:
    """Points joined by a line, with interval bars, dodged sideways so arms do not overlap."""
    spread = (max(x) - min(x)) / 60 if len(x) > 1 else 0.1
    dodge = (i - (groups - 1) / 2) * spread
    xs = np.asarray(x, dtype=float) + dodge
    ys = np.array([np.nan if v is None else v for v in y], dtype=float)
    low = np.array([np.nan if c is None else c[0] for c in cis], dtype=float)
    high = np.array([np.nan if c is None else c[1] for c in cis], dtype=float)
    err = np.vstack([np.where(np.isnan(low), 0, ys - low), np.where(np.isnan(high), 0, high - ys)])
    # A limit a rounding error beyond its point would be a negative bar length.
    err = np.clip(np.nan_to_num(err), 0.0, None)
    ax.errorbar(
        xs,
        ys,
        yerr=err,
        capsize=3,
        label=label,
        color=COLOURS[i % 4],
        linestyle=STYLES[i % 4],
        marker=MARKERS[i % 4],
    )


def craving_figure(
    section: RepeatedSection, labels: Mapping[str, str], name: str, title: str
) -> str | None:
    result = section.result
    if result is None:
        return None

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        months = [v.month for v in result.observed]
        for i, arm in enumerate(result.arms):
            summaries = [v.arms[i] for v in result.observed]
            _summaries(ax, months, summaries, i, labels[arm], 2)
        ax.set(xticks=months, title=title, xlabel="Month", ylabel="Mean (95% CI)")
        ax.legend(frameon=False)

    fig = _draw(name, (7.0, 3.8), draw)
    return to_svg(fig, name, title, "Observed mean by month and arm with t-based 95% intervals")


def _summaries(
    ax: Axes, x: Sequence[float], s: Sequence[ArmSummary], i: int, label: str, groups: int
) -> None:
    _points(ax, x, [v.mean for v in s], [mean_ci95(v) for v in s], i, label, groups)


def hrs_figure(section: HrsSection, labels: Mapping[str, str], name: str, title: str) -> str | None:
    if section.result is None and not section.pooled:
        return None

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        if section.result is not None:
            clusters = [c.cluster for c in section.result.clusters]
            x = list(range(len(clusters)))
            for i, arm in enumerate(section.result.arms):
                s = [c.comparison.summaries[i] for c in section.result.clusters]
                _summaries(ax, x, s, i, labels[arm], 2)
        else:
            clusters = [c for c, _ in section.pooled]
            x = list(range(len(clusters)))
            _summaries(ax, x, [s for _, s in section.pooled], 0, section.pooled[0][1].arm, 1)
        ax.set_xticks(x, clusters)
        ax.set(ylim=(0, 4), title=title, ylabel="Cluster score 0-4 (mean, 95% CI)")
        ax.legend(frameon=False)

    fig = _draw(name, (7.0, 3.8), draw)
    return to_svg(fig, name, title, "HRS cluster means with t-based 95% intervals")


def blinding_figure(section: BlindingSection, labels: Mapping[str, str], name: str) -> str | None:
    if not section.roles:
        return None
    rows: list[tuple[str, float | None, Interval, str]] = []
    for r in section.roles:
        james = r.assessment.james
        rows.append((f"{r.role}: James", james.estimate, james.ci, "james"))
        if section.show_bang:
            for arm, est in r.assessment.bang.items():
                rows.append((f"{r.role}: Bang, {labels[arm]}", est.estimate, est.ci, "bang"))

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        y = np.arange(len(rows))[::-1]
        for yi, (_, est, ci, kind) in zip(y, rows, strict=True):
            colour = COLOURS[0] if kind == "james" else COLOURS[1]
            if est is None:
                continue
            if ci is not None:
                ax.plot(ci, [yi, yi], color=colour)
            ax.plot([est], [yi], marker="s" if kind == "james" else "o", color=colour)
        ax.axvline(0.0, color="#555555", linewidth=0.8)
        ax.axvline(0.5, color="#555555", linewidth=0.8, linestyle=":")
        ax.set_yticks(y, [r[0] for r in rows])
        ax.set(
            xlim=(-1, 1),
            xticks=[-1, -0.5, 0, 0.5, 1],
            title="Blinding indices with 95% CIs",
            xlabel="Bang: 0 = random guessing (solid line); James: 0.5 = random (dotted)",
        )

    height = 1.2 + 0.3 * len(rows)
    fig = _draw(name, (7.0, height), draw)
    desc = "Forest plot of blinding indices: " + "; ".join(
        f"{label} {'undefined' if est is None else f'{est:.2f}'}" for label, est, _, _ in rows
    )
    return to_svg(fig, name, "Blinding indices", desc)
