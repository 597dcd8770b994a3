"""Canonical CSV of an allocation list, and a reader that checks every line of it.

The canonical form is UTF-8 text with LF line ends: the header comment block (see _header),
the column line, then one row per slot in list order, and a final newline. `from_csv` accepts
exactly that form, so `to_csv(from_csv(text)) == text` and the commitment of a list read back
equals the SHA-256 of the file it came from. Any deviation raises AllocationError with a
one-line message naming the line number and what was expected there.
"""

from __future__ import annotations

from typing import Final

from psytrial.core.allocation._header import (
    HEADER_LINES,
    Header,
    format_header,
    parse_header,
    shown,
)
from psytrial.core.allocation._kitcode import KIT_ALPHABET, is_valid_kit_code
from psytrial.core.allocation._model import AllocationList, AllocationParameters, Slot
from psytrial.core.errors import AllocationError

COLUMNS: Final = "stratum,sequence,block,block_size,arm_id,kit_code"
_N_FIELDS: Final = COLUMNS.count(",") + 1


def to_csv(allocation: AllocationList) -> str:
    """The canonical CSV text of the list (its commitment is the SHA-256 of these bytes)."""
    header = format_header(allocation.parameters, allocation.seed, allocation.salt)
    rows = [
        f"{s.stratum},{s.sequence},{s.block},{s.block_size},{s.arm_id},{s.kit_code}"
        for s in allocation.slots
    ]
    return "\n".join([*header, COLUMNS, *rows]) + "\n"


def split_lines(text: str) -> list[str]:
    """The lines of a canonical CSV; AllocationError for CR line ends or a missing final LF."""
    if not isinstance(text, str):
        raise AllocationError(f"text: expected the CSV as a str, got {type(text).__name__}")
    cr = text.find("\r")
    if cr >= 0:
        raise AllocationError(
            f"line {text.count(chr(10), 0, cr) + 1}: expected LF line ends, got CR"
        )
    if not text:
        raise AllocationError("line 1: expected the allocation list header, got an empty file")
    lines = text.split("\n")
    if lines[-1]:
        raise AllocationError(f"line {len(lines)}: expected a newline at the end of the file")
    return lines[:-1]


def _whole(text: str, line_no: int, column: str) -> int:
    if not (text.isascii() and text.isdigit()) or text[0] == "0":
        raise AllocationError(
            f"line {line_no}: expected {column} as a whole number >= 1, got {shown(text)}"
        )
    return int(text)


