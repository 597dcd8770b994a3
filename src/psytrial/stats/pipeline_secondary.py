"""The secondary analyses of the plan, fed from the tidy tables and the protocol.

Which instrument feeds which analysis is read from the protocol's secondary outcomes:
`cluster_scores` (HRS), `repeated_measure` (craving; one analysis per such outcome),
`change_from_baseline` (colour-test attitudes), `blinding_guesses` and `adverse_events`.
The statistics are those of `psytrial.stats.secondary`; this module only selects rows,
attaches each participant's arm and month, and decides what is shown in blinded mode.

Rows of the scores table (docs/tidy-tables.md): `instrument` is the protocol's instrument id
and `item_or_scale` the HRS cluster, the craving scale or the colour-test concept. A row's
month is its `month` cell; when that is empty, the month of its protocol visit, or 0 for a
screening or baseline visit. Rows with no month (e.g. an integration session a day after the
drug session) cannot enter a model by month and are left out, with a note saying how many.
Participants excluded from analysis (CONSORT) are left out of the efficacy analyses (HRS,
craving, attitudes) but not of the safety tables or the blinding guesses.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy import stats

from psytrial.core.instruments.hrs_bank import CLUSTERS
from psytrial.core.protocol import Protocol
from psytrial.core.protocol.model import SecondaryOutcome
from psytrial.stats.blinded import POOLED
from psytrial.stats.secondary import (
    AttitudeResult,
    CravingResult,
    HrsResult,
    SafetyResult,
    analyse_adverse_events,
    analyse_attitudes,
    analyse_craving,
    analyse_hrs,
)
from psytrial.stats.tables import TrialTables
from psytrial.stats.twosample import ArmSummary, summarize


@dataclass(frozen=True)
class HrsSection:
    """HRS by arm, or (blinded mode, an arm-revealing instrument) pooled over the groups."""

    outcome_id: str
    label: str
    result: HrsResult | None
    pooled: tuple[tuple[str, ArmSummary], ...]  # cluster -> summary of everyone
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RepeatedSection:
    """One repeated-measure outcome (craving) over follow-up."""

    outcome_id: str
    label: str
    result: CravingResult | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class AttitudeSection:
    outcome_id: str
    label: str
    result: AttitudeResult | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class SafetySection:
    outcome_id: str
    label: str
    result: SafetyResult | None
    notes: tuple[str, ...]


def mean_ci95(summary: ArmSummary) -> tuple[float, float] | None:
    """t-based 95% CI of an arm's mean (R: t.test(x)$conf.int); None when n < 2."""
    if summary.mean is None or summary.sd is None or summary.n < 2:
        return None
    half = float(stats.t.ppf(0.975, summary.n - 1)) * summary.sd / summary.n**0.5
    return (summary.mean - half, summary.mean + half)


def outcomes_of(protocol: Protocol, kind: str) -> tuple[SecondaryOutcome, ...]:
    return tuple(o for o in protocol.outcomes.secondary if o.kind == kind)


def analysed_ids(tables: TrialTables) -> set[str]:
    people = tables.participants
    return set(people.loc[people["not_analysed_reason"] == "", "participant_id"])


def scores_with_arm(
    tables: TrialTables, protocol: Protocol, instrument: str, *, analysed_only: bool = True
) -> tuple[pd.DataFrame, int]:
    """The instrument's score rows with arm and month; and how many rows had no month."""
    scores = tables.scores
    rows = scores[scores["instrument"] == instrument]
    arms = tables.participants[["participant_id", "arm"]]
    rows = rows.merge(arms, on="participant_id", how="inner")
    if analysed_only:
        rows = rows[rows["participant_id"].isin(analysed_ids(tables))]
    month = rows["month"].astype("Float64")
    from_visit = rows["visit"].map(visit_months(protocol)).astype("Float64")
    rows = rows.assign(month=month.fillna(from_visit))
    no_month = int(rows["month"].isna().sum())
    rows = rows[rows["month"].notna()].assign(month=lambda f: f["month"].astype(int))
    return rows.reset_index(drop=True), no_month


def visit_months(protocol: Protocol) -> dict[str, int]:
    """Visit id -> month: the visit's own month, or 0 for screening and baseline visits."""
    out: dict[str, int] = {}
    for visit in protocol.schedule:
        if visit.month is not None:
            out[visit.id] = visit.month
        elif visit.phase in ("screening", "baseline"):
            out[visit.id] = 0
    return out


