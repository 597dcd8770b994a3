"""The two-sample log-rank test, vectorized across simulated trials.

It is R's `survdiff(Surv(time, status) ~ arm)` with rho = 0: at every month with at least
one relapse, the expected relapses of the experimental arm are n1 d / n and the variance is the
hypergeometric one for tied relapses, n1 n0 d (n - d) / (n^2 (n - 1)); censorings at a month
count as at risk at that month. The statistic is (O1 - E1)^2 / V with 1 degree of freedom.

Because times are monthly, each trial reduces to its (2, M) grid of counts (grid.py), so
the whole test is a handful of array operations over an (M, R) grid.

Degenerate trials (ASSUMPTION, our choice): when V = 0 (no relapse at all, or every relapse
happened when only one arm was still at risk, or every participant at risk relapsed) O1 - E1 is
also exactly 0, R's survdiff has nothing to test and statsmodels raises a singular-matrix
error. We report chi2 = 0 and p = 1, so such a trial never rejects, and count them in
`degenerate` so the power table can show how often it happened.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray
from scipy import special

from psytrial.sim.power.grid import TrialGrid, count_grid, trial_blocks

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class LogrankResult:
    """Per-trial log-rank results, arrays of shape (R,).

    observed/expected are for arm 1 (experimental); chi2 has 1 degree of freedom.
    """

    chi2: FloatArray
    p: FloatArray
    observed: FloatArray
    expected: FloatArray
    variance: FloatArray
    events: NDArray[np.int64]

    @property
    def degenerate(self) -> NDArray[np.bool_]:
        """Trials with zero variance (chi2 set to 0, p to 1)."""
        return self.variance <= 0.0

    def rejects(self, alpha: float) -> NDArray[np.bool_]:
        """Two-sided rejection at level alpha: p < alpha."""
        return self.p < alpha


def logrank_from_grid(grid: TrialGrid) -> LogrankResult:
    """Log-rank test of every trial in the grid."""
    d1 = grid.events[1].astype(np.float64)
    d = d1 + grid.events[0]
    n1 = grid.at_risk[1].astype(np.float64)
    n0 = grid.at_risk[0].astype(np.float64)
    n = n0 + n1
    # Months with n <= 1 contribute nothing (n1 * n0 = 0 there), so clipping the
    # denominators at 1 keeps every term exact without masking.
    share = d / np.maximum(n, 1.0)  # relapses per participant at risk, d / n
    expected = (n1 * share).sum(axis=0)
    spread = (n - d) / np.maximum(n - 1.0, 1.0)
    variance = (n1 * n0 / np.maximum(n, 1.0) * share * spread).sum(axis=0)
    observed = d1.sum(axis=0)
    diff = observed - expected
    ok = variance > 0.0
    chi2 = np.where(ok, diff * diff / np.where(ok, variance, 1.0), 0.0)
    # With 1 degree of freedom the chi-square tail is erfc(sqrt(x / 2)); scipy's general
    # chdtrc gives the same values to rounding but is about 20 times slower.
    p = np.where(ok, special.erfc(np.sqrt(chi2 / 2.0)), 1.0)
    return LogrankResult(
        chi2=chi2,
        p=p,
        observed=observed,
        expected=expected,
        variance=variance,
        events=grid.events.sum(axis=(0, 1)),
    )


def logrank_test_vec(
    time: NDArray[np.integer],
    event: NDArray[np.generic],
    arm: NDArray[np.integer],
    n_months: int | None = None,
) -> LogrankResult:
    """Log-rank test of R trials given as (R, n) arrays of month (1..M), event (0/1), arm (0/1).

    `arm` may also be one row (n,) shared by all trials; `n_months` defaults to the largest
    time present. Trials are counted and tested block by block (cache-sized blocks).
    """
    time, arm = np.asarray(time), np.asarray(arm)
    months = n_months if n_months is not None else int(time.max()) if time.size else 1
    parts = [
        logrank_from_grid(
            count_grid(
                time[rows], np.asarray(event)[rows], arm if arm.ndim == 1 else arm[rows], months
            )
        )
        for rows in trial_blocks(time.shape[0], time.shape[-1])
    ]
    if len(parts) <= 1:
        return parts[0] if parts else logrank_from_grid(count_grid(time, event, arm, months))
    return LogrankResult(
        **{
            f.name: np.concatenate([getattr(p, f.name) for p in parts])
            for f in fields(LogrankResult)
        }
    )
