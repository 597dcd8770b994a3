"""Simulation of many trials at once, and their per-month event and censoring counts.

`simulate_trials` draws R whole trials in one go. A participant's observed outcome is one of
2M cells (relapse observed at month m, or censored at month m), drawn by inverse-CDF sampling
from the cell probabilities implied by independent latent relapse and dropout months (see
scenario.py for the timing convention): one uniform per participant, no loop over trials.

The per-month counts the tests need are built in grid.py, either from these arrays or straight
from the drawn cells.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from psytrial.core.errors import ScenarioError
from psytrial.sim.power.scenario import ArmModel, PowerScenario

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def arm_sizes(n_per_arm: int | tuple[int, int]) -> tuple[int, int]:
    """(n control, n experimental) from one size for both arms or a pair."""
    sizes = (n_per_arm, n_per_arm) if isinstance(n_per_arm, int) else tuple(n_per_arm)
    if len(sizes) != 2 or any(int(s) != s or s < 1 for s in sizes):
        raise ScenarioError(
            f"n per arm: expected a positive whole number or a pair, got {n_per_arm}"
        )
    return int(sizes[0]), int(sizes[1])


def _readonly(a: NDArray[np.generic]) -> NDArray[np.generic]:
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class SimulatedTrials:
    """R simulated trials, one row each: time (1..M), event (1 relapse, 0 censored), arm (0/1)."""

    time: NDArray[np.int16]
    event: NDArray[np.int8]
    arm: NDArray[np.int8]
    n_months: int

    @property
    def reps(self) -> int:
        return int(self.time.shape[0])

    @property
    def n_per_arm(self) -> tuple[int, int]:
        row = self.arm[0]
        return int((row == 0).sum()), int((row == 1).sum())


_LUT_BITS = 16


@functools.lru_cache(maxsize=64)
def _cell_sampler(arm: ArmModel) -> tuple[FloatArray, NDArray[np.intp]]:
    """(cdf over the 2M outcome cells, lookup table from the top 16 bits of u to the cell).

    Cell 2(m-1) + event holds the outcome at month m. The lookup table gives the cell of
    every uniform in a bin of width 2^-16 when the whole bin maps to one cell, and -1 when a
    cell boundary falls inside the bin; only those few uniforms need a binary search. The
    result is exactly the inverse-CDF cell, just found faster.
    """
    events, censored = arm.cell_probabilities()
    cells = np.empty(2 * events.size)
    cells[0::2] = censored
    cells[1::2] = events
    cdf = np.cumsum(cells)
    # The last cell must catch every uniform in [0, 1) despite rounding in the sum.
    cdf[-1] = np.inf
    bins = 1 << _LUT_BITS
    low = np.arange(bins, dtype=np.float64) / bins
    high = np.nextafter((np.arange(bins, dtype=np.float64) + 1.0) / bins, 0.0)
    cell_low = np.searchsorted(cdf, low, side="right")
    cell_high = np.searchsorted(cdf, high, side="right")
    lut = np.where(cell_low == cell_high, cell_low, -1).astype(np.intp)
    return cdf, lut


def _draw_cells(arm: ArmModel, u: FloatArray) -> IntArray:
    """Inverse-CDF outcome cells of the uniforms `u` (which are scaled in place)."""
    cdf, lut = _cell_sampler(arm)
    u *= 1 << _LUT_BITS  # exact: a power of two
    cells: IntArray = lut[u.astype(np.intp)]
    straddling = np.flatnonzero(cells.ravel() < 0)
    if straddling.size:
        exact = u.ravel()[straddling] / (1 << _LUT_BITS)
        cells.ravel()[straddling] = np.searchsorted(cdf, exact, side="right")
    return cells


def simulate_cells(
    scenario: PowerScenario,
    n_per_arm: int | tuple[int, int],
    reps: int,
    rng: np.random.Generator | int | None,
) -> tuple[IntArray, IntArray]:
    """Outcome cells 2(time - 1) + event, one (reps, n_arm) array per arm.

    A participant's outcome (relapse observed at month m, or censored at month m) is one draw
    from 2M cells whose probabilities are those of independent latent relapse and dropout
    months (ArmModel.cell_probabilities): one uniform per participant, inverted through the
    cumulative cell probabilities.
    """
    gen = as_generator(rng)
    sizes = arm_sizes(n_per_arm)
    if reps < 0:
        raise ScenarioError(f"reps: expected a whole number >= 0, got {reps}")
    drawn = [
        _draw_cells(arm, gen.random((reps, n))) for arm, n in zip(scenario.arms, sizes, strict=True)
    ]
    return drawn[0], drawn[1]


def simulate_trials(
    scenario: PowerScenario,
    n_per_arm: int | tuple[int, int],
    reps: int,
    rng: np.random.Generator | int | None = None,
) -> SimulatedTrials:
    """Simulate `reps` trials; participants 0..n0-1 are arm 0, the rest arm 1.

    `rng` is a numpy Generator or a seed; the same seed gives the same trials byte for byte,
    and the same trials as `grid.simulate_grid` with that seed.
    """
    cell0, cell1 = simulate_cells(scenario, n_per_arm, reps, rng)
    cells = np.concatenate((cell0, cell1), axis=1)
    arm_row = np.repeat(np.array([0, 1], dtype=np.int8), (cell0.shape[1], cell1.shape[1]))
    return SimulatedTrials(
        time=_readonly((cells // 2 + 1).astype(np.int16)),  # type: ignore[arg-type]
        event=_readonly((cells % 2).astype(np.int8)),  # type: ignore[arg-type]
        arm=_readonly(np.repeat(arm_row[None, :], reps, axis=0)),  # type: ignore[arg-type]
        n_months=scenario.n_months,
    )
