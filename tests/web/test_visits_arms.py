"""Arm-specific visits (kpt2007: a second and third KPT session for the 'multiple' arm only)
are scheduled only where the arm is open to the viewer; a blind viewer never sees them, so
their pages are the same in both arms."""

from __future__ import annotations

import pytest

from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.enrolment.actions import enter_form, screen
from psytrial.web.randomization.actions import generate_list, randomize
from psytrial.web.visits.schedule import participant_schedule
from psytrial.web.visits.timeline import timeline
from tests.web.personas import Personas, make_study, personas
from tests.web.test_visits_support import (
    SimClock,
    arm_of_p,
    client_of,
    fast_passwords,  # noqa: F401  (autouse fixture)
    masked,
    sim_clock_fixture,  # noqa: F401  (fixture)
)

ARM_VISITS = {"kpt2", "kpt3"}


@pytest.fixture
def kpt2007(db, sim_clock: SimClock) -> tuple[Personas, dict[str, object]]:  # type: ignore[no-untyped-def]
    people = personas(make_study("kpt2007.yaml"))
    generate_list(people[Role.RANDOMIZATION_STATISTICIAN], people.study, n_per_stratum=20, seed=7)
    inv = people[Role.INVESTIGATOR]
    found: dict[str, object] = {}
    while len(found) < 2:
        p = screen(inv, people.study, people.study.sites.get())
        enter_form(
            inv,
            p,
            "eligibility",
            "screening",
            {"heroin_dependence": "true", "detoxified": "true", "psychosis": "false"},
        )
        enter_form(
            inv,
            p,
            "consent",
            "screening",
            {"consent_version": "1", "consent_date": clock.today().isoformat(), "taken_by": "Dr K"},
        )
        randomize(inv, p)
        p.refresh_from_db()
        found.setdefault(arm_of_p(people, p), p)
    return people, found


def _visit_ids(people: Personas, role: Role, p) -> set[str]:  # type: ignore[no-untyped-def]
    return {v.row.id for v in timeline(people[role], people.study, p.pk).visits}


@pytest.mark.django_db
def test_an_unblinded_investigator_sees_the_extra_sessions_of_the_multiple_arm_only(
    kpt2007,
) -> None:  # type: ignore[no-untyped-def]
    people, by_arm = kpt2007
    multiple, single = by_arm["multiple"], by_arm["single"]
    assert _visit_ids(people, Role.INVESTIGATOR, multiple) >= ARM_VISITS
    assert not ARM_VISITS & _visit_ids(people, Role.INVESTIGATOR, single)
    # without a viewer's arm, the schedule has no arm-specific visit at all
    assert not ARM_VISITS & {r.id for r in participant_schedule(multiple, clock.today())}


@pytest.mark.django_db
def test_the_blind_outcome_rater_never_sees_an_arm_specific_visit(kpt2007) -> None:  # type: ignore[no-untyped-def]
    people, by_arm = kpt2007
    multiple, single = by_arm["multiple"], by_arm["single"]
    for p in (multiple, single):
        assert not ARM_VISITS & _visit_ids(people, Role.OUTCOME_RATER, p)
    client = client_of(people[Role.OUTCOME_RATER])
    code = people.study.code
    pages = [
        client.get(f"/s/{code}/participants/{p.pk}/timeline/").content.decode()
        for p in (multiple, single)
    ]
    assert "Second KPT session" not in pages[0]
    assert masked(pages[0], multiple) == masked(pages[1], single)
    worklist = client.get(f"/s/{code}/worklist/").content.decode()
    assert "KPT session" not in worklist.replace("Open-label KPT session", "")
