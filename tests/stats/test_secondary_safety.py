"""Adverse-event tables against counts made by hand from a small table.

The reference is the hand count written beside each assertion: eight events of five
participants (H01 three events, H02 one serious, H03 one; L01 one; L02 two serious), over
safety populations of 35 per arm.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from psytrial.core.errors import DataError
from psytrial.stats.safety import AeCount, SafetyResult, analyse_adverse_events

N = {"high": 35, "low": 35}
ROWS = [
    # participant, arm, term, serious, severity, related, outcome, onset
    ("H01", "high", "headache", "no", "mild", "possible", "recovered", "2002-01-10"),
    ("H01", "high", "nausea", "no", "moderate", "probable", "recovered", "2002-01-10"),
    ("H01", "high", "headache", "no", "mild", "possible", "recovered", "2002-02-01"),
    ("H02", "high", "dissociation", "yes", "severe", "definite", "recovered", "2002-01-15"),
    ("H03", "high", "anxiety", "no", "mild", "not_related", "recovering", "2002-03-01"),
    ("L01", "low", "headache", "no", "mild", "unlikely", "recovered", "2002-01-12"),
    ("L02", "low", "overdose", "yes", "severe", "not_related", "fatal", "2002-06-30"),
    ("L02", "low", "pneumonia", "yes", "moderate", "not_related", "recovered", "2002-05-02"),
]
COLUMNS = ["participant_id", "arm", "term", "serious", "severity", "related", "outcome",
           "onset_date"]  # fmt: skip


@pytest.fixture
def events() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=COLUMNS)


def _pairs(count: AeCount) -> tuple[tuple[int, int], tuple[int, int]]:
    """(participants, events) in each arm."""
    high, low = count.arms
    return (high.participants, high.events), (low.participants, low.events)


def _table(counts: tuple[AeCount, ...]) -> dict[str, object]:
    return {c.label: _pairs(c) for c in counts}


def test_it_counts_participants_and_events_by_arm(events: pd.DataFrame) -> None:
    res = analyse_adverse_events(events, N)
    assert res.arms == ("high", "low") and res.n == (35, 35)
    assert _pairs(res.any_event) == ((3, 5), (2, 3))
    assert _pairs(res.any_serious) == ((1, 1), (1, 2))
    assert _pairs(res.any_related) == ((2, 4), (0, 0))  # possible, probable, definite
    assert res.any_event.arms[0].percent == pytest.approx(100 * 3 / 35)
    assert res.any_related.arms[1].percent == 0.0


def test_it_counts_by_severity_and_worst_severity(events: pd.DataFrame) -> None:
    res = analyse_adverse_events(events, N)
    assert _table(res.by_severity) == {
        "mild": ((2, 3), (1, 1)),
        "moderate": ((1, 1), (1, 1)),
        "severe": ((1, 1), (1, 1)),
    }
    # H01 moderate, H02 severe, H03 mild; L01 mild, L02 severe.
    assert _table(res.by_worst_severity) == {
        "mild": ((1, 1), (1, 1)),
        "moderate": ((1, 1), (0, 0)),
        "severe": ((1, 1), (1, 1)),
    }


def test_it_counts_by_relatedness_in_causality_order(events: pd.DataFrame) -> None:
    res = analyse_adverse_events(events, N)
    assert list(_table(res.by_relatedness).items()) == [
        ("not_related", ((1, 1), (1, 2))),
        ("unlikely", ((0, 0), (1, 1))),
        ("possible", ((1, 2), (0, 0))),
        ("probable", ((1, 1), (0, 0))),
        ("definite", ((1, 1), (0, 0))),
    ]


def test_it_lists_serious_events_by_onset(events: pd.DataFrame) -> None:
    listing = analyse_adverse_events(events, N).serious_listing
    got = [(e.participant_id, e.term, e.onset_date, e.outcome) for e in listing]
    assert got == [
        ("H02", "dissociation", "2002-01-15", "recovered"),
        ("L02", "pneumonia", "2002-05-02", "recovered"),
        ("L02", "overdose", "2002-06-30", "fatal"),
    ]
    assert listing[0].arm == "high" and listing[0].severity == "severe"


def test_it_accepts_booleans_and_dates(events: pd.DataFrame) -> None:
    typed = events.assign(
        serious=events["serious"] == "yes",
        related=events["related"].isin(["possible", "probable", "definite"]),
        onset_date=[dt.date.fromisoformat(d) for d in events["onset_date"]],
    )
    res = analyse_adverse_events(typed, N)
    assert _pairs(res.any_serious) == ((1, 1), (1, 2))
    assert _pairs(res.any_related) == ((2, 4), (0, 0))
    assert [c.label for c in res.by_relatedness] == ["not_related", "related"]
    assert res.serious_listing[2].onset_date == "2002-06-30"


def test_it_reports_zeros_without_events() -> None:
    res: SafetyResult = analyse_adverse_events(pd.DataFrame(columns=COLUMNS), N)
    assert _pairs(res.any_event) == ((0, 0), (0, 0))
    assert res.by_severity == () and res.serious_listing == ()


def test_it_refuses_more_participants_with_events_than_the_arm_has(events: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="expected at most 2 participants with events in arm"):
        analyse_adverse_events(events, {"high": 2, "low": 35})


def test_it_refuses_a_missing_denominator(events: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="expected a safety population size for arm 'low'"):
        analyse_adverse_events(events, {"high": 35}, arms=("high", "low"))


def test_it_refuses_an_unreadable_serious_flag(events: pd.DataFrame) -> None:
    bad = events.copy()
    bad.loc[0, "serious"] = "maybe"
    with pytest.raises(DataError, match="expected yes or no in column 'serious', got 'maybe'"):
        analyse_adverse_events(bad, N)
