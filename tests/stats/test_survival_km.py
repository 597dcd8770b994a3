"""Kaplan-Meier per arm against R's survfit (committed output) and statsmodels' SurvfuncRight."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.duration.survfunc import SurvfuncRight

from psytrial.core.errors import DataError
from psytrial.stats.survival import SurvivalData, kaplan_meier
from tests.stats.reference.loader import ALL, dataset, floats, r_output, value

RTOL = 1e-10


@pytest.mark.parametrize("name", ALL)
def test_it_matches_r_survfit_at_every_observed_time(name: str) -> None:
    """R (tests/stats/reference/survival.R):

    fit <- survfit(Surv(time, event) ~ arm, data = d, conf.type = "log-log")
    fit[i]$time, $n.risk, $n.event, $n.censor, $surv, $lower, $upper
    """
    km = kaplan_meier(dataset(name))
    for arm, r in r_output(name)["km"]["arms"].items():
        curve = km.curve(arm)
        assert curve.time == tuple(r["time"])
        assert curve.n_risk == tuple(r["n_risk"])
        assert curve.n_event == tuple(r["n_event"])
        assert curve.n_censor == tuple(r["n_censor"])
        np.testing.assert_allclose(curve.survival, floats(r["surv"]), rtol=RTOL)
        # NaN where R gives NA: the log-log limits are undefined where S is 1 or 0.
        np.testing.assert_allclose(curve.lower, floats(r["lower"]), rtol=RTOL)
        np.testing.assert_allclose(curve.upper, floats(r["upper"]), rtol=RTOL)


@pytest.mark.parametrize("name", ALL)
def test_it_matches_r_medians_and_their_limits(name: str) -> None:
    """R: quantile(fit, probs = 0.5) -> $quantile, $lower, $upper (NA when not reached)."""
    km = kaplan_meier(dataset(name))
    for arm, r in r_output(name)["km"]["arms"].items():
        curve = km.curve(arm)
        for mine, theirs in (
            (curve.median, r["median"]),
            (curve.median_lower, r["median_lower"]),
            (curve.median_upper, r["median_upper"]),
        ):
            assert mine == theirs


def test_it_takes_the_midpoint_when_the_curve_sits_on_one_half() -> None:
    """R gives 5.5 (flat at 0.5 from month 4 to the drop at 7) and 4.5 (flat from 3 to the end
    of follow-up at 6). lifelines' median_survival_time_ gives 7 and infinity here.
    """
    km = kaplan_meier(dataset("median_midpoint"))
    assert km.curve("high").median == 5.5
    assert km.curve("low").median == 4.5


@pytest.mark.parametrize("name", ALL)
def test_it_reads_the_curve_at_months_as_r_summary_does(name: str) -> None:
    """R: summary(fit[i], times = c(1, 3, 6, 12, 18, 24)[<= max(time)])
    -> $surv, $lower, $upper, $n.risk, $n.event (events since the previous requested time).
    """
    km = kaplan_meier(dataset(name))
    for arm, r in r_output(name)["km"]["arms"].items():
        at = km.curve(arm).at(r["at"]["time"])
        np.testing.assert_allclose(at.survival, floats(r["at"]["surv"]), rtol=RTOL)
        np.testing.assert_allclose(at.lower, floats(r["at"]["lower"]), rtol=RTOL)
        np.testing.assert_allclose(at.upper, floats(r["at"]["upper"]), rtol=RTOL)
        assert at.n_risk == tuple(r["at"]["n_risk"])
        assert at.n_event == tuple(r["at"]["n_event"])


@pytest.mark.parametrize("name", ["aml", "censoring", "ties_small"])
def test_it_agrees_with_statsmodels_greenwood_limits(name: str) -> None:
    """Second library: statsmodels' estimate and Greenwood SE of S, put on the log-log scale
    (se of log(-log S) = se(S) / (S |log S|)), at the event times where both are defined."""
    data = dataset(name)
    km = kaplan_meier(data)
    z = norm.ppf(0.975)
    for arm in km.arms:
        rows = data[data.arm == arm]
        sm = SurvfuncRight(rows.time.to_numpy(), rows.event.to_numpy())
        curve = km.curve(arm)
        idx = np.searchsorted(curve.time, sm.surv_times)
        s = sm.surv_prob
        ok = (s > 0) & (s < 1)
        se = sm.surv_prob_se[ok] / (s[ok] * np.abs(np.log(s[ok])))
        lower = s[ok] ** np.exp(z * se)
        upper = s[ok] ** np.exp(-z * se)
        np.testing.assert_allclose(np.asarray(curve.survival)[idx], s, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(curve.lower)[idx][ok], lower, rtol=1e-10)
        np.testing.assert_allclose(np.asarray(curve.upper)[idx][ok], upper, rtol=1e-10)


def test_it_is_one_before_the_first_time_and_undefined_after_follow_up_ends() -> None:
    data = SurvivalData.from_arrays([2, 4, 4, 6], [1, 1, 0, 0], ["a"] * 4)
    at = kaplan_meier(data).curve("a").at([1, 2, 5, 6, 7])
    # S(2) = 3/4; S(4) = 3/4 x 2/3 (three at risk at month 4, one relapse).
    np.testing.assert_allclose(at.survival[:4], (1.0, 0.75, 0.5, 0.5), rtol=1e-12)
    assert np.isnan(at.survival[4])
    assert at.n_risk == (4, 4, 1, 1, 0)
    assert at.n_event == (0, 1, 1, 0, 0)


def test_it_narrows_the_limits_at_a_lower_confidence_level() -> None:
    data = dataset("censoring")
    wide = kaplan_meier(data).curve("low")
    narrow = kaplan_meier(data, conf_level=0.8).curve("low")
    assert all(n > w for n, w in zip(narrow.lower, wide.lower, strict=True))
    assert narrow.survival == wide.survival


def test_it_refuses_months_out_of_order() -> None:
    curve = kaplan_meier(dataset("aml")).curve("Maintained")
    with pytest.raises(DataError, match="strictly ascending"):
        curve.at([6, 3])


def test_it_refuses_a_confidence_level_outside_zero_one() -> None:
    with pytest.raises(DataError, match="conf_level"):
        kaplan_meier(dataset("aml"), conf_level=95)


def test_it_refuses_an_unknown_arm() -> None:
    with pytest.raises(DataError, match="'placebo'"):
        kaplan_meier(dataset("aml")).curve("placebo")


def test_it_keeps_the_declared_arm_order() -> None:
    km = kaplan_meier(dataset("censoring"), arms=("high", "low"))
    assert km.arms == ("high", "low")
    assert value(km.curve("high").n) == 35
