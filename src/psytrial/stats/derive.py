"""The primary outcome derived from the tidy tables: time to relapse and abstinence counts.

Definitions (the protocol's rules; docs/tidy-tables.md says the same for readers):

* Confirmed heroin use at an attended visit: self-reported use OR a positive urine OR a
  collateral report of use. Each source can be switched off with `ConfirmationRule`. If no
  enabled source says anything (all empty, `not_done` or `unknown`), the exporter's
  `abstinent` column decides; if that is empty too, the visit gave no information and is
  treated like a missed one.
* A visit is "abstinent" when it is attended and shows no confirmed use; "verified
  abstinent" when, in addition, the urine is negative.
* Relapse is found at the first scheduled visit with confirmed use; time = that visit's month.
* Missing visits. A run of missed visits followed by an attended one:
    - return with confirmed use: rule "relapse" dates the relapse at the first missed month
      (missing is counted as use); rule "censor" at the month of the return visit, where the
      relapse was found.
    - return verified abstinent (negative urine): the gap is bridged under both rules, i.e.
      the participant stays abstinent (not a relapse).
    - return abstinent without a negative urine: rule "relapse" counts the gap as a relapse at
      the first missed month (abstinence in the gap could not be verified); rule "censor"
      bridges it.
  A run of missed visits never followed by an attended one (lost for good, withdrawn, died,
  or simply no visit since): rule "relapse" counts a relapse at the first month of that run;
  rule "censor" censors at the last attended abstinent visit (time 0 if there was none).
* Administrative censoring: at the horizon (24 months), or at the data cut-off. Only due
  visits count. A month is due if it is in the schedule, not after the horizon, and its
  target date (randomization + m calendar months) is on or before the cut-off. For an
  "active" participant the due months stop at the last month present in the follow-up table
  (later visits are not yet due); for any other status every scheduled month is due, and a
  due month without a row is a missed visit. A row dated after the cut-off is ignored.
* Participants with a `not_analysed_reason` are left out (CONSORT "excluded from analysis").

ASSUMPTION: the paper does not publish how relapse was verified or how losses were handled;
these rules follow common practice in addiction trials (missing = use as the primary,
conservative rule; censoring as the sensitivity analysis).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats import _derive_vector as _vec

MissingRule = Literal["relapse", "censor"]
RULES: tuple[MissingRule, ...] = ("relapse", "censor")
MONTHLY: tuple[int, ...] = tuple(range(1, 25))
ASSESSMENT_MONTHS: tuple[int, ...] = (1, 3, 6, 12, 18, 24)
HORIZON = 24

USE, ABSTINENT, VERIFIED, MISSED = "use", "abstinent", "verified", "missed"


@dataclass(frozen=True)
class ConfirmationRule:
    """Which sources confirm heroin use at a visit; by protocol all three do."""

    self_report: bool = True
    urine: bool = True
    collateral: bool = True

    def classify(self, visit: Mapping[str, Any]) -> str:
        """USE, ABSTINENT, VERIFIED or MISSED for one follow-up row."""
        if visit["status"] != "attended":
            return MISSED
        says_use, says_clean = self._evidence(visit)
        if not says_use and not says_clean:
            says_use, says_clean = visit["abstinent"] == "no", visit["abstinent"] == "yes"
        if says_use:
            return USE
        if not says_clean:
            return MISSED
        return VERIFIED if visit["urine"] == "negative" else ABSTINENT

    def _evidence(self, visit: Mapping[str, Any]) -> tuple[bool, bool]:
        sources = [
            (self.self_report, visit["heroin_use"], "yes", "no"),
            (self.urine, visit["urine"], "positive", "negative"),
            (self.collateral, visit["collateral"], "yes", "no"),
        ]
        use = any(on and value == pos for on, value, pos, _ in sources)
        clean = any(on and value == neg for on, value, _, neg in sources)
        return use, clean


PROTOCOL_RULE = ConfirmationRule()


@dataclass(frozen=True)
class FollowupPlan:
    """The visit schedule the outcome is derived on, and where follow-up stops."""

    schedule: tuple[int, ...] = MONTHLY
    horizon: int = HORIZON
    cutoff: dt.date | None = None
    confirmation: ConfirmationRule = field(default_factory=ConfirmationRule)

    def months(self, randomized_at: pd.Timestamp) -> list[int]:
        """Scheduled months up to the horizon whose target date is not after the cut-off."""
        months = sorted(m for m in set(self.schedule) if m <= self.horizon)
        if self.cutoff is None:
            return months
        cutoff = pd.Timestamp(self.cutoff)
        return [m for m in months if randomized_at + pd.DateOffset(months=m) <= cutoff]


@dataclass(frozen=True)
class Outcome:
    """One participant's primary outcome under one missing-data rule."""

    time: int
    event: int
    basis: str  # use | missing | completed | cutoff | dropout


