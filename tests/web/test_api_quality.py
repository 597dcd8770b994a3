"""The data-quality API for every role and the outsider: queries (paginated, filtered), form
records with signatures, signing, form and database lock; one error shape; the schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.enrolment.actions import enter_form
from psytrial.web.quality.actions import close_query, raise_query
from psytrial.web.quality.models import Query, Signature
from psytrial.web.trial.models import Participant, Study
from tests.web.personas import PASSWORD, Personas
from tests.web.test_enrolment_support import fast_passwords, ready, token_of  # noqa: F401
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
ALL = [*Role, None]


class Api:
    def __init__(self, people: Personas, role: Role | None) -> None:
        user = people.outsider if role is None else people[role]
        self.headers = token_of(user)
        self.client = Client()
        self.base = f"/api/quality/{people.study.code}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(self.base + path, params, **self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            self.base + path, json.dumps(body), content_type="application/json", **self.headers
        )


@pytest.fixture
def p(people: Personas) -> Participant:
    participant = ready(people)
    enter_form(people[Role.PSYCHOTHERAPIST], participant, "hrs", "session", hrs_answers())
    return participant


def _query(
    people: Personas, p: Participant, instrument: str = "baseline", field: str = "age"
) -> Query:
    visit = "baseline" if instrument == "baseline" else "session"
    return raise_query(people[DM], record_of(p, instrument, visit), field, "please check")


def test_it_needs_a_token(people: Personas) -> None:
    response = Client().get(f"/api/quality/{people.study.code}/queries")
    assert response.status_code == 401


def test_the_whole_lifecycle_through_the_api(people: Personas, p: Participant) -> None:
    dm, inv = Api(people, DM), Api(people, Role.INVESTIGATOR)
    record = record_of(p, "baseline", "baseline")
    raised = dm.post("/queries", {"record": record.pk, "field_id": "age", "text": "35?"})
    assert raised.status_code == 201
    body = raised.json()
    assert (body["status"], body["form"], body["field_id"], body["participant"]) == (
        "open",
        "baseline/baseline/1",
        "age",
        p.code,
    )
    qid = body["id"]
    assert inv.post(f"/queries/{qid}/answer", {"text": "yes"}).json()["status"] == "answered"
    assert dm.post(f"/queries/{qid}/close", {}).json()["status"] == "closed"
    reopened = dm.post(f"/queries/{qid}/reopen", {"text": "again"}).json()
    assert [e["kind"] for e in reopened["events"]] == ["raised", "answered", "closed", "reopened"]


@pytest.mark.parametrize("role", ALL)
def test_reading_queries_for_every_role(
    people: Personas, p: Participant, role: Role | None
) -> None:
    plain, hidden = _query(people, p), _query(people, p, "hrs", "som_01")
    api = Api(people, role)
    listing = api.get("/queries")
    if role not in READERS:
        assert listing.status_code == 403 and set(listing.json()) == {"detail", "field_errors"}
        assert api.get(f"/queries/{plain.pk}").status_code == 403
        return
    ids = [q["id"] for q in listing.json()["items"]]
    if role == Role.OUTCOME_RATER:
        assert ids == [plain.pk]
        assert api.get(f"/queries/{hidden.pk}").status_code == 403
    else:
        assert sorted(ids) == sorted([plain.pk, hidden.pk])
        assert api.get(f"/queries/{hidden.pk}").status_code == 200


@pytest.mark.parametrize("role", ALL)
def test_writing_queries_for_every_role(
    people: Personas, p: Participant, role: Role | None
) -> None:
    api = Api(people, role)
    record = record_of(p, "baseline", "baseline")
    raised = api.post("/queries", {"record": record.pk, "field_id": "age", "text": "?"})
    assert raised.status_code == (201 if role == DM else 403)
    query = _query(people, p)
    answered = api.post(f"/queries/{query.pk}/answer", {"text": "ok"})
    assert answered.status_code == (200 if role == Role.INVESTIGATOR else 403)
    closed = api.post(f"/queries/{query.pk}/close", {"text": ""})
    assert closed.status_code == (200 if role == DM else 403)
    if role != DM:
        close_query(people[DM], _query(people, p))
    last = Query.objects.filter(status="closed").order_by("-pk").first()
    assert last is not None
    reopened = api.post(f"/queries/{last.pk}/reopen", {"text": "again"})
    assert reopened.status_code == (200 if role == DM else 403)


def test_lists_are_paginated_with_limit_and_offset(people: Personas, p: Participant) -> None:
    made = [_query(people, p).pk for _ in range(5)]
    api = Api(people, DM)
    page = api.get("/queries", limit=2, offset=1).json()
    assert page["count"] == 5 and [q["id"] for q in page["items"]] == sorted(made)[::-1][1:3]
    assert api.get("/queries", status="closed").json() == {"items": [], "count": 0}
    assert api.get("/queries", participant=p.pk, status="unresolved").json()["count"] == 5
    bad = api.get("/queries", limit=0)
    assert bad.status_code == 400 and "limit" in bad.json()["field_errors"]


def test_errors_have_one_shape(people: Personas, p: Participant) -> None:
    dm = Api(people, DM)
    record = record_of(p, "baseline", "baseline")
    unknown = dm.post("/queries", {"record": record.pk, "field_id": "height", "text": "?"})
    assert unknown.status_code == 400
    assert "expected a field of baseline" in unknown.json()["field_errors"]["field_id"][0]
    missing = dm.post("/queries", {"record": record.pk, "field_id": "age"})
    assert missing.status_code == 400 and "text" in missing.json()["field_errors"]
    wrong_type = dm.post("/queries", {"record": "first", "field_id": "age", "text": "?"})
    assert wrong_type.status_code == 400 and "record" in wrong_type.json()["field_errors"]
    query = _query(people, p)
    twice = dm.post(f"/queries/{query.pk}/reopen", {"text": "x"})
    assert twice.status_code == 409 and twice.json()["detail"].startswith(
        "expected a query that is closed"
    )
    nowhere = Client().get("/api/quality/nostudy/queries", **dm.headers)
    assert nowhere.status_code == 404 and set(nowhere.json()) == {"detail", "field_errors"}
    assert dm.get("/queries/999999").status_code == 403
    assert Query.objects.count() == 1


@pytest.mark.parametrize("role", ALL)
def test_records_list_with_signature_and_unresolved_queries(
    people: Personas, p: Participant, role: Role | None
) -> None:
    _query(people, p)
    response = Api(people, role).get("/records", participant=p.pk)
    if role not in READERS:
        assert response.status_code == 403
        return
    rows = {r["instrument"]: r for r in response.json()["items"]}
    assert rows["baseline"]["unresolved_queries"] == 1 and rows["baseline"]["signature"] is None
    assert ("hrs" in rows) == (role != Role.OUTCOME_RATER)


@pytest.mark.parametrize("role", ALL)
def test_signing_through_the_api(people: Personas, p: Participant, role: Role | None) -> None:
    api = Api(people, role)
    record = record_of(p, "baseline", "baseline")
    response = api.post(f"/records/{record.pk}/sign", {"password": PASSWORD})
    if role == Role.INVESTIGATOR:
        assert response.status_code == 200
        signature = response.json()["signature"]
        assert (signature["version"], signature["signed_by"]) == (1, people[role].get_username())
    else:
        assert response.status_code == 403 and not Signature.objects.exists()


def test_a_wrong_password_is_a_field_error(people: Personas, p: Participant) -> None:
    record = record_of(p, "baseline", "baseline")
    response = Api(people, Role.INVESTIGATOR).post(
        f"/records/{record.pk}/sign", {"password": "nope nope 12"}
    )
    assert response.status_code == 400
    assert response.json()["field_errors"] == {
        "password": [
            "expected your own password to sign, got a wrong one; the attempt was recorded"
        ]
    }
    assert "nope nope 12" not in response.content.decode()


@pytest.mark.parametrize("role", ALL)
def test_locking_a_form_and_the_database_through_the_api(
    people: Personas, p: Participant, role: Role | None
) -> None:
    api = Api(people, role)
    record = record_of(p, "baseline", "baseline")
    response = api.post(f"/records/{record.pk}/lock", {"reason": "clean"})
    assert response.status_code == (200 if role == DM else 403)
    state = api.get("/lock")
    assert state.status_code == (403 if role is None else 200)
    locked = api.post("/lock", {"reason": "final"})
    assert locked.status_code == (200 if role == DM else 403)
    assert Study.objects.get(pk=people.study.pk).is_locked == (role == DM)


def test_the_database_lock_names_the_open_queries(people: Personas, p: Participant) -> None:
    _query(people, p)
    _query(people, p, "hrs", "som_01")
    api = Api(people, DM)
    assert api.get("/lock").json() == {"locked": False, "locked_at": None, "unresolved_queries": 2}
    refused = api.post("/lock", {"reason": "final"})
    assert refused.status_code == 409 and "got 2 open or answered" in refused.json()["detail"]
    rater = Api(people, Role.OUTCOME_RATER).get("/lock").json()
    assert rater["unresolved_queries"] == 1  # the HRS query is not even counted for the rater
    no_reason = api.post("/lock", {})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["field_errors"]


def test_the_schema_documents_every_endpoint(people: Personas) -> None:
    schema = Client().get("/api/openapi.json").json()
    paths = set(schema["paths"])
    for path in (
        "/api/quality/{code}/queries",
        "/api/quality/{code}/queries/{query_id}/answer",
        "/api/quality/{code}/records/{record_id}/sign",
        "/api/quality/{code}/lock",
        "/api/exports/{code}/analysis",
        "/api/exports/{code}/instruments/{instrument_id}",
    ):
        assert path in paths, path
    answers = schema["paths"]["/api/quality/{code}/queries"]["get"]["responses"]
    assert {"200", "400", "403", "404", "409"} <= set(answers)
