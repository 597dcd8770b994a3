"""The values of dose preparation, their checks, and the wording of every refusal.

Private to `psytrial.core.dosing`, which is the public surface. It is split out so that the
scalar path (`dosing.py`) and the vectorized path (`_dosing_table.py`) share one set of
values and one wording of each refusal: the two paths decide independently (exact fractions
against int64 arrays), and a test demands the same numbers and the same messages from both.

Numbers come in as plain values (Decimal, int or float) and are kept as Decimal. A float is
read by its shortest repr, so 0.1 means one tenth, not 0.1000000000000000055511151231257827.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow
from enum import IntEnum
from fractions import Fraction
from typing import TypeAlias

from psytrial.core.errors import DosingError

Amount: TypeAlias = Decimal | int | float

# ASSUMPTION: weights are read to the gram. No clinical scale is finer (they read to 0.1 or
# 0.05 kg), and a gram changes a 40 kg dose by 0.0025 %; it lets every later step be exact
# integer arithmetic that numpy can vectorize. Rounding is half-to-even on the float product
# kg * 1000, which Python's round() and numpy's rint() do identically.
GRAMS_PER_KG = 1000

# Every Decimal operation here must be exact; a trap turns a silent rounding into a crash.
EXACT = Context(prec=400, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])


class SealedDosingError(DosingError):
    """A refusal whose message depends on the arm: it quotes mg or arm-specific volumes.

    The message is sealed data. Show it to unblinded roles only; a blinded role may learn
    that the dose could not be prepared, never why.
    """


class Refusal(IntEnum):
    """Why a weight was refused, in the order the checks run (the first failing one wins)."""

    NOT_A_WEIGHT = 1
    OUT_OF_RANGE = 2
    ABOVE_MAX_MG = 3
    ABOVE_TOTAL_VOLUME = 4
    ROUNDS_TO_ZERO = 5
    DELIVERED_ABOVE_MAX_MG = 6
    DOSE_ERROR = 7


def to_decimal(name: str, value: object) -> Decimal:
    """Read a plain number exactly; refuse booleans, strings, NaN and infinities."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = Decimal(int(value))
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = Decimal(str(float(value)))
    else:
        raise DosingError(f"{name}: expected a number, got {value!r}")
    if not number.is_finite():
        raise DosingError(f"{name}: expected a finite number, got {value!r}")
    return number


def _positive(name: str, value: object) -> Decimal:
    number = to_decimal(name, value)
    if number <= 0:
        raise DosingError(f"{name}: expected a number greater than 0, got {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class DoseRule:
    """One arm's dose: mg per kg of body weight, drawn from a stock solution of known strength.

    Numeric fields are stored as Decimal whatever plain number they were given as.
    """

    arm_id: str
    mg_per_kg: Amount
    stock_mg_per_ml: Amount

    def __post_init__(self) -> None:
        if not isinstance(self.arm_id, str) or not self.arm_id:
            raise DosingError(f"arm_id: expected a non-empty string, got {self.arm_id!r}")
        for name in ("mg_per_kg", "stock_mg_per_ml"):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))


