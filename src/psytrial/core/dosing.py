"""Blinded weight-based dose preparation: how much drug and how much diluent go in a syringe.

In a dose-comparison trial the arms get one drug at different mg/kg (the reference trial:
ketamine IM, 2.0 vs 0.2 mg/kg). The unblinded pharmacist draws the drug and makes it up with
diluent; the blinded session clinician injects it. A volume that followed the dose would
reveal the arm, so every arm is made up to ONE common total volume, and the clinician sees
only that volume and how it is split between injection sites (`blinded_view`).

    prepare(weight, rule, limits)      one injection -> Preparation (sealed: arm and mg)
    prepare_many(weights, rule, limits) the same for a numpy array, vectorized
    blinded_view(preparation)          what a blinded clinician may see
    common_total_volume(rules, limits) the smallest total volume that fits every arm
    check_limits(rules, limits)        for the protocol loader: refuse a total that cannot
                                       hold some arm's dose at the maximum weight

Arithmetic is exact. The weight is read to the gram; the drug volume is
round-half-up(weight * mg/kg / stock) in whole graduations (ASSUMPTION: half up, the usual
pharmacy rounding; the dose error it causes is reported and limited). Everything else is
integers of grams and graduations, so 5.0 ml - 2.8 ml is 2.2 ml, not 2.1999999999999997.

Reported values: a Preparation holds Decimals written to the graduation's decimals for
volumes (2.8, or 2.85 with a 0.05 ml graduation) and without trailing zeros for kg and mg;
`dose_error_pct` is a float, the exact ratio rounded once. The vectorized table holds
float64 arrays, each element the float nearest the exact value, i.e. `float(Decimal)` of the
scalar result, so the two paths agree bit for bit.

Refusals raise DosingError with one line saying what was expected and what was got; nothing
is ever clipped. Checks run in this order and the first failing one is reported: weight not a
finite positive number; weight outside the range; mg above max_mg; drug volume above the
common total; drug volume rounding to zero; mg delivered after rounding above max_mg; dose
error beyond max_dose_error_pct. Refusals from the third on depend on the arm: they raise
SealedDosingError, whose message is sealed data for unblinded eyes only. Inconsistent limits
are refused when DosingLimits is built.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from psytrial.core._dosing_table import PreparationTable, plan_of, prepare_many
from psytrial.core._dosing_values import (
    GRAMS_PER_KG,
    Amount,
    DoseRule,
    DosingLimits,
    Refusal,
    SealedDosingError,
    Spec,
    check_total_volume,
    dec,
    dose_error_pct,
    mg_delivered,
    mg_target,
    read_weight,
    refusal,
    spec_of,
    volume,
    weight_used,
)
from psytrial.core.errors import DosingError

__all__ = [
    "Amount",
    "BlindedPreparation",
    "DoseRule",
    "DosingLimits",
    "Preparation",
    "PreparationTable",
    "SealedDosingError",
    "blinded_view",
    "check_limits",
    "common_total_volume",
    "prepare",
    "prepare_many",
]


@dataclass(frozen=True, slots=True)
class Preparation:
    """One injection as the unblinded pharmacist makes it up. Sealed data: arm and mg.

    `weight_kg` is the weight as used, read to the gram.
    """

    weight_kg: Decimal
    arm_id: str
    mg_target: Decimal
    drug_ml: Decimal
    diluent_ml: Decimal
    total_ml: Decimal
    mg_delivered: Decimal
    dose_error_pct: float
    volume_per_site_ml: Decimal


@dataclass(frozen=True, slots=True)
class BlindedPreparation:
    """What the blinded session clinician may see: the same for every arm at every weight."""

    total_ml: Decimal
    volume_per_site_ml: Decimal


def prepare(weight_kg: Amount, rule: DoseRule, limits: DosingLimits) -> Preparation:
    """Make up one injection for a participant of `weight_kg` in the arm of `rule`."""
    spec = spec_of(rule, limits)
    kg, shown = read_weight(weight_kg)
    if kg is None:
        raise refusal(Refusal.NOT_A_WEIGHT, shown, spec, 0, 0)
    if kg < spec.low or kg > spec.high:
        raise refusal(Refusal.OUT_OF_RANGE, shown, spec, 0, 0)
    grams = round(kg * GRAMS_PER_KG)
    units, failed = _decide(spec, grams)
    if failed is not None:
        raise refusal(failed, shown, spec, grams, units)
    return _preparation(spec, grams, units)


def _graduations(mg_per_kg: Decimal, stock: Decimal, grad: Decimal, grams: int) -> int:
    """The drug volume in whole graduations, rounded half up, from exact fractions."""
    exact = Fraction(grams, GRAMS_PER_KG) * Fraction(mg_per_kg)
    exact /= Fraction(stock) * Fraction(grad)
    return math.floor(exact + Fraction(1, 2))


def _decide(spec: Spec, grams: int) -> tuple[int, Refusal | None]:
    """The graduations to draw, and the first check they fail (None if they pass)."""
    target = Fraction(grams, GRAMS_PER_KG) * Fraction(spec.mg_per_kg)
    cap = Fraction(spec.max_mg)
    if target > cap:
        return 0, Refusal.ABOVE_MAX_MG
    units = _graduations(spec.mg_per_kg, spec.stock, spec.grad, grams)
    if units > spec.total_units:
        return units, Refusal.ABOVE_TOTAL_VOLUME
    if units == 0:
        return units, Refusal.ROUNDS_TO_ZERO
    delivered = units * Fraction(spec.grad) * Fraction(spec.stock)
    if delivered > cap:
        return units, Refusal.DELIVERED_ABOVE_MAX_MG
    if abs(delivered - target) * 100 > Fraction(spec.max_error_pct) * target:
        return units, Refusal.DOSE_ERROR
    return units, None


def _preparation(spec: Spec, grams: int, units: int) -> Preparation:
    return Preparation(
        weight_kg=weight_used(grams),
        arm_id=spec.arm_id,
        mg_target=mg_target(spec, grams),
        drug_ml=volume(spec, units),
        diluent_ml=volume(spec, spec.total_units - units),
        total_ml=volume(spec, spec.total_units),
        mg_delivered=mg_delivered(spec, units),
        dose_error_pct=dose_error_pct(spec, grams, units),
        volume_per_site_ml=volume(spec, spec.total_units // spec.sites),
    )


def blinded_view(prep: Preparation) -> BlindedPreparation:
    """Strip a preparation to what a blinded clinician may see: no arm, no mg, no split."""
    return BlindedPreparation(total_ml=prep.total_ml, volume_per_site_ml=prep.volume_per_site_ml)


def _rules(rules: Iterable[DoseRule]) -> tuple[DoseRule, ...]:
    listed = tuple(rules)
    if not listed:
        raise DosingError("rules: expected at least one DoseRule, got none")
    ids = [rule.arm_id for rule in listed if isinstance(rule, DoseRule)]
    if len(ids) != len(listed):
        raise DosingError(f"rules: expected DoseRule values, got {listed!r}")
    if len(set(ids)) != len(ids):
        raise DosingError(f"rules: expected distinct arm ids, got {ids}")
    return listed


def _graduations_at_max_weight(rule: DoseRule, limits: DosingLimits) -> int:
    """An arm's largest drug volume in graduations: rounding never decreases with weight."""
    grams = round(float(dec(limits.max_weight_kg)) * GRAMS_PER_KG)
    return _graduations(
        dec(rule.mg_per_kg), dec(rule.stock_mg_per_ml), dec(limits.graduation_ml), grams
    )


