"""The comment block that opens a canonical allocation CSV: every parameter, the seed and the salt.

    # psytrial allocation list
    # format_version: 1
    # study_id: KPT2002
    # arms: high:1,low:1
    # strata: sex=male,sex=female
    # n_per_stratum: 36
    # block_multipliers: 1,2,3
    # seed: 20020101            (or hex:<bytes> for a bytes seed, or system)
    # salt: <64 lowercase hex digits>

Parsing is strict: what `format_header` writes is the only form accepted, so a list read back
serializes to the same bytes and keeps its commitment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from psytrial.core.allocation._model import (
    FORMAT_VERSION,
    SALT_BYTES,
    AllocationParameters,
    ArmRatio,
    check_arms,
    check_multipliers,
    check_strata,
    check_study_id,
)
from psytrial.core.errors import AllocationError

TITLE: Final = "# psytrial allocation list"
KEYS: Final = (
    "format_version",
    "study_id",
    "arms",
    "strata",
    "n_per_stratum",
    "block_multipliers",
    "seed",
    "salt",
)
HEADER_LINES: Final = 1 + len(KEYS)

_POSITIVE = re.compile(r"[1-9][0-9]{0,17}")
_NATURAL = re.compile(r"0|[1-9][0-9]*")
_HEX = re.compile(r"(?:[0-9a-f]{2})+")


@dataclass(frozen=True, slots=True)
class Header:
    """What the comment block says: parameters, seed (None for the system source) and salt."""

    parameters: AllocationParameters
    seed: int | bytes | None
    salt: bytes


def shown(text: str, limit: int = 60) -> str:
    """`text` quoted for an error message, shortened so the message stays one readable line."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def format_seed(seed: int | bytes | None) -> str:
    if seed is None:
        return "system"
    if isinstance(seed, bytes):
        return "hex:" + seed.hex()
    return str(seed)


def format_header(
    parameters: AllocationParameters, seed: int | bytes | None, salt: bytes
) -> list[str]:
    """The header lines, without line ends."""
    values = {
        "format_version": str(FORMAT_VERSION),
        "study_id": parameters.study_id,
        "arms": ",".join(f"{arm.arm_id}:{arm.ratio}" for arm in parameters.arms),
        "strata": ",".join(parameters.strata),
        "n_per_stratum": str(parameters.n_per_stratum),
        "block_multipliers": ",".join(str(m) for m in parameters.block_multipliers),
        "seed": format_seed(seed),
        "salt": salt.hex(),
    }
    return [TITLE, *(f"# {key}: {values[key]}" for key in KEYS)]


def _positive(text: str, subject: str = "") -> int:
    if not _POSITIVE.fullmatch(text):
        what = f"{subject} to be a whole number >= 1" if subject else "a whole number >= 1"
        raise AllocationError(f"expected {what}, got {shown(text)}")
    return int(text)


def _format_version(text: str) -> int:
    if text != str(FORMAT_VERSION):
        raise AllocationError(f"expected {FORMAT_VERSION}, got {shown(text)}")
    return FORMAT_VERSION


def _study_id(text: str) -> str:
    return check_study_id(text)


def _arm(item: str) -> ArmRatio:
    arm_id, sep, ratio = item.partition(":")
    if not sep:
        raise AllocationError(f"expected arm_id:ratio, got {shown(item)}")
    return ArmRatio(arm_id, _positive(ratio, f"the ratio of arm {arm_id!r}"))


def _arms(text: str) -> tuple[ArmRatio, ...]:
    arms = tuple(_arm(item) for item in text.split(","))
    check_arms(arms)
    return arms


def _strata(text: str) -> tuple[str, ...]:
    strata = tuple(text.split(","))
    check_strata(strata)
    return strata


def _n_per_stratum(text: str) -> int:
    return _positive(text)


def _multipliers(text: str) -> tuple[int, ...]:
    multipliers = tuple(_positive(item, "each multiplier") for item in text.split(","))
    check_multipliers(multipliers)
    return multipliers


def _seed(text: str) -> int | bytes | None:
    if text == "system":
        return None
    if text.startswith("hex:") and _HEX.fullmatch(text[4:]):
        return bytes.fromhex(text[4:])
    if _NATURAL.fullmatch(text):
        return int(text)
    raise AllocationError(
        f"expected a seed (a whole number, hex:<bytes> or system), got {shown(text)}"
    )


def _salt(text: str) -> bytes:
    if len(text) != 2 * SALT_BYTES or not _HEX.fullmatch(text):
        raise AllocationError(
            f"expected a salt of {2 * SALT_BYTES} lowercase hex digits, got {shown(text)}"
        )
    return bytes.fromhex(text)


_PARSERS: Final[dict[str, Callable[[str], object]]] = {
    "format_version": _format_version,
    "study_id": _study_id,
    "arms": _arms,
    "strata": _strata,
    "n_per_stratum": _n_per_stratum,
    "block_multipliers": _multipliers,
    "seed": _seed,
    "salt": _salt,
}


def _value(line: str, line_no: int, key: str) -> object:
    prefix = f"# {key}: "
    if not line.startswith(prefix):
        raise AllocationError(f"line {line_no}: expected '{prefix}...', got {shown(line)}")
    try:
        return _PARSERS[key](line[len(prefix) :])
    except AllocationError as error:
        message = str(error)
        if not message.startswith(key):
            message = f"{key}: {message}"
        raise AllocationError(f"line {line_no}: {message}") from None


def parse_header(lines: list[str]) -> Header:
    """The header of a canonical CSV split into lines; AllocationError naming the bad line."""
    if not lines or lines[0] != TITLE:
        got = shown(lines[0]) if lines else "an empty file"
        raise AllocationError(f"line 1: expected {TITLE!r}, got {got}")
    if len(lines) < HEADER_LINES:
        key = KEYS[len(lines) - 1]
        raise AllocationError(
            f"line {len(lines) + 1}: expected '# {key}: ...', got the end of the file"
        )
    values = {key: _value(lines[i + 1], i + 2, key) for i, key in enumerate(KEYS)}
    try:
        parameters = AllocationParameters(
            study_id=values["study_id"],  # type: ignore[arg-type]
            arms=values["arms"],  # type: ignore[arg-type]
            strata=values["strata"],  # type: ignore[arg-type]
            n_per_stratum=values["n_per_stratum"],  # type: ignore[arg-type]
            block_multipliers=values["block_multipliers"],  # type: ignore[arg-type]
        )
    except AllocationError as error:  # only the total size is left to fail here
        line_no = 2 + KEYS.index("n_per_stratum")
        raise AllocationError(f"line {line_no}: {error}") from None
    return Header(parameters, values["seed"], values["salt"])  # type: ignore[arg-type]
