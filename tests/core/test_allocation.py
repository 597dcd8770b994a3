"""Tests of allocation list generation: reproducibility, balance, ratios, strata, kit codes.

References: the documented draw order is re-implemented independently below
(`_reference_csv`) from nothing but a SeededSource and the format description; the pinned CSV
is a regression pin made by this code (a seeded list must regenerate identically forever);
balance and independence are checked by counting and by chi-square tests from scipy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

import pytest
from scipy import stats

from psytrial.core.allocation import (
    KIT_ALPHABET,
    AllocationError,
    AllocationList,
    AllocationParameters,
    ArmRatio,
    BlockCut,
    SeededSource,
    commitment,
    generate_allocation,
    is_valid_kit_code,
    to_csv,
)

ONE_TO_ONE = (ArmRatio("high", 1), ArmRatio("low", 1))


def make(
    seed: int | bytes | None = 1,
    *,
    arms: Sequence[ArmRatio] = ONE_TO_ONE,
    strata: Sequence[str] = ("all",),
    n: int = 40,
    multipliers: Sequence[int] = (1, 2, 3),
) -> AllocationList:
    return generate_allocation(
        study_id="KPT2002",
        arms=arms,
        strata=strata,
        n_per_stratum=n,
        block_multipliers=multipliers,
        source=None if seed is None else SeededSource(seed),
    )


def blocks(allocation: AllocationList) -> dict[tuple[str, int], list[str]]:
    out: dict[tuple[str, int], list[str]] = {}
    for slot in allocation.slots:
        out.setdefault((slot.stratum, slot.block), []).append(slot.arm_id)
    return out


PINNED_CSV = """\
# psytrial allocation list
# format_version: 1
# study_id: KPT2002
# arms: high:1,low:1
# strata: sex=male,sex=female
# n_per_stratum: 7
# block_multipliers: 1,2
# seed: 20020101
# salt: ee9271a2093deb7620fac36b615fb9ba2f417ec8177d9eb17634fdb41b5fe77b
stratum,sequence,block,block_size,arm_id,kit_code
sex=male,1,1,2,low,C4H89TP9M
sex=male,2,1,2,high,5ZBQVAXKK
sex=male,3,2,4,low,KFHN6BHDQ
sex=male,4,2,4,high,GU97C9HMB
sex=male,5,2,4,high,UGQ2R52SD
sex=male,6,2,4,low,Z6JYD3B5Z
sex=male,7,3,2,high,GQ935WXXX
sex=female,1,1,4,low,38ZWCB3P7
sex=female,2,1,4,high,VJYYWM7C9
sex=female,3,1,4,low,9KFUM48VW
sex=female,4,1,4,high,3XYNYGPKB
sex=female,5,2,4,low,YN38B25SC
sex=female,6,2,4,high,NY2GV7DHD
sex=female,7,2,4,high,NUBJGX2BW
"""


def _pinned() -> AllocationList:
    return make(20020101, strata=("sex=male", "sex=female"), n=7, multipliers=(1, 2))


def test_it_regenerates_the_pinned_list_byte_for_byte() -> None:
    allocation = _pinned()
    assert to_csv(allocation) == PINNED_CSV
    assert commitment(allocation) == (
        "a4c6f9f128a2d6c7d9da35673535dbbb02c1bd2d1a1c5e81fa2f1a2dad1521d1"
    )


def _reference_csv(
    seed: int, arms: Sequence[ArmRatio], strata: Sequence[str], n: int, multipliers: Sequence[int]
) -> str:
    """The documented algorithm written out again, independently of the package."""
    source = SeededSource(seed)
    salt = source.token_bytes(32)
    rows = []
    for stratum in strata:
        block = 0
        stratum_rows: list[tuple[int, int, str]] = []
        while len(stratum_rows) < n:
            block += 1
            m = multipliers[source.randbelow(len(multipliers))]
            cells = [arm.arm_id for arm in arms for _ in range(m * arm.ratio)]
            for i in range(len(cells) - 1, 0, -1):
                j = source.randbelow(i + 1)
                cells[i], cells[j] = cells[j], cells[i]
            stratum_rows += [(block, len(cells), arm) for arm in cells]
        rows += [(stratum, i + 1, *row) for i, row in enumerate(stratum_rows[:n])]
    seen: set[int] = set()
    codes = []
    while len(codes) < len(rows):
        number = source.randbelow(31**8)
        if number in seen:
            continue
        seen.add(number)
        values = [(number // 31**p) % 31 for p in range(7, -1, -1)]
        check = (-sum((i + 1) * v for i, v in enumerate(values)) * pow(9, -1, 31)) % 31
        codes.append("".join(KIT_ALPHABET[v] for v in [*values, check]))
    header = [
        "# psytrial allocation list",
        "# format_version: 1",
        "# study_id: KPT2002",
        "# arms: " + ",".join(f"{a.arm_id}:{a.ratio}" for a in arms),
        "# strata: " + ",".join(strata),
        f"# n_per_stratum: {n}",
        "# block_multipliers: " + ",".join(map(str, multipliers)),
        f"# seed: {seed}",
        f"# salt: {salt.hex()}",
        "stratum,sequence,block,block_size,arm_id,kit_code",
    ]
    body = [",".join(map(str, [*row, code])) for row, code in zip(rows, codes, strict=True)]
    return "\n".join(header + body) + "\n"


@pytest.mark.parametrize(
    ("seed", "arms", "strata", "n", "multipliers"),
    [
        (20020101, ONE_TO_ONE, ("sex=male", "sex=female"), 7, (1, 2)),
        (3, (ArmRatio("a", 2), ArmRatio("b", 1), ArmRatio("c", 1)), ("x", "y", "z"), 23, (1, 3)),
        (0, (ArmRatio("only", 1),), ("all",), 5, (2,)),
    ],
)
def test_it_follows_the_documented_draw_order(
    seed: int,
    arms: Sequence[ArmRatio],
    strata: Sequence[str],
    n: int,
    multipliers: Sequence[int],
) -> None:
    allocation = make(seed, arms=arms, strata=strata, n=n, multipliers=multipliers)
    assert to_csv(allocation) == _reference_csv(seed, arms, strata, n, multipliers)


def test_it_gives_identical_csv_for_the_same_seed() -> None:
    assert to_csv(make(42, n=300)) == to_csv(make(42, n=300))
    assert to_csv(make(b"\x01\x02", n=30)) == to_csv(make(b"\x01\x02", n=30))


def test_it_gives_different_lists_for_different_seeds() -> None:
    a, b = make(42, n=300), make(43, n=300)
    assert [s.arm_id for s in a.slots] != [s.arm_id for s in b.slots]
    assert a.salt != b.salt
    assert {s.kit_code for s in a.slots}.isdisjoint({s.kit_code for s in b.slots})


def test_it_records_the_seed_and_a_32_byte_salt() -> None:
    assert make(42).seed == 42
    assert make(b"k").seed == b"k"
    system = make(None)
    assert system.seed is None
    assert len(system.salt) == 32
    assert system.salt != make(None).salt


def test_it_balances_every_complete_block() -> None:
    allocation = make(7, n=1001, multipliers=(1, 2, 3))
    cut = {(c.stratum, c.block) for c in allocation.truncated_blocks}
    sizes: Counter[int] = Counter()
    for key, arms in blocks(allocation).items():
        if key in cut:
            continue
        assert Counter(arms) == {"high": len(arms) // 2, "low": len(arms) // 2}
        sizes[len(arms)] += 1
    assert set(sizes) == {2, 4, 6}  # every multiplier gets drawn
    # sizes are drawn uniformly from the multipliers
    assert stats.chisquare(list(sizes.values())).pvalue > 0.001


def test_it_keeps_the_2_to_1_ratio_in_every_block() -> None:
    arms = (ArmRatio("ketamine", 2), ArmRatio("placebo", 1))
    allocation = make(11, arms=arms, n=600, multipliers=(1, 2))
    for slots in blocks(allocation).values():
        counts = Counter(slots)
        assert len(slots) in (3, 6)
        assert counts["ketamine"] == 2 * counts["placebo"]
    assert Counter(s.arm_id for s in allocation.slots) == {"ketamine": 400, "placebo": 200}


def test_it_generates_n_slots_for_each_stratum_with_their_own_blocks() -> None:
    strata = ("sex=male|site=spb", "sex=female|site=spb", "sex=male|site=msk")
    allocation = make(5, strata=strata, n=25)
    assert len(allocation.slots) == 75
    for stratum in strata:
        slots = allocation.slots_in(stratum)
        assert [s.stratum for s in slots] == [stratum] * 25
        assert [s.sequence for s in slots] == list(range(1, 26))
        assert slots[0].block == 1
        assert all(b.block - a.block in (0, 1) for a, b in pairwise(slots))
    arms_by_stratum = [[s.arm_id for s in allocation.slots_in(x)] for x in strata]
    assert arms_by_stratum[0] != arms_by_stratum[1]


def test_it_cuts_the_last_block_at_n_and_records_it() -> None:
    allocation = make(20020101, strata=("sex=male", "sex=female"), n=7, multipliers=(1, 2))
    assert allocation.truncated_blocks == (
        BlockCut("sex=male", 3, 2, 1),
        BlockCut("sex=female", 2, 4, 3),
    )
    exact = make(1, arms=ONE_TO_ONE, n=8, multipliers=(2,))  # blocks of 4 fill 8 exactly
    assert exact.truncated_blocks == ()


def test_it_refuses_an_unknown_stratum_lookup() -> None:
    with pytest.raises(AllocationError, match="stratum: expected one of all, got 'x'"):
        make().slots_in("x")


def test_it_gives_unique_kit_codes_with_valid_check_characters() -> None:
    allocation = make(9, strata=("a", "b"), n=5000)
    codes = [s.kit_code for s in allocation.slots]
    assert len(set(codes)) == len(codes)
    assert all(is_valid_kit_code(code) for code in codes)
    assert all(len(code) == 9 and set(code) <= set(KIT_ALPHABET) for code in codes)


class _CollidingSource:
    """Repeats the first kit-code draw once, to check that a collision is redrawn."""

    def __init__(self) -> None:
        self.inner = SeededSource(1)
        self.first: int | None = None
        self.repeated = False

    def randbelow(self, n: int) -> int:
        value = self.inner.randbelow(n)
        if n == 31**8:
            if self.first is None:
                self.first = value
            elif not self.repeated:
                self.repeated = True
                return self.first
        return value

    def token_bytes(self, n: int) -> bytes:
        return self.inner.token_bytes(n)


def test_it_redraws_a_kit_code_that_is_already_used() -> None:
    source = _CollidingSource()
    allocation = generate_allocation(
        study_id="S",
        arms=ONE_TO_ONE,
        strata=["all"],
        n_per_stratum=10,
        block_multipliers=[1],
        source=source,
    )
    codes = [s.kit_code for s in allocation.slots]
    assert source.repeated
    assert len(set(codes)) == 10
    assert allocation.seed is None  # not a SeededSource, so nothing to regenerate from


def _independence_p(arms: list[str], labels: list[str]) -> float:
    table: dict[str, Counter[str]] = {}
    for arm, label in zip(arms, labels, strict=True):
        table.setdefault(arm, Counter())[label] += 1
    columns = sorted({label for label in labels})
    matrix = [[table[arm][c] for c in columns] for arm in sorted(table)]
    return float(stats.chi2_contingency(matrix).pvalue)


def _rank_groups(codes: list[str], groups: int) -> list[str]:
    order = sorted(range(len(codes)), key=codes.__getitem__)
    labels = [""] * len(codes)
    for rank, index in enumerate(order):
        labels[index] = str(rank * groups // len(codes))
    return labels


def test_kit_codes_carry_nothing_about_the_arm_or_the_sequence() -> None:
    arms3 = (ArmRatio("high", 1), ArmRatio("mid", 1), ArmRatio("low", 1))
    allocation = make(2002, arms=arms3, n=30_000, multipliers=(1, 2))
    arms = [s.arm_id for s in allocation.slots]
    codes = [s.kit_code for s in allocation.slots]
    assert _independence_p(arms, [c[0] for c in codes]) > 0.001
    assert _independence_p(arms, [c[-1] for c in codes]) > 0.001
    assert _independence_p(arms, _rank_groups(codes, 10)) > 0.001
    sequence_tenth = [str(s.sequence * 10 // 30_001) for s in allocation.slots]
    assert _independence_p(sequence_tenth, _rank_groups(codes, 10)) > 0.001
    assert (
        stats.spearmanr([s.sequence for s in allocation.slots], _codes_rank(codes)).pvalue > 0.001
    )


def _codes_rank(codes: list[str]) -> list[int]:
    order = sorted(range(len(codes)), key=codes.__getitem__)
    ranks = [0] * len(codes)
    for rank, index in enumerate(order):
        ranks[index] = rank
    return ranks


def test_the_independence_check_can_fail_on_codes_sorted_by_arm() -> None:
    # A careless generator that hands out sorted codes arm by arm would leak the arm.
    allocation = make(2002, n=3000, multipliers=(1,))
    codes = sorted(s.kit_code for s in allocation.slots)
    arms = sorted(s.arm_id for s in allocation.slots)
    assert _independence_p(arms, _rank_groups(codes, 10)) < 1e-10


def test_the_system_source_gives_a_valid_list() -> None:
    allocation = make(None, strata=("a", "b"), n=50)
    assert allocation.seed is None
    assert len(allocation.slots) == 100
    for key, slots in blocks(allocation).items():
        if key not in {(c.stratum, c.block) for c in allocation.truncated_blocks}:
            assert Counter(slots)["high"] == Counter(slots)["low"]


def test_its_repr_hides_the_seed_salt_and_arms() -> None:
    allocation = make(20020101, n=4)
    text = repr(allocation)
    assert "20020101" not in text and "high" not in text and allocation.salt.hex() not in text
    assert text == "AllocationList(study_id='KPT2002', strata=1, slots=4, seed=<hidden>)"
    assert "seed=system" in repr(make(None, n=4))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"arms": []}, "arms: expected at least one arm, got none"),
        (
            {"arms": [ArmRatio("a", 1), ArmRatio("a", 2)]},
            "arms: expected unique arm ids, got 'a' twice",
        ),
        ({"arms": ["a"]}, r"arms\[0\]: expected an ArmRatio, got 'a'"),
        ({"arms": "ab"}, "arms: expected a list, got 'ab'"),
        (
            {"strata": []},
            r"strata: expected at least one stratum label \('all' when unstratified\)",
        ),
        ({"strata": "all"}, "strata: expected a list, got 'all'"),
        ({"strata": ["x", "y", "x"]}, "strata: expected unique labels, got 'x' twice"),
        ({"strata": ["a,b"]}, r"strata\[0\]: expected a stratum label .* got 'a,b'"),
        ({"strata": [""]}, r"strata\[0\]: expected a stratum label"),
        ({"n_per_stratum": 0}, "n_per_stratum: expected an integer >= 1, got 0"),
        ({"n_per_stratum": 2.5}, "n_per_stratum: expected an integer >= 1, got 2.5"),
        ({"n_per_stratum": True}, "n_per_stratum: expected an integer >= 1, got True"),
        ({"n_per_stratum": 10_000_001}, "expected at most 10000000 slots, got 10000001"),
        (
            {"block_multipliers": []},
            "block_multipliers: expected at least one multiplier, got none",
        ),
        ({"block_multipliers": [1, 0]}, r"block_multipliers\[1\]: expected an integer >= 1, got 0"),
        ({"study_id": " KPT"}, "study_id: expected 1 to 100 letters"),
        ({"study_id": ""}, "study_id: expected 1 to 100 letters"),
    ],
)
def test_it_refuses_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    params: dict[str, object] = {
        "study_id": "KPT2002",
        "arms": ONE_TO_ONE,
        "strata": ["all"],
        "n_per_stratum": 10,
        "block_multipliers": [1],
        **kwargs,
    }
    with pytest.raises(AllocationError, match=message):
        generate_allocation(**params, source=SeededSource(1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arm_id", "ratio", "message"),
    [
        ("high", 0, "ratio of arm 'high': expected an integer >= 1, got 0"),
        ("high", -2, "ratio of arm 'high': expected an integer >= 1, got -2"),
        ("", 1, "arm_id: expected an arm id .* got ''"),
        ("a:b", 1, "arm_id: expected an arm id .* got 'a:b'"),
        ("_x", 1, "arm_id: expected an arm id"),
    ],
)
def test_it_refuses_bad_arms(arm_id: str, ratio: int, message: str) -> None:
    with pytest.raises(AllocationError, match=message):
        ArmRatio(arm_id, ratio)


def test_parameters_expose_sizes_and_store_tuples() -> None:
    params = AllocationParameters("S", [ArmRatio("a", 2), ArmRatio("b", 1)], ["x"], 5, [3, 1, 3])  # type: ignore[arg-type]
    assert params.arms == (ArmRatio("a", 2), ArmRatio("b", 1))
    assert params.arm_ids == ("a", "b")
    assert params.ratio_sum == 3
    assert params.block_sizes == (3, 9)
    assert isinstance(params.block_multipliers, tuple)