def common_total_volume(rules: Iterable[DoseRule], limits: DosingLimits) -> Decimal:
    """The smallest graduated volume that holds every arm's drug volume at the maximum weight.

    For protocol authors; `limits.total_volume_ml` is ignored (it may be None). The volume
    also splits into whole graduations per site and respects the per-site maximum, or this
    refuses: no volume would do.
    """
    listed = _rules(rules)
    needed = max(_graduations_at_max_weight(rule, limits) for rule in listed)
    grad, sites = dec(limits.graduation_ml), limits.injection_sites
    if needed == 0:
        raise DosingError(
            f"rules: expected some arm to need at least one {grad} ml graduation at "
            f"{limits.max_weight_kg} kg, got none"
        )
    total = Decimal(-(-needed // sites) * sites) * grad
    check_total_volume(total, limits)
    return total


def check_limits(rules: Iterable[DoseRule], limits: DosingLimits) -> None:
    """Refuse, at protocol load, limits whose common total cannot hold every arm's dose.

    Each arm's drug volume at the maximum weight, rounded as it would be drawn, must fit in
    `total_volume_ml`; the limits themselves were checked when DosingLimits was built.
    """
    listed = _rules(rules)
    for rule in listed:
        spec = spec_of(rule, limits)
        needed = _graduations_at_max_weight(rule, limits)
        if needed > spec.total_units:
            raise DosingError(
                f"total_volume_ml: expected at least {volume(spec, needed)} ml to hold arm "
                f"{rule.arm_id!r} at {spec.max_kg} kg, got {spec.total}"
            )
        # Refuses, at load time, figures too fine for the vectorized path's int64 arithmetic.
        plan_of(rule, limits)
