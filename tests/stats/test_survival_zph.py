"""Proportional-hazards check against R's cox.zph (survival 3.5) and a statsmodels score test."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg

from psytrial.core.errors import DataError
from psytrial.stats.survival import cox, proportional_hazards_test
from tests.stats.reference.loader import dataset, r_output

TESTABLE = ("aml", "censoring", "ties_small", "median_midpoint")


@pytest.mark.parametrize("name", TESTABLE)
def test_it_matches_r_cox_zph_with_the_km_transform(name: str) -> None:
    """R (tests/stats/reference/survival.R), survival 3.5-3:

    fit <- coxph(Surv(time, event) ~ arm, data = d, ties = "efron")
    z <- cox.zph(fit, transform = "km"); z$table[1, c("chisq", "df", "p")]; z$x; z$y
    """
    r = r_output(name)["cox"]
    data = dataset(name)
    test = proportional_hazards_test(data, cox(data, reference=r["reference"]))
    np.testing.assert_allclose(test.chi2, r["zph"]["chisq"], rtol=1e-8)
    np.testing.assert_allclose(test.p, r["zph"]["p"], rtol=1e-8)
    assert test.df == r["zph"]["df"] == 1
    np.testing.assert_allclose(test.transformed_time, r["zph"]["x"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(test.scaled_residual, r["zph"]["y"], rtol=1e-8)


def _statsmodels_score_test(
    time: np.ndarray, event: np.ndarray, x: np.ndarray, beta: float
) -> float:
    """The same score test, built independently: split follow-up at every relapse month, add
    x * g(t) as a time-varying covariate and take statsmodels' Efron score and Hessian at
    (beta, 0). statsmodels counts a row at risk at its entry time, so entries are nudged up."""
    months = np.unique(time[event == 1])
    surv = np.cumprod([1 - np.sum((time == t) & (event == 1)) / np.sum(time >= t) for t in months])
    g_of = {t: 1 - (surv[k - 1] if k else 1.0) for k, t in enumerate(months)}
    centre = np.mean([g_of[t] for t in time[event == 1]])
    rows = []
    for t_i, e_i, x_i in zip(time, event, x, strict=True):
        start = 0.0
        for t in months[months <= t_i]:
            rows.append(
                (start + 1e-9, t, int(e_i == 1 and t == t_i), x_i, x_i * (g_of[t] - centre))
            )
            start = t
    a = np.array(rows)
    model = PHReg(a[:, 1], a[:, 3:5], status=a[:, 2], entry=a[:, 0], ties="efron")
    at = np.array([beta, 0.0])
    u = model.score(at) * np.array([0.0, 1.0])
    return float(u @ np.linalg.solve(-model.hessian(at), u))


@pytest.mark.parametrize("name", TESTABLE)
def test_it_agrees_with_a_statsmodels_counting_process_score_test(name: str) -> None:
    data = dataset(name)
    fit = cox(data, reference=r_output(name)["cox"]["reference"])
    x = (data.arm == fit.compared).to_numpy(dtype=float)
    theirs = _statsmodels_score_test(
        data.time.to_numpy(dtype=float), data.event.to_numpy(), x, fit.coef
    )
    np.testing.assert_allclose(proportional_hazards_test(data, fit).chi2, theirs, rtol=1e-7)


def test_it_refuses_relapses_all_in_one_month() -> None:
    """R stops with 'system is exactly singular' here (g(t) is constant)."""
    assert "singular" in r_output("single_time")["cox"]["zph"]["error"]
    data = dataset("single_time")
    with pytest.raises(DataError, match="2 or more months"):
        proportional_hazards_test(data, cox(data, reference="low"))


def test_it_refuses_data_other_than_the_fitted_data() -> None:
    fit = cox(dataset("censoring"), reference="low")
    with pytest.raises(DataError, match="expected the data of the fit"):
        proportional_hazards_test(dataset("ties_small"), fit)
