"""Generate the committed data that the R reference scripts in this folder read.

Run from the repository root: `.venv/bin/python tests/stats/reference_secondary/make_data.py`.
The seed is fixed, so a run rewrites the same bytes. The numbers are synthetic: they exercise
the code (ties, unequal variances, missing visits), they are not the trial's results.

ASSUMPTION: all effect sizes, variances and missingness rates below are invented for testing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 20020401
CLUSTERS = ("somaesthesia", "affect", "perception", "cognition", "volition", "intensity")
ITEMS = (13, 18, 17, 10, 7, 7)  # ASSUMPTION for cognition, volition, intensity
SEPARATION = (1.0, 0.7, 0.9, 0.4, 0.1, 1.0)  # share of the arm shift seen in each cluster
MONTHS = (0, 1, 3, 6, 12, 18, 24)
CONCEPTS = ("myself", "my_future", "heroin", "ideal_self")


def hrs(rng: np.random.Generator) -> pd.DataFrame:
    """Cluster means of 0-4 items: coarse grids, so ranks are tied, and arms of 14 and 17."""
    rows = []
    for arm, n, shift in (("high", 14, 1.4), ("low", 17, 0.0)):
        for i in range(n):
            pid = f"{arm[0].upper()}{i + 1:02d}"
            for cluster, k, sep in zip(CLUSTERS, ITEMS, SEPARATION, strict=True):
                p = min(0.9, (0.8 + sep * shift + rng.normal(0, 0.5)) / 4)
                items = rng.binomial(4, max(p, 0.02), size=k)
                rows.append((pid, arm, cluster, round(items.mean(), 6)))
    return pd.DataFrame(rows, columns=["participant_id", "arm", "cluster", "score"])


def craving(rng: np.random.Generator) -> pd.DataFrame:
    """Craving VAS 0-100 with a random intercept, unequal arms, missed visits and dropout."""
    rows = []
    for arm, n, slope in (("high", 21, -2.2), ("low", 19, -0.9)):
        for i in range(n):
            pid = f"C{arm[0]}{i + 1:02d}"
            u = rng.normal(0, 12)
            last = rng.choice(MONTHS[2:], p=[0.1, 0.1, 0.2, 0.2, 0.4])
            for m in MONTHS:
                if m > last or (m > 0 and rng.random() < 0.15):
                    continue
                mean = 62 + u + slope * min(m, 12) - 0.2 * max(m - 12, 0)
                value = float(np.clip(mean + rng.normal(0, 9), 0, 100))
                rows.append((pid, arm, m, round(value, 1)))
    return pd.DataFrame(rows, columns=["participant_id", "arm", "month", "value"])


def attitudes(rng: np.random.Generator) -> pd.DataFrame:
    """Colour-test positivity (integer ranks 1-8 mapped to 0-7) at months 0, 6 and 12."""
    rows = []
    for arm, n, gain in (("high", 16, 1.5), ("low", 15, 0.4)):
        for i in range(n):
            pid = f"A{arm[0]}{i + 1:02d}"
            for concept in CONCEPTS:
                base = rng.integers(0, 8)
                sign = -1 if concept == "heroin" else 1
                for m in (0, 6, 12):
                    if m > 0 and rng.random() < 0.12:
                        continue
                    drift = sign * gain * (m > 0) + rng.normal(0, 1.6)
                    value = int(np.clip(round(base + drift), 0, 7))
                    rows.append((pid, arm, concept, m, value))
    return pd.DataFrame(rows, columns=["participant_id", "arm", "concept", "month", "positivity"])


EDGE_CASES = {
    # case: (values of arm "high", values of arm "low")
    "single_high": ([2.5], [1.0, 3.0, 4.0, 2.0]),
    "constant_high": ([2.0, 2.0, 2.0, 2.0], [1.0, 1.5, 3.0, 2.5, 1.0]),
    "ties": ([1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 4.0], [0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0]),
    "all_tied": ([2.0, 2.0, 2.0], [2.0, 2.0]),
    "two_each": ([3.0, 1.0], [0.5, 0.25]),
}


def edge_cases() -> pd.DataFrame:
    """Small hand-made samples: one participant, a constant arm, heavy ties, all tied."""
    rows = [
        (case, arm, v)
        for case, pair in EDGE_CASES.items()
        for arm, values in zip(("high", "low"), pair, strict=True)
        for v in values
    ]
    return pd.DataFrame(rows, columns=["case", "arm", "value"])


def main() -> None:
    rng = np.random.default_rng(SEED)
    hrs(rng).to_csv(HERE / "hrs.csv", index=False)
    craving(rng).to_csv(HERE / "craving.csv", index=False)
    attitudes(rng).to_csv(HERE / "attitudes.csv", index=False)
    edge_cases().to_csv(HERE / "edge_cases.csv", index=False)


if __name__ == "__main__":
    main()
