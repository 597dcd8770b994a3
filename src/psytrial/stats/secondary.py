"""The secondary analyses of the statistical analysis plan, in one public surface.

- `analyse_hrs`: HRS cluster scores by arm (Welch t, Mann-Whitney U, Hedges' g).
- `analyse_craving`: craving over follow-up, value ~ arm * time + (1 | participant) by REML,
  time both categorical and linear.
- `analyse_attitudes`: change in colour-test attitudes from baseline, per concept (ANCOVA
  and Welch t on change).
- `analyse_adverse_events`: adverse events by arm and the serious-event listing.

Each takes a tidy pandas DataFrame (columns in the function's module docstring) and an
optional `arms = (a, b)`; differences are a - b, and without `arms` the two arm ids found are
taken in sorted order, ("high", "low") in the reference trial. Methods, their R equivalents
and references: docs/methods-secondary.md.
"""

from __future__ import annotations

from psytrial.stats.attitudes import (
    AncovaEstimate,
    AttitudeChange,
    AttitudeResult,
    ChangeSummary,
    analyse_attitudes,
)
from psytrial.stats.craving import CravingResult, VisitSummary, analyse_craving
from psytrial.stats.hrs import HrsClusterResult, HrsResult, analyse_hrs
from psytrial.stats.mixed import ArmDifference, ChiSquareTest, FixedEffect, MixedModelFit
from psytrial.stats.safety import (
    AeCount,
    ArmCount,
    SafetyResult,
    SeriousEvent,
    analyse_adverse_events,
)
from psytrial.stats.twosample import (
    ArmSummary,
    HedgesG,
    MannWhitneyTest,
    TwoSampleComparison,
    WelchTest,
    compare_two_samples,
)

__all__ = [
    "AeCount",
    "AncovaEstimate",
    "ArmCount",
    "ArmDifference",
    "ArmSummary",
    "AttitudeChange",
    "AttitudeResult",
    "ChangeSummary",
    "ChiSquareTest",
    "CravingResult",
    "FixedEffect",
    "HedgesG",
    "HrsClusterResult",
    "HrsResult",
    "MannWhitneyTest",
    "MixedModelFit",
    "SafetyResult",
    "SeriousEvent",
    "TwoSampleComparison",
    "VisitSummary",
    "WelchTest",
    "analyse_adverse_events",
    "analyse_attitudes",
    "analyse_craving",
    "analyse_hrs",
    "compare_two_samples",
]
