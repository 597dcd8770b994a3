"""The blind on pages and API responses: for two participants with identical data who were
allocated to different arms, every blinded role gets the same page and the same JSON, apart
from identifiers and kit codes. An unblinded role (the DSMB) gets different ones, which shows
the comparison would catch a leak."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from psytrial.core.allocation import SeededSource, generate_from
from psytrial.core.protocol.adapters import allocation_parameters
from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.blind import capability
from psytrial.web.randomization.actions import randomize
from psytrial.web.randomization.queries import arm_for_viewer
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    FIXED,
    client_of,
    fast_passwords,
    publish,
    ready,
    token_of,
)

pytestmark = pytest.mark.django_db

BLINDED = [
    Role.INVESTIGATOR,
    Role.PSYCHOTHERAPIST,
    Role.SESSION_CLINICIAN,
    Role.OUTCOME_RATER,
    Role.DATA_MANAGER,
    Role.MONITOR,
]
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def _seed_with_different_first_arms(people: Personas) -> int:
    """A seed whose list gives the first two men different arms (found, not assumed)."""
    params = allocation_parameters(people.study.protocol, 8)
    for seed in range(1000):
        slots = generate_from(params, SeededSource(seed)).slots_in("sex=male")
        if slots[0].arm_id != slots[1].arm_id:
            return seed
    raise AssertionError("no seed found")


@pytest.fixture
def pair(people: Personas) -> tuple[Participant, Participant]:
    with clock.simulated(lambda: FIXED):
        publish(people, n=8, seed=_seed_with_different_first_arms(people))
        first, second = ready(people), ready(people)
        for p in (first, second):
            randomize(people[Role.INVESTIGATOR], p)
            p.refresh_from_db()
    stat = people[Role.RANDOMIZATION_STATISTICIAN]
    capability(stat, people.study)
    assert arm_for_viewer(stat, first) != arm_for_viewer(stat, second)
    return first, second


def _neutral(text: str, p: Participant) -> str:
    text = CSRF.sub(r"\1TOKEN", text)
    text = text.replace(p.code, "CODE").replace(p.kit_code, "KIT")
    text = text.replace(f"participants/{p.pk}/", "participants/ID/")
    return text.replace(f'"id": {p.pk},', '"id": ID,').replace(f'"id":{p.pk},', '"id":ID,')


PAGES = [
    "/s/kpt2002/participants/{pk}/",
    "/s/kpt2002/participants/{pk}/forms/baseline/baseline/1/",
    "/s/kpt2002/participants/{pk}/forms/eligibility/screening/1/",
    "/s/kpt2002/participants/{pk}/forms/consent/screening/1/",
]


def _pages(client: Client, p: Participant) -> list[tuple[int, str]]:
    return [
        (r.status_code, _neutral(r.content.decode(), p))
        for r in (client.get(url.format(pk=p.pk)) for url in PAGES)
    ]


@pytest.mark.parametrize("role", BLINDED)
def test_blinded_pages_are_identical_across_arms(people: Personas, pair: Any, role: Role) -> None:
    first, second = pair
    client = client_of(people[role])
    one, two = _pages(client, first), _pages(client, second)
    assert all(status == 200 for status, _ in one)
    assert one == two
    assert "KIT" in one[0][1]


@pytest.mark.parametrize("role", BLINDED)
def test_blinded_api_responses_are_identical_across_arms(
    people: Personas, pair: Any, role: Role
) -> None:
    first, second = pair
    headers = token_of(people[role])
    client = Client()

    def get(p: Participant) -> str:
        detail = client.get(f"/api/enrolment/kpt2002/participants/{p.pk}", **headers)
        form = client.get(f"/api/forms/kpt2002/participants/{p.pk}/baseline/baseline/1", **headers)
        assert detail.status_code == 200 and form.status_code == 200
        return _neutral(detail.content.decode() + form.content.decode(), p)

    assert get(first) == get(second)
    if role == Role.INVESTIGATOR:
        url = "/api/randomization/kpt2002/participants/{pk}/randomize"
        again = [
            _neutral(
                client.post(url.format(pk=p.pk), **headers)
                .content.decode()
                .replace(f'"participant_id": {p.pk}', '"participant_id": ID'),
                p,
            )
            for p in (first, second)
        ]
        assert again[0] == again[1]


def test_an_unblinded_role_sees_the_difference(people: Personas, pair: Any) -> None:
    first, second = pair
    client = client_of(people[Role.DSMB_MEMBER])
    assert _pages(client, first) != _pages(client, second)
    headers = token_of(people[Role.DSMB_MEMBER])
    arms = [
        Client().get(f"/api/enrolment/kpt2002/participants/{p.pk}", **headers).json()["arm"]
        for p in (first, second)
    ]
    assert sorted(arms) == ["high", "low"]
