"""The proportional-hazards check: R's cox.zph(fit, transform = "km") for the arm model.

Neither library computes what R's survival package (3.x) now reports. lifelines'
proportional_hazard_test and the R of before survival 3.0 use Grambsch & Therneau's (1994)
approximate statistic built from scaled Schoenfeld residuals; survival 3.0 replaced it with
the exact score test for adding arm x g(t) to the fitted model, evaluated at
(beta_hat, 0). This module ports that score test (R's C routine zph1, Efron ties) for the
single arm covariate; it agrees with R to about 1e-13, and with the same score test done by
statsmodels' PHReg on counting-process data (tests/stats/test_survival_zph.py).

g(t) for transform "km" is 1 - S(t-), the left-continuous pooled Kaplan-Meier estimate,
centred at its mean over the relapses. At each relapse month with d tied relapses, Efron's
approximation averages d risk sets in which the relapsing participants count 1, (d-1)/d, ...,
1/d. The scaled Schoenfeld residuals (for a plot of beta(t) against g(t)) are returned too, as
R's cox.zph computes them: residual x d / I + beta, with I the information for beta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from psytrial.core.errors import DataError
from psytrial.stats.survival._data import FloatArray, SurvivalData, SurvivalInput
from psytrial.stats.survival._data import as_survival_data as _as_data
from psytrial.stats.survival.cox import CoxResult, arm_indicator


@dataclass(frozen=True)
class ZphResult:
    """Score test of proportional hazards for the arm effect (1 df), and its residuals."""

    transform: str
    chi2: float
    df: int
    p: float
    time: tuple[float, ...]
    transformed_time: tuple[float, ...]
    scaled_residual: tuple[float, ...]


@dataclass(frozen=True)
class _RelapseMonth:
    deaths: np.ndarray
    at_risk: np.ndarray
    g: float


def proportional_hazards_test(data: SurvivalInput, fit: CoxResult) -> ZphResult:
    """Test the fitted arm effect for change over time (R: cox.zph(fit, transform = "km"))."""
    checked = _as_data(data)
    if checked.n != fit.n or int(checked.event.sum()) != fit.events:
        raise DataError(
            f"proportional hazards test: expected the data of the fit ({fit.n} participants, "
            f"{fit.events} relapses), got {checked.n} and {int(checked.event.sum())}"
        )
    months = np.unique(checked.time[checked.event == 1])
    if months.size < 2:
        raise DataError(
            f"proportional hazards test: expected relapses in 2 or more months, got {months.size}"
        )
    x = arm_indicator(checked, fit.compared)
    transformed = _km_transform(checked)
    g = transformed - transformed[checked.event == 1].mean()
    steps = [_step(checked, t, g) for t in months]
    return _test(checked, x, fit.coef, steps, transformed)


def _km_transform(data: SurvivalData) -> FloatArray:
    """1 - S(t-) of the pooled Kaplan-Meier curve at every participant's time (R's ttimes)."""
    months = np.unique(data.time[data.event == 1])
    at_risk = (data.time[None, :] >= months[:, None]).sum(axis=1)
    deaths = np.array([np.sum((data.time == t) & (data.event == 1)) for t in months])
    surv = np.cumprod(1.0 - deaths / at_risk)
    before = np.searchsorted(months, data.time, side="left")
    left_surv = np.concatenate([[1.0], surv])[before]
    return np.asarray(1.0 - left_surv, dtype=np.float64)


def _step(data: SurvivalData, month: float, g: FloatArray) -> _RelapseMonth:
    deaths = (data.time == month) & (data.event == 1)
    return _RelapseMonth(deaths=deaths, at_risk=data.time >= month, g=float(g[deaths][0]))


def _test(
    data: SurvivalData,
    x: FloatArray,
    beta: float,
    steps: list[_RelapseMonth],
    transformed: FloatArray,
) -> ZphResult:
    risk = np.exp(beta * x)
    u_time, info = 0.0, np.zeros((2, 2))
    residuals: dict[int, float] = {}
    for step in steps:
        mean, variance = _efron_moments(x, risk, step)
        d = int(step.deaths.sum())
        u_time += step.g * (x[step.deaths].sum() - d * float(np.mean(mean)))
        info += float(np.sum(variance)) * np.array([[1.0, step.g], [step.g, step.g**2]])
        for i in np.flatnonzero(step.deaths):
            residuals[int(i)] = float(x[i] - np.mean(mean))
    try:
        u = np.array([0.0, u_time])
        statistic = float(u @ np.linalg.solve(info, u))
    except np.linalg.LinAlgError:
        raise DataError(
            "proportional hazards test: expected an invertible information, got a singular one"
        ) from None
    return _result(data, statistic, residuals, info[0, 0], beta, transformed)


def _efron_moments(
    x: FloatArray, risk: FloatArray, step: _RelapseMonth
) -> tuple[FloatArray, FloatArray]:
    """Risk-set mean and variance of x in each of Efron's d averaged risk sets."""
    d = int(step.deaths.sum())
    fractions = np.arange(d) / d
    w_all, w_dead = risk * step.at_risk, risk * step.deaths
    s0 = w_all.sum() - fractions * w_dead.sum()
    s1 = (w_all * x).sum() - fractions * (w_dead * x).sum()
    s2 = (w_all * x * x).sum() - fractions * (w_dead * x * x).sum()
    mean = s1 / s0
    return mean, s2 / s0 - mean**2


def _result(
    data: SurvivalData,
    statistic: float,
    residuals: dict[int, float],
    info_beta: float,
    beta: float,
    transformed: FloatArray,
) -> ZphResult:
    order = [i for i in np.argsort(data.time, kind="stable") if int(i) in residuals]
    events = len(order)
    scale = events / info_beta
    return ZphResult(
        transform="km",
        chi2=statistic,
        df=1,
        p=float(chi2.sf(statistic, 1)),
        time=tuple(float(data.time[i]) for i in order),
        transformed_time=tuple(float(transformed[i]) for i in order),
        scaled_residual=tuple(residuals[int(i)] * scale + beta for i in order),
    )
