"""The blind on the timeline, worklist and dashboard.

1. For every blinded role, two participants with the same history in different arms get the
   same pages and API answers, except their codes, kit codes and database ids.
2. Swapping the two participants' sealed arms changes the DSMB's per-arm table (so the swap
   is real) and no byte of any blinded role's page.
3. The outcome rater's pages name no arm-revealing instrument (vital signs, discharge, HRS,
   other people's blinding guesses) while the investigator's do.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token
from psytrial.web.enrolment.actions import enter_form
from psytrial.web.randomization.models import AllocationSlot
from psytrial.web.visits.actions import enter_visit_form
from tests.web.personas import Personas
from tests.web.test_safety_adverse_events import AE
from tests.web.test_visits_support import (
    BLINDED,
    NORMAL_VITALS,
    SimClock,
    arm_of_p,
    client_of,
    complete_integration1,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    hrs_answers,
    masked,
    randomized_pair,
    sim_clock_fixture,  # noqa: F401  (fixture)
)
from tests.web.test_visits_views import READERS

BLIND_READERS = sorted(BLINDED & READERS)
REVEALING = (
    "Drug-session vital signs",
    "Session discharge checklist",
    "Hallucinogen Rating Scale",
    "Blinding guess (participant)",
    "Blinding guess (therapist)",
    "/vitals/",
    "/discharge/",
    "/hrs/",
    "as/participant/",
    "as/therapist/",
    "Session safety",
    "safety/",
)


def _same_history(people: Personas, p) -> None:  # type: ignore[no-untyped-def]
    sc, pt = people[Role.SESSION_CLINICIAN], people[Role.PSYCHOTHERAPIST]
    enter_visit_form(sc, p, "vitals", "session", NORMAL_VITALS)
    enter_visit_form(
        sc, p, "vitals", "session", {**NORMAL_VITALS, "time": "10:30", "systolic_bp": "150"}
    )
    enter_form(
        sc,
        p,
        "discharge",
        "session",
        {
            "oriented": "true",
            "walks_unaided": "true",
            "vitals_in_range": "true",
            "minutes_to_discharge": "120",
        },
    )
    enter_form(pt, p, "hrs", "session", hrs_answers(p))


@pytest.fixture
def pair(people: Personas, sim_clock: SimClock):  # type: ignore[no-untyped-def]
    high, low = randomized_pair(people)
    sim_clock.set(datetime(2025, 3, 8, 10, tzinfo=UTC))
    for p in (high, low):
        dose(people, p)
        _same_history(people, p)
    sim_clock.set(datetime(2025, 3, 9, 10, tzinfo=UTC))
    for p in (high, low):
        complete_integration1(people, p)
    sim_clock.set(datetime(2025, 3, 20, 10, tzinfo=UTC))
    return high, low


def _timeline(client: Client, study_code: str, p) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/s/{study_code}/participants/{p.pk}/timeline/").content.decode()


@pytest.mark.parametrize("role", BLIND_READERS)
@pytest.mark.django_db
def test_a_blind_roles_timeline_is_the_same_in_both_arms(pair, people: Personas, role) -> None:  # type: ignore[no-untyped-def]
    high, low = pair
    assert (arm_of_p(people, high), arm_of_p(people, low)) == ("high", "low")
    client = client_of(people[role])
    code = people.study.code
    a, b = _timeline(client, code, high), _timeline(client, code, low)
    assert high.code in a and low.code in b
    assert masked(a, high) == masked(b, low)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people[role], 'tests')}"}
    api = [
        Client().get(f"/api/visits/{code}/participants/{p.pk}/timeline", **headers).content.decode()
        for p in (high, low)
    ]
    assert masked(api[0], high) == masked(api[1], low)


def _swap_arms(high, low) -> None:  # type: ignore[no-untyped-def]
    a = AllocationSlot.objects.get(participant=high)
    b = AllocationSlot.objects.get(participant=low)
    a.arm_sealed, b.arm_sealed = b.arm_sealed, a.arm_sealed
    a.save(update_fields=["arm_sealed"])
    b.save(update_fields=["arm_sealed"])


@pytest.mark.django_db
def test_swapping_the_arms_changes_the_dsmb_table_and_no_blind_page(pair, people: Personas) -> None:  # type: ignore[no-untyped-def]
    high, low = pair
    enter_visit_form(people[Role.INVESTIGATOR], high, "adverse_event", "", AE)
    code = people.study.code
    pages = [
        f"/s/{code}/dashboard/",
        f"/s/{code}/worklist/",
        f"/s/{code}/participants/{high.pk}/timeline/",
        f"/s/{code}/participants/{low.pk}/timeline/",
        f"/s/{code}/participants/{high.pk}/safety/",
    ]
    apis = [f"/api/visits/{code}/dashboard", f"/api/visits/{code}/worklist"]
    blind = [r for r in Role if r in BLINDED]

    def snapshot() -> dict[tuple[Role, str], str]:
        shot = {}
        for role in blind:
            client = client_of(people[role])
            headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people[role], 'swap')}"}
            for url in pages:
                shot[(role, url)] = masked(client.get(url).content.decode())
            for url in apis:
                shot[(role, url)] = Client().get(url, **headers).content.decode()
        return shot

    def dsmb_table() -> str:
        page = client_of(people[Role.DSMB_MEMBER]).get(pages[0]).content.decode()
        assert 'id="per-arm"' in page
        return page[page.index('id="per-arm"') :]

    before, table_before = snapshot(), dsmb_table()
    _swap_arms(high, low)
    assert arm_of_p(people, high) == "low"
    assert dsmb_table() != table_before
    after = snapshot()
    assert [k for k in before if before[k] != after[k]] == []
    assert all('id="per-arm"' not in before[(r, pages[0])] for r in blind)


@pytest.mark.django_db
def test_the_outcome_raters_pages_name_no_arm_revealing_instrument(pair, people: Personas) -> None:  # type: ignore[no-untyped-def]
    high, _ = pair
    code = people.study.code
    urls = [
        f"/s/{code}/participants/{high.pk}/timeline/",
        f"/s/{code}/worklist/",
        f"/s/{code}/dashboard/",
        f"/api/visits/{code}/participants/{high.pk}/timeline",
        f"/api/visits/{code}/worklist",
        f"/api/visits/{code}/dashboard",
    ]

    def pages(role: Role) -> str:
        client = client_of(people[role])
        headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people[role], 'sweep')}"}
        return "".join(client.get(u, **headers).content.decode() for u in urls)

    rater, investigator = pages(Role.OUTCOME_RATER), pages(Role.INVESTIGATOR)
    assert [w for w in REVEALING if w in rater] == []
    assert [w for w in REVEALING if w not in investigator] == []  # the sweep can fail
    assert "Blinding guess (rater)" in rater  # the rater's own guess is theirs to see


@pytest.mark.django_db
def test_emergency_unblinding_shows_as_a_flag_only(pair, people: Personas) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.unblinding.actions import request_emergency_unblinding

    high, _ = pair
    inv = people[Role.INVESTIGATOR]
    request_emergency_unblinding(inv, people.study, high.pk, "anaphylaxis: treating physician")
    for role in BLIND_READERS:
        page = _timeline(client_of(people[role]), people.study.code, high)
        assert '<li class="alert"><strong>emergency unblinded</strong></li>' in page, role
        assert "mg/kg" not in page and "active placebo" not in page, role
