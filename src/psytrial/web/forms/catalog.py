"""Every instrument as an entry form: fields to fill in, grouped in sections, for any kind.

Forms (kind `form`) are entered as they are declared. The scored kinds get an entry form
made from their definition, and that is the raw-data shape the store accepts and keeps:

    hrs            one field per item id (`som_01` ...), a whole number 0-4, may be left blank
                   (each cluster tolerates the protocol's `max_missing_per_cluster` blanks)
    vas            one field `value`, a number between the scale's min and max
    questionnaire  one field per item id, a number within the item's range, may be blank
                   (up to `max_missing` blanks)
    colour_test    `rank_1` ... `rank_n`: the colour at each preference position (1 = most
                   preferred), each colour once; `concept_<id>`: the colour of each concept

`instrument(study, id)` also knows the built-in consent form used when a protocol declares
none (ASSUMPTION: consent version, date and who took it are what the record needs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from psytrial.core.errors import ProtocolError
from psytrial.core.instruments import (
    ColourTestInstrument,
    FormField,
    FormInstrument,
    HrsInstrument,
    InstrumentDef,
    QuestionnaireInstrument,
    VasInstrument,
    parse_instrument,
)
from psytrial.core.instruments.hrs_bank import BUILTIN_ITEMS, RATING_LABELS
from psytrial.core.protocol import Protocol

CONSENT_ID = "consent"
BUILTIN_CONSENT = FormInstrument(
    id=CONSENT_ID,
    label="Informed consent",
    fields=(
        FormField(id="consent_version", label="Consent form version", type="text"),
        FormField(id="consent_date", label="Date of consent", type="date"),
        FormField(id="taken_by", label="Consent taken by", type="text"),
    ),
)


def instrument(protocol: Protocol, instrument_id: str) -> InstrumentDef:
    """The protocol's instrument, or the built-in consent form; ProtocolError if unknown."""
    try:
        return protocol.instrument(instrument_id)
    except ProtocolError:
        if instrument_id == CONSENT_ID:
            return BUILTIN_CONSENT
        # Not the core's message, which lists every instrument: the list would name the
        # arm-revealing ones to an outcome rater.
        raise ProtocolError(
            f"instrument: expected one of this study's instruments, got {instrument_id!r}"
        ) from None


@dataclass(frozen=True)
class Section:
    """A heading and the fields under it (an HRS cluster, the colour ranking, ...)."""

    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class EntryForm:
    """What the person entering data fills in: a plain form, and its sections for display.

    `scale_labels` words the points of small rating scales (HRS: 0 not at all ... 4
    extremely); such fields are shown as a row of radio buttons.
    """

    form: FormInstrument
    sections: tuple[Section, ...]
    scale_labels: tuple[str, ...] = ()


def entry_form(defn: InstrumentDef) -> EntryForm:
    return _entry_form_cached(defn.model_dump_json())


@lru_cache(maxsize=128)
def _entry_form_cached(definition_json: str) -> EntryForm:
    defn = parse_instrument(json.loads(definition_json))
    if isinstance(defn, FormInstrument):
        return EntryForm(defn, (Section("", defn.fields),))
    if isinstance(defn, HrsInstrument):
        return _hrs(defn)
    if isinstance(defn, VasInstrument):
        return _vas(defn)
    if isinstance(defn, QuestionnaireInstrument):
        return _questionnaire(defn)
    assert isinstance(defn, ColourTestInstrument)
    return _colour_test(defn)


def _form(defn: InstrumentDef, sections: list[Section]) -> FormInstrument:
    fields = tuple(f for s in sections for f in s.fields)
    return FormInstrument(id=defn.id, label=defn.label, reveals_arm=defn.reveals_arm, fields=fields)


_TOPICS = {item.id: item.topic for item in BUILTIN_ITEMS}


def _hrs(defn: HrsInstrument) -> EntryForm:
    help_text = "0 not at all, 1 slightly, 2 moderately, 3 quite a bit, 4 extremely"
    sections = [
        Section(
            cluster.capitalize(),
            tuple(
                FormField(
                    id=item,
                    label=f"{item}: {_TOPICS.get(item, item)}",
                    type="integer",
                    min=0,
                    max=4,
                    required=False,
                    help=help_text,
                )
                for item in items
            ),
        )
        for cluster, items in defn.clusters().items()
    ]
    labels = tuple(f"{i} {label}" for i, label in enumerate(RATING_LABELS))
    return EntryForm(_form(defn, sections), tuple(sections), labels)


def _vas(defn: VasInstrument) -> EntryForm:
    field = FormField(
        id="value",
        label=defn.label,
        type="number",
        min=defn.min,
        max=defn.max,
        unit="mm",
        help=f"{defn.min:g} = {defn.min_label}; {defn.max:g} = {defn.max_label}",
    )
    section = Section("", (field,))
    return EntryForm(_form(defn, [section]), (section,))


def _questionnaire(defn: QuestionnaireInstrument) -> EntryForm:
    fields = tuple(
        FormField(
            id=item.id,
            label=item.label,
            type="number",
            min=item.min,
            max=item.max,
            required=False,
            help=f"from {item.min:g} to {item.max:g}",
        )
        for item in defn.items
    )
    section = Section("", fields)
    return EntryForm(_form(defn, [section]), (section,))


def _colour_test(defn: ColourTestInstrument) -> EntryForm:
    choices = tuple({"value": c, "label": c.replace("_", " ")} for c in defn.colours)
    ranks = tuple(
        FormField.model_validate(
            {
                "id": f"rank_{i}",
                "label": f"Preference {i}",
                "type": "choice",
                "choices": choices,
                "help": "1 = most preferred colour" if i == 1 else "",
            }
        )
        for i in range(1, len(defn.colours) + 1)
    )
    concepts = tuple(
        FormField.model_validate(
            {
                "id": f"concept_{c}",
                "label": c.replace("_", " ").capitalize(),
                "type": "choice",
                "choices": choices,
            }
        )
        for c in defn.concepts
    )
    sections = [
        Section("Colours from most to least preferred", ranks),
        Section("The colour of each concept", concepts),
    ]
    return EntryForm(_form(defn, sections), tuple(sections))
