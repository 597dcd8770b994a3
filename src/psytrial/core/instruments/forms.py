"""Validating submitted form data against a form definition.

Web forms send strings, the JSON API sends typed values; both come through `validate_form`,
which converts them to typed values and checks required fields, types, ranges, choices and
the form's rules. Every problem is collected first and raised together in one FormError, so
the person entering data sees all of them at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from psytrial.core.errors import FormError
from psytrial.core.instruments.form_defs import FormField, FormInstrument
from psytrial.core.instruments.rules import broken_rules
from psytrial.core.instruments.values import (
    ORDERED_TYPES,
    FieldValue,
    InvalidValue,
    is_missing,
    orderable,
    parse_value,
    show,
)


@dataclass(frozen=True)
class CleanedForm:
    """Typed values of one form entry; every defined field is present, None when not given."""

    instrument_id: str
    values: Mapping[str, FieldValue]

    def __getitem__(self, field_id: str) -> FieldValue:
        return self.values[field_id]

    def as_dict(self) -> dict[str, FieldValue]:
        return dict(self.values)


def _in_range(f: FormField, value: FieldValue) -> bool:
    if f.type not in ORDERED_TYPES:
        return True
    # Why orderable(): a bound without a time zone cannot be compared with an aware value.
    low_ok = f.min is None or (orderable(value, f.min) and value >= f.min)  # type: ignore[operator]
    high_ok = f.max is None or (orderable(value, f.max) and value <= f.max)  # type: ignore[operator]
    return low_ok and high_ok


def clean_field(f: FormField, raw: object) -> FieldValue:
    """One field's typed value, None when not given; raises ValueError with the message."""
    if is_missing(raw):
        if f.required:
            raise ValueError(f"required: expected {f.expected()}, got nothing")
        return None
    try:
        value = parse_value(f.type, raw, f.choice_values)
    except InvalidValue as exc:
        detail = f" ({exc.detail})" if exc.detail else ""
        raise ValueError(f"expected {f.expected()}{detail}, got {show(raw)}") from None
    if not _in_range(f, value):
        raise ValueError(f"expected {f.expected()}, got {show(raw)}")
    return value


def validate_form(defn: FormInstrument, data: Mapping[str, object]) -> CleanedForm:
    """Typed values of one entry of `defn`, or FormError listing every field error at once.

    Errors are keyed by field id; unknown keys are errors under their own name; rules that
    compare two fields report under "__all__", other rules under the field they concern.
    """
    errors: dict[str, list[str]] = {}
    values: dict[str, FieldValue] = {}
    for f in defn.fields:
        try:
            values[f.id] = clean_field(f, data.get(f.id))
        except ValueError as exc:
            errors[f.id] = [str(exc)]
            values[f.id] = None
    known = ", ".join(f.id for f in defn.fields)
    for key in data:
        if key not in values:
            errors[key] = [f"unknown field; expected one of: {known}"]
    for key, messages in broken_rules(defn, values, skip=set(errors)).items():
        errors.setdefault(key, []).extend(messages)
    if errors:
        raise FormError(errors)
    return CleanedForm(defn.id, MappingProxyType(values))
