"""Marking a visit missed with a reason: who may, when, the audit entry, the overdue lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.audit.models import AuditEntry
from psytrial.web.enrolment.actions import screen
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Site
from psytrial.web.visits.actions import mark_missed
from psytrial.web.visits.models import MissedVisit
from psytrial.web.visits.schedule import participant_schedule
from psytrial.web.visits.worklist import overdue_by_site, worklist
from tests.web.personas import PASSWORD, Personas
from tests.web.test_visits_support import (
    SimClock,
    complete_integration1,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    ready,
    sim_clock_fixture,  # noqa: F401  (fixture)
)

GIVEN = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
M01_LATE = datetime(2025, 4, 12, 9, 0, tzinfo=UTC)  # m01: window 04-03..04-17, target 04-10


@pytest.fixture
def dosed(people: Personas, sim_clock: SimClock):  # type: ignore[no-untyped-def]
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    sim_clock.set(GIVEN)
    return dose(people, p)


def _row(p, visit_id):  # type: ignore[no-untyped-def]
    return next(r for r in participant_schedule(p, clock.today()) if r.id == visit_id)


@pytest.mark.django_db
def test_it_lets_the_outcome_rater_mark_a_follow_up_missed_with_an_audited_reason(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    sim_clock.set(M01_LATE)
    assert _row(dosed, "m01").overdue
    missed = mark_missed(people[Role.OUTCOME_RATER], dosed, "m01", "  no answer at\n3 numbers ")
    assert missed.reason == "no answer at 3 numbers"
    row = _row(dosed, "m01")
    assert (row.status, row.overdue, row.state.value) == ("missed (marked)", False, "late")
    entry = AuditEntry.objects.get(action="visit.missed")
    assert (entry.actor, entry.role, entry.object_id) == (
        people[Role.OUTCOME_RATER].get_username(),
        "outcome_rater",
        f"{dosed.code}/m01",
    )
    assert entry.old == {"state": "late"} and entry.reason == "no answer at 3 numbers"


@pytest.mark.parametrize(
    "role", [r for r in Role if r not in (Role.INVESTIGATOR, Role.OUTCOME_RATER)]
)
@pytest.mark.django_db
def test_it_refuses_other_roles_marking_a_follow_up_missed(
    dosed, people: Personas, sim_clock: SimClock, role: Role
) -> None:  # type: ignore[no-untyped-def]
    sim_clock.set(M01_LATE)
    with pytest.raises(ActionDenied):
        mark_missed(people[role], dosed, "m01", "reason")
    with pytest.raises(ActionDenied):
        mark_missed(people.outsider, dosed, "m01", "reason")
    assert not MissedVisit.objects.exists()


@pytest.mark.django_db
def test_it_refuses_the_outcome_rater_marking_the_drug_session_missed(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ActionDenied, match="session_clinician"):
        mark_missed(people[Role.OUTCOME_RATER], dosed, "session", "reason")


@pytest.mark.django_db
def test_it_refuses_marking_before_the_window_opens_once_done_without_reason_or_twice(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    inv = people[Role.INVESTIGATOR]
    with pytest.raises(ActionRefused, match="got one scheduled"):
        mark_missed(inv, dosed, "m01", "too early")
    sim_clock.set(datetime(2025, 3, 12, 10, tzinfo=UTC))
    complete_integration1(people, dosed)
    with pytest.raises(ActionRefused, match="got one done"):
        mark_missed(inv, dosed, "integration1", "done already")
    sim_clock.set(M01_LATE)
    with pytest.raises(ActionRefused, match="reason: expected why"):
        mark_missed(inv, dosed, "m01", "  ")
    mark_missed(inv, dosed, "m01", "unreachable")
    with pytest.raises(ActionRefused, match=r"missed \(marked\)"):
        mark_missed(inv, dosed, "m01", "again")
    with pytest.raises(ActionRefused, match="expected one of"):
        mark_missed(inv, dosed, "m99", "no such visit")
    assert MissedVisit.objects.count() == 1
    assert AuditEntry.objects.filter(action="visit.missed").count() == 1


@pytest.mark.django_db
def test_it_lists_overdue_visits_per_site_for_the_users_sites_only(
    people: Personas, sim_clock: SimClock
) -> None:
    study = people.study
    spb = study.sites.get(code="spb")
    msk = Site.objects.create(study=study, code="msk", name="Moscow")
    inv_msk = create_user("inv_msk", PASSWORD)
    grant_role(inv_msk, study, Role.INVESTIGATOR, msk)
    rater_spb = create_user("rater_spb", PASSWORD)
    grant_role(rater_spb, study, Role.OUTCOME_RATER, spb)
    here = screen(people[Role.INVESTIGATOR], study, spb)
    there = screen(inv_msk, study, msk)
    sim_clock.advance(days=12)  # 03-15: screening (03-03) and baseline (closed 03-10) missed
    everywhere = dict(overdue_by_site(people[Role.INVESTIGATOR], study))
    assert {
        site: [(i.participant.code, i.row.id) for i in items] for site, items in everywhere.items()
    } == {
        "msk": [(there.code, "screening"), (there.code, "baseline")],
        "spb": [(here.code, "screening"), (here.code, "baseline")],
    }
    assert list(dict(overdue_by_site(rater_spb, study))) == ["spb"]
    assert list(dict(overdue_by_site(inv_msk, study))) == ["msk"]
    assert {i.participant.code for i in worklist(rater_spb, study).overdue} == {here.code}


@pytest.mark.django_db
def test_nothing_changes_once_the_database_is_locked(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.forms.errors import FormLocked
    from psytrial.web.trial.models import Study
    from psytrial.web.visits.actions import enter_visit_form, withdraw
    from tests.web.test_visits_support import NORMAL_VITALS, client_of

    sim_clock.set(M01_LATE)
    Study.objects.filter(pk=people.study.pk).update(locked_at=M01_LATE)
    dosed.study.refresh_from_db()
    inv = people[Role.INVESTIGATOR]
    locked = "expected an open database, got one locked on 2025-04-12"
    with pytest.raises(FormLocked, match=locked):
        mark_missed(inv, dosed, "m01", "unreachable")
    with pytest.raises(FormLocked, match=locked):
        withdraw(inv, dosed, date=M01_LATE.date(), reason="x")
    with pytest.raises(FormLocked, match=locked):
        enter_visit_form(people[Role.SESSION_CLINICIAN], dosed, "vitals", "session", NORMAL_VITALS)
    url = f"/s/{people.study.code}/participants/{dosed.pk}/"
    page = client_of(inv).post(url + "visits/m01/missed/", {"reason": "x"}, follow=True)
    assert locked in page.content.decode()
    assert "Mark m01 missed" not in client_of(inv).get(url + "timeline/").content.decode()
    dosed.refresh_from_db()
    assert dosed.status == "dosed" and not MissedVisit.objects.exists()
