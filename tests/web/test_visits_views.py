"""Every page, action and API endpoint of the visits app, for every role and an outsider.

One world per role: a participant dosed on 2025-03-11 with one vital-signs reading and one
serious adverse event, seen on 2025-04-12 (m01 late). The expected status of each request is
a table below, written from the role split in `psytrial.web.visits.access`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token
from psytrial.web.randomization.actions import randomize
from psytrial.web.visits.actions import enter_visit_form
from psytrial.web.visits.models import ExpeditedReport, MissedVisit
from tests.web.personas import Personas
from tests.web.test_safety_adverse_events import AE
from tests.web.test_visits_support import (
    FOLLOWUP_CLEAN,
    NORMAL_VITALS,
    SimClock,
    client_of,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    ready,
    sim_clock_fixture,  # noqa: F401  (fixture)
)

INV, PT, SC, RATER = (
    Role.INVESTIGATOR,
    Role.PSYCHOTHERAPIST,
    Role.SESSION_CLINICIAN,
    Role.OUTCOME_RATER,
)
PH, DM, MO, DS = Role.PHARMACIST, Role.DATA_MANAGER, Role.MONITOR, Role.DSMB_MEMBER
READERS = {INV, PT, SC, RATER, PH, DM, MO, DS}
EVERYONE = set(Role)
WHO = [*Role, "outsider"]

# page -> roles that get 200 (everyone else, and the outsider, 403)
PAGES = {
    "timeline/": READERS,
    "safety/": READERS - {RATER},
    "withdrawal/": {INV},
    "visit-forms/vitals/session/1/": READERS - {RATER},
    "visit-forms/followup/m01/1/": READERS,
    "visit-forms/adverse_event/-/1/": READERS,
}
STUDY_PAGES = {"worklist/": READERS, "dashboard/": EVERYONE}
API_GETS = {
    "participants/{pk}/timeline": READERS,
    "participants/{pk}/safety": READERS - {RATER},
    "worklist": READERS,
    "overdue": READERS,
    "dashboard": EVERYONE,
}


@pytest.fixture
def world(people: Personas, sim_clock: SimClock):  # type: ignore[no-untyped-def]
    publish_list(people)
    p = ready(people)
    randomize(people[INV], p)
    p.refresh_from_db()
    sim_clock.set(datetime(2025, 3, 11, 10, tzinfo=UTC))
    dose(people, p)
    enter_visit_form(people[SC], p, "vitals", "session", NORMAL_VITALS)
    ae = enter_visit_form(people[SC], p, "adverse_event", "", AE)
    sim_clock.set(datetime(2025, 4, 12, 9, tzinfo=UTC))
    return p, ae


def _user(people: Personas, who: Role | str):  # type: ignore[no-untyped-def]
    return people.outsider if who == "outsider" else people[who]  # type: ignore[index]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.django_db
def test_every_page_answers_each_role_as_the_table_says(world, people: Personas, who) -> None:  # type: ignore[no-untyped-def]
    p, _ = world
    client = client_of(_user(people, who))
    base = f"/s/{people.study.code}/"
    got, want = {}, {}
    for page, allowed in PAGES.items():
        got[page] = client.get(f"{base}participants/{p.pk}/{page}").status_code
        want[page] = 200 if who in allowed else 403
    for page, allowed in STUDY_PAGES.items():
        got[page] = client.get(base + page).status_code
        want[page] = 200 if who in allowed else 403
    assert got == want


@pytest.mark.django_db
def test_pages_need_a_login_and_other_instruments_use_the_generic_page(world, people) -> None:  # type: ignore[no-untyped-def]
    p, _ = world
    base = f"/s/{people.study.code}/participants/{p.pk}/"
    anonymous = Client().get(base + "timeline/")
    assert anonymous.status_code == 302 and "/accounts/login" in anonymous["Location"]
    assert client_of(people[PT]).get(base + "visit-forms/hrs/session/1/").status_code == 404


# action -> roles whose POST succeeds (a redirect and the change made); others get 403.
@pytest.mark.parametrize("who", WHO)
@pytest.mark.django_db
def test_every_action_answers_each_role_as_the_table_says(world, people: Personas, who) -> None:  # type: ignore[no-untyped-def]
    p, ae = world
    client = client_of(_user(people, who))
    base = f"/s/{people.study.code}/participants/{p.pk}/"
    posts = {
        "missed": (base + "visits/m01/missed/", {"reason": "unreachable"}, {INV, RATER}),
        "vitals": (
            base + "visit-forms/vitals/session/2/",
            {**NORMAL_VITALS, "expected_version": "0"},
            {SC},
        ),
        "followup": (
            base + "visit-forms/followup/m01/1/",
            {**FOLLOWUP_CLEAN, "expected_version": "0"},
            {RATER},
        ),
        "adverse_event": (
            base + "visit-forms/adverse_event/-/2/",
            {**AE, "serious": "false", "expected_version": "0"},
            {INV, SC},
        ),
        "reported": (
            f"/s/{people.study.code}/adverse-events/{ae.pk}/reported/",
            {"reference": "R-1"},
            {INV},
        ),
        "withdrawal": (
            base + "withdrawal/",
            {"kind": "withdrew", "date": "2025-04-12", "reason": "x"},
            {INV},
        ),
    }
    got, want = {}, {}
    for name, (url, data, allowed) in posts.items():
        got[name] = client.post(url, data).status_code
        want[name] = 302 if who in allowed else 403
    assert got == want
    assert MissedVisit.objects.exists() is (who in (INV, RATER))
    assert ExpeditedReport.objects.exists() is (who == INV)
    p.refresh_from_db()
    assert p.status == ("withdrawn" if who == INV else "dosed")


@pytest.mark.parametrize("who", WHO)
@pytest.mark.django_db
def test_every_api_endpoint_answers_each_role_as_the_table_says(
    world, people: Personas, who
) -> None:  # type: ignore[no-untyped-def]
    p, ae = world
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(_user(people, who), 'tests')}"}
    client = Client()
    base = f"/api/visits/{people.study.code}/"
    got, want = {}, {}
    for path, allowed in API_GETS.items():
        got[path] = client.get(base + path.format(pk=p.pk), **headers).status_code
        want[path] = 200 if who in allowed else 403
    posts = {
        "forms/vitals": (
            f"participants/{p.pk}/forms/vitals/session",
            {"data": NORMAL_VITALS},
            {SC},
        ),
        "missed": (f"participants/{p.pk}/visits/m01/missed", {"reason": "x"}, {INV, RATER}),
        "reported": (f"adverse-events/{ae.pk}/reported", {"reference": "R-1"}, {INV}),
        "withdrawal": (
            f"participants/{p.pk}/withdrawal",
            {"kind": "lost", "date": "2025-04-12", "reason": "x"},
            {INV},
        ),
    }
    for name, (path, body, allowed) in posts.items():
        got[name] = client.post(
            base + path, json.dumps(body), content_type="application/json", **headers
        ).status_code
        want[name] = 201 if who in allowed else 403
    assert got == want


@pytest.mark.django_db
def test_the_api_answers_refusals_with_409_and_form_errors_with_400(world, people) -> None:  # type: ignore[no-untyped-def]
    p, _ = world
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people[INV], 'tests')}"}
    base = f"/api/visits/{people.study.code}/participants/{p.pk}/"
    client = Client()
    early = client.post(
        base + "visits/m06/missed",
        json.dumps({"reason": "x"}),
        content_type="application/json",
        **headers,
    )
    assert early.status_code == 409 and "got one scheduled" in early.json()["detail"]
    bad = client.post(
        base + "forms/adverse_event/-",
        json.dumps({"data": {"term": "x"}}),
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 400 and "onset_date" in bad.json()["field_errors"]
    lost = client.post(
        base + "withdrawal",
        json.dumps({"kind": "lost", "date": "2025-04-12", "reason": "x"}),
        content_type="application/json",
        **headers,
    )
    assert lost.status_code == 201 and lost.json() == {
        "participant": p.code,
        "status": "lost_to_follow_up",
    }
    again = client.post(
        base + "withdrawal",
        json.dumps({"kind": "withdrew", "date": "2025-04-12", "reason": "x"}),
        content_type="application/json",
        **headers,
    )
    assert again.status_code == 409
    assert "state 'lost_to_follow_up': expected no event" in again.json()["detail"]
