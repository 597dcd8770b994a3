"""The frozen values a virtual cohort is made of: people, visits, entries, courses.

A `VirtualPerson` is someone screened: arrival date, site, characteristics, eligibility
answers, consent, and (if randomizable) the answers of the visits before randomization.
A `ParticipantCourse` is what happens to a randomized person given the arm they ended up in.
Answers are in the raw shape the core instruments accept (`validate_form`, `score`); the
mappings inside are plain dicts: treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from psytrial.core.instruments import ColourTestAnswers
from psytrial.core.instruments.values import FieldValue

AnswerValue = Mapping[str, FieldValue] | ColourTestAnswers | float
EndKind = Literal["completed", "relapsed", "lost", "withdrew"]


@dataclass(frozen=True)
class Entry:
    """One filled instrument: a form entry, HRS items, a VAS mark or a colour test.

    Repeating forms (session vital signs) and forms filled once per guesser (blinding
    guesses) give several entries of the same instrument at one visit.
    """

    instrument_id: str
    answers: AnswerValue


@dataclass(frozen=True)
class VisitRecord:
    """A visit as it happened: its date, whether it was attended, and what was entered."""

    visit_id: str
    date: date
    attended: bool
    month: int | None
    entries: tuple[Entry, ...]

    def entries_for(self, instrument_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.instrument_id == instrument_id)


@dataclass(frozen=True)
class VirtualPerson:
    """Someone screened. `slot` is their place among the randomizable (None if not)."""

    index: int
    screening_id: str
    site: str
    screened_on: date
    sex: str
    age: int
    weight_kg: float
    years_heroin_use: float
    criteria: Mapping[str, bool]
    failed_criteria: tuple[str, ...]
    consented: bool | None
    slot: int | None
    randomize_on: date | None
    visits: tuple[VisitRecord, ...]
    # Latent, never observed directly: the person's own craving level (random intercept).
    craving_intercept: float

    @property
    def eligible(self) -> bool:
        return not self.failed_criteria

    @property
    def randomizable(self) -> bool:
        return self.slot is not None


@dataclass(frozen=True)
class AdverseEvent:
    onset_date: date
    term: str
    serious: bool
    severity: str
    related: str
    outcome: str
    entry: Entry | None


@dataclass(frozen=True)
class BlindingGuess:
    visit_id: str
    role: str
    guessed_arm: str
    confidence: int


@dataclass(frozen=True)
class ParticipantCourse:
    """What happens to one randomized person in one arm, from randomization to the end.

    `visits` lists every post-randomization visit up to the end of participation, attended
    or missed, in date order; visits after the end are absent. `relapse_month` is the latent
    month in which heroin use starts (None: not within the horizon);
    `relapse_detected_month` the follow-up month whose visit confirmed it (None: never
    observed, because the person left or missed every visit after it).
    """

    person_index: int
    arm: str
    randomized_on: date
    received_session: bool
    session_date: date | None
    visits: tuple[VisitRecord, ...]
    adverse_events: tuple[AdverseEvent, ...]
    guesses: tuple[BlindingGuess, ...]
    relapse_month: int | None
    relapse_detected_month: int | None
    end: EndKind
    end_date: date
    last_followup_month: int
    withdrawal: Entry | None

    def visit(self, visit_id: str) -> VisitRecord | None:
        return next((v for v in self.visits if v.visit_id == visit_id), None)
