"""Tests of blinded weight-based dose preparation (psytrial.core.dosing).

References: the hand-computed examples below (arithmetic written out in each comment); an
independent oracle in this file that computes each volume with Decimal and ROUND_HALF_UP,
with none of the module's code; and, for the vectorized path, the scalar path itself on a
1 g grid and on hypothesis-drawn rules, limits and weights. The reference limits are those
of protocols/kpt2002.yaml (ASSUMPTION there: not published): 40-120 kg, at most 250 mg,
5.0 ml at one site, 0.1 ml graduation, 5.0 ml total, 5 % dose error; stocks 50 and 10 mg/ml.
"""

from __future__ import annotations

import dataclasses
import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from psytrial.core.dosing import (
    BlindedPreparation,
    DoseRule,
    DosingLimits,
    Preparation,
    SealedDosingError,
    blinded_view,
    check_limits,
    common_total_volume,
    prepare,
    prepare_many,
)
from psytrial.core.errors import DosingError

HIGH = DoseRule("high", 2.0, 50)
LOW = DoseRule("low", 0.2, 10)


def limits(**changes: object) -> DosingLimits:
    values: dict[str, object] = {
        "min_weight_kg": 40,
        "max_weight_kg": 120,
        "max_mg": 250,
        "max_volume_per_site_ml": 5.0,
        "injection_sites": 1,
        "graduation_ml": 0.1,
        "total_volume_ml": 5.0,
        "max_dose_error_pct": 5,
    }
    values.update(changes)
    return DosingLimits(**values)  # type: ignore[arg-type]


KPT = limits()
# With 10 % tolerated, every weight in 40-120 kg can be prepared in both arms: the worst
# rounding is half a 1 mg graduation of the low arm on 8 mg at 40 kg, 6.25 %.
WIDE = limits(max_dose_error_pct=10)


def oracle_ml(kg: str, mg_per_kg: str, stock: str, grad: str) -> Decimal:
    """The drug volume by plain decimal arithmetic, rounded half up to the graduation."""
    with localcontext() as ctx:
        ctx.prec = 60
        units = Decimal(kg) * Decimal(mg_per_kg) / Decimal(stock) / Decimal(grad)
        return units.to_integral_value(rounding=ROUND_HALF_UP) * Decimal(grad)


# --- hand-computed examples -----------------------------------------------------------------


def test_it_prepares_the_high_dose_for_70_kg() -> None:
    # 70 kg x 2.0 mg/kg = 140 mg; 140 / 50 mg/ml = 2.8 ml; 5.0 - 2.8 = 2.2 ml of diluent.
    prep = prepare(70, HIGH, KPT)
    assert prep == Preparation(
        weight_kg=Decimal("70"),
        arm_id="high",
        mg_target=Decimal("140"),
        drug_ml=Decimal("2.8"),
        diluent_ml=Decimal("2.2"),
        total_ml=Decimal("5.0"),
        mg_delivered=Decimal("140"),
        dose_error_pct=0.0,
        volume_per_site_ml=Decimal("5.0"),
    )
    assert str(prep.diluent_ml) == "2.2"  # not 2.1999999999999997


def test_it_prepares_the_low_dose_for_70_kg() -> None:
    # 70 kg x 0.2 mg/kg = 14 mg; 14 / 10 mg/ml = 1.4 ml; 5.0 - 1.4 = 3.6 ml of diluent.
    prep = prepare(70, LOW, KPT)
    assert (prep.mg_target, prep.drug_ml, prep.diluent_ml) == (14, Decimal("1.4"), Decimal("3.6"))
    assert (prep.total_ml, prep.mg_delivered, prep.dose_error_pct) == (Decimal("5.0"), 14, 0.0)


