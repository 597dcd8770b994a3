"""The participant status machine, as a table (in the manner of h11's `_state.py`).

Every status change a participant can go through is one row of TRANSITIONS: (state, event)
-> new state. Anything not in the table is illegal and raises IllegalTransition, which names
the state, the event and the events the state does allow. The web layer's action functions
call `transition` before they write, so the database can only hold paths that the table
allows, and CONSORT flow counts can be read straight off the states.

    screened --eligibility_confirmed--> eligible --consent_recorded--> consented
    screened --eligibility_failed-----> ineligible
    eligible, consented --eligibility_failed--> ineligible   (excluded before randomization)
    consented --randomized--> randomized --dose_administered--> dosed
    dosed --dose_administered--> dosed                        (protocols with several sessions)
    dosed --follow_up_started--> in_follow_up --follow_up_completed--> completed
    any non-terminal state --withdrew--> withdrawn
    randomized, dosed, in_follow_up --lost--> lost_to_follow_up

Terminal states: ineligible, completed, withdrawn, lost_to_follow_up. "Lost to follow-up"
exists only after allocation, as in the CONSORT diagram; someone who disappears before
randomization is withdrawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from psytrial.core.errors import TransitionError


class ParticipantState(StrEnum):
    SCREENED = "screened"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    CONSENTED = "consented"
    RANDOMIZED = "randomized"
    DOSED = "dosed"
    IN_FOLLOW_UP = "in_follow_up"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"


class ParticipantEvent(StrEnum):
    ELIGIBILITY_CONFIRMED = "eligibility_confirmed"
    ELIGIBILITY_FAILED = "eligibility_failed"
    CONSENT_RECORDED = "consent_recorded"
    RANDOMIZED = "randomized"
    DOSE_ADMINISTERED = "dose_administered"
    FOLLOW_UP_STARTED = "follow_up_started"
    FOLLOW_UP_COMPLETED = "follow_up_completed"
    WITHDREW = "withdrew"
    LOST = "lost"


_S = ParticipantState
_E = ParticipantEvent

_TABLE: dict[ParticipantState, dict[ParticipantEvent, ParticipantState]] = {
    _S.SCREENED: {
        _E.ELIGIBILITY_CONFIRMED: _S.ELIGIBLE,
        _E.ELIGIBILITY_FAILED: _S.INELIGIBLE,
        _E.WITHDREW: _S.WITHDRAWN,
    },
    _S.ELIGIBLE: {
        _E.CONSENT_RECORDED: _S.CONSENTED,
        _E.ELIGIBILITY_FAILED: _S.INELIGIBLE,
        _E.WITHDREW: _S.WITHDRAWN,
    },
    _S.CONSENTED: {
        _E.RANDOMIZED: _S.RANDOMIZED,
        _E.ELIGIBILITY_FAILED: _S.INELIGIBLE,
        _E.WITHDREW: _S.WITHDRAWN,
    },
    _S.RANDOMIZED: {
        _E.DOSE_ADMINISTERED: _S.DOSED,
        _E.WITHDREW: _S.WITHDRAWN,
        _E.LOST: _S.LOST_TO_FOLLOW_UP,
    },
    _S.DOSED: {
        _E.DOSE_ADMINISTERED: _S.DOSED,
        _E.FOLLOW_UP_STARTED: _S.IN_FOLLOW_UP,
        _E.WITHDREW: _S.WITHDRAWN,
        _E.LOST: _S.LOST_TO_FOLLOW_UP,
    },
    _S.IN_FOLLOW_UP: {
        _E.FOLLOW_UP_COMPLETED: _S.COMPLETED,
        _E.WITHDREW: _S.WITHDRAWN,
        _E.LOST: _S.LOST_TO_FOLLOW_UP,
    },
    _S.INELIGIBLE: {},
    _S.COMPLETED: {},
    _S.WITHDRAWN: {},
    _S.LOST_TO_FOLLOW_UP: {},
}

TRANSITIONS: Mapping[ParticipantState, Mapping[ParticipantEvent, ParticipantState]] = (
    MappingProxyType({state: MappingProxyType(row) for state, row in _TABLE.items()})
)
"""(state, event) -> new state; read-only."""

INITIAL_STATE = ParticipantState.SCREENED

TERMINAL_STATES: frozenset[ParticipantState] = frozenset(
    state for state, row in TRANSITIONS.items() if not row
)


class IllegalTransition(TransitionError):
    """An event that the participant's current state does not allow."""

    def __init__(
        self,
        state: ParticipantState,
        event: ParticipantEvent,
        allowed: tuple[ParticipantEvent, ...],
    ) -> None:
        self.state = state
        self.event = event
        self.allowed = allowed
        if allowed:
            expected = "one of " + ", ".join(e.value for e in allowed)
        else:
            expected = "no event (the state is terminal)"
        super().__init__(
            f"participant in state '{state.value}': expected {expected}, got '{event.value}'"
        )


def allowed_events(state: ParticipantState | str) -> tuple[ParticipantEvent, ...]:
    """The events `state` allows, in table order."""
    return tuple(TRANSITIONS[_state(state)])


def transition(state: ParticipantState | str, event: ParticipantEvent | str) -> ParticipantState:
    """The state after `event`, or IllegalTransition if `state` does not allow it.

    Plain strings (as stored in a database) are accepted; an unknown name is a TransitionError.
    """
    current, what = _state(state), _event(event)
    row = TRANSITIONS[current]
    if what not in row:
        raise IllegalTransition(current, what, tuple(row))
    return row[what]


def _state(value: ParticipantState | str) -> ParticipantState:
    try:
        return ParticipantState(value)
    except ValueError:
        expected = ", ".join(s.value for s in ParticipantState)
        raise TransitionError(f"state: expected one of {expected}, got {value!r}") from None


def _event(value: ParticipantEvent | str) -> ParticipantEvent:
    try:
        return ParticipantEvent(value)
    except ValueError:
        expected = ", ".join(e.value for e in ParticipantEvent)
        raise TransitionError(f"event: expected one of {expected}, got {value!r}") from None
