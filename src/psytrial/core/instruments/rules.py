"""Evaluating form rules on parsed values: the small rule grammar of `form_defs`, run safely.

Operators map to functions of the `operator` module; nothing is ever evaluated as code.
A comparison with a missing operand is undecided: a rule is then not broken (whether a value
must be there is the job of `required` and of the `present` operator), and a `when`
condition is then not met.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from psytrial.core.instruments.form_defs import (
    Condition,
    FieldRef,
    FormInstrument,
    FormRule,
    literal_for,
)
from psytrial.core.instruments.values import FieldValue, orderable

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class Incomparable(Exception):
    """Two datetimes of which one has a time zone and the other has not."""


def holds(cond: Condition, defn: FormInstrument, values: Mapping[str, FieldValue]) -> bool | None:
    """True or False, or None when an operand is missing and the condition is undecided."""
    left = values.get(cond.left)
    if cond.op == "present":
        return left is not None
    if cond.op == "absent":
        return left is None
    if left is None:
        return None
    left_field = defn.field(cond.left)
    if cond.op in ("in", "not_in"):
        assert isinstance(cond.right, tuple)
        members = {literal_for(left_field, raw) for raw in cond.right}
        return (left in members) == (cond.op == "in")
    if cond.op == "contains":
        assert isinstance(left, tuple)
        return literal_for(left_field, cond.right) in left
    if isinstance(cond.right, FieldRef):
        right = values.get(cond.right.field)
        if right is None:
            return None
    else:
        right = literal_for(left_field, cond.right)
    if not orderable(left, right):
        raise Incomparable
    return bool(_COMPARE[cond.op](left, right))


def referenced_fields(rule: FormRule) -> set[str]:
    """Every field a rule looks at, in its comparison and in its `when` condition."""
    refs = {rule.left}
    for cond in (rule, rule.when):
        if cond is None:
            continue
        refs.add(cond.left)
        if isinstance(cond.right, FieldRef):
            refs.add(cond.right.field)
    return refs


def rule_key(rule: FormRule) -> str:
    """Where a broken rule is reported: the field it is about, or "__all__" across fields."""
    return "__all__" if isinstance(rule.right, FieldRef) else rule.left


def broken_rules(
    defn: FormInstrument, values: Mapping[str, FieldValue], skip: set[str]
) -> dict[str, list[str]]:
    """Messages of the rules broken by `values`; rules touching fields in `skip` are not run."""
    errors: dict[str, list[str]] = {}
    for rule in defn.rules:
        if referenced_fields(rule) & skip:
            continue
        try:
            if rule.when is not None and holds(rule.when, defn, values) is not True:
                continue
            broken = holds(rule, defn, values) is False
            message = rule.message
        except Incomparable:
            broken = True
            message = (
                f"rule '{rule.id}': cannot compare a date and time with a time zone to one without"
            )
        if broken:
            errors.setdefault(rule_key(rule), []).append(message)
    return errors
