"""Enrolment pages for every role and the outsider: the participant list, screening and the
participant page (status, failed criteria, forms by visit, the randomize button)."""

from __future__ import annotations

import pytest

from psytrial.core.roles import Role
from psytrial.web.enrolment.actions import record_eligibility
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Participant
from tests.web.personas import PASSWORD, Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    ELIGIBLE,
    client_of,
    fast_passwords,
    publish,
    ready,
    screened,
    site_of,
)

pytestmark = pytest.mark.django_db

VIEWERS = {
    Role.INVESTIGATOR,
    Role.PSYCHOTHERAPIST,
    Role.SESSION_CLINICIAN,
    Role.OUTCOME_RATER,
    Role.PHARMACIST,
    Role.DATA_MANAGER,
    Role.MONITOR,
    Role.DSMB_MEMBER,
}


@pytest.mark.parametrize("role", list(Role))
def test_the_participant_list_and_page_by_role(people: Personas, role: Role) -> None:
    p = screened(people)
    client = client_of(people[role])
    listing = client.get("/s/kpt2002/participants/")
    page = client.get(f"/s/kpt2002/participants/{p.pk}/")
    if role in VIEWERS:
        assert listing.status_code == 200 and page.status_code == 200
        assert "SPB-0001" in listing.content.decode()
        assert "Participant SPB-0001" in page.content.decode()
    else:
        assert listing.status_code == 403 and page.status_code == 403


def test_the_outsider_and_anonymous_see_no_participant(people: Personas) -> None:
    p = screened(people)
    outsider = client_of(people.outsider)
    for url in (
        "/s/kpt2002/participants/",
        f"/s/kpt2002/participants/{p.pk}/",
        "/s/kpt2002/screening/",
    ):
        assert outsider.get(url).status_code == 403
        assert outsider.post(url).status_code == 403
    from django.test import Client

    anonymous = Client().get("/s/kpt2002/participants/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.parametrize("role", list(Role))
def test_only_an_investigator_screens_from_the_page(people: Personas, role: Role) -> None:
    client = client_of(people[role])
    response = client.post("/s/kpt2002/screening/", {"site": "spb"})
    if role == Role.INVESTIGATOR:
        created = Participant.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/s/kpt2002/participants/{created.pk}/"
        log = client.get("/s/kpt2002/screening/").content.decode()
        assert "SPB-0001" in log and "not entered" in log
    else:
        assert response.status_code == 403
        assert client.get("/s/kpt2002/screening/").status_code == 403
        assert not Participant.objects.exists()


def test_the_site_list_is_scoped_to_the_users_sites(people: Personas) -> None:
    study = people.study
    other = study.sites.create(code="msk", name="Moscow")
    screened(people)
    from psytrial.web.enrolment.actions import screen

    moscow = screen(people[Role.INVESTIGATOR], study, other)
    local = create_user("msk_monitor", PASSWORD)
    grant_role(local, study, Role.MONITOR, other)
    client = client_of(local)
    body = client.get("/s/kpt2002/participants/").content.decode()
    assert "MSK-0001" in body and "SPB-0001" not in body
    spb = Participant.objects.get(code="SPB-0001")
    assert client.get(f"/s/kpt2002/participants/{spb.pk}/").status_code == 403
    assert client.get(f"/s/kpt2002/participants/{moscow.pk}/").status_code == 200


def test_the_participant_page_names_the_failed_criteria(people: Personas) -> None:
    p = screened(people)
    record_eligibility(people[Role.INVESTIGATOR], p, "screening", ELIGIBLE | {"psychosis": "true"})
    body = client_of(people[Role.MONITOR]).get(f"/s/kpt2002/participants/{p.pk}/").content
    text = body.decode()
    assert "Not eligible. Failed criteria:" in text
    assert "<strong>psychosis</strong> (exclusion)" in text
    assert "ineligible" in text


def test_the_randomize_button_shows_only_when_ready_and_to_investigators(people: Personas) -> None:
    p = screened(people)
    url = f"/s/kpt2002/participants/{p.pk}/"
    inv = client_of(people[Role.INVESTIGATOR])
    body = inv.get(url).content.decode()
    assert "Randomize SPB-0001" not in body and "consent not recorded yet" in body
    q = ready(people)
    publish(people)
    assert f"Randomize {q.code}" in inv.get(f"/s/kpt2002/participants/{q.pk}/").content.decode()
    monitor = client_of(people[Role.MONITOR])
    assert "Randomize" not in monitor.get(f"/s/kpt2002/participants/{q.pk}/").content.decode()


def test_the_participant_page_lists_the_forms_the_viewer_may_see(people: Personas) -> None:
    p = screened(people)
    url = f"/s/kpt2002/participants/{p.pk}/"
    rater = client_of(people[Role.OUTCOME_RATER]).get(url).content.decode()
    therapist = client_of(people[Role.PSYCHOTHERAPIST]).get(url).content.decode()
    assert "Hallucinogen Rating Scale" not in rater and "vital signs" not in rater
    assert "Blinding guess (rater)" in rater and "Blinding guess (therapist)" not in rater
    assert "Enter Craving for heroin" in rater
    assert "Enter Hallucinogen Rating Scale" in therapist
    assert "Enter Blinding guess (participant)" in therapist
    assert "View Blinding guess (rater)" in therapist
    assert "Follow-up month 24" in therapist
