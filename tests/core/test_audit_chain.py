"""The audit hash chain, pure: canonical form, digests, and what verification names."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from psytrial.core.audit import GENESIS, ChainEntry, verify_chain


def _chain(n: int) -> list[tuple[ChainEntry, str]]:
    out: list[tuple[ChainEntry, str]] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        entry = ChainEntry(seq, datetime(2002, 1, seq, 12, 0, tzinfo=UTC), "alice",
                           "investigator", "form.saved", "kpt2002", "form", str(seq),
                           {"v": seq - 1}, {"v": seq}, "typo", prev)
        digest = entry.digest()
        out.append((entry, digest))
        prev = digest
    return out


def test_it_hashes_the_previous_hash_and_the_canonical_json() -> None:
    entry, digest = _chain(1)[0]
    body = json.loads(entry.canonical())
    assert body["at"] == "2002-01-01T12:00:00.000000"
    assert list(body) == sorted(body)
    assert digest == hashlib.sha256(GENESIS.encode() + entry.canonical()).hexdigest()


def test_it_writes_times_in_utc_whatever_the_zone() -> None:
    entry, _ = _chain(1)[0]
    moved = replace(entry, at=entry.at.astimezone(timezone(timedelta(hours=3))))
    assert moved.canonical() == entry.canonical()


def test_it_verifies_an_intact_chain() -> None:
    chain = _chain(5)
    report = verify_chain(chain)
    assert report.ok and report.entries == 5 and report.head == chain[-1][1]


def test_it_verifies_an_empty_chain() -> None:
    report = verify_chain([])
    assert report.ok and report.entries == 0 and report.head == GENESIS


def test_it_names_a_modified_entry() -> None:
    chain = _chain(5)
    entry, digest = chain[2]
    chain[2] = (replace(entry, new={"v": 99}), digest)
    report = verify_chain(chain)
    assert not report.ok and report.first_broken_seq == 3 and "modified" in report.problem


def test_it_names_a_missing_entry() -> None:
    chain = _chain(5)
    del chain[1]
    report = verify_chain(chain)
    assert not report.ok and report.first_broken_seq == 3
    assert "expected sequence number 2" in report.problem


def test_it_names_a_rewritten_link() -> None:
    chain = _chain(4)
    entry, _ = chain[2]
    forged = replace(entry, prev_hash="f" * 64)
    chain[2] = (forged, forged.digest())
    report = verify_chain(chain)
    assert not report.ok and report.first_broken_seq == 3 and "prev_hash" in report.problem
