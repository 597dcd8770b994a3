"""Visit windows and states, checked at every window edge.

Expected dates are written out by hand from a calendar (including a leap day), not computed
with timedelta, so that an off-by-one in the window arithmetic fails here.
"""

from __future__ import annotations

from datetime import date

import pytest

from psytrial.core.errors import ScheduleError
from psytrial.core.visits import (
    ScheduledVisit,
    VisitSpec,
    VisitState,
    VisitWindow,
    overdue,
    schedule,
    states,
    visit_state,
    window_for,
)

# Month-1 follow-up: 30 days after the drug session, window 7 days before, 14 after.
MONTH_1 = VisitSpec("m1", "Follow-up month 1", "session", 30, 7, 14)
SESSION_DAY = date(2024, 1, 31)
# By hand: 2024-01-31 + 30 days = 2024-03-01 (February 2024 has 29 days).
TARGET = date(2024, 3, 1)
OPENS = date(2024, 2, 23)  # 7 days before 1 March in a leap year
CLOSES = date(2024, 3, 15)


def test_it_computes_the_window_across_a_leap_day() -> None:
    assert window_for(MONTH_1, SESSION_DAY) == VisitWindow(TARGET, OPENS, CLOSES)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 2, 22), VisitState.SCHEDULED),  # the day before the window opens
        (date(2024, 2, 23), VisitState.OPEN),  # opening day
        (date(2024, 2, 29), VisitState.OPEN),  # leap day, inside the window
        (date(2024, 3, 1), VisitState.OPEN),  # target day: still on time
        (date(2024, 3, 2), VisitState.LATE),  # the day after the target
        (date(2024, 3, 15), VisitState.LATE),  # closing day
        (date(2024, 3, 16), VisitState.MISSED),  # the day after the window closes
    ],
)
def test_it_states_a_visit_at_each_window_edge(today: date, expected: VisitState) -> None:
    window = window_for(MONTH_1, SESSION_DAY)
    assert visit_state(window, done=False, today=today) is expected


@pytest.mark.parametrize("today", [date(2024, 1, 1), TARGET, date(2025, 1, 1)])
def test_it_reports_a_done_visit_as_done_on_any_day(today: date) -> None:
    assert visit_state(window_for(MONTH_1, SESSION_DAY), done=True, today=today) is (
        VisitState.DONE
    )


def test_it_goes_straight_from_open_to_missed_with_no_window_after() -> None:
    spec = VisitSpec("hrs", "HRS after the session", "session", 0, 0, 0)
    window = window_for(spec, SESSION_DAY)
    assert window.opens == window.target == window.closes == SESSION_DAY
    assert visit_state(window, False, date(2024, 1, 30)) is VisitState.SCHEDULED
    assert visit_state(window, False, SESSION_DAY) is VisitState.OPEN
    assert visit_state(window, False, date(2024, 2, 1)) is VisitState.MISSED


def test_it_allows_visits_before_their_anchor() -> None:
    spec = VisitSpec("prep", "Preparation", "session", -3, 2, 0)
    window = window_for(spec, SESSION_DAY)
    assert window == VisitWindow(date(2024, 1, 28), date(2024, 1, 26), date(2024, 1, 28))
    assert SESSION_DAY not in window
    assert date(2024, 1, 27) in window
    assert "2024-01-27" not in window


KPT_VISITS = [
    VisitSpec("baseline", "Baseline", "consent", 0, 0, 3),
    VisitSpec("session", "Ketamine session", "session", 0, 0, 0),
    MONTH_1,
    VisitSpec("m3", "Follow-up month 3", "session", 91, 14, 14),
]