def _no_month_note(count: int) -> tuple[str, ...]:
    if not count:
        return ()
    return (f"{count} score rows without a month (not a follow-up or baseline visit) left out",)


def hrs_section(
    tables: TrialTables, protocol: Protocol, outcome: SecondaryOutcome, *, pooled: bool
) -> HrsSection:
    """HRS cluster comparison; `pooled` gives each cluster's summary over everyone instead."""
    scores = tables.scores
    rows = scores[
        (scores["instrument"] == outcome.instrument) & scores["item_or_scale"].isin(CLUSTERS)
    ]
    rows = rows.merge(tables.participants[["participant_id", "arm"]], on="participant_id")
    rows = rows[rows["participant_id"].isin(analysed_ids(tables))]
    rows, notes = _one_session(rows, protocol)
    frame = rows.rename(columns={"item_or_scale": "cluster", "value": "score"})
    if frame.empty:
        return HrsSection(outcome.id, outcome.label, None, (), (*notes, "no HRS scores"))
    if pooled:
        order = [c for c in CLUSTERS if c in set(frame["cluster"])]
        summaries = tuple(
            (c, summarize(POOLED, frame.loc[frame["cluster"] == c, "score"].to_numpy()))
            for c in order
        )
        return HrsSection(outcome.id, outcome.label, None, summaries, notes)
    pair = (tables.arms[0], tables.arms[1])
    result = analyse_hrs(frame[["participant_id", "arm", "cluster", "score"]], pair)
    return HrsSection(outcome.id, outcome.label, result, (), notes)


def _one_session(rows: pd.DataFrame, protocol: Protocol) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """With HRS from several visits, keep the randomized-dose session (first in schedule)."""
    visits = list(dict.fromkeys(rows["visit"]))
    if len(visits) <= 1:
        return rows, ()
    order = [v.id for v in protocol.schedule if v.dose == "randomized" and v.id in visits]
    order += [v.id for v in protocol.schedule if v.id in visits and v.id not in order]
    keep = order[0] if order else sorted(visits)[0]
    note = f"HRS from visit {keep!r} only (also found: {', '.join(v for v in visits if v != keep)})"
    return rows[rows["visit"] == keep], (note,)


def repeated_section(
    tables: TrialTables, protocol: Protocol, outcome: SecondaryOutcome
) -> RepeatedSection:
    rows, no_month = scores_with_arm(tables, protocol, outcome.instrument)
    notes = _no_month_note(no_month)
    if rows.empty:
        return RepeatedSection(outcome.id, outcome.label, None, (*notes, "no scores"))
    frame = rows[["participant_id", "arm", "month", "value"]]
    result = analyse_craving(frame, (tables.arms[0], tables.arms[1]))
    notes += result.categorical.notes + result.linear.notes
    return RepeatedSection(outcome.id, outcome.label, result, tuple(dict.fromkeys(notes)))


def attitude_section(
    tables: TrialTables, protocol: Protocol, outcome: SecondaryOutcome
) -> AttitudeSection:
    rows, no_month = scores_with_arm(tables, protocol, outcome.instrument)
    notes = _no_month_note(no_month)
    if rows.empty:
        return AttitudeSection(outcome.id, outcome.label, None, (*notes, "no scores"))
    frame = rows.rename(columns={"item_or_scale": "concept", "value": "positivity"})
    frame = frame[["participant_id", "arm", "concept", "month", "positivity"]]
    result = analyse_attitudes(frame, (tables.arms[0], tables.arms[1]))
    return AttitudeSection(outcome.id, outcome.label, result, notes)


def safety_section(tables: TrialTables, outcome: SecondaryOutcome) -> SafetySection:
    """AEs by arm over all randomized participants of each arm.

    ASSUMPTION: the safety population is every randomized participant, by randomized arm;
    the tables do not say who received any drug when `received_allocated` is empty.
    """
    people = tables.participants
    n_by_arm = {a: int((people["arm"] == a).sum()) for a in tables.arms}
    events = tables.adverse_events.merge(people[["participant_id", "arm"]], on="participant_id")
    result = analyse_adverse_events(events, n_by_arm, (tables.arms[0], tables.arms[1]))
    return SafetySection(outcome.id, outcome.label, result, ())
