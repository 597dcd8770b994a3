"""The transaction of one action, and queueing concurrent writers of one participant.

`action_transaction()` opens the transaction of an action function. An action that calls
another (saving a visit's form goes through the enrolment step, which goes through the form
store) joins the transaction already open instead of opening a savepoint inside it: an
exception from the inner action leaves through the outer one, which rolls the whole
transaction back, so the savepoint bought nothing and cost two statements (two round trips to
a PostgreSQL server) per nested call. An action called inside someone else's transaction (a
test's, a caller's `transaction.atomic()`) still gets its own savepoint, so a refusal leaves
that transaction usable.

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

from django.db import connection, transaction

from psytrial.web.trial.models import Participant

# The participants locked by the action transaction open in this thread (None: none open).
_open: ContextVar[set[int] | None] = ContextVar("psytrial_action_transaction", default=None)


@contextmanager
def action_transaction() -> Iterator[None]:
    """The action's transaction: a new one (or a savepoint), or the enclosing action's."""
    if _open.get() is not None and connection.in_atomic_block:
        yield
        return
    token = _open.set(set())
    try:
        with transaction.atomic():
            yield
    finally:
        _open.reset(token)


def lock_participant(participant_id: int) -> None:
    """Hold the participant's row until the surrounding transaction ends (PostgreSQL)."""
    if not connection.features.has_select_for_update:
        return
    held = _open.get()
    if held is not None and participant_id in held:
        return
    list(Participant.objects.select_for_update().filter(pk=participant_id).values_list("pk"))
    if held is not None:
        held.add(participant_id)