class _RowChecker:
    """Walks the rows in order, keeping just enough state to check each against the last."""

    def __init__(self, parameters: AllocationParameters, first_line: int) -> None:
        self.p = parameters
        self.allowed_sizes = set(parameters.block_sizes)
        self.quota = {arm.arm_id: arm.ratio for arm in parameters.arms}
        self.arm_list = ", ".join(parameters.arm_ids)
        self.line_no = first_line - 1
        self.stratum_index = 0
        self.sequence = 0  # rows seen in the current stratum
        self.block = 0
        self.block_size = 0
        self.block_rows = 0
        self.block_counts: dict[str, int] = {}
        self.kit_lines: dict[str, int] = {}
        self.slots: list[Slot] = []

    def fail(self, message: str) -> AllocationError:
        return AllocationError(f"line {self.line_no}: {message}")

    def check(self, line: str) -> None:
        self.line_no += 1
        fields = line.split(",")
        if len(fields) != _N_FIELDS:
            got = "an empty line" if not line else f"{len(fields)} in {shown(line)}"
            raise self.fail(f"expected {_N_FIELDS} comma-separated fields ({COLUMNS}), got {got}")
        stratum, sequence, block, block_size, arm_id, kit_code = fields
        self._stratum(stratum)
        self._sequence(_whole(sequence, self.line_no, "sequence"))
        size = _whole(block_size, self.line_no, "block_size")
        self._block(_whole(block, self.line_no, "block"), size)
        self._arm(arm_id)
        self._kit_code(kit_code)
        self.slots.append(Slot(stratum, self.sequence, self.block, size, arm_id, kit_code))

    def _stratum(self, stratum: str) -> None:
        if self.sequence == self.p.n_per_stratum:
            self.stratum_index += 1
            self.sequence = self.block = self.block_size = self.block_rows = 0
        if self.stratum_index == len(self.p.strata):
            raise self.fail(
                f"expected the end of the list ({self.p.n_per_stratum} rows per stratum), "
                f"got another row {shown(stratum)}"
            )
        expected = self.p.strata[self.stratum_index]
        if stratum != expected:
            raise self.fail(
                f"expected stratum {expected!r} (row {self.sequence + 1} of "
                f"{self.p.n_per_stratum}), got {shown(stratum)}"
            )

    def _sequence(self, sequence: int) -> None:
        if sequence != self.sequence + 1:
            raise self.fail(
                f"expected sequence {self.sequence + 1} in stratum "
                f"{self.p.strata[self.stratum_index]!r}, got {sequence}"
            )
        self.sequence = sequence

    def _block(self, block: int, size: int) -> None:
        if self.block_rows < self.block_size:
            if block != self.block:
                raise self.fail(
                    f"expected block {self.block} to go on ({self.block_rows} of its "
                    f"{self.block_size} rows so far), got block {block}"
                )
            if size != self.block_size:
                raise self.fail(
                    f"expected block_size {self.block_size} like the rest of block "
                    f"{self.block}, got {size}"
                )
        else:
            self._new_block(block, size)
        self.block_rows += 1

    def _new_block(self, block: int, size: int) -> None:
        if block != self.block + 1:
            raise self.fail(f"expected block {self.block + 1}, got {block}")
        if size not in self.allowed_sizes:
            sizes = ", ".join(str(s) for s in sorted(self.allowed_sizes))
            raise self.fail(
                f"expected block_size in {sizes} (a multiplier times {self.p.ratio_sum}), "
                f"got {size}"
            )
        self.block, self.block_size, self.block_rows = block, size, 0
        self.block_counts = dict.fromkeys(self.quota, 0)

    def _arm(self, arm_id: str) -> None:
        if arm_id not in self.quota:
            raise self.fail(f"expected arm_id in {self.arm_list}, got {shown(arm_id)}")
        allowed = self.quota[arm_id] * self.block_size // self.p.ratio_sum
        self.block_counts[arm_id] += 1
        if self.block_counts[arm_id] > allowed:
            raise self.fail(
                f"expected at most {allowed} rows of arm {arm_id!r} in block {self.block} "
                f"(size {self.block_size}, ratios {self._ratios()}), got one more"
            )

    def _ratios(self) -> str:
        return ":".join(str(arm.ratio) for arm in self.p.arms)

    def _kit_code(self, code: str) -> None:
        if not is_valid_kit_code(code):
            raise self.fail(
                f"expected kit_code as 9 characters of {KIT_ALPHABET} with a correct check "
                f"character, got {shown(code)}"
            )
        first = self.kit_lines.setdefault(code, self.line_no)
        if first != self.line_no:
            raise self.fail(
                f"expected a unique kit_code, got {code!r} again (first on line {first})"
            )

    def finish(self) -> None:
        done = self.stratum_index * self.p.n_per_stratum + self.sequence
        if done < len(self.p.strata) * self.p.n_per_stratum:
            self.line_no += 1
            stratum = self.p.strata[self.stratum_index]
            if self.sequence == self.p.n_per_stratum:
                stratum = self.p.strata[self.stratum_index + 1]
                self.sequence = 0
            raise self.fail(
                f"expected {self.p.n_per_stratum} rows for stratum {stratum!r}, got the end of "
                f"the file after {self.sequence}"
            )


def check_rows(header: Header, lines: list[str]) -> AllocationList:
    """The list from already split lines whose header parsed to `header`."""
    if len(lines) <= HEADER_LINES or lines[HEADER_LINES] != COLUMNS:
        got = shown(lines[HEADER_LINES]) if len(lines) > HEADER_LINES else "the end of the file"
        raise AllocationError(f"line {HEADER_LINES + 1}: expected {COLUMNS!r}, got {got}")
    checker = _RowChecker(header.parameters, HEADER_LINES + 2)
    for line in lines[HEADER_LINES + 1 :]:
        checker.check(line)
    checker.finish()
    return AllocationList(header.parameters, header.seed, header.salt, tuple(checker.slots))


def from_csv(text: str) -> AllocationList:
    """Read and check a canonical allocation CSV; AllocationError names the first bad line."""
    lines = split_lines(text)
    return check_rows(parse_header(lines), lines)
