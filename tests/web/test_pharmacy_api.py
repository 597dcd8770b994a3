"""The pharmacy and administration API: same roles and same blind as the pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.pharmacy.actions import check_preparation, prepare_dose
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    MG_VALUE,
    SimClock,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
    prepared,
    randomized_pair,
    second_pharmacist,
    token_of,
)

API = "/api/pharmacy"


@pytest.fixture
def pair(people: Personas, clock_at: SimClock) -> tuple[Participant, Participant]:
    high, low = randomized_pair(people)
    clock_at.advance(minutes=5)
    return high, low


def call(user: object, method: str, url: str, body: dict | None = None) -> tuple[int, object]:
    headers = token_of(user) if user is not None else {}  # type: ignore[arg-type]
    client = Client()
    if method == "get":
        response = client.get(url, **headers)
    else:
        response = client.post(
            url, json.dumps(body or {}), content_type="application/json", **headers
        )
    return response.status_code, response.json() if response.content else None


def endpoints(code: str, p: Participant, prep_id: int) -> list[tuple[str, str, dict | None, Role]]:
    base = f"{API}/{code}"
    return [
        ("get", f"{base}/participants/{p.pk}", None, Role.PHARMACIST),
        ("get", f"{base}/participants/{p.pk}/preview?weight_kg=70", None, Role.PHARMACIST),
        ("post", f"{base}/participants/{p.pk}/preparation", {}, Role.PHARMACIST),
        ("post", f"{base}/preparations/{prep_id}/check", None, Role.PHARMACIST),
        ("get", f"{base}/sessions/{p.pk}", None, Role.SESSION_CLINICIAN),
        (
            "post",
            f"{base}/sessions/{p.pk}/administration",
            {"kit_code": "WRONG", "administered_at": "2024-03-01T09:00:00Z", "volume_ml": "5"},
            Role.SESSION_CLINICIAN,
        ),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*sorted(Role), None])
def test_each_endpoint_answers_its_role_and_refuses_the_rest(
    people: Personas, pair: tuple[Participant, Participant], role: Role | None
) -> None:
    high, low = pair
    other = prepare_dose(second_pharmacist(people), people.study, low.pk, None)
    user = people[role] if role is not None else people.outsider
    for method, url, body, allowed in endpoints(people.study.code, high, other.pk):
        status, payload = call(user, method, url, body)
        if role == allowed:
            assert status in (200, 201, 409), (url, status, payload)
        else:
            assert status == 403, (url, role, status, payload)
            assert not MG_VALUE.search(json.dumps(payload))


@pytest.mark.django_db
def test_it_asks_for_a_token(people: Personas, pair: tuple[Participant, Participant]) -> None:
    for method, url, body, _ in endpoints(people.study.code, pair[0], 1):
        assert call(None, method, url, body)[0] == 401


@pytest.mark.django_db
def test_the_pharmacist_prepares_and_a_second_one_checks(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, _ = pair
    base = f"{API}/{people.study.code}"
    status, body = call(
        people[Role.PHARMACIST], "get", f"{base}/participants/{high.pk}/preview?weight_kg=70"
    )
    assert status == 200 and body["mg_target"] == "140" and body["drug_ml"] == "2.80"
    status, body = call(
        people[Role.PHARMACIST],
        "post",
        f"{base}/participants/{high.pk}/preparation",
        {"weight_kg": "72"},
    )
    assert status == 409 and "baseline form" in body["detail"]
    status, body = call(
        people[Role.PHARMACIST], "post", f"{base}/participants/{high.pk}/preparation", {}
    )
    assert status == 201 and body["details"]["arm_id"] == "high"
    assert body["details"]["mg_delivered"] == "140" and body["checked_by"] is None
    check = f"{base}/preparations/{body['preparation_id']}/check"
    status, refused = call(people[Role.PHARMACIST], "post", check)
    assert status == 409 and "expected a second pharmacist" in refused["detail"]
    status, body = call(second_pharmacist(people), "post", check)
    assert status == 200 and body["checked_by"] == "pharmacist2_kpt2002"


@pytest.mark.django_db
def test_the_pharmacist_gets_a_dosing_refusal_as_422(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    status, body = call(
        people[Role.PHARMACIST],
        "get",
        f"{API}/{people.study.code}/participants/{pair[0].pk}/preview?weight_kg=130",
    )
    assert status == 422 and "expected a weight between 40" in body["detail"]


def strip(payload: object, p: Participant) -> str:
    return json.dumps(payload).replace(p.kit_code, "<kit>").replace(p.code, "<code>")


@pytest.mark.django_db
def test_the_clinicians_answers_are_the_same_for_both_arms(
    people: Personas, pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, low = pair
    clinician = people[Role.SESSION_CLINICIAN]
    base = f"{API}/{people.study.code}/sessions"

    def compare() -> list[object]:
        answers = [call(clinician, "get", f"{base}/{p.pk}")[1] for p in (high, low)]
        assert strip(answers[0], high) == strip(answers[1], low)
        for a in answers:
            text = json.dumps(a)
            assert not MG_VALUE.search(text) and not re.search(r"high|low|arm|mg", text)
        return answers

    assert compare()[0]["stage"] == "awaiting preparation"
    checker = second_pharmacist(people)
    for p in (high, low):
        check_preparation(checker, people.study, prepared(people, p).pk)
    answers = compare()
    assert (answers[0]["stage"], answers[0]["total_ml"], answers[0]["volume_per_site_ml"]) == (
        "ready",
        "5.00",
        "5.00",
    )
    clock_at.advance(hours=1)
    when = (clock_at.now - timedelta(minutes=5)).isoformat()
    for p in (high, low):
        status, body = call(
            clinician,
            "post",
            f"{base}/{p.pk}/administration",
            {"kit_code": p.kit_code, "administered_at": when, "volume_ml": "5.0"},
        )
        assert status == 201 and body["stage"] == "administered"
    compare()


@pytest.mark.django_db
def test_the_clinician_hears_why_an_administration_is_refused(
    people: Personas, pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, low = pair
    check_preparation(second_pharmacist(people), people.study, prepared(people, high).pk)
    clock_at.advance(hours=1)
    status, body = call(
        people[Role.SESSION_CLINICIAN],
        "post",
        f"{API}/{people.study.code}/sessions/{high.pk}/administration",
        {"kit_code": low.kit_code, "administered_at": clock_at.now.isoformat(), "volume_ml": "5.0"},
    )
    assert status == 409 and f"expected the kit of participant {high.code}" in body["detail"]