def participant_outcome(
    status: str,
    randomized_at: pd.Timestamp,
    visits: Mapping[int, Mapping[str, Any]],
    rule: MissingRule,
    plan: FollowupPlan,
) -> Outcome:
    """The outcome of one participant from their follow-up rows (month -> row)."""
    states = _due_states(status, randomized_at, visits, plan)
    final = max([m for m in plan.schedule if m <= plan.horizon], default=0)
    last_ok, i = 0, 0
    while i < len(states):
        month, state = states[i]
        if state == USE:
            return Outcome(month, 1, "use")
        if state != MISSED:
            last_ok, i = month, i + 1
            continue
        j = next((k for k in range(i, len(states)) if states[k][1] != MISSED), None)
        if j is None:
            return (
                Outcome(month, 1, "missing")
                if rule == "relapse"
                else Outcome(last_ok, 0, "dropout")
            )
        back_month, back = states[j]
        if rule == "relapse" and back != VERIFIED:
            return Outcome(month, 1, "missing")
        if back == USE:
            return Outcome(back_month, 1, "use")
        i = j
    return Outcome(last_ok, 0, "completed" if last_ok == final and final > 0 else "cutoff")


def _due_states(
    status: str,
    randomized_at: pd.Timestamp,
    visits: Mapping[int, Mapping[str, Any]],
    plan: FollowupPlan,
) -> list[tuple[int, str]]:
    months = plan.months(randomized_at)
    cutoff = pd.Timestamp(plan.cutoff) if plan.cutoff is not None else None
    kept = {
        m: row
        for m, row in visits.items()
        if m in months and (cutoff is None or not (row["visit_date"] > cutoff))
    }
    if status == "active":
        last = max(kept, default=0)
        months = [m for m in months if m <= last]
    rule = plan.confirmation
    return [(m, rule.classify(kept[m]) if m in kept else MISSED) for m in months]


def time_to_relapse(
    participants: pd.DataFrame,
    followup: pd.DataFrame,
    *,
    rule: MissingRule = "relapse",
    plan: FollowupPlan | None = None,
) -> pd.DataFrame:
    """participant_id, arm, time (months), event (1 = relapse), basis; one row each.

    The tables are the validated `TrialTables.participants` and `.followup`. All participants
    are derived at once on arrays (`_derive_vector`); the result is the same as
    `participant_outcome` applied to each participant (`_time_to_relapse_reference`).
    """
    if rule not in RULES:
        raise DataError(f"rule: expected one of {'|'.join(RULES)}, got {rule!r}")
    plan = plan or FollowupPlan()
    frame = _analysed(participants)
    pids = frame["participant_id"].astype(str)
    if not pids.is_unique:  # never after validation; the walk handles it as before
        return _time_to_relapse_reference(participants, followup, rule=rule, plan=plan)
    months = sorted(m for m in set(plan.schedule) if m <= plan.horizon)
    cutoff = pd.Timestamp(plan.cutoff) if plan.cutoff is not None else None
    n_due = _vec.due_counts(frame["randomized_at"], months, cutoff)
    rows, cols, states = _kept_visits(followup, pids, months, n_due, cutoff, plan.confirmation)
    active = (frame["status"].astype(str) == "active").to_numpy()
    matrix = _vec.state_matrix(rows, cols, states, n_due, active)
    final = max([m for m in plan.schedule if m <= plan.horizon], default=0)
    time, event, basis = _vec.outcomes(matrix, months, final, rule)
    result = pd.DataFrame(
        {
            "participant_id": pids.to_numpy(dtype=object),
            "arm": frame["arm"].astype(str).to_numpy(dtype=object),
            "time": time,
            "event": event,
            "basis": basis,
        }
    )
    return result.astype({"time": "int64", "event": "int64"})


def _kept_visits(
    followup: pd.DataFrame,
    pids: pd.Series,
    months: list[int],
    n_due: Any,
    cutoff: pd.Timestamp | None,
    confirmation: ConfirmationRule,
) -> tuple[Any, Any, Any]:
    """(participant row, month index, state) of each follow-up row that counts.

    A row counts when its participant is analysed, its month is due for them and it is not
    dated after the cut-off; of two rows for one participant and month the last one counts.
    """
    row = pd.Index(pids).get_indexer(followup["participant_id"].astype(str))
    col = pd.Index(months).get_indexer(pd.Index(followup["month"].to_numpy(dtype="int64")))
    keep = (row >= 0) & (col >= 0)
    keep[keep] = col[keep] < n_due[row[keep]]
    key = pd.Series(row[keep] * len(months) + col[keep])
    keep[keep] = ~key.duplicated(keep="last").to_numpy()
    if cutoff is not None:
        keep &= ~(followup["visit_date"] > cutoff).to_numpy()
    sources = _vec.Sources(confirmation.self_report, confirmation.urine, confirmation.collateral)
    kept = followup[keep]
    return row[keep], col[keep], _vec.visit_states(kept, sources)


