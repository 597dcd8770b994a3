"""Simulation of many trials at once, and their per-month event and censoring counts.

`simulate_trials` draws R whole trials in one go. A participant's observed outcome is one of
2M cells (relapse observed at month m, or censored at month m), drawn by inverse-CDF sampling
from the cell probabilities implied by independent latent relapse and dropout months (see
scenario.py for the timing convention): one uniform per participant, no loop over trials.

Because follow-up is a grid of M monthly visits, every statistic the engine needs depends on
a trial only through its (2 arms, M months) counts of relapses and censorings. `count_grid`
builds them from (R, n) arrays with one integer bincount; `simulate_grid` builds the same
counts straight from the drawn cells (the same trials as `simulate_trials` with the same
seed), which is the fast path of the power table.
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
def _cell_sampler(arm: ArmModel) -> tuple[FloatArray, NDArray[np.int16]]:
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
    lut = np.where(cell_low == cell_high, cell_low, -1).astype(np.int16)
    return cdf, lut


def _draw_cells(arm: ArmModel, u: FloatArray) -> IntArray:
    cdf, lut = _cell_sampler(arm)
    cells = lut[(u * (1 << _LUT_BITS)).astype(np.intp)].astype(np.int64)
    straddling = np.flatnonzero(cells.ravel() < 0)
    if straddling.size:
        cells.ravel()[straddling] = np.searchsorted(cdf, u.ravel()[straddling], side="right")
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
    and the same trials as `simulate_grid` with that seed.
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


def simulate_grid(
    scenario: PowerScenario,
    n_per_arm: int | tuple[int, int],
    reps: int,
    rng: np.random.Generator | int | None = None,
) -> TrialGrid:
    """The count grid of the trials `simulate_trials` would draw, without the (R, n) arrays."""
    m2 = 2 * scenario.n_months
    per_arm = []
    for cells in simulate_cells(scenario, n_per_arm, reps, rng):
        idx = cells + (np.arange(reps, dtype=np.int64) * m2)[:, None]
        counts = np.bincount(idx.ravel(), minlength=reps * m2).reshape(reps, -1, 2)
        per_arm.append(counts)
    counts = np.stack(per_arm, axis=1)
    return grid_from_counts(counts[..., 1], counts[..., 0])


@dataclass(frozen=True, eq=False)
class TrialGrid:
    """Per-trial, per-arm, per-month counts, each of shape (R, 2, M).

    events[r, a, m]: relapses observed at month m+1; censored[r, a, m]: censorings at m+1;
    at_risk[r, a, m]: participants still followed at the start of month m+1 (time >= m+1).
    """

    events: IntArray
    censored: IntArray
    at_risk: IntArray

    @property
    def n_months(self) -> int:
        return int(self.events.shape[2])


def _check_trial_arrays(
    time: NDArray[np.integer], event: NDArray[np.generic], arm: NDArray[np.integer], n_months: int
) -> None:
    if time.ndim != 2 or event.shape != time.shape or arm.shape != time.shape:
        raise ScenarioError(
            "trials: expected time, event and arm of one shape (R, n), "
            f"got {time.shape}, {event.shape}, {arm.shape}"
        )
    if time.size and (time.min() < 1 or time.max() > n_months):
        raise ScenarioError(
            f"trials: expected times in 1..{n_months}, got {time.min()}..{time.max()}"
        )
    if arm.size and (arm.min() < 0 or arm.max() > 1):
        raise ScenarioError(f"trials: expected arms 0 and 1, got {arm.min()}..{arm.max()}")


def count_grid(
    time: NDArray[np.integer],
    event: NDArray[np.generic],
    arm: NDArray[np.integer],
    n_months: int,
) -> TrialGrid:
    """Relapse, censoring and at-risk counts per (trial, arm, month) from (R, n) arrays.

    `arm` may be a single row (n,) shared by every trial. One bincount over the flattened
    cell index (trial, arm, month, event) does the counting; integers throughout, so the
    counts are exact.
    """
    time = np.asarray(time)
    event = np.asarray(event)
    arm = np.broadcast_to(np.asarray(arm), time.shape)
    _check_trial_arrays(time, event, arm, n_months)
    reps = time.shape[0]
    cells = 4 * n_months
    idx = np.arange(reps, dtype=np.int64)[:, None] * cells
    idx = idx + arm.astype(np.int64) * (2 * n_months)
    idx += time.astype(np.int64) * 2 - 2
    idx += event.astype(bool)
    counts = np.bincount(idx.ravel(), minlength=reps * cells).reshape(reps, 2, n_months, 2)
    return grid_from_counts(counts[..., 1], counts[..., 0])


def grid_from_counts(events: IntArray, censored: IntArray) -> TrialGrid:
    """A TrialGrid from (R, 2, M) relapse and censoring counts."""
    leaving = events + censored
    at_risk = np.cumsum(leaving[..., ::-1], axis=-1)[..., ::-1]
    return TrialGrid(events=events, censored=censored, at_risk=np.ascontiguousarray(at_risk))
