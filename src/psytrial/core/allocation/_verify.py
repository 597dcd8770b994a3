"""Commitment to an allocation list, and verification of a list against its seed and commitment.

The commitment is the SHA-256 of the canonical CSV bytes. Those bytes include a secret random
salt, so the published hash cannot be matched by enumerating the few possible lists. It binds
the statistician before enrolment: any later change to a row changes the hash.

A seeded list's salt comes from its seed, so the hash hides the list only as long as the seed is
secret and too large to guess (at least 128 random bits; see psytrial.core.drbg).

`verify` regenerates a seeded list from the seed and the parameters recorded in its own header,
compares the canonical text byte for byte and reports the first differing line. A list made with
the system source cannot be regenerated; then only the commitment and the internal consistency
(everything `from_csv` checks) are verified, and the report says so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from psytrial.core.allocation._csv import check_rows, split_lines, to_csv
from psytrial.core.allocation._generate import generate_from
from psytrial.core.allocation._header import Header, parse_header
from psytrial.core.allocation._model import AllocationList
from psytrial.core.drbg import SeededSource, seed_entropy
from psytrial.core.errors import AllocationError

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def commitment(allocation: AllocationList) -> str:
    """SHA-256 (lowercase hex) of the list's canonical CSV bytes; publish it before enrolment."""
    return _sha256(to_csv(allocation))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class RowDifference:
    """The first line where the given list and the regenerated one differ (1-based)."""

    line: int
    expected: str
    got: str


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """What `verify` found. `ok` is True only when every check that could run passed.

    `regenerated` says whether the list could be rebuilt from a seed; `identical` is then
    whether it matched byte for byte (None when not regenerated). `commitment_matches` is
    None when no expected commitment was given. `problems` lists every failed check in one
    line each; `notes` says what could not be checked and why.
    """

    ok: bool
    commitment: str
    commitment_matches: bool | None
    consistent: bool
    regenerated: bool
    identical: bool | None
    first_difference: RowDifference | None
    problems: tuple[str, ...]
    notes: tuple[str, ...]

    def summary(self) -> str:
        """One line for the command line."""
        if self.ok:
            how = "regenerated from the seed" if self.regenerated else "consistency only"
            return f"allocation list verified ({how}); commitment {self.commitment}"
        return "allocation list NOT verified: " + "; ".join(self.problems)


def _check_seed(seed: object) -> None:
    try:
        seed_entropy(seed)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise AllocationError(str(error)) from None


def _normalized_commitment(expected: str | None) -> str | None:
    if expected is None:
        return None
    value = expected.strip().lower() if isinstance(expected, str) else expected
    if not isinstance(value, str) or not _SHA256_HEX.fullmatch(value):
        raise AllocationError(
            f"expected_commitment: expected 64 hex digits (SHA-256), got {expected!r}"
        )
    return value


def _first_difference(expected: str, got: str) -> RowDifference | None:
    want, have = expected.split("\n"), got.split("\n")
    for i, (a, b) in enumerate(zip(want, have, strict=False)):
        if a != b:
            return RowDifference(i + 1, a, b)
    if len(want) != len(have):
        i = min(len(want), len(have))
        tail_want = want[i] if i < len(want) else "<end of file>"
        tail_have = have[i] if i < len(have) else "<end of file>"
        return RowDifference(i + 1, tail_want, tail_have)
    return None


class _Findings:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []


def _read(text: str, findings: _Findings) -> tuple[Header | None, bool]:
    """The header if readable, and whether the whole list is internally consistent."""
    try:
        lines = split_lines(text)
    except AllocationError as error:
        # A wrong line end spoils the file but not the header: still try to regenerate.
        findings.problems.append(f"inconsistent list: {error}")
        lines = None
    try:
        header = parse_header(lines if lines is not None else text.split("\n"))
    except AllocationError as error:
        findings.problems.append(f"not a readable allocation list: {error}")
        return None, False
    if lines is None:
        return header, False
    try:
        check_rows(header, lines)
    except AllocationError as error:
        findings.problems.append(f"inconsistent list: {error}")
        return header, False
    return header, True


def _regenerate(
    header: Header, text: str, seed: int | bytes | None, findings: _Findings
) -> tuple[bool, bool | None, RowDifference | None]:
    """(regenerated, identical, first difference) for the list whose header is `header`."""
    if header.seed is None:
        findings.notes.append(
            "made with the system source: it cannot be regenerated, so only the commitment "
            "and internal consistency were checked"
        )
        if seed is not None:
            findings.notes.append("the given seed was not used: the list records no seed")
        return False, None, None
    if seed is None:
        seed = header.seed
    elif seed != header.seed:
        findings.problems.append("the given seed differs from the seed recorded in the list")
    expected = to_csv(generate_from(header.parameters, SeededSource(seed)))
    difference = _first_difference(expected, text)
    if difference is not None:
        findings.problems.append(
            f"line {difference.line} differs from the list regenerated from the seed: "
            f"expected {difference.expected!r}, got {difference.got!r}"
        )
    return True, difference is None, difference


def verify(
    text_or_list: str | AllocationList,
    seed: int | bytes | None = None,
    expected_commitment: str | None = None,
) -> VerificationReport:
    """Check an allocation list: internal consistency, regeneration from the seed, commitment.

    `seed` defaults to the seed recorded in the list's header. Content problems are reported,
    not raised; AllocationError is raised only for a malformed `seed` or `expected_commitment`.
    """
    if seed is not None:
        _check_seed(seed)
    wanted = _normalized_commitment(expected_commitment)
    text = to_csv(text_or_list) if isinstance(text_or_list, AllocationList) else text_or_list
    if not isinstance(text, str):
        raise AllocationError(
            f"text_or_list: expected CSV text or an AllocationList, got {type(text).__name__}"
        )
    findings = _Findings()
    actual = _sha256(text)
    matches = None if wanted is None else actual == wanted
    if matches is False:
        findings.problems.append(f"commitment: expected {wanted}, got {actual}")
    header, consistent = _read(text, findings)
    regenerated, identical, difference = (False, None, None)
    if header is not None:
        regenerated, identical, difference = _regenerate(header, text, seed, findings)
    elif seed is not None:
        findings.notes.append("the header could not be read, so the list was not regenerated")
    return VerificationReport(
        ok=not findings.problems,
        commitment=actual,
        commitment_matches=matches,
        consistent=consistent,
        regenerated=regenerated,
        identical=identical,
        first_difference=difference,
        problems=tuple(findings.problems),
        notes=tuple(findings.notes),
    )
