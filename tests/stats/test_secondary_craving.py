"""Craving mixed models against R lme4::lmer and nlme::lme (REML) on committed data.

Reference chain (tests/stats/reference_secondary/): make_data.py (seed 20020401; 40
participants, arms of 21 and 19, missed visits and dropout: 190 of 280 visits) ->
craving.csv -> mixed.R (R 4.2.2, lme4 1.1-31, nlme) -> mixed_*.csv:
    lmer(value ~ arm * factor(month) + (1 | participant_id), REML = TRUE)
    lmer(value ~ arm * month + (1 | participant_id), REML = TRUE)
    lme(value ~ arm * ..., random = ~ 1 | participant_id, method = "REML")
    anova(reduced, full)   # LR test of the interaction, both refitted by ML
    Wald chi-square b' V^-1 b of the interaction coefficients, contrasts L b, sqrt(L V L')

Tolerances: statsmodels (BFGS, gtol 1e-10), lme4 (bobyqa) and nlme optimize the REML
criterion by different routes; here they agree to ~1e-7 relative (measured: at most 2e-8 for
estimates and SEs, 8e-8 for variances, 2e-7 for the tests). We ask 1e-6, and 1e-4 for
p-values, whose relative error is amplified in the far tail (p ~ 1e-109 for the intercept).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psytrial.core.errors import DataError
from psytrial.stats.craving import CravingResult, analyse_craving
from psytrial.stats.mixed import MixedModelFit

REF = Path(__file__).parent / "reference_secondary"
RTOL_FIXED = 1e-6
RTOL_VARIANCE = 1e-6


@pytest.fixture(scope="module")
def visits() -> pd.DataFrame:
    return pd.read_csv(REF / "craving.csv")


@pytest.fixture(scope="module")
def result(visits: pd.DataFrame) -> CravingResult:
    return analyse_craving(visits)


def _r_term(term: str) -> str:
    """Our coefficient names in R's spelling: arm[high]:month[3] -> armhigh:fmonth3."""
    term = term.replace("arm[high]", "armhigh").replace("Intercept", "(Intercept)")
    return re.sub(r"month\[(\d+)\]", r"fmonth\1", term)


def _fit(result: CravingResult, coding: str) -> MixedModelFit:
    return result.categorical if coding == "categorical" else result.linear


@pytest.mark.parametrize("coding", ["categorical", "linear"])
def test_it_matches_lmer_fixed_effects(result: CravingResult, coding: str) -> None:
    fit = _fit(result, coding)
    r = pd.read_csv(REF / f"mixed_fixed_{coding}.csv").set_index("term")
    assert [_r_term(fe.term) for fe in fit.fixed_effects] == list(r.index)
    est = [fe.estimate for fe in fit.fixed_effects]
    se = [fe.se for fe in fit.fixed_effects]
    np.testing.assert_allclose(est, r["estimate"], rtol=RTOL_FIXED)
    np.testing.assert_allclose(se, r["se"], rtol=RTOL_FIXED)
    np.testing.assert_allclose(est, r["lme_estimate"], rtol=RTOL_FIXED)
    np.testing.assert_allclose(se, r["lme_se"], rtol=RTOL_FIXED)
    np.testing.assert_allclose([fe.z for fe in fit.fixed_effects], r["z"], rtol=RTOL_FIXED)
    np.testing.assert_allclose([fe.p for fe in fit.fixed_effects], r["p"], rtol=1e-4)
    for fe in fit.fixed_effects:
        half = fe.ci95[1] - fe.estimate
        assert half == pytest.approx(1.959964 * fe.se, rel=1e-6)


@pytest.mark.parametrize("coding", ["categorical", "linear"])
def test_it_matches_lmer_variance_components(result: CravingResult, coding: str) -> None:
    fit = _fit(result, coding)
    r = pd.read_csv(REF / f"mixed_variance_{coding}.csv").iloc[0]
    assert fit.participant_variance == pytest.approx(r.participant_variance, rel=RTOL_VARIANCE)
    assert fit.residual_variance == pytest.approx(r.residual_variance, rel=RTOL_VARIANCE)
    assert fit.reml_log_likelihood == pytest.approx(r.reml_log_likelihood, rel=1e-8)
    assert (fit.n_observations, fit.n_participants) == (r.n_observations, r.n_participants)
    assert fit.converged


@pytest.mark.parametrize("coding", ["categorical", "linear"])
def test_it_matches_r_interaction_tests(result: CravingResult, coding: str) -> None:
    fit = _fit(result, coding)
    r = pd.read_csv(REF / f"mixed_tests_{coding}.csv").iloc[0]
    wald, lr = fit.interaction_wald, fit.interaction_lr
    assert (wald.method, lr.method) == ("wald", "likelihood ratio")
    assert wald.df == r.wald_df and lr.df == r.lr_df
    np.testing.assert_allclose([wald.statistic, wald.p], [r.wald_chisq, r.wald_p], rtol=1e-6)
    np.testing.assert_allclose([lr.statistic, lr.p], [r.lr_chisq, r.lr_p], rtol=1e-6)


