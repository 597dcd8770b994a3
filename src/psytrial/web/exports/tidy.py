"""Tidy CSV per instrument, and the data dictionary that describes every column.

One file per instrument, one row per form ENTRY holding its CURRENT values (decision: the
analysis and data review want the values as they stand; every earlier value, with who changed
it, when and why, is kept in the form versions and the audit trail, and the `version` column
says how many versions an entry has had). Columns:

    participant, site, visit, occurrence, variant, version, saved_at, locked, <field ids...>

`visit` is the protocol's visit id ("" for an unscheduled entry such as an adverse event);
`occurrence` numbers repeated and unscheduled entries; `variant` is whose entry it is for
instruments entered once per person (the blinding guess), else empty. Cells: numbers as
entered, booleans `true`/`false`, dates ISO 8601, several choices joined with `|`, missing
values empty. Rows are ordered by participant, visit in schedule order, occurrence, variant.

The dictionary has one row per variable: variable, label, type, range, unit, instrument, visit
(the visits that give the instrument, `;`-separated, `unscheduled` for unscheduled entries).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from psytrial.core.instruments import FormField, InstrumentDef
from psytrial.core.protocol import Protocol
from psytrial.web.exports.reading import Entry
from psytrial.web.forms.catalog import CONSENT_ID, entry_form

ID_COLUMNS = (
    "participant",
    "site",
    "visit",
    "occurrence",
    "variant",
    "version",
    "saved_at",
    "locked",
)
DICTIONARY_COLUMNS = ("variable", "label", "type", "range", "unit", "instrument", "visit")
_ID_DOCS = {
    "participant": ("Participant identifier", "text"),
    "site": ("Site identifier", "text"),
    "visit": ("Visit identifier; empty for an unscheduled entry", "text"),
    "occurrence": ("Entry number of repeated or unscheduled entries", "integer"),
    "variant": ("Whose entry, for instruments entered once per person", "text"),
    "version": ("Number of saved versions of the entry", "integer"),
    "saved_at": ("When the current version was saved (UTC, ISO 8601)", "datetime"),
    "locked": ("Locked by data management", "boolean"),
}


def fields_of(defn: InstrumentDef) -> tuple[FormField, ...]:
    return entry_form(defn).form.fields


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "|".join(cell(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def instrument_table(
    protocol: Protocol, defn: InstrumentDef, entries: Iterable[Entry]
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one instrument's tidy file (rows of other instruments are skipped)."""
    fields = [f.id for f in fields_of(defn)]
    order = {v.id: i for i, v in enumerate(protocol.schedule)}
    mine = sorted(
        (e for e in entries if e.instrument == defn.id),
        key=lambda e: (e.participant, order.get(e.visit, len(order)), e.occurrence, e.variant),
    )
    rows = [
        [
            e.participant,
            e.site,
            e.visit,
            str(e.occurrence),
            e.variant,
            str(e.version),
            e.saved_at.isoformat(),
            cell(e.locked),
            *(cell(e.data.get(f)) for f in fields),
        ]
        for e in mine
    ]
    return [*ID_COLUMNS, *fields], rows


def visits_giving(protocol: Protocol, instrument_id: str) -> list[str]:
    visits = [
        v.id
        for v in protocol.schedule
        if instrument_id in v.instruments
        or (instrument_id == CONSENT_ID and v.phase == "screening")
    ]
    if instrument_id in protocol.unscheduled_instruments:
        visits.append("unscheduled")
    return visits


def dictionary_rows(protocol: Protocol, instruments: Sequence[InstrumentDef]) -> list[list[str]]:
    """The identifier columns once, then every field of every instrument."""
    rows = [
        [name, label, kind, "", "", "(every instrument)", ""]
        for name, (label, kind) in _ID_DOCS.items()
    ]
    for defn in instruments:
        visits = ";".join(visits_giving(protocol, defn.id))
        rows.extend(
            [f.id, f.label, f.type, value_range(f), f.unit, defn.id, visits]
            for f in fields_of(defn)
        )
    return rows


def value_range(f: FormField) -> str:
    if f.type in ("choice", "multichoice"):
        return "|".join(c.value for c in f.choices)
    if f.type == "boolean":
        return "true|false"
    if f.type in ("integer", "number"):
        low = "" if f.min is None else cell(f.min)
        high = "" if f.max is None else cell(f.max)
        return f"{low}..{high}" if (low or high) else ""
    return ""


def to_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
