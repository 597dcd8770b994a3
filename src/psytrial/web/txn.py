"""The transaction of one action, and queueing concurrent writers of one participant.

`action_transaction()` opens the transaction of an action function. An action that calls
another (saving a visit's form goes through the enrolment step, which goes through the form
store) joins the transaction already open instead of opening a savepoint inside it: an
exception from the inner action leaves through the outer one, which rolls the whole
transaction back, so the savepoint bought nothing and cost two statements (two round trips to
a PostgreSQL server) per nested call. An action called inside someone else's transaction (a
test's, a caller's `transaction.atomic()`) still gets its own savepoint, so a refusal leaves
that transaction usable.

`current()`: what the open action transaction keeps while it lasts: the participants whose row
it has locked, and the audit chain head, read and locked once per transaction
(`psytrial.web.audit.trail`). What is kept inside a savepoint is forgotten when that savepoint
ends.

`lock_participant()`: on PostgreSQL a write that reads and then changes a participant's data
takes the participant's row lock (`SELECT ... FOR UPDATE`), so two saves of one participant
run one after the other; it is taken once per action transaction. SQLite has no row locks:
every write transaction starts IMMEDIATE (settings), which already holds the database's single
write lock for the whole transaction, so there is nothing more to take and no query is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from psytrial.web.fastsql import first
from psytrial.web.trial.models import Participant


@dataclass
class OpenTransaction:
    """What one action transaction keeps until it ends (or until the savepoint it was kept in
    ends: a savepoint rolled back takes its writes and its row locks with it)."""

    _kept: dict[object, tuple[tuple[str | None, ...], Any]] = field(default_factory=dict)

    def keep(self, key: object, value: Any) -> None:
        """Keep `value` for as long as the savepoint open now (or the transaction) lasts."""
        self._kept[key] = (tuple(connection.savepoint_ids), value)

    def kept(self, key: object) -> Any | None:
        """The value kept under `key`, or None if none was, or its savepoint has ended.

        A savepoint that ended may have been released or rolled back; which, Django does not
        say afterwards, so what was kept inside it is forgotten either way and read again.
        """
        found = self._kept.get(key)
        if found is None:
            return None
        where, value = found
        if tuple(connection.savepoint_ids[: len(where)]) != where:
            del self._kept[key]
            return None
        return value


# The action transaction open in this thread (None: none open).
_open: ContextVar[OpenTransaction | None] = ContextVar("psytrial_action_transaction", default=None)


@contextmanager
def action_transaction() -> Iterator[None]:
    """The action's transaction: a new one (or a savepoint), or the enclosing action's."""
    if current() is not None:
        yield
        return
    token = _open.set(OpenTransaction())
    try:
        with transaction.atomic():
            yield
    finally:
        _open.reset(token)


def current() -> OpenTransaction | None:
    """The action transaction open in this thread, if any."""
    state = _open.get()
    return state if state is not None and connection.in_atomic_block else None


def locked_participant(participant_id: int) -> Participant | None:
    """The participant's row, read afresh and locked as `lock_participant` locks it, in one
    statement (None if there is no such row)."""
    row = first(Participant, lock=True, id=participant_id)
    if row is not None:
        note_locked(participant_id)
    return row


def note_locked(participant_id: int) -> None:
    """The caller has just read the participant's row with FOR UPDATE (`fastsql.first(...,
    lock=True)`): the open action transaction holds its lock."""
    state = current()
    if state is not None and connection.features.has_select_for_update:
        state.keep(_lock(participant_id), True)


def lock_participant(participant_id: int) -> None:
    """Hold the participant's row until the surrounding transaction ends (PostgreSQL)."""
    if not connection.features.has_select_for_update:
        return
    state = current()
    if state is not None and state.kept(_lock(participant_id)):
        return
    locked_participant(participant_id)


def _lock(participant_id: int) -> tuple[str, int]:
    return ("participant lock", participant_id)
