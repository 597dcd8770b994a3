"""Benchmark of dose preparation: prepare_many on 100,000 weights, and the scalar loop.

Weights are uniform on 40-120 kg (seeded); the rules and limits are those of
protocols/kpt2002.yaml (ketamine 2.0 mg/kg at 50 mg/ml, 0.2 mg/kg at 10 mg/ml; 0.1 ml
graduation, 5.0 ml total, 5 % dose error). Reports the median of repeated runs and writes
benchmarks/results/dosing.md. Goal: prepare_many under 1 s for 100,000 weights.

    .venv/bin/python benchmarks/bench_dosing.py
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from psytrial.core.dosing import DoseRule, DosingLimits, prepare, prepare_many
from psytrial.core.errors import DosingError

N_WEIGHTS = 100_000
VECTOR_REPEATS = 7
SCALAR_REPEATS = 3
SCALAR_WEIGHTS = 10_000  # the loop is timed on the first 10,000 and scaled to 100,000
SEED = 2002
RESULTS = Path(__file__).parent / "results" / "dosing.md"

RULES = (DoseRule("high", 2.0, 50), DoseRule("low", 0.2, 10))
LIMITS = DosingLimits(
    min_weight_kg=40,
    max_weight_kg=120,
    max_mg=250,
    max_volume_per_site_ml=5.0,
    injection_sites=1,
    graduation_ml=0.1,
    total_volume_ml=5.0,
    max_dose_error_pct=5,
)


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scalar_loop(weights: list[float], rule: DoseRule) -> int:
    refused = 0
    for kg in weights:
        try:
            prepare(kg, rule, LIMITS)
        except DosingError:
            refused += 1
    return refused


def main() -> None:
    weights = np.random.default_rng(SEED).uniform(40, 120, N_WEIGHTS)
    sample = weights[:SCALAR_WEIGHTS].tolist()
    scale = N_WEIGHTS / SCALAR_WEIGHTS
    rows = []
    for rule in RULES:
        table, refusals = prepare_many(weights, rule, LIMITS)
        in_sample = sum(1 for index, _ in refusals if index < SCALAR_WEIGHTS)
        assert scalar_loop(sample, rule) == in_sample  # the two paths agree on the sample
        vector = median_seconds(
            lambda rule=rule: prepare_many(weights, rule, LIMITS), VECTOR_REPEATS
        )
        scalar = scale * median_seconds(lambda rule=rule: scalar_loop(sample, rule), SCALAR_REPEATS)
        rows.append((rule, vector, scalar, len(refusals)))
        print(
            f"{rule.arm_id}: prepare_many {vector * 1000:.1f} ms, scalar loop {scalar:.1f} s, "
            f"{len(refusals)} refused, {int(table.prepared.sum())} prepared"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report(rows))
    print(f"wrote {RESULTS}")


def refused_on_grid(rule: DoseRule) -> str:
    """Which weights of a 1 g grid over the range the rule refuses, in words."""
    grid = np.arange(40_000, 120_001) / 1000
    table, refusals = prepare_many(grid, rule, LIMITS)
    if not refusals:
        return "none"
    refused = grid[~table.prepared]
    return f"{len(refusals):,} weights between {refused.min()} and {refused.max()} kg"


def report(rows: list[tuple[DoseRule, float, float, int]]) -> str:
    lines = [
        "## Dose preparation (`psytrial.core.dosing`)",
        "",
        f"{N_WEIGHTS:,} weights uniform on 40-120 kg (seed {SEED}), limits of "
        "protocols/kpt2002.yaml (0.1 ml graduation, 5.0 ml total, at most 5 % dose error). "
        f"Median of {VECTOR_REPEATS} runs for `prepare_many`; for a Python loop over `prepare`, "
        f"median of {SCALAR_REPEATS} runs on the first {SCALAR_WEIGHTS:,} weights, scaled to "
        f"{N_WEIGHTS:,} (it grows linearly). Goal: `prepare_many` under 1 s.",
        "",
        "| arm | dose | prepare_many (vectorized) | scalar loop (scaled) | speed-up | refused |",
        "|---|---|---|---|---|---|",
    ]
    load = os.getloadavg()[0]
    for rule, vector, scalar, refused in rows:
        lines.append(
            f"| {rule.arm_id} | {rule.mg_per_kg} mg/kg at {rule.stock_mg_per_ml} mg/ml "
            f"| {vector * 1000:.1f} ms | {scalar:.1f} s | {scalar / vector:.0f}x "
            f"| {refused:,} ({refused / N_WEIGHTS:.2%}) |"
        )
    lines += [
        "",
        "Refusals are wording-for-wording those of `prepare`; each costs a Python call to word "
        "it, so a sample with many refusals is slower. The low arm's refusals are doses whose "
        "rounding to a 1 mg graduation (0.1 ml of 10 mg/ml) errs by more than 5 %; on a 1 g "
        f"grid over 40-120 kg: {refused_on_grid(RULES[1])} (high arm: "
        f"{refused_on_grid(RULES[0])}).",
        "",
        f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}, "
        f"numpy {np.__version__}; 1-minute load average {load:.1f} at the end (other engineers "
        "share the machine, so timings vary between runs by a factor of 2 or more).",
        "",
        "Command: `.venv/bin/python benchmarks/bench_dosing.py`",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
