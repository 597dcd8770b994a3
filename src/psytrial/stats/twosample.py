"""Two-sample comparisons between the arms: Welch's t, Mann-Whitney U and Hedges' g.

The secondary analyses (HRS clusters, attitude change) compare one continuous measure between
two arms in the same three ways, so the comparison lives here once. Each test is skipped,
with a note saying why, when the data cannot support it (an empty arm, a single participant,
no variation), instead of raising or returning NaN: a report must still render.

Conventions, the same everywhere in the secondary analyses:
- `arms = (a, b)`: differences are a - b; t is positive when a scores higher; U is the
  Mann-Whitney statistic of arm a (R's `W` for `wilcox.test(x = a, y = b)`).
- Welch's t: R `t.test(a, b, var.equal = FALSE)` (scipy `ttest_ind(equal_var=False)`).
- Mann-Whitney: R `wilcox.test(a, b, exact = FALSE, correct = TRUE)`: normal approximation
  with tie correction and continuity correction, chosen so that ties (common on 0-4 rating
  means) are handled the same way at every sample size. When every value is tied R gives
  p = NA; so do we (p is None), whereas scipy would say 1.
- Hedges' g: d with the pooled SD, times the exact small-sample factor
  J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)), m = n_a + n_b - 2 (Hedges & Olkin 1985,
  p. 80; metafor's `escalc(measure = "SMD")`). Its variance is Hedges & Olkin's (1985, p. 86)
  large-sample approximation 1/n_a + 1/n_b + g^2 / (2 (n_a + n_b)) (metafor `vtype = "LS"`),
  and the 95% CI is g -/+ 1.959964 SE.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

Z975 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class ArmSummary:
    """Mean, SD (n - 1 denominator) and n of one arm; None where undefined."""

    arm: str
    n: int
    mean: float | None
    sd: float | None


@dataclass(frozen=True)
class WelchTest:
    """Welch's unequal-variance t test of arm a against arm b."""

    t: float
    df: float
    p: float
    difference: float
    ci95: tuple[float, float]


@dataclass(frozen=True)
class MannWhitneyTest:
    """Mann-Whitney U of arm a, normal approximation with tie and continuity corrections."""

    u: float
    p: float | None


@dataclass(frozen=True)
class HedgesG:
    """Bias-corrected standardized mean difference (a - b) / pooled SD, with its 95% CI."""

    g: float
    se: float
    ci95: tuple[float, float]
    d: float
    j: float


@dataclass(frozen=True)
class TwoSampleComparison:
    """Per-arm summaries and the three between-arm statistics; skipped ones are None."""

    arms: tuple[str, str]
    summaries: tuple[ArmSummary, ArmSummary]
    welch: WelchTest | None
    mann_whitney: MannWhitneyTest | None
    hedges_g: HedgesG | None
    notes: tuple[str, ...]

    def summary(self, arm: str) -> ArmSummary:
        """The summary of `arm`."""
        for s in self.summaries:
            if s.arm == arm:
                return s
        raise KeyError(arm)


def summarize(arm: str, values: Sequence[float] | np.ndarray) -> ArmSummary:
    """Mean and SD of one arm's non-missing values."""
    x = _clean(values)
    mean = float(np.mean(x)) if x.size else None
    sd = float(np.std(x, ddof=1)) if x.size >= 2 else None
    return ArmSummary(arm=arm, n=int(x.size), mean=mean, sd=sd)


