"""Cox proportional hazards model of relapse on arm, Efron ties (R coxph's default).

The fit is statsmodels' PHReg with ties="efron", which matches R's
`coxph(Surv(time, event) ~ arm, ties = "efron")` to about 1e-10 on our reference data
(lifelines' CoxPHFitter, also Efron, agrees to its own tolerance of about 1e-6; both are
checked in tests/stats/test_survival_cox.py). The three tests R's summary prints are
read from the same likelihood: Wald (coef / se)^2; score U(0)' I(0)^-1 U(0) from PHReg's score
and Hessian at beta = 0 (R's sctest, which for one binary covariate is close to the log-rank
test but uses Efron's rather than the hypergeometric variance); likelihood ratio
2 (l(beta) - l(0)).

The only covariate is the arm (1 for the compared arm, 0 for the reference), so the hazard
ratio is compared / reference. When one arm never relapses while the other is at risk the
likelihood keeps rising as the coefficient goes to infinity (monotone likelihood): R then
reports a coefficient near +-20 with an enormous standard error and a warning; here that is
refused with a DataError, before fitting, by an exact check on the risk sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, norm
from statsmodels.duration.hazard_regression import PHReg

from psytrial.core.errors import DataError
from psytrial.stats.survival._data import (
    FloatArray,
    SurvivalData,
    SurvivalInput,
    as_survival_data,
    require_arms,
)


@dataclass(frozen=True)
class CoxResult:
    """Hazard of relapse in `compared` relative to `reference`, with R's three tests."""

    reference: str
    compared: str
    n: int
    events: int
    coef: float
    se: float
    hr: float
    hr_lower: float
    hr_upper: float
    conf_level: float
    wald_chi2: float
    wald_p: float
    score_chi2: float
    score_p: float
    lr_chi2: float
    lr_p: float
    loglik_null: float
    loglik: float


def cox(
    data: SurvivalInput,
    *,
    reference: str | None = None,
    arms: Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> CoxResult:
    """Fit relapse hazard ~ arm (R: coxph(Surv(time, event) ~ arm, ties = "efron")).

    The hazard ratio is the other arm over `reference`; without `reference` it is the first
    declared arm over the second (sorted ids by default: "high" over "low"), the same order as
    the risk differences of psytrial.stats.binary.
    """
    if not 0.0 < conf_level < 1.0:
        raise DataError(f"conf_level: expected a number between 0 and 1, got {conf_level}")
    checked = as_survival_data(data, arms=arms)
    require_arms(checked, 2, "cox")
    baseline = checked.arms[1] if reference is None else reference
    compared = compared_arm(checked, baseline)
    x = arm_indicator(checked, compared)
    _require_finite_estimate(checked, x, baseline, compared)
    model = PHReg(checked.time, x[:, None], status=checked.event, ties="efron")
    beta = float(model.fit(method="newton").params[0])
    return _result(model, checked, beta, baseline, compared, conf_level)


def compared_arm(data: SurvivalData, reference: str) -> str:
    if reference not in data.arms:
        raise DataError(f"reference: expected one of {data.arms}, got {reference!r}")
    return next(a for a in data.arms if a != reference)


def arm_indicator(data: SurvivalData, compared: str) -> FloatArray:
    return data.mask(compared).astype(np.float64)


def _result(
    model: PHReg,
    data: SurvivalData,
    beta: float,
    reference: str,
    compared: str,
    conf_level: float,
) -> CoxResult:
    at_beta, at_zero = np.array([beta]), np.zeros(1)
    information = -float(model.hessian(at_beta)[0, 0])
    if not np.isfinite(beta) or information <= 0 or abs(model.score(at_beta)[0]) > 1e-6:
        raise DataError(f"cox: expected a converged fit, got coefficient {beta}")
    se = float(np.sqrt(1.0 / information))
    z = float(norm.ppf(0.5 + conf_level / 2.0))
    u0 = float(model.score(at_zero)[0])
    score_chi2 = u0 * u0 / -float(model.hessian(at_zero)[0, 0])
    ll0, ll = float(model.loglike(at_zero)), float(model.loglike(at_beta))
    wald_chi2 = (beta / se) ** 2
    lr_chi2 = 2.0 * (ll - ll0)
    return CoxResult(
        reference=reference,
        compared=compared,
        n=data.n,
        events=int(data.event.sum()),
        coef=beta,
        se=se,
        hr=float(np.exp(beta)),
        hr_lower=float(np.exp(beta - z * se)),
        hr_upper=float(np.exp(beta + z * se)),
        conf_level=conf_level,
        wald_chi2=wald_chi2,
        wald_p=float(chi2.sf(wald_chi2, 1)),
        score_chi2=score_chi2,
        score_p=float(chi2.sf(score_chi2, 1)),
        lr_chi2=lr_chi2,
        lr_p=float(chi2.sf(lr_chi2, 1)),
        loglik_null=ll0,
        loglik=ll,
    )


def _require_finite_estimate(
    data: SurvivalData, x: FloatArray, reference: str, compared: str
) -> None:
    """Refuse a monotone likelihood: the Efron score must change sign as beta runs over R.

    As beta -> +inf the risk-set mean of x tends to 1 wherever anyone in `compared` is at risk,
    so the score tends to sum(compared relapses - relapses at times when `compared` is at
    risk); it is negative (a finite maximum exists on that side) only if some relapse in
    `reference` happened while `compared` was at risk. Symmetrically for beta -> -inf.
    """
    dead = data.event == 1
    at_risk = data.time[None, :] >= np.unique(data.time[dead])[:, None]
    relapses_at = data.time[dead][None, :] == np.unique(data.time[dead])[:, None]
    compared_at_risk = (at_risk & (x == 1.0)).any(axis=1)
    reference_at_risk = (at_risk & (x == 0.0)).any(axis=1)
    x_dead = x[dead]
    reference_relapses = (relapses_at & (x_dead == 0.0)).sum(axis=1)
    compared_relapses = (relapses_at & (x_dead == 1.0)).sum(axis=1)
    if not np.any(compared_at_risk & (reference_relapses > 0)):
        raise DataError(_monotone(reference, compared))
    if not np.any(reference_at_risk & (compared_relapses > 0)):
        raise DataError(_monotone(compared, reference))


def _monotone(silent: str, other: str) -> str:
    return (
        f"cox: expected a relapse in arm {silent!r} while arm {other!r} was at risk, got none "
        "(the hazard ratio is not estimable: monotone likelihood)"
    )
