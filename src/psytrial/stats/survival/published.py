"""Approximate individual data from a published table of abstinence by month, for checking.

Papers in this field often print, per arm, how many participants were still abstinent at each
assessment month rather than individual relapse times. To rerun a survival analysis on such
a table this module rebuilds individual rows. This is an APPROXIMATION, and a result computed
from it is not the published analysis:

- Everyone who relapsed between two assessments is placed at the later one (the interval's end,
  when the relapse would have been detected); true relapse times inside the interval are lost,
  so ties are heavier than in the real data.
- Those still abstinent at the last month are censored there.
- Nobody is lost to follow-up: the counts must already count losses one way or the other
  (the conservative rule counts them as relapsed). The counts must be continuous abstinence,
  never rising; point-prevalence counts that rise again cannot be turned into relapse times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from psytrial.core.errors import DataError
from psytrial.stats.survival._data import SurvivalData
from psytrial.stats.survival.km import KaplanMeier, kaplan_meier
from psytrial.stats.survival.logrank import LogRankResult, logrank

APPROXIMATION_NOTE = (
    "APPROXIMATION: individual data rebuilt from published counts; relapses placed at the end "
    "of their interval, abstainers censored at the last month, no losses to follow-up."
)


@dataclass(frozen=True)
class PublishedTableAnalysis:
    """KM and log-rank on data rebuilt from a published table, labelled as approximate."""

    data: SurvivalData
    km: KaplanMeier
    logrank: LogRankResult
    note: str = APPROXIMATION_NOTE


def reconstruct_from_abstinence_table(
    months: Sequence[float],
    enrolled: Mapping[str, int],
    abstinent: Mapping[str, Sequence[int]],
    *,
    arms: Sequence[str] | None = None,
) -> SurvivalData:
    """Rows (time, event, arm) from each arm's enrolled count and abstinent counts at `months`."""
    m = _months(months)
    if set(enrolled) != set(abstinent):
        raise DataError(
            f"arms: expected the same arms in both tables, got "
            f"{sorted(enrolled)} and {sorted(abstinent)}"
        )
    times: list[float] = []
    events: list[int] = []
    ids: list[str] = []
    for arm in enrolled:
        counts = _counts(arm, enrolled[arm], abstinent[arm], len(m))
        relapses = -np.diff(np.concatenate([[enrolled[arm]], counts]))
        for month, k in zip(m, relapses, strict=True):
            times += [month] * int(k)
            events += [1] * int(k)
        times += [m[-1]] * int(counts[-1])
        events += [0] * int(counts[-1])
        ids += [arm] * int(enrolled[arm])
    return SurvivalData.from_arrays(times, events, ids, arms=arms)


def analyse_published_table(
    months: Sequence[float],
    enrolled: Mapping[str, int],
    abstinent: Mapping[str, Sequence[int]],
    *,
    arms: Sequence[str] | None = None,
) -> PublishedTableAnalysis:
    """Rebuild the rows (an APPROXIMATION, see the module) and run Kaplan-Meier and log-rank."""
    data = reconstruct_from_abstinence_table(months, enrolled, abstinent, arms=arms)
    return PublishedTableAnalysis(data=data, km=kaplan_meier(data), logrank=logrank(data))


def _months(months: Sequence[float]) -> list[float]:
    m = [float(x) for x in months]
    if not m or any(not np.isfinite(x) or x <= 0 for x in m) or np.any(np.diff(m) <= 0):
        raise DataError(f"months: expected ascending months > 0, got {list(months)}")
    return m


def _counts(arm: str, enrolled: int, abstinent: Sequence[int], k: int) -> np.ndarray:
    counts = np.asarray(abstinent)
    if counts.shape != (k,):
        raise DataError(f"arm {arm!r}: expected {k} abstinent counts, got {list(abstinent)}")
    if int(enrolled) != enrolled or enrolled < 1:
        raise DataError(f"arm {arm!r}: expected at least 1 enrolled, got {enrolled}")
    if np.any(counts < 0) or np.any(counts > enrolled) or np.any(np.diff(counts) > 0):
        raise DataError(
            f"arm {arm!r}: expected continuous-abstinence counts between 0 and {enrolled} "
            f"that never rise, got {list(abstinent)}"
        )
    return counts.astype(np.int64)
