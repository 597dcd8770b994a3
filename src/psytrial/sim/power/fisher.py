"""Fisher's exact test of abstinence at one month, vectorized across simulated trials.

The 2x2 table of a trial has the arms as rows (arm 0 first) and (abstinent, not abstinent) as
columns. Who counts as abstinent at month m:

- relapsed at or before m: not abstinent;
- seen relapse-free at visit m or later (time > m, or censored at m): abstinent;
- lost before m (censored at a month < m): depends on `lost`:
  * "relapsed" (default; the conservative rule of addiction trials, see kpt2002.md): counted
    as not abstinent, so every randomized participant is in the table;
  * "excluded": left out of the table (a complete-case sensitivity analysis).

The two-sided p-value is scipy.stats.fisher_exact's: the sum of the hypergeometric
probabilities of all tables with the same margins that are no more likely than the observed
one (relative tolerance 1e-14, as scipy), and exactly 1 when the observed table is the most
likely. Tables are small, so for each distinct set of margins the p-values of every possible
table are computed once, with scipy.stats.hypergeom.pmf on arrays, and cached; a trial's
p-value is then a lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from psytrial.core.errors import ScenarioError
from psytrial.sim.power.grid import TrialGrid, count_grid

LostRule = Literal["relapsed", "excluded"]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_EPSILON = 1e-14
_CACHE_LIMIT = 500_000
_cache: dict[tuple[int, int, int], FloatArray] = {}


@dataclass(frozen=True, eq=False)
class FisherResult:
    """Per-trial tables and two-sided p-values, arrays of shape (R,)."""

    month: int
    lost: LostRule
    abstinent: IntArray  # (R, 2): abstinent per arm
    total: IntArray  # (R, 2): participants in the table per arm
    p: FloatArray

    def rejects(self, alpha: float) -> NDArray[np.bool_]:
        """Two-sided rejection at level alpha: p < alpha."""
        return self.p < alpha


def _margin_pvalues(row0: int, row1: int, col0: int) -> FloatArray:
    """Two-sided p-value for every possible top-left cell x = 0..row0, given the margins."""
    if row0 + row1 == 0:
        return np.ones(1)  # an empty table (everyone lost, rule "excluded"): nothing to test
    from scipy.stats import hypergeom  # imported on first use: scipy.stats takes ~1 s to load

    x = np.arange(row0 + 1)
    pmf = np.asarray(hypergeom.pmf(x, row0 + row1, row0, col0), dtype=np.float64)
    # p(x) sums pmf(y) over every y with pmf(y) <= pmf(x) (1 + eps): sorting the pmf once
    # makes that a cumulative sum and a binary search, O(S log S) even for large tables.
    ranked = np.sort(pmf)
    below = np.concatenate(([0.0], np.cumsum(ranked)))
    p = np.minimum(below[np.searchsorted(ranked, pmf * (1.0 + _EPSILON), side="right")], 1.0)
    # scipy returns exactly 1 when the table is as likely as the mode (within epsilon).
    top = pmf.max()
    p[np.abs(pmf - top) <= _EPSILON * top] = 1.0
    out: FloatArray = p
    return out


def fisher_pvalues(
    a: NDArray[np.integer],
    row0: NDArray[np.integer],
    row1: NDArray[np.integer],
    col0: NDArray[np.integer],
) -> FloatArray:
    """Two-sided Fisher p-values of the tables [[a, row0 - a], [col0 - a, row1 - col0 + a]]."""
    a, row0, row1, col0 = (np.asarray(v, dtype=np.int64) for v in (a, row0, row1, col0))
    width = int(row0.max()) + 2 if row0.size else 1
    keys = (row0 * (int(row1.max(initial=0)) + 1) + row1) * (
        int((row0 + row1).max(initial=0)) + 1
    ) + col0
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    table = np.ones((uniq.size, width))
    for i, j in enumerate(first):
        key = (int(row0.flat[j]), int(row1.flat[j]), int(col0.flat[j]))
        cached = _cache.get(key)
        if cached is None:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            cached = _cache[key] = _margin_pvalues(*key)
        table[i, : cached.size] = cached
    out: FloatArray = table[inverse.reshape(a.shape), a]
    return out


def abstinence_table(
    grid: TrialGrid, month: int, lost: LostRule = "relapsed"
) -> tuple[IntArray, IntArray]:
    """(abstinent, total) per trial and arm, shape (R, 2), at `month` under the `lost` rule."""
    if not 1 <= month <= grid.n_months:
        raise ScenarioError(f"fisher month: expected 1..{grid.n_months}, got {month}")
    if lost not in ("relapsed", "excluded"):
        raise ScenarioError(f"lost rule: expected 'relapsed' or 'excluded', got {lost!r}")
    randomized = grid.at_risk[:, 0]
    relapsed = grid.events[:, :month].sum(axis=1)
    lost_before = grid.censored[:, : month - 1].sum(axis=1)
    abstinent = randomized - relapsed - lost_before
    total = randomized if lost == "relapsed" else randomized - lost_before
    return np.ascontiguousarray(abstinent.T), np.ascontiguousarray(total.T)


def fisher_from_grid(grid: TrialGrid, month: int, lost: LostRule = "relapsed") -> FisherResult:
    """Fisher's exact test of abstinence at `month` for every trial in the grid."""
    abstinent, total = abstinence_table(grid, month, lost)
    p = fisher_pvalues(abstinent[:, 0], total[:, 0], total[:, 1], abstinent[:, 0] + abstinent[:, 1])
    return FisherResult(month=month, lost=lost, abstinent=abstinent, total=total, p=p)


def fisher_test_vec(
    time: NDArray[np.integer],
    event: NDArray[np.generic],
    arm: NDArray[np.integer],
    month: int,
    lost: LostRule = "relapsed",
    n_months: int | None = None,
) -> FisherResult:
    """Fisher's exact test at `month` for R trials given as (R, n) arrays (see module doc)."""
    time = np.asarray(time)
    months = max(int(time.max()), month) if n_months is None else n_months
    return fisher_from_grid(count_grid(time, event, arm, months), month, lost)