def _time_to_relapse_reference(
    participants: pd.DataFrame,
    followup: pd.DataFrame,
    *,
    rule: MissingRule = "relapse",
    plan: FollowupPlan | None = None,
) -> pd.DataFrame:
    """time_to_relapse by walking each participant's visits (`participant_outcome`).

    The original row-by-row implementation: slow on large trials, kept as the reference the
    vectorized path is tested against, and for tables with repeated participant ids.
    """
    plan = plan or FollowupPlan()
    by_pid = _visits_by_participant(followup)
    rows = []
    frame = _analysed(participants)
    columns = ("participant_id", "arm", "status", "randomized_at")
    for pid, arm, status, randomized_at in zip(*(frame[c] for c in columns), strict=True):
        visits = by_pid.get(str(pid), {})
        out = participant_outcome(str(status), pd.Timestamp(randomized_at), visits, rule, plan)
        rows.append((str(pid), str(arm), out.time, out.event, out.basis))
    result = pd.DataFrame(rows, columns=["participant_id", "arm", "time", "event", "basis"])
    return result.astype({"time": "int64", "event": "int64"})


def _analysed(participants: pd.DataFrame) -> pd.DataFrame:
    if "not_analysed_reason" not in participants.columns:
        return participants
    reason = participants["not_analysed_reason"].fillna("").astype(str)
    return participants[reason == ""]


def _visits_by_participant(followup: pd.DataFrame) -> dict[str, dict[int, dict[str, Any]]]:
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for record in followup.to_dict("records"):
        row = {str(k): v for k, v in record.items()}
        out.setdefault(str(row["participant_id"]), {})[int(row["month"])] = row
    return out


@dataclass(frozen=True)
class AbstinenceCount:
    """Continuously abstinent n of N known; `unknown` participants are not in N."""

    n: int
    N: int  # the n/N notation of the report
    unknown: int


@dataclass(frozen=True)
class AbstinenceTable:
    """Continuous abstinence up to each month, per participant and per arm, for each rule."""

    months: tuple[int, ...]
    arms: tuple[str, ...]
    rules: tuple[MissingRule, ...]
    per_participant: pd.DataFrame  # participant_id, arm, rule, month, abstinent (yes|no|unknown)
    counts: Mapping[MissingRule, Mapping[int, Mapping[str, AbstinenceCount]]]

    def count(self, rule: MissingRule, month: int, arm: str) -> AbstinenceCount:
        return self.counts[rule][month][arm]

    def as_dict(self, rule: MissingRule) -> dict[str, dict[str, dict[str, int]]]:
        """month -> arm id -> {n, N} for results.json (`primary.abstinent`)."""
        return {
            str(m): {a: {"n": c.n, "N": c.N} for a, c in self.counts[rule][m].items()}
            for m in self.months
        }


def abstinent_at(
    participants: pd.DataFrame,
    followup: pd.DataFrame,
    months: Iterable[int] = ASSESSMENT_MONTHS,
    *,
    rules: Sequence[MissingRule] = RULES,
    arms: Sequence[str] | None = None,
    plan: FollowupPlan | None = None,
) -> AbstinenceTable:
    """Continuous abstinence up to month m: yes if no relapse by m and followed to m.

    "no" if the relapse time is at or before m; "unknown" if censored before m. Per arm, n
    counts "yes" and N counts "yes" plus "no".
    """
    wanted = tuple(sorted(set(months)))
    arm_ids = tuple(arms) if arms is not None else tuple(sorted(set(participants["arm"])))
    parts = [
        _statuses(time_to_relapse(participants, followup, rule=rule, plan=plan), rule, wanted)
        for rule in rules
    ]
    columns = ["participant_id", "arm", "rule", "month", "abstinent"]
    per = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if per.empty:  # the dtypes of an empty frame built from no records
        per = pd.DataFrame([], columns=columns)
    tally = per.groupby(["rule", "month", "arm", "abstinent"]).size().to_dict()
    counts = {
        rule: {m: {a: _count(tally, (rule, m, a)) for a in arm_ids} for m in wanted}
        for rule in rules
    }
    return AbstinenceTable(wanted, arm_ids, tuple(rules), per, counts)


def _statuses(ttr: pd.DataFrame, rule: MissingRule, months: tuple[int, ...]) -> pd.DataFrame:
    """One row per participant and month (participant-major), as `_status_at` says."""
    k = len(months)
    time = np.repeat(ttr["time"].to_numpy(dtype=np.int64), k)
    event = np.repeat(ttr["event"].to_numpy(dtype=np.int64), k)
    month = np.tile(np.asarray(months, dtype=np.int64), len(ttr))
    status = np.where(time >= month, "yes", "unknown").astype(object)
    status[(event == 1) & (time <= month)] = "no"
    return pd.DataFrame(
        {
            "participant_id": np.repeat(ttr["participant_id"].to_numpy(dtype=object), k),
            "arm": np.repeat(ttr["arm"].to_numpy(dtype=object), k),
            "rule": np.full(len(time), rule, dtype=object),
            "month": month,
            "abstinent": status,
        }
    )


def _status_at(time: Any, event: Any, month: int) -> str:
    if int(event) == 1 and int(time) <= month:
        return "no"
    return "yes" if int(time) >= month else "unknown"


def _count(tally: Mapping[Any, int], cell: tuple[str, int, str]) -> AbstinenceCount:
    yes, no = tally.get((*cell, "yes"), 0), tally.get((*cell, "no"), 0)
    return AbstinenceCount(n=yes, N=yes + no, unknown=tally.get((*cell, "unknown"), 0))
