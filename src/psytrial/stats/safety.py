"""Adverse events by arm: who had any, any serious, by severity and relatedness; SAE listing.

Counts are of participants (a participant with three headaches counts once), with the number
of events beside them, over the safety population of each arm, which the caller gives as
`n_by_arm` because the adverse-event table lists only participants who had an event. The
tables are descriptive, as is usual for safety in a trial of this size (ICH E3 12.2); no
test is attached to them.

Input: a tidy table (participant_id, arm, term, serious, severity, related, outcome,
onset_date). `serious` may be a bool or "yes"/"no". `related` may be a bool or a causality
level; ASSUMPTION: the levels "possible", "probable" and "definite" (and True, "yes",
"related") count as related to the study drug, the rest ("not_related", "unlikely") do not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields

import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats._secondary_frames import require_columns, resolve_arms

WHAT = "adverse events"
COLUMNS = ("participant_id", "arm", "term", "serious", "severity", "related", "outcome",
           "onset_date")  # fmt: skip
SEVERITY_ORDER = ("mild", "moderate", "severe", "life_threatening", "fatal")
RELATEDNESS_ORDER = ("not_related", "unlikely", "possible", "probable", "definite")
RELATED_LEVELS = frozenset({"possible", "probable", "definite", "related", "yes"})
_YES = frozenset({"yes", "true", "1", "y"})
_NO = frozenset({"no", "false", "0", "n"})


@dataclass(frozen=True)
class ArmCount:
    """Participants with at least one such event in one arm, out of n, and the event count."""

    arm: str
    participants: int
    n: int
    percent: float | None
    events: int


@dataclass(frozen=True)
class AeCount:
    """One line of the safety table: a label and the count in each arm."""

    label: str
    arms: tuple[ArmCount, ArmCount]


@dataclass(frozen=True)
class SeriousEvent:
    """One serious adverse event, for the listing."""

    participant_id: str
    arm: str
    term: str
    onset_date: str
    outcome: str
    severity: str
    related: str


@dataclass(frozen=True)
class SafetyResult:
    """Adverse-event counts by arm and the listing of serious events (by onset date).

    `by_severity` counts a participant under every level at which they had an event;
    `by_worst_severity` counts each participant once, at their most severe event (so there
    its `events` equals its `participants`). Levels come in the order mild, moderate,
    severe, life_threatening, fatal, then any others alphabetically; relatedness likewise
    from not_related to definite.
    """

    arms: tuple[str, str]
    n: tuple[int, int]
    any_event: AeCount
    any_serious: AeCount
    any_related: AeCount
    by_severity: tuple[AeCount, ...]
    by_worst_severity: tuple[AeCount, ...]
    by_relatedness: tuple[AeCount, ...]
    serious_listing: tuple[SeriousEvent, ...]


def analyse_adverse_events(
    events: pd.DataFrame, n_by_arm: Mapping[str, int], arms: tuple[str, str] | None = None
) -> SafetyResult:
    """Tabulate adverse events by arm over a safety population of `n_by_arm[arm]` each."""
    require_columns(events, COLUMNS, WHAT)
    if arms is None:
        arms = resolve_arms(pd.DataFrame({"arm": list(n_by_arm)}), None, WHAT)
    arms = resolve_arms(events, arms, WHAT)
    data = _normalize(events)
    n = _denominators(data, arms, n_by_arm)

    def count(label: str, rows: pd.DataFrame) -> AeCount:
        return _count(label, rows, arms, n)

    severity_levels = _ordered(data["severity"], SEVERITY_ORDER)
    worst = _worst(data, severity_levels)
    return SafetyResult(
        arms=arms,
        n=n,
        any_event=count("any adverse event", data),
        any_serious=count("any serious adverse event", data.loc[data["serious"]]),
        any_related=count("any related adverse event", data.loc[data["is_related"]]),
        by_severity=tuple(count(s, data[data["severity"] == s]) for s in severity_levels),
        by_worst_severity=tuple(count(s, worst[worst["severity"] == s]) for s in severity_levels),
        by_relatedness=tuple(
            count(r, data[data["related"] == r])
            for r in _ordered(data["related"], RELATEDNESS_ORDER)
        ),
        serious_listing=_listing(data.loc[data["serious"]]),
    )


def _normalize(events: pd.DataFrame) -> pd.DataFrame:
    data = events.loc[:, list(COLUMNS)].copy()
    serious = [_yes_no(v, "serious") for v in data["serious"]]
    data["serious"] = pd.Series(serious, index=data.index, dtype=bool)
    data["related"] = pd.Series([_relatedness(v) for v in data["related"]], index=data.index)
    data["is_related"] = data["related"].isin(RELATED_LEVELS).astype(bool)
    for column in ("severity", "outcome", "term", "participant_id", "arm"):
        data[column] = data[column].map(lambda v: "" if pd.isna(v) else str(v))
    data["onset_date"] = data["onset_date"].map(_iso)
    return data


def _yes_no(value: object, column: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES or text in _NO:
        return text in _YES
    raise DataError(f"{WHAT}: expected yes or no in column {column!r}, got {value!r}")


def _relatedness(value: object) -> str:
    if isinstance(value, bool):
        return "related" if value else "not_related"
    if pd.isna(value):  # type: ignore[call-overload]
        return "unknown"
    return str(value).strip().lower()


def _iso(value: object) -> str:
    if isinstance(value, dt.date | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return "" if pd.isna(value) else str(value)  # type: ignore[call-overload]


def _denominators(
    data: pd.DataFrame, arms: tuple[str, str], n_by_arm: Mapping[str, int]
) -> tuple[int, int]:
    n = []
    for arm in arms:
        if arm not in n_by_arm:
            raise DataError(f"{WHAT}: expected a safety population size for arm {arm!r}, got none")
        size, with_ae = int(n_by_arm[arm]), data.loc[data["arm"] == arm, "participant_id"].nunique()
        if size < with_ae:
            raise DataError(
                f"{WHAT}: expected at most {size} participants with events in arm {arm!r} "
                f"(its safety population), got {with_ae}"
            )
        n.append(size)
    return (n[0], n[1])


def _count(label: str, rows: pd.DataFrame, arms: tuple[str, str], n: tuple[int, int]) -> AeCount:
    counts = []
    for arm, size in zip(arms, n, strict=True):
        mine = rows[rows["arm"] == arm]
        people = int(mine["participant_id"].nunique())
        percent = 100.0 * people / size if size else None
        counts.append(ArmCount(arm, people, size, percent, len(mine)))
    return AeCount(label, (counts[0], counts[1]))


def _ordered(values: pd.Series, known: tuple[str, ...]) -> list[str]:
    found = set(values)
    return [k for k in known if k in found] + sorted(found - set(known))


def _worst(data: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """One row per participant: the event of highest severity (events count as 1)."""
    if data.empty:
        return data
    rank = data["severity"].map({s: i for i, s in enumerate(levels)})
    top = data.assign(rank=rank).sort_values("rank").groupby("participant_id").tail(1)
    return top.drop(columns="rank")


def _listing(serious: pd.DataFrame) -> tuple[SeriousEvent, ...]:
    ordered = serious.sort_values(["onset_date", "participant_id", "term"], kind="stable")
    names = [f.name for f in fields(SeriousEvent)]
    return tuple(
        SeriousEvent(**{k: str(row[k]) for k in names}) for row in ordered.to_dict("records")
    )
