"""Properties that hold for any data: KM stays in [0, 1] and never rises; log-rank is calibrated."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kstest

from psytrial.core.errors import DataError
from psytrial.stats.survival import SurvivalData, kaplan_meier, logrank
from tests.stats.reference.loader import dataset


@st.composite
def monthly_trials(draw: st.DrawFn) -> SurvivalData:
    """Two arms of 1-15 participants, whole months 0-24 (heavy ties), any mix of events."""
    rows = []
    for arm in ("high", "low"):
        n = draw(st.integers(min_value=1, max_value=15))
        times = draw(st.lists(st.integers(0, 24), min_size=n, max_size=n))
        events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
        rows += [(float(t), e, arm) for t, e in zip(times, events, strict=True)]
    time, event, arm = zip(*rows, strict=True)
    return SurvivalData.from_arrays(time, event, arm)


@settings(max_examples=60, deadline=None)
@given(monthly_trials())
def test_its_km_estimate_stays_in_zero_one_and_never_rises(data: SurvivalData) -> None:
    for curve in kaplan_meier(data).curves:
        s = np.asarray(curve.survival)
        assert np.all((s >= 0) & (s <= 1))
        assert np.all(np.diff(s) <= 0)
        lower, upper = np.asarray(curve.lower), np.asarray(curve.upper)
        defined = ~np.isnan(lower)
        assert np.all(lower[defined] <= s[defined] + 1e-12)
        assert np.all(s[defined] <= upper[defined] + 1e-12)
        assert np.all((lower[defined] >= 0) & (upper[defined] <= 1))
        np.testing.assert_array_equal(curve.at(curve.time).survival, s)
        assert sum(curve.n_event) + sum(curve.n_censor) == curve.n


@settings(max_examples=60, deadline=None)
@given(monthly_trials())
def test_its_logrank_expected_relapses_add_up_to_the_observed(data: SurvivalData) -> None:
    try:
        result = logrank(data)
    except DataError:
        return  # no relapse at all, or an arm gone before the first relapse
    np.testing.assert_allclose(sum(result.expected), sum(result.observed), rtol=1e-12)
    assert 0.0 <= result.p <= 1.0


@pytest.mark.parametrize("name", ["censoring", "ties_small"])
def test_its_logrank_p_values_are_uniform_when_arm_labels_are_permuted(name: str) -> None:
    """Under the null (labels permuted, seeded), 2,000 log-rank p-values should look uniform.

    The p-values are slightly discrete (a finite number of label arrangements and monthly
    ties), so the threshold is lenient: Kolmogorov-Smirnov p > 0.001.
    """
    frame = dataset(name)
    rng = np.random.default_rng(2002)
    time, event = frame.time.to_numpy(dtype=float), frame.event.to_numpy()
    labels = frame.arm.to_numpy()
    p_values = [
        logrank(SurvivalData.from_arrays(time, event, rng.permutation(labels))).p
        for _ in range(2000)
    ]
    assert kstest(p_values, "uniform").pvalue > 0.001
