"""Writing and verifying the audit trail.

`record()` must run inside the action function's transaction, so the entry commits or rolls
back with the change it describes. It locks the chain head, so appends are serialized and the
chain has no forks, on SQLite (IMMEDIATE transactions) and PostgreSQL (row lock) alike.
Inside an action transaction (`psytrial.web.txn`) the head is read and locked once: the
transaction keeps it, and each entry moves it on (what a savepoint kept is read again once the
savepoint has ended, since it may have been rolled back).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Required, TypedDict, Unpack

from django.db import connection, transaction
from django.db.models import Model

from psytrial.core.audit import GENESIS, ChainEntry, ChainReport, verify_chain
from psytrial.web import clock, txn
from psytrial.web.audit.models import AuditEntry, ChainHead
from psytrial.web.fastsql import insert


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """JSON-normal form, so what is hashed equals what the database gives back."""
    return json.loads(json.dumps(dict(values or {}), default=str, sort_keys=True))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Pending:
    """An entry built on the chain head, not yet written: `row`, and `then`, the head's move
    to run with its INSERT (`fastsql.insert(row, then=then)`, or a `fastsql.Child`). Once
    both are written, `written()` keeps the new head for the rest of the transaction."""

    row: AuditEntry
    then: tuple[str, list[Any]]

    def written(self) -> None:
        state = txn.current()
        if state is not None:
            state.keep(_HEAD, (self.row.seq, self.row.hash))


def pending(
    *,
    actor: str,
    action: str,
    role: str = "",
    study: str = "",
    object_type: str = "",
    object_id: str | int = "",
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    reason: str = "",
) -> Pending:
    """The next entry of the chain, hashed on the locked head; nothing is written."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the action's transaction")
    state = txn.current()
    kept = state.kept(_HEAD) if state is not None else None
    if kept is None:
        kept = _locked_head()
        if state is not None:  # the head as read under its lock stays so until written
            state.keep(_HEAD, kept)
    seq, prev_hash = kept
    at = clock.now()
    entry = ChainEntry(
        seq=seq + 1, at=at, actor=actor, role=role, action=action, study=study,
        object_type=object_type, object_id=str(object_id), old=_plain(old), new=_plain(new),
        reason=reason, prev_hash=prev_hash,
    )
    digest = entry.digest()
    row = AuditEntry(
        seq=entry.seq, at=entry.at, actor=actor, role=role, action=action, study=study,
        object_type=object_type, object_id=entry.object_id, old=entry.old, new=entry.new,
        reason=reason, prev_hash=entry.prev_hash, hash=digest,
    )
    return Pending(row, (f"UPDATE {_head_table()} SET seq = %s, hash = %s WHERE id = 1",
                         [entry.seq, digest]))


class EntryFields(TypedDict, total=False):
    """What an entry says (`pending`'s keywords): who, what, on which object, old and new."""

    actor: Required[str]
    action: Required[str]
    role: str
    study: str
    object_type: str
    object_id: str | int
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    reason: str


def record(**fields: Unpack[EntryFields]) -> AuditEntry:
    """Append an entry to the chain, in the open transaction."""
    entry = pending(**fields)
    # The entry and the head's move travel together (one round trip on PostgreSQL).
    insert(entry.row, then=entry.then)
    entry.written()
    return entry.row


_HEAD = "audit chain head"


# The chain head is read with a plain statement and moved with the entry's INSERT (`insert`'s
# `then`): every action writes an audit entry, and building these through the ORM cost more
# than running them.
def _head_table() -> str:
    return connection.ops.quote_name(ChainHead._meta.db_table)


def _locked_head() -> tuple[int, str]:
    """The head's (seq, hash), locked until the transaction ends.

    PostgreSQL: the row lock (FOR UPDATE). SQLite: the IMMEDIATE transaction already holds
    the database's write lock, so appends are serialized either way.
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    query = f"SELECT seq, hash FROM {_head_table()} WHERE id = 1{lock}"
    with connection.cursor() as cursor:
        cursor.execute(query)
        found = cursor.fetchone()
        if found is None:  # a flushed test database; migrations create it in real ones
            ChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
            cursor.execute(query)
            found = cursor.fetchone()
    return int(found[0]), str(found[1])


def lock_with_head(model: type[Model], **equal: Any) -> int | None:
    """Lock the row of `model` with this one column value, and the chain head after it, in
    one statement; returns the row's id (None if there is none, and then nothing is locked).

    For an action serialized on a row of its own (randomization on the allocation list's):
    inside that lock it then writes its audit entry on the head already read, one round trip
    fewer while every other such action waits. The head is kept for the transaction. On
    SQLite the IMMEDIATE transaction holds the write lock already: the row and head are read.
    """
    ((name, value),) = equal.items()
    quote = connection.ops.quote_name
    meta = model._meta
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    query = (
        f"SELECT t.{quote(meta.pk.column)}, h.seq, h.hash FROM {quote(meta.db_table)} t "  # type: ignore[union-attr]
        f"CROSS JOIN {_head_table()} h WHERE t.{quote(meta.get_field(name).column)} = %s "  # type: ignore[union-attr]
        f"AND h.id = 1{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [value])
        found = cursor.fetchone()
        if found is None:  # no such row, or no head yet (a flushed test database)
            _locked_head()
            cursor.execute(query, [value])
            found = cursor.fetchone()
    if found is None:
        return None
    state = txn.current()
    if state is not None:
        state.keep(_HEAD, (int(found[1]), str(found[2])))
    return int(found[0])


def _stored() -> Iterator[tuple[ChainEntry, str]]:
    for row in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        yield row.chain_entry(), row.hash


def verify() -> ChainReport:
    """Recompute the whole chain; also check that the head matches the last entry."""
    with transaction.atomic():
        report = verify_chain(_stored())
        head = ChainHead.objects.filter(pk=1).first() or ChainHead(seq=0, hash=GENESIS)
    if report.ok and (head.seq != report.entries or head.hash != report.head):
        return ChainReport(
            False, report.entries, report.head, report.entries + 1,
            f"the chain head says {head.seq} entries, but {report.entries} are stored "
            "(entries were removed from the end)",
        )
    return report


def head() -> tuple[int, str]:
    row = ChainHead.objects.filter(pk=1).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


__all__ = ["GENESIS", "Pending", "head", "lock_with_head", "pending", "record", "verify"]
