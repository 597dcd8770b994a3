"""The log-rank test of equal relapse-free survival across arms (R survdiff, rho = 0).

The statistic comes from statsmodels' survdiff (Mantel 1966; hypergeometric variance at each
relapse time, so tied relapses in the same month are handled exactly as R's survdiff handles
them). statsmodels returns only the statistic, so the observed and expected relapse counts per
arm that R prints are computed here from the pooled risk sets:
E_arm = sum over relapse months t of d_t * n_arm,t / n_t. The p-value is the chi-square upper
tail computed directly (scipy chi2.sf) rather than as 1 - cdf, which would lose tiny p-values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2
from statsmodels.duration.survfunc import survdiff

from psytrial.core.errors import DataError
from psytrial.stats.survival._data import (
    FloatArray,
    SurvivalData,
    SurvivalInput,
    as_survival_data,
)


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank chi-square with df = arms - 1, and relapses observed and expected per arm."""

    arms: tuple[str, ...]
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    chi2: float
    df: int
    p: float


def logrank(data: SurvivalInput, *, arms: Sequence[str] | None = None) -> LogRankResult:
    """Compare the arms' relapse-free survival (R: survdiff(Surv(time, event) ~ arm, rho = 0))."""
    checked = as_survival_data(data, arms=arms)
    if len(checked.arms) < 2:
        raise DataError(f"logrank: expected at least 2 arms, got {checked.arms}")
    if checked.event.sum() == 0:
        raise DataError("logrank: expected at least one relapse, got none")
    expected = _expected(checked)
    empty = [a for a, e in zip(checked.arms, expected, strict=True) if e == 0.0]
    if empty:
        raise DataError(f"logrank: arm {empty[0]!r} has nobody at risk at any relapse time")
    statistic = _statistic(checked)
    df = len(checked.arms) - 1
    return LogRankResult(
        arms=checked.arms,
        observed=tuple(checked.events_in(a) for a in checked.arms),
        expected=tuple(float(e) for e in expected),
        chi2=float(statistic),
        df=df,
        p=float(chi2.sf(statistic, df)),
    )


def _statistic(data: SurvivalData) -> float:
    try:
        statistic, _ = survdiff(data.time, data.event, _group_codes(data))
    except np.linalg.LinAlgError:
        # Only when everyone at risk relapses at every relapse time: no variance to test.
        raise DataError(
            "logrank: expected some participants at risk to stay abstinent, got a variance of 0"
        ) from None
    return float(statistic)


def _expected(data: SurvivalData) -> FloatArray:
    relapse_times = np.unique(data.time[data.event == 1])
    at_risk = data.time[None, :] >= relapse_times[:, None]
    deaths = np.array([np.sum((data.time == t) & (data.event == 1)) for t in relapse_times])
    share = np.stack([(at_risk & data.mask(a)).sum(axis=1) for a in data.arms], axis=1)
    expected = (deaths[:, None] * share / at_risk.sum(axis=1)[:, None]).sum(axis=0)
    return np.asarray(expected, dtype=np.float64)


def _group_codes(data: SurvivalData) -> np.ndarray:
    """Integer codes in declared order; survdiff sorts groups, and the statistic ignores order."""
    index = {a: i for i, a in enumerate(data.arms)}
    return np.array([index[a] for a in data.arm.tolist()])
