"""Abstinence at fixed months, compared between two arms as 2x2 tables.

The 2002 trial assessed abstinence at months 1, 3, 6, 12, 18 and 24; the analysis plan reports,
per month and arm, n abstinent of N assessed, and compares the arms with:

- Fisher's exact test, two-sided (scipy.stats.fisher_exact; the same rule as R's fisher.test:
  sum the probabilities of all tables no more likely than the observed one).
- Pearson's chi-square with and without Yates' continuity correction
  (scipy.stats.chi2_contingency; as R's chisq.test, the correction moves each cell at most
  0.5 towards its expectation). With an empty margin R returns NaN, and so does this module.
  `small_expected` flags an expected count below 5, where R warns that the approximation may
  be incorrect.
- The risk difference (first arm minus second) with Newcombe's (1998) hybrid score interval,
  his method 10, built from the two Wilson score intervals (statsmodels
  confint_proportions_2indep, method "newcomb"); checked against Newcombe's Table II and R.

Abstinent at month m means no relapse by m: relapse time > m, or censored at m or later.
Whoever was censored before m has an unknown status at m; `lost="relapse"` counts them as
relapsed (the conservative rule of addiction trials, the primary choice) and `lost="exclude"`
drops them from N (the sensitivity analysis).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.proportion import confint_proportions_2indep

from psytrial.core.errors import DataError
from psytrial.stats.survival._data import SurvivalInput, as_survival_data, require_arms

KPT_MONTHS: tuple[float, ...] = (1.0, 3.0, 6.0, 12.0, 18.0, 24.0)
RISK_DIFFERENCE_METHOD = "Newcombe hybrid score (Newcombe 1998, method 10)"
Lost = Literal["relapse", "exclude"]


@dataclass(frozen=True)
class TwoByTwo:
    """Abstinent of total in two arms, with Fisher, chi-square and the risk difference."""

    arms: tuple[str, str]
    abstinent: tuple[int, int]
    total: tuple[int, int]
    fisher_p: float
    chi2: float
    chi2_p: float
    chi2_yates: float
    chi2_yates_p: float
    small_expected: bool
    risk_difference: float
    rd_lower: float
    rd_upper: float
    conf_level: float
    rd_method: str = RISK_DIFFERENCE_METHOD

    @property
    def proportion(self) -> tuple[float, float]:
        return (self.abstinent[0] / self.total[0], self.abstinent[1] / self.total[1])


@dataclass(frozen=True)
class AbstinenceAtMonth:
    """One assessment month; `comparison` is None when an arm has nobody assessed."""

    month: float
    arms: tuple[str, str]
    abstinent: tuple[int, int]
    total: tuple[int, int]
    comparison: TwoByTwo | None


@dataclass(frozen=True)
class AbstinenceTable:
    lost: Lost
    arms: tuple[str, str]
    rows: tuple[AbstinenceAtMonth, ...]


def compare_proportions(
    abstinent: tuple[int, int],
    total: tuple[int, int],
    *,
    arms: tuple[str, str] = ("first", "second"),
    conf_level: float = 0.95,
) -> TwoByTwo:
    """Compare abstinent[0] of total[0] with abstinent[1] of total[1] (e.g. a published table)."""
    _check_counts(abstinent, total)
    if not 0.0 < conf_level < 1.0:
        raise DataError(f"conf_level: expected a number between 0 and 1, got {conf_level}")
    table = np.array(
        [[abstinent[0], total[0] - abstinent[0]], [abstinent[1], total[1] - abstinent[1]]]
    )
    plain, yates, small = _chi_square(table)
    low, high = confint_proportions_2indep(
        abstinent[0],
        total[0],
        abstinent[1],
        total[1],
        method="newcomb",
        compare="diff",
        alpha=1.0 - conf_level,
    )
    return TwoByTwo(
        arms=arms,
        abstinent=(int(abstinent[0]), int(abstinent[1])),
        total=(int(total[0]), int(total[1])),
        fisher_p=float(fisher_exact(table, alternative="two-sided").pvalue),
        chi2=plain[0],
        chi2_p=plain[1],
        chi2_yates=yates[0],
        chi2_yates_p=yates[1],
        small_expected=small,
        risk_difference=abstinent[0] / total[0] - abstinent[1] / total[1],
        rd_lower=float(low),
        rd_upper=float(high),
        conf_level=conf_level,
    )


def abstinence_by_month(
    data: SurvivalInput,
    *,
    months: Sequence[float] = KPT_MONTHS,
    lost: Lost = "relapse",
    arms: Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> AbstinenceTable:
    """n abstinent / N per arm at each month, compared (first declared arm minus second)."""
    if lost not in ("relapse", "exclude"):
        raise DataError(f"lost: expected 'relapse' or 'exclude', got {lost!r}")
    checked = as_survival_data(data, arms=arms)
    require_arms(checked, 2, "abstinence")
    pair = (checked.arms[0], checked.arms[1])
    rows = []
    for month in months:
        abstinent_now = (checked.time > month) | ((checked.time == month) & (checked.event == 0))
        known = ((checked.event == 1) & (checked.time <= month)) | (checked.time >= month)
        counted = known if lost == "exclude" else np.ones(checked.n, dtype=bool)
        a = tuple(int((abstinent_now & counted & checked.mask(arm)).sum()) for arm in pair)
        n = tuple(int((counted & checked.mask(arm)).sum()) for arm in pair)
        comparison = (
            compare_proportions((a[0], a[1]), (n[0], n[1]), arms=pair, conf_level=conf_level)
            if min(n) > 0
            else None
        )
        rows.append(AbstinenceAtMonth(float(month), pair, (a[0], a[1]), (n[0], n[1]), comparison))
    return AbstinenceTable(lost=lost, arms=pair, rows=tuple(rows))


def _chi_square(table: np.ndarray) -> tuple[tuple[float, float], tuple[float, float], bool]:
    """(statistic, p) without and with Yates' correction; NaN when a margin is empty, as R."""
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        nan = (float("nan"), float("nan"))
        return nan, nan, True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        plain = chi2_contingency(table, correction=False)
        yates = chi2_contingency(table, correction=True)
    small = bool((np.asarray(plain.expected_freq) < 5).any())
    return (
        (float(plain.statistic), float(plain.pvalue)),
        (float(yates.statistic), float(yates.pvalue)),
        small,
    )


def _check_counts(abstinent: tuple[int, int], total: tuple[int, int]) -> None:
    if len(abstinent) != 2 or len(total) != 2:
        raise DataError(f"2x2 table: expected two arms, got {abstinent} of {total}")
    for a, n in zip(abstinent, total, strict=True):
        if int(n) != n or n < 1:
            raise DataError(f"total: expected a whole number of participants >= 1, got {n}")
        if int(a) != a or not 0 <= a <= n:
            raise DataError(f"abstinent: expected a whole number between 0 and {n}, got {a}")
