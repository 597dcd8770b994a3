"""Definitions of generic data-entry forms: fields, choices and cross-field rules.

Eligibility checklists, consent, baseline, vital signs, follow-up visits, adverse events,
blinding guesses and withdrawals are all forms: a new form needs only data in the protocol.

Rules use a small grammar rather than expressions, so a protocol file can never run code:

    {id, left: <field>, op: <op>, right: <literal> | {field: <field>} | [<literal>, ...],
     message, when: {left, op, right}}

with `op` one of `< <= > >= == !=` (compare), `in not_in` (membership in a literal list),
`contains` (a multichoice field holds a choice), `present absent` (no `right`). A rule is
checked only when its optional `when` condition holds. Every reference and literal is checked
here, when the protocol loads, against the type of the field it concerns.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from psytrial.core.instruments.base import FrozenModel, Identifier, InstrumentBase, Label
from psytrial.core.instruments.base import find_duplicates as _dups
from psytrial.core.instruments.values import (
    CHOICE_TYPES,
    NUMERIC_TYPES,
    ORDERED_TYPES,
    Bound,
    FieldType,
    FieldValue,
    InvalidValue,
    describe,
    parse_value,
    show,
    show_bound,
)

ChoiceValue = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
]
LiteralValue = bool | int | float | str | Bound
Operator = Literal[
    "<", "<=", ">", ">=", "==", "!=", "in", "not_in", "contains", "present", "absent"
]
ORDERING_OPS: frozenset[str] = frozenset({"<", "<=", ">", ">="})
EQUALITY_OPS: frozenset[str] = frozenset({"==", "!="})
UNARY_OPS: frozenset[str] = frozenset({"present", "absent"})
LIST_OPS: frozenset[str] = frozenset({"in", "not_in"})


class Choice(FrozenModel):
    """One option of a choice field: the stored value and the label shown."""

    value: ChoiceValue
    label: Label


class FormField(FrozenModel):
    """One field of a form. `min`/`max` bound integer, number, date, datetime and time fields."""

    id: Identifier
    label: Label
    type: FieldType
    required: bool = True
    min: Bound | None = None
    max: Bound | None = None
    choices: tuple[Choice, ...] = ()
    unit: str = ""
    help: str = ""

    @field_validator("min", "max", mode="before")
    @classmethod
    def _bound_of_field_type(cls, raw: object, info: ValidationInfo) -> object:
        ftype = info.data.get("type")
        if raw is None or ftype is None:
            return raw
        if ftype not in ORDERED_TYPES:
            raise ValueError(
                f"{info.field_name} applies only to integer, number, date, datetime and time "
                f"fields, not to a {ftype} field"
            )
        try:
            return parse_value(ftype, raw)
        except InvalidValue:
            expected = describe(ftype)
            raise ValueError(f"{info.field_name}: expected {expected}, got {show(raw)}") from None

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        if self.min is not None and self.max is not None and self.min > self.max:  # type: ignore[operator]
            raise ValueError(
                f"field '{self.id}': min {show_bound(self.min)} is greater than "
                f"max {show_bound(self.max)}"
            )
        if self.type in CHOICE_TYPES and not self.choices:
            raise ValueError(f"field '{self.id}': a {self.type} field needs at least one choice")
        if self.type not in CHOICE_TYPES and self.choices:
            raise ValueError(f"field '{self.id}': choices apply only to choice fields")
        dups = _dups([choice.value for choice in self.choices])
        if dups:
            raise ValueError(f"field '{self.id}': duplicate choice value '{dups[0]}'")
        return self

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)

    def expected(self) -> str:
        """What this field expects, worded for messages."""
        return describe(self.type, self.min, self.max, self.choice_values)


class FieldRef(FrozenModel):
    """The right-hand side of a comparison when it is another field: `{field: systolic_bp}`."""

    field: Identifier


Operand = FieldRef | tuple[LiteralValue, ...] | LiteralValue


class Condition(FrozenModel):
    """`left op right`: a field compared with a literal, another field, or a literal list."""

    left: Identifier
    op: Operator
    right: Operand | None = None

    @model_validator(mode="after")
    def _operand_fits_operator(self) -> Condition:
        if self.op in UNARY_OPS and self.right is not None:
            raise ValueError(f"operator '{self.op}' takes no right-hand side")
        if self.op in LIST_OPS and not (isinstance(self.right, tuple) and self.right):
            raise ValueError(f"operator '{self.op}' needs a non-empty list on the right")
        if self.op not in UNARY_OPS | LIST_OPS and (
            self.right is None or isinstance(self.right, tuple)
        ):
            raise ValueError(f"operator '{self.op}' needs a single value or {{field: ...}}")
        if self.op == "contains" and isinstance(self.right, FieldRef):
            raise ValueError("operator 'contains' needs a literal choice value on the right")
        return self


class FormRule(Condition):
    """A cross-field check; `message` is shown when it fails."""

    id: Identifier
    message: Label
    when: Condition | None = None


class FormInstrument(InstrumentBase):
    """A generic data-entry form. `repeating` forms take many entries per visit (a series)."""

    kind: Literal["form"] = "form"
    fields: tuple[FormField, ...]
    repeating: bool = False
    rules: tuple[FormRule, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> FormInstrument:
        if not self.fields:
            raise ValueError("expected at least one field, got none")
        dups = _dups([f.id for f in self.fields])
        if dups:
            raise ValueError(f"duplicate field id '{dups[0]}'")
        dups = _dups([rule.id for rule in self.rules])
        if dups:
            raise ValueError(f"duplicate rule id '{dups[0]}'")
        by_id = {f.id: f for f in self.fields}
        for rule in self.rules:
            check_condition(rule, by_id, f"rule '{rule.id}'")
            if rule.when is not None:
                check_condition(rule.when, by_id, f"rule '{rule.id}' (when)")
        return self

    def field(self, field_id: str) -> FormField:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)


def _known(field_id: str, by_id: dict[str, FormField], where: str) -> FormField:
    if field_id not in by_id:
        known = ", ".join(by_id)
        raise ValueError(f"{where}: unknown field '{field_id}'; known fields: {known}")
    return by_id[field_id]


def _literal_type(left: FormField) -> str:
    # Why: an integer field may be compared with 37.5; a multichoice holds single choices.
    if left.type in NUMERIC_TYPES:
        return "number"
    return "choice" if left.type == "multichoice" else left.type


def literal_for(left: FormField, raw: object) -> FieldValue:
    """A rule literal read as the type of the field it is compared with; raises InvalidValue."""
    return parse_value(_literal_type(left), raw, left.choice_values)


def _comparable(a: FormField, b: FormField) -> bool:
    return a.type == b.type or (a.type in NUMERIC_TYPES and b.type in NUMERIC_TYPES)


def check_condition(cond: Condition, by_id: dict[str, FormField], where: str) -> None:
    """Refuse a condition whose fields are unknown or whose types do not fit its operator."""
    left = _known(cond.left, by_id, where)
    if cond.op in UNARY_OPS:
        return
    if (cond.op == "contains") != (left.type == "multichoice"):
        raise ValueError(
            f"{where}: 'contains' works on multichoice fields and multichoice fields only "
            f"work with 'contains', 'present' and 'absent'; '{left.id}' is {left.type}"
        )
    if cond.op in ORDERING_OPS and left.type not in ORDERED_TYPES:
        raise ValueError(
            f"{where}: '{cond.op}' needs an integer, number, date, datetime or time field, "
            f"got {left.type} field '{left.id}'"
        )
    if isinstance(cond.right, FieldRef):
        right = _known(cond.right.field, by_id, where)
        if not _comparable(left, right):
            raise ValueError(
                f"{where}: cannot compare {left.type} field '{left.id}' with "
                f"{right.type} field '{right.id}'"
            )
        return
    literals = cond.right if isinstance(cond.right, tuple) else (cond.right,)
    for raw in literals:
        try:
            literal_for(left, raw)
        except InvalidValue:
            expected = describe(_literal_type(left), choices=left.choice_values)
            raise ValueError(
                f"{where}: field '{left.id}' is compared with {show(raw)}; expected {expected}"
            ) from None