@dataclass(frozen=True, slots=True)
class DosingLimits:
    """The protocol's dosing limits, shared by every arm.

    `total_volume_ml` may be None only to ask `common_total_volume` what it should be;
    preparing a dose needs it. Numeric fields are stored as Decimal. Construction refuses
    inconsistent limits with a DosingError.
    """

    min_weight_kg: Amount
    max_weight_kg: Amount
    max_mg: Amount
    max_volume_per_site_ml: Amount
    injection_sites: int
    graduation_ml: Amount
    total_volume_ml: Amount | None
    max_dose_error_pct: Amount

    def __post_init__(self) -> None:
        for name in ("min_weight_kg", "max_weight_kg", "max_mg", "max_volume_per_site_ml"):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))
        object.__setattr__(self, "graduation_ml", _positive("graduation_ml", self.graduation_ml))
        error = to_decimal("max_dose_error_pct", self.max_dose_error_pct)
        if error < 0:
            raise DosingError(f"max_dose_error_pct: expected at least 0, got {error}")
        object.__setattr__(self, "max_dose_error_pct", error)
        sites = self.injection_sites
        if isinstance(sites, bool) or not isinstance(sites, int) or sites < 1:
            raise DosingError(
                f"injection_sites: expected a whole number of at least 1, got {sites!r}"
            )
        self._check_weights()
        if self.total_volume_ml is not None:
            total = _positive("total_volume_ml", self.total_volume_ml)
            object.__setattr__(self, "total_volume_ml", total)
            check_total_volume(total, self)

    def _check_weights(self) -> None:
        low, high = dec(self.min_weight_kg), dec(self.max_weight_kg)
        if low * GRAMS_PER_KG < 1:
            raise DosingError(
                f"min_weight_kg: expected at least 0.001 kg (weights are read to the gram), "
                f"got {low}"
            )
        if high < low:
            raise DosingError(f"max_weight_kg: expected at least min_weight_kg {low}, got {high}")


def dec(value: Amount | None) -> Decimal:
    """A field of DoseRule or DosingLimits, which construction has made a Decimal."""
    if not isinstance(value, Decimal):  # pragma: no cover - construction guarantees it
        raise TypeError(f"expected a Decimal, got {value!r}")
    return value


