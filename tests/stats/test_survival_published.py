"""Survival analysis of data rebuilt from published abstinence counts (an APPROXIMATION)."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines.statistics import logrank_test

from psytrial.core.errors import DataError
from psytrial.stats.binary import compare_proportions
from psytrial.stats.survival import (
    PublishedTableAnalysis,
    analyse_published_table,
    reconstruct_from_abstinence_table,
)
from tests.stats.reference.loader import r_output

KRUPITSKY_2007 = r_output("published")["krupitsky_2007"]


def _krupitsky_2007() -> PublishedTableAnalysis:
    """Krupitsky et al. 2007: 26 and 27 randomized, 13 and 6 abstinent at one year. Only the
    one-year counts are available to us, so the table has a single month."""
    return analyse_published_table(
        months=(12,),
        enrolled={"multiple": 26, "single": 27},
        abstinent={"multiple": (13,), "single": (6,)},
        arms=("single", "multiple"),
    )


def test_it_runs_km_and_logrank_on_the_krupitsky_2007_table_as_r_does() -> None:
    """R (tests/stats/reference/survival.R): the same rows (relapses at 12, abstainers censored
    at 12); survdiff(Surv(time, event) ~ arm) and survfit(..., conf.type = "log-log")."""
    result = _krupitsky_2007()
    r_km, r_lr = KRUPITSKY_2007["km"], KRUPITSKY_2007["logrank"]
    assert result.logrank.arms == tuple(r_lr["arms"])
    np.testing.assert_allclose(result.logrank.chi2, r_lr["chisq"], rtol=1e-10)
    np.testing.assert_allclose(result.logrank.p, r_lr["p"], rtol=1e-10)
    assert result.logrank.observed == tuple(r_lr["obs"])
    np.testing.assert_allclose(result.logrank.expected, r_lr["exp"], rtol=1e-10)
    for i, arm in enumerate(r_km["arms"]):
        curve = result.km.curve(arm)
        np.testing.assert_allclose(curve.survival, [r_km["surv"][i]], rtol=1e-10)
        np.testing.assert_allclose(curve.lower, [r_km["lower"][i]], rtol=1e-10)
        np.testing.assert_allclose(curve.upper, [r_km["upper"][i]], rtol=1e-10)
    assert "APPROXIMATION" in result.note


def test_its_single_month_logrank_is_the_pearson_chi_square_times_n_minus_1_over_n() -> None:
    """With one relapse month the log-rank test is the Mantel-Haenszel test of the 2x2 table,
    whose hypergeometric variance makes it Pearson's chi-square x (N - 1) / N (N = 53)."""
    pearson = compare_proportions((13, 6), (26, 27)).chi2
    np.testing.assert_allclose(_krupitsky_2007().logrank.chi2, pearson * 52 / 53, rtol=1e-12)


def test_it_places_relapses_at_the_end_of_their_interval() -> None:
    """ASSUMPTION: an invented table (not published) to check the rebuilding itself."""
    data = reconstruct_from_abstinence_table(
        months=(1, 3, 6, 12),
        enrolled={"high": 10, "low": 10},
        abstinent={"high": (9, 9, 7, 5), "low": (6, 4, 2, 2)},
    )
    high = data.mask("high")
    assert sorted(data.time[high & (data.event == 1)]) == [1, 6, 6, 12, 12]
    assert list(data.time[high & (data.event == 0)]) == [12] * 5
    assert data.events_in("low") == 8


def test_its_km_steps_are_the_published_proportions_and_lifelines_agrees() -> None:
    """ASSUMPTION: invented counts. With no losses KM at each month is abstinent / enrolled."""
    months, counts = (1, 3, 6, 12), {"high": (30, 26, 22, 19), "low": (28, 20, 15, 9)}
    result = analyse_published_table(months, {"high": 35, "low": 35}, counts)
    for arm, series in counts.items():
        at = result.km.curve(arm).at(months)
        np.testing.assert_allclose(at.survival, np.array(series) / 35, rtol=1e-12)
    data = result.data
    h, lo = data.mask("high"), data.mask("low")
    theirs = logrank_test(data.time[h], data.time[lo], data.event[h], data.event[lo])
    np.testing.assert_allclose(result.logrank.chi2, theirs.test_statistic, rtol=1e-10)


@pytest.mark.parametrize(
    ("abstinent", "message"),
    [((9, 10), "never rise"), ((11,), "expected 2 abstinent counts"), ((5, -1), "never rise")],
)
def test_it_refuses_counts_that_are_not_continuous_abstinence(
    abstinent: tuple[int, ...], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        reconstruct_from_abstinence_table(
            (6, 12), {"a": 10, "b": 10}, {"a": abstinent, "b": (5, 4)}
        )


def test_it_refuses_months_out_of_order() -> None:
    with pytest.raises(DataError, match="ascending"):
        reconstruct_from_abstinence_table((12, 6), {"a": 10}, {"a": (5, 4)})
