"""Generation of a stratified, permuted-block allocation list with randomly varying block sizes.

The draws happen in this fixed order (format version 1; a seeded list depends on it):

1. the salt: `token_bytes(32)`;
2. for each stratum in parameter order, block after block until n_per_stratum slots exist:
   the block's multiplier `block_multipliers[randbelow(len(block_multipliers))]`, then a
   Fisher-Yates shuffle of the block's arm ids (listed in arm order, each repeated
   multiplier * ratio times): for i from size - 1 down to 1, swap i with randbelow(i + 1);
   the last block is cut at n_per_stratum;
3. the kit codes, one per slot in list order, drawn independently of the arms.
"""

from __future__ import annotations

from collections.abc import Sequence

from psytrial.core.allocation._kitcode import draw_kit_codes
from psytrial.core.allocation._model import (
    SALT_BYTES,
    AllocationList,
    AllocationParameters,
    ArmRatio,
    Slot,
    as_tuple,
)
from psytrial.core.drbg import RandomSource, SeededSource, SystemSource


def _shuffled_block(template: list[str], source: RandomSource) -> list[str]:
    block = template[:]
    randbelow = source.randbelow
    for i in range(len(block) - 1, 0, -1):
        j = randbelow(i + 1)
        block[i], block[j] = block[j], block[i]
    return block


def _stratum_blocks(
    parameters: AllocationParameters, source: RandomSource
) -> list[tuple[int, int, str]]:
    """(block, block_size, arm_id) for the n_per_stratum slots of one stratum."""
    templates = {
        m: [arm.arm_id for arm in parameters.arms for _ in range(m * arm.ratio)]
        for m in set(parameters.block_multipliers)
    }
    multipliers = parameters.block_multipliers
    n = parameters.n_per_stratum
    rows: list[tuple[int, int, str]] = []
    block = 0
    while len(rows) < n:
        block += 1
        multiplier = multipliers[source.randbelow(len(multipliers))]
        arms = _shuffled_block(templates[multiplier], source)
        size = len(arms)
        rows.extend((block, size, arm_id) for arm_id in arms[: n - len(rows)])
    return rows


def generate_from(
    parameters: AllocationParameters, source: RandomSource | None = None
) -> AllocationList:
    """The allocation list for validated parameters, drawn from `source` (default: system)."""
    if source is None:
        source = SystemSource()
    salt = source.token_bytes(SALT_BYTES)
    assignments = [
        (stratum, sequence, block, size, arm_id)
        for stratum in parameters.strata
        for sequence, (block, size, arm_id) in enumerate(_stratum_blocks(parameters, source), 1)
    ]
    codes = draw_kit_codes(source, len(assignments))
    slots = tuple(
        Slot(stratum, sequence, block, size, arm_id, code)
        for (stratum, sequence, block, size, arm_id), code in zip(assignments, codes, strict=True)
    )
    seed = source.seed if isinstance(source, SeededSource) else None
    return AllocationList(parameters, seed, salt, slots)


def generate_allocation(
    *,
    study_id: str,
    arms: Sequence[ArmRatio],
    strata: Sequence[str],
    n_per_stratum: int,
    block_multipliers: Sequence[int],
    source: RandomSource | None = None,
) -> AllocationList:
    """Generate an allocation list: `n_per_stratum` slots for each stratum.

    Each block holds every arm exactly in proportion to its ratio, and its size is
    multiplier * sum(ratios) for a multiplier drawn at random from `block_multipliers`
    (uniformly over its entries, so listing a multiplier twice doubles its weight).
    `source` defaults to the system CSPRNG; pass `SeededSource(seed)` for a list that
    `verify` can regenerate. Bad parameters raise AllocationError.
    """
    parameters = AllocationParameters(
        study_id=study_id,
        arms=as_tuple(arms, "arms"),  # type: ignore[arg-type]  # checked in __post_init__
        strata=as_tuple(strata, "strata"),  # type: ignore[arg-type]
        n_per_stratum=n_per_stratum,
        block_multipliers=as_tuple(block_multipliers, "block_multipliers"),  # type: ignore[arg-type]
    )
    return generate_from(parameters, source)