@pytest.mark.parametrize(
    ("kg", "rule", "mg", "drug", "diluent", "delivered"),
    [
        # 40 x 2.0 = 80 mg -> 1.6 ml exactly; 120 x 2.0 = 240 mg -> 4.8 ml exactly.
        (40, HIGH, "80", "1.6", "3.4", "80"),
        (120, HIGH, "240", "4.8", "0.2", "240"),
        # 40 x 0.2 = 8 mg -> 0.8 ml; 120 x 0.2 = 24 mg -> 2.4 ml.
        (40, LOW, "8", "0.8", "4.2", "8"),
        (120, LOW, "24", "2.4", "2.6", "24"),
        # 83.7 x 2.0 = 167.4 mg -> 3.348 ml -> 3.3 ml (33.48 graduations) -> 165 mg.
        (83.7, HIGH, "167.4", "3.3", "1.7", "165"),
        # 0.1 + 0.2 kg style float: 70.3 x 0.2 = 14.06 mg -> 1.406 ml -> 1.4 ml -> 14 mg.
        (70.3, LOW, "14.06", "1.4", "3.6", "14"),
    ],
)
def test_it_matches_hand_computed_preparations(
    kg: float, rule: DoseRule, mg: str, drug: str, diluent: str, delivered: str
) -> None:
    prep = prepare(kg, rule, KPT)
    assert prep.mg_target == Decimal(mg)
    assert str(prep.drug_ml) == drug
    assert str(prep.diluent_ml) == diluent
    assert prep.mg_delivered == Decimal(delivered)
    assert prep.drug_ml + prep.diluent_ml == prep.total_ml == Decimal("5.0")


def test_it_reports_the_dose_error_of_rounding() -> None:
    # 83.7 kg: 165 mg delivered for 167.4 mg, (165 - 167.4) / 167.4 = -2.4/167.4 = -20/1395.
    assert prepare(83.7, HIGH, KPT).dose_error_pct == float(Fraction(-2400, 1674))
    assert prepare(83.7, HIGH, KPT).dose_error_pct == pytest.approx(-1.4336917562724014)
    # 71.25 kg: 142.5 mg -> 2.85 ml, a tie, drawn as 2.9 ml = 145 mg: +2.5/142.5 = +100/57 %.
    prep = prepare(71.25, HIGH, KPT)
    assert (prep.drug_ml, prep.mg_delivered) == (Decimal("2.9"), 145)
    assert prep.dose_error_pct == float(Fraction(100, 57))


# --- rounding at graduation boundaries ------------------------------------------------------


@pytest.mark.parametrize(
    ("kg", "rule", "graduation", "drug"),
    [
        # 2.0 mg/kg at 50 mg/ml is 0.04 ml/kg; 2.85 ml is a tie between 2.8 and 2.9.
        (71.249, HIGH, 0.1, "2.8"),  # 2.84996 ml
        (71.25, HIGH, 0.1, "2.9"),  # 2.85 ml exactly, half up
        (71.251, HIGH, 0.1, "2.9"),  # 2.85004 ml
        # Ties where naive floats fall just short of .5 and round the wrong way:
        (41.25, HIGH, 0.1, "1.7"),  # 1.65 ml; 41.25*2.0/50/0.1 = 16.499999999999996
        (47.5, LOW, 0.1, "1.0"),  # 0.95 ml; 47.5*0.2/10/0.1 = 9.499999999999998
        (44.375, HIGH, 0.05, "1.80"),  # 1.775 ml = 35.5 graduations of 0.05
        # A 0.05 ml graduation: 2.875 ml is 57.5 graduations -> 58 -> 2.90 ml.
        (71.875, HIGH, 0.05, "2.90"),
        (71.874, HIGH, 0.05, "2.85"),  # 2.87496 ml -> 57 graduations
        (70, HIGH, 0.05, "2.80"),
    ],
)
def test_it_rounds_half_up_to_the_graduation(
    kg: float, rule: DoseRule, graduation: float, drug: str
) -> None:
    prep = prepare(kg, rule, limits(graduation_ml=graduation, max_dose_error_pct=10))
    assert str(prep.drug_ml) == drug
    oracle = oracle_ml(str(kg), str(rule.mg_per_kg), str(rule.stock_mg_per_ml), str(graduation))
    assert prep.drug_ml == oracle


def test_it_reads_the_weight_to_the_gram() -> None:
    # 70.0004 kg is read as 70.000 kg, 70.0006 kg as 70.001 kg (then 140.002 mg).
    assert prepare(70.0004, HIGH, KPT).weight_kg == Decimal("70")
    assert prepare(70.0006, HIGH, KPT).mg_target == Decimal("140.002")
    assert prepare(Decimal("70.5"), HIGH, KPT) == prepare(70.5, HIGH, KPT)
    assert prepare(np.float32(70.5), HIGH, KPT) == prepare(70.5, HIGH, KPT)


