"""Linear mixed models of a repeated measure: value ~ arm * time + (1 | participant).

Used for craving over follow-up (`psytrial.stats.craving`), and usable for any measure taken
at visits. Two codings of time are fitted, as the analysis plan asks:
- categorical: one level per month, month 0 (baseline, or the first month present) the
  reference; the arm effect at each month is arm + arm:month[m];
- linear: month as a number; the arm effect at month m is arm + m * arm:month.

Fitted by REML with statsmodels MixedLM (R: `lme4::lmer(value ~ arm * factor(month) +
(1 | participant_id), REML = TRUE)`, checked in tests/stats/reference_secondary/mixed.R).
The design matrix is built here, not from a formula, so that every coefficient has a plain
name ("arm[high]:month[3]") and the reference arm is always arms[1].

Inference is Wald with the normal distribution (z), as statsmodels reports it: CIs are
estimate -/+ 1.959964 SE. The arm x time interaction is tested two ways: a Wald chi-square
on the REML fit (all interaction coefficients jointly) and a likelihood-ratio test between
the models with and without the interaction, both refitted by ML (as R's
`anova(reduced, full)` does; REML likelihoods of models with different fixed effects are not
comparable). Arm differences per month come from the model (not per-visit t tests), so
participants with missing visits still contribute under missing-at-random.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMResults

TimeCoding = Literal["categorical", "linear"]
Z975 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class FixedEffect:
    """One fixed-effect coefficient with its Wald SE, 95% CI and two-sided p."""

    term: str
    estimate: float
    se: float
    ci95: tuple[float, float]
    z: float
    p: float


@dataclass(frozen=True)
class ChiSquareTest:
    """A chi-square test of a set of coefficients (here the arm x time interaction)."""

    method: Literal["wald", "likelihood ratio"]
    statistic: float
    df: int
    p: float


@dataclass(frozen=True)
class ArmDifference:
    """Model-based difference arms[0] - arms[1] at one month, and the n observed per arm."""

    month: int
    difference: float
    se: float
    ci95: tuple[float, float]
    z: float
    p: float
    n: tuple[int, int]


@dataclass(frozen=True)
class MixedModelFit:
    """One REML fit of value ~ arm * time + (1 | participant)."""

    time_coding: TimeCoding
    arms: tuple[str, str]
    fixed_effects: tuple[FixedEffect, ...]
    participant_variance: float
    residual_variance: float
    reml_log_likelihood: float
    n_observations: int
    n_participants: int
    converged: bool
    interaction_wald: ChiSquareTest
    interaction_lr: ChiSquareTest
    differences: tuple[ArmDifference, ...]
    dropped_months: tuple[int, ...]
    notes: tuple[str, ...]

    def effect(self, term: str) -> FixedEffect:
        """The fixed effect named `term`, e.g. "arm[high]:month[3]"."""
        for fe in self.fixed_effects:
            if fe.term == term:
                return fe
        raise KeyError(term)

    def difference_at(self, month: int) -> ArmDifference:
        """The model-based arm difference at `month`."""
        for d in self.differences:
            if d.month == month:
                return d
        raise KeyError(month)


def fit_arm_by_time(
    data: pd.DataFrame, arms: tuple[str, str], time_coding: TimeCoding
) -> MixedModelFit:
    """Fit the model to rows (participant_id, arm, month: int, value: float, no NaN)."""
    data, dropped = _estimable(data, arms, time_coding)
    design = _design(data, arms, time_coding)
    interaction = [c for c in design.columns if ":" in c]
    reml, caught = _fit(data, design, reml=True)
    full_ml, caught_full = _fit(data, design, reml=False)
    reduced_ml, caught_reduced = _fit(data, design.drop(columns=interaction), reml=False)
    beta = np.asarray(reml.fe_params, dtype=float)
    cov = _fixed_covariance(data, design, reml)
    effects = tuple(_effect(str(name), beta[i], cov[i, i]) for i, name in enumerate(design.columns))
    idx = [list(design.columns).index(c) for c in interaction]
    lr = 2 * (full_ml.llf - reduced_ml.llf)
    return MixedModelFit(
        time_coding=time_coding,
        arms=arms,
        fixed_effects=effects,
        participant_variance=float(np.asarray(reml.cov_re)[0, 0]),
        residual_variance=float(reml.scale),
        reml_log_likelihood=float(reml.llf),
        n_observations=len(data),
        n_participants=int(data["participant_id"].nunique()),
        converged=bool(reml.converged and full_ml.converged and reduced_ml.converged),
        interaction_wald=_wald(beta[idx], cov[np.ix_(idx, idx)]),
        interaction_lr=ChiSquareTest(
            "likelihood ratio", float(lr), len(idx), float(stats.chi2.sf(lr, len(idx)))
        ),
        differences=_differences(data, design, arms, beta, cov),
        dropped_months=dropped,
        notes=tuple(dict.fromkeys([*caught, *caught_full, *caught_reduced])),
    )


def _estimable(
    data: pd.DataFrame, arms: tuple[str, str], time_coding: TimeCoding
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """Drop months seen in only one arm: their interaction term cannot be estimated."""
    if time_coding == "linear":
        return data, ()
    arms_at = data.groupby("month")["arm"].nunique()
    dropped = tuple(int(m) for m in arms_at[arms_at < 2].index)
    return data[~data["month"].isin(dropped)].reset_index(drop=True), dropped


def _design(data: pd.DataFrame, arms: tuple[str, str], time_coding: TimeCoding) -> pd.DataFrame:
    treated = (data["arm"] == arms[0]).astype(float).to_numpy()
    cols: dict[str, np.ndarray] = {
        "Intercept": np.ones(len(data)),
        f"arm[{arms[0]}]": treated,
    }
    month = data["month"].to_numpy()
    if time_coding == "linear":
        cols["month"] = month.astype(float)
        cols[f"arm[{arms[0]}]:month"] = treated * month
        return pd.DataFrame(cols, index=data.index)
    levels = sorted(int(m) for m in np.unique(month))
    for m in levels[1:]:
        cols[f"month[{m}]"] = (month == m).astype(float)
    for m in levels[1:]:
        cols[f"arm[{arms[0]}]:month[{m}]"] = treated * (month == m)
    return pd.DataFrame(cols, index=data.index)


def _fit(
    data: pd.DataFrame, design: pd.DataFrame, *, reml: bool
) -> tuple[MixedLMResults, list[str]]:
    """BFGS with a tight gradient tolerance, else statsmodels' default chain of optimizers.

    statsmodels' default stopping rule leaves variance components ~1e-5 (relative) from the
    optimum that lme4 and nlme both reach; gtol = 1e-10 brings all three within ~1e-8.
    Returns the fit and the warnings of the attempt that was kept.
    """
    model = MixedLM(data["value"].astype(float), design, groups=data["participant_id"])
    fit, caught = _attempt(lambda: model.fit(reml=reml, method="bfgs", gtol=1e-10))
    if fit.converged:
        return fit, caught
    return _attempt(lambda: model.fit(reml=reml))


def _attempt(run: Callable[[], MixedLMResults]) -> tuple[MixedLMResults, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = run()
    return fit, [str(w.message).splitlines()[0] for w in caught]


def _fixed_covariance(data: pd.DataFrame, design: pd.DataFrame, fit: MixedLMResults) -> np.ndarray:
    """(X' V^-1 X)^-1 at the REML variance estimates, as lme4's and nlme's `vcov`.

    statsmodels' own `cov_params` inverts the full observed Hessian, whose cross terms with
    the variance parameters move the SEs by up to a few parts in a thousand; the GLS form is
    the one every R reference reports. With a random intercept, V_i^-1 has the closed form
    (I - c_i 11') / sigma_e^2 with c_i = sigma_u^2 / (sigma_e^2 + n_i sigma_u^2).
    """
    sigma_e2 = float(fit.scale)
    sigma_u2 = float(np.asarray(fit.cov_re)[0, 0])
    x = design.to_numpy(dtype=float)
    info = x.T @ x
    for rows in data.groupby("participant_id", sort=False).indices.values():
        col_sums = x[rows].sum(axis=0)
        c = sigma_u2 / (sigma_e2 + len(rows) * sigma_u2)
        info -= c * np.outer(col_sums, col_sums)
    cov: np.ndarray = np.linalg.inv(info / sigma_e2)
    return cov


def _effect(term: str, estimate: float, variance: float) -> FixedEffect:
    se = float(np.sqrt(variance))
    z = float(estimate) / se
    return FixedEffect(
        term=term,
        estimate=float(estimate),
        se=se,
        ci95=(float(estimate) - Z975 * se, float(estimate) + Z975 * se),
        z=z,
        p=float(2 * stats.norm.sf(abs(z))),
    )


def _wald(beta: np.ndarray, cov: np.ndarray) -> ChiSquareTest:
    stat = float(beta @ np.linalg.solve(cov, beta))
    return ChiSquareTest("wald", stat, len(beta), float(stats.chi2.sf(stat, len(beta))))


def _differences(
    data: pd.DataFrame,
    design: pd.DataFrame,
    arms: tuple[str, str],
    beta: np.ndarray,
    cov: np.ndarray,
) -> tuple[ArmDifference, ...]:
    out = []
    names = list(design.columns)
    for m in sorted(int(x) for x in data["month"].unique()):
        c = np.zeros(len(names))
        c[names.index(f"arm[{arms[0]}]")] = 1.0
        linear_term = f"arm[{arms[0]}]:month"
        if linear_term in names:
            c[names.index(linear_term)] = float(m)
        elif f"{linear_term}[{m}]" in names:
            c[names.index(f"{linear_term}[{m}]")] = 1.0
        fe = _effect("", float(c @ beta), float(c @ cov @ c))
        at = data[data["month"] == m]
        n = (int((at["arm"] == arms[0]).sum()), int((at["arm"] == arms[1]).sum()))
        out.append(ArmDifference(m, fe.estimate, fe.se, fe.ci95, fe.z, fe.p, n))
    return tuple(out)
