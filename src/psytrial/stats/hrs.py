"""Hallucinogen Rating Scale cluster scores compared between the arms.

The HRS measures how strong the drug experience was (Strassman et al. 1994); in a dose
comparison it is the manipulation check. Per cluster, each arm's mean, SD and n, Welch's t,
Mann-Whitney U and Hedges' g (see `psytrial.stats.twosample` for the exact definitions and
their R equivalents). A cluster with no scores in one arm gives n = 0 and no tests.

Input: a tidy table with columns participant_id, arm, cluster, score (one row per
participant and cluster; a missing score is NaN or an absent row).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats._secondary_frames import (
    numeric_column,
    require_columns,
    require_one_arm_each,
    require_unique,
    resolve_arms,
)
from psytrial.stats.twosample import TwoSampleComparison, compare_two_samples

WHAT = "HRS cluster scores"
COLUMNS = ("participant_id", "arm", "cluster", "score")
# The clinical order of the clusters (Strassman et al. 1994); others follow alphabetically.
CLUSTER_ORDER = ("somaesthesia", "affect", "perception", "cognition", "volition", "intensity")


@dataclass(frozen=True)
class HrsClusterResult:
    """One cluster: per-arm summaries and the between-arm statistics."""

    cluster: str
    comparison: TwoSampleComparison


@dataclass(frozen=True)
class HrsResult:
    """All clusters, in clinical order; differences are arms[0] - arms[1]."""

    arms: tuple[str, str]
    clusters: tuple[HrsClusterResult, ...]

    def cluster(self, name: str) -> HrsClusterResult:
        """The result for cluster `name`."""
        for c in self.clusters:
            if c.cluster == name:
                return c
        raise KeyError(name)


def analyse_hrs(scores: pd.DataFrame, arms: tuple[str, str] | None = None) -> HrsResult:
    """Compare HRS cluster scores between the two arms, cluster by cluster."""
    require_columns(scores, COLUMNS, WHAT)
    arms = resolve_arms(scores, arms, WHAT)
    frame = scores.loc[:, list(COLUMNS)].copy()
    frame["score"] = numeric_column(frame, "score", WHAT)
    if frame["cluster"].isna().any():
        raise DataError(f"{WHAT}: expected a cluster name on every row, got a missing one")
    require_unique(frame, ["participant_id", "cluster"], WHAT)
    require_one_arm_each(frame, WHAT)
    results = tuple(_cluster(frame, str(c), arms) for c in _ordered(frame["cluster"]))
    return HrsResult(arms=arms, clusters=results)


def _cluster(frame: pd.DataFrame, cluster: str, arms: tuple[str, str]) -> HrsClusterResult:
    rows = frame[frame["cluster"].astype(str) == cluster]
    a = rows.loc[rows["arm"] == arms[0], "score"].to_numpy()
    b = rows.loc[rows["arm"] == arms[1], "score"].to_numpy()
    return HrsClusterResult(cluster=cluster, comparison=compare_two_samples(arms, a, b))


def _ordered(clusters: pd.Series) -> list[str]:
    names = {str(c) for c in clusters.unique()}
    known = [c for c in CLUSTER_ORDER if c in names]
    return known + sorted(names - set(known))
