"""What an action transaction keeps: the participant locks and the audit chain head.

The chain head is read (and locked) once per action transaction; each entry moves it on.
What was kept inside a savepoint is read again once that savepoint has ended, because it may
have been rolled back: the chain must stay whole either way.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from psytrial.web.audit import trail
from psytrial.web.audit.models import AuditEntry
from psytrial.web.txn import action_transaction, current

pytestmark = pytest.mark.django_db


def _entry(n: int) -> None:
    trail.record(actor="tester", action=f"test.step{n}", object_type="thing", object_id=n)


def _head_reads(captured: CaptureQueriesContext) -> int:
    return sum(
        1 for q in captured.captured_queries
        if q["sql"].startswith("SELECT seq, hash FROM") and "audit_chainhead" in q["sql"]
    )


def test_the_head_is_read_once_per_action_transaction() -> None:
    with CaptureQueriesContext(connection) as captured, action_transaction():
        for n in range(5):
            _entry(n)
    assert _head_reads(captured) == 1
    assert trail.verify().ok
    assert trail.head()[0] == AuditEntry.objects.count()


def test_outside_an_action_transaction_every_entry_reads_the_head() -> None:
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        for n in range(3):
            _entry(n)
    assert _head_reads(captured) == 3
    assert trail.verify().ok


def test_a_rolled_back_savepoint_does_not_fork_the_chain() -> None:
    class Undo(Exception):
        pass

    with action_transaction():
        _entry(1)
        with pytest.raises(Undo), transaction.atomic():  # a savepoint inside the action
            _entry(2)  # kept inside the savepoint...
            raise Undo  # ...and rolled back with it
        with CaptureQueriesContext(connection) as captured:
            _entry(3)  # must follow entry 1, not the vanished entry 2
        assert _head_reads(captured) == 1
    assert [e.action for e in AuditEntry.objects.order_by("seq")][-2:] == [
        "test.step1", "test.step3"
    ]
    assert trail.verify().ok


def test_a_released_savepoint_keeps_the_chain_whole_too() -> None:
    with action_transaction():
        _entry(1)
        with transaction.atomic():
            _entry(2)
        _entry(3)
    assert [e.action for e in AuditEntry.objects.order_by("seq")][-3:] == [
        "test.step1", "test.step2", "test.step3"
    ]
    assert trail.verify().ok


def test_kept_values_end_with_their_savepoint() -> None:
    with action_transaction():
        state = current()
        assert state is not None
        state.keep("outer", 1)
        with transaction.atomic():
            state.keep("inner", 2)
            assert (state.kept("outer"), state.kept("inner")) == (1, 2)
        assert (state.kept("outer"), state.kept("inner")) == (1, None)
    assert current() is None


def test_a_participant_read_locked_is_not_locked_again(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.core.roles import Role
    from psytrial.web.enrolment.actions import screen
    from psytrial.web.txn import lock_participant, locked_participant

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    with CaptureQueriesContext(connection) as captured, action_transaction():
        row = locked_participant(participant.pk)
        lock_participant(participant.pk)
        lock_participant(participant.pk)
    assert row is not None and row.code == participant.code
    reads = [q["sql"] for q in captured.captured_queries if "trial_participant" in q["sql"]]
    assert len(reads) == 1
    assert reads[0].endswith("FOR UPDATE") == (connection.vendor == "postgresql")
    with action_transaction():
        assert locked_participant(987654321) is None


def test_a_participant_fetched_locked_is_not_locked_again(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.core.roles import Role
    from psytrial.web.enrolment.actions import screen
    from psytrial.web.permissions import fetch_participant
    from psytrial.web.txn import lock_participant

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    with CaptureQueriesContext(connection) as captured, action_transaction():
        found, _ = fetch_participant(people[Role.OUTCOME_RATER], people.study, participant.pk,
                                     {Role.OUTCOME_RATER}, lock=True)
        lock_participant(found.pk)
    reads = [q["sql"] for q in captured.captured_queries if "trial_participant" in q["sql"]]
    assert len(reads) == 1
    assert ("FOR UPDATE" in reads[0]) == (connection.vendor == "postgresql")


def test_lock_with_head_keeps_the_head_and_finds_its_row(people) -> None:  # type: ignore[no-untyped-def]
    """One statement takes the row and the head; the entries after it need no head read and
    the chain stays whole. No such row: None, and the head is read as usual afterwards."""
    from psytrial.web.trial.models import Study

    with CaptureQueriesContext(connection) as captured, action_transaction():
        found = trail.lock_with_head(Study, code=people.study.code)
        for n in range(3):
            _entry(n)
    assert found == people.study.pk
    sent = [q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert _head_reads(captured) == 0 and len(sent) == 1 + 3 * (
        1 if connection.vendor == "postgresql" else 2)
    assert trail.verify().ok

    with CaptureQueriesContext(connection) as captured, action_transaction():
        assert trail.lock_with_head(Study, code="no-such-study") is None
        _entry(9)
    assert trail.verify().ok


@pytest.mark.django_db(transaction=True)
def test_lock_with_head_locks_both_rows_on_postgresql(people) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    from psytrial.web.trial.models import Study

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite's write transaction holds the database)")
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
        dbname=settings["NAME"], autocommit=True,
    )
    try:
        with action_transaction():
            trail.lock_with_head(Study, code=people.study.code)
            for table, where in (("audit_chainhead", "id = 1"),
                                 ("trial_study", f"id = {people.study.pk}")):
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    other.execute(f"SELECT 1 FROM {table} WHERE {where} FOR UPDATE NOWAIT")
        other.execute("SELECT 1 FROM audit_chainhead WHERE id = 1 FOR UPDATE NOWAIT")
    finally:
        other.close()
