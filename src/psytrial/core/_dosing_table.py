"""prepare_many: the dose preparation of `dosing.prepare`, vectorized over a numpy array.

Private to `psytrial.core.dosing`. The scalar path decides with exact fractions; this one
turns the rule and limits into a few integer coefficients once (`plan_of`) and decides every
weight at once in int64, with no Python loop per weight (only one per refused weight, to
word its refusal). Exactness holds because every product stays below 2**53, which `plan_of`
checks at the largest weight in range: then int64 never overflows, and each float reported
is one correctly rounded division of two exactly representable integers, i.e. the float
nearest the exact value, the same float `float(Decimal)` gives for the scalar result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from psytrial.core._dosing_values import (
    GRAMS_PER_KG,
    DoseRule,
    DosingLimits,
    Refusal,
    Spec,
    refusal,
    spec_of,
)
from psytrial.core.errors import DosingError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EXACT_LIMIT = 2**53
_T = TypeVar("_T", bound=np.generic)


@dataclass(frozen=True, slots=True)
class Plan:
    """One arm's rule and the limits as integer coefficients for int64 arrays.

    Graduations to draw = round-half-up(grams * units_num / units_den); a value named
    x_num / x_den is that exact fraction, reduced.
    """

    spec: Spec
    units_num: int
    units_den: int
    grams_cap: int  # above it the target exceeds max_mg
    units_cap: int  # above it the delivered dose exceeds max_mg
    error_num: int  # max_dose_error_pct
    error_den: int
    target_num: int  # mg per gram
    target_den: int
    delivered_num: int  # mg per graduation
    delivered_den: int
    grad_num: int  # ml per graduation
    grad_den: int


def plan_of(rule: DoseRule, limits: DosingLimits) -> Plan:
    """The coefficients, refusing figures so fine that int64 and float64 would not be exact."""
    spec = spec_of(rule, limits)
    per_gram = Fraction(spec.mg_per_kg) / GRAMS_PER_KG
    per_unit = Fraction(spec.grad) * Fraction(spec.stock)
    units = per_gram / per_unit
    error, grad, cap = Fraction(spec.max_error_pct), Fraction(spec.grad), Fraction(spec.max_mg)
    grams_bound = round(spec.high * GRAMS_PER_KG)
    units_bound = (2 * grams_bound * units.numerator + units.denominator) // (2 * units.denominator)
    plan = Plan(
        spec=spec,
        units_num=units.numerator,
        units_den=units.denominator,
        grams_cap=min(math.floor(cap / per_gram), grams_bound),
        units_cap=min(math.floor(cap / per_unit), units_bound),
        error_num=error.numerator,
        error_den=error.denominator,
        target_num=per_gram.numerator,
        target_den=per_gram.denominator,
        delivered_num=per_unit.numerator,
        delivered_den=per_unit.denominator,
        grad_num=grad.numerator,
        grad_den=grad.denominator,
    )
    _check_exact(plan, grams_bound, units_bound)
    return plan


def _check_exact(plan: Plan, grams: int, units: int) -> None:
    deviation = max(units * plan.units_den, grams * plan.units_num)
    largest = max(
        2 * grams * plan.units_num + plan.units_den,
        2 * plan.units_den,
        deviation * 100 * plan.error_den,
        grams * plan.units_num * plan.error_num,
        grams * plan.target_num,
        plan.target_den,
        units * plan.delivered_num,
        plan.delivered_den,
        max(units, plan.spec.total_units) * plan.grad_num,
        plan.grad_den,
    )
    if largest >= _EXACT_LIMIT:
        raise DosingError(
            f"limits: expected dosing figures whose products fit in 53 bits for exact "
            f"arithmetic, got arm {plan.spec.arm_id!r} needing {largest.bit_length()} bits "
            f"(give fewer decimals)"
        )


@dataclass(frozen=True, slots=True, eq=False)
class PreparationTable:
    """Preparations for many weights of one arm, as read-only numpy arrays.

    Row i is weights[i]. Where `prepared` is False the float columns are NaN and the integer
    columns 0; the reason is in the refusals list returned beside the table. Floats are the
    nearest float64 to the exact values (`float()` of the Decimals `prepare` returns).
    `grams` and `drug_units` (the weight in grams and the drug volume in graduations) let a
    caller rebuild the exact Decimals.
    """

    arm_id: str
    prepared: BoolArray
    grams: IntArray
    drug_units: IntArray
    weight_kg: FloatArray
    mg_target: FloatArray
    drug_ml: FloatArray
    diluent_ml: FloatArray
    total_ml: FloatArray
    mg_delivered: FloatArray
    dose_error_pct: FloatArray
    volume_per_site_ml: FloatArray

    def __len__(self) -> int:
        return int(self.prepared.shape[0])


def prepare_many(
    weights: npt.ArrayLike, rule: DoseRule, limits: DosingLimits
) -> tuple[PreparationTable, list[tuple[int, str]]]:
    """Prepare one arm's injection for every weight; refusals are (index, reason) pairs.

    The numbers and the reasons are exactly those `prepare` gives or raises for each weight.
    Inconsistent rules or limits raise DosingError for the whole call.
    """
    plan = plan_of(rule, limits)
    kg = _weights(weights)
    codes, grams, units = _classify(plan, kg)
    refusals = [
        (int(i), str(refusal(Refusal(int(codes[i])), repr(float(kg[i])), plan.spec,
                             int(grams[i]), int(units[i]))))
        for i in np.flatnonzero(codes)
    ]  # fmt: skip
    return _table(plan, codes == 0, grams, units), refusals


def _weights(weights: npt.ArrayLike) -> FloatArray:
    array = np.asarray(weights)
    if array.ndim != 1 or array.dtype.kind not in "iuf":
        raise DosingError(
            f"weights: expected a 1-d array of numbers, got a {array.ndim}-d array of {array.dtype}"
        )
    return array.astype(np.float64)


def _classify(plan: Plan, kg: FloatArray) -> tuple[IntArray, IntArray, IntArray]:
    """Per weight: the first failing check (0 if none), grams and graduations."""
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(kg) & (kg > 0)
        in_range = usable & (kg >= plan.spec.low) & (kg <= plan.spec.high)
    # Weights out of range are replaced before rounding so no huge float reaches int64.
    grams = np.rint(np.where(in_range, kg, plan.spec.low) * float(GRAMS_PER_KG)).astype(np.int64)
    units = (2 * plan.units_num * grams + plan.units_den) // (2 * plan.units_den)
    deviation = np.abs(units * plan.units_den - grams * plan.units_num)
    checks = [
        (~usable, Refusal.NOT_A_WEIGHT),
        (~in_range, Refusal.OUT_OF_RANGE),
        (grams > plan.grams_cap, Refusal.ABOVE_MAX_MG),
        (units > plan.spec.total_units, Refusal.ABOVE_TOTAL_VOLUME),
        (units == 0, Refusal.ROUNDS_TO_ZERO),
        (units > plan.units_cap, Refusal.DELIVERED_ABOVE_MAX_MG),
        (
            deviation * (100 * plan.error_den) > grams * (plan.units_num * plan.error_num),
            Refusal.DOSE_ERROR,
        ),
    ]
    codes = np.select([c for c, _ in checks], [int(r) for _, r in checks], default=0)
    return codes.astype(np.int64), grams, units


def _table(plan: Plan, ok: BoolArray, grams: IntArray, units: IntArray) -> PreparationTable:
    total = plan.spec.total_units
    grams = np.where(ok, grams, 0)
    units = np.where(ok, units, 0)

    def exact(numerator: IntArray, denominator: IntArray | int) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return _frozen(np.where(ok, numerator / denominator, np.nan))

    full = np.full(ok.shape, total, dtype=np.int64)
    return PreparationTable(
        arm_id=plan.spec.arm_id,
        prepared=_frozen(ok),
        grams=_frozen(grams),
        drug_units=_frozen(units),
        weight_kg=exact(grams, GRAMS_PER_KG),
        mg_target=exact(grams * plan.target_num, plan.target_den),
        drug_ml=exact(units * plan.grad_num, plan.grad_den),
        diluent_ml=exact((total - units) * plan.grad_num, plan.grad_den),
        total_ml=exact(full * plan.grad_num, plan.grad_den),
        mg_delivered=exact(units * plan.delivered_num, plan.delivered_den),
        dose_error_pct=exact(
            100 * (units * plan.units_den - grams * plan.units_num), grams * plan.units_num
        ),
        volume_per_site_ml=exact(full // plan.spec.sites * plan.grad_num, plan.grad_den),
    )


def _frozen(array: npt.NDArray[_T]) -> npt.NDArray[_T]:
    array.flags.writeable = False
    return array
