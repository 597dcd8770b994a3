"""Visit windows and states of one participant on a simulated clock.

Reference values are worked by hand from protocols/kpt2002.yaml (offsets and windows in days)
and the dates the test sets: screened and randomized on Monday 2025-03-03, the drug session
actually given on 2025-03-11 (its target was 2025-03-08).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from psytrial.core.roles import Role
from psytrial.core.visits import VisitState
from psytrial.web import clock
from psytrial.web.randomization.actions import randomize
from psytrial.web.visits.schedule import participant_schedule
from tests.web.personas import Personas
from tests.web.test_visits_support import (
    SimClock,
    complete_integration1,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    ready,
    sim_clock_fixture,  # noqa: F401  (fixture)
)

SESSION_GIVEN = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)


def _rows(p):  # type: ignore[no-untyped-def]
    p.refresh_from_db()
    return {r.id: r for r in participant_schedule(p, clock.today())}


@pytest.fixture
def dosed(people: Personas, sim_clock: SimClock):  # type: ignore[no-untyped-def]
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    sim_clock.set(SESSION_GIVEN)
    return dose(people, p)


@pytest.mark.django_db
def test_it_anchors_windows_on_screening_randomization_and_the_actual_session(
    dosed, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(dosed)
    windows = {
        k: (r.window.opens, r.window.target, r.window.closes)
        for k, r in rows.items()
        if r.window is not None
    }
    assert windows["screening"] == (date(2025, 3, 3),) * 3
    assert windows["baseline"] == (date(2025, 3, 3), date(2025, 3, 5), date(2025, 3, 10))
    assert windows["prep1"] == (date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 7))
    assert windows["session"] == (date(2025, 3, 6), date(2025, 3, 8), date(2025, 3, 13))
    # Integration and follow-up hang off the session as given (03-11), not its target (03-08).
    assert windows["integration1"] == (date(2025, 3, 12), date(2025, 3, 12), date(2025, 3, 14))
    assert windows["integration2"] == (date(2025, 3, 15), date(2025, 3, 16), date(2025, 3, 19))
    assert windows["m01"] == (date(2025, 4, 3), date(2025, 4, 10), date(2025, 4, 17))
    assert windows["m24"][1] == date(2027, 3, 1)  # 720 days after 2025-03-11
    assert len(rows) == 7 + 24


@pytest.mark.django_db
def test_it_leaves_visits_unscheduled_until_their_anchor_is_known(
    people: Personas, sim_clock: SimClock
) -> None:
    p = ready(people)
    rows = _rows(p)
    assert rows["baseline"].window is not None
    assert {rows[v].state for v in ("prep1", "session", "integration1", "m01")} == {
        VisitState.NOT_YET_SCHEDULED
    }
    assert rows["prep1"].status == "not yet scheduled"


@pytest.mark.parametrize(
    ("day", "state", "status"),
    [
        (date(2025, 3, 11), VisitState.SCHEDULED, "scheduled"),
        (date(2025, 3, 12), VisitState.OPEN, "open"),
        (date(2025, 3, 13), VisitState.LATE, "late"),
        (date(2025, 3, 14), VisitState.LATE, "late"),
        (date(2025, 3, 15), VisitState.MISSED, "window closed, not done"),
    ],
)
@pytest.mark.django_db
def test_it_moves_a_visit_through_its_window_day_by_day(
    dosed,
    sim_clock: SimClock,
    day: date,
    state: VisitState,
    status: str,
) -> None:  # type: ignore[no-untyped-def]
    sim_clock.set(datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC))
    row = _rows(dosed)["integration1"]
    assert (row.state, row.status) == (state, status)
    assert row.due_now is (state == VisitState.OPEN)
    assert row.overdue is (state in (VisitState.LATE, VisitState.MISSED))


@pytest.mark.django_db
def test_it_counts_a_visit_done_only_when_every_instrument_and_guesser_is_saved(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    sim_clock.set(datetime(2025, 3, 12, 10, tzinfo=UTC))
    complete_integration1(people, dosed, skip="rater")
    assert _rows(dosed)["integration1"].state == VisitState.OPEN
    from tests.web.test_visits_support import guess

    guess(people, dosed, "integration1", "rater")
    assert _rows(dosed)["integration1"].state == VisitState.DONE
    sim_clock.set(datetime(2025, 6, 1, tzinfo=UTC))  # long after: done stays done
    assert _rows(dosed)["integration1"].status == "done"


@pytest.mark.django_db
def test_it_expects_no_more_visits_once_the_participant_has_left(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.visits.actions import withdraw

    sim_clock.set(datetime(2025, 3, 20, 10, tzinfo=UTC))
    assert _rows(dosed)["integration1"].overdue
    withdraw(people[Role.INVESTIGATOR], dosed, date=date(2025, 3, 20), reason="moved away")
    rows = _rows(dosed)
    assert not rows["integration1"].overdue
    assert rows["integration1"].status == "not expected"
    assert rows["screening"].status == "done"
