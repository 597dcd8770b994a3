"""The values of an allocation list: arms with ratios, the parameters, slots and the list.

Parameters are validated when they are built, so a list that exists was made from valid
parameters; the error messages name the field, what was expected and what was got.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from psytrial.core.errors import AllocationError

FORMAT_VERSION: Final = 1
SALT_BYTES: Final = 32
# ASSUMPTION: ten million slots is far above any psychotherapy trial and keeps kit codes
# (31**8 possible values) sparse enough that redraws after a collision stay rare.
MAX_SLOTS: Final = 10_000_000

# Identifiers travel through CSV cells and header lines without quoting, so they may not hold
# the separators used there (',' between cells and items, ':' between an arm and its ratio).
_ARM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
_STRATUM = re.compile(r"[\w.=|+/\-]{1,200}")
_STUDY_ID = re.compile(r"\w(?:[\w.\-/ ]{0,98}[\w.\-/])?")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_arm_id(arm_id: object, where: str) -> str:
    """The arm id if it is well formed, else AllocationError naming `where`."""
    if not isinstance(arm_id, str) or not _ARM_ID.fullmatch(arm_id):
        raise AllocationError(
            f"{where}: expected an arm id of letters, digits, '_', '.' or '-' "
            f"(at most 64, starting with a letter or digit), got {arm_id!r}"
        )
    return arm_id


def check_stratum(label: object, where: str) -> str:
    """The stratum label if it is well formed, else AllocationError naming `where`."""
    if not isinstance(label, str) or not _STRATUM.fullmatch(label):
        raise AllocationError(
            f"{where}: expected a stratum label of letters, digits and '_.=|+/-' "
            f"(at most 200, e.g. 'sex=male|site=spb'), got {label!r}"
        )
    return label


def check_study_id(study_id: object) -> str:
    """The study id if it is well formed, else AllocationError."""
    if not isinstance(study_id, str) or not _STUDY_ID.fullmatch(study_id):
        raise AllocationError(
            "study_id: expected 1 to 100 letters, digits, spaces or '_.-/' "
            f"(no space at either end), got {study_id!r}"
        )
    return study_id


def check_positive(value: object, where: str) -> int:
    """`value` if it is an int >= 1, else AllocationError naming `where`."""
    if not _is_int(value) or value < 1:  # type: ignore[operator]
        raise AllocationError(f"{where}: expected an integer >= 1, got {value!r}")
    return value  # type: ignore[return-value]


def as_tuple(value: object, name: str) -> tuple[object, ...]:
    """`value` as a tuple if it is a sequence other than a string, else AllocationError."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise AllocationError(f"{name}: expected a list, got {value!r}")
    return tuple(value)


def _first_duplicate(items: Sequence[str]) -> str | None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None


@dataclass(frozen=True, slots=True)
class ArmRatio:
    """One arm and its share of each block, e.g. ArmRatio("high", 2) in a 2:1 design."""

    arm_id: str
    ratio: int

    def __post_init__(self) -> None:
        check_arm_id(self.arm_id, "arm_id")
        check_positive(self.ratio, f"ratio of arm {self.arm_id!r}")


def check_arms(arms: tuple[object, ...]) -> None:
    """AllocationError unless `arms` is a non-empty tuple of ArmRatio with unique ids."""
    if not arms:
        raise AllocationError("arms: expected at least one arm, got none")
    for i, arm in enumerate(arms):
        if not isinstance(arm, ArmRatio):
            raise AllocationError(f"arms[{i}]: expected an ArmRatio, got {arm!r}")
    duplicate = _first_duplicate([arm.arm_id for arm in arms])  # type: ignore[attr-defined]
    if duplicate is not None:
        raise AllocationError(f"arms: expected unique arm ids, got {duplicate!r} twice")


def check_strata(strata: tuple[object, ...]) -> None:
    """AllocationError unless `strata` is a non-empty tuple of unique, well-formed labels."""
    if not strata:
        raise AllocationError(
            "strata: expected at least one stratum label ('all' when unstratified), got none"
        )
    labels = [check_stratum(label, f"strata[{i}]") for i, label in enumerate(strata)]
    duplicate = _first_duplicate(labels)
    if duplicate is not None:
        raise AllocationError(f"strata: expected unique labels, got {duplicate!r} twice")


