"""Change in emotional attitudes (colour test) from baseline, compared between the arms.

Input: a tidy table (participant_id, arm, concept, month, positivity): the positivity of
the attitude to each concept ("myself", "my future", "heroin", ...) derived from the colour
test, with month 0 the baseline. For each concept and each follow-up month, the analysis
takes the participants who have both the baseline and that month (complete pairs) and gives:

- per arm: the mean change (follow-up - baseline), its SD, n and t-based 95% CI
  (R: `t.test(change)`);
- between the arms, two estimates of the same difference arms[0] - arms[1]:
  * ANCOVA, the primary one: OLS of follow-up on baseline and arm, the arm coefficient with
    its t-based 95% CI and p (R: `lm(follow ~ baseline + arm)`). It removes the regression
    to the mean that a change score keeps and is more precise (Vickers & Altman 2001, BMJ
    323:1123; Senn 2006, Stat Med 25:4334);
  * Welch's t on the change scores (R: `t.test(change ~ arm, var.equal = FALSE)`), the
    simpler figure, reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from psytrial.core.errors import DataError
from psytrial.stats._secondary_frames import (
    numeric_column,
    require_columns,
    require_one_arm_each,
    require_unique,
    resolve_arms,
)
from psytrial.stats.twosample import WelchTest, welch_t

WHAT = "colour-test attitudes"
COLUMNS = ("participant_id", "arm", "concept", "month", "positivity")


@dataclass(frozen=True)
class ChangeSummary:
    """One arm's change from baseline: n, mean, SD and t-based 95% CI (None if undefined)."""

    arm: str
    n: int
    mean: float | None
    sd: float | None
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class AncovaEstimate:
    """Baseline-adjusted difference arms[0] - arms[1] from OLS follow-up ~ baseline + arm."""

    difference: float
    se: float
    ci95: tuple[float, float]
    t: float
    df: int
    p: float
    baseline_slope: float


@dataclass(frozen=True)
class AttitudeChange:
    """One concept at one follow-up month."""

    concept: str
    month: int
    arms: tuple[str, str]
    summaries: tuple[ChangeSummary, ChangeSummary]
    ancova: AncovaEstimate | None
    welch: WelchTest | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class AttitudeResult:
    """Every concept and follow-up month, concepts in order of first appearance."""

    arms: tuple[str, str]
    changes: tuple[AttitudeChange, ...]

    def change(self, concept: str, month: int) -> AttitudeChange:
        """The result for `concept` at `month`."""
        for c in self.changes:
            if c.concept == concept and c.month == month:
                return c
        raise KeyError((concept, month))


def analyse_attitudes(
    scores: pd.DataFrame, arms: tuple[str, str] | None = None, baseline_month: int = 0
) -> AttitudeResult:
    """Change from `baseline_month` per concept and later month, compared between arms."""
    data, arms = _clean(scores, arms)
    out = []
    for concept in dict.fromkeys(data["concept"]):
        rows = data[data["concept"] == concept]
        base = rows[rows["month"] == baseline_month].set_index("participant_id")
        for month in sorted(int(m) for m in rows["month"].unique() if m > baseline_month):
            pairs = _pairs(base, rows[rows["month"] == month])
            out.append(_compare(str(concept), month, arms, pairs))
    return AttitudeResult(arms=arms, changes=tuple(out))


def _clean(
    scores: pd.DataFrame, arms: tuple[str, str] | None
) -> tuple[pd.DataFrame, tuple[str, str]]:
    require_columns(scores, COLUMNS, WHAT)
    arms = resolve_arms(scores, arms, WHAT)
    data = scores.loc[:, list(COLUMNS)].copy()
    data["positivity"] = numeric_column(data, "positivity", WHAT)
    data["month"] = numeric_column(data, "month", WHAT)
    if data["month"].isna().any() or data["concept"].isna().any():
        raise DataError(f"{WHAT}: expected a concept and a month on every row, got a missing one")
    data["month"] = data["month"].astype(int)
    data = data[data["positivity"].notna()].reset_index(drop=True)
    require_unique(data, ["participant_id", "concept", "month"], WHAT)
    require_one_arm_each(data, WHAT)
    return data, arms


def _pairs(base: pd.DataFrame, follow: pd.DataFrame) -> pd.DataFrame:
    follow = follow.set_index("participant_id")
    both = base.index.intersection(follow.index)
    return pd.DataFrame(
        {
            "arm": follow.loc[both, "arm"],
            "baseline": base.loc[both, "positivity"],
            "follow": follow.loc[both, "positivity"],
        }
    ).assign(change=lambda f: f["follow"] - f["baseline"])


def _compare(
    concept: str, month: int, arms: tuple[str, str], pairs: pd.DataFrame
) -> AttitudeChange:
    a = pairs.loc[pairs["arm"] == arms[0], "change"].to_numpy(dtype=float)
    b = pairs.loc[pairs["arm"] == arms[1], "change"].to_numpy(dtype=float)
    notes: list[str] = []
    enough = a.size >= 2 and b.size >= 2
    if not enough:
        notes.append("no between-arm comparison: fewer than 2 complete pairs in an arm")
    welch = welch_t(a, b) if enough else None
    if enough and welch is None:
        notes.append("Welch t not done: no variation in change within either arm")
    ancova = _ancova(pairs, arms[0]) if enough else None
    if enough and ancova is None:
        notes.append("ANCOVA not done: baseline or residual variation is 0")
    summaries = (_change_summary(arms[0], a), _change_summary(arms[1], b))
    return AttitudeChange(concept, month, arms, summaries, ancova, welch, tuple(notes))


def _change_summary(arm: str, change: np.ndarray) -> ChangeSummary:
    n = int(change.size)
    if n == 0:
        return ChangeSummary(arm, 0, None, None, None)
    mean = float(change.mean())
    if n == 1:
        return ChangeSummary(arm, 1, mean, None, None)
    sd = float(change.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / np.sqrt(n)
    return ChangeSummary(arm, n, mean, sd, (mean - half, mean + half))


def _ancova(pairs: pd.DataFrame, treated_arm: str) -> AncovaEstimate | None:
    """OLS follow ~ 1 + baseline + arm by the normal equations; None if not estimable."""
    x = np.column_stack(
        [
            np.ones(len(pairs)),
            pairs["baseline"].to_numpy(dtype=float),
            (pairs["arm"] == treated_arm).to_numpy(dtype=float),
        ]
    )
    y = pairs["follow"].to_numpy(dtype=float)
    df = len(y) - 3
    if df < 1 or np.linalg.matrix_rank(x) < 3:
        return None
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    sigma2 = float(np.sum((y - x @ beta) ** 2)) / df
    if sigma2 == 0.0:
        return None
    se = float(np.sqrt(sigma2 * xtx_inv[2, 2]))
    diff, q = float(beta[2]), float(stats.t.ppf(0.975, df))
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    return AncovaEstimate(diff, se, (diff - q * se, diff + q * se), t, df, p, float(beta[1]))
