"""The data-quality pages for every role and the outsider: lists, threads, a form's quality
page, raising, answering, closing, re-opening, signing, locking a form and the database."""

from __future__ import annotations

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.enrolment.actions import enter_form
from psytrial.web.quality.actions import close_query, raise_query
from psytrial.web.quality.models import Query, Signature
from psytrial.web.trial.models import Participant, Study
from tests.web.personas import PASSWORD, Personas
from tests.web.test_enrolment_support import client_of, fast_passwords, ready  # noqa: F401
from tests.web.test_quality_support import hrs_answers, record_of

pytestmark = pytest.mark.django_db
DM = Role.DATA_MANAGER
READERS = {
    Role.INVESTIGATOR,
    Role.PSYCHOTHERAPIST,
    Role.SESSION_CLINICIAN,
    Role.OUTCOME_RATER,
    Role.PHARMACIST,
    DM,
    Role.MONITOR,
    Role.DSMB_MEMBER,
}
ALL = [*Role, None]  # None: the outsider


def _client(people: Personas, role: Role | None) -> Client:
    return client_of(people.outsider if role is None else people[role])


@pytest.fixture
def p(people: Personas) -> Participant:
    participant = ready(people)
    enter_form(people[Role.PSYCHOTHERAPIST], participant, "hrs", "session", hrs_answers())
    return participant


def _url(people: Personas, rest: str) -> str:
    return f"/s/{people.study.code}/quality/{rest}"


@pytest.mark.parametrize("role", ALL)
def test_the_lists_and_form_pages_open_for_readers_only(
    people: Personas, p: Participant, role: Role | None
) -> None:
    baseline = record_of(p, "baseline", "baseline")
    query = raise_query(people[DM], baseline, "age", "35?")
    client = _client(people, role)
    ok = 200 if role in READERS else 403
    for rest in (
        "queries/",
        f"participants/{p.pk}/",
        f"forms/{baseline.pk}/",
        f"queries/{query.pk}/",
    ):
        assert client.get(_url(people, rest)).status_code == ok, rest


@pytest.mark.parametrize("role", ALL)
def test_an_arm_revealing_form_and_its_queries_stay_hidden_from_the_rater(
    people: Personas, p: Participant, role: Role | None
) -> None:
    hrs = record_of(p, "hrs", "session")
    query = raise_query(people[DM], hrs, "som_01", "blank?")
    client = _client(people, role)
    ok = 200 if role in READERS - {Role.OUTCOME_RATER} else 403
    assert client.get(_url(people, f"forms/{hrs.pk}/")).status_code == ok
    assert client.get(_url(people, f"queries/{query.pk}/")).status_code == ok
    if role in READERS:
        listing = client.get(_url(people, "queries/")).content.decode()
        assert (f"queries/{query.pk}/" in listing) == (role != Role.OUTCOME_RATER)


@pytest.mark.parametrize("role", ALL)
def test_only_a_data_manager_raises_a_query_from_the_page(
    people: Personas, p: Participant, role: Role | None
) -> None:
    baseline = record_of(p, "baseline", "baseline")
    response = _client(people, role).post(
        _url(people, f"forms/{baseline.pk}/queries/"), {"field_id": "age", "text": "35?"}
    )
    if role == DM:
        query = Query.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(
            f"/queries/{query.pk}/"
        )
    else:
        assert response.status_code == 403 and not Query.objects.exists()


def test_a_bad_query_comes_back_as_a_message(people: Personas, p: Participant) -> None:
    baseline = record_of(p, "baseline", "baseline")
    client = _client(people, DM)
    response = client.post(
        _url(people, f"forms/{baseline.pk}/queries/"), {"field_id": "age", "text": ""}, follow=True
    )
    assert "required: expected the question to the site" in response.content.decode()
    assert not Query.objects.exists()


