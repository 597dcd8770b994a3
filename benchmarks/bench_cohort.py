"""Benchmark: virtual cohorts from scenarios/kpt2002.yaml.

Times loading and checking the scenario, generating the demo's cohort (70 randomized, with
the published composition) and a larger one (1,000 randomized), and building courses (one
per person and arm), each as the median of a few runs, and writes
benchmarks/results/cohort.md. The demo needs 70 people and 70 courses, so its cost is the
generation plus 70 courses; the larger cohort shows how the cost grows.

Run: .venv/bin/python benchmarks/bench_cohort.py
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from psytrial.core.protocol import load_protocol
from psytrial.sim.cohort import VirtualCohort, generate_cohort
from psytrial.sim.distributions import hrs_latent
from psytrial.sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = load_protocol(ROOT / "protocols" / "kpt2002.yaml")
SCENARIO_FILE = ROOT / "scenarios" / "kpt2002.yaml"
RESULTS = Path(__file__).parent / "results" / "cohort.md"
REPEATS = 3
SEED = 2002


def median_seconds(run: Callable[[], object]) -> tuple[float, float]:
    """Median wall-clock and CPU seconds over REPEATS runs (the machine is shared)."""
    wall, cpu = [], []
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def cold_load() -> None:
    # The HRS latent spreads are solved once per (mean, sd, items) and cached; time them too.
    hrs_latent.cache_clear()
    load_scenario(SCENARIO_FILE, PROTOCOL)


def courses(cohort: VirtualCohort) -> int:
    count = 0
    for person in cohort.randomizable:
        for arm in ("high", "low"):
            cohort.outcomes_for(person.index, arm)
            count += 1
    return count


def main() -> None:
    scenario = load_scenario(SCENARIO_FILE, PROTOCOL)
    demo = generate_cohort(PROTOCOL, scenario, 70, SEED, fixed_arm_composition=True)
    large = generate_cohort(PROTOCOL, scenario, 1000, SEED)
    rows = [
        ("load and check the scenario (cold HRS cache)", median_seconds(cold_load)),
        (
            "generate 70 randomized (published composition)",
            median_seconds(
                lambda: generate_cohort(PROTOCOL, scenario, 70, SEED, fixed_arm_composition=True)
            ),
        ),
        ("140 courses (70 people x 2 arms)", median_seconds(lambda: courses(demo))),
        (
            "generate 1,000 randomized",
            median_seconds(lambda: generate_cohort(PROTOCOL, scenario, 1000, SEED)),
        ),
        ("2,000 courses (1,000 people x 2 arms)", median_seconds(lambda: courses(large))),
    ]
    per_course_ms = rows[4][1][0] / 2000 * 1000
    per_course_cpu_ms = rows[4][1][1] / 2000 * 1000
    lines = [
        "## Virtual cohorts",
        "",
        f"scenarios/kpt2002.yaml on protocols/kpt2002.yaml. The 70-person cohort screened "
        f"{len(demo.people)} people, the 1,000-person one {len(large.people):,}. Median of "
        f"{REPEATS} runs.",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; shared with other jobs (1-minute load average "
        f"{os.getloadavg()[0]:.1f} at the end of the run).",
        "",
        "| step | median wall (s) | median CPU (s) |",
        "|---|---|---|",
        *(f"| {name} | {wall:.3f} | {cpu:.3f} |" for name, (wall, cpu) in rows),
        "",
        f"A course (about 30 dated visits with their answers) takes {per_course_ms:.1f} ms "
        f"wall-clock ({per_course_cpu_ms:.1f} ms CPU). Courses are built on request, in plain Python, from uniforms drawn up "
        "front; the power engine does not use them (it reads the monthly probabilities from "
        "`relapse_hazards` and `dropout_probabilities` and simulates vectorized).",
        "",
        "Command: `.venv/bin/python benchmarks/bench_cohort.py`",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