def compare_two_samples(
    arms: tuple[str, str],
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
) -> TwoSampleComparison:
    """Summaries, Welch's t, Mann-Whitney U and Hedges' g of `a` against `b` (NaN = missing)."""
    x, y = _clean(a), _clean(b)
    notes = _size_notes(arms, x, y)
    welch = welch_t(x, y) if _enough(x, y, 2) else None
    mw = mann_whitney(x, y) if _enough(x, y, 1) else None
    g = hedges_g(x, y) if _enough(x, y, 2) else None
    if _enough(x, y, 2) and welch is None:
        notes.append("Welch t not done: no variation within either arm")
    if _enough(x, y, 2) and g is None:
        notes.append("Hedges' g not done: pooled SD is 0")
    if mw is not None and mw.p is None:
        notes.append("Mann-Whitney p undefined: every value is tied")
    return TwoSampleComparison(
        arms=arms,
        summaries=(summarize(arms[0], x), summarize(arms[1], y)),
        welch=welch,
        mann_whitney=mw,
        hedges_g=g,
        notes=tuple(notes),
    )


def welch_t(x: np.ndarray, y: np.ndarray) -> WelchTest | None:
    """Welch's t test; None when both arms are constant (R stops with the same condition)."""
    mx, my = float(np.mean(x)), float(np.mean(y))
    stderr = math.sqrt(np.var(x, ddof=1) / x.size + np.var(y, ddof=1) / y.size)
    if stderr < 10 * np.finfo(float).eps * max(abs(mx), abs(my)) or stderr == 0.0:
        return None
    with warnings.catch_warnings():
        # scipy warns when one arm is constant; the result is still right (R agrees).
        warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
        res = stats.ttest_ind(x, y, equal_var=False)
    ci = res.confidence_interval(0.95)
    return WelchTest(
        t=float(res.statistic),
        df=float(res.df),
        p=float(res.pvalue),
        difference=mx - my,
        ci95=(float(ci.low), float(ci.high)),
    )


def mann_whitney(x: np.ndarray, y: np.ndarray) -> MannWhitneyTest:
    """Mann-Whitney U of x; p is None when all values are tied (no rank information)."""
    res = stats.mannwhitneyu(
        x, y, alternative="two-sided", use_continuity=True, method="asymptotic"
    )
    tied = np.unique(np.concatenate([x, y])).size == 1
    return MannWhitneyTest(u=float(res.statistic), p=None if tied else float(res.pvalue))


def hedges_g(x: np.ndarray, y: np.ndarray) -> HedgesG | None:
    """Hedges' g of x against y with the Hedges & Olkin variance; None if pooled SD is 0."""
    n1, n2 = x.size, y.size
    m = n1 + n2 - 2
    pooled = math.sqrt(((n1 - 1) * np.var(x, ddof=1) + (n2 - 1) * np.var(y, ddof=1)) / m)
    if pooled == 0.0:
        return None
    d = (float(np.mean(x)) - float(np.mean(y))) / pooled
    j = exact_j(m)
    g = j * d
    se = math.sqrt(1 / n1 + 1 / n2 + g * g / (2 * (n1 + n2)))
    return HedgesG(g=g, se=se, ci95=(g - Z975 * se, g + Z975 * se), d=d, j=j)


def exact_j(m: int) -> float:
    """Hedges' exact bias correction factor for m degrees of freedom (m >= 2)."""
    return math.exp(special.gammaln(m / 2) - 0.5 * math.log(m / 2) - special.gammaln((m - 1) / 2))


def approximate_j(m: int) -> float:
    """Hedges' approximate correction 1 - 3 / (4m - 1), as in Borenstein et al. (2009)."""
    return 1 - 3 / (4 * m - 1)


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    x: np.ndarray = np.asarray(values, dtype=float)
    kept: np.ndarray = x[~np.isnan(x)]
    return kept


def _enough(x: np.ndarray, y: np.ndarray, minimum: int) -> bool:
    return x.size >= minimum and y.size >= minimum


def _size_notes(arms: tuple[str, str], x: np.ndarray, y: np.ndarray) -> list[str]:
    notes = []
    for arm, v in zip(arms, (x, y), strict=True):
        if v.size == 0:
            notes.append(f"no tests: arm {arm!r} has no non-missing values")
        elif v.size == 1:
            notes.append(f"Welch t and Hedges' g not done: arm {arm!r} has a single value")
    return notes
