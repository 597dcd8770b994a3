"""What still stands between a participant and randomization, in words for the investigator.

Randomization needs: the eligibility checklist entered and met, consent recorded (status
consented), and the stratum known. `readiness` reads what it needs in one query and lists
every missing step, so the participant page and the refusal say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from psytrial.core.status import ParticipantState
from psytrial.web.enrolment import rules
from psytrial.web.forms.catalog import CONSENT_ID
from psytrial.web.forms.queries import current_values, latest_values
from psytrial.web.trial.models import Participant


@dataclass(frozen=True)
class Readiness:
    eligibility: rules.Eligibility | None  # None: the checklist has not been entered
    stratum: rules.StratumResult
    blockers: tuple[str, ...]  # empty: ready (or already randomized)


def eligibility_of(participant: Participant) -> rules.Eligibility | None:
    """The checklist's verdict, or None when it has not been entered."""
    values = latest_values(participant, rules.ELIGIBILITY_ID)
    if values is None:
        return None
    return rules.eligibility(participant.study.protocol, values)


def readiness(participant: Participant) -> Readiness:
    protocol = participant.study.protocol
    wanted = {rules.ELIGIBILITY_ID, CONSENT_ID} | rules.source_instruments(protocol)
    values = current_values(participant, wanted)
    checklist = values.get(rules.ELIGIBILITY_ID)
    verdict = None if checklist is None else rules.eligibility(protocol, checklist)
    stratum = rules.stratum(protocol, participant.site.code, values.get)
    if participant.randomized_at is not None:
        return Readiness(verdict, stratum, ())
    found: list[str] = []
    if verdict is None:
        found.append("eligibility checklist not entered yet")
    elif not verdict.eligible:
        found.append(verdict.summary())
    if CONSENT_ID not in values:
        found.append("consent not recorded yet")
    state = ParticipantState(participant.status)
    if state != ParticipantState.CONSENTED:
        found.append(f"expected status consented, got {state.value}")
    found.extend(stratum.missing)
    return Readiness(verdict, stratum, tuple(found))


def blockers(participant: Participant) -> list[str]:
    """Why the participant cannot be randomized now (empty: ready, or already randomized)."""
    return list(readiness(participant).blockers)