def test_it_accepts_the_range_bounds_and_refuses_just_outside() -> None:
    assert prepare(40.0, HIGH, KPT).weight_kg == 40
    assert prepare(120.0, HIGH, KPT).weight_kg == 120
    with pytest.raises(DosingError, match="between 40 and 120 kg"):
        prepare(math.nextafter(120.0, math.inf), HIGH, KPT)
    with pytest.raises(DosingError, match="between 40 and 120 kg"):
        prepare(math.nextafter(40.0, 0.0), HIGH, KPT)
    # A bound that is no exact float is compared as the float a weight would be typed as.
    assert prepare(40.3, HIGH, limits(min_weight_kg=40.3)).weight_kg == Decimal("40.3")


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [math.nan, math.inf, -math.inf, 0, -70.0, Decimal("NaN")])
def test_it_refuses_a_weight_that_is_no_finite_positive_number(weight: object) -> None:
    with pytest.raises(DosingError, match="expected a finite positive number of kg, got") as err:
        prepare(weight, HIGH, KPT)  # type: ignore[arg-type]
    assert not isinstance(err.value, SealedDosingError)


@pytest.mark.parametrize("weight", ["70", None, True, [70], 10**400, Decimal("sNaN")])
def test_it_refuses_a_weight_that_is_no_number(weight: object) -> None:
    with pytest.raises(DosingError, match=r"^weight_kg: expected a finite positive number"):
        prepare(weight, HIGH, KPT)  # type: ignore[arg-type]


def test_it_refuses_a_weight_outside_the_range() -> None:
    with pytest.raises(DosingError) as err:
        prepare(150, HIGH, KPT)
    assert str(err.value) == "weight_kg: expected a weight between 40 and 120 kg, got 150.0"
    assert not isinstance(err.value, SealedDosingError)


def test_it_refuses_a_dose_above_max_mg() -> None:
    # 110 kg x 2.0 = 220 mg > 200 mg; never clipped to 200 mg.
    with pytest.raises(SealedDosingError) as err:
        prepare(110, HIGH, limits(max_mg=200))
    assert str(err.value) == (
        "mg_target: expected at most 200 mg, got 220 mg (110 kg at 2.0 mg/kg)"
    )
    assert prepare(100, HIGH, limits(max_mg=200)).mg_target == 200  # the cap itself is fine


def test_it_refuses_a_drug_volume_above_the_common_total() -> None:
    # 110 kg x 0.04 ml/kg = 4.4 ml > 4.0 ml; 100 kg gives exactly 4.0 ml, no diluent.
    with pytest.raises(SealedDosingError) as err:
        prepare(110, HIGH, limits(total_volume_ml=4.0))
    assert str(err.value) == (
        "drug_ml: expected at most the common total volume of 4.0 ml, got 4.4 ml for 110 kg"
    )
    assert prepare(100, HIGH, limits(total_volume_ml=4.0)).diluent_ml == 0


def test_it_refuses_a_drug_volume_that_rounds_to_zero() -> None:
    # 2 kg x 0.2 = 0.4 mg = 0.04 ml, under half of the 0.1 ml graduation.
    with pytest.raises(SealedDosingError) as err:
        prepare(2, LOW, limits(min_weight_kg=1))
    assert str(err.value) == (
        "drug_ml: expected at least one 0.1 ml graduation, got 0.4 mg for 2 kg, under half a "
        "graduation of the 10 mg/ml stock"
    )
    # 2.5 kg: 0.05 ml is a tie and rounds up to 0.1 ml (1 mg for 0.5 mg, +100 %).
    assert prepare(2.5, LOW, limits(min_weight_kg=1, max_dose_error_pct=100)).drug_ml == Decimal(
        "0.1"
    )


def test_it_refuses_a_delivered_dose_above_max_mg_after_rounding() -> None:
    # 71.4 kg: 142.8 mg <= 143 mg, but 2.856 ml rounds to 2.9 ml = 145 mg > 143 mg.
    with pytest.raises(SealedDosingError) as err:
        prepare(71.4, HIGH, limits(max_mg=143))
    assert str(err.value) == (
        "mg_delivered: expected at most 143 mg, got 145 mg after rounding 142.8 mg to 2.9 ml"
    )


