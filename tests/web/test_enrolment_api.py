"""The enrolment and forms API with token authentication, for every role and the outsider:
the paginated participant list, the participant detail, screening, reading and saving forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.enrolment.actions import screen
from psytrial.web.forms.models import FormRecord
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    ELIGIBLE,
    baseline,
    fast_passwords,
    ready,
    screened,
    site_of,
    token_of,
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


def _get(user: Any, url: str) -> Any:
    return Client().get(url, **token_of(user))


def _send(user: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    client = Client()
    call = client.post if method == "post" else client.put
    return call(url, json.dumps(body), content_type="application/json", **token_of(user))


def test_it_needs_a_token() -> None:
    assert Client().get("/api/enrolment/kpt2002/participants").status_code == 401
    bad = Client().get("/api/enrolment/kpt2002/participants", HTTP_AUTHORIZATION="Bearer nope")
    assert bad.status_code == 401


@pytest.mark.parametrize("role", list(Role))
def test_the_list_and_detail_by_role(people: Personas, role: Role) -> None:
    p = screened(people)
    listing = _get(people[role], "/api/enrolment/kpt2002/participants")
    detail = _get(people[role], f"/api/enrolment/kpt2002/participants/{p.pk}")
    if role in VIEWERS:
        assert listing.status_code == 200 and detail.status_code == 200
        assert listing.json()["items"][0]["code"] == "SPB-0001"
        assert detail.json()["status"] == "screened" and detail.json()["arm"] is None
    else:
        assert listing.status_code == 403 and detail.status_code == 403
    outsider = _get(people.outsider, f"/api/enrolment/kpt2002/participants/{p.pk}")
    assert outsider.status_code == 403
    assert _get(people.outsider, "/api/enrolment/kpt2002/participants").status_code == 403


def test_the_list_is_paginated(people: Personas) -> None:
    inv = people[Role.INVESTIGATOR]
    for _ in range(53):
        screen(inv, people.study, site_of(people.study))
    first = _get(inv, "/api/enrolment/kpt2002/participants").json()
    second = _get(inv, "/api/enrolment/kpt2002/participants?page=2").json()
    assert first["count"] == 53 and len(first["items"]) == 50 and len(second["items"]) == 3
    assert second["items"][-1]["code"] == "SPB-0053"


@pytest.mark.parametrize("role", list(Role))
def test_only_an_investigator_screens_through_the_api(people: Personas, role: Role) -> None:
    response = _send(people[role], "post", "/api/enrolment/kpt2002/participants", {"site": "spb"})
    if role == Role.INVESTIGATOR:
        assert response.status_code == 201 and response.json()["code"] == "SPB-0001"
    else:
        assert response.status_code == 403 and not Participant.objects.exists()
    assert (
        _send(
            people.outsider, "post", "/api/enrolment/kpt2002/participants", {"site": "spb"}
        ).status_code
        == 403
    )


def test_an_unknown_site_is_named(people: Personas) -> None:
    response = _send(
        people[Role.INVESTIGATOR], "post", "/api/enrolment/kpt2002/participants", {"site": "paris"}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "site: expected one of spb, got 'paris'"


def test_the_detail_says_what_blocks_randomization(people: Personas) -> None:
    p = screened(people)
    detail = _get(people[Role.MONITOR], f"/api/enrolment/kpt2002/participants/{p.pk}").json()
    assert detail["eligibility"] == {"entered": False, "eligible": None, "failed": []}
    assert "consent not recorded yet" in detail["blockers"]
    q = ready(people)
    detail = _get(people[Role.MONITOR], f"/api/enrolment/kpt2002/participants/{q.pk}").json()
    assert detail["blockers"] == [] and detail["stratum"] == "sex=male"
    assert {f["instrument"] for f in detail["forms"]} == {"eligibility", "consent", "baseline"}


def _form_url(p: Participant, instrument: str, visit: str, occurrence: int = 1) -> str:
    return f"/api/forms/kpt2002/participants/{p.pk}/{instrument}/{visit}/{occurrence}"


def test_forms_are_saved_and_read_through_the_api(people: Personas) -> None:
    p = screened(people)
    inv = people[Role.INVESTIGATOR]
    saved = _send(
        inv,
        "put",
        _form_url(p, "eligibility", "screening"),
        {"data": {k: v == "true" for k, v in ELIGIBLE.items()}, "expected_version": 0},
    )
    assert saved.status_code == 200 and saved.json()["version"] == 1
    p.refresh_from_db()
    assert p.status == "eligible"
    read = _get(people[Role.MONITOR], _form_url(p, "eligibility", "screening")).json()
    assert read["data"]["heroin_dependence"] is True and read["history"][0]["version"] == 1


def test_api_form_errors_are_field_level_and_change_nothing(people: Personas) -> None:
    p = screened(people)
    inv = people[Role.INVESTIGATOR]
    url = _form_url(p, "baseline", "baseline")
    bad = _send(inv, "put", url, {"data": baseline() | {"weight_kg": 500, "age": "x"}})
    assert bad.status_code == 400
    assert bad.json()["field_errors"] == {
        "age": ["expected a whole number between 18 and 60, got 'x'"],
        "weight_kg": ["expected a number between 40 and 150, got 500"],
    }
    assert _send(inv, "put", url, {"data": baseline(), "expected_version": 0}).status_code == 200
    stale = _send(
        inv, "put", url, {"data": baseline(weight="90"), "reason": "x", "expected_version": 0}
    )
    assert stale.status_code == 409
    assert stale.json()["submitted"]["weight_kg"] == "90"
    assert stale.json()["current_version"] == 1
    assert FormRecord.objects.get().current_version == 1


@pytest.mark.parametrize("role", list(Role))
def test_forms_through_the_api_by_role(people: Personas, role: Role) -> None:
    p = screened(people)
    url = _form_url(p, "baseline", "baseline")
    saved = _send(people[role], "put", url, {"data": baseline()})
    assert saved.status_code == (200 if role == Role.INVESTIGATOR else 403)
    read = _get(people[role], url)
    assert read.status_code == (200 if role in VIEWERS else 403)
    hrs = _get(people[role], _form_url(p, "hrs", "session"))
    assert hrs.status_code == (200 if role in VIEWERS - {Role.OUTCOME_RATER} else 403)
    assert _get(people.outsider, url).status_code == 403
    assert _send(people.outsider, "put", url, {"data": baseline()}).status_code == 403
