"""Reading the form store: current data of a record, the forms a user may see, placements.

Read helpers only; nothing here changes data. `visible_records` applies the blind (an outcome
rater never gets an arm-revealing record) on top of the participant's site scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from psytrial.core.errors import FormError, ProtocolError
from psytrial.core.instruments import FormInstrument, InstrumentDef
from psytrial.core.protocol import Protocol
from psytrial.core.roles import Role
from psytrial.web.forms.catalog import CONSENT_ID, instrument
from psytrial.web.forms.models import FormRecord, FormVersion
from psytrial.web.forms.permissions import may_read, may_see
from psytrial.web.trial.models import Participant

UNSCHEDULED = ""


def current_version(record: FormRecord) -> FormVersion | None:
    if record.current_version == 0:
        return None
    latest = record.latest  # the version `save_form` has just written, if it is this one
    if latest is not None and latest.version == record.current_version:
        return latest
    return record.versions.select_related("saved_by").get(version=record.current_version)


def current_data(record: FormRecord) -> dict[str, Any]:
    version = current_version(record)
    return dict(version.data) if version is not None else {}


def current_values(
    participant: Participant, instrument_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Instrument id -> the current data of the participant's most recently saved entry of
    it, for each of `instrument_ids` that has one; one query."""
    rows = (
        FormVersion.objects.filter(
            record__participant=participant,
            record__instrument_id__in=list(instrument_ids),
            version=F("record__current_version"),
        )
        .order_by("saved_at", "pk")
        .values_list("record__instrument_id", "data")
    )
    return {instrument_id: dict(data) for instrument_id, data in rows}


def latest_values(participant: Participant, instrument_id: str) -> dict[str, Any] | None:
    """The current data of the participant's most recently saved entry of an instrument."""
    return current_values(participant, [instrument_id]).get(instrument_id)


def is_repeatable(protocol: Protocol, defn: InstrumentDef, visit_id: str) -> bool:
    """Whether a visit (or the unscheduled slot) takes several entries of the instrument."""
    if visit_id == UNSCHEDULED:
        return True
    return isinstance(defn, FormInstrument) and defn.repeating


def check_placement(protocol: Protocol, defn: InstrumentDef, visit_id: str) -> None:
    """FormError unless the protocol gives `defn` at `visit_id` (or unscheduled, for blank)."""
    if visit_id == UNSCHEDULED:
        if defn.id in protocol.unscheduled_instruments:
            return
        allowed = ", ".join(protocol.unscheduled_instruments) or "none"
        raise FormError(
            {
                "__all__": [
                    f"expected a visit for {defn.id} (unscheduled instruments: {allowed}), got none"
                ]
            }
        )
    try:
        visit = protocol.visit(visit_id)
    except ProtocolError as exc:
        raise FormError({"__all__": [str(exc)]}) from None
    if defn.id in visit.instruments or (defn.id == CONSENT_ID and visit.phase == "screening"):
        return
    raise FormError(
        {
            "__all__": [
                f"visit {visit_id}: expected one of its instruments "
                f"({', '.join(visit.instruments) or 'none'}), got {defn.id}"
            ]
        }
    )


@dataclass(frozen=True)
class Entry:
    """One record as shown in lists: where it sits and whether the viewer may open it."""

    record: FormRecord
    definition: InstrumentDef


def visible_records(
    participant: Participant, roles_here: set[Role], roles_all: set[Role]
) -> list[Entry]:
    """The records a user may read: with `roles_here` at the participant's site, and the
    blind applied to all their roles in the study (`roles_all`); in entry order."""
    protocol = participant.study.protocol
    entries = []
    for record in FormRecord.objects.filter(participant=participant).order_by("pk"):
        try:
            defn = instrument(protocol, record.instrument_id)
        except ProtocolError:
            continue
        if may_read(roles_here, defn, record.variant) and may_see(roles_all, defn, record.variant):
            entries.append(Entry(record, defn))
    return entries