def test_it_refuses_a_dose_error_beyond_the_tolerance() -> None:
    # 42.5 kg x 0.2 = 8.5 mg = 0.85 ml, a tie, drawn as 0.9 ml = 9 mg: +0.5/8.5 = +5.882 %.
    with pytest.raises(SealedDosingError) as err:
        prepare(42.5, LOW, KPT)
    assert str(err.value) == (
        "dose_error_pct: expected a rounding error of at most 5%, got +5.882% "
        "(9 mg delivered for 8.5 mg at 42.5 kg)"
    )


def test_it_accepts_a_dose_error_exactly_at_the_tolerance() -> None:
    # 62.5 kg x 0.2 = 12.5 mg -> 1.25 ml, a tie -> 1.3 ml = 13 mg: +0.5/12.5 = +4 % exactly.
    assert prepare(62.5, LOW, limits(max_dose_error_pct=4)).dose_error_pct == 4.0
    with pytest.raises(SealedDosingError, match=r"got \+4\.000%"):
        prepare(62.5, LOW, limits(max_dose_error_pct=Decimal("3.999")))


def test_it_reports_the_first_failing_check() -> None:
    # 110 kg is above max_mg (220 > 200) and too large for 4.0 ml (4.4 ml): max_mg wins.
    with pytest.raises(SealedDosingError, match=r"^mg_target"):
        prepare(110, HIGH, limits(max_mg=200, total_volume_ml=4.0))


# --- inconsistent limits and rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_weight_kg": 0}, "min_weight_kg: expected a number greater than 0, got 0"),
        ({"min_weight_kg": 0.0001}, "min_weight_kg: expected at least 0.001 kg"),
        ({"max_weight_kg": 30}, "max_weight_kg: expected at least min_weight_kg 40, got 30"),
        ({"max_mg": -1}, "max_mg: expected a number greater than 0, got -1"),
        ({"graduation_ml": 0}, "graduation_ml: expected a number greater than 0, got 0"),
        ({"max_volume_per_site_ml": math.nan}, "max_volume_per_site_ml: expected a finite"),
        ({"max_dose_error_pct": -1}, "max_dose_error_pct: expected at least 0, got -1"),
        ({"max_dose_error_pct": "5"}, "max_dose_error_pct: expected a number, got '5'"),
        ({"injection_sites": 0}, "injection_sites: expected a whole number of at least 1"),
        ({"injection_sites": True}, "injection_sites: expected a whole number of at least 1"),
        ({"total_volume_ml": 0}, "total_volume_ml: expected a number greater than 0, got 0"),
        ({"total_volume_ml": 5.05}, "total_volume_ml: expected a whole number of 0.1 ml"),
        (
            {"total_volume_ml": 5.1, "injection_sites": 2},
            "total_volume_ml: expected a volume that splits into 2 sites of whole 0.1 ml "
            "graduations, got 5.1",
        ),
        (
            {"total_volume_ml": 6.0, "injection_sites": 2, "max_volume_per_site_ml": 2.5},
            "total_volume_ml: expected at most 2.5 ml per site (2 sites), got 3.0 ml per site "
            "for 6.0 ml",
        ),
        (
            {"total_volume_ml": 6.0},
            "total_volume_ml: expected at most 5.0 ml per site (1 sites), got 6.0 ml per site",
        ),
    ],
)
def test_it_refuses_inconsistent_limits(changes: dict[str, object], message: str) -> None:
    with pytest.raises(DosingError) as err:
        limits(**changes)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", 2.0, 50), "arm_id: expected a non-empty string, got ''"),
        (("high", 0, 50), "mg_per_kg: expected a number greater than 0, got 0"),
        (("high", 2.0, math.inf), "stock_mg_per_ml: expected a finite number, got inf"),
        (("high", 2.0, None), "stock_mg_per_ml: expected a number, got None"),
    ],
)
def test_it_refuses_an_invalid_rule(args: tuple[object, object, object], message: str) -> None:
    with pytest.raises(DosingError, match=f"^{message}$"):
        DoseRule(*args)  # type: ignore[arg-type]


def test_it_refuses_to_prepare_without_a_common_total() -> None:
    with pytest.raises(DosingError, match=r"^total_volume_ml: expected the common total"):
        prepare(70, HIGH, limits(total_volume_ml=None))
    with pytest.raises(DosingError, match=r"^rule: expected a DoseRule"):
        prepare(70, "high", KPT)  # type: ignore[arg-type]
    with pytest.raises(DosingError, match=r"^limits: expected DosingLimits"):
        prepare(70, HIGH, {"total_volume_ml": 5})  # type: ignore[arg-type]


