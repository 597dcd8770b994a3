"""Tests of commitments and verification: tampered rows, wrong seeds, wrong commitments.

The commitment reference is hashlib's SHA-256 of the file bytes, computed here directly.
"""

from __future__ import annotations

import hashlib

import pytest

from psytrial.core.allocation import (
    AllocationError,
    ArmRatio,
    RowDifference,
    SystemSource,
    commitment,
    from_csv,
    generate_allocation,
    to_csv,
    verify,
)
from tests.core.test_allocation import PINNED_CSV

PINNED_COMMITMENT = hashlib.sha256(PINNED_CSV.encode("utf-8")).hexdigest()


def swap_arms(text: str, line_a: int, line_b: int) -> str:
    """Exchange the arms of two rows, which keeps a block balanced when they differ."""
    lines = text.split("\n")
    a, b = lines[line_a - 1].split(","), lines[line_b - 1].split(",")
    a[4], b[4] = b[4], a[4]
    lines[line_a - 1], lines[line_b - 1] = ",".join(a), ",".join(b)
    return "\n".join(lines)


def system_list_csv() -> str:
    return to_csv(
        generate_allocation(
            study_id="S",
            arms=[ArmRatio("a", 1), ArmRatio("b", 1)],
            strata=["all"],
            n_per_stratum=12,
            block_multipliers=[1, 2],
            source=SystemSource(),
        )
    )


def test_the_commitment_is_the_sha256_of_the_canonical_bytes() -> None:
    assert commitment(from_csv(PINNED_CSV)) == PINNED_COMMITMENT


def test_the_commitment_depends_on_the_salt() -> None:
    lines = PINNED_CSV.split("\n")
    lines[8] = "# salt: " + "00" * 32
    assert commitment(from_csv("\n".join(lines))) != PINNED_COMMITMENT


def test_it_verifies_an_untouched_seeded_list() -> None:
    report = verify(PINNED_CSV, 20020101, PINNED_COMMITMENT)
    assert report.ok
    assert report.consistent and report.regenerated and report.identical
    assert report.commitment_matches is True
    assert report.first_difference is None
    assert report.problems == () and report.notes == ()
    assert report.summary() == (
        f"allocation list verified (regenerated from the seed); commitment {PINNED_COMMITMENT}"
    )


def test_it_uses_the_recorded_seed_and_accepts_a_list_object() -> None:
    report = verify(from_csv(PINNED_CSV))
    assert report.ok and report.identical
    assert report.commitment == PINNED_COMMITMENT
    assert report.commitment_matches is None


def test_it_accepts_a_commitment_in_capitals_with_spaces() -> None:
    assert verify(PINNED_CSV, expected_commitment=f" {PINNED_COMMITMENT.upper()}\n").ok


def test_it_finds_a_tampered_row_that_keeps_the_block_balanced() -> None:
    tampered = swap_arms(PINNED_CSV, 13, 14)  # low/high within block 2 of sex=male
    report = verify(tampered, 20020101, PINNED_COMMITMENT)
    assert not report.ok
    assert report.consistent  # the swap breaks no rule a reader can check...
    assert report.identical is False  # ...but regeneration and the commitment catch it
    assert report.commitment_matches is False
    assert report.first_difference == RowDifference(
        13, "sex=male,3,2,4,low,KFHN6BHDQ", "sex=male,3,2,4,high,KFHN6BHDQ"
    )
    assert any(p.startswith("commitment: expected") for p in report.problems)
    assert any(p.startswith("line 13 differs from the list regenerated") for p in report.problems)
    assert report.summary().startswith("allocation list NOT verified: commitment: expected")


def test_it_finds_a_tampered_row_that_unbalances_a_block() -> None:
    tampered = PINNED_CSV.replace("sex=female,1,1,4,low,", "sex=female,1,1,4,high,")
    report = verify(tampered)
    assert not report.ok and not report.consistent
    assert report.first_difference is not None and report.first_difference.line == 18
    assert any(
        p.startswith("inconsistent list: line 21: expected at most 2 rows") for p in report.problems
    )


def test_it_reports_a_wrong_commitment_alone() -> None:
    report = verify(PINNED_CSV, expected_commitment="0" * 64)
    assert not report.ok
    assert report.identical  # the list itself regenerates fine
    assert report.problems == (f"commitment: expected {'0' * 64}, got {PINNED_COMMITMENT}",)


def test_it_reports_a_seed_that_is_not_the_recorded_one() -> None:
    report = verify(PINNED_CSV, seed=1)
    assert not report.ok
    assert "the given seed differs from the seed recorded in the list" in report.problems
    assert report.first_difference is not None and report.first_difference.line == 8


def test_it_reports_a_missing_final_newline_as_a_difference_at_the_end() -> None:
    report = verify(PINNED_CSV[:-1])
    assert not report.ok and not report.consistent
    assert report.first_difference == RowDifference(25, "", "<end of file>")


def test_it_reports_an_extra_row() -> None:
    report = verify(PINNED_CSV + "sex=female,8,3,2,low,234567894\n")
    assert report.first_difference == RowDifference(25, "", "sex=female,8,3,2,low,234567894")


def test_it_checks_a_system_list_only_for_commitment_and_consistency() -> None:
    text = system_list_csv()
    report = verify(text, expected_commitment=commitment(from_csv(text)))
    assert report.ok
    assert not report.regenerated and report.identical is None
    assert report.notes[0].startswith("made with the system source: it cannot be regenerated")
    assert report.summary().startswith("allocation list verified (consistency only)")
    with_seed = verify(text, seed=3)
    assert with_seed.ok
    assert "the given seed was not used: the list records no seed" in with_seed.notes


def test_it_catches_a_balanced_swap_in_a_system_list_by_the_commitment() -> None:
    text = system_list_csv()
    published = commitment(from_csv(text))
    lines = text.split("\n")
    block = [i for i in range(10, 22) if lines[i].split(",")[2] == "1"]
    arms = {lines[i].split(",")[4] for i in block}
    assert arms == {"a", "b"}
    a_line = next(i for i in block if lines[i].split(",")[4] == "a") + 1
    b_line = next(i for i in block if lines[i].split(",")[4] == "b") + 1
    report = verify(swap_arms(text, a_line, b_line), expected_commitment=published)
    assert report.consistent and not report.ok
    assert report.commitment_matches is False


def test_it_reports_an_unreadable_file() -> None:
    report = verify("hello\n", seed=3)
    assert not report.ok and not report.consistent and not report.regenerated
    assert report.problems == (
        "not a readable allocation list: line 1: expected '# psytrial allocation list', "
        "got 'hello'",
    )
    assert report.notes == ("the header could not be read, so the list was not regenerated",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": -1}, "seed: expected an int >= 0, got -1"),
        ({"seed": "12"}, "seed: expected an int >= 0 or non-empty bytes, got str"),
        ({"expected_commitment": "abc"}, "expected_commitment: expected 64 hex digits"),
        ({"expected_commitment": 5}, "expected_commitment: expected 64 hex digits"),
    ],
)
def test_it_refuses_malformed_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AllocationError, match=message):
        verify(PINNED_CSV, **kwargs)  # type: ignore[arg-type]


def test_it_refuses_something_that_is_neither_text_nor_a_list() -> None:
    with pytest.raises(
        AllocationError, match="text_or_list: expected CSV text or an AllocationList"
    ):
        verify(b"bytes")  # type: ignore[arg-type]
