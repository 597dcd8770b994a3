"""Serious adverse events: the expedited-report clock (24 h by default, a setting), the notice
to investigators and DSMB members on commit, and marking the event reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.models import Notification
from psytrial.web.visits.actions import enter_visit_form, mark_sae_reported
from psytrial.web.visits.adverse import report_deadline, serious_events
from psytrial.web.visits.dashboard import dashboard
from psytrial.web.visits.models import ExpeditedReport
from psytrial.web.visits.timeline import timeline
from tests.web.personas import Personas
from tests.web.test_visits_support import (
    SimClock,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    ready,
    sim_clock_fixture,  # noqa: F401  (fixture)
)

GIVEN = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
AE = {
    "term": "Hypertensive crisis",
    "onset_date": "2025-03-11",
    "serious": "true",
    "severity": "severe",
    "related": "possible",
    "outcome": "recovering",
}


@pytest.fixture
def dosed(people: Personas, sim_clock: SimClock):  # type: ignore[no-untyped-def]
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    sim_clock.set(GIVEN)
    return dose(people, p)


def _report(people: Personas, p, data=AE, **kw):  # type: ignore[no-untyped-def]
    return enter_visit_form(people[Role.SESSION_CLINICIAN], p, "adverse_event", "", data, **kw)


@pytest.mark.django_db
def test_it_starts_a_24_hour_clock_when_a_serious_event_is_saved(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    assert report_deadline() == timedelta(hours=24)
    sim_clock.set(GIVEN + timedelta(hours=2))
    _report(people, dosed)
    (event,) = serious_events([dosed])
    assert event.serious_since == GIVEN + timedelta(hours=2)
    assert event.due_at == GIVEN + timedelta(hours=26)
    assert event.clock(GIVEN + timedelta(hours=3)) == "due in 23 h 0 min"
    assert not event.overdue(GIVEN + timedelta(hours=26))  # at the deadline: still in time
    assert event.overdue(GIVEN + timedelta(hours=26, seconds=1))
    assert event.clock(GIVEN + timedelta(hours=30)) == "overdue by 4 h 0 min"


@pytest.mark.django_db
def test_it_takes_the_deadline_from_the_setting(
    dosed, people: Personas, settings, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    settings.PSYTRIAL_SAE_REPORT_HOURS = 7 * 24
    _report(people, dosed)
    assert serious_events([dosed])[0].due_at == GIVEN + timedelta(days=7)
    settings.PSYTRIAL_SAE_REPORT_HOURS = 0
    with pytest.raises(Exception, match="PSYTRIAL_SAE_REPORT_HOURS: expected a whole number"):
        report_deadline()


@pytest.mark.django_db
def test_it_starts_no_clock_for_a_non_serious_event_until_it_becomes_serious(
    dosed, people: Personas, sim_clock: SimClock, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        record = _report(people, dosed, {**AE, "serious": "false"})
    assert serious_events([dosed]) == [] and not Notification.objects.exists()
    sim_clock.advance(hours=5)
    with django_capture_on_commit_callbacks(execute=True):
        _report(
            people,
            dosed,
            AE,
            reason="hospitalised",
            occurrence=record.occurrence,
            expected_version=1,
        )
    (event,) = serious_events([dosed])
    assert event.serious_since == GIVEN + timedelta(hours=5)
    assert Notification.objects.count() == 2  # the investigator and the DSMB member


@pytest.mark.django_db
def test_it_notifies_investigators_and_the_dsmb_on_commit_without_arm_or_term(
    dosed, people: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _report(people, dosed)
    assert len(callbacks) == 1
    notes = Notification.objects.select_related("user").order_by("user__username")
    assert [n.user for n in notes] == [people[Role.DSMB_MEMBER], people[Role.INVESTIGATOR]]
    text = notes[0].text
    assert text == (
        f"Serious adverse event reported for {dosed.code} (site spb): the expedited report "
        "is due by 2025-03-12 10:00 UTC."
    )
    for word in ("high", "low", "Hypertensive", "Ketamine", "mg"):
        assert word not in text


@pytest.mark.django_db
def test_it_shows_the_clock_on_the_participant_page_and_dashboard_until_reported(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    inv = people[Role.INVESTIGATOR]
    record = _report(people, dosed)
    sim_clock.advance(hours=25)
    assert "serious adverse event report overdue" in timeline(inv, people.study, dosed.pk).flags
    board = dashboard(people[Role.MONITOR], people.study)
    assert (len(board.serious), board.serious_unreported, board.serious_overdue) == (1, 1, 1)
    report = mark_sae_reported(inv, people.study, record.pk, "CIOMS-2025-001")
    assert report.reference == "CIOMS-2025-001"
    board = dashboard(people[Role.MONITOR], people.study)
    assert (len(board.serious), board.serious_unreported, board.serious_overdue) == (1, 0, 0)
    assert not any("serious" in f for f in timeline(inv, people.study, dosed.pk).flags)
    entry = AuditEntry.objects.get(action="adverse_event.reported")
    assert (entry.actor, entry.new) == (
        inv.get_username(),
        {"reported": True, "reference": "CIOMS-2025-001"},
    )


@pytest.mark.parametrize("role", [r for r in Role if r != Role.INVESTIGATOR])
@pytest.mark.django_db
def test_only_an_investigator_marks_a_serious_event_reported(
    dosed, people: Personas, role: Role
) -> None:  # type: ignore[no-untyped-def]
    record = _report(people, dosed)
    with pytest.raises(ActionDenied):
        mark_sae_reported(people[role], people.study, record.pk)
    with pytest.raises(ActionDenied):
        mark_sae_reported(people.outsider, people.study, record.pk)
    assert not ExpeditedReport.objects.exists()


@pytest.mark.django_db
def test_it_refuses_marking_a_non_serious_or_already_reported_event(
    dosed, people: Personas
) -> None:  # type: ignore[no-untyped-def]
    inv = people[Role.INVESTIGATOR]
    mild = _report(people, dosed, {**AE, "serious": "false"})
    with pytest.raises(ActionRefused, match="expected a serious adverse event"):
        mark_sae_reported(inv, people.study, mild.pk)
    serious = _report(people, dosed)
    mark_sae_reported(inv, people.study, serious.pk)
    with pytest.raises(ActionRefused, match="expected an unreported event"):
        mark_sae_reported(inv, people.study, serious.pk)
    assert ExpeditedReport.objects.count() == 1
    assert AuditEntry.objects.filter(action="adverse_event.reported").count() == 1