def test_it_keeps_plain_numbers_exact() -> None:
    rule = DoseRule("x", Decimal("0.35"), 7)
    assert rule.mg_per_kg == Decimal("0.35") and rule.stock_mg_per_ml == Decimal(7)
    assert KPT.graduation_ml == Decimal("0.1")  # read from the float 0.1 by its repr
    with pytest.raises(dataclasses.FrozenInstanceError):
        KPT.total_volume_ml = 4  # type: ignore[misc]


# --- one total volume for every arm ---------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(kg=st.integers(40_000, 120_000).map(lambda g: g / 1000) | st.floats(40, 120))
def test_it_makes_up_every_arm_to_the_same_total(kg: float) -> None:
    high, low = prepare(kg, HIGH, WIDE), prepare(kg, LOW, WIDE)
    assert high.total_ml == low.total_ml == WIDE.total_volume_ml
    assert high.drug_ml + high.diluent_ml == low.drug_ml + low.diluent_ml == Decimal("5.0")
    assert blinded_view(high) == blinded_view(low)
    grams = str(high.weight_kg)  # as read, to the gram
    assert high.drug_ml == oracle_ml(grams, "2.0", "50", "0.1")
    assert low.drug_ml == oracle_ml(grams, "0.2", "10", "0.1")


def test_it_shows_a_blinded_clinician_nothing_that_reveals_the_arm() -> None:
    fields = {field.name for field in dataclasses.fields(BlindedPreparation)}
    assert fields == {"total_ml", "volume_per_site_ml"}
    view = blinded_view(prepare(70, HIGH, KPT))
    assert not hasattr(view, "__dict__")  # slots: nothing can be attached to it
    for hidden in ("high", "arm", "mg", "2.8", "2.2", "140", "drug", "diluent"):
        assert hidden not in repr(view)
    two_sites = limits(injection_sites=2, max_volume_per_site_ml=2.5)
    assert blinded_view(prepare(70, LOW, two_sites)) == BlindedPreparation(
        total_ml=Decimal("5.0"), volume_per_site_ml=Decimal("2.5")
    )


# --- the common total volume and the load-time check --------------------------------------


def test_it_finds_the_smallest_common_total_volume() -> None:
    # At 120 kg: high 4.8 ml, low 2.4 ml.
    no_total = limits(total_volume_ml=None)
    assert common_total_volume([HIGH, LOW], no_total) == Decimal("4.8")
    assert common_total_volume([LOW], no_total) == Decimal("2.4")
    # 5 sites: 48 graduations round up to 50 so each site gets a whole 1.0 ml.
    assert common_total_volume([HIGH, LOW], limits(injection_sites=5)) == Decimal("5.0")
    # A rounded-up tie at the maximum weight: 121.25 kg -> 4.85 ml -> 4.9 ml.
    assert common_total_volume([HIGH], limits(max_weight_kg=121.25)) == Decimal("4.9")
    fitted = limits(total_volume_ml=common_total_volume([HIGH, LOW], no_total))
    assert prepare(120, HIGH, fitted).diluent_ml == 0


def test_it_refuses_a_common_total_volume_beyond_the_sites() -> None:
    with pytest.raises(DosingError, match=r"^total_volume_ml: expected at most 4.0 ml per site"):
        common_total_volume([HIGH], limits(total_volume_ml=None, max_volume_per_site_ml=4.0))
    with pytest.raises(DosingError, match=r"^rules: expected some arm to need at least one"):
        common_total_volume([DoseRule("tiny", 0.0001, 100)], limits(total_volume_ml=None))


