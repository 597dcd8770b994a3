"""Helpers shared by the quality, export and API tests (this module holds no tests).

dosed_pair(people, clock)     two participants randomized (one per arm), dosed, 1 h later
small_trial(people, clock)    a two-arm trial run through the action functions for three
                              months of follow-up, with a screen failure, a marked missed
                              visit, a withdrawal, an adverse event and blinding guesses;
                              the expected tidy rows are written out by hand in the tests
record_of(p, instrument, visit)  the participant's form record
extra_user(people, role, site=None)   one more login in a role (e.g. at a second site)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from psytrial.core.roles import Role
from psytrial.web.enrolment.actions import enter_form, screen
from psytrial.web.forms.models import FormRecord
from psytrial.web.pharmacy.actions import record_administration
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Participant, Site
from psytrial.web.visits.actions import enter_visit_form, mark_missed, withdraw
from tests.web.personas import PASSWORD, Personas
from tests.web.test_pharmacy_support import (
    ELIGIBLE,
    SimClock,
    checked,
    randomized_pair,
    second_pharmacist,
)

HRS_ITEMS_AT = 2  # every HRS item rated 2: every cluster mean is 2.0
RANKING = ["grey", "blue", "green", "red", "yellow", "violet", "brown", "black"]
CONCEPTS = {
    "myself": "blue",
    "my_future": "green",
    "heroin": "black",
    "my_ideal_self": "grey",
    "my_life_without_heroin": "yellow",
}
# positivity = (8 - rank) / 7, rank = the concept colour's place in RANKING (1 = grey)
POSITIVITY = {
    "myself": 6 / 7,
    "my_future": 5 / 7,
    "heroin": 0.0,
    "my_ideal_self": 1.0,
    "my_life_without_heroin": 3 / 7,
}


def extra_user(
    people: Personas, role: Role, site: Site | None = None, name: str = ""
) -> AbstractBaseUser:
    user = create_user(name or f"{role.value}_{site.code if site else 'all'}_extra", PASSWORD)
    grant_role(user, people.study, role, site)
    return user


def record_of(p: Participant, instrument: str, visit: str, variant: str = "") -> FormRecord:
    return FormRecord.objects.get(
        participant=p, instrument_id=instrument, visit_id=visit, variant=variant
    )


def dosed_pair(people: Personas, clock: SimClock) -> tuple[Participant, Participant]:
    high, low = randomized_pair(people)
    checker = second_pharmacist(people)
    clock.advance(minutes=5)
    for p in (high, low):
        checked(people, p, checker)
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
        p.refresh_from_db()
    return high, low


def hrs_answers() -> dict[str, str]:
    from psytrial.core.instruments.hrs_bank import BUILTIN_ITEMS

    return {item.id: str(HRS_ITEMS_AT) for item in BUILTIN_ITEMS}


def colour_answers() -> dict[str, str]:
    answers = {f"rank_{i}": c for i, c in enumerate(RANKING, start=1)}
    answers.update({f"concept_{k}": v for k, v in CONCEPTS.items()})
    return answers


def followup(heroin: bool, urine: str, collateral: str = "unknown") -> dict[str, str]:
    return {"heroin_use": "true" if heroin else "false", "urine": urine, "collateral": collateral}


@dataclass
class SmallTrial:
    high: Participant
    low: Participant
    failed: Participant
    session_day: date
    withdrawn_on: date


def small_trial(people: Personas, clock: SimClock) -> SmallTrial:
    """See the module docstring; the clock ends on day 91 after the drug session."""
    inv, rater = people[Role.INVESTIGATOR], people[Role.OUTCOME_RATER]
    therapist = people[Role.PSYCHOTHERAPIST]
    failed = screen(inv, people.study, people.study.sites.get(code="spb"))
    enter_form(inv, failed, "eligibility", "screening", {**ELIGIBLE, "psychosis": "true"})
    high, low = dosed_pair(people, clock)
    session_day = clock.now.date()
    for p, craving in ((high, "60"), (low, "70")):
        enter_form(rater, p, "craving", "baseline", {"value": craving})
        enter_form(rater, p, "colour_test", "baseline", colour_answers())
        enter_form(therapist, p, "hrs", "session", hrs_answers())
        for who, guess in (("participant", "high"), ("therapist", "dont_know")):
            enter_form(
                therapist,
                p,
                "blinding_guess",
                "integration1",
                {"guesser_role": who, "guessed_arm": guess, "confidence": "60"},
            )
        enter_form(
            rater,
            p,
            "blinding_guess",
            "integration1",
            {"guesser_role": "rater", "guessed_arm": "low", "confidence": "50"},
        )
    enter_visit_form(
        inv,
        high,
        "adverse_event",
        "",
        {
            "term": "Nausea",
            "onset_date": session_day.isoformat(),
            "serious": "false",
            "severity": "mild",
            "related": "possible",
            "outcome": "recovered",
        },
    )
    clock.advance(days=30)
    for p in (high, low):
        enter_visit_form(rater, p, "followup", "m01", followup(False, "negative"))
        enter_form(rater, p, "craving", "m01", {"value": "40"})
    clock.advance(days=30)
    mark_missed(rater, high, "m02", "could not be reached")
    enter_visit_form(rater, low, "followup", "m02", followup(True, "positive", "use"))
    clock.advance(days=15)
    withdrawn_on = clock.now.date()
    withdraw(inv, low, date=withdrawn_on, reason="moved away")
    clock.advance(days=15)
    enter_visit_form(rater, high, "followup", "m03", followup(False, "not_done", "no_use"))
    clock.advance(days=1)
    for p in (high, low, failed):
        p.refresh_from_db()
    return SmallTrial(high, low, failed, session_day, withdrawn_on)


def cohort(people: Personas, clock: SimClock, n: int = 8) -> list[Participant]:
    """`n` participants randomized, dosed and followed for three months (varied answers)."""
    from tests.web.test_enrolment_support import publish
    from tests.web.test_pharmacy_support import ready

    inv, rater = people[Role.INVESTIGATOR], people[Role.OUTCOME_RATER]
    publish(people)
    checker = second_pharmacist(people)
    group = []
    for i in range(n):
        p = ready(people, sex="male" if i % 3 else "female")
        randomize(inv, p)
        p.refresh_from_db()
        checked(people, p, checker)
        group.append(p)
    clock.advance(hours=1)
    for i, p in enumerate(group):
        record_administration(
            people[Role.SESSION_CLINICIAN],
            people.study,
            p.pk,
            kit_code=p.kit_code,
            volume_ml=Decimal("5.0"),
            administered_at=clock.now - timedelta(minutes=30),
        )
        enter_form(rater, p, "craving", "baseline", {"value": str(50 + 7 * i % 40)})
        enter_form(people[Role.PSYCHOTHERAPIST], p, "hrs", "session", hrs_answers())
    for month in (1, 2, 3):
        clock.advance(days=30)
        for i, p in enumerate(group):
            use = (i + month) % 4 == 0
            enter_visit_form(
                rater,
                p,
                "followup",
                f"m{month:02d}",
                followup(use, "positive" if use else "negative"),
            )
            if month in (1, 3):
                enter_form(
                    rater,
                    p,
                    "craving",
                    f"m{month:02d}",
                    {"value": str((30 + 11 * i + 5 * month) % 90)},
                )
    for p in group:
        p.refresh_from_db()
    return group
