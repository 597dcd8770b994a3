"""Per-month relapse, censoring and at-risk counts of many trials: the input of every test.

Because follow-up is a grid of M monthly visits, the log-rank and Fisher tests depend on a
trial only through its counts of relapses and censorings per arm and month. `count_grid`
builds them from (R, n) arrays of time, event and arm with integer bincounts;
`simulate_grid` builds the same counts straight from freshly drawn outcome cells (the same
trials `simulate_trials` gives for the same seed), which is the power table's fast path.

Layout: every array is (2 arms, M months, R trials). Trials are the last, contiguous axis, so
each per-month step of the tests is one operation over a contiguous vector of trials; with
the trials first, the same steps ran several times slower (strided rows of 24 months).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from psytrial.core.errors import ScenarioError
from psytrial.sim.power.scenario import PowerScenario
from psytrial.sim.power.simulate import simulate_cells

IntArray = NDArray[np.int64]

# Participants per block when counting or testing (R, n) arrays: a block's temporaries then
# fit in a 2 MB L2 cache, which halved the time of logrank_test_vec on 100,000 trials.
BLOCK_PARTICIPANTS = 140_000


@dataclass(frozen=True, eq=False)
class TrialGrid:
    """Counts per arm, month and trial, each of shape (2, M, R).

    events[a, m, r]: relapses observed at month m+1 in arm a of trial r; censored[a, m, r]:
    censorings at month m+1; at_risk[a, m, r]: participants still followed at the start of
    month m+1 (time >= m+1), so at_risk[a, 0] is the arm's size.
    """

    events: IntArray
    censored: IntArray
    at_risk: IntArray

    @property
    def n_months(self) -> int:
        return int(self.events.shape[1])

    @property
    def reps(self) -> int:
        return int(self.events.shape[2])


def trial_blocks(reps: int, n: int) -> list[slice]:
    """Consecutive blocks of trials holding about BLOCK_PARTICIPANTS participants each."""
    block = max(1, BLOCK_PARTICIPANTS // max(n, 1))
    return [slice(s, min(reps, s + block)) for s in range(0, reps, block)]


def grid_from_counts(events: IntArray, censored: IntArray) -> TrialGrid:
    """A TrialGrid from (2, M, R) relapse and censoring counts."""
    leaving = events + censored
    at_risk = np.empty_like(leaving)
    total = np.zeros_like(leaving[:, 0])
    # Participants at risk at month m are those leaving at m or later: a reverse running sum,
    # one vector addition per month.
    for m in range(leaving.shape[1] - 1, -1, -1):
        total += leaving[:, m]
        at_risk[:, m] = total
    return TrialGrid(events=events, censored=censored, at_risk=at_risk)


def simulate_grid(
    scenario: PowerScenario,
    n_per_arm: int | tuple[int, int],
    reps: int,
    rng: np.random.Generator | int | None = None,
) -> TrialGrid:
    """The count grid of the trials `simulate_trials` would draw, without the (R, n) arrays."""
    months = scenario.n_months
    events = np.empty((2, months, reps), dtype=np.int64)
    censored = np.empty_like(events)
    trial = np.arange(reps, dtype=np.intp)[:, None]
    for a, cells in enumerate(simulate_cells(scenario, n_per_arm, reps, rng)):
        cells *= reps  # cell-major index: cell * R + trial
        cells += trial
        counts = np.bincount(cells.ravel(), minlength=2 * months * reps)
        counts = counts.reshape(months, 2, reps)
        events[a] = counts[:, 1]
        censored[a] = counts[:, 0]
    return grid_from_counts(events, censored)


def _check_trial_arrays(
    time: NDArray[np.integer], event: NDArray[np.generic], arm: NDArray[np.integer], n_months: int
) -> None:
    if time.ndim != 2 or event.shape != time.shape or arm.shape[-1] != time.shape[1]:
        raise ScenarioError(
            "trials: expected time and event of one shape (R, n) and arm (R, n) or (n,), "
            f"got {time.shape}, {event.shape}, {arm.shape}"
        )
    if arm.ndim == 2 and arm.shape != time.shape:
        raise ScenarioError(f"trials: expected arm of shape {time.shape}, got {arm.shape}")
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
    """Relapse, censoring and at-risk counts per (arm, month, trial) from (R, n) arrays.

    `arm` is (R, n), or one row (n,) shared by every trial; a nonzero `event` is a relapse.
    A bincount over the flattened index ((arm, month, event), trial), block of trials by
    block, does the counting; integers throughout, so the counts are exact.
    """
    time, event, arm = np.asarray(time), np.asarray(event), np.asarray(arm)
    _check_trial_arrays(time, event, arm, n_months)
    reps, n = time.shape
    store = np.empty((2, n_months, 2, reps), dtype=np.int64)
    for rows in trial_blocks(reps, n):
        start, stop = rows.start, rows.stop
        size = stop - start
        arms = arm if arm.ndim == 1 else arm[start:stop]
        # cell = (arm, month, event) = (2 arm + time - 1) * 2 + event, then cell-major
        idx = arms.astype(np.intp) * (2 * n_months) + time[start:stop].astype(np.intp) * 2 - 2
        idx += event[start:stop].astype(bool)
        idx *= size
        idx += np.arange(size, dtype=np.intp)[:, None]
        counts = np.bincount(idx.ravel(), minlength=4 * n_months * size)
        store[..., start:stop] = counts.reshape(2, n_months, 2, size)
    return grid_from_counts(
        np.ascontiguousarray(store[:, :, 1]), np.ascontiguousarray(store[:, :, 0])
    )