STEPS = {
    "answer": ({Role.INVESTIGATOR}, "open", "answered"),
    "close": ({DM}, "open", "closed"),
    "reopen": ({DM}, "closed", "open"),
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("role", ALL)
def test_each_step_of_a_query_from_its_page(
    people: Personas, p: Participant, role: Role | None, step: str
) -> None:
    allowed, start, end = STEPS[step]
    query = raise_query(people[DM], record_of(p, "baseline", "baseline"), "age", "35?")
    if start == "closed":
        close_query(people[DM], query)
    response = _client(people, role).post(
        _url(people, f"queries/{query.pk}/{step}/"), {"text": "because"}
    )
    status = Query.objects.get(pk=query.pk).status
    if role in allowed:
        assert response.status_code == 302 and status == end
    else:
        assert response.status_code == 403 and status == start


@pytest.mark.parametrize("role", ALL)
def test_only_an_investigator_signs_from_the_page(
    people: Personas, p: Participant, role: Role | None
) -> None:
    baseline = record_of(p, "baseline", "baseline")
    response = _client(people, role).post(
        _url(people, f"forms/{baseline.pk}/sign/"), {"password": PASSWORD}
    )
    if role == Role.INVESTIGATOR:
        assert response.status_code == 302 and Signature.objects.get().version == 1
    else:
        assert response.status_code == 403 and not Signature.objects.exists()


def test_a_wrong_password_on_the_page_is_refused_with_a_message(
    people: Personas, p: Participant
) -> None:
    baseline = record_of(p, "baseline", "baseline")
    response = _client(people, Role.INVESTIGATOR).post(
        _url(people, f"forms/{baseline.pk}/sign/"), {"password": "wrong wrong 1"}, follow=True
    )
    assert "got a wrong one; the attempt was recorded" in response.content.decode()
    assert not Signature.objects.exists()
    assert AuditEntry.objects.filter(action="form.signature_refused").count() == 1


@pytest.mark.parametrize("role", ALL)
def test_only_a_data_manager_locks_a_form_from_the_page(
    people: Personas, p: Participant, role: Role | None
) -> None:
    baseline = record_of(p, "baseline", "baseline")
    response = _client(people, role).post(_url(people, f"forms/{baseline.pk}/lock/"))
    locked = record_of(p, "baseline", "baseline").locked
    assert (response.status_code, locked) == ((302, True) if role == DM else (403, False))


@pytest.mark.parametrize("role", ALL)
def test_only_a_study_wide_data_manager_opens_and_uses_the_lock_page(
    people: Personas, role: Role | None
) -> None:
    client = _client(people, role)
    page = client.get(_url(people, "lock/"))
    response = client.post(_url(people, "lock/"), {"reason": "final"})
    locked = Study.objects.get(pk=people.study.pk).is_locked
    if role == DM:
        assert page.status_code == 200 and response.status_code == 302 and locked
    else:
        assert page.status_code == 403 and response.status_code == 403 and not locked


def test_the_lock_page_names_the_open_queries_and_refuses(people: Personas, p: Participant) -> None:
    raise_query(people[DM], record_of(p, "baseline", "baseline"), "age", "35?")
    client = _client(people, DM)
    assert "1 query is still open or answered" in client.get(_url(people, "lock/")).content.decode()
    response = client.post(_url(people, "lock/"), {"reason": "final"}, follow=True)
    assert "got 1 open or answered" in response.content.decode()
    assert not Study.objects.get(pk=people.study.pk).is_locked


def test_the_study_page_links_by_role(people: Personas) -> None:
    url = f"/s/{people.study.code}/"
    dm = _client(people, DM).get(url).content.decode()
    assert "/quality/queries/" in dm and "/quality/lock/" in dm and "/exports/" in dm
    rater = _client(people, Role.OUTCOME_RATER).get(url).content.decode()
    assert "/quality/queries/" in rater and "/quality/lock/" not in rater
    assert "/exports/" not in rater
