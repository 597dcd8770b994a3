"""Helpers shared by the pharmacy, administration and unblinding tests (no tests here).

clock_at                 fixture: a simulated clock at FIXED, advanced by hand
randomized_pair(people)  two participants randomized through the real actions, one in
                         each arm: (high, low)
arm(people, p)           the arm, as the pharmacist's capability opens it
prepared / checked       a dose prepared by the pharmacist / checked by a second one
client_of, token_of      a logged-in test client; API token headers
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.accounts.actions import issue_token
from psytrial.web.blind import capability
from psytrial.web.enrolment.actions import enter_form, screen
from psytrial.web.pharmacy.actions import check_preparation, prepare_dose
from psytrial.web.pharmacy.allocation import arm_of
from psytrial.web.pharmacy.models import DosePreparation
from psytrial.web.randomization.actions import generate_list, randomize
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Participant
from tests.web.personas import PASSWORD, Personas

FIXED = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
ELIGIBLE = {
    "heroin_dependence": "true",
    "detoxified": "true",
    "age_18_to_60": "true",
    "informed_consent": "true",
    "psychosis": "false",
    "cardiovascular": "false",
    "other_dependence": "false",
    "pregnancy": "false",
}
CONSENT = {"consent_version": "2.1", "consent_date": "2024-02-28", "taken_by": "Dr Burakov"}

# Roles, by blind: the ones the protocol (kpt2002) unblinds, and the rest.
UNBLINDED = {Role.PHARMACIST, Role.RANDOMIZATION_STATISTICIAN, Role.DSMB_MEMBER}
BLINDED = set(Role) - UNBLINDED


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Persona logins need no slow hashing in tests (the policy still checks passwords)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class SimClock:
    now: datetime = FIXED

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(name="clock_at")
def clock_fixture() -> Iterator[SimClock]:
    sim = SimClock()
    with clock.simulated(lambda: sim.now):
        yield sim


def ready(people: Personas, sex: str = "male", weight: str = "70") -> Participant:
    """Screened, eligible, consented and baseline entered, through the enrolment actions."""
    inv = people[Role.INVESTIGATOR]
    p = screen(inv, people.study, people.study.sites.get(code="spb"))
    enter_form(inv, p, "eligibility", "screening", ELIGIBLE)
    enter_form(inv, p, "consent", "screening", CONSENT)
    enter_form(
        inv,
        p,
        "baseline",
        "baseline",
        {"age": "35", "sex": sex, "weight_kg": weight, "years_heroin_use": "8"},
    )
    p.refresh_from_db()
    return p


def arm(people: Personas, participant: Participant) -> str:
    return arm_of(participant, capability(people[Role.PHARMACIST], people.study))


def randomized_pair(people: Personas, weight: str = "70") -> tuple[Participant, Participant]:
    """Randomize participants until one is in each arm; return (high, low)."""
    generate_list(
        people[Role.RANDOMIZATION_STATISTICIAN], people.study, n_per_stratum=20, seed=20020101
    )
    found: dict[str, Participant] = {}
    while len(found) < 2:
        p = ready(people, weight=weight)
        randomize(people[Role.INVESTIGATOR], p)
        p.refresh_from_db()
        found.setdefault(arm(people, p), p)
    return found["high"], found["low"]


def second_pharmacist(people: Personas) -> AbstractBaseUser:
    user = create_user(f"pharmacist2_{people.study.code}", PASSWORD)
    grant_role(user, people.study, Role.PHARMACIST)
    return user


def prepared(people: Personas, p: Participant, weight: Decimal | None = None) -> DosePreparation:
    return prepare_dose(people[Role.PHARMACIST], people.study, p.pk, weight)


def checked(people: Personas, p: Participant, checker: AbstractBaseUser) -> DosePreparation:
    prep = prepared(people, p)
    return check_preparation(checker, people.study, prep.pk)


def client_of(user: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_of(user: AbstractBaseUser) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user, 'tests')}"}


MG_VALUE = re.compile(r"\d+(?:\.\d+)?\s*mg\b")
"""A dose in mg as any page would write it ("140 mg", "14.0 mg"); mg/kg labels included."""


def masked(text: str, *participants: Participant) -> str:
    """A page or response with what may differ between participants replaced by placeholders:
    codes, kit codes, database ids, CSRF tokens."""
    for i, p in enumerate(participants):
        text = text.replace(p.kit_code, f"<kit{i}>").replace(p.code, f"<code{i}>")
        text = re.sub(rf"/{p.pk}/", f"/<id{i}>/", text)
        text = re.sub(rf'"participant_id": {p.pk}\b', f'"participant_id": <id{i}>', text)
    return re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', "<csrf>", text
    )