def check_multipliers(multipliers: tuple[object, ...]) -> None:
    """AllocationError unless `multipliers` is a non-empty tuple of integers >= 1."""
    if not multipliers:
        raise AllocationError("block_multipliers: expected at least one multiplier, got none")
    for i, multiplier in enumerate(multipliers):
        check_positive(multiplier, f"block_multipliers[{i}]")


@dataclass(frozen=True, slots=True)
class AllocationParameters:
    """What an allocation list is generated from; validated on construction."""

    study_id: str
    arms: tuple[ArmRatio, ...]
    strata: tuple[str, ...]
    n_per_stratum: int
    block_multipliers: tuple[int, ...]

    def __post_init__(self) -> None:
        # Accept any sequence from callers but store tuples, so the value stays immutable.
        for name in ("arms", "strata", "block_multipliers"):
            object.__setattr__(self, name, as_tuple(getattr(self, name), name))
        check_study_id(self.study_id)
        check_arms(self.arms)
        check_strata(self.strata)
        check_positive(self.n_per_stratum, "n_per_stratum")
        check_multipliers(self.block_multipliers)
        total = self.n_per_stratum * len(self.strata)
        if total > MAX_SLOTS:
            raise AllocationError(
                f"n_per_stratum * strata: expected at most {MAX_SLOTS} slots, got {total}"
            )

    @property
    def arm_ids(self) -> tuple[str, ...]:
        return tuple(arm.arm_id for arm in self.arms)

    @property
    def ratio_sum(self) -> int:
        """Slots per multiplier: a block of multiplier m holds m * ratio_sum slots."""
        return sum(arm.ratio for arm in self.arms)

    @property
    def block_sizes(self) -> tuple[int, ...]:
        """The possible block sizes, ascending and without repeats."""
        return tuple(sorted({m * self.ratio_sum for m in self.block_multipliers}))


@dataclass(frozen=True, slots=True)
class Slot:
    """One line of the list: the `sequence`-th participant of `stratum` gets `arm_id`.

    `block_size` is the size drawn for the block; the last block of a stratum may hold fewer
    slots than that when n_per_stratum cuts it.
    """

    stratum: str
    sequence: int
    block: int
    block_size: int
    arm_id: str
    kit_code: str


@dataclass(frozen=True, slots=True)
class BlockCut:
    """A stratum's last block that n_per_stratum cut short: `n_slots` of `block_size` kept."""

    stratum: str
    block: int
    block_size: int
    n_slots: int


@dataclass(frozen=True, slots=True, repr=False)
class AllocationList:
    """A generated allocation list: slots grouped by stratum in parameter order.

    `seed` is None when the list came from a non-reproducible source (the system CSPRNG).
    `salt` is secret random bytes that make the published commitment unguessable.
    """

    parameters: AllocationParameters
    seed: int | bytes | None
    salt: bytes
    slots: tuple[Slot, ...]
    format_version: int = FORMAT_VERSION

    def __repr__(self) -> str:
        # Sealed data (arms, salt, seed) stays out of reprs, logs and tracebacks.
        seed = "system" if self.seed is None else "<hidden>"
        return (
            f"AllocationList(study_id={self.parameters.study_id!r}, "
            f"strata={len(self.parameters.strata)}, slots={len(self.slots)}, seed={seed})"
        )

    def slots_in(self, stratum: str) -> tuple[Slot, ...]:
        """The slots of one stratum, in sequence order."""
        try:
            index = self.parameters.strata.index(stratum)
        except ValueError:
            raise AllocationError(
                f"stratum: expected one of {', '.join(self.parameters.strata)}, got {stratum!r}"
            ) from None
        n = self.parameters.n_per_stratum
        return self.slots[index * n : (index + 1) * n]

    @property
    def truncated_blocks(self) -> tuple[BlockCut, ...]:
        """The last blocks that n_per_stratum cut short, one per stratum at most."""
        cuts = []
        for stratum in self.parameters.strata:
            slots = self.slots_in(stratum)
            last = slots[-1]
            kept = sum(1 for slot in slots[-last.block_size :] if slot.block == last.block)
            if kept < last.block_size:
                cuts.append(BlockCut(stratum, last.block, last.block_size, kept))
        return tuple(cuts)