@pytest.mark.parametrize("coding", ["categorical", "linear"])
def test_it_matches_r_arm_differences_per_month(
    result: CravingResult, visits: pd.DataFrame, coding: str
) -> None:
    fit = _fit(result, coding)
    r = pd.read_csv(REF / f"mixed_differences_{coding}.csv")
    assert [d.month for d in fit.differences] == list(r["month"])
    got = np.array([[d.difference, d.se, *d.ci95] for d in fit.differences])
    want = r[["difference", "se", "ci_low", "ci_high"]].to_numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL_FIXED)
    np.testing.assert_allclose([d.p for d in fit.differences], r["p"], rtol=1e-4)
    at6 = fit.difference_at(6)
    seen = visits[visits["month"] == 6].groupby("arm").size()
    assert at6.n == (seen["high"], seen["low"])


def test_it_summarizes_observed_visits(result: CravingResult, visits: pd.DataFrame) -> None:
    assert [v.month for v in result.observed] == [0, 1, 3, 6, 12, 18, 24]
    at12 = visits[(visits["month"] == 12) & (visits["arm"] == "low")]["value"]
    low = result.observed[4].arms[1]
    assert (low.arm, low.n) == ("low", len(at12))
    assert low.mean == pytest.approx(at12.mean(), rel=1e-12)
    assert low.sd == pytest.approx(at12.std(ddof=1), rel=1e-12)


def test_it_drops_a_month_seen_in_one_arm_only(visits: pd.DataFrame) -> None:
    extra = pd.DataFrame(
        {"participant_id": ["Ch01", "Ch02"], "arm": ["high", "high"], "month": [30, 30],
         "value": [20.0, 25.0]}
    )  # fmt: skip
    result = analyse_craving(pd.concat([visits, extra], ignore_index=True))
    assert result.categorical.dropped_months == (30,)
    assert 30 not in [d.month for d in result.categorical.differences]
    assert 30 in [d.month for d in result.linear.differences]
    assert result.linear.dropped_months == ()


def test_it_ignores_missing_values(visits: pd.DataFrame, result: CravingResult) -> None:
    holes = pd.DataFrame(
        {"participant_id": ["Ch01"], "arm": ["high"], "month": [2], "value": [np.nan]}
    )
    again = analyse_craving(pd.concat([visits, holes], ignore_index=True))
    assert again.categorical.n_observations == result.categorical.n_observations
    assert again.linear.effect("arm[high]:month").estimate == pytest.approx(
        result.linear.effect("arm[high]:month").estimate, rel=1e-10
    )


def test_it_refuses_values_outside_the_scale(visits: pd.DataFrame) -> None:
    bad = visits.copy()
    bad.loc[5, "value"] = 140.0
    with pytest.raises(DataError, match=r"expected values between 0 and 100, got 140\.0"):
        analyse_craving(bad)


def test_it_refuses_two_values_for_one_visit(visits: pd.DataFrame) -> None:
    bad = pd.concat([visits, visits.iloc[[7]]], ignore_index=True)
    with pytest.raises(DataError, match="expected one row per participant_id, month"):
        analyse_craving(bad)


def test_it_refuses_fractional_months(visits: pd.DataFrame) -> None:
    bad = visits.copy()
    bad["month"] = bad["month"].astype(float)
    bad.loc[3, "month"] = 1.5
    with pytest.raises(DataError, match=r"expected whole months >= 0, got 1\.5"):
        analyse_craving(bad)


def test_it_refuses_a_participant_in_both_arms(visits: pd.DataFrame) -> None:
    bad = visits.copy()
    first = bad["participant_id"] == bad.loc[0, "participant_id"]
    bad.loc[first[first].index[1], "arm"] = "low"
    with pytest.raises(DataError, match="expected one arm per participant"):
        analyse_craving(bad)


def test_it_reduces_to_ols_when_participants_do_not_differ() -> None:
    """With no between-participant variance the REML fit sits on the boundary (variance 0),
    where GLS is OLS and the REML residual variance is RSS / (n - p): numpy lstsq is the
    reference."""
    rng = np.random.default_rng(5)
    rows = [
        (f"p{i}", "high" if i % 2 else "low", m, float(50 + rng.normal(0, 10)))
        for i in range(12)
        for m in (0, 1, 3)
    ]
    data = pd.DataFrame(rows, columns=["participant_id", "arm", "month", "value"])
    fit = analyse_craving(data).categorical
    assert fit.participant_variance < 1e-6
    assert "The MLE may be on the boundary of the parameter space." in fit.notes
    treated = (data["arm"] == "high").to_numpy(float)
    m1, m3 = (data["month"] == 1).to_numpy(float), (data["month"] == 3).to_numpy(float)
    x = np.column_stack([np.ones(len(data)), treated, m1, m3, treated * m1, treated * m3])
    y = data["value"].to_numpy()
    beta, rss, *_ = np.linalg.lstsq(x, y, rcond=None)
    se = np.sqrt(rss[0] / (len(y) - 6) * np.diag(np.linalg.inv(x.T @ x)))
    np.testing.assert_allclose([fe.estimate for fe in fit.fixed_effects], beta, rtol=1e-5)
    np.testing.assert_allclose([fe.se for fe in fit.fixed_effects], se, rtol=1e-5)
