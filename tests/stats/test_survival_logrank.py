"""Log-rank test against R's survdiff (committed output) and lifelines' logrank_test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines.statistics import logrank_test, multivariate_logrank_test

from psytrial.core.errors import DataError
from psytrial.stats.survival import SurvivalData, logrank
from tests.stats.reference.loader import ALL, dataset, r_output

RTOL = 1e-10


@pytest.mark.parametrize("name", ALL)
def test_it_matches_r_survdiff(name: str) -> None:
    """R (tests/stats/reference/survival.R):

    sd <- survdiff(Surv(time, event) ~ arm, data = d, rho = 0)
    sd$chisq; pchisq(sd$chisq, 1, lower.tail = FALSE); sd$obs; sd$exp
    """
    r = r_output(name)["logrank"]
    result = logrank(dataset(name), arms=r["arms"])
    np.testing.assert_allclose(result.chi2, r["chisq"], rtol=RTOL)
    np.testing.assert_allclose(result.p, r["p"], rtol=RTOL)
    assert result.df == r["df"] == 1
    assert result.observed == tuple(r["obs"])
    np.testing.assert_allclose(result.expected, r["exp"], rtol=RTOL)


@pytest.mark.parametrize("name", ALL)
def test_it_agrees_with_lifelines(name: str) -> None:
    data = dataset(name)
    a, b = sorted(data.arm.unique())
    first, second = data[data.arm == a], data[data.arm == b]
    theirs = logrank_test(first.time, second.time, first.event, second.event)
    mine = logrank(data)
    np.testing.assert_allclose(mine.chi2, theirs.test_statistic, rtol=1e-10)
    np.testing.assert_allclose(mine.p, theirs.p_value, rtol=1e-8)


def test_it_compares_three_arms_with_two_degrees_of_freedom() -> None:
    data = dataset("censoring")
    third = pd.DataFrame({"time": [2, 5, 5, 9, 14, 24], "event": [1, 1, 1, 0, 1, 0]})
    data = pd.concat([data, third.assign(arm="mid", id=0)], ignore_index=True)
    theirs = multivariate_logrank_test(data.time, data.arm, data.event)
    mine = logrank(data)
    assert mine.df == 2
    np.testing.assert_allclose(mine.chi2, theirs.test_statistic, rtol=1e-10)
    np.testing.assert_allclose(sum(mine.observed), sum(mine.expected), rtol=1e-12)


def test_it_keeps_a_tiny_p_value_that_one_minus_cdf_would_round_to_zero() -> None:
    data = SurvivalData.from_arrays(
        [1.0] * 150 + [24.0] * 150, [1] * 150 + [0] * 150, ["low"] * 150 + ["high"] * 150
    )
    result = logrank(data)
    assert 0.0 < result.p < 1e-30


def test_it_refuses_data_without_any_relapse() -> None:
    data = SurvivalData.from_arrays([3, 24], [0, 0], ["high", "low"])
    with pytest.raises(DataError, match="at least one relapse"):
        logrank(data)


def test_it_refuses_an_arm_nobody_of_which_is_at_risk_at_a_relapse() -> None:
    data = SurvivalData.from_arrays([1, 1, 6, 8], [0, 0, 1, 1], ["high", "high", "low", "low"])
    with pytest.raises(DataError, match="arm 'high' has nobody at risk"):
        logrank(data)


def test_it_refuses_a_single_arm() -> None:
    with pytest.raises(DataError, match="at least 2 arms"):
        logrank(SurvivalData.from_arrays([1, 2], [1, 1], ["high", "high"]))


def test_it_refuses_data_without_variance() -> None:
    """Found by hypothesis: both participants relapse in month 0, so the variance is 0."""
    with pytest.raises(DataError, match="variance of 0"):
        logrank(SurvivalData.from_arrays([0.0, 0.0], [1, 1], ["high", "low"]))
