"""Session safety: vital-sign alerts exactly at out-of-limit readings, on the page and as
notifications to the site's investigators on commit, never naming the arm.

The limits are kpt2002's session_safety block: systolic 90-180, diastolic 50-110, heart rate
50-130 (mmHg / bpm), SpO2 at least 92 %. A value equal to a limit is within it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.permissions import ActionDenied
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Notification, Site
from psytrial.web.visits.actions import enter_visit_form
from psytrial.web.visits.safety import alerts_in, safety_view
from tests.web.personas import PASSWORD, Personas
from tests.web.test_visits_support import (
    NORMAL_VITALS,
    SimClock,
    client_of,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    ready,
    sim_clock_fixture,  # noqa: F401  (fixture)
)

GIVEN = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
ARM_WORDS = ("high", "low", "2.0 mg", "0.2 mg", "active placebo", "Ketamine 2", "Ketamine 0")


@pytest.fixture
def dosed(people: Personas, sim_clock: SimClock):  # type: ignore[no-untyped-def]
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    sim_clock.set(GIVEN)
    return dose(people, p)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("systolic_bp", 180, []),
        (
            "systolic_bp",
            181,
            ["Systolic blood pressure 181 mmHg is above the alert limit of 180 mmHg"],
        ),
        ("systolic_bp", 90, []),
        (
            "systolic_bp",
            89,
            ["Systolic blood pressure 89 mmHg is below the alert limit of 90 mmHg"],
        ),
        ("diastolic_bp", 110, []),
        (
            "diastolic_bp",
            111,
            ["Diastolic blood pressure 111 mmHg is above the alert limit of 110 mmHg"],
        ),
        ("heart_rate", 50, []),
        ("heart_rate", 49, ["Heart rate 49 bpm is below the alert limit of 50 bpm"]),
        ("heart_rate", 131, ["Heart rate 131 bpm is above the alert limit of 130 bpm"]),
        ("spo2", 92, []),
        ("spo2", 91, ["Oxygen saturation 91 % is below the alert limit of 92 %"]),
        ("spo2", 100, []),  # no upper limit
    ],
)
@pytest.mark.django_db
def test_it_raises_an_alert_exactly_at_out_of_limit_readings(
    study, field: str, value: int, expected: list[str]
) -> None:  # type: ignore[no-untyped-def]
    reading = {"systolic_bp": 130, "diastolic_bp": 80, "heart_rate": 80, "spo2": 98, field: value}
    assert [a.text for a in alerts_in(study.protocol, reading)] == expected


@pytest.mark.django_db
def test_it_reports_every_out_of_limit_value_of_one_reading(study) -> None:  # type: ignore[no-untyped-def]
    reading = {"systolic_bp": 200, "diastolic_bp": 120, "heart_rate": 140, "spo2": 88}
    assert [(a.field_id, a.side, a.limit) for a in alerts_in(study.protocol, reading)] == [
        ("systolic_bp", "above", 180),
        ("diastolic_bp", "above", 110),
        ("heart_rate", "above", 130),
        ("spo2", "below", 92),
    ]


@pytest.mark.django_db
def test_it_notifies_the_sites_investigators_on_commit_without_the_arm(
    dosed, people: Personas, sim_clock: SimClock, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    study = people.study
    elsewhere = Site.objects.create(study=study, code="msk", name="Moscow")
    inv_msk = create_user("inv_msk", PASSWORD)
    grant_role(inv_msk, study, Role.INVESTIGATOR, elsewhere)
    clinician = people[Role.SESSION_CLINICIAN]
    with django_capture_on_commit_callbacks(execute=True):
        enter_visit_form(clinician, dosed, "vitals", "session", NORMAL_VITALS)
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enter_visit_form(
            clinician,
            dosed,
            "vitals",
            "session",
            {**NORMAL_VITALS, "time": "10:20", "systolic_bp": "185"},
        )
    assert len(callbacks) == 1
    notes = list(Notification.objects.select_related("user"))
    assert [n.user for n in notes] == [people[Role.INVESTIGATOR]]  # not Moscow's, not others
    text = notes[0].text
    assert text == (
        f"Session safety alert for {dosed.code} (site spb), visit session, reading at "
        "10:20:00: Systolic blood pressure 185 mmHg is above the alert limit of 180 mmHg."
    )
    assert not any(word in text for word in ARM_WORDS)
    assert notes[0].url == f"/s/{study.code}/participants/{dosed.pk}/safety/"
    entry = AuditEntry.objects.get(action="session_safety.alert")
    assert entry.new["alerts"] == [
        "Systolic blood pressure 185 mmHg is above the alert limit of 180 mmHg"
    ]


@pytest.mark.django_db
def test_it_does_not_notify_again_for_a_correction_with_the_same_alerts(
    dosed, people: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    clinician = people[Role.SESSION_CLINICIAN]
    high = {**NORMAL_VITALS, "systolic_bp": "185"}
    with django_capture_on_commit_callbacks(execute=True):
        record = enter_visit_form(clinician, dosed, "vitals", "session", high)
        enter_visit_form(
            clinician,
            dosed,
            "vitals",
            "session",
            {**high, "heart_rate": "82"},
            reason="typo in heart rate",
            occurrence=record.occurrence,
            expected_version=1,
        )
    assert Notification.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        enter_visit_form(
            clinician,
            dosed,
            "vitals",
            "session",
            {**high, "spo2": "90"},
            reason="SpO2 re-read",
            occurrence=record.occurrence,
            expected_version=2,
        )
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_it_shows_the_series_in_time_order_with_alerts_and_the_discharge_checklist(
    dosed, people: Personas
) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.enrolment.actions import enter_form

    clinician = people[Role.SESSION_CLINICIAN]
    enter_visit_form(clinician, dosed, "vitals", "session", {**NORMAL_VITALS, "time": "10:30"})
    enter_visit_form(
        clinician, dosed, "vitals", "session", {**NORMAL_VITALS, "time": "10:00", "spo2": "90"}
    )
    enter_form(
        clinician,
        dosed,
        "discharge",
        "session",
        {
            "oriented": "true",
            "walks_unaided": "true",
            "vitals_in_range": "false",
            "minutes_to_discharge": "120",
        },
    )
    view = safety_view(people[Role.INVESTIGATOR], people.study, dosed.pk)
    (session,) = view.sessions
    assert [(r.time, r.occurrence) for r in session.readings] == [("10:00:00", 2), ("10:30:00", 1)]
    assert [a.text for _, a in session.alerts] == [
        "Oxygen saturation 90 % is below the alert limit of 92 %"
    ]
    assert [(i.label, i.ok) for i in session.checklist][:3] == [
        ("Alert and oriented", True),
        ("Walks unaided", True),
        ("Vital signs within limits", False),
    ]
    assert not session.ready_for_discharge
    assert session.new_reading_url is None  # the investigator reads, the clinician enters
    clinician_view = safety_view(clinician, people.study, dosed.pk)
    assert clinician_view.sessions[0].new_reading_url == (
        f"/s/{people.study.code}/participants/{dosed.pk}/visit-forms/vitals/session/3/"
    )


@pytest.mark.django_db
def test_it_shows_the_alert_at_once_on_the_clinicians_and_investigators_pages(
    dosed, people: Personas
) -> None:  # type: ignore[no-untyped-def]
    code = people.study.code
    url = f"/s/{code}/participants/{dosed.pk}/visit-forms/vitals/session/1/"
    form = {**NORMAL_VITALS, "heart_rate": "135", "expected_version": "0"}
    response = client_of(people[Role.SESSION_CLINICIAN]).post(url, form, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/s/{code}/participants/{dosed.pk}/safety/"
    assert "Session safety alert: Heart rate 135 bpm is above the alert limit of 130 bpm." in page
    assert 'id="alerts-session"' in page
    inv_page = client_of(people[Role.INVESTIGATOR]).get(
        f"/s/{code}/participants/{dosed.pk}/safety/"
    )
    assert "Heart rate 135 bpm is above the alert limit of 130 bpm" in inv_page.content.decode()
    timeline = client_of(people[Role.INVESTIGATOR]).get(
        f"/s/{code}/participants/{dosed.pk}/timeline/"
    )
    assert "session safety alert" in timeline.content.decode()


@pytest.mark.django_db
def test_it_keeps_the_outcome_rater_from_vitals_alerts_and_their_flag(
    dosed, people: Personas
) -> None:  # type: ignore[no-untyped-def]
    rater = people[Role.OUTCOME_RATER]
    with pytest.raises(ActionDenied):
        enter_visit_form(rater, dosed, "vitals", "session", NORMAL_VITALS)
    enter_visit_form(
        people[Role.SESSION_CLINICIAN], dosed, "vitals", "session", {**NORMAL_VITALS, "spo2": "85"}
    )
    with pytest.raises(ActionDenied, match="outcome raters never see them"):
        safety_view(rater, people.study, dosed.pk)
    code = people.study.code
    client = client_of(rater)
    assert client.get(f"/s/{code}/participants/{dosed.pk}/safety/").status_code == 403
    page = client.get(f"/s/{code}/participants/{dosed.pk}/timeline/").content.decode()
    assert "safety" not in page.lower()
    assert "vital" not in page.lower()
