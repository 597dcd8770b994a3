"""The audit trail's pure parts: the event vocabulary and the hash chain.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON
(sorted keys, no whitespace, UTC timestamps to the microsecond), so changing, removing or
reordering any stored entry breaks every hash after it. `verify_chain` names the first entry
whose stored hash does not match the recomputation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainEntry:
    """An audit entry as hashed: everything except its own hash."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    study: str
    object_type: str
    object_id: str
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    reason: str
    prev_hash: str

    def canonical(self) -> bytes:
        at = self.at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
        body = {
            "seq": self.seq, "at": at, "actor": self.actor, "role": self.role,
            "action": self.action, "study": self.study, "object_type": self.object_type,
            "object_id": self.object_id, "old": self.old, "new": self.new,
            "reason": self.reason, "prev_hash": self.prev_hash,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str,
                          ensure_ascii=False).encode("utf-8")

    def digest(self) -> str:
        return hashlib.sha256(self.prev_hash.encode("ascii") + self.canonical()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    head: str
    first_broken_seq: int | None = None
    problem: str = ""


def verify_chain(entries: Iterable[tuple[ChainEntry, str]]) -> ChainReport:
    """Recompute the chain over (entry, stored hash) pairs in sequence order."""
    prev, count, expected_seq = GENESIS, 0, 1
    for entry, stored in entries:
        count += 1
        problem = ""
        if entry.seq != expected_seq:
            problem = f"expected sequence number {expected_seq}, got {entry.seq} (entry missing)"
        elif entry.prev_hash != prev:
            problem = "its prev_hash does not match the hash of the entry before it"
        elif entry.digest() != stored:
            problem = "its stored hash does not match its content (the entry was modified)"
        if problem:
            return ChainReport(False, count, prev, entry.seq, problem)
        prev, expected_seq = stored, expected_seq + 1
    return ChainReport(True, count, prev)
