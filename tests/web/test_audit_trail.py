"""The audit trail: hash-chained, append-only, and `verify` names the first broken entry."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from psytrial.web.audit import trail
from psytrial.web.audit.models import AuditEntry


def _append(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            trail.record(actor="alice", action="test.event", object_type="thing",
                         object_id=i, old={"v": i}, new={"v": i + 1}, reason="because")


@pytest.mark.django_db
def test_it_verifies_an_intact_chain() -> None:
    _append(5)
    report = trail.verify()
    assert report.ok and report.entries == 5
    assert trail.head() == (5, AuditEntry.objects.get(seq=5).hash)


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        trail.record(actor="alice", action="test.event")


@pytest.mark.django_db
def test_it_refuses_to_save_an_existing_entry_through_the_orm() -> None:
    _append(1)
    entry = AuditEntry.objects.get(seq=1)
    entry.reason = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()


@pytest.mark.django_db
def test_the_database_refuses_an_update() -> None:
    _append(1)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(reason="rewritten")


def _tamper(sql: str, params: list[object]) -> None:
    """What an attacker with database access could do: drop the trigger, then edit."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        else:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_it_names_a_modified_entry() -> None:
    _append(6)
    _tamper("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["edited", 4])
    report = trail.verify()
    assert not report.ok
    assert report.first_broken_seq == 4
    assert "modified" in report.problem


@pytest.mark.django_db
def test_it_names_a_removed_entry() -> None:
    _append(6)
    _tamper("DELETE FROM audit_auditentry WHERE seq = %s", [3])
    report = trail.verify()
    assert not report.ok and report.first_broken_seq == 4
    assert "expected sequence number 3" in report.problem


@pytest.mark.django_db
def test_it_notices_entries_cut_from_the_end() -> None:
    _append(4)
    _tamper("DELETE FROM audit_auditentry WHERE seq = %s", [4])
    report = trail.verify()
    assert not report.ok
    assert "removed from the end" in report.problem


@pytest.mark.django_db
def test_it_rolls_the_entry_back_with_the_change() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        trail.record(actor="alice", action="test.event")
        raise IntegrityError("the change failed")
    assert AuditEntry.objects.count() == 0
    assert trail.head()[0] == 0
