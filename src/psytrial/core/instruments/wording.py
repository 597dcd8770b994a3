"""Loading the full item wording a site holds under its own licence.

psytrial ships item ids and short topic labels only (see `hrs_bank`); a site that holds a
licensed copy of an instrument provides a CSV file with the header `item_id,text` and one row
per item. The wording is for display only: scoring never reads it. Problems with the file
(a wrong header, unknown, duplicate or missing ids, empty text) raise ProtocolError, since
the file is part of the study's configuration.
"""

from __future__ import annotations

import csv
import io

from psytrial.core.errors import ProtocolError
from psytrial.core.instruments.definitions import (
    HrsInstrument,
    InstrumentDef,
    QuestionnaireInstrument,
)

HEADER = ("item_id", "text")


def item_ids_of(defn: InstrumentDef) -> tuple[str, ...]:
    """The item ids whose wording a site may load; only HRS and questionnaires have items."""
    if isinstance(defn, HrsInstrument):
        return defn.item_ids()
    if isinstance(defn, QuestionnaireInstrument):
        return tuple(item.id for item in defn.items)
    raise ProtocolError(f"{defn.id}: expected an hrs or questionnaire instrument, got {defn.kind}")


def _rows(csv_text: str, instrument_id: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    header = tuple(cell.strip() for cell in rows[0]) if rows else ()
    if header != HEADER:
        raise ProtocolError(
            f"{instrument_id} wording line 1: expected header item_id,text, got {','.join(header)}"
        )
    return rows[1:]


def load_wording(csv_text: str, defn: InstrumentDef) -> dict[str, str]:
    """Item id -> full wording, checked against the definition's items; raises ProtocolError."""
    known = item_ids_of(defn)
    wording: dict[str, str] = {}
    for line, row in enumerate(_rows(csv_text, defn.id), start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{defn.id} wording line {line}"
        if len(row) != 2:
            raise ProtocolError(f"{where}: expected 2 columns (item_id,text), got {len(row)}")
        item_id, text = row[0].strip(), row[1].strip()
        if item_id not in known:
            raise ProtocolError(f"{where}: unknown item id '{item_id}'")
        if item_id in wording:
            raise ProtocolError(f"{where}: item id '{item_id}' given twice")
        if not text:
            raise ProtocolError(f"{where}: expected the wording of '{item_id}', got nothing")
        wording[item_id] = text
    missing = [item_id for item_id in known if item_id not in wording]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise ProtocolError(f"{defn.id} wording: missing text for {len(missing)} items: {shown}")
    return wording
