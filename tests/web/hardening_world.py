"""A study with data in every corner, for the hardening tests (this module holds no tests).

`build_world(people, clock)` runs the real action functions only: two participants
randomized (one per arm), both doses prepared and checked by two pharmacists, both injections
recorded, session forms (vital signs, HRS) and follow-up forms entered, an adverse event, and
an emergency unblinding of the high-dose participant. The access-control matrix fills URL
parameters from it; the backup tests round-trip it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps

from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.blind import capability
from psytrial.web.enrolment.actions import enter_form, screen
from psytrial.web.forms.models import FormRecord
from psytrial.web.pharmacy.actions import (
    check_preparation,
    prepare_dose,
    record_administration,
)
from psytrial.web.pharmacy.allocation import arm_of
from psytrial.web.pharmacy.models import DosePreparation
from psytrial.web.randomization.actions import generate_list, randomize
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import EmergencyUnblinding, Participant
from psytrial.web.unblinding.actions import request_emergency_unblinding
from psytrial.web.visits.actions import enter_visit_form
from tests.web.personas import PASSWORD, Personas

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
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
BASELINE = {"age": "35", "sex": "male", "weight_kg": "70", "years_heroin_use": "8"}

VITALS = {
    "time": "10:15",
    "systolic_bp": "130",
    "diastolic_bp": "80",
    "heart_rate": "88",
    "spo2": "98",
}
FOLLOWUP = {"heroin_use": "false", "urine": "negative", "collateral": "no_use"}
ADVERSE = {
    "term": "Nausea",
    "onset_date": "2024-03-01",
    "serious": "false",
    "severity": "mild",
    "related": "possible",
    "outcome": "recovered",
}


@dataclass
class SimClock:
    now: datetime = START

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(name="sim_clock")
def sim_clock_fixture() -> Iterator[SimClock]:
    """The web clock, simulated and advanced by hand."""
    sim = SimClock()
    with clock.simulated(lambda: sim.now):
        yield sim


@dataclass
class World:
    people: Personas
    high: Participant
    low: Participant
    preparations: dict[str, DosePreparation]  # by arm
    grant: EmergencyUnblinding
    vitals: FormRecord
    followup: FormRecord
    followup_low: FormRecord
    adverse: FormRecord
    query: Any  # a data query on the high-dose follow-up form (None without the quality app)

    def participant(self, arm: str) -> Participant:
        return self.high if arm == "high" else self.low


def ready(people: Personas) -> Participant:
    """Screened, eligible, consented, baseline entered."""
    inv = people[Role.INVESTIGATOR]
    p = screen(inv, people.study, people.study.sites.get(code="spb"))
    enter_form(inv, p, "eligibility", "screening", ELIGIBLE)
    enter_form(inv, p, "consent", "screening", CONSENT)
    enter_form(inv, p, "baseline", "baseline", BASELINE)
    p.refresh_from_db()
    return p


def randomized_pair(people: Personas) -> tuple[Participant, Participant]:
    """Randomize participants until one is in each arm; (high, low)."""
    generate_list(
        people[Role.RANDOMIZATION_STATISTICIAN], people.study, n_per_stratum=20, seed=20020101
    )
    opener = capability(people[Role.PHARMACIST], people.study)
    found: dict[str, Participant] = {}
    while len(found) < 2:
        p = ready(people)
        randomize(people[Role.INVESTIGATOR], p)
        p.refresh_from_db()
        found.setdefault(arm_of(p, opener), p)
    return found["high"], found["low"]


def build_world(people: Personas, clock: SimClock) -> World:
    high, low = randomized_pair(people)
    checker = create_user(f"pharmacist2_{people.study.code}", PASSWORD)
    grant_role(checker, people.study, Role.PHARMACIST)
    clock.advance(minutes=5)
    preparations = {}
    for arm, p in (("high", high), ("low", low)):
        prep = prepare_dose(people[Role.PHARMACIST], people.study, p.pk)
        preparations[arm] = check_preparation(checker, people.study, prep.pk)
    clock.advance(hours=1)
    for p in (high, low):
        record_administration(
            people[Role.SESSION_CLINICIAN],
            people.study,
            p.pk,
            kit_code=p.kit_code,
            volume_ml=Decimal("5.0"),
            administered_at=clock.now - timedelta(minutes=30),
        )
    sc = people[Role.SESSION_CLINICIAN]
    vitals = enter_visit_form(sc, high, "vitals", "session", VITALS)
    enter_visit_form(sc, low, "vitals", "session", VITALS)
    adverse = enter_visit_form(sc, high, "adverse_event", "", ADVERSE)
    clock.advance(days=30)
    rater = people[Role.OUTCOME_RATER]
    followup = enter_visit_form(rater, high, "followup", "m01", FOLLOWUP)
    followup_low = enter_visit_form(rater, low, "followup", "m01", FOLLOWUP)
    grant = request_emergency_unblinding(
        people[Role.INVESTIGATOR], people.study, high.pk, "anaphylaxis in the emergency room"
    )
    for p in (high, low):
        p.refresh_from_db()
    return World(
        people,
        high,
        low,
        preparations,
        grant,
        vitals,
        followup,
        followup_low,
        adverse,
        _query(people, followup),
    )


def _query(people: Personas, record: FormRecord) -> Any:
    if not apps.is_installed("psytrial.web.quality"):
        return None
    from psytrial.web.quality.actions import raise_query

    return raise_query(people[Role.DATA_MANAGER], record, "urine", "Please confirm the result.")
