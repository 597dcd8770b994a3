"""Cox model with Efron ties against R's coxph (committed output) and lifelines' CoxPHFitter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from psytrial.core.errors import DataError
from psytrial.stats.survival import SurvivalData, cox
from tests.stats.reference.loader import ESTIMABLE, MONOTONE, dataset, r_output

RTOL = 1e-8


@pytest.mark.parametrize("name", ESTIMABLE)
def test_it_matches_r_coxph_with_efron_ties(name: str) -> None:
    """R (tests/stats/reference/survival.R):

    fit <- coxph(Surv(time, event) ~ arm, data = d, ties = "efron"); s <- summary(fit)
    coef(fit); sqrt(diag(vcov(fit))); s$conf.int; s$waldtest; s$sctest; s$logtest; fit$loglik
    """
    r = r_output(name)["cox"]
    fit = cox(dataset(name), reference=r["reference"])
    assert fit.compared == r["compared"]
    for mine, theirs in (
        (fit.coef, r["coef"]),
        (fit.se, r["se"]),
        (fit.hr, r["hr"]),
        (fit.hr_lower, r["lower"]),
        (fit.hr_upper, r["upper"]),
        (fit.wald_chi2, r["wald_chisq"]),
        (fit.wald_p, r["wald_p"]),
        (fit.score_chi2, r["score_chisq"]),
        (fit.score_p, r["score_p"]),
        (fit.lr_chi2, r["lr_chisq"]),
        (fit.lr_p, r["lr_p"]),
        (fit.loglik_null, r["loglik"][0]),
        (fit.loglik, r["loglik"][1]),
    ):
        np.testing.assert_allclose(mine, theirs, rtol=RTOL)


@pytest.mark.parametrize("name", ESTIMABLE)
def test_it_agrees_with_lifelines_efron_fit(name: str) -> None:
    """Second library. lifelines' default stopping rule leaves the coefficient 2e-4 off on the
    14-participant dataset, so its precision is tightened; rtol 1e-5 allows for its steps."""
    data = dataset(name)
    reference = r_output(name)["cox"]["reference"]
    frame = pd.DataFrame(
        {"T": data.time, "E": data.event, "x": (data.arm != reference).astype(float)}
    )
    theirs = CoxPHFitter().fit(frame, "T", "E", fit_options={"precision": 1e-12})
    mine = cox(data, reference=reference)
    np.testing.assert_allclose(mine.coef, theirs.params_["x"], rtol=1e-5)
    np.testing.assert_allclose(mine.se, theirs.standard_errors_["x"], rtol=1e-5)
    np.testing.assert_allclose(mine.wald_p, theirs.summary.loc["x", "p"], rtol=1e-5)
    np.testing.assert_allclose(
        mine.lr_chi2, theirs.log_likelihood_ratio_test().test_statistic, rtol=1e-6
    )


@pytest.mark.parametrize("name", MONOTONE)
def test_it_refuses_a_monotone_likelihood_where_r_diverges(name: str) -> None:
    """R returns |coef| > 20 with a standard error in the thousands (and a warning)."""
    r = r_output(name)["cox"]
    assert abs(r["coef"]) > 15 and r["se"] > 1000
    with pytest.raises(DataError, match="monotone likelihood"):
        cox(dataset(name), reference=r["reference"])


def test_it_inverts_the_hazard_ratio_when_the_reference_changes() -> None:
    data = dataset("censoring")
    low = cox(data, reference="low")
    high = cox(data, reference="high")
    np.testing.assert_allclose(high.coef, -low.coef, rtol=1e-10)
    np.testing.assert_allclose(high.hr_lower, 1.0 / low.hr_upper, rtol=1e-10)
    np.testing.assert_allclose(high.score_p, low.score_p, rtol=1e-10)


def test_it_compares_the_first_declared_arm_with_the_second_by_default() -> None:
    fit = cox(dataset("censoring"))
    assert (fit.compared, fit.reference) == ("high", "low")
    assert cox(dataset("censoring"), arms=("low", "high")).compared == "low"


def test_it_widens_the_interval_at_a_higher_confidence_level() -> None:
    data = dataset("censoring")
    usual = cox(data, reference="low")
    wide = cox(data, reference="low", conf_level=0.99)
    assert wide.hr_lower < usual.hr_lower < usual.hr < usual.hr_upper < wide.hr_upper


def test_it_refuses_an_unknown_reference_arm() -> None:
    with pytest.raises(DataError, match="reference: expected one of"):
        cox(dataset("censoring"), reference="placebo")


def test_it_refuses_three_arms() -> None:
    data = SurvivalData.from_arrays([1, 2, 3], [1, 1, 1], ["a", "b", "c"])
    with pytest.raises(DataError, match="expected 2 arms, got 3"):
        cox(data, reference="a")
