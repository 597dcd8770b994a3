"""The participant status machine, over the whole table.

The legal transitions are listed again here by hand, as plain strings, so that the module's
table and this list must be changed together. Every (state, event) pair that is not in the
list must raise IllegalTransition.
"""

from __future__ import annotations

from itertools import product

import pytest

from psytrial.core.errors import TransitionError
from psytrial.core.status import (
    INITIAL_STATE,
    TERMINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    ParticipantEvent,
    ParticipantState,
    allowed_events,
    transition,
)

LEGAL: dict[tuple[str, str], str] = {
    ("screened", "eligibility_confirmed"): "eligible",
    ("screened", "eligibility_failed"): "ineligible",
    ("screened", "withdrew"): "withdrawn",
    ("eligible", "consent_recorded"): "consented",
    ("eligible", "eligibility_failed"): "ineligible",
    ("eligible", "withdrew"): "withdrawn",
    ("consented", "randomized"): "randomized",
    ("consented", "eligibility_failed"): "ineligible",
    ("consented", "withdrew"): "withdrawn",
    ("randomized", "dose_administered"): "dosed",
    ("randomized", "withdrew"): "withdrawn",
    ("randomized", "lost"): "lost_to_follow_up",
    ("dosed", "dose_administered"): "dosed",
    ("dosed", "follow_up_started"): "in_follow_up",
    ("dosed", "withdrew"): "withdrawn",
    ("dosed", "lost"): "lost_to_follow_up",
    ("in_follow_up", "follow_up_completed"): "completed",
    ("in_follow_up", "withdrew"): "withdrawn",
    ("in_follow_up", "lost"): "lost_to_follow_up",
}

ALL_PAIRS = list(product(ParticipantState, ParticipantEvent))
ILLEGAL = [(s, e) for s, e in ALL_PAIRS if (s.value, e.value) not in LEGAL]


def test_it_holds_exactly_the_listed_transitions() -> None:
    table = {
        (state.value, event.value): new.value
        for state, row in TRANSITIONS.items()
        for event, new in row.items()
    }
    assert table == LEGAL
    assert set(TRANSITIONS) == set(ParticipantState)
    assert len(ILLEGAL) == len(ParticipantState) * len(ParticipantEvent) - len(LEGAL)


@pytest.mark.parametrize(("pair", "new"), sorted(LEGAL.items()))
def test_it_applies_each_legal_transition(pair: tuple[str, str], new: str) -> None:
    state, event = pair
    assert transition(ParticipantState(state), ParticipantEvent(event)) is ParticipantState(new)
    assert transition(state, event) is ParticipantState(new)


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_it_refuses_each_illegal_pair_naming_state_event_and_allowed_events(
    state: ParticipantState, event: ParticipantEvent
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(state, event)
    error = caught.value
    assert isinstance(error, TransitionError)
    assert error.state is state
    assert error.event is event
    allowed = tuple(e for (s, e) in LEGAL if s == state.value)
    assert tuple(e.value for e in error.allowed) == allowed
    message = str(error)
    assert f"'{state.value}'" in message
    assert f"got '{event.value}'" in message
    for name in allowed:
        assert name in message
    assert "\n" not in message


def test_it_words_the_error_for_a_non_terminal_state() -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(ParticipantState.SCREENED, ParticipantEvent.RANDOMIZED)
    assert str(caught.value) == (
        "participant in state 'screened': expected one of eligibility_confirmed, "
        "eligibility_failed, withdrew, got 'randomized'"
    )


def test_it_words_the_error_for_a_terminal_state() -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition("completed", "withdrew")
    assert str(caught.value) == (
        "participant in state 'completed': expected no event (the state is terminal), "
        "got 'withdrew'"
    )
    assert caught.value.allowed == ()


def test_it_names_the_terminal_states() -> None:
    assert {s.value for s in TERMINAL_STATES} == {
        "ineligible",
        "completed",
        "withdrawn",
        "lost_to_follow_up",
    }
    for state in TERMINAL_STATES:
        assert allowed_events(state) == ()


def test_it_reaches_every_state_from_screening_and_a_terminal_state_from_every_state() -> None:
    assert INITIAL_STATE is ParticipantState.SCREENED
    reached = {INITIAL_STATE}
    frontier = [INITIAL_STATE]
    while frontier:
        state = frontier.pop()
        for new in TRANSITIONS[state].values():
            if new not in reached:
                reached.add(new)
                frontier.append(new)
    assert reached == set(ParticipantState)
    for state in ParticipantState:
        # A participant may withdraw from every state that is not terminal.
        assert state in TERMINAL_STATES or ParticipantEvent.WITHDREW in allowed_events(state)


def test_it_follows_the_reference_trial_path_to_completion() -> None:
    events = [
        "eligibility_confirmed",
        "consent_recorded",
        "randomized",
        "dose_administered",
        "follow_up_started",
        "follow_up_completed",
    ]
    state: ParticipantState | str = "screened"
    for event in events:
        state = transition(state, event)
    assert state is ParticipantState.COMPLETED


def test_it_allows_lost_to_follow_up_only_after_randomization() -> None:
    before = [ParticipantState.SCREENED, ParticipantState.ELIGIBLE, ParticipantState.CONSENTED]
    for state in before:
        assert ParticipantEvent.LOST not in allowed_events(state)
    assert allowed_events("randomized") == (
        ParticipantEvent.DOSE_ADMINISTERED,
        ParticipantEvent.WITHDREW,
        ParticipantEvent.LOST,
    )


def test_it_refuses_unknown_state_and_event_names() -> None:
    with pytest.raises(TransitionError, match=r"state: expected one of screened, .*got 'enrolled'"):
        transition("enrolled", "randomized")
    with pytest.raises(TransitionError, match=r"event: expected one of .*got 'dosed'"):
        transition("randomized", "dosed")
    with pytest.raises(TransitionError, match="state: expected"):
        allowed_events("nope")


def test_it_keeps_the_table_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[ParticipantState.COMPLETED][ParticipantEvent.WITHDREW] = (  # type: ignore[index]
            ParticipantState.WITHDRAWN
        )