def check_total_volume(total: Decimal, limits: DosingLimits) -> None:
    """Refuse a common total volume the syringe cannot measure or the sites cannot take.

    ASSUMPTION: with several injection sites the syringe is split into equal parts, each of
    which must itself be a whole number of graduations, or it could not be measured.
    """
    grad, sites = dec(limits.graduation_ml), limits.injection_sites
    units = Fraction(total) / Fraction(grad)
    if units.denominator != 1:
        raise DosingError(
            f"total_volume_ml: expected a whole number of {grad} ml graduations, got {total}"
        )
    if units.numerator % sites:
        raise DosingError(
            f"total_volume_ml: expected a volume that splits into {sites} sites of whole "
            f"{grad} ml graduations, got {total}"
        )
    per_site = Decimal(units.numerator // sites) * grad
    if per_site > dec(limits.max_volume_per_site_ml):
        raise DosingError(
            f"total_volume_ml: expected at most {limits.max_volume_per_site_ml} ml per site "
            f"({sites} sites), got {per_site} ml per site for {total} ml"
        )


@dataclass(frozen=True, slots=True)
class Spec:
    """One arm's rule and the limits, as exact numbers; what both preparation paths read."""

    arm_id: str
    mg_per_kg: Decimal
    stock: Decimal
    grad: Decimal
    total: Decimal
    total_units: int
    sites: int
    min_kg: Decimal
    max_kg: Decimal
    low: float  # the weight range as floats: weights arrive as floats and are compared so
    high: float
    max_mg: Decimal
    max_error_pct: Decimal


def spec_of(rule: DoseRule, limits: DosingLimits) -> Spec:
    """The exact numbers for one arm; refuses limits without a common total volume."""
    if not isinstance(rule, DoseRule):
        raise DosingError(f"rule: expected a DoseRule, got {rule!r}")
    if not isinstance(limits, DosingLimits):
        raise DosingError(f"limits: expected DosingLimits, got {limits!r}")
    if limits.total_volume_ml is None:
        raise DosingError("total_volume_ml: expected the common total volume in ml, got None")
    total, grad = dec(limits.total_volume_ml), dec(limits.graduation_ml)
    return Spec(
        arm_id=rule.arm_id,
        mg_per_kg=dec(rule.mg_per_kg),
        stock=dec(rule.stock_mg_per_ml),
        grad=grad,
        total=total,
        total_units=int(Fraction(total) / Fraction(grad)),
        sites=limits.injection_sites,
        min_kg=dec(limits.min_weight_kg),
        max_kg=dec(limits.max_weight_kg),
        low=float(dec(limits.min_weight_kg)),
        high=float(dec(limits.max_weight_kg)),
        max_mg=dec(limits.max_mg),
        max_error_pct=dec(limits.max_dose_error_pct),
    )


def tidy(number: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation: 140.0000 -> 140."""
    reduced = number.normalize(EXACT)
    exponent = reduced.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return reduced.quantize(Decimal(1), context=EXACT)
    return reduced


def weight_used(grams: int) -> Decimal:
    return tidy(Decimal(grams).scaleb(-3, EXACT))


def mg_target(spec: Spec, grams: int) -> Decimal:
    return tidy(EXACT.multiply(Decimal(grams).scaleb(-3, EXACT), spec.mg_per_kg))


def volume(spec: Spec, units: int) -> Decimal:
    """A volume in whole graduations, written to the graduation's decimals (2.8, 2.85)."""
    return EXACT.multiply(Decimal(units), spec.grad)


def mg_delivered(spec: Spec, units: int) -> Decimal:
    return tidy(EXACT.multiply(volume(spec, units), spec.stock))


def dose_error_pct(spec: Spec, grams: int, units: int) -> float:
    """(delivered - target) / target * 100, rounded once, to the nearest float."""
    target = Fraction(mg_target(spec, grams))
    return float((Fraction(mg_delivered(spec, units)) - target) / target * 100)


def refusal(code: Refusal, shown: str, spec: Spec, grams: int, units: int) -> DosingError:
    """The error for a refused weight; `shown` is the weight as given, for the first two."""
    if code is Refusal.NOT_A_WEIGHT:
        return DosingError(f"weight_kg: expected a finite positive number of kg, got {shown}")
    if code is Refusal.OUT_OF_RANGE:
        return DosingError(
            f"weight_kg: expected a weight between {spec.min_kg} and {spec.max_kg} kg, got {shown}"
        )
    return SealedDosingError(_sealed_message(code, spec, grams, units))


def _sealed_message(code: Refusal, spec: Spec, grams: int, units: int) -> str:
    kg, target = weight_used(grams), mg_target(spec, grams)
    if code is Refusal.ABOVE_MAX_MG:
        return (
            f"mg_target: expected at most {spec.max_mg} mg, got {target} mg "
            f"({kg} kg at {spec.mg_per_kg} mg/kg)"
        )
    if code is Refusal.ABOVE_TOTAL_VOLUME:
        return (
            f"drug_ml: expected at most the common total volume of {spec.total} ml, "
            f"got {volume(spec, units)} ml for {kg} kg"
        )
    if code is Refusal.ROUNDS_TO_ZERO:
        return (
            f"drug_ml: expected at least one {spec.grad} ml graduation, got {target} mg for "
            f"{kg} kg, under half a graduation of the {spec.stock} mg/ml stock"
        )
    delivered = mg_delivered(spec, units)
    if code is Refusal.DELIVERED_ABOVE_MAX_MG:
        return (
            f"mg_delivered: expected at most {spec.max_mg} mg, got {delivered} mg after "
            f"rounding {target} mg to {volume(spec, units)} ml"
        )
    return (
        f"dose_error_pct: expected a rounding error of at most {spec.max_error_pct}%, got "
        f"{dose_error_pct(spec, grams, units):+.3f}% ({delivered} mg delivered for "
        f"{target} mg at {kg} kg)"
    )


def read_weight(value: object) -> tuple[float | None, str]:
    """The weight as a float, or None if it is no finite positive number; and how to show it."""
    if isinstance(value, bool) or not isinstance(value, Decimal | numbers.Real):
        return None, repr(value)
    try:
        kg = float(value)
    except (OverflowError, ValueError):
        return None, repr(value)
    shown = repr(kg)
    return (kg if math.isfinite(kg) and kg > 0 else None), shown