def test_it_schedules_visits_from_their_anchors_in_order() -> None:
    visits = schedule({"consent": date(2024, 1, 10), "session": SESSION_DAY}, KPT_VISITS)
    assert [v.id for v in visits] == ["baseline", "session", "m1", "m3"]
    assert visits[0].window == VisitWindow(date(2024, 1, 10), date(2024, 1, 10), date(2024, 1, 13))
    assert visits[2].label == "Follow-up month 1"
    # By hand: 2024-01-31 + 91 days = 2024-05-01 (29 + 31 + 30 days to 30 April, +1).
    assert visits[3].window is not None
    assert visits[3].window.target == date(2024, 5, 1)


def test_it_leaves_visits_unscheduled_while_their_anchor_date_is_unknown() -> None:
    visits = schedule({"consent": date(2024, 1, 10), "session": None}, KPT_VISITS)
    assert visits[0].window is not None
    assert [v.window for v in visits[1:]] == [None, None, None]
    assert visits[2].state(date(2030, 1, 1)) is VisitState.NOT_YET_SCHEDULED
    assert visits[2].state(date(2030, 1, 1), done=True) is VisitState.DONE


def test_it_refuses_an_anchor_the_caller_does_not_know() -> None:
    with pytest.raises(
        ScheduleError,
        match=r"visits\.m1\.anchor: expected one of \['consent', 'sesion'\], got 'session'",
    ):
        schedule({"consent": date(2024, 1, 10), "sesion": SESSION_DAY}, [MONTH_1])


def test_it_refuses_a_repeated_visit_id() -> None:
    with pytest.raises(ScheduleError, match=r"visits\.m1: expected unique visit ids"):
        schedule({"session": SESSION_DAY}, [MONTH_1, MONTH_1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"window_before": -1},
            r"visits\.v\.window_before: expected a number of days >= 0, got -1",
        ),
        ({"window_after": -2}, r"visits\.v\.window_after: expected a number of days >= 0, got -2"),
        ({"offset_days": 1.5}, r"visits\.v\.offset_days: expected a whole number of days, got 1.5"),
        (
            {"offset_days": True},
            r"visits\.v\.offset_days: expected a whole number of days, got True",
        ),
        ({"anchor": ""}, r"visits\.v\.anchor: expected an anchor name, got ''"),
        ({"id": ""}, r"visit\.id: expected a non-empty identifier, got ''"),
    ],
)
def test_it_refuses_a_malformed_visit_spec(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "id": "v",
        "label": "V",
        "anchor": "session",
        "offset_days": 0,
        "window_before": 0,
        "window_after": 0,
    }
    fields.update(kwargs)
    with pytest.raises(ScheduleError, match=message):
        VisitSpec(**fields)  # type: ignore[arg-type]


def test_it_lists_overdue_visits_earliest_target_first() -> None:
    visits = schedule({"consent": date(2024, 1, 10), "session": SESSION_DAY}, KPT_VISITS)
    today = date(2024, 3, 5)  # m1 late; baseline and session missed; m3 not open yet
    assert states(visits, done_ids={"session"}, today=today) == {
        "baseline": VisitState.MISSED,
        "session": VisitState.DONE,
        "m1": VisitState.LATE,
        "m3": VisitState.SCHEDULED,
    }
    assert [v.id for v in overdue(visits, done_ids={"session"}, today=today)] == [
        "baseline",
        "m1",
    ]
    assert overdue(visits, done_ids={"baseline", "session", "m1"}, today=today) == []


def test_it_orders_overdue_visits_with_the_same_target_by_id() -> None:
    specs = [VisitSpec(i, i.upper(), "session", 0, 0, 0) for i in ("b", "a")]
    same_day = [ScheduledVisit(s, window_for(s, SESSION_DAY)) for s in specs]
    assert [v.id for v in overdue(same_day, done_ids=(), today=date(2024, 2, 1))] == ["a", "b"]


def test_it_never_lists_unscheduled_visits_as_overdue() -> None:
    visits = schedule({"session": None}, [MONTH_1])
    assert overdue(visits, done_ids=(), today=date(2099, 1, 1)) == []
