"""What still stands between a participant and randomization, in words for the investigator.

Randomization needs: the eligibility checklist entered and met, consent recorded (status
consented), and the stratum known. `blockers` lists every missing step, so the participant
page and the refusal say the same thing.
"""

from __future__ import annotations

from psytrial.core.status import ParticipantState
from psytrial.web.enrolment import rules
from psytrial.web.forms.catalog import CONSENT_ID
from psytrial.web.forms.queries import latest_values
from psytrial.web.trial.models import Participant


def eligibility_of(participant: Participant) -> rules.Eligibility | None:
    """The checklist's verdict, or None when it has not been entered."""
    values = latest_values(participant, rules.ELIGIBILITY_ID)
    if values is None:
        return None
    return rules.eligibility(participant.study.protocol, values)


def blockers(participant: Participant) -> list[str]:
    """Why the participant cannot be randomized now (empty: ready, or already randomized)."""
    if participant.randomized_at is not None:
        return []
    state = ParticipantState(participant.status)
    found: list[str] = []
    verdict = eligibility_of(participant)
    if verdict is None:
        found.append("eligibility checklist not entered yet")
    elif not verdict.eligible:
        found.append(verdict.summary())
    if latest_values(participant, CONSENT_ID) is None:
        found.append("consent not recorded yet")
    if state != ParticipantState.CONSENTED:
        found.append(f"expected status consented, got {state.value}")
    result = rules.stratum(
        participant.study.protocol,
        participant.site.code,
        lambda instrument_id: latest_values(participant, instrument_id),
    )
    found.extend(result.missing)
    return found
