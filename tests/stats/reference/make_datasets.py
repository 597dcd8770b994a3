"""Generate the survival reference datasets that survival.R reads (fixed seeds).

Run from the repository root:

    .venv/bin/python tests/stats/reference/make_datasets.py

Each dataset is a CSV with columns id, time (months), event (1 = relapse, 0 = censored), arm.
They are made to stress what the primary analysis meets in practice: monthly follow-up, so many
relapses share a month (heavy ties), censoring tied with relapses in the same month, early
drop-outs, administrative censoring at 24 months, one arm without any relapse, all relapses in
a single month, and a single participant per arm. The numbers are synthetic: they are test
fixtures, not trial results (ASSUMPTION: hazards and drop-out rates are made up).

`aml.csv` is not generated here: survival.R writes it from R's own survival::aml data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent / "data"
FOLLOW_UP_MONTHS = 24


def _write(name: str, rows: list[tuple[float, int, str]]) -> None:
    with (HERE / f"{name}.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "time", "event", "arm"])
        for i, (time, event, arm) in enumerate(rows, start=1):
            writer.writerow([i, f"{time:g}", event, arm])


def _monthly_arm(
    rng: np.random.Generator, n: int, hazard: float, dropout: float, arm: str
) -> list[tuple[float, int, str]]:
    """Relapse month ~ geometric(hazard); drop-out month ~ geometric(dropout); stop at 24."""
    relapse = rng.geometric(hazard, size=n)
    drop = rng.geometric(dropout, size=n) if dropout > 0 else np.full(n, 10**6)
    rows = []
    for r, d in zip(relapse, drop, strict=True):
        if r <= min(d, FOLLOW_UP_MONTHS):
            rows.append((float(r), 1, arm))
        else:
            rows.append((float(min(d, FOLLOW_UP_MONTHS)), 0, arm))
    return rows


def ties_small() -> list[tuple[float, int, str]]:
    """15 per arm, high monthly hazards: few distinct months, many ties per month."""
    rng = np.random.default_rng(20020101)
    return _monthly_arm(rng, 15, 0.10, 0.04, "high") + _monthly_arm(rng, 15, 0.22, 0.04, "low")


def censoring() -> list[tuple[float, int, str]]:
    """35 per arm (the 2002 trial's size), drop-outs early and late, censoring at 24 months."""
    rng = np.random.default_rng(19961024)
    return _monthly_arm(rng, 35, 0.045, 0.02, "high") + _monthly_arm(rng, 35, 0.09, 0.02, "low")


def one_arm_events() -> list[tuple[float, int, str]]:
    """Every relapse is in arm "low"; arm "high" is censored only (early and at 24 months)."""
    rng = np.random.default_rng(7)
    high = [(float(t), 0, "high") for t in rng.choice([3, 6, 12, 24, 24, 24], size=10)]
    low = [(float(t), 1, "low") for t in rng.integers(1, 13, size=10)]
    return high + low


def single_time() -> list[tuple[float, int, str]]:
    """All relapses at month 12 (as when only the one-year visit was held)."""
    return (
        [(12.0, 1, "high")] * 4
        + [(12.0, 0, "high")] * 6
        + [(12.0, 1, "low")] * 7
        + [(12.0, 0, "low")] * 3
    )


def one_each() -> list[tuple[float, int, str]]:
    """A single participant per arm: one relapse at month 5, one censored at month 9."""
    return [(5.0, 1, "high"), (9.0, 0, "low")]


def median_midpoint() -> list[tuple[float, int, str]]:
    """Curves that sit exactly on 0.5: R then reports the midpoint of the flat stretch.

    "high" is at 0.5 from month 4 until the next relapse at month 7 (median 5.5); "low" is at
    0.5 from month 3 to the end of its follow-up at month 6 (median 4.5).
    """
    high = [(1.0, 1), (2.0, 1), (3.0, 1), (4.0, 1), (7.0, 1), (9.0, 0), (10.0, 0), (24.0, 0)]
    low = [(1.0, 1), (2.0, 1), (3.0, 1), (5.0, 0), (6.0, 0), (6.0, 0)]
    return [(t, e, "high") for t, e in high] + [(t, e, "low") for t, e in low]


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for make in (ties_small, censoring, one_arm_events, single_time, one_each, median_midpoint):
        _write(make.__name__, make())


if __name__ == "__main__":
    main()
