"""The site worklist: visits due now and overdue, participants needing an action of the
user's role (randomization, dose preparation for pharmacists only, administration), open
queries counted as the blind allows, unreported serious adverse events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from psytrial.core.roles import Role
from psytrial.web.pharmacy.actions import check_preparation, prepare_dose
from psytrial.web.quality.actions import raise_query
from psytrial.web.randomization.actions import randomize
from psytrial.web.visits.actions import enter_visit_form
from psytrial.web.visits.worklist import worklist
from tests.web.personas import Personas
from tests.web.test_safety_adverse_events import AE
from tests.web.test_visits_support import (
    FOLLOWUP_CLEAN,
    NORMAL_VITALS,
    SimClock,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    ready,
    second_pharmacist,
    sim_clock_fixture,  # noqa: F401  (fixture)
)


def _actions(people: Personas, role: Role) -> list[tuple[str, str]]:
    return [(a.participant.code, a.what) for a in worklist(people[role], people.study).actions]


@pytest.mark.django_db
def test_it_lists_the_actions_each_role_must_take(people: Personas, sim_clock: SimClock) -> None:
    publish_list(people)
    waiting = ready(people)  # consented: to randomize
    to_prepare = ready(people)
    randomize(people[Role.INVESTIGATOR], to_prepare)
    to_check = ready(people)
    randomize(people[Role.INVESTIGATOR], to_check)
    prepare_dose(people[Role.PHARMACIST], people.study, to_check.pk, None)
    to_give = ready(people)
    randomize(people[Role.INVESTIGATOR], to_give)
    prep = prepare_dose(people[Role.PHARMACIST], people.study, to_give.pk, None)
    check_preparation(second_pharmacist(people), people.study, prep.pk)
    assert _actions(people, Role.INVESTIGATOR) == [(waiting.code, "randomize")]
    assert _actions(people, Role.PHARMACIST) == [
        (to_prepare.code, "dose preparation: awaiting preparation"),
        (to_check.code, "dose preparation: awaiting check"),
    ]
    assert _actions(people, Role.SESSION_CLINICIAN) == [(to_give.code, "administration: kit ready")]
    for role in (
        Role.OUTCOME_RATER,
        Role.PSYCHOTHERAPIST,
        Role.DATA_MANAGER,
        Role.MONITOR,
        Role.DSMB_MEMBER,
    ):
        assert _actions(people, role) == [], role


@pytest.mark.django_db
def test_it_splits_visits_due_now_from_overdue_ones(people: Personas, sim_clock: SimClock) -> None:
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    sim_clock.set(datetime(2025, 3, 11, 10, tzinfo=UTC))
    dose(people, p)
    sim_clock.set(datetime(2025, 4, 8, 10, tzinfo=UTC))  # m01 open (04-03..04-10)
    board = worklist(people[Role.OUTCOME_RATER], people.study)
    assert [i.row.id for i in board.due] == ["m01"]
    # Not done, earliest target first: prep notes never written (targets 03-04, 03-06), the
    # rater's baseline craving and colour test missing (03-05), no session forms (03-08),
    # integration visits closed (03-12, 03-16).
    assert [i.row.id for i in board.overdue] == [
        "prep1",
        "baseline",
        "prep2",
        "session",
        "integration1",
        "integration2",
    ]
    enter_visit_form(people[Role.OUTCOME_RATER], p, "followup", "m01", FOLLOWUP_CLEAN)
    assert [i.row.id for i in worklist(people[Role.MONITOR], people.study).due] == ["m01"]
    sim_clock.set(datetime(2025, 4, 12, 10, tzinfo=UTC))
    assert "m01" in [i.row.id for i in worklist(people[Role.MONITOR], people.study).overdue]


@pytest.mark.django_db
def test_it_counts_open_queries_the_user_may_read_and_lists_unreported_saes(
    people: Personas, sim_clock: SimClock
) -> None:
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    dose(people, p)
    vitals = enter_visit_form(people[Role.SESSION_CLINICIAN], p, "vitals", "session", NORMAL_VITALS)
    follow = enter_visit_form(people[Role.OUTCOME_RATER], p, "followup", "m01", FOLLOWUP_CLEAN)
    assert worklist(people[Role.OUTCOME_RATER], people.study).open_queries == 0
    dm = people[Role.DATA_MANAGER]
    raise_query(dm, follow, "urine", "Was the urine test done on the visit day?")
    raise_query(dm, vitals, "systolic_bp", "Please check the cuff size.")
    assert worklist(people[Role.OUTCOME_RATER], people.study).open_queries == 1  # not vitals
    assert worklist(people[Role.INVESTIGATOR], people.study).open_queries == 2
    enter_visit_form(people[Role.INVESTIGATOR], p, "adverse_event", "", AE)
    assert [e.participant.code for e in worklist(people[Role.MONITOR], people.study).serious] == [
        p.code
    ]
