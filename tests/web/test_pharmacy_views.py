"""Pharmacy and administration pages: every role and the outsider, and what each one sees.

Blinded pages for two participants in different arms must be the same page once codes, kit
codes and ids are masked; the pharmacist's page shows mg, the clinician's never does.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from psytrial.core.roles import Role
from psytrial.web.pharmacy.actions import check_preparation, prepare_dose, record_administration
from psytrial.web.pharmacy.models import Administration, DosePreparation
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    MG_VALUE,
    SimClock,
    client_of,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
    masked,
    prepared,
    randomized_pair,
    ready,
    second_pharmacist,
)

PHARMACY = {Role.PHARMACIST}
CLINICIAN = {Role.SESSION_CLINICIAN}


@pytest.fixture
def pair(people: Personas, clock_at: SimClock) -> tuple[Participant, Participant]:
    high, low = randomized_pair(people)
    clock_at.advance(minutes=5)
    return high, low


def pages(study: str, p: Participant, prep: DosePreparation | None) -> list[tuple]:
    """(url, method, data, roles allowed) for every page this app adds."""
    rows = [
        (reverse("pharmacy:worklist", args=[study]), "get", None, PHARMACY),
        (reverse("pharmacy:participant", args=[study, p.pk]), "get", None, PHARMACY),
        (
            reverse("pharmacy:participant", args=[study, p.pk]) + "?weight_kg=70",
            "get",
            None,
            PHARMACY,
        ),
        (reverse("pharmacy:prepare", args=[study, p.pk]), "post", {"weight_kg": ""}, PHARMACY),
        (reverse("pharmacy:sessions", args=[study]), "get", None, CLINICIAN),
        (reverse("pharmacy:administer", args=[study, p.pk]), "get", None, CLINICIAN),
        (
            reverse("pharmacy:administer", args=[study, p.pk]),
            "post",
            {"kit_code": "x", "administered_at": "2024-03-01T09:00", "volume_ml": "5"},
            CLINICIAN,
        ),
    ]
    if prep is not None:
        rows.append((reverse("pharmacy:check", args=[study, prep.pk]), "post", {}, PHARMACY))
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*sorted(Role), None])
def test_each_page_answers_its_roles_and_refuses_the_rest(
    people: Personas, pair: tuple[Participant, Participant], role: Role | None
) -> None:
    high, low = pair
    # Prepared by another pharmacist, so the pharmacist persona may check it.
    by_other = prepare_dose(second_pharmacist(people), people.study, low.pk, None)
    user = people[role] if role is not None else people.outsider
    client = client_of(user)
    for url, method, data, allowed in [
        *pages(people.study.code, high, None),
        *pages(people.study.code, low, by_other)[-1:],
    ]:
        response = getattr(client, method)(url, data or {})
        if role in allowed:
            assert response.status_code in (200, 302), (url, role, response.status_code)
        else:
            assert response.status_code == 403, (url, role, response.status_code)


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    for url, method, data, _ in pages(people.study.code, pair[0], None):
        response = getattr(Client(), method)(url, data or {})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.django_db
def test_the_pharmacist_sees_the_dose_in_mg_and_the_split(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, low = pair
    client = client_of(people[Role.PHARMACIST])
    preview = client.get(
        reverse("pharmacy:participant", args=[people.study.code, high.pk]), {"weight_kg": "70"}
    ).content.decode()
    assert "140 mg" in preview and "2.80 ml" in preview and "2.20 ml" in preview
    response = client.post(
        reverse("pharmacy:prepare", args=[people.study.code, low.pk]),
        {"weight_kg": "70"},
        follow=True,
    )
    page = response.content.decode()
    assert "Preparation of kit" in page and "14 mg" in page and "1.40 ml" in page
    assert "3.60 ml" in page and "5.00 ml" in page
    assert "Awaiting the check by a second pharmacist" in page  # not by the preparer


@pytest.mark.django_db
def test_the_pharmacist_sees_the_baseline_preparation_and_refusals_in_words(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, _ = pair
    client = client_of(people[Role.PHARMACIST])
    url = reverse("pharmacy:participant", args=[people.study.code, high.pk])
    page = client.get(url).content.decode()  # the baseline form's 70 kg, computed at once
    assert "140 mg" in page and "Record this preparation" in page
    page = client.get(url, {"weight_kg": "72"}).content.decode()
    assert "Cannot prepare: weight_kg: expected the baseline form&#x27;s 70" in page
    assert "Record this preparation" not in page
    page = client.post(
        reverse("pharmacy:prepare", args=[people.study.code, high.pk]),
        {"weight_kg": "72"},
        follow=True,
    ).content.decode()
    assert "expected the baseline form&#x27;s 70" in page
    assert not DosePreparation.objects.exists()
    heavy = ready(people, weight="130")
    randomize(people[Role.INVESTIGATOR], heavy)
    url = reverse("pharmacy:participant", args=[people.study.code, heavy.pk])
    page = client.get(url).content.decode()
    assert "Cannot prepare: weight_kg: expected a weight between 40" in page
    assert "Record this preparation" not in page


@pytest.mark.django_db
def test_the_check_page_refuses_the_preparer_and_takes_a_second_pharmacist(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, _ = pair
    prep = prepared(people, high)
    url = reverse("pharmacy:check", args=[people.study.code, prep.pk])
    page = client_of(people[Role.PHARMACIST]).post(url, follow=True).content.decode()
    assert "expected a second pharmacist" in page
    page = client_of(second_pharmacist(people)).post(url, follow=True).content.decode()
    assert f"Kit {high.kit_code} checked." in page and "Checked by pharmacist2_kpt2002" in page


def clinician_pages(people: Personas, p: Participant) -> str:
    client = client_of(people[Role.SESSION_CLINICIAN])
    return client.get(
        reverse("pharmacy:administer", args=[people.study.code, p.pk])
    ).content.decode()


@pytest.mark.django_db
def test_the_clinicians_pages_are_the_same_for_both_arms_at_every_stage(
    people: Personas, pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, low = pair
    checker = second_pharmacist(people)

    def compare() -> None:
        a, b = clinician_pages(people, high), clinician_pages(people, low)
        assert masked(a, high) == masked(b, low)
        for page in (a, b):
            assert not MG_VALUE.search(page), MG_VALUE.search(page)
            assert not re.search(r"\b(high|low|Ketamine|mg)\b", page)
            assert not re.search(r"\b(2\.80?|1\.40?|2\.20?|3\.60?)\b", page)

    compare()
    preps = [prepared(people, p) for p in (high, low)]
    compare()
    for prep in preps:
        check_preparation(checker, people.study, prep.pk)
    compare()
    clock_at.advance(hours=1)
    for p in (high, low):
        record_administration(
            people[Role.SESSION_CLINICIAN],
            people.study,
            p.pk,
            kit_code=p.kit_code,
            volume_ml=prep.total_ml,
            administered_at=clock_at.now - timedelta(minutes=10),
        )
    compare()
    listing = (
        client_of(people[Role.SESSION_CLINICIAN])
        .get(reverse("pharmacy:sessions", args=[people.study.code]))
        .content.decode()
    )
    assert listing.count("5.00 ml (5.00 ml × 1 site)") == 2 and not MG_VALUE.search(listing)


@pytest.mark.django_db
def test_the_clinician_records_the_administration_through_the_page(
    people: Personas, pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, low = pair
    prep = prepared(people, high)
    check_preparation(second_pharmacist(people), people.study, prep.pk)
    clock_at.advance(hours=1)
    client = client_of(people[Role.SESSION_CLINICIAN])
    url = reverse("pharmacy:administer", args=[people.study.code, high.pk])
    when = (clock_at.now - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    wrong = client.post(
        url, {"kit_code": low.kit_code, "administered_at": when, "volume_ml": "5.0"}
    ).content.decode()
    assert f"expected the kit of participant {high.code}" in wrong
    wrong = client.post(
        url, {"kit_code": high.kit_code, "administered_at": when, "volume_ml": "4.5"}
    ).content.decode()
    assert "expected the prepared total of 5.00 ml, got 4.5 ml" in wrong
    response = client.post(
        url, {"kit_code": high.kit_code, "administered_at": when, "volume_ml": "5.0"}
    )
    assert response.status_code == 302
    given = Administration.objects.get()
    high.refresh_from_db()
    assert (given.kit_code, high.status, high.drug_session_at) == (
        high.kit_code,
        "dosed",
        clock_at.now - timedelta(minutes=20),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(Role))
def test_the_study_page_links_each_role_to_its_pages(people: Personas, role: Role) -> None:
    code = people.study.code
    page = client_of(people[role]).get(reverse("trial:study", args=[code])).content.decode()
    links = {
        reverse("pharmacy:worklist", args=[code]): role == Role.PHARMACIST,
        reverse("pharmacy:sessions", args=[code]): role == Role.SESSION_CLINICIAN,
        reverse("unblinding:log", args=[code]): role
        in {Role.INVESTIGATOR, Role.DSMB_MEMBER, Role.MONITOR},
    }
    for url, shown in links.items():
        assert (f'href="{url}"' in page) == shown, (role, url)
