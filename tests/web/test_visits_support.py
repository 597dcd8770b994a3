"""Helpers shared by the visits, safety, dashboard, withdrawal and browser tests (no tests here).

Participants are walked through the real action functions of enrolment, randomization and the
pharmacy, as the user of each role, on a simulated clock:

    SimClock / sim_clock     fixture: the web clock at START, advanced by hand
    ready(people)            screened, eligible, consented, baseline entered
    randomized_pair(people)  two participants randomized on the same day, one per arm
    dose(people, p)          prepared, checked by a second pharmacist, administered now
    arm_of_p(people, p)      the arm, opened with the DSMB's capability
    masked(text, *ps)        a page with codes, kit codes and ids replaced by placeholders
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.blind import capability
from psytrial.web.enrolment.actions import enter_form, screen
from psytrial.web.pharmacy.actions import check_preparation, prepare_dose, record_administration
from psytrial.web.randomization.actions import generate_list, randomize
from psytrial.web.randomization.queries import sealed_arm_token
from psytrial.web.sealing import unseal
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Participant
from tests.web.personas import PASSWORD, Personas

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
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
CONSENT = {"consent_version": "2.1", "consent_date": "2025-03-03", "taken_by": "Dr Burakov"}
BASELINE = {"age": "35", "sex": "male", "weight_kg": "70", "years_heroin_use": "8"}
NORMAL_VITALS = {
    "time": "10:00",
    "systolic_bp": "130",
    "diastolic_bp": "80",
    "heart_rate": "80",
    "spo2": "98",
}
UNBLINDED = {Role.PHARMACIST, Role.RANDOMIZATION_STATISTICIAN, Role.DSMB_MEMBER}
BLINDED = set(Role) - UNBLINDED


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class SimClock:
    now: datetime = START

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


@pytest.fixture(name="sim_clock")
def sim_clock_fixture() -> Iterator[SimClock]:
    sim = SimClock()
    with clock.simulated(lambda: sim.now):
        yield sim


def ready(people: Personas, sex: str = "male") -> Participant:
    inv = people[Role.INVESTIGATOR]
    p = screen(inv, people.study, people.study.sites.get(code="spb"))
    enter_form(inv, p, "eligibility", "screening", ELIGIBLE)
    enter_form(
        inv, p, "consent", "screening", {**CONSENT, "consent_date": clock.today().isoformat()}
    )
    enter_form(inv, p, "baseline", "baseline", {**BASELINE, "sex": sex})
    p.refresh_from_db()
    return p


def publish_list(people: Personas) -> None:
    generate_list(
        people[Role.RANDOMIZATION_STATISTICIAN], people.study, n_per_stratum=20, seed=20020101
    )


def arm_of_p(people: Personas, p: Participant) -> str:
    token = sealed_arm_token(p)
    assert token is not None
    cap = capability(people[Role.DSMB_MEMBER], people.study)
    return str(unseal(token, cap, study_id=people.study.pk, participant_id=p.pk)["arm"])


def randomized_pair(people: Personas) -> tuple[Participant, Participant]:
    """Randomize ready participants until one is in each arm; return (high, low).

    Extra participants randomized on the way are withdrawn, so they never show on a list.
    """
    publish_list(people)
    found: dict[str, Participant] = {}
    while len(found) < 2:
        p = ready(people)
        randomize(people[Role.INVESTIGATOR], p)
        p.refresh_from_db()
        found.setdefault(arm_of_p(people, p), p)
    return found["high"], found["low"]


def second_pharmacist(people: Personas) -> AbstractBaseUser:
    name = f"pharmacist2_{people.study.code}"
    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        user = create_user(name, PASSWORD)
        grant_role(user, people.study, Role.PHARMACIST)
    return user


def dose(people: Personas, p: Participant) -> Participant:
    """Prepare, check and administer the participant's kit at the clock's now."""
    prep = prepare_dose(people[Role.PHARMACIST], people.study, p.pk, None)
    check_preparation(second_pharmacist(people), people.study, prep.pk)
    record_administration(
        people[Role.SESSION_CLINICIAN],
        people.study,
        p.pk,
        kit_code=p.kit_code,
        administered_at=clock.now(),
        volume_ml=Decimal(prep.total_ml),
    )
    p.refresh_from_db()
    return p


def client_of(user: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def masked(text: str, *participants: Participant) -> str:
    """The text with what may differ between participants replaced: codes, kit codes, ids."""
    for i, p in enumerate(participants):
        text = text.replace(p.kit_code, f"<kit{i}>").replace(p.code, f"<code{i}>")
        text = re.sub(rf"/(participants|pharmacy|administration)/{p.pk}/", rf"/\1/<id{i}>/", text)
        text = re.sub(rf'"participant_id": {p.pk}\b', f'"participant_id": <id{i}>', text)
    text = re.sub(r"/adverse-events/\d+/", "/adverse-events/<rec>/", text)
    text = re.sub(r'(id|for)="ref-\d+"', r'\1="ref-<rec>"', text)
    return re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', "<csrf>", text
    )


def hrs_answers(p: Participant, rating: str = "2") -> dict[str, str]:
    defn = p.study.protocol.instrument("hrs")
    return {item: rating for items in defn.clusters().values() for item in items}  # type: ignore[attr-defined]


def colour_answers(p: Participant) -> dict[str, str]:
    defn = p.study.protocol.instrument("colour_test")
    colours = list(defn.colours)  # type: ignore[attr-defined]
    answers = {f"rank_{i}": c for i, c in enumerate(colours, start=1)}
    answers |= {f"concept_{c}": colours[i % len(colours)] for i, c in enumerate(defn.concepts)}  # type: ignore[attr-defined]
    return answers


FOLLOWUP_CLEAN = {
    "heroin_use": "false",
    "urine": "negative",
    "collateral": "no_use",
    "first_use_date": "",
}
GUESSERS = {
    "participant": Role.PSYCHOTHERAPIST,
    "therapist": Role.PSYCHOTHERAPIST,
    "rater": Role.OUTCOME_RATER,
}


def guess(people: Personas, p: Participant, visit: str, who: str) -> None:
    enter_form(
        people[GUESSERS[who]],
        p,
        "blinding_guess",
        visit,
        {"guesser_role": who, "guessed_arm": "dont_know", "confidence": "50"},
    )


def complete_integration1(people: Personas, p: Participant, skip: str = "") -> None:
    """Every form of integration1 (one may be skipped by instrument id or guesser)."""
    pt, rater = people[Role.PSYCHOTHERAPIST], people[Role.OUTCOME_RATER]
    steps = {
        "integration_note": lambda: enter_form(
            pt, p, "integration_note", "integration1", {"duration_min": "60", "note": ""}
        ),
        "craving": lambda: enter_form(rater, p, "craving", "integration1", {"value": "40"}),
        "colour_test": lambda: enter_form(
            rater, p, "colour_test", "integration1", colour_answers(p)
        ),
    }
    for name, step in steps.items():
        if name != skip:
            step()
    for who in GUESSERS:
        if who != skip:
            guess(people, p, "integration1", who)
