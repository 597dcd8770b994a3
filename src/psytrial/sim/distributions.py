"""Turning pre-drawn uniforms into the scenario's distributions, by inverse CDFs.

The cohort generator draws every random number up front as uniforms on [0, 1) and turns
them into values here. Inverse-CDF transforms keep the two arms of one participant coupled:
the same uniform gives the relapse month under either arm, so a participant who stays
abstinent on the weaker hazard also does on the stronger one.

Two bounded scores need care so that their means are what the scenario says:

* HRS cluster score (0-4, the mean of k items rated 0-4). A participant's latent level L is
  4 x Beta with the scenario's mean; the cluster's item total is k L rounded at random
  (up with probability equal to its fraction), so E[score | L] = L exactly. That rounding
  adds variance frac(kL)(1 - frac(kL)) / k^2, so the latent variance is the scenario's
  variance less the expected rounding variance (solved by a fixed point; `hrs_latent`).
* Stochastic rounding of any level x to a grid (x rounded up with probability frac(x)) is
  unbiased; it is used for colour-test ranks too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import special

from psytrial.core.errors import ScenarioError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

HRS_MAX = 4.0
_GRID_PER_UNIT = 64
_FIXED_POINT_STEPS = 40
_CONVERGED = 1e-12


def normal(u: FloatArray | float, mean: float, sd: float) -> FloatArray:
    """N(mean, sd) quantiles of u."""
    out: FloatArray = mean + sd * special.ndtri(np.asarray(u, dtype=np.float64))
    return out


def truncated_normal(
    u: FloatArray, mean: float, sd: float, low: float | FloatArray, high: float | FloatArray
) -> FloatArray:
    """Quantiles of N(mean, sd) cut to [low, high] (bounds may vary per element).

    Phi^-1(Phi(a) + u (Phi(b) - Phi(a))): exact in double precision while the mean lies in
    [low, high] (or below both bounds), as every scenario distribution's does.
    """
    pa = special.ndtr((np.asarray(low, dtype=np.float64) - mean) / sd)
    pb = special.ndtr((np.asarray(high, dtype=np.float64) - mean) / sd)
    out: FloatArray = mean + sd * special.ndtri(pa + np.asarray(u) * (pb - pa))
    return np.clip(out, low, high)


def stochastic_round(x: FloatArray, u: FloatArray) -> IntArray:
    """floor(x), plus 1 with probability frac(x): an unbiased integer for each element."""
    floor = np.floor(x)
    out: IntArray = (floor + (u < (x - floor))).astype(np.int64)
    return out


def categorical(u: FloatArray | float, shares: tuple[float, ...]) -> IntArray:
    """The index of the category each uniform falls in, for shares that sum to 1."""
    edges = np.cumsum(np.asarray(shares, dtype=np.float64))
    edges[-1] = np.inf  # floating sums just below 1 must not leave u = 0.9999999 outside
    out: IntArray = np.searchsorted(edges, np.asarray(u), side="right").astype(np.int64)
    return out


def first_month(u: FloatArray | float, monthly: FloatArray) -> IntArray:
    """The first month m (1-based) whose cumulative probability exceeds u; 0 = none by the end.

    `monthly` holds conditional probabilities per month; P(first <= m) = 1 - prod(1 - p).
    """
    cdf = -np.expm1(np.cumsum(np.log1p(-np.minimum(monthly, 1.0))))
    month = np.searchsorted(cdf, np.asarray(u), side="right") + 1
    out: IntArray = np.where(month > len(monthly), 0, month).astype(np.int64)
    return out


@dataclass(frozen=True)
class BetaLatent:
    """A latent HRS level 4 x Beta(a, b)."""

    a: float
    b: float

    def quantile(self, u: FloatArray) -> FloatArray:
        out: FloatArray = HRS_MAX * special.betaincinv(self.a, self.b, u)
        return out


def _beta(mean: float, variance: float) -> BetaLatent:
    m, v = mean / HRS_MAX, variance / HRS_MAX**2
    common = m * (1 - m) / v - 1
    return BetaLatent(m * common, (1 - m) * common)


def _rounding_variance(latent: BetaLatent, n_items: int) -> float:
    """E[frac(kL)(1 - frac(kL))] / k^2 for L = 4 Beta(a, b), on a fine grid of kL."""
    steps = int(HRS_MAX) * n_items * _GRID_PER_UNIT
    t = np.linspace(0.0, HRS_MAX * n_items, steps + 1)
    mass = np.diff(special.betainc(latent.a, latent.b, t / (HRS_MAX * n_items)))
    mid = (t[:-1] + t[1:]) / 2
    frac = mid - np.floor(mid)
    return float(np.sum(mass * frac * (1 - frac))) / n_items**2


@lru_cache(maxsize=256)
def hrs_latent(mean: float, sd: float, n_items: int) -> BetaLatent:
    """The latent level whose randomly rounded k-item score has this mean and sd.

    Raises ScenarioError (unlocated; the caller adds the place) when no latent spread is
    small enough, because rounding k items alone already spreads the score more than sd.
    """
    target = sd**2
    variance = target - 1 / (6 * n_items**2)
    for _ in range(_FIXED_POINT_STEPS):
        if variance <= 0:
            break
        updated = target - _rounding_variance(_beta(mean, variance), n_items)
        converged = abs(updated - variance) < _CONVERGED
        variance = updated
        if converged:
            break
    if variance <= 0 or not math.isfinite(variance):
        floor = math.sqrt(target - variance) if math.isfinite(variance) else float("nan")
        raise ScenarioError(
            f"expected an sd above {floor:.3g} (rounding {n_items} items of 0-4 already "
            f"spreads the score that much), got {sd:g}"
        )
    return _beta(mean, variance)
