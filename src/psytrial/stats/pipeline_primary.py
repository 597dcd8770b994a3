"""The primary analysis of the plan under one missing-data rule, from the tidy tables.

Time to relapse is derived by `psytrial.stats.derive.time_to_relapse` under the rule
("relapse": a participant lost to follow-up counts as relapsed, the protocol's conservative
rule; "censor": censored at the last abstinent visit, the sensitivity analysis). On that
table, with the functions of `psytrial.stats.survival` and `psytrial.stats.binary`:
Kaplan-Meier per arm (log-log 95% limits) read at months 0..horizon with the numbers at
risk, the log-rank test, the Cox model (Efron ties) and its proportional-hazards check, and
continuous abstinence at the protocol's months with Fisher's exact test and the risk
difference. Abstinence counts use `lost="exclude"`: the rule has already decided how a loss
counts, so only administratively censored participants (not yet followed to the month) are
left out of N, exactly as `derive.abstinent_at` counts them.

A test that the data cannot support (no relapse at all, a monotone Cox likelihood, relapses
in one month only for the PH check) is recorded as None with a note instead of stopping the
whole report; a malformed table still raises DataError.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from psytrial.core.errors import DataError
from psytrial.stats.binary import AbstinenceTable, abstinence_by_month
from psytrial.stats.derive import FollowupPlan, MissingRule, time_to_relapse
from psytrial.stats.survival import (
    CoxResult,
    KaplanMeier,
    KMAt,
    LogRankResult,
    SurvivalData,
    ZphResult,
    cox,
    kaplan_meier,
    logrank,
    proportional_hazards_test,
)
from psytrial.stats.tables import TrialTables

T = TypeVar("T")


@dataclass(frozen=True)
class Proportion:
    """n of N with its Wilson 95% interval (None when N = 0)."""

    n: int
    N: int
    ci95: tuple[float, float] | None

    @property
    def proportion(self) -> float | None:
        return self.n / self.N if self.N else None


@dataclass(frozen=True)
class PrimaryAnalysis:
    """Everything the plan reports for the primary outcome under one rule."""

    rule: MissingRule
    arms: tuple[str, ...]
    outcomes: pd.DataFrame  # participant_id, arm, time, event, basis (derive.time_to_relapse)
    data: SurvivalData
    km: KaplanMeier
    km_at: tuple[KMAt, ...]
    logrank: LogRankResult | None
    cox: CoxResult | None
    zph: ZphResult | None
    abstinence: AbstinenceTable
    abstinence_ci: tuple[tuple[Proportion, ...], ...]  # per month, per arm (Wilson)
    basis: tuple[tuple[str, tuple[int, ...]], ...]  # basis -> count per arm
    notes: tuple[str, ...]


def analyse_primary(
    tables: TrialTables,
    rule: MissingRule,
    plan: FollowupPlan,
    abstinence_months: Sequence[int],
) -> PrimaryAnalysis:
    """Derive time to relapse under `rule` and run the primary analyses by arm."""
    arms = tables.arms
    outcomes = time_to_relapse(tables.participants, tables.followup, rule=rule, plan=plan)
    if outcomes.empty:
        raise DataError("primary analysis: expected analysed participants, got none")
    data = SurvivalData.from_frame(outcomes, arms=arms)
    notes: list[str] = []
    km = kaplan_meier(data)
    months = [float(m) for m in range(0, plan.horizon + 1)]
    lr = _attempt(lambda: logrank(data), "log-rank test", notes)
    fit = _attempt(lambda: cox(data), "Cox model", notes) if len(arms) == 2 else None
    zph = (
        _attempt(lambda: proportional_hazards_test(data, fit), "PH check", notes)
        if fit is not None
        else None
    )
    table = abstinence_by_month(data, months=[float(m) for m in abstinence_months], lost="exclude")
    return PrimaryAnalysis(
        rule=rule,
        arms=arms,
        outcomes=outcomes,
        data=data,
        km=km,
        km_at=km.at(months),
        logrank=lr,
        cox=fit,
        zph=zph,
        abstinence=table,
        abstinence_ci=tuple(
            tuple(_wilson(a, n) for a, n in zip(row.abstinent, row.total, strict=True))
            for row in table.rows
        ),
        basis=_basis(outcomes, arms),
        notes=tuple(notes),
    )


def _attempt(run: Callable[[], T], what: str, notes: list[str]) -> T | None:
    """Run one test; a DataError saying the data cannot support it becomes a note."""
    try:
        return run()
    except DataError as exc:
        notes.append(f"{what} not done: {exc}")
        return None


def _wilson(n: int, total: int) -> Proportion:
    if total == 0:
        return Proportion(n, total, None)
    low, high = proportion_confint(n, total, alpha=0.05, method="wilson")
    # The Wilson limits are exactly 0 at n = 0 and 1 at n = N; statsmodels can miss by 1e-17.
    low = 0.0 if n == 0 else float(low)
    high = 1.0 if n == total else float(high)
    return Proportion(n, total, (low, high))


def _basis(
    outcomes: pd.DataFrame, arms: tuple[str, ...]
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """How each participant's outcome was decided (use, missing, completed, ...) per arm."""
    counts = outcomes.groupby(["basis", "arm"]).size()
    order = ["use", "missing", "completed", "cutoff", "dropout"]
    found = [b for b in order if b in set(outcomes["basis"])]
    found += sorted(set(outcomes["basis"]) - set(order))
    return tuple((b, tuple(int(counts.get((b, a), 0)) for a in arms)) for b in found)
