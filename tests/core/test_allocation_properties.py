"""Property tests: for any valid parameters and seed, the list keeps every structural promise.

Checked for each generated list: complete blocks hold each arm exactly multiplier * ratio
times, only a stratum's last block is cut, sequences run 1..n without gaps, blocks are numbered
1, 2, ... with sizes drawn from the allowed ones, kit codes are valid and unique, the CSV round
trips byte for byte, and verification passes.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from psytrial.core.allocation import (
    AllocationList,
    ArmRatio,
    SeededSource,
    from_csv,
    generate_allocation,
    is_valid_kit_code,
    to_csv,
    verify,
)

arm_lists = st.lists(
    st.tuples(st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True), st.integers(1, 3)),
    min_size=1,
    max_size=4,
    unique_by=lambda pair: pair[0],
).map(lambda pairs: [ArmRatio(arm_id, ratio) for arm_id, ratio in pairs])
strata_lists = st.lists(
    st.from_regex(r"[a-z]{1,4}=[a-z0-9]{1,4}(\|site=[a-z]{1,3})?", fullmatch=True),
    min_size=1,
    max_size=3,
    unique=True,
)
multiplier_lists = st.lists(st.integers(1, 4), min_size=1, max_size=3)
seeds = st.one_of(st.integers(0, 2**128), st.binary(min_size=1, max_size=16))


def _check_stratum(allocation: AllocationList, stratum: str) -> None:
    params = allocation.parameters
    slots = allocation.slots_in(stratum)
    assert [s.sequence for s in slots] == list(range(1, params.n_per_stratum + 1))
    by_block: dict[int, list[str]] = {}
    sizes: dict[int, int] = {}
    for slot in slots:
        by_block.setdefault(slot.block, []).append(slot.arm_id)
        assert sizes.setdefault(slot.block, slot.block_size) == slot.block_size
    assert list(by_block) == list(range(1, len(by_block) + 1))
    last = len(by_block)
    for block, arms in by_block.items():
        size = sizes[block]
        assert size in params.block_sizes
        multiplier = size // params.ratio_sum
        quota = {arm.arm_id: multiplier * arm.ratio for arm in params.arms}
        counts = Counter(arms)
        if block < last or len(arms) == size:
            assert len(arms) == size
            assert counts == quota
        else:
            assert len(arms) < size
            assert all(counts[arm_id] <= quota[arm_id] for arm_id in counts)


@settings(max_examples=60, deadline=None)
@given(
    arms=arm_lists,
    strata=strata_lists,
    n=st.integers(1, 60),
    multipliers=multiplier_lists,
    seed=seeds,
)
def test_any_valid_parameters_give_a_well_formed_list(
    arms: list[ArmRatio], strata: list[str], n: int, multipliers: list[int], seed: int | bytes
) -> None:
    allocation = generate_allocation(
        study_id="P",
        arms=arms,
        strata=strata,
        n_per_stratum=n,
        block_multipliers=multipliers,
        source=SeededSource(seed),
    )
    assert len(allocation.slots) == n * len(strata)
    for stratum in strata:
        _check_stratum(allocation, stratum)
    codes = [slot.kit_code for slot in allocation.slots]
    assert len(set(codes)) == len(codes)
    assert all(is_valid_kit_code(code) for code in codes)
    text = to_csv(allocation)
    assert to_csv(from_csv(text)) == text
    assert from_csv(text) == allocation
    assert verify(text, seed).ok
