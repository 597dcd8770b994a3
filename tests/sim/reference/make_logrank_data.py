"""Writes logrank_trials.csv, the trials R's survdiff is run on (logrank.R).

Run from the repository root: `.venv/bin/python tests/sim/reference/make_logrank_data.py`.
The file is committed; rerunning with the same psytrial gives the same bytes.

Trials 1-8 are simulated by the power engine (monthly times, so heavy ties); 9-12 are
written by hand for edge cases: a month with a single participant at risk who relapses, every
relapse while only one arm is at risk (zero variance), and a trial where everybody relapses
in the same month.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from psytrial.sim.power import ArmModel, PowerScenario, simulate_trials

OUT = Path(__file__).with_name("logrank_trials.csv")


def _scenario(h0: float, h1: float, dropout: float) -> PowerScenario:
    return PowerScenario(
        ArmModel.from_hazards([(1, h0), (7, h0 / 2)], dropout),
        ArmModel.from_hazards([(1, h1), (7, h1 / 2)], dropout),
    )


def _simulated() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    designs = [
        (_scenario(0.10, 0.10, 0.03), (35, 35), 11),
        (_scenario(0.10, 0.10, 0.03), (35, 35), 12),
        (_scenario(0.12, 0.06, 0.02), (35, 35), 13),
        (_scenario(0.12, 0.06, 0.02), (35, 35), 14),
        (_scenario(0.20, 0.10, 0.10), (20, 45), 15),
        (_scenario(0.60, 0.40, 0.05), (5, 4), 16),
        (_scenario(0.02, 0.01, 0.00), (35, 35), 17),
        (_scenario(0.35, 0.25, 0.15), (60, 30), 18),
    ]
    out = []
    for scenario, sizes, seed in designs:
        trials = simulate_trials(scenario, sizes, 1, seed)
        out.append((trials.time[0], trials.event[0], trials.arm[0]))
    return out


def _by_hand() -> list[tuple[list[int], list[int], list[int]]]:
    return [
        # the last participant at risk (n = 1) relapses at month 9
        ([1, 2, 2, 4, 5, 9, 1, 3, 3, 6], [1, 1, 0, 1, 1, 1, 1, 1, 0, 1], [0] * 6 + [1] * 4),
        # relapses only while arm 1 is the only arm at risk: variance 0, chi2 reported as 0
        ([1, 1, 2, 5, 6, 6], [0, 0, 0, 1, 1, 0], [0, 0, 0, 1, 1, 1]),
        # everyone relapses in month 3 (d = n at the only event time: variance 0)
        ([3, 3, 3, 3], [1, 1, 1, 1], [0, 0, 1, 1]),
        # ties between relapses and censorings in every month
        (
            [2, 2, 2, 2, 4, 4, 4, 4, 2, 2, 4, 4],
            [1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1],
            [0] * 8 + [1] * 4,
        ),
    ]


def main() -> None:
    rows = []
    trials = [*_simulated(), *_by_hand()]
    for k, (time, event, arm) in enumerate(trials, start=1):
        rows += [(k, int(t), int(e), int(a)) for t, e, a in zip(time, event, arm, strict=True)]
    with OUT.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["trial", "time", "status", "arm"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
