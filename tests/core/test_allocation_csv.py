"""Tests of the canonical allocation CSV: round trips and one clear error per malformation.

The base file is the pinned list of test_allocation.py (2 strata of 7, blocks of 2 or 4):
lines 1-9 header, 10 columns, 11-17 stratum sex=male, 18-24 stratum sex=female.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from psytrial.core.allocation import (
    COLUMNS,
    AllocationError,
    ArmRatio,
    SeededSource,
    from_csv,
    generate_allocation,
    to_csv,
)
from tests.core.test_allocation import PINNED_CSV


def edit(line_no: int, new: str | None) -> Callable[[str], str]:
    """Replace (or with None delete) one line of the file."""

    def apply(text: str) -> str:
        lines = text.split("\n")
        if new is None:
            del lines[line_no - 1]
        else:
            lines[line_no - 1] = new
        return "\n".join(lines)

    return apply


def cell(line_no: int, column: int, value: str) -> Callable[[str], str]:
    """Replace one cell of a data row."""

    def apply(text: str) -> str:
        lines = text.split("\n")
        cells = lines[line_no - 1].split(",")
        cells[column] = value
        lines[line_no - 1] = ",".join(cells)
        return "\n".join(lines)

    return apply


def both(*edits: Callable[[str], str]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        for one in edits:
            text = one(text)
        return text

    return apply


def test_it_round_trips_the_pinned_file() -> None:
    allocation = from_csv(PINNED_CSV)
    assert to_csv(allocation) == PINNED_CSV
    assert allocation.seed == 20020101
    assert allocation.slots[0].kit_code == "C4H89TP9M"
    assert allocation.slots[-1].sequence == 7


@pytest.mark.parametrize("seed", [None, 5, b"\x00\xff"])
def test_it_round_trips_lists_of_every_seed_kind(seed: int | bytes | None) -> None:
    allocation = generate_allocation(
        study_id="KPT 2002/pilot-1.0",
        arms=[ArmRatio("ketamine.2mg", 2), ArmRatio("ketamine-0_2", 1)],
        strata=["sex=male|site=spb", "sex=female|site=spb", "всё"],
        n_per_stratum=31,
        block_multipliers=[1, 2, 4],
        source=None if seed is None else SeededSource(seed),
    )
    text = to_csv(allocation)
    assert from_csv(text) == allocation
    assert to_csv(from_csv(text)) == text
    assert text.splitlines()[9] == COLUMNS


MALFORMED = [
    (lambda t: "", r"line 1: expected the allocation list header, got an empty file"),
    (lambda t: t.replace("\n", "\r\n"), r"line 1: expected LF line ends, got CR"),
    (lambda t: t[:-1], r"line 24: expected a newline at the end"),
    (edit(1, "# other"), r"line 1: expected '# psytrial allocation list', got '# other'"),
    (
        lambda t: "# psytrial allocation list\n",
        r"line 2: expected '# format_version: \.\.\.', got the end of the file",
    ),
    (edit(2, "# format_version: 2"), r"line 2: format_version: expected 1, got '2'"),
    (edit(3, "# study: KPT2002"), r"line 3: expected '# study_id: \.\.\.', got '# study: KPT2002'"),
    (edit(3, "# study_id:  KPT"), r"line 3: study_id: expected 1 to 100 letters"),
    (edit(4, "# arms: high:1,high:1"), r"line 4: arms: expected unique arm ids, got 'high' twice"),
    (
        edit(4, "# arms: high:0,low:1"),
        r"line 4: arms: expected the ratio of arm 'high' to be a whole number >= 1, got '0'",
    ),
    (edit(4, "# arms: high,low"), r"line 4: arms: expected arm_id:ratio, got 'high'"),
    (edit(4, "# arms: h i:1,low:1"), r"line 4: arms: arm_id: expected an arm id"),
    (edit(5, "# strata: a,a"), r"line 5: strata: expected unique labels, got 'a' twice"),
    (edit(5, "# strata: a,"), r"line 5: strata\[1\]: expected a stratum label"),
    (
        edit(6, "# n_per_stratum: 07"),
        r"line 6: n_per_stratum: expected a whole number >= 1, got '07'",
    ),
    (
        edit(6, "# n_per_stratum: 9999999"),
        r"line 6: n_per_stratum \* strata: expected at most 10000000 slots, got 19999998",
    ),
    (
        edit(7, "# block_multipliers: 1,x"),
        r"line 7: block_multipliers: expected each multiplier to be a whole number >= 1, got 'x'",
    ),
    (edit(8, "# seed: abc"), r"line 8: seed: expected a seed \(a whole number, hex:<bytes> or"),
    (edit(8, "# seed: hex:abc"), r"line 8: seed: expected a seed"),
    (
        edit(9, "# salt: ee92"),
        r"line 9: salt: expected a salt of 64 lowercase hex digits, got 'ee92'",
    ),
    (edit(10, "stratum,seq,block"), r"line 10: expected 'stratum,sequence,block,block_size,arm_id"),
    (
        lambda t: "\n".join(t.split("\n")[:9]) + "\n",
        r"line 10: expected .* got the end of the file",
    ),
    (edit(11, "sex=male,1,1,2,low"), r"line 11: expected 6 comma-separated fields .* got 5 in"),
    (edit(11, ""), r"line 11: expected 6 comma-separated fields .* got an empty line"),
    (
        cell(11, 0, "sex=other"),
        r"line 11: expected stratum 'sex=male' \(row 1 of 7\), got 'sex=other'",
    ),
    (
        cell(18, 0, "sex=male"),
        r"line 18: expected stratum 'sex=female' \(row 1 of 7\), got 'sex=male'",
    ),
    (edit(13, None), r"line 13: expected sequence 3 in stratum 'sex=male', got 4"),
    (cell(11, 1, "x"), r"line 11: expected sequence as a whole number >= 1, got 'x'"),
    (cell(11, 1, "01"), r"line 11: expected sequence as a whole number >= 1, got '01'"),
    (cell(11, 2, "0"), r"line 11: expected block as a whole number >= 1, got '0'"),
    (cell(11, 2, "2"), r"line 11: expected block 1, got 2"),
    (cell(13, 2, "3"), r"line 13: expected block 2, got 3"),
    (cell(11, 3, "3"), r"line 11: expected block_size in 2, 4 \(a multiplier times 2\), got 3"),
    (cell(11, 3, "x"), r"line 11: expected block_size as a whole number >= 1, got 'x'"),
    (cell(14, 3, "2"), r"line 14: expected block_size 4 like the rest of block 2, got 2"),
    (
        both(cell(11, 3, "4"), cell(12, 3, "4")),
        r"line 13: expected block 1 to go on \(2 of its 4 rows so far\), got block 2",
    ),
    (
        cell(11, 4, "high"),
        r"line 12: expected at most 1 rows of arm 'high' in block 1 \(size 2, ratios 1:1\), "
        r"got one more",
    ),
    (cell(11, 4, "medium"), r"line 11: expected arm_id in high, low, got 'medium'"),
    (
        cell(11, 5, "C4H89TP9N"),
        r"line 11: expected kit_code as 9 characters of 23456789ABCDEFGHJKMNPQRSTUVWXYZ with a "
        r"correct check character, got 'C4H89TP9N'",
    ),
    (
        cell(12, 5, "C4H89TP9M"),
        r"line 12: expected a unique kit_code, got 'C4H89TP9M' again \(first on line 11\)",
    ),
    (
        lambda t: t + "sex=female,8,3,2,low,234567894\n",
        r"line 25: expected the end of the list \(7 rows per stratum\), got another row",
    ),
    (
        lambda t: "\n".join(t.split("\n")[:23]) + "\n",
        r"line 24: expected 7 rows for stratum 'sex=female', got the end of the file after 6",
    ),
    (
        lambda t: "\n".join(t.split("\n")[:17]) + "\n",
        r"line 18: expected 7 rows for stratum 'sex=female', got the end of the file after 0",
    ),
    (
        lambda t: "\n".join(t.split("\n")[:10]) + "\n",
        r"line 11: expected 7 rows for stratum 'sex=male', got the end of the file after 0",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), MALFORMED)
def test_it_names_the_line_and_what_was_expected(
    mutate: Callable[[str], str], message: str
) -> None:
    text = mutate(PINNED_CSV)
    with pytest.raises(AllocationError) as caught:
        from_csv(text)
    assert re.match(message, str(caught.value)), str(caught.value)
    assert "\n" not in str(caught.value)


def test_it_refuses_bytes_instead_of_text() -> None:
    with pytest.raises(AllocationError, match="text: expected the CSV as a str, got bytes"):
        from_csv(PINNED_CSV.encode())  # type: ignore[arg-type]


def test_it_shortens_long_values_in_messages() -> None:
    with pytest.raises(AllocationError) as caught:
        from_csv(edit(1, "x" * 500)(PINNED_CSV))
    assert len(str(caught.value)) < 120
