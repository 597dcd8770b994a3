"""Craving over follow-up: observed summaries per visit and the arm x time mixed models.

Input: a tidy table (participant_id, arm, month, value) with value the craving visual
analogue scale, 0-100 mm, and month 0 the baseline before treatment. Missed visits are
absent rows or NaN values; participants with some visits missing stay in the model, which
assumes missing at random. The models and their inference are described in
`psytrial.stats.mixed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats._secondary_frames import (
    numeric_column,
    require_columns,
    require_one_arm_each,
    require_unique,
    resolve_arms,
)
from psytrial.stats.mixed import MixedModelFit, fit_arm_by_time
from psytrial.stats.twosample import ArmSummary, summarize

WHAT = "craving visits"
COLUMNS = ("participant_id", "arm", "month", "value")
VAS_RANGE = (0.0, 100.0)


@dataclass(frozen=True)
class VisitSummary:
    """Observed mean, SD and n of each arm at one month (no model)."""

    month: int
    arms: tuple[ArmSummary, ArmSummary]


@dataclass(frozen=True)
class CravingResult:
    """Observed summaries and the two mixed models (categorical and linear time)."""

    arms: tuple[str, str]
    observed: tuple[VisitSummary, ...]
    categorical: MixedModelFit
    linear: MixedModelFit


def analyse_craving(visits: pd.DataFrame, arms: tuple[str, str] | None = None) -> CravingResult:
    """Summarize craving per arm and visit and fit value ~ arm * time + (1 | participant)."""
    data, arms = _clean(visits, arms)
    return CravingResult(
        arms=arms,
        observed=_observed(data, arms),
        categorical=fit_arm_by_time(data, arms, "categorical"),
        linear=fit_arm_by_time(data, arms, "linear"),
    )


def _clean(
    visits: pd.DataFrame, arms: tuple[str, str] | None
) -> tuple[pd.DataFrame, tuple[str, str]]:
    require_columns(visits, COLUMNS, WHAT)
    arms = resolve_arms(visits, arms, WHAT)
    data = visits.loc[:, list(COLUMNS)].copy()
    data["value"] = numeric_column(data, "value", WHAT)
    data["month"] = _months(data)
    data = data[data["value"].notna()].reset_index(drop=True)
    outside = data[(data["value"] < VAS_RANGE[0]) | (data["value"] > VAS_RANGE[1])]
    if len(outside):
        raise DataError(
            f"{WHAT}: expected values between 0 and 100, got {outside['value'].iloc[0]}"
        )
    require_unique(data, ["participant_id", "month"], WHAT)
    require_one_arm_each(data, WHAT)
    for arm in arms:
        if not (data["arm"] == arm).any():
            raise DataError(f"{WHAT}: expected observations in arm {arm!r}, got none")
    return data, arms


def _months(data: pd.DataFrame) -> pd.Series:
    month = numeric_column(data, "month", WHAT)
    bad = month[month.isna() | (month < 0) | (month != np.floor(month))]
    if len(bad):
        raise DataError(f"{WHAT}: expected whole months >= 0, got {data['month'][bad.index[0]]}")
    return month.astype(int)


def _observed(data: pd.DataFrame, arms: tuple[str, str]) -> tuple[VisitSummary, ...]:
    out = []
    for month in sorted(int(m) for m in data["month"].unique()):
        at = data[data["month"] == month]
        pair = tuple(summarize(a, at.loc[at["arm"] == a, "value"].to_numpy()) for a in arms)
        out.append(VisitSummary(month=month, arms=(pair[0], pair[1])))
    return tuple(out)
