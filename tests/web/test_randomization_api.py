"""The randomization API with token authentication, for every role and the outsider: randomize
(idempotent, refusals with their reason) and the list's public commitment."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from psytrial.core.roles import Role
from tests.web.personas import Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    fast_passwords,
    publish,
    ready,
    screened,
    token_of,
)

pytestmark = pytest.mark.django_db


def _post(user: Any, url: str) -> Any:
    return Client().post(url, **token_of(user))


@pytest.mark.parametrize("role", list(Role))
def test_only_an_investigator_randomizes_through_the_api(people: Personas, role: Role) -> None:
    publish(people)
    p = ready(people)
    url = f"/api/randomization/kpt2002/participants/{p.pk}/randomize"
    response = _post(people[role], url)
    if role == Role.INVESTIGATOR:
        body = response.json()
        assert response.status_code == 200 and body["created"] is True
        assert set(body) == {
            "participant_id",
            "code",
            "kit_code",
            "stratum",
            "randomized_at",
            "created",
        }
        again = _post(people[role], url).json()
        assert again["created"] is False and again["kit_code"] == body["kit_code"]
        assert again["randomized_at"] == body["randomized_at"]
    else:
        assert response.status_code == 403
    assert _post(people.outsider, url).status_code == 403


def test_a_refusal_comes_with_its_reason(people: Personas) -> None:
    publish(people)
    p = screened(people)
    response = _post(
        people[Role.INVESTIGATOR], f"/api/randomization/kpt2002/participants/{p.pk}/randomize"
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith(
        "SPB-0001 cannot be randomized yet: eligibility checklist not entered yet"
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_the_commitment(people: Personas, role: Role) -> None:
    client = Client()
    url = "/api/randomization/kpt2002/allocation"
    assert client.get(url, **token_of(people[role])).status_code == 404
    row = publish(people)
    body = client.get(url, **token_of(people[role])).json()
    assert body["commitment"] == row.commitment and body["strata"] == ["sex=male", "sex=female"]
    assert "arm" not in str(body).lower()
    assert client.get(url, **token_of(people.outsider)).status_code == 403
