"""Turning an instrument's entry form into what the generic template draws, field by field.

Each field becomes a `FieldView`: its accessible label, unit, help, the widget that suits its
type (yes/no and short choice lists as radio buttons, so "not answered" stays distinct from
"no"; small rating scales as a row of radios), the value to show (what was just submitted, or
the saved value) and its error messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from psytrial.core.instruments import FormField
from psytrial.web.forms.catalog import EntryForm

RADIO_LIMIT = 4  # choice lists up to this long are radio buttons, longer ones a select


@dataclass
class FieldView:
    id: str
    label: str
    widget: str
    required: bool
    unit: str = ""
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    values: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    saved: str = ""
    min: str = ""
    max: str = ""
    step: str = ""


@dataclass
class SectionView:
    title: str
    fields: list[FieldView]


def raw_from_post(entry: EntryForm, post: QueryDict) -> dict[str, Any]:
    """The submitted values of the entry form's fields (lists for multichoice fields)."""
    raw: dict[str, Any] = {}
    for f in entry.form.fields:
        if f.type == "multichoice":
            raw[f.id] = post.getlist(f.id)
        else:
            raw[f.id] = post.get(f.id, "")
    return raw


def as_raw(value: Any) -> str | list[str]:
    """A stored JSON value as the string an input shows."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


def sections(
    entry: EntryForm,
    shown: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    saved: Mapping[str, Any] | None = None,
) -> list[SectionView]:
    """Views of every field: `shown` holds raw strings to put in the inputs."""
    return [
        SectionView(s.title, [_field(entry, f, shown, errors, saved) for f in s.fields])
        for s in entry.sections
    ]


def _field(
    entry: EntryForm,
    f: FormField,
    shown: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    saved: Mapping[str, Any] | None,
) -> FieldView:
    raw = shown.get(f.id, "")
    view = FieldView(
        id=f.id,
        label=f.label,
        widget=_widget(entry, f),
        required=f.required,
        unit=f.unit,
        help=f.help,
        errors=list(errors.get(f.id, [])),
    )
    if isinstance(raw, list):
        view.values = [str(v) for v in raw]
    else:
        view.value = str(raw)
    view.choices = _choices(entry, f)
    if saved is not None:
        shown_saved = as_raw(saved.get(f.id))
        view.saved = ", ".join(shown_saved) if isinstance(shown_saved, list) else shown_saved
    if f.type in ("integer", "number"):
        view.step = "1" if f.type == "integer" else "any"
        view.min = "" if f.min is None else str(as_raw(f.min))
        view.max = "" if f.max is None else str(as_raw(f.max))
    return view


def _is_scale(entry: EntryForm, f: FormField) -> bool:
    return (
        bool(entry.scale_labels)
        and f.type == "integer"
        and f.min == 0
        and (f.max == len(entry.scale_labels) - 1)
    )


def _widget(entry: EntryForm, f: FormField) -> str:
    if _is_scale(entry, f) or f.type == "boolean":
        return "radio"
    if f.type == "choice":
        return "radio" if len(f.choices) <= RADIO_LIMIT else "select"
    if f.type == "multichoice":
        return "checkboxes"
    if f.type == "text":
        return "textarea" if f.id.endswith(("note", "notes", "comment")) else "text"
    return {
        "integer": "number",
        "number": "number",
        "date": "date",
        "datetime": "datetime-local",
        "time": "time",
    }[f.type]


def _choices(entry: EntryForm, f: FormField) -> list[tuple[str, str]]:
    if f.type == "boolean":
        return [("true", "Yes"), ("false", "No")]
    if _is_scale(entry, f):
        return [(str(i), label) for i, label in enumerate(entry.scale_labels)]
    return [(c.value, c.label) for c in f.choices]