def test_it_rejects_limits_whose_total_cannot_hold_an_arm_at_the_max_weight() -> None:
    check_limits([HIGH, LOW], KPT)
    with pytest.raises(DosingError) as err:
        check_limits([HIGH, LOW], limits(total_volume_ml=4.5))
    assert str(err.value) == (
        "total_volume_ml: expected at least 4.8 ml to hold arm 'high' at 120 kg, got 4.5"
    )
    # Rounded as drawn: 121.25 kg needs 4.85 ml, which is drawn as 4.9 ml.
    with pytest.raises(DosingError, match=r"expected at least 4.9 ml"):
        check_limits([HIGH], limits(max_weight_kg=121.25, total_volume_ml=4.8))


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([], "rules: expected at least one DoseRule, got none"),
        ([HIGH, DoseRule("high", 1, 50)], "rules: expected distinct arm ids"),
        ([HIGH, "low"], "rules: expected DoseRule values"),
    ],
)
def test_it_refuses_bad_rule_lists(rules: list[DoseRule], message: str) -> None:
    with pytest.raises(DosingError, match=f"^{message}"):
        check_limits(rules, KPT)


def test_it_refuses_figures_too_fine_for_exact_arithmetic() -> None:
    fine = DoseRule("fine", Decimal("2.000000000000000000001"), 50)
    with pytest.raises(DosingError, match=r"^limits: expected dosing figures whose products fit"):
        check_limits([fine], KPT)
    with pytest.raises(DosingError, match=r"^limits: expected dosing figures"):
        prepare_many(np.array([70.0]), fine, KPT)


# --- the vectorized path --------------------------------------------------------------------


def assert_same_as_scalar(weights: np.ndarray, rule: DoseRule, lim: DosingLimits) -> int:
    """Every row of prepare_many equals prepare, to the bit and the word; returns refusals."""
    table, refusals = prepare_many(weights, rule, lim)
    reasons = dict(refusals)
    assert len(reasons) == len(refusals) and len(table) == len(weights)
    for i, kg in enumerate(weights.tolist()):
        try:
            prep = prepare(kg, rule, lim)
        except DosingError as err:
            assert reasons[i] == str(err)
            assert not table.prepared[i] and math.isnan(table.drug_ml[i])
            continue
        assert i not in reasons and table.prepared[i]
        row = {name: getattr(table, name)[i] for name in ROW_FIELDS}
        assert row == {name: float(getattr(prep, name)) for name in ROW_FIELDS}
        assert table.arm_id == prep.arm_id
        assert Decimal(int(table.drug_units[i])) * Decimal(str(lim.graduation_ml)) == prep.drug_ml
    return len(refusals)


ROW_FIELDS = (
    "weight_kg",
    "mg_target",
    "drug_ml",
    "diluent_ml",
    "total_ml",
    "mg_delivered",
    "dose_error_pct",
    "volume_per_site_ml",
)


@pytest.mark.parametrize("rule", [HIGH, LOW], ids=["high", "low"])
@pytest.mark.parametrize("graduation", [0.1, 0.05])
def test_it_vectorizes_exactly_on_a_grid(rule: DoseRule, graduation: float) -> None:
    # Every 25 g from 39 to 121 kg. All rounding ties of both arms fall on the grid: with
    # 0.05 ml graduations the high arm draws grams / 1250 graduations, a tie every 625 g.
    weights = np.arange(39_000, 121_001, 25) / 1000
    refused = assert_same_as_scalar(weights, rule, limits(graduation_ml=graduation))
    assert refused >= 80  # the 39-40 and 120-121 kg margins, at least


def test_it_vectorizes_refusals_of_every_kind() -> None:
    lim = limits(min_weight_kg=0.1, max_mg=143, total_volume_ml=3.0)
    # 80 kg: 160 mg > 143; 71.4 kg: 145 mg delivered; 0.5 kg: 0.02 ml -> 0 graduations;
    # 2 kg: 0.08 ml -> 0.1 ml = 5 mg for 4 mg, +25 %; then 42.5, 70 and 30 kg are fine.
    weights = np.array([np.nan, -1, 0, np.inf, 150, 80, 71.4, 0.5, 2, 42.5, 70, 30])
    table, refusals = prepare_many(weights, HIGH, lim)
    kinds = [reason.split(":")[0] for _, reason in refusals]
    assert kinds == ["weight_kg"] * 5 + ["mg_target", "mg_delivered", "drug_ml", "dose_error_pct"]
    assert table.prepared.tolist() == [False] * 9 + [True] * 3
    assert assert_same_as_scalar(weights, HIGH, lim) == 9
    # 71.3 kg: 142.6 mg <= 143 mg, but 2.852 ml is drawn as 2.9 ml, above a 2.8 ml total.
    over = limits(max_mg=143, total_volume_ml=2.8)
    assert prepare_many(np.array([71.3]), HIGH, over)[1][0][1].startswith(
        "drug_ml: expected at most"
    )
    assert assert_same_as_scalar(np.array([71.3, 71.0]), HIGH, over) == 1
    assert assert_same_as_scalar(np.array([42.5, 62.5, 70]), LOW, KPT) == 1


