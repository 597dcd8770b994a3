"""Entries made on the generic form page get the visit-aware checks too.

The forms app's page and API save through `visits.actions.enter_visit_form`, so a vital sign
out of limits alerts the investigators whichever page it was entered on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.models import Notification, Participant
from tests.web.personas import Personas
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


@pytest.fixture
def dosed(people: Personas, sim_clock: SimClock) -> Participant:
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    sim_clock.set(datetime(2025, 3, 11, 10, 0, tzinfo=UTC))
    return dose(people, p)


@pytest.mark.django_db
def test_it_alerts_on_a_vital_sign_entered_on_the_generic_form_page(
    dosed: Participant, people: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("forms:entry", args=[people.study.code, dosed.pk, "vitals", "session", 1])
    reading = {key: str(value) for key, value in {**NORMAL_VITALS, "systolic_bp": 195}.items()}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(people[Role.SESSION_CLINICIAN]).post(
            url, {**reading, "expected_version": "0"})
    assert response.status_code in (200, 302)
    assert AuditEntry.objects.filter(action__icontains="alert").exists()
    texts = list(Notification.objects.values_list("text", flat=True))
    assert any("195 mmHg is above the alert limit of 180 mmHg" in t for t in texts), texts


@pytest.mark.django_db
def test_a_withdrawal_form_on_the_generic_page_withdraws_the_participant(
    dosed: Participant, people: Personas
) -> None:
    url = reverse("forms:entry", args=[people.study.code, dosed.pk, "withdrawal", "-", 1])
    response = client_of(people[Role.INVESTIGATOR]).post(url, {
        "kind": "withdrew", "date": "2025-03-12", "reason": "moved away",
        "expected_version": "0"})
    assert response.status_code in (200, 302)
    dosed.refresh_from_db()
    assert dosed.status == "withdrawn"
    assert AuditEntry.objects.filter(action="participant.withdrew").exists()


@pytest.mark.django_db
def test_screening_after_the_lock_shows_the_refusal(
    people: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    from psytrial.web.enrolment import views
    from psytrial.web.forms.errors import FormLocked

    def locked(*args: object, **kwargs: object) -> None:
        raise FormLocked({"__all__": ["expected an unlocked study, but it is locked"]})

    monkeypatch.setattr(views, "screen", locked)
    url = reverse("enrolment:screening", args=[people.study.code])
    response = client_of(people[Role.INVESTIGATOR]).post(url, {"site": "spb"}, follow=True)
    assert response.status_code == 200
    assert b"expected an unlocked study" in response.content


def test_a_refusal_that_escapes_a_view_is_a_409_with_its_message() -> None:
    from django.test import RequestFactory

    from psytrial.core.dosing import SealedDosingError
    from psytrial.core.status import transition
    from psytrial.web.middleware import RefusalMiddleware

    middleware = RefusalMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    request = RequestFactory().post("/")
    with pytest.raises(Exception) as caught:
        transition("screened", "dose_administered")
    illegal = caught.value
    response = middleware.process_exception(request, illegal)
    assert response is not None and response.status_code == 409
    assert str(illegal).encode() in response.content
    sealed = middleware.process_exception(request, SealedDosingError("0.2 mg/kg gives 8.5 mg"))
    assert sealed is not None and sealed.status_code == 409
    assert b"mg" not in sealed.content.replace(b"pharmacist", b"")
    assert middleware.process_exception(request, ValueError("a bug")) is None
