"""Power tables: empirical power of the log-rank and Fisher tests at several sample sizes.

`power_table` simulates `reps` trials per sample size in chunks (so memory stays bounded and
a progress callback can report), analyses each chunk with the vectorized tests, and sets the
empirical power beside the Schoenfeld and Freedman approximations. Each sample size gets its
own child of the seed (numpy SeedSequence.spawn), so a seeded table is reproducible byte for
byte and a row does not depend on the rows before it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from psytrial.core.errors import ScenarioError
from psytrial.sim.power.fisher import FisherResult, LostRule, fisher_from_grid
from psytrial.sim.power.formulas import logrank_power
from psytrial.sim.power.grid import simulate_grid
from psytrial.sim.power.logrank import LogrankResult, logrank_from_grid
from psytrial.sim.power.scenario import PowerScenario
from psytrial.sim.power.simulate import arm_sizes

Progress = Callable[[int, int], None]

# Participants per chunk by default: the per-chunk arrays (about 8 bytes per participant, per
# array) then fit in a 2 MB L2 cache. On the 2-core benchmark machine 2,000 70-participant
# trials per chunk ran 2-3 times faster than 20,000 (benchmarks/results/power.md).
DEFAULT_CHUNK_PARTICIPANTS = 140_000
_MAX_CHUNK_PARTICIPANTS = 2_000_000  # hard cap on an explicit chunk_size: bounds memory


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    if trials <= 0:
        return (0.0, 1.0)
    z = float(ndtri(0.5 + level / 2.0))
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2.0 * trials)) / denom
    half = z * math.sqrt(p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class PowerRow:
    """Results for one sample size. Powers are proportions of `reps` trials rejecting."""

    n_per_arm: tuple[int, int]
    reps: int
    logrank_rejections: int
    logrank_power: float
    logrank_ci95: tuple[float, float]
    fisher_rejections: int
    fisher_power: float
    fisher_ci95: tuple[float, float]
    mean_events: float
    expected_events: float
    degenerate: int  # trials with no informative relapse: log-rank chi2 = 0, p = 1
    schoenfeld_power: float
    freedman_power: float


@dataclass(frozen=True)
class PowerResult:
    """A power table: one row per sample size, with the settings that produced it."""

    scenario: PowerScenario
    alpha: float
    reps: int
    seed: int | None
    fisher_month: int
    lost: LostRule
    hazard_ratio: float
    rows: tuple[PowerRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (tuples become lists)."""
        data = asdict(self)
        data["scenario"]["labels"] = list(self.scenario.labels)
        return data


def analyse_chunk(
    scenario: PowerScenario,
    sizes: tuple[int, int],
    reps: int,
    rng: np.random.Generator,
    fisher_month: int,
    lost: LostRule,
) -> tuple[LogrankResult, FisherResult]:
    """Simulate `reps` trials and run both tests on them."""
    grid = simulate_grid(scenario, sizes, reps, rng)
    return logrank_from_grid(grid), fisher_from_grid(grid, fisher_month, lost)


def _chunks(reps: int, sizes: tuple[int, int], chunk_size: int | None) -> list[int]:
    n = sizes[0] + sizes[1]
    wanted = DEFAULT_CHUNK_PARTICIPANTS // n if chunk_size is None else chunk_size
    per_chunk = max(1, min(wanted, _MAX_CHUNK_PARTICIPANTS // n))
    full, rest = divmod(reps, per_chunk)
    return [per_chunk] * full + ([rest] if rest else [])


def _row(
    scenario: PowerScenario,
    sizes: tuple[int, int],
    counts: tuple[int, int, int, int],
    reps: int,
    alpha: float,
) -> PowerRow:
    lr_rej, fi_rej, events, degenerate = counts
    hr = scenario.hazard_ratio()
    expected = scenario.expected_events(*sizes)
    allocation = sizes[1] / (sizes[0] + sizes[1])
    return PowerRow(
        n_per_arm=sizes,
        reps=reps,
        logrank_rejections=lr_rej,
        logrank_power=lr_rej / reps,
        logrank_ci95=wilson_interval(lr_rej, reps),
        fisher_rejections=fi_rej,
        fisher_power=fi_rej / reps,
        fisher_ci95=wilson_interval(fi_rej, reps),
        mean_events=events / reps,
        expected_events=expected,
        degenerate=degenerate,
        schoenfeld_power=logrank_power("schoenfeld", expected, hr, alpha, allocation),
        freedman_power=logrank_power("freedman", expected, hr, alpha, allocation),
    )


def power_table(
    scenario: PowerScenario,
    n_per_arm_list: Sequence[int | tuple[int, int]],
    reps: int,
    alpha: float = 0.05,
    seed: int | None = None,
    *,
    fisher_month: int | None = None,
    lost: LostRule = "relapsed",
    progress: Progress | None = None,
    chunk_size: int | None = None,
) -> PowerResult:
    """Empirical and formula power for each sample size in `n_per_arm_list`.

    Each entry is a size for both arms or a (control, experimental) pair. Fisher's test is at
    `fisher_month` (default: the last month of follow-up) under the `lost` rule (fisher.py).
    `progress(done, total)` is called after every chunk, counting simulated trials.
    `chunk_size` is the number of trials simulated and analysed at once (default: as many as
    make 140,000 participants; at most 2 million participants whatever is asked); a seeded
    table is reproducible for a given chunk size.
    """
    if reps < 1:
        raise ScenarioError(f"reps: expected a whole number >= 1, got {reps}")
    if not 0.0 < alpha < 1.0:
        raise ScenarioError(f"alpha: expected a number between 0 and 1, got {alpha}")
    if not n_per_arm_list:
        raise ScenarioError("n per arm: expected at least one sample size, got none")
    month = scenario.n_months if fisher_month is None else fisher_month
    all_sizes = [arm_sizes(n) for n in n_per_arm_list]
    children = np.random.SeedSequence(seed).spawn(len(all_sizes))
    total, done = reps * len(all_sizes), 0
    rows = []
    for sizes, child in zip(all_sizes, children, strict=True):
        rng = np.random.default_rng(child)
        counts = np.zeros(4, dtype=np.int64)
        for size in _chunks(reps, sizes, chunk_size):
            lr, fi = analyse_chunk(scenario, sizes, size, rng, month, lost)
            counts += (
                lr.rejects(alpha).sum(),
                fi.rejects(alpha).sum(),
                lr.events.sum(),
                lr.degenerate.sum(),
            )
            done += size
            if progress is not None:
                progress(done, total)
        c = tuple(int(v) for v in counts)
        rows.append(_row(scenario, sizes, (c[0], c[1], c[2], c[3]), reps, alpha))
    return PowerResult(
        scenario=scenario,
        alpha=alpha,
        reps=reps,
        seed=seed,
        fisher_month=month,
        lost=lost,
        hazard_ratio=scenario.hazard_ratio(),
        rows=tuple(rows),
    )