def test_it_takes_integer_arrays_and_returns_read_only_columns() -> None:
    table, refusals = prepare_many(np.array([70, 80], dtype=np.int32), HIGH, KPT)
    assert refusals == [] and table.drug_ml.tolist() == [2.8, 3.2]
    assert table.diluent_ml.tolist() == [2.2, 1.8]
    with pytest.raises(ValueError, match="read-only"):
        table.drug_ml[0] = 0.0
    empty, none = prepare_many(np.array([], dtype=float), HIGH, KPT)
    assert len(empty) == 0 and none == []


@pytest.mark.parametrize("weights", [np.array([[70.0]]), np.array(["70"]), np.array([True])])
def test_it_refuses_weights_that_are_no_1d_number_array(weights: np.ndarray) -> None:
    with pytest.raises(DosingError, match=r"^weights: expected a 1-d array of numbers"):
        prepare_many(weights, HIGH, KPT)


@st.composite
def dosing_cases(draw: st.DrawFn) -> tuple[DoseRule, DosingLimits, np.ndarray]:
    """A rule, limits and weights: mostly in range (to the gram or any float), some not.

    Half the time the total volume is the fitted common total and max_mg sits near the dose
    at the maximum weight, so that preparations and every refusal are all drawn often.
    """
    mg_per_kg = draw(st.integers(1, 500).map(lambda n: Decimal(n) / 100))
    grad = Decimal(draw(st.sampled_from(["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"])))
    low, span = draw(st.integers(1_000, 100_000)), draw(st.integers(0, 150_000))
    top_mg = mg_per_kg * (low + span) / 1000
    sites = draw(st.integers(1, 3))
    per_site = draw(st.sampled_from([Decimal(1), Decimal("2.5"), Decimal(5), Decimal(10)]))
    # Stocks from a little too weak for the largest dose upwards: most doses fit.
    stocks = [Decimal(s) for s in ("1", "2", "5", "10", "12.5", "20", "25", "50", "100", "500")]
    strong = [s for s in stocks if s * per_site * sites >= top_mg * Decimal("0.8")]
    rule = DoseRule("arm", mg_per_kg, draw(st.sampled_from(strong or stocks[-1:])))
    values = {
        "min_weight_kg": low / 1000,
        "max_weight_kg": (low + span) / 1000,
        "max_mg": draw(
            st.integers(1, 1000)
            | st.integers(90, 110).map(lambda p: max(1, round(top_mg * p)) / 100)
        ),
        "max_volume_per_site_ml": per_site,
        "injection_sites": sites,
        "graduation_ml": grad,
        "total_volume_ml": grad * sites * draw(st.integers(1, int(per_site / grad))),
        "max_dose_error_pct": draw(st.integers(0, 2000)) / 100,
    }
    if draw(st.booleans()):
        try:
            fitted = common_total_volume(
                [rule], DosingLimits(**{**values, "total_volume_ml": None})
            )
        except DosingError:
            assume(False)
        values["total_volume_ml"] = fitted
    lim = DosingLimits(**values)  # type: ignore[arg-type]
    in_range = st.integers(low, low + span).map(lambda g: g / 1000) | st.floats(
        low / 1000, (low + span) / 1000
    )
    anything = st.floats(-10, 300) | st.sampled_from([math.nan, math.inf, -math.inf])
    weights = draw(st.lists(in_range, min_size=1, max_size=30))
    weights += draw(st.lists(anything, max_size=5))
    return rule, lim, np.array(weights, dtype=np.float64)


@settings(max_examples=300, deadline=None)
@given(case=dosing_cases())
def test_it_vectorizes_exactly_for_any_rule_and_limits(
    case: tuple[DoseRule, DosingLimits, np.ndarray],
) -> None:
    rule, lim, weights = case
    table, refusals = prepare_many(weights, rule, lim)
    event(f"prepared: {bool(table.prepared.any())}")
    for _, reason in refusals:
        event(f"refused: {reason.split(':')[0]}")
    assert_same_as_scalar(weights, rule, lim)
