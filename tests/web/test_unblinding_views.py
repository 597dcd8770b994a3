"""Emergency unblinding pages and API: every role and the outsider; the arm to its grantee only.

Before any grant, an investigator's pages for two participants in different arms are the same
page once codes, kit codes and ids are masked; after it, only the grantee's arm page differs.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from psytrial.core.roles import Role
from psytrial.web.trial.models import EmergencyUnblinding, Participant
from psytrial.web.unblinding.actions import request_emergency_unblinding
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    client_of,
    fast_passwords,  # noqa: F401 (autouse)
    masked,
    randomized_pair,
    token_of,
)
from tests.web.test_unblinding import ARM_WORDS, REASON, second_investigator

LOG_READERS = {Role.INVESTIGATOR, Role.DSMB_MEMBER, Role.MONITOR}


@pytest.fixture
def pair(people: Personas) -> tuple[Participant, Participant]:
    return randomized_pair(people)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*sorted(Role), None])
def test_each_page_answers_its_roles_and_refuses_the_rest(
    people: Personas, pair: tuple[Participant, Participant], role: Role | None
) -> None:
    high, low = pair
    code = people.study.code
    others = request_emergency_unblinding(second_investigator(people), people.study, low.pk, REASON)
    user = people[role] if role is not None else people.outsider
    client = client_of(user)
    checks = [
        ("get", reverse("unblinding:log", args=[code]), {}, LOG_READERS),
        ("get", reverse("unblinding:request", args=[code, high.pk]), {}, {Role.INVESTIGATOR}),
        (
            "post",
            reverse("unblinding:request", args=[code, high.pk]),
            {"reason": REASON},
            {Role.INVESTIGATOR},
        ),
        # Another investigator's grant: nobody else opens it, whatever their role.
        ("get", reverse("unblinding:grant", args=[code, others.pk]), {}, set()),
    ]
    for method, url, data, allowed in checks:
        response = getattr(client, method)(url, data)
        expected = (200, 302) if role in allowed else (403,)
        assert response.status_code in expected, (url, role, response.status_code)
    own = EmergencyUnblinding.objects.filter(investigator=user).first()
    assert (own is not None) == (role == Role.INVESTIGATOR)
    if own is not None:
        page = client.get(reverse("unblinding:grant", args=[code, own.pk])).content.decode()
        assert "Ketamine 2.0 mg/kg IM" in page and high.code in page


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    code = people.study.code
    for url in (
        reverse("unblinding:log", args=[code]),
        reverse("unblinding:request", args=[code, pair[0].pk]),
        reverse("unblinding:grant", args=[code, 1]),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_investigators_pages_are_the_same_for_both_arms(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, low = pair
    client = client_of(people[Role.INVESTIGATOR])
    a, b = (
        client.get(reverse("unblinding:request", args=[people.study.code, p.pk])).content.decode()
        for p in (high, low)
    )
    assert masked(a, high) == masked(b, low)
    assert not ARM_WORDS.search(a)


@pytest.mark.django_db
def test_a_request_without_a_reason_is_refused_on_the_page(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    url = reverse("unblinding:request", args=[people.study.code, pair[0].pk])
    page = client_of(people[Role.INVESTIGATOR]).post(url, {"reason": "  "}).content.decode()
    assert "reason: expected why the arm must be known, got nothing" in page
    assert not EmergencyUnblinding.objects.exists()


@pytest.mark.django_db
def test_the_request_shows_the_arm_to_the_requester_and_flags_for_everyone(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, low = pair
    code = people.study.code
    response = client_of(people[Role.INVESTIGATOR]).post(
        reverse("unblinding:request", args=[code, high.pk]), {"reason": REASON}, follow=True
    )
    page = response.content.decode()
    assert "Ketamine 2.0 mg/kg IM" in page and f"Arm of participant {high.code}" in page
    # Everyone else sees the flag, never the arm.
    views = {
        Role.SESSION_CLINICIAN: reverse("pharmacy:sessions", args=[code]),
        Role.PHARMACIST: reverse("pharmacy:worklist", args=[code]),
        Role.MONITOR: reverse("unblinding:log", args=[code]),
        Role.DSMB_MEMBER: reverse("unblinding:log", args=[code]),
    }
    for role, url in views.items():
        text = client_of(people[role]).get(url).content.decode()
        assert "emergency unblinded" in text or REASON in text, role
        if role != Role.PHARMACIST:
            assert not ARM_WORDS.search(text), (role, ARM_WORDS.search(text))
    clinician = client_of(people[Role.SESSION_CLINICIAN])
    flagged = clinician.get(reverse("pharmacy:administer", args=[code, high.pk])).content.decode()
    plain = clinician.get(reverse("pharmacy:administer", args=[code, low.pk])).content.decode()
    assert "emergency unblinded" in flagged and "emergency unblinded" not in plain
    other = client_of(second_investigator(people))
    log = other.get(reverse("unblinding:log", args=[code])).content.decode()
    assert high.code in log and "see the arm" not in log and not ARM_WORDS.search(log)


def call(user: object, method: str, url: str, body: dict | None = None) -> tuple[int, object]:
    headers = token_of(user)  # type: ignore[arg-type]
    if method == "get":
        response = Client().get(url, **headers)
    else:
        response = Client().post(
            url, json.dumps(body or {}), content_type="application/json", **headers
        )
    return response.status_code, response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*sorted(Role), None])
def test_each_endpoint_answers_its_roles_and_refuses_the_rest(
    people: Personas, pair: tuple[Participant, Participant], role: Role | None
) -> None:
    high, low = pair
    base = f"/api/unblinding/{people.study.code}"
    others = request_emergency_unblinding(second_investigator(people), people.study, low.pk, REASON)
    user = people[role] if role is not None else people.outsider
    status, body = call(user, "get", f"{base}/grants")
    if role in LOG_READERS:
        assert status == 200 and [g["participant"] for g in body] == [low.code]
        assert not ARM_WORDS.search(json.dumps(body))
    else:
        assert status == 403
    assert call(user, "get", f"{base}/grants/{others.pk}")[0] == 403
    status, body = call(user, "post", f"{base}/participants/{high.pk}", {"reason": REASON})
    if role == Role.INVESTIGATOR:
        assert status == 201 and (body["participant"], body["arm_id"]) == (high.code, "high")
        assert call(user, "get", f"{base}/grants/{body['grant']}") == (200, body)
    else:
        assert status == 403 and not ARM_WORDS.search(json.dumps(body))


@pytest.mark.django_db
def test_the_api_refuses_a_blank_reason(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    status, body = call(
        people[Role.INVESTIGATOR],
        "post",
        f"/api/unblinding/{people.study.code}/participants/{pair[0].pk}",
        {"reason": " "},
    )
    assert status == 409 and "reason: expected why" in body["detail"]
    assert (
        call(
            people[Role.INVESTIGATOR],
            "post",
            f"/api/unblinding/{people.study.code}/participants/{pair[0].pk}",
            {},
        )[0]
        in (400, 422)  # a missing field: the API's validation error
    )
    assert not EmergencyUnblinding.objects.exists()
